#!/usr/bin/env bash
# The Matter bridge end to end: in a fresh user + network namespace (loopback only, multicast on,
# so mDNS works without touching the machine's network), start `latchkey demo --matter --locks 2`,
# wait for the bridge's pairing code, and run the matter.js test controller against it (with a
# third simulated lock, unpaired, that the controller pairs to see it appear on the bridge). The
# controller keeps its fabric (--keep, its storage in the work folder); then the demo is stopped with
# SIGTERM and started again on the same data, and the controller runs a second time with
# --reconnect: no commissioning, it reaches the bridge from its stored fabric, reads and moves a
# lock, and decommissions.
#
#   integrations/matter/test/run-in-netns.sh path/to/latchkey [controller options...]
#
# MATTER_SIDECAR_MANUAL=1: start the demo without --matter and the sidecar by hand (account
# `matter`, role admin, and a token minted for it through the API), for hubs without --matter;
# then the hub's integration API and the restart are not checked.
# LATCHKEY_MATTER_KEEP=1 keeps the work folder (logs, data) and prints its path.
# Needs `npm run build` in integrations/matter first. Exit status: the controller's.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
package="$(cd "$here/.." && pwd)"

if [ $# -lt 1 ]; then
  echo "usage: $0 path/to/latchkey [controller options...]" >&2
  exit 2
fi
latchkey="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
shift
if [ ! -x "$latchkey" ]; then
  echo "run-in-netns: $latchkey is not an executable latchkey binary" >&2
  exit 2
fi
for built in "$package/dist/main.js" "$package/dist/test/controller.js"; do
  if [ ! -f "$built" ]; then
    echo "run-in-netns: $built is missing; run 'npm run build' in $package" >&2
    exit 2
  fi
done

# ---- outside: enter the namespace (this same script runs again inside) ----
if [ -z "${LATCHKEY_MATTER_IN_NETNS:-}" ]; then
  if ! err="$(unshare -rn true 2>&1)"; then
    echo "run-in-netns: cannot make a user + network namespace with 'unshare -rn' (${err:-no reason given})." >&2
    echo "run-in-netns: the Matter test needs one for mDNS on loopback without touching this machine's network;" >&2
    echo "run-in-netns: enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) or run where they are allowed." >&2
    exit 3
  fi
  started=$(date +%s%N)
  status=0
  LATCHKEY_MATTER_IN_NETNS=1 unshare -rn "$0" "$latchkey" "$@" || status=$?
  elapsed_ms=$((($(date +%s%N) - started) / 1000000))
  echo "[ measure ] matter_e2e_run_s = $((elapsed_ms / 1000)).$(((elapsed_ms % 1000) / 100))"
  exit $status
fi

# ---- inside the namespace ----
ip link set lo up
ip link set lo multicast on
ip route add 224.0.0.0/4 dev lo

work="$(mktemp -d /tmp/latchkey-matter-e2e.XXXXXX)"
http="127.0.0.1:18080"
url="http://$http"
password="matter-e2e-$RANDOM-$RANDOM"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${LATCHKEY_MATTER_KEEP:-}" ]; then echo "run-in-netns: logs and data kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# A check of the script itself, printed like the controller's; a failed one fails the run.
script_failures=0
check() {
  if [ "$2" = ok ]; then
    echo "[ check ] ok   $1${3:+: $3}"
  else
    echo "[ check ] FAIL $1${3:+: $3}"
    script_failures=$((script_failures + 1))
  fi
}

json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)'"$1"';if(v===undefined)process.exit(1);console.log(v)})'; }

# Waits up to $2 seconds for the file $1 to match the extended regex $3; prints the match.
wait_for_line() {
  local file=$1 seconds=$2 pattern=$3 i
  for ((i = 0; i < seconds * 10; i++)); do
    if grep -Eo "$pattern" "$file" 2>/dev/null | head -1 | grep .; then return 0; fi
    sleep 0.1
  done
  return 1
}

demo_args=(demo --data "$work/data" --http "$http" --locks 2 --motor-ms 0)
if [ -z "${MATTER_SIDECAR_MANUAL:-}" ]; then demo_args+=(--matter); fi

