#!/usr/bin/env bash
# `make package`'s .deb, installed into a fresh Debian 12 root: it installs with its library
# dependencies from Debian, makes its system user, ships its units (which systemd-analyze verify
# accepts), its conffile and a stripped binary; the installed `latchkey` prints the help the
# README promises and serves /healthz from the shipped configuration; purge removes it all.
#
#   package_test.sh BUILD_DIR
#
# Needs root (debootstrap, chroot) and Debian's mirror, like scripts/install-deps. The minimal
# Debian 12 root (with systemd and man-db, which `systemd-analyze verify --root` consults for the
# units' targets) is made once by debootstrap and kept as a tarball in
# LATCHKEY_DEBIAN_ROOT_CACHE (default /var/cache/latchkey-test); each run unpacks a fresh copy.
set -euo pipefail

build=$(cd "${1:?usage: package_test.sh BUILD_DIR}" && pwd)
mirror=${LATCHKEY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${LATCHKEY_DEBIAN_ROOT_CACHE:-/var/cache/latchkey-test}
fail() { echo "package_test: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap and chroot); run it as root"
for tool in cpack dpkg-deb debootstrap systemd-analyze chroot curl readelf; do
  command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps installs it)"
done

work=$(mktemp -d /tmp/latchkey-package.XXXXXX)
root=$work/root
hub_pid=""
cleanup() {
  [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null || true
  for m in proc dev/pts; do mountpoint -q "$root/$m" && umount -l "$root/$m" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== the package"
(cd "$work" && cpack --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; fail "cpack failed"; }
deb=$(ls "$work"/out/latchkey_*.deb)
dpkg-deb --info "$deb"
dpkg-deb --contents "$deb" >"$work/contents"
for path in ./usr/bin/latchkey ./usr/lib/systemd/system/latchkey-hub.service \
            ./usr/lib/systemd/system/latchkey-lock@.service ./etc/latchkey/hub.toml \
            ./usr/share/man/man1/latchkey.1.gz ./usr/share/doc/latchkey/README.md; do
  grep -q " $path\$" "$work/contents" || fail "$path is not in the package"
done
arch=$(dpkg-deb --field "$deb" Architecture)
[ "$arch" = "$(dpkg --print-architecture)" ] || fail "architecture $arch, not the build machine's"
depends=$(dpkg-deb --field "$deb" Depends)
echo "Depends: $depends"
for lib in libsodium libsqlite3 libssl3; do
  [[ "$depends" == *"$lib"* ]] || fail "Depends does not name $lib"
done

echo "== a fresh Debian 12 root"
mkdir -p "$cache"
tarball=$cache/bookworm-minbase-systemd.tar.gz
if [ ! -s "$tarball" ]; then
  debootstrap --variant=minbase --include=systemd,man-db bookworm "$work/fresh" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; fail "debootstrap failed"; }
  tar -C "$work/fresh" -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$work/fresh"
fi
mkdir "$root"
tar -C "$root" -xzf "$tarball"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
cp "$deb" "$root/tmp/latchkey.deb"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

echo "== install"
in_root apt-get -o Acquire::Retries=3 update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=3 install -y -qq --no-install-recommends \
  /tmp/latchkey.deb >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "apt-get install failed"; }
[ "$(in_root dpkg-query -W -f='${Status}' latchkey)" = "install ok installed" ] || fail "not installed"
user=$(in_root getent passwd latchkey) || fail "no latchkey system user"
uid=$(echo "$user" | cut -d: -f3)
[ "$uid" -lt 1000 ] || fail "latchkey is not a system user (uid $uid)"
[[ "$user" == *:/usr/sbin/nologin ]] || fail "the latchkey user can log in: $user"
in_root dpkg-query -W -f='${Conffiles}\n' latchkey | grep -q '/etc/latchkey/hub.toml' ||
  fail "/etc/latchkey/hub.toml is not a conffile"

echo "== the binary"
readelf -S "$root/usr/bin/latchkey" | grep -q '\.debug_info' && fail "the binary is not stripped"
size=$(stat -c %s "$root/usr/bin/latchkey")
echo "stripped binary: $size bytes"
[ "$(in_root latchkey --version)" = "latchkey 0.1.0" ] || fail "latchkey --version"
help=$(in_root latchkey hub --help)
# The options the README and hub.toml talk about.
for option in --config --data --http --tls-cert --tls-key --tls --webhook-cacert --metrics-loopback --mqtt --matter; do
  grep -q -- "$option" <<<"$help" || fail "latchkey hub --help does not name $option"
done
for command in hub lock demo login locks unlock history link; do
  in_root latchkey --help | grep -qw "$command" || fail "latchkey --help does not name $command"
done

echo "== the units"
for unit in latchkey-hub.service latchkey-lock@front.service; do
  # --man=no: the host's man cannot look inside the root; the page is checked below.
  systemd-analyze verify --man=no --root="$root" "$unit" >"$work/verify.log" 2>&1 ||
    { cat "$work/verify.log"; fail "systemd-analyze verify $unit"; }
  if [ -s "$work/verify.log" ]; then cat "$work/verify.log"; fail "systemd-analyze verify $unit warned"; fi
done
in_root man -w latchkey >/dev/null || fail "no man page latchkey(1) in the root"
grep -q '^ExecStart=/usr/bin/latchkey hub --config /etc/latchkey/hub.toml' "$root/usr/lib/systemd/system/latchkey-hub.service" ||
  fail "latchkey-hub.service does not run the installed binary with the shipped configuration"

echo "== the installed hub runs from the shipped configuration, as its user"
mkdir -p "$root/var/lib/latchkey-test"
chown latchkey: "$root/var/lib/latchkey-test" 2>/dev/null || in_root chown latchkey:latchkey /var/lib/latchkey-test
chroot --userspec=latchkey:latchkey "$root" /usr/bin/env -i PATH=/usr/bin:/bin \
  /usr/bin/latchkey hub --config /etc/latchkey/hub.toml --data /var/lib/latchkey-test --http 127.0.0.1:0 \
  >"$work/hub.log" 2>&1 &
hub_pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'latchkey hub on http://127\.0\.0\.1:[0-9]*' "$work/hub.log" | sed 's/latchkey hub on //' || true)
  [ -n "$url" ] && break
  kill -0 "$hub_pid" 2>/dev/null || { cat "$work/hub.log"; fail "the installed hub exited"; }
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/hub.log"; fail "the installed hub did not start"; }
curl -sf "$url/healthz" >/dev/null || fail "$url/healthz failed"
kill "$hub_pid"; wait "$hub_pid" || true; hub_pid=""

echo "== purge"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq latchkey >"$work/purge.log" 2>&1 ||
  { cat "$work/purge.log"; fail "apt-get purge failed"; }
[ ! -e "$root/usr/bin/latchkey" ] || fail "purge left /usr/bin/latchkey"
[ ! -e "$root/etc/latchkey" ] || fail "purge left /etc/latchkey"
in_root getent passwd latchkey >/dev/null && fail "purge left the latchkey user"
echo "package_test: OK"
