#include "fake_bluez.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "device/ble_contract.h"
#include "wait.h"

namespace latchkey::testing {

namespace ble = device::ble;
using ObjectTree = std::map<sdbus::ObjectPath, std::map<std::string, FakeBluez::Dict>>;

PrivateBus::PrivateBus() {
  const std::string socket = dir_.path() + "/bus";
  const std::string config = dir_.path() + "/bus.conf";
  std::ofstream(config) << R"(<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=)" << socket << R"(</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
)";
  ProcessOptions options;
  options.stdout_path = dir_.path() + "/dbus.log";
  if (!daemon_.Start({"/usr/bin/dbus-daemon", "--config-file=" + config, "--nofork"}, options)) return;
  if (WaitUntil([&] { return std::filesystem::exists(socket) || !daemon_.Running(); }, std::chrono::seconds(5)) &&
      daemon_.Running()) {
    address_ = "unix:path=" + socket;
  }
}

namespace {

template <typename T>
std::optional<T> Get(const FakeBluez::Dict& properties, const std::string& name) {
  const auto it = properties.find(name);
  if (it == properties.end() || !it->second.containsValueOfType<T>()) return std::nullopt;
  return it->second.get<T>();
}

// Each characteristic of the lock's tree, checked as bluetoothd would take it.
std::string CheckTree(const ObjectTree& objects, FakeBluez::App& app) {
  for (const auto& [path, interfaces] : objects) {
    if (const auto it = interfaces.find(ble::kGattServiceInterface); it != interfaces.end()) {
      if (!app.service_path.empty()) return "two services";
      if (Get<std::string>(it->second, "UUID") != std::string(ble::kServiceUuid)) return "the service's UUID";
      if (Get<bool>(it->second, "Primary") != true) return "the service is not primary";
      app.service_path = path;
    }
  }
  if (app.service_path.empty()) return "no service";
  for (const auto& [path, interfaces] : objects) {
    const auto it = interfaces.find(ble::kGattCharacteristicInterface);
    if (it == interfaces.end()) continue;
    if (Get<sdbus::ObjectPath>(it->second, "Service") != sdbus::ObjectPath(app.service_path)) {
      return "characteristic " + path + " is not the service's";
    }
    if (path.rfind(app.service_path + "/", 0) != 0) return "characteristic " + path + " is not under its service";
    const auto uuid = Get<std::string>(it->second, "UUID").value_or("");
    const auto flags = Get<std::vector<std::string>>(it->second, "Flags").value_or(std::vector<std::string>{});
    if (uuid == ble::kToLockUuid) {
      app.to_lock_path = path;
      app.to_lock_flags = flags;
    } else if (uuid == ble::kToPhoneUuid) {
      app.to_phone_path = path;
      app.to_phone_flags = flags;
    } else {
      return "an unknown characteristic " + uuid;
    }
  }
  if (app.to_lock_path.empty() || app.to_phone_path.empty()) return "a characteristic is missing";
  return "";
}

FakeBluez::Dict ToLockOptions(const std::string& device, uint16_t mtu, const std::string& type) {
  FakeBluez::Dict options{{"device", sdbus::Variant(sdbus::ObjectPath(device))}, {"mtu", sdbus::Variant(mtu)}};
  if (!type.empty()) options["type"] = sdbus::Variant(type);
  return options;
}

}  // namespace

FakeBluez::FakeBluez(const std::string& address) {
  connection_ = sdbus::createSessionBusConnectionWithAddress(address);
  connection_->requestName(ble::kBluez);
  root_ = sdbus::createObject(*connection_, "/");
  root_->addObjectManager();
  root_->finishRegistration();
  ExportAdapter();
  // The phone that the lock sees, connected.
  connected_[kPhoneDevice] = true;
  auto phone = sdbus::createObject(*connection_, kPhoneDevice);
  phone->registerProperty("Address").onInterface(ble::kDeviceInterface).withGetter([] {
    return std::string("00:AA:01:00:00:03");
  });
  phone->registerProperty("Connected").onInterface(ble::kDeviceInterface).withGetter([this] {
    std::lock_guard lock(mu_);
    return connected_[kPhoneDevice];
  });
  phone->finishRegistration();
  devices_[kPhoneDevice] = std::move(phone);
  connection_->enterEventLoopAsync();
}

FakeBluez::~FakeBluez() {
  connection_->leaveEventLoop();
  to_lock_.reset();
  to_phone_.reset();
  pending_.clear();
  remote_to_lock_.reset();
  remote_to_phone_.reset();
  remote_service_.reset();
  devices_.clear();
  adapter_.reset();
  root_.reset();
}