# Starts the demo, logging to $1, and waits for its /healthz; sets demo_pid.
start_demo() {
  local demo_log=$1 i
  LATCHKEY_OWNER_PASSWORD="$password" "$latchkey" "${demo_args[@]}" >"$demo_log" 2>&1 &
  demo_pid=$!
  pids+=($demo_pid)
  for ((i = 0; i < 100; i++)); do
    curl -fs "$url/healthz" >/dev/null 2>&1 && return 0
    if ! kill -0 "$demo_pid" 2>/dev/null; then
      echo "run-in-netns: latchkey demo exited:" >&2
      tail -20 "$demo_log" >&2
      exit 1
    fi
    sleep 0.1
  done
}
start_demo "$work/demo.log"

login() { curl -fsS -X POST "$url/api/v1/auth/login" -d "{\"username\":\"$1\",\"password\":\"$2\"}" | json '.token'; }
owner_token="$(login owner "$password")"

log="$work/demo.log"
if [ -n "${MATTER_SIDECAR_MANUAL:-}" ]; then
  # The hub would do this itself with --matter: an admin account `matter` and a token for it.
  matter_password="matter-$RANDOM-$RANDOM-$RANDOM"
  curl -fsS -X POST "$url/api/v1/accounts" -H "Authorization: Bearer $owner_token" \
    -d "{\"username\":\"matter\",\"password\":\"$matter_password\",\"role\":\"admin\"}" >/dev/null
  matter_session="$(login matter "$matter_password")"
  matter_token="$(curl -fsS -X POST "$url/api/v1/tokens" -H "Authorization: Bearer $matter_session" \
    -d '{"name":"matter bridge"}' | json '.token')"
  log="$work/sidecar.log"
  LATCHKEY_HUB_URL="$url" LATCHKEY_TOKEN="$matter_token" LATCHKEY_MATTER_STORAGE="$work/matter" \
    LATCHKEY_MATTER_CONTROL_PORT=18090 LATCHKEY_MATTER_CONTROL_SECRET="control-$RANDOM$RANDOM" \
    node "$package/dist/main.js" >"$log" 2>&1 &
  pids+=($!)
fi

# Waits for the bridge's pairing-code line in $1; prints the code.
pairing_code() {
  local line
  if ! line="$(wait_for_line "$1" 60 'matter: pairing code [0-9-]+')"; then
    echo "run-in-netns: no 'matter: pairing code' line within 60 s in $1:" >&2
    tail -30 "$1" >&2
    return 1
  fi
  echo "${line##* }"
}
code="$(pairing_code "$log")" || exit 1
echo "run-in-netns: bridge up, pairing code $code"

# The sidecar's process (whoever started it), from /proc: its pid, or nothing.
sidecar_pid() {
  local p
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q 'integrations/matter/dist/main.js'; then
      echo "${p#/proc/}"
      return
    fi
  done
}
sidecar_rss() {
  local p
  p="$(sidecar_pid)"
  [ -n "$p" ] && awk '/^VmRSS/ {print $2}' "/proc/$p/status"
}

# A third lock, not paired yet: the controller pairs it and expects it on the bridge.
"$latchkey" lock --data "$work/lock-3" --listen 127.0.0.1:0 --motor-ms 0 --name "Lock 3" >"$work/lock-3.log" 2>&1 &
pids+=($!)
pair=()
if setup_line="$(wait_for_line "$work/lock-3.log" 10 'setup code: [A-Z0-9-]+')" &&
  address_line="$(wait_for_line "$work/lock-3.log" 10 'listening on [0-9.]+:[0-9]+')"; then
  pair=(--pair-address "${address_line##* }" --pair-code "${setup_line##* }")
else
  echo "run-in-netns: the third lock did not start; pairing is not checked" >&2
fi

# The controller's own storage (its fabric and the commissioned bridge), for the second run.
controller_storage="$work/controller"
controller_args=(--hub "$url")
restart=1
if [ -n "${MATTER_SIDECAR_MANUAL:-}" ]; then
  controller_args+=(--no-hub-integration)
  restart=
fi

