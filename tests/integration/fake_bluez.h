// A private D-Bus bus with a fake BlueZ on it, for the BLE tests (docs/phone-keys.md, "Bluetooth
// LE"): no radio, no bluetoothd, seconds per test.
//
// PrivateBus runs `dbus-daemon` with a configuration that allows everything, on a socket in a
// temporary folder. FakeBluez owns org.bluez there, with one adapter, hci0, and plays both sides
// of BlueZ that latchkey talks to:
//  - the peripheral's, for `latchkey lock --ble`: GattManager1.RegisterApplication reads the
//    application's objects with GetManagedObjects *before* it answers (as bluetoothd does, which
//    is why the lock must register asynchronously) and checks them; RegisterAdvertisement reads
//    the advertisement's properties. The test then plays a phone on the lock's characteristics:
//    WriteValue with a device and an MTU in the options, StartNotify and the PropertiesChanged
//    of Value, ReadValue; and tells the lock that a device disconnected.
//  - the central's, for `latchkey phone ... --ble`: Adapter1 discovery makes a Device1 for the
//    lock appear (advertising the service UUID); Device1.Connect resolves its services, whose two
//    characteristics pass writes, reads and notifications through to the lock's application,
//    as a radio between two BlueZ stacks would. Their MTU is 23.
// It runs its own sdbus event loop thread; every method here is safe to call from the test.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "process.h"

namespace latchkey::testing {

class PrivateBus {
 public:
  PrivateBus();
  // "unix:path=..."; empty when dbus-daemon did not start.
  const std::string& address() const { return address_; }

 private:
  TempDir dir_{"latchkey-bus"};
  Process daemon_;
  std::string address_;
};

class FakeBluez {
 public:
  using Dict = std::map<std::string, sdbus::Variant>;

  // The phone the lock sees (peripheral side) and the lock the CLI finds (central side).
  static constexpr const char* kAdapterPath = "/org/bluez/hci0";
  static constexpr const char* kPhoneDevice = "/org/bluez/hci0/dev_00_AA_01_00_00_03";
  static constexpr const char* kLockAddress = "00:AA:01:00:00:02";
  static constexpr const char* kLockDevice = "/org/bluez/hci0/dev_00_AA_01_00_00_02";

  // What RegisterApplication found in the application's tree.
  struct App {
    std::string owner, root;
    std::string service_path, to_lock_path, to_phone_path;
    std::vector<std::string> to_lock_flags, to_phone_flags;
    std::string problem;  // empty when the tree is as a GATT service must be
  };
  struct Advertisement {
    std::string type, local_name;
    std::vector<std::string> service_uuids;
  };

  explicit FakeBluez(const std::string& address);
  ~FakeBluez();

  std::optional<App> WaitForApp(std::chrono::milliseconds timeout);
  std::optional<Advertisement> WaitForAdvertisement(std::chrono::milliseconds timeout);
  bool powered() const;
  // What the central asked for in SetDiscoveryFilter.
  Dict discovery_filter() const;

  // A phone at the lock's application (after WaitForApp). The D-Bus error name of a refused call.
  std::optional<std::string> WriteToLock(const std::string& device, const std::vector<uint8_t>& fragment,
                                         uint16_t mtu = 23);
  std::vector<uint8_t> ReadFromLock(const std::string& device, uint16_t mtu = 23);
  void StartNotify();
  void StopNotify();
  // The next notification from the lock (the Value of a PropertiesChanged), in order.
  std::optional<std::vector<uint8_t>> NextNotification(std::chrono::milliseconds timeout);
  // Tells the lock that `device` disconnected (Device1.Connected false).
  void Disconnect(const std::string& device);

 private:
  void ExportAdapter();
  void OnRegisterApplication(sdbus::Result<>&& result, const std::string& sender, const sdbus::ObjectPath& root);
  void OnRegisterAdvertisement(sdbus::Result<>&& result, const std::string& sender, const sdbus::ObjectPath& path);
  void AddLockDevice();
  void ResolveLockServices();
  void Watch(const App& app);

  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<sdbus::IObject> root_, adapter_;
  std::map<std::string, std::unique_ptr<sdbus::IObject>> devices_;  // by path
  std::unique_ptr<sdbus::IObject> remote_service_, remote_to_lock_, remote_to_phone_;
  std::vector<std::unique_ptr<sdbus::IProxy>> pending_;  // proxies of calls in flight
  std::unique_ptr<sdbus::IProxy> to_lock_, to_phone_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<App> app_;
  std::optional<Advertisement> advertisement_;
  bool powered_ = false;
  Dict filter_;
  std::map<std::string, bool> connected_;  // device path -> Connected
  std::deque<std::vector<uint8_t>> notifications_;
  std::vector<uint8_t> remote_value_;  // the central's view of "to phone"
  bool remote_notifying_ = false;
};

}  // namespace latchkey::testing