void FakeBluez::ExportAdapter() {
  adapter_ = sdbus::createObject(*connection_, kAdapterPath);
  adapter_->registerProperty("Address").onInterface(ble::kAdapterInterface).withGetter([] {
    return std::string("00:AA:01:00:00:01");
  });
  adapter_->registerProperty("Powered")
      .onInterface(ble::kAdapterInterface)
      .withGetter([this] {
        std::lock_guard lock(mu_);
        return powered_;
      })
      .withSetter([this](const bool& on) {
        std::lock_guard lock(mu_);
        powered_ = on;
      });
  adapter_->registerMethod("SetDiscoveryFilter").onInterface(ble::kAdapterInterface).implementedAs([this](const Dict& filter) {
    std::lock_guard lock(mu_);
    filter_ = filter;
  });
  adapter_->registerMethod("StartDiscovery").onInterface(ble::kAdapterInterface).implementedAs([this] { AddLockDevice(); });
  adapter_->registerMethod("StopDiscovery").onInterface(ble::kAdapterInterface).implementedAs([] {});
  adapter_->registerMethod("RegisterApplication")
      .onInterface(ble::kGattManagerInterface)
      .implementedAs([this](sdbus::Result<>&& result, const sdbus::ObjectPath& root, const Dict&) {
        OnRegisterApplication(std::move(result), adapter_->getCurrentlyProcessedMessage()->getSender(), root);
      });
  adapter_->registerMethod("UnregisterApplication")
      .onInterface(ble::kGattManagerInterface)
      .implementedAs([](const sdbus::ObjectPath&) {});
  adapter_->registerMethod("RegisterAdvertisement")
      .onInterface(ble::kAdvertisingManagerInterface)
      .implementedAs([this](sdbus::Result<>&& result, const sdbus::ObjectPath& path, const Dict&) {
        OnRegisterAdvertisement(std::move(result), adapter_->getCurrentlyProcessedMessage()->getSender(), path);
      });
  adapter_->registerMethod("UnregisterAdvertisement")
      .onInterface(ble::kAdvertisingManagerInterface)
      .implementedAs([](const sdbus::ObjectPath&) {});
  adapter_->finishRegistration();
}

// As bluetoothd: the answer waits until the application's objects have been read.
void FakeBluez::OnRegisterApplication(sdbus::Result<>&& result, const std::string& sender, const sdbus::ObjectPath& root) {
  auto answer = std::make_shared<sdbus::Result<>>(std::move(result));
  auto proxy = sdbus::createProxy(*connection_, sender, root);
  proxy->callMethodAsync("GetManagedObjects")
      .onInterface(ble::kObjectManagerInterface)
      .uponReplyInvoke([this, answer, sender, root](const sdbus::Error* error, const ObjectTree& objects) {
        App app;
        app.owner = sender;
        app.root = root;
        app.problem = error ? "GetManagedObjects: " + error->getMessage() : CheckTree(objects, app);
        if (app.problem.empty()) Watch(app);
        {
          std::lock_guard lock(mu_);
          app_ = app;
        }
        cv_.notify_all();
        if (app.problem.empty()) {
          answer->returnResults();
        } else {
          answer->returnError(sdbus::Error("org.bluez.Error.Failed", app.problem));
        }
      });
  pending_.push_back(std::move(proxy));
}

void FakeBluez::OnRegisterAdvertisement(sdbus::Result<>&& result, const std::string& sender, const sdbus::ObjectPath& path) {
  auto answer = std::make_shared<sdbus::Result<>>(std::move(result));
  auto proxy = sdbus::createProxy(*connection_, sender, path);
  proxy->callMethodAsync("GetAll")
      .onInterface(ble::kPropertiesInterface)
      .withArguments(std::string(ble::kAdvertisementInterface))
      .uponReplyInvoke([this, answer](const sdbus::Error* error, const Dict& properties) {
        if (error) return answer->returnError(*error);
        Advertisement ad;
        ad.type = Get<std::string>(properties, "Type").value_or("");
        ad.local_name = Get<std::string>(properties, "LocalName").value_or("");
        ad.service_uuids = Get<std::vector<std::string>>(properties, "ServiceUUIDs").value_or(std::vector<std::string>{});
        {
          std::lock_guard lock(mu_);
          advertisement_ = ad;
        }
        cv_.notify_all();
        answer->returnResults();
      });
  pending_.push_back(std::move(proxy));
}

// The lock's characteristics as a phone's stack sees them; notifications are also passed on to
// the central's view of "to phone" while it subscribed.
void FakeBluez::Watch(const App& app) {
  to_lock_ = sdbus::createProxy(*connection_, app.owner, app.to_lock_path);
  to_phone_ = sdbus::createProxy(*connection_, app.owner, app.to_phone_path);
  to_phone_->uponSignal("PropertiesChanged")
      .onInterface(ble::kPropertiesInterface)
      .call([this](const std::string& interface, const Dict& changed, const std::vector<std::string>&) {
        if (interface != ble::kGattCharacteristicInterface) return;
        const auto value = Get<std::vector<uint8_t>>(changed, "Value");
        if (!value) return;
        bool relay = false;
        {
          std::lock_guard lock(mu_);
          notifications_.push_back(*value);
          relay = remote_notifying_;
          if (relay) remote_value_ = *value;
        }
        cv_.notify_all();
        if (relay && remote_to_phone_) {
          remote_to_phone_->emitPropertiesChangedSignal(ble::kGattCharacteristicInterface, {"Value"});
        }
      });
  to_phone_->finishRegistration();
}

