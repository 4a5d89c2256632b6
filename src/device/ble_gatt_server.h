// The lock's phone keys over Bluetooth LE (`latchkey lock --ble`, PHONE-KEYS.md 2): a GATT
// service and an LE advertisement registered with BlueZ over D-Bus (sdbus-c++), the same session
// as over TCP (PhoneDoor) with fragments carried by GATT writes, notifications and reads
// (ble_contract.h, ble_sessions.h; docs/phone-keys.md "Bluetooth LE").
//
// The objects, under an ObjectManager at /org/latchkey/ble (what BlueZ reads with
// GetManagedObjects when the application registers):
//   /org/latchkey/ble/service0          org.bluez.GattService1        the service, primary
//   /org/latchkey/ble/service0/char0    org.bluez.GattCharacteristic1 "to lock": WriteValue
//   /org/latchkey/ble/service0/char1    org.bluez.GattCharacteristic1 "to phone": ReadValue,
//                                       StartNotify, StopNotify, Value (notifications)
// and, outside the application's tree,
//   /org/latchkey/advertisement0        org.bluez.LEAdvertisement1    peripheral, the service
//                                       UUID, LocalName "latchkey-" + the lock id's last 4 hex digits
//
// Registration is asynchronous: BlueZ calls back into the application (GetManagedObjects) before
// it answers RegisterApplication, so a blocking call would deadlock the one thread that could
// answer. It goes: Adapter1.Powered = true, GattManager1.RegisterApplication,
// LEAdvertisingManager1.RegisterAdvertisement, each after the previous answered; success is
// reported through `advertising` (the daemon prints a machine-readable line), failure is logged
// and the lock goes on without BLE. When BlueZ restarts (its bus name changes owner) the sessions
// end and registration runs again; when it is not there yet, the lock waits for it.
//
// Everything runs on the lock's asio thread (ble_bus.h).
#pragma once

#include "platform/asio.h"

#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "crypto/noise_handshake.h"
#include "device/lock_runtime.h"

namespace latchkey::device {

class BleGattServer {
 public:
  struct Options {
    std::string adapter = "hci0";
    // Called once registration is done: the adapter and the name advertised.
    std::function<void(const std::string& adapter, const std::string& name)> advertising;
  };

  BleGattServer(boost::asio::io_context& io, LockRuntime& runtime, const crypto::NoiseKeypair& static_key,
                std::string lock_id, Options options);
  ~BleGattServer();

  // Connects to the bus and exports the objects; registration goes on from the loop. kIoError
  // when there is no bus to talk to BlueZ on, kInvalid for a bad adapter name: BLE is off.
  core::Status Start();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace latchkey::device
