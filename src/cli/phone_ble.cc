#include "cli/phone_ble.h"

#include <poll.h>
#include <sdbus-c++/sdbus-c++.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#include "device/ble_contract.h"

namespace latchkey::cli {

namespace ble = device::ble;
using Dict = std::map<std::string, sdbus::Variant>;
using ObjectTree = std::map<sdbus::ObjectPath, std::map<std::string, Dict>>;
using Clock = std::chrono::steady_clock;

namespace {

// Reads of "to phone" when BlueZ would not notify.
constexpr auto kReadEvery = std::chrono::milliseconds(20);

template <typename T>
std::optional<T> Get(const Dict& properties, const std::string& name) {
  const auto it = properties.find(name);
  if (it == properties.end() || !it->second.containsValueOfType<T>()) return std::nullopt;
  return it->second.get<T>();
}

std::string Upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
  return text;
}

// What is left until `deadline`, as a D-Bus call timeout (at least 1 ms: 0 means the default).
uint64_t TimeoutUs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now()).count();
  return static_cast<uint64_t>(std::max<int64_t>(1000, left));
}

}  // namespace

struct BlePhoneTransport::State {
  BleTarget target;
  std::unique_ptr<sdbus::IConnection> bus;
  std::string adapter_path, device_path, address, to_lock_path, to_phone_path;
  std::vector<sdbus::Slot> matches;
  std::unique_ptr<sdbus::IProxy> device, to_lock, to_phone;
  std::size_t max_fragment = 20;
  bool notifying = false;
  bool connected_here = false;  // this connected the device, and disconnects it at the end
  bool resolved = false;
  bool gone = false;  // the device disconnected after resolving
  std::deque<link::PhoneFragment> received;

  // Whether a Device1 with these properties is the lock we look for.
  bool Wanted(const std::string& path, const Dict& properties) const {
    if (path.rfind(adapter_path + "/", 0) != 0) return false;
    if (!target.address.empty()) return Upper(Get<std::string>(properties, "Address").value_or("")) == Upper(target.address);
    const auto uuids = Get<std::vector<std::string>>(properties, "UUIDs").value_or(std::vector<std::string>{});
    return std::find(uuids.begin(), uuids.end(), std::string(ble::kServiceUuid)) != uuids.end();
  }

  void Found(const std::string& path, const Dict& properties) {
    if (!device_path.empty() || !Wanted(path, properties)) return;
    device_path = path;
    address = Get<std::string>(properties, "Address").value_or("");
  }

  // Processes the bus (signals land in the matches) until `done` or the deadline.
  bool Wait(Clock::time_point deadline, const std::function<bool()>& done) {
    while (true) {
      while (bus->processPendingRequest()) {
        if (done()) return true;
      }
      if (done()) return true;
      const auto now = Clock::now();
      if (now >= deadline) return false;
      const auto poll_data = bus->getEventLoopPollData();
      int timeout = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
      if (const int bus_timeout = poll_data.getPollTimeout(); bus_timeout >= 0) timeout = std::min(timeout, bus_timeout);
      pollfd pfd{poll_data.fd, poll_data.events, 0};
      ::poll(&pfd, 1, timeout);
    }
  }

  void Watch() {
    matches.push_back(bus->addMatch(
        "type='signal',sender='org.bluez',interface='org.freedesktop.DBus.ObjectManager',member='InterfacesAdded'",
        [this](sdbus::Message& message) {
          sdbus::ObjectPath path;
          std::map<std::string, Dict> interfaces;
          message >> path >> interfaces;
          if (const auto it = interfaces.find(ble::kDeviceInterface); it != interfaces.end()) Found(path, it->second);
        }));
    matches.push_back(bus->addMatch(
        "type='signal',sender='org.bluez',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'",
        [this](sdbus::Message& message) {
          std::string interface;
          Dict changed;
          message >> interface >> changed;
          const std::string path = message.getPath();
          if (interface == ble::kDeviceInterface && !device_path.empty() && path == device_path) {
            if (Get<bool>(changed, "ServicesResolved") == true) resolved = true;
            if (Get<bool>(changed, "Connected") == false && resolved) gone = true;
          } else if (interface == ble::kDeviceInterface && device_path.empty()) {
            // A known device seen again by discovery, now with the service's UUID.
            if (changed.count("UUIDs")) Found(path, changed);
          } else if (interface == ble::kGattCharacteristicInterface && notifying && path == to_phone_path) {
            if (auto value = Get<std::vector<uint8_t>>(changed, "Value")) received.push_back(std::move(*value));
          }
        }));
  }