std::optional<FakeBluez::App> FakeBluez::WaitForApp(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return app_.has_value(); });
  return app_;
}

std::optional<FakeBluez::Advertisement> FakeBluez::WaitForAdvertisement(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return advertisement_.has_value(); });
  return advertisement_;
}

bool FakeBluez::powered() const {
  std::lock_guard lock(mu_);
  return powered_;
}

FakeBluez::Dict FakeBluez::discovery_filter() const {
  std::lock_guard lock(mu_);
  return filter_;
}

std::optional<std::string> FakeBluez::WriteToLock(const std::string& device, const std::vector<uint8_t>& fragment,
                                                  uint16_t mtu) {
  try {
    to_lock_->callMethod("WriteValue")
        .onInterface(ble::kGattCharacteristicInterface)
        .withArguments(fragment, ToLockOptions(device, mtu, "command"));
  } catch (const sdbus::Error& e) {
    return e.getName();
  }
  return std::nullopt;
}

std::vector<uint8_t> FakeBluez::ReadFromLock(const std::string& device, uint16_t mtu) {
  std::vector<uint8_t> value;
  to_phone_->callMethod("ReadValue")
      .onInterface(ble::kGattCharacteristicInterface)
      .withArguments(ToLockOptions(device, mtu, ""))
      .storeResultsTo(value);
  return value;
}

void FakeBluez::StartNotify() { to_phone_->callMethod("StartNotify").onInterface(ble::kGattCharacteristicInterface); }

void FakeBluez::StopNotify() { to_phone_->callMethod("StopNotify").onInterface(ble::kGattCharacteristicInterface); }

std::optional<std::vector<uint8_t>> FakeBluez::NextNotification(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return !notifications_.empty(); })) return std::nullopt;
  auto value = std::move(notifications_.front());
  notifications_.pop_front();
  return value;
}

void FakeBluez::Disconnect(const std::string& device) {
  {
    std::lock_guard lock(mu_);
    connected_[device] = false;
  }
  devices_.at(device)->emitPropertiesChangedSignal(ble::kDeviceInterface, {"Connected"});
}

// The central's side: discovery finds the lock advertising the service.
void FakeBluez::AddLockDevice() {
  if (devices_.count(kLockDevice)) return;
  auto lock_device = sdbus::createObject(*connection_, kLockDevice);
  const auto property = [&](const char* name, auto getter) {
    lock_device->registerProperty(name).onInterface(ble::kDeviceInterface).withGetter(getter);
  };
  property("Address", [] { return std::string(kLockAddress); });
  property("AddressType", [] { return std::string("public"); });
  property("Adapter", [] { return sdbus::ObjectPath(kAdapterPath); });
  property("UUIDs", [] { return std::vector<std::string>{std::string(ble::kServiceUuid)}; });
  property("Connected", [this] {
    std::lock_guard lock(mu_);
    return connected_[kLockDevice];
  });
  property("ServicesResolved", [this] {
    std::lock_guard lock(mu_);
    return connected_[kLockDevice];
  });
  lock_device->registerMethod("Connect").onInterface(ble::kDeviceInterface).implementedAs([this] {
    ResolveLockServices();
  });
  lock_device->registerMethod("Disconnect").onInterface(ble::kDeviceInterface).implementedAs([this] {
    {
      std::lock_guard lock(mu_);
      connected_[kLockDevice] = false;
      connected_[kPhoneDevice] = false;
      remote_notifying_ = false;
    }
    devices_.at(kLockDevice)->emitPropertiesChangedSignal(ble::kDeviceInterface, {"Connected", "ServicesResolved"});
    devices_.at(kPhoneDevice)->emitPropertiesChangedSignal(ble::kDeviceInterface, {"Connected"});
    // bluetoothd stops notifying when the last subscribed device has gone.
    to_phone_->callMethodAsync("StopNotify").onInterface(ble::kGattCharacteristicInterface).uponReplyInvoke([](const sdbus::Error*) {});
  });
  lock_device->finishRegistration();
  lock_device->emitInterfacesAddedSignal();
  devices_[kLockDevice] = std::move(lock_device);
}

