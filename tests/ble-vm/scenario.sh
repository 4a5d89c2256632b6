#!/bin/bash
# The ble_vm test's scenario, run inside the guest by scripts/ble-vm (bluetoothd and btvirt's two
# LE controllers are up, hci0 and hci1): a real hub, a lock with its GATT service on hci0, the
# CLI phone as the central on hci1.
#   scripts/ble-vm -- tests/ble-vm/scenario.sh LATCHKEY_BINARY
# 1. `latchkey hub` on loopback; `latchkey lock --ble --ble-adapter hci0` says it advertises;
#    the hub pairs it (POST /api/v1/locks with its setup code) and hands it the home key.
# 2. hci1, scanning for the service UUID since before, finds the lock's advertisement (see
#    below for why first), then stops scanning.
# 3. The CLI logs in as the owner, `phone init`, `phone enroll --lock ID`.
# 4. `phone unlock --ble --ble-adapter hci1`: unlocked.
# 5. The key is revoked (DELETE /api/v1/phone-keys/SERIAL) and the hub reports the lock applied
#    the list; `phone unlock` again is refused with "revoked", and the bolt stays locked.
# Each step is printed with the guest's uptime; the processes' logs are left in the work folder.
set -euo pipefail
latchkey="$1"
work="${BLE_VM_WORK:?run by scripts/ble-vm}"
data=/tmp/latchkey   # the guest's tmpfs: SQLite wants a local file system
mkdir -p "$data"
export HOME="$data/home" XDG_CONFIG_HOME="$data/home/.config"
mkdir -p "$XDG_CONFIG_HOME"
hub_url=http://127.0.0.1:8080
password=ble-vm-owner-password
service_uuid=4c4b0001-5a8e-4d6b-9a61-7463686b6579