status=0
first=(--code "$code" --storage "$controller_storage" "${pair[@]}")
[ -n "$restart" ] && first+=(--keep)
node "$package/dist/test/controller.js" "${controller_args[@]}" --token "$owner_token" "${first[@]}" "$@" || status=$?
rss="$(sidecar_rss || true)"
[ -n "$rss" ] && echo "[ measure ] sidecar_rss_kb = $rss"

# The web app's Integrations page shows this bridge (QR code, pairing code, the fabric the
# controller kept), in Chromium inside this namespace.
if [ $status -eq 0 ] && [ -n "$restart" ]; then
  browser_dir="$(cd "$package/../../tests/browser" && pwd)"
  if [ ! -d "$browser_dir/node_modules" ]; then
    check "web app: the Integrations page" FAIL "tests/browser/node_modules is missing (scripts/install-deps)"
  else
    node "$browser_dir/matter_page.mjs" --url "$url" --password "$password" || status=$?
  fi
fi

# The lockout check's right PIN: the hub's answer, as the bridge logs it, must be the lock's own
# refusal `denied (lockout)`, not the hub's remote-PIN limit (429 rate_limited).
if [ $status -eq 0 ]; then
  check "lockout: the bridge got the lock's refusal 'denied (lockout)' for the right PIN, no 429 rate_limited" \
    "$(grep -q 'with PIN: refused, denied (lockout)' "$log" && ! grep -q 'rate_limited' "$log" && echo ok)" \
    "$(grep -Eo 'unlock of [^ ]+ from fabric [0-9]+ with PIN: refused, (denied \(lockout\)|rate_limited.*)' "$log" | head -1)"
fi

# ---- the hub restarting keeps the fabric ----
if [ $status -eq 0 ] && [ -n "$restart" ]; then
  old_sidecar="$(sidecar_pid || true)"
  restart_started=$(date +%s%N)
  kill -TERM "$demo_pid"
  demo_status=0
  stopped=
  for ((i = 0; i < 300; i++)); do
    if ! kill -0 "$demo_pid" 2>/dev/null; then stopped=1; break; fi
    sleep 0.05
  done
  if [ -n "$stopped" ]; then
    wait "$demo_pid" || demo_status=$?
    check "restart: latchkey demo stops on SIGTERM" "$([ "$demo_status" -eq 0 ] && echo ok)" "exit $demo_status"
  else
    check "restart: latchkey demo stops on SIGTERM" FAIL "still running after 15 s"
    exit 1
  fi
  for ((i = 0; i < 100; i++)); do
    if [ -z "$old_sidecar" ] || ! kill -0 "$old_sidecar" 2>/dev/null; then break; fi
    sleep 0.05
  done
  check "restart: the sidecar stopped with the hub" "$([ -z "$old_sidecar" ] || ! kill -0 "$old_sidecar" 2>/dev/null && echo ok)" "pid ${old_sidecar:-none}"
  echo "[ measure ] hub_stop_ms = $((($(date +%s%N) - restart_started) / 1000000)) ms"

  log="$work/demo-2.log"
  start_demo "$log"
  if new_code="$(pairing_code "$log")"; then
    up_ms=$((($(date +%s%N) - restart_started) / 1000000))
    check "restart: the bridge is back with the same pairing code" "$([ "$new_code" = "$code" ] && echo ok)" "$new_code"
    echo "[ measure ] hub_restart_to_pairing_code_ms = $up_ms ms"
    owner_token="$(login owner "$password")"
    reconnect_started=$(date +%s%N)
    node "$package/dist/test/controller.js" "${controller_args[@]}" --token "$owner_token" \
      --reconnect --storage "$controller_storage" || status=$?
    echo "[ measure ] reconnect_run_ms = $((($(date +%s%N) - reconnect_started) / 1000000)) ms"
  else
    check "restart: the bridge is back with the same pairing code" FAIL "no pairing-code line"
  fi
fi

[ $script_failures -gt 0 ] && [ $status -eq 0 ] && status=1
if [ $status -ne 0 ]; then
  echo "run-in-netns: failed (exit $status); the bridge's log:" >&2
  grep -E '^matter:|matter: ' "$log" | tail -40 >&2 || true
fi
exit $status