// Device1.Connect: the lock's service and characteristics appear under the device, passing
// everything through to the lock's application as the phone device.
void FakeBluez::ResolveLockServices() {
  if (!to_lock_) throw sdbus::Error("org.bluez.Error.Failed", "the lock registered no application");
  if (!remote_service_) {
    const std::string service = std::string(kLockDevice) + "/service000a";
    remote_service_ = sdbus::createObject(*connection_, service);
    remote_service_->registerProperty("UUID").onInterface(ble::kGattServiceInterface).withGetter([] {
      return std::string(ble::kServiceUuid);
    });
    remote_service_->registerProperty("Primary").onInterface(ble::kGattServiceInterface).withGetter([] { return true; });
    remote_service_->registerProperty("Device").onInterface(ble::kGattServiceInterface).withGetter([] {
      return sdbus::ObjectPath(kLockDevice);
    });
    remote_service_->finishRegistration();

    const auto characteristic = [&](const std::string& path, std::string_view uuid, std::vector<std::string> flags) {
      auto object = sdbus::createObject(*connection_, path);
      object->registerProperty("UUID").onInterface(ble::kGattCharacteristicInterface).withGetter([uuid] {
        return std::string(uuid);
      });
      object->registerProperty("Service").onInterface(ble::kGattCharacteristicInterface).withGetter([service] {
        return sdbus::ObjectPath(service);
      });
      object->registerProperty("Flags").onInterface(ble::kGattCharacteristicInterface).withGetter([flags] {
        return flags;
      });
      object->registerProperty("MTU").onInterface(ble::kGattCharacteristicInterface).withGetter([] {
        return uint16_t{23};
      });
      return object;
    };
    remote_to_lock_ = characteristic(service + "/char000b", ble::kToLockUuid, {"write", "write-without-response"});
    remote_to_lock_->registerMethod("WriteValue")
        .onInterface(ble::kGattCharacteristicInterface)
        .implementedAs([this](sdbus::Result<>&& result, const std::vector<uint8_t>& value, const Dict& options) {
          auto answer = std::make_shared<sdbus::Result<>>(std::move(result));
          const std::string type = Get<std::string>(options, "type").value_or("");
          to_lock_->callMethodAsync("WriteValue")
              .onInterface(ble::kGattCharacteristicInterface)
              .withArguments(value, ToLockOptions(kPhoneDevice, 23, type))
              .uponReplyInvoke([answer](const sdbus::Error* error) {
                if (error) return answer->returnError(*error);
                answer->returnResults();
              });
        });
    remote_to_lock_->finishRegistration();

    remote_to_phone_ = characteristic(service + "/char000d", ble::kToPhoneUuid, {"read", "notify"});
    remote_to_phone_->registerProperty("Value").onInterface(ble::kGattCharacteristicInterface).withGetter([this] {
      std::lock_guard lock(mu_);
      return remote_value_;
    });
    remote_to_phone_->registerMethod("ReadValue")
        .onInterface(ble::kGattCharacteristicInterface)
        .implementedAs([this](sdbus::Result<std::vector<uint8_t>>&& result, const Dict&) {
          auto answer = std::make_shared<sdbus::Result<std::vector<uint8_t>>>(std::move(result));
          to_phone_->callMethodAsync("ReadValue")
              .onInterface(ble::kGattCharacteristicInterface)
              .withArguments(ToLockOptions(kPhoneDevice, 23, ""))
              .uponReplyInvoke([answer](const sdbus::Error* error, const std::vector<uint8_t>& value) {
                if (error) return answer->returnError(*error);
                answer->returnResults(value);
              });
        });
    remote_to_phone_->registerMethod("StartNotify")
        .onInterface(ble::kGattCharacteristicInterface)
        .implementedAs([this](sdbus::Result<>&& result) {
          auto answer = std::make_shared<sdbus::Result<>>(std::move(result));
          {
            std::lock_guard lock(mu_);
            remote_notifying_ = true;
          }
          to_phone_->callMethodAsync("StartNotify")
              .onInterface(ble::kGattCharacteristicInterface)
              .uponReplyInvoke([answer](const sdbus::Error* error) {
                if (error) return answer->returnError(*error);
                answer->returnResults();
              });
        });
    remote_to_phone_->registerMethod("StopNotify").onInterface(ble::kGattCharacteristicInterface).implementedAs([this] {
      std::lock_guard lock(mu_);
      remote_notifying_ = false;
    });
    remote_to_phone_->finishRegistration();
    remote_service_->emitInterfacesAddedSignal();
    remote_to_lock_->emitInterfacesAddedSignal();
    remote_to_phone_->emitInterfacesAddedSignal();
  }
  {
    std::lock_guard lock(mu_);
    connected_[kLockDevice] = true;
    connected_[kPhoneDevice] = true;
  }
  devices_.at(kLockDevice)->emitPropertiesChangedSignal(ble::kDeviceInterface, {"Connected", "ServicesResolved"});
}

}  // namespace latchkey::testing
