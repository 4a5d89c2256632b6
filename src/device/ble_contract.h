// The lock's Bluetooth LE GATT contract (PHONE-KEYS.md 2; docs/phone-keys.md, "Bluetooth LE"):
// what a phone (the web app, the CLI central, a native app) finds on the air and on the lock's
// GATT server. These values are fixed: phones in the field depend on them.
//
//   service   4c4b0001-5a8e-4d6b-9a61-7463686b6579   primary
//   to lock   4c4b0002-...   write, write-without-response   one fragment per write
//   to phone  4c4b0003-...   read, notify                    one fragment per notification or read
//
// A fragment is phone_frame.h's [seq][flags][payload], with no length prefix: a GATT write,
// notification or read value already has a length.
//
// Also the D-Bus names of BlueZ that both ends use (the lock as peripheral, the CLI as central),
// and how a process finds the system bus.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sdbus {
class IConnection;
}

namespace latchkey::device::ble {

inline constexpr std::string_view kServiceUuid = "4c4b0001-5a8e-4d6b-9a61-7463686b6579";
inline constexpr std::string_view kToLockUuid = "4c4b0002-5a8e-4d6b-9a61-7463686b6579";
inline constexpr std::string_view kToPhoneUuid = "4c4b0003-5a8e-4d6b-9a61-7463686b6579";

inline constexpr const char* kBluez = "org.bluez";
inline constexpr const char* kAdapterInterface = "org.bluez.Adapter1";
inline constexpr const char* kDeviceInterface = "org.bluez.Device1";
inline constexpr const char* kGattManagerInterface = "org.bluez.GattManager1";
inline constexpr const char* kGattServiceInterface = "org.bluez.GattService1";
inline constexpr const char* kGattCharacteristicInterface = "org.bluez.GattCharacteristic1";
inline constexpr const char* kAdvertisingManagerInterface = "org.bluez.LEAdvertisingManager1";
inline constexpr const char* kAdvertisementInterface = "org.bluez.LEAdvertisement1";
inline constexpr const char* kPropertiesInterface = "org.freedesktop.DBus.Properties";
inline constexpr const char* kObjectManagerInterface = "org.freedesktop.DBus.ObjectManager";

// The name the lock advertises: "latchkey-" and the last 4 hex digits of its id
// ("lk-0011223344556677" -> "latchkey-6677"), so that a person can tell two locks apart in a
// scan. Phones find the lock by the service UUID in the advertising data; BlueZ sends the name in
// the scan response, since the 128-bit UUID and the flags take 21 of a legacy advertisement's 31
// bytes.
std::string AdvertisedName(std::string_view lock_id);

// "/org/bluez/hci0" for "hci0". kInvalid for anything but hci and digits, which would otherwise
// end up in an object path.
core::Result<std::string> AdapterPath(std::string_view adapter);

// The bus BlueZ is on: the address in LATCHKEY_DBUS_ADDRESS when set, else the system bus (which
// sd-bus takes from DBUS_SYSTEM_BUS_ADDRESS when set), so that tests can point both ends at a
// private dbus-daemon. kIoError with why when there is none.
core::Result<std::unique_ptr<sdbus::IConnection>> OpenBluezBus();

}  // namespace latchkey::device::ble