  ObjectTree Objects(Clock::time_point deadline) {
    ObjectTree objects;
    auto root = sdbus::createProxy(*bus, ble::kBluez, "/");
    root->callMethod("GetManagedObjects").onInterface(ble::kObjectManagerInterface).withTimeout(TimeoutUs(deadline))
        .storeResultsTo(objects);
    return objects;
  }

  core::Status FindDevice(Clock::time_point deadline) {
    const ObjectTree objects = Objects(deadline);
    const auto adapter = objects.find(sdbus::ObjectPath(adapter_path));
    if (adapter == objects.end() || !adapter->second.count(ble::kAdapterInterface)) {
      return core::Status::IoError("phone: BlueZ has no adapter " + target.adapter);
    }
    for (const auto& [path, interfaces] : objects) {
      if (const auto it = interfaces.find(ble::kDeviceInterface); it != interfaces.end()) Found(path, it->second);
    }
    if (!device_path.empty()) return core::Status::Ok();
    auto adapter_proxy = sdbus::createProxy(*bus, ble::kBluez, adapter_path);
    const Dict filter{{"UUIDs", sdbus::Variant(std::vector<std::string>{std::string(ble::kServiceUuid)})},
                      {"Transport", sdbus::Variant(std::string("le"))}};
    adapter_proxy->callMethod("SetDiscoveryFilter").onInterface(ble::kAdapterInterface).withTimeout(TimeoutUs(deadline))
        .withArguments(filter);
    adapter_proxy->callMethod("StartDiscovery").onInterface(ble::kAdapterInterface).withTimeout(TimeoutUs(deadline));
    const bool found = Wait(deadline, [this] { return !device_path.empty(); });
    try {
      adapter_proxy->callMethod("StopDiscovery").onInterface(ble::kAdapterInterface).withTimeout(TimeoutUs(Clock::now() + std::chrono::seconds(2)));
    } catch (const sdbus::Error&) {
      // Another client may still be discovering; BlueZ stops when the last one does.
    }
    if (!found) {
      return core::Status::IoError(target.address.empty() ? "phone: no lock found nearby (none advertises the latchkey service)"
                                                          : "phone: no lock " + target.address + " found nearby");
    }
    return core::Status::Ok();
  }

  core::Status ConnectDevice(Clock::time_point deadline) {
    device = sdbus::createProxy(*bus, ble::kBluez, device_path);
    const auto property = [&](const std::string& name) {
      sdbus::Variant value;
      device->callMethod("Get").onInterface(ble::kPropertiesInterface).withTimeout(TimeoutUs(deadline))
          .withArguments(std::string(ble::kDeviceInterface), name).storeResultsTo(value);
      return value.containsValueOfType<bool>() && value.get<bool>();
    };
    if (!property("Connected")) {
      device->callMethod("Connect").onInterface(ble::kDeviceInterface).withTimeout(TimeoutUs(deadline));
      connected_here = true;
    }
    if (property("ServicesResolved")) resolved = true;
    if (!Wait(deadline, [this] { return resolved; })) {
      return core::Status::IoError("phone: the lock's services were not resolved in time");
    }
    return core::Status::Ok();
  }

  core::Status FindCharacteristics(Clock::time_point deadline) {
    std::size_t mtu = 0;
    for (const auto& [path, interfaces] : Objects(deadline)) {
      if (path.rfind(device_path + "/", 0) != 0) continue;
      const auto it = interfaces.find(ble::kGattCharacteristicInterface);
      if (it == interfaces.end()) continue;
      const auto uuid = Get<std::string>(it->second, "UUID").value_or("");
      if (uuid == ble::kToLockUuid) {
        to_lock_path = path;
        mtu = Get<uint16_t>(it->second, "MTU").value_or(0);
      } else if (uuid == ble::kToPhoneUuid) {
        to_phone_path = path;
      }
    }
    if (to_lock_path.empty() || to_phone_path.empty()) {
      return core::Status::IoError("phone: " + address + " has no latchkey service");
    }
    auto max_fragment_for = link::MaxFragmentForMtu(std::max(mtu, link::kMinBleMtu));
    LATCHKEY_TRY(max_fragment_for);
    max_fragment = *max_fragment_for;
    to_lock = sdbus::createProxy(*bus, ble::kBluez, to_lock_path);
    to_phone = sdbus::createProxy(*bus, ble::kBluez, to_phone_path);
    try {
      notifying = true;  // before the call: a notification may come before its answer
      to_phone->callMethod("StartNotify").onInterface(ble::kGattCharacteristicInterface).withTimeout(TimeoutUs(deadline));
    } catch (const sdbus::Error&) {
      notifying = false;  // read instead
      received.clear();
    }
    return core::Status::Ok();
  }
};

