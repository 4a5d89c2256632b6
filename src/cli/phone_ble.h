// The CLI phone over Bluetooth LE (`latchkey phone ... --ble`): a GATT central through BlueZ's
// D-Bus API, blocking, on the bus ble_contract.h names (LATCHKEY_DBUS_ADDRESS, else the system
// bus). docs/phone-keys.md, "Bluetooth LE":
//  1. the adapter's Device1 for the lock: one BlueZ already knows (with the given address, or
//     else advertising the service UUID), or else discovery with SetDiscoveryFilter {UUIDs:
//     [service], Transport: "le"} and StartDiscovery until one appears;
//  2. Device1.Connect, then ServicesResolved;
//  3. the two characteristics under the device by UUID; the fragments' size from the "to lock"
//     characteristic's MTU property (BlueZ >= 5.62), else ATT_MTU 23;
//  4. StartNotify on "to phone", the lock's fragments from the PropertiesChanged of its Value;
//     should BlueZ refuse to notify, by reading "to phone" every 20 ms instead;
//  5. each fragment a WriteValue on "to lock" with {type: "request"}, in order.
// The session ends with Device1.Disconnect when this connected the device.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "cli/phone_transport.h"

namespace latchkey::cli {

struct BleTarget {
  std::string adapter = "hci0";
  std::string address;  // AA:BB:CC:DD:EE:FF; empty: the first lock found advertising the service
};

class BlePhoneTransport : public PhoneTransport {
 public:
  // kInvalid for a bad adapter name; kIoError with why when there is no bus, no BlueZ, no such
  // adapter, no lock found or no connection before `deadline`.
  static core::Result<std::unique_ptr<BlePhoneTransport>> Connect(const BleTarget& target,
                                                                  std::chrono::steady_clock::time_point deadline);
  ~BlePhoneTransport() override;

  // The lock's Bluetooth address, as BlueZ gives it (what the phone pins the lock's key under).
  const std::string& address() const;

  std::size_t max_fragment() const override;
  core::Status Send(const std::vector<link::PhoneFragment>& fragments) override;
  core::Result<link::PhoneFragment> Receive(std::chrono::steady_clock::time_point deadline) override;

  struct State;

 private:
  explicit BlePhoneTransport(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace latchkey::cli
