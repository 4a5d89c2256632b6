#include "device/ble_contract.h"

#include <sdbus-c++/sdbus-c++.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace latchkey::device::ble {

std::string AdvertisedName(std::string_view lock_id) {
  const std::string_view tail = lock_id.size() > 4 ? lock_id.substr(lock_id.size() - 4) : lock_id;
  return "latchkey-" + std::string(tail);
}

core::Result<std::string> AdapterPath(std::string_view adapter) {
  const bool digits = adapter.size() > 3 && adapter.size() <= 8 && adapter.substr(0, 3) == "hci" &&
                      std::all_of(adapter.begin() + 3, adapter.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (!digits) return core::Status::Invalid("a Bluetooth adapter is hciN, not '" + std::string(adapter) + "'");
  return "/org/bluez/" + std::string(adapter);
}

core::Result<std::unique_ptr<sdbus::IConnection>> OpenBluezBus() {
  try {
    if (const char* address = std::getenv("LATCHKEY_DBUS_ADDRESS"); address != nullptr && *address != '\0') {
      return sdbus::createSessionBusConnectionWithAddress(address);
    }
    return sdbus::createSystemBusConnection();
  } catch (const sdbus::Error& e) {
    return core::Status::IoError("no system bus: " + e.getMessage());
  }
}

}  // namespace latchkey::device::ble