core::Result<std::unique_ptr<BlePhoneTransport>> BlePhoneTransport::Connect(const BleTarget& target,
                                                                            Clock::time_point deadline) {
  auto state = std::make_unique<State>();
  state->target = target;
  auto adapter_path = ble::AdapterPath(target.adapter);
  LATCHKEY_TRY(adapter_path);
  state->adapter_path = *adapter_path;
  auto bus = ble::OpenBluezBus();
  LATCHKEY_TRY(bus);
  state->bus = std::move(bus).value();
  try {
    state->Watch();
    LATCHKEY_TRY(state->FindDevice(deadline));
    LATCHKEY_TRY(state->ConnectDevice(deadline));
    LATCHKEY_TRY(state->FindCharacteristics(deadline));
  } catch (const sdbus::Error& e) {
    return core::Status::IoError("phone: Bluetooth: " + e.getMessage() + " (" + e.getName() + ")");
  }
  return std::unique_ptr<BlePhoneTransport>(new BlePhoneTransport(std::move(state)));
}

BlePhoneTransport::BlePhoneTransport(std::unique_ptr<State> state) : state_(std::move(state)) {}

BlePhoneTransport::~BlePhoneTransport() {
  // Best effort: the lock ends its session when the phone disconnects (or after 30 s idle).
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  try {
    if (state_->notifying && state_->to_phone) {
      state_->to_phone->callMethod("StopNotify").onInterface(ble::kGattCharacteristicInterface).withTimeout(TimeoutUs(deadline));
    }
  } catch (const sdbus::Error&) {
  }
  try {
    if (state_->connected_here && state_->device) {
      state_->device->callMethod("Disconnect").onInterface(ble::kDeviceInterface).withTimeout(TimeoutUs(deadline));
    }
  } catch (const sdbus::Error&) {
  }
}

const std::string& BlePhoneTransport::address() const { return state_->address; }

std::size_t BlePhoneTransport::max_fragment() const { return state_->max_fragment; }

core::Status BlePhoneTransport::Send(const std::vector<link::PhoneFragment>& fragments) {
  try {
    for (const auto& fragment : fragments) {
      // With response: the lock refuses a fragment it cannot take (busy, no session), and the
      // phone should hear it rather than wait for an answer that will not come.
      state_->to_lock->callMethod("WriteValue").onInterface(ble::kGattCharacteristicInterface)
          .withTimeout(TimeoutUs(Clock::now() + std::chrono::seconds(10)))
          .withArguments(fragment, Dict{{"type", sdbus::Variant(std::string("request"))}});
    }
  } catch (const sdbus::Error& e) {
    const std::string why = e.getName() == "org.bluez.Error.InProgress" ? "another phone is at the door" : e.getMessage();
    return core::Status::IoError("phone: the lock refused a write: " + why + " (" + e.getName() + ")");
  }
  return core::Status::Ok();
}

core::Result<link::PhoneFragment> BlePhoneTransport::Receive(Clock::time_point deadline) {
  State& s = *state_;
  try {
    while (s.received.empty()) {
      if (s.gone) return core::Status::IoError("phone: the lock disconnected");
      if (Clock::now() >= deadline) return core::Status::IoError("phone: the lock did not answer in time");
      if (s.notifying) {
        s.Wait(deadline, [&] { return !s.received.empty() || s.gone; });
        continue;
      }
      std::vector<uint8_t> value;
      s.to_phone->callMethod("ReadValue").onInterface(ble::kGattCharacteristicInterface).withTimeout(TimeoutUs(deadline))
          .withArguments(Dict{}).storeResultsTo(value);
      if (!value.empty()) {
        s.received.push_back(std::move(value));
      } else {
        s.Wait(std::min(deadline, Clock::now() + kReadEvery), [&] { return s.gone; });
      }
    }
  } catch (const sdbus::Error& e) {
    return core::Status::IoError("phone: Bluetooth: " + e.getMessage() + " (" + e.getName() + ")");
  }
  link::PhoneFragment next = std::move(s.received.front());
  s.received.pop_front();
  return next;
}

}  // namespace latchkey::cli