step() { echo "scenario: $(cut -d' ' -f1 /proc/uptime) s: $*"; }
fail() {
  echo "scenario: FAILED: $*"
  for log in lock hub; do
    echo "--- the last lines of $log.log"
    tail -n 25 "$work/$log.log" 2>/dev/null || true
  done
  exit 1
}
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
# wait_for SECONDS WHAT COMMAND...: polls every 0.1 s.
wait_for() {
  local limit=$(($1 * 10)) what="$2"
  shift 2
  for ((n = 0; n < limit; n++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  fail "$what (not within $((limit / 10)) s)"
}
api() {  # api METHOD PATH [JSON]: the body on stdout; fails on an HTTP error
  curl -sS --fail-with-body -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} "$hub_url$2"
}
# cli NAME ARGS...: latchkey ARGS with its output in WORK/cli-NAME.out, echoed; its exit code
# (124 after 90 s).
cli() {
  local name="$1"
  shift
  set +e
  timeout 90 "$latchkey" "$@" >"$work/cli-$name.out" 2>&1
  local rc=$?
  set -e
  sed "s/^/  $name| /" "$work/cli-$name.out"
  return $rc
}

[ -x "$latchkey" ] || fail "$latchkey: not in the guest (the guest has its own /tmp, /run and /var)"

step "hub"
LATCHKEY_OWNER_PASSWORD="$password" "$latchkey" hub --data "$data/hub" --http 127.0.0.1:8080 >"$work/hub.log" 2>&1 &
pids+=($!)
wait_for 20 "the hub answers /healthz" curl -sf "$hub_url/healthz"

step "hci1 scans for the lock's service (bluetoothctl)"
address_of() {
  dbus-send --system --print-reply --dest=org.bluez "/org/bluez/$1" org.freedesktop.DBus.Properties.Get \
    string:org.bluez.Adapter1 string:Address | sed -n 's/.*string "\(.*\)"/\1/p'
}
hci0_address="$(address_of hci0)"
hci1_address="$(address_of hci1)"
# btvirt's controllers report an advertisement only at the moment advertising or scanning is
# switched on, not every interval as a radio does, and the kernel drops the reports that come
# before it has marked its discovery started. So hci1 scans first (with the service as its
# filter, as the CLI phone's discovery does) and sees the lock when its advertising starts; the
# scan stops once it has: the phone then finds a device that BlueZ knows, and its connection's
# own scan gets the report at once (during a discovery it would wait for bluetoothd's next
# restart of it, 10 s). bluetoothctl reads its commands from a pipe that this script holds open
# (fd 3).
mkfifo "$data/scan.in"
bluetoothctl <"$data/scan.in" >"$work/scan.log" 2>&1 &
pids+=($!)
exec 3>"$data/scan.in"
printf 'select %s\nmenu scan\nuuids %s\ntransport le\nback\nscan on\n' "$hci1_address" "$service_uuid" >&3
wait_for 10 "hci1 discovering" grep -q "Discovery started" "$work/scan.log"

step "lock with --ble --ble-adapter hci0"
"$latchkey" lock --data "$data/lock" --listen 127.0.0.1:7000 --motor-ms 0 --ble --ble-adapter hci0 \
  >"$work/lock.log" 2>&1 &
lock_pid=$!
pids+=($lock_pid)
wait_for 20 "the lock advertises on hci0 (\"lock ID ble advertising on hci0 as NAME\" in lock.log)" \
  grep -q "ble advertising on hci0 as" "$work/lock.log"
lock_id="$(sed -n 's/^lock \(lk-[0-9a-f]*\) ble advertising on hci0 as \(.*\)$/\1/p' "$work/lock.log" | head -n1)"
ble_name="$(sed -n 's/^lock lk-[0-9a-f]* ble advertising on hci0 as \(.*\)$/\1/p' "$work/lock.log" | head -n1)"
setup_code="$(sed -n 's/^lock lk-[0-9a-f]* setup code: \([^ ]*\).*$/\1/p' "$work/lock.log" | head -n1)"
[ -n "$lock_id" ] && [ -n "$setup_code" ] || fail "no lock id or setup code in lock.log"
step "lock $lock_id advertises as $ble_name"

step "the owner logs in; the hub pairs the lock"
token="$(curl -sS --fail-with-body -H 'Content-Type: application/json' \
  --data "{\"username\":\"owner\",\"password\":\"$password\"}" "$hub_url/api/v1/auth/login" |
  sed -n 's/.*"token":"\([^"]*\)".*/\1/p')"
[ -n "$token" ] || fail "no token from POST /api/v1/auth/login"
api POST /api/v1/locks "{\"address\":\"127.0.0.1:7000\",\"setup_code\":\"$setup_code\",\"name\":\"Front door\"}" \
  >"$work/pair.json" || fail "pairing: $(cat "$work/pair.json")"
home_key_applied() { api GET "/api/v1/locks/$lock_id/events?kind=change&limit=1000" | grep -q '"data_type":"home_key"'; }
wait_for 20 "the paired lock records the hub's home key (a home_key change event)" home_key_applied

step "hci1 found the lock ($hci0_address) by its service"
wait_for 25 "hci1's scan found the lock's advertisement (scan.log; btmon -r hci.btsnoop)" \
  grep -q "NEW.* Device $hci0_address" "$work/scan.log"
printf 'scan off\n' >&3

step "the CLI logs in, the phone enrolls"
cli login login --url "$hub_url" --username owner --password "$password" || fail "latchkey login"
cli init phone init || fail "latchkey phone init"
cli enroll phone enroll --lock "$lock_id" --json || fail "latchkey phone enroll"
serial="$(sed -n 's/.*"serial": *\([0-9][0-9]*\).*/\1/p' "$work/cli-enroll.out" | head -n1)"
[ -n "$serial" ] || fail "no serial in the enroll output"
step "phone key #$serial"

phone_door=(--ble --ble-adapter hci1)
step "phone unlock ${phone_door[*]}"
cli unlock phone unlock "${phone_door[@]}" || fail "latchkey phone unlock over BLE"
grep -q "unlocked" "$work/cli-unlock.out" || fail "the phone's unlock did not say unlocked"
# The hub hears of it over the link: the lock's state, and an event that names the phone key.
lock_is() { api GET "/api/v1/locks/$lock_id" | grep -q "\"lock_state\":\"$1\""; }
phone_event() {
  api GET "/api/v1/locks/$lock_id/events?limit=100" | tr -d ' \n' | grep -q '"source":"phone"'
}
wait_for 10 "the hub shows the lock unlocked" lock_is unlocked
wait_for 10 "the hub's history has the phone's unlock (source phone)" phone_event

step "the key is revoked; the hub reports the lock applied the list"
api DELETE "/api/v1/phone-keys/$serial" >"$work/revoke.json" || fail "DELETE /api/v1/phone-keys/$serial"
applied() { api GET /api/v1/phone-keys | tee "$work/phone-keys.json" | tr -d ' \n' | grep -q "\"applied\":{\"$lock_id\":true}"; }
wait_for 20 "the lock applied the revocation of key #$serial" applied
step "phone lock ${phone_door[*]} (the bolt is unlocked; a refused key must not lock it either)"
if cli revoked phone lock "${phone_door[@]}"; then fail "a revoked key was accepted"; fi
grep -q "revoked" "$work/cli-revoked.out" || fail "the refusal does not say revoked"
lock_is unlocked || fail "the refused phone changed the bolt"

kill -0 "$lock_pid" 2>/dev/null || fail "the lock died"
step "ok"
