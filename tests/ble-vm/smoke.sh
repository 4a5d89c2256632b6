#!/bin/bash
# The VM's own check, without the lock: bluetoothd is on the bus, btvirt's two LE controllers are
# powered, and the host's latchkey binary runs inside the guest.
#   scripts/ble-vm -- tests/ble-vm/smoke.sh LATCHKEY_BINARY
set -euo pipefail
latchkey="$1"
controllers="$(bluetoothctl list)"
echo "$controllers"
[ "$(grep -c '^Controller' <<<"$controllers")" = 2 ] || { echo "smoke: expected two controllers"; exit 1; }
for hci in hci0 hci1; do
  powered="$(dbus-send --system --print-reply --dest=org.bluez "/org/bluez/$hci" \
    org.freedesktop.DBus.Properties.Get string:org.bluez.Adapter1 string:Powered)"
  grep -q "boolean true" <<<"$powered" || { echo "smoke: $hci is not powered: $powered"; exit 1; }
done
"$latchkey" --version
echo "smoke: ok"
