#include "device/ble_gatt_server.h"

#include <sdbus-c++/sdbus-c++.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <map>
#include <vector>

#include "device/ble_bus.h"
#include "device/ble_contract.h"
#include "device/ble_sessions.h"
#include "device/phone_door.h"
#include "link/phone_session.h"

namespace latchkey::device {

namespace asio = boost::asio;

namespace {

constexpr const char* kAppRoot = "/org/latchkey/ble";
constexpr const char* kServicePath = "/org/latchkey/ble/service0";
constexpr const char* kToLockPath = "/org/latchkey/ble/service0/char0";
constexpr const char* kToPhonePath = "/org/latchkey/ble/service0/char1";
constexpr const char* kAdvertisementPath = "/org/latchkey/advertisement0";

using Dict = std::map<std::string, sdbus::Variant>;

template <typename T>
std::optional<T> Option(const Dict& options, const std::string& name) {
  const auto it = options.find(name);
  if (it == options.end() || !it->second.template containsValueOfType<T>()) return std::nullopt;
  return it->second.template get<T>();
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The D-Bus error a refused write answers with; BlueZ turns it into an ATT error for the phone.
sdbus::Error WriteError(const core::Status& status) {
  switch (status.code()) {
    case core::Code::kOccupied: return sdbus::Error("org.bluez.Error.InProgress", status.message());
    case core::Code::kInvalid: return sdbus::Error("org.bluez.Error.NotPermitted", status.message());
    default: return sdbus::Error("org.bluez.Error.Failed", status.message());
  }
}

}  // namespace

class BleGattServer::Impl {
 public:
  Impl(asio::io_context& io, LockRuntime& runtime, const crypto::NoiseKeypair& static_key, std::string lock_id,
       BleGattServer::Options options)
      : io_(io),
        runtime_(runtime),
        static_key_(static_key),
        lock_id_(std::move(lock_id)),
        options_(std::move(options)),
        name_(ble::AdvertisedName(lock_id_)),
        sessions_(BleSessions::Hooks{[this](std::size_t max_fragment, BleSessions::Transport transport) {
                                       return MakeDoor(max_fragment, std::move(transport));
                                     },
                                     [this](const link::PhoneFragment& fragment) { Notify(fragment); }, &NowMs}),
        timer_(io) {}

  ~Impl() {
    sessions_.CloseAll("the lock stops");
    timer_.cancel();
    // Proxies and slots first (their callbacks use this), the pump before the connection.
    adapter_.reset();
    bus_driver_.reset();
    matches_.clear();
    pump_.reset();
  }

  core::Status Start() {
    auto adapter_path = ble::AdapterPath(options_.adapter);
    LATCHKEY_TRY(adapter_path);
    adapter_path_ = *adapter_path;
    auto bus = ble::OpenBluezBus();
    LATCHKEY_TRY(bus);
    bus_ = std::move(bus).value();
    bool bluez = false;
    try {
      Export();
      Watch();
      adapter_ = sdbus::createProxy(*bus_, ble::kBluez, adapter_path_);
      bus_driver_ = sdbus::createProxy(*bus_, "org.freedesktop.DBus", "/org/freedesktop/DBus");
      // The bus daemon answers this itself, so a blocking call cannot wait on BlueZ.
      bus_driver_->callMethod("NameHasOwner").onInterface("org.freedesktop.DBus").withArguments(std::string(ble::kBluez))
          .storeResultsTo(bluez);
    } catch (const sdbus::Error& e) {
      return core::Status::IoError("on the system bus: " + e.getMessage());
    }
    pump_ = std::make_unique<BleBusPump>(io_, *bus_, [this](const std::string& why) {
      spdlog::error("lock: BLE is off: lost the system bus: {}", why);
      sessions_.CloseAll("the bus is gone");
    });
    if (bluez) {
      Register();
    } else {
      spdlog::warn("lock: BLE is off: BlueZ (org.bluez) is not on the system bus; waiting for it");
    }
    return core::Status::Ok();
  }

 private:
  // The application's objects and the advertisement, as BlueZ reads them.
  void Export() {
    root_ = sdbus::createObject(*bus_, kAppRoot);
    root_->addObjectManager();
    root_->finishRegistration();

    service_ = sdbus::createObject(*bus_, kServicePath);
    service_->registerProperty("UUID").onInterface(ble::kGattServiceInterface).withGetter([] {
      return std::string(ble::kServiceUuid);
    });
    service_->registerProperty("Primary").onInterface(ble::kGattServiceInterface).withGetter([] { return true; });
    service_->finishRegistration();

    to_lock_ = sdbus::createObject(*bus_, kToLockPath);
    to_lock_->registerProperty("UUID").onInterface(ble::kGattCharacteristicInterface).withGetter([] {
      return std::string(ble::kToLockUuid);
    });
    to_lock_->registerProperty("Service").onInterface(ble::kGattCharacteristicInterface).withGetter([] {
      return sdbus::ObjectPath(kServicePath);
    });
    to_lock_->registerProperty("Flags").onInterface(ble::kGattCharacteristicInterface).withGetter([] {
      return std::vector<std::string>{"write", "write-without-response"};
    });
    to_lock_->registerMethod("WriteValue")
        .onInterface(ble::kGattCharacteristicInterface)
        .withInputParamNames("value", "options")
        .implementedAs([this](const std::vector<uint8_t>& value, const Dict& options) { OnWrite(value, options); });
    to_lock_->finishRegistration();

    to_phone_ = sdbus::createObject(*bus_, kToPhonePath);
    to_phone_->registerProperty("UUID").onInterface(ble::kGattCharacteristicInterface).withGetter([] {
      return std::string(ble::kToPhoneUuid);
    });
    to_phone_->registerProperty("Service").onInterface(ble::kGattCharacteristicInterface).withGetter([] {
      return sdbus::ObjectPath(kServicePath);
    });
    to_phone_->registerProperty("Flags").onInterface(ble::kGattCharacteristicInterface).withGetter([] {
      return std::vector<std::string>{"read", "notify"};
    });
    // The last fragment notified: BlueZ notifies what a PropertiesChanged of Value carries.
    to_phone_->registerProperty("Value").onInterface(ble::kGattCharacteristicInterface).withGetter([this] {
      return notified_;
    });
    to_phone_->registerProperty("Notifying").onInterface(ble::kGattCharacteristicInterface).withGetter([this] {
      return sessions_.notifying();
    });
    to_phone_->registerMethod("ReadValue")
        .onInterface(ble::kGattCharacteristicInterface)
        .withInputParamNames("options")
        .withOutputParamNames("value")
        .implementedAs([this](const Dict& options) { return OnRead(options); });
    to_phone_->registerMethod("StartNotify").onInterface(ble::kGattCharacteristicInterface).implementedAs([this] {
      SetNotifying(true);
    });
    to_phone_->registerMethod("StopNotify").onInterface(ble::kGattCharacteristicInterface).implementedAs([this] {
      SetNotifying(false);
    });
    to_phone_->finishRegistration();

    advertisement_ = sdbus::createObject(*bus_, kAdvertisementPath);
    advertisement_->registerProperty("Type").onInterface(ble::kAdvertisementInterface).withGetter([] {
      return std::string("peripheral");
    });
    advertisement_->registerProperty("ServiceUUIDs").onInterface(ble::kAdvertisementInterface).withGetter([] {
      return std::vector<std::string>{std::string(ble::kServiceUuid)};
    });
    advertisement_->registerProperty("LocalName").onInterface(ble::kAdvertisementInterface).withGetter([this] {
      return name_;
    });
    advertisement_->registerMethod("Release").onInterface(ble::kAdvertisementInterface).implementedAs([this] {
      spdlog::warn("lock: BLE: BlueZ released the advertisement on {}", options_.adapter);
    });
    advertisement_->finishRegistration();
  }

  // BlueZ coming and going, and phones disconnecting.
  void Watch() {
    matches_.push_back(bus_->addMatch(
        "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged',"
        "arg0='org.bluez'",
        [this](sdbus::Message& message) {
          std::string name, old_owner, new_owner;
          message >> name >> old_owner >> new_owner;
          OnBluezOwner(new_owner);
        }));
    matches_.push_back(bus_->addMatch(
        "type='signal',sender='org.bluez',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
        "arg0='org.bluez.Device1'",
        [this](sdbus::Message& message) {
          std::string interface;
          Dict changed;
          message >> interface >> changed;
          if (const auto connected = Option<bool>(changed, "Connected"); connected && !*connected) {
            Disconnected(message.getPath());
          }
        }));
    matches_.push_back(bus_->addMatch(
        "type='signal',sender='org.bluez',interface='org.freedesktop.DBus.ObjectManager',member='InterfacesRemoved'",
        [this](sdbus::Message& message) {
          sdbus::ObjectPath path;
          std::vector<std::string> interfaces;
          message >> path >> interfaces;
          if (std::find(interfaces.begin(), interfaces.end(), ble::kDeviceInterface) != interfaces.end()) {
            Disconnected(path);
          }
        }));
  }

  void OnBluezOwner(const std::string& owner) {
    sessions_.CloseAll("BlueZ restarted");
    SetNotifying(false);
    if (owner.empty()) {
      ++attempt_;  // answers still on their way are from the BlueZ that left
      spdlog::warn("lock: BLE is off: BlueZ left the system bus; waiting for it");
      return;
    }
    spdlog::info("lock: BLE: BlueZ is on the system bus; registering");
    Register();
  }

  // Each step waits for the previous answer; an answer to an attempt that is no longer current
  // (BlueZ restarted meanwhile) is ignored.
  void Register() {
    const uint64_t attempt = ++attempt_;
    Call(adapter_->callMethodAsync("Set")
             .onInterface(ble::kPropertiesInterface)
             .withArguments(std::string(ble::kAdapterInterface), std::string("Powered"), sdbus::Variant(true)),
         [this, attempt](const sdbus::Error* error) {
           if (attempt != attempt_) return;
           // Go on: it may be on already, and registration says it if not.
           if (error) spdlog::warn("lock: BLE: cannot power {} on: {}", options_.adapter, error->getMessage());
           RegisterApplication(attempt);
         });
  }

  void RegisterApplication(uint64_t attempt) {
    Call(adapter_->callMethodAsync("RegisterApplication")
             .onInterface(ble::kGattManagerInterface)
             .withArguments(sdbus::ObjectPath(kAppRoot), Dict{}),
         [this, attempt](const sdbus::Error* error) {
           if (attempt != attempt_) return;
           if (error) {
             spdlog::error("lock: BLE is off: BlueZ refused the GATT service on {}: {} ({})", options_.adapter,
                           error->getMessage(), error->getName());
             return;
           }
           spdlog::info("lock: BLE: GATT service registered on {}", options_.adapter);
           RegisterAdvertisement(attempt);
         });
  }

  void RegisterAdvertisement(uint64_t attempt) {
    Call(adapter_->callMethodAsync("RegisterAdvertisement")
             .onInterface(ble::kAdvertisingManagerInterface)
             .withArguments(sdbus::ObjectPath(kAdvertisementPath), Dict{}),
         [this, attempt](const sdbus::Error* error) {
           if (attempt != attempt_) return;
           if (error) {
             spdlog::error("lock: BLE: BlueZ refused the advertisement on {}: {} ({}); phones that know the lock "
                           "can still connect",
                           options_.adapter, error->getMessage(), error->getName());
             return;
           }
           if (options_.advertising) options_.advertising(options_.adapter, name_);
         });
  }

  // An asynchronous call whose only answer of interest is whether it worked.
  void Call(sdbus::AsyncMethodInvoker& invoker, std::function<void(const sdbus::Error*)> done) {
    try {
      (void)invoker.uponReplyInvoke(std::move(done));
    } catch (const sdbus::Error& e) {
      spdlog::error("lock: BLE: cannot call BlueZ: {}", e.getMessage());
    }
    pump_->Kick();
  }

  core::Result<BleSessions::Door> MakeDoor(std::size_t max_fragment, BleSessions::Transport transport) {
    link::PhoneLockConfig config;
    config.s = static_key_;
    config.lock_id = lock_id_;
    config.random = [](std::span<uint8_t> out) { randombytes_buf(out.data(), out.size()); };
    config.max_fragment = max_fragment;
    auto session = link::PhoneSessionLock::Create(std::move(config));
    LATCHKEY_TRY(session);
    PhoneDoor::Transport door_transport{std::move(transport.send), std::move(transport.close)};
    auto door = std::make_shared<PhoneDoor>(runtime_, std::move(session).value(), std::move(door_transport));
    return BleSessions::Door{[door](std::span<const uint8_t> fragment) { door->OnFragment(fragment); },
                             [door] { return door->established(); }};
  }

  void OnWrite(const std::vector<uint8_t>& value, const Dict& options) {
    if (Option<uint16_t>(options, "offset").value_or(0) != 0) {
      throw sdbus::Error("org.bluez.Error.InvalidOffset", "a fragment is one write");
    }
    // BlueZ asks before it queues a prepared (long) write; the fragment comes with the execute.
    if (Option<bool>(options, "prepare-authorize").value_or(false)) return;
    const std::string device = Option<sdbus::ObjectPath>(options, "device").value_or(sdbus::ObjectPath());
    const std::size_t mtu = Option<uint16_t>(options, "mtu").value_or(0);
    const core::Status status = sessions_.Write(device, mtu, value);
    Rearm();
    if (!status.ok()) throw WriteError(status);
  }

  std::vector<uint8_t> OnRead(const Dict& options) {
    const std::string device = Option<sdbus::ObjectPath>(options, "device").value_or(sdbus::ObjectPath());
    auto value = sessions_.Read(device, Option<uint16_t>(options, "offset").value_or(0));
    Rearm();
    return value;
  }

  void SetNotifying(bool on) {
    if (sessions_.notifying() == on) return;
    sessions_.SetNotifying(on);
    try {
      to_phone_->emitPropertiesChangedSignal(ble::kGattCharacteristicInterface, {"Notifying"});
    } catch (const sdbus::Error& e) {
      spdlog::warn("lock: BLE: {}", e.getMessage());
    }
    if (pump_) pump_->Kick();
  }

  void Notify(const link::PhoneFragment& fragment) {
    notified_ = fragment;
    try {
      to_phone_->emitPropertiesChangedSignal(ble::kGattCharacteristicInterface, {"Value"});
    } catch (const sdbus::Error& e) {
      spdlog::warn("lock: BLE: cannot notify: {}", e.getMessage());
    }
    // Also from outside a bus callback (a res sent once the bolt stopped).
    pump_->Kick();
    Rearm();
  }

  void Disconnected(const std::string& device) {
    sessions_.Disconnected(device);
    Rearm();
  }

  // The timer for the next session to run out of time.
  void Rearm() {
    const auto next = sessions_.Expire();
    if (!next) {
      timer_.cancel();
      return;
    }
    timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::milliseconds(*next)));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) Rearm();
    });
  }

  asio::io_context& io_;
  LockRuntime& runtime_;
  crypto::NoiseKeypair static_key_;
  std::string lock_id_;
  BleGattServer::Options options_;
  std::string name_;
  std::string adapter_path_;
  BleSessions sessions_;
  asio::steady_timer timer_;
  std::vector<uint8_t> notified_;
  uint64_t attempt_ = 0;

  std::unique_ptr<sdbus::IConnection> bus_;
  std::unique_ptr<BleBusPump> pump_;
  std::unique_ptr<sdbus::IObject> root_, service_, to_lock_, to_phone_, advertisement_;
  std::unique_ptr<sdbus::IProxy> adapter_, bus_driver_;
  std::vector<sdbus::Slot> matches_;
};

BleGattServer::BleGattServer(asio::io_context& io, LockRuntime& runtime, const crypto::NoiseKeypair& static_key,
                             std::string lock_id, Options options)
    : impl_(std::make_unique<Impl>(io, runtime, static_key, std::move(lock_id), std::move(options))) {}

BleGattServer::~BleGattServer() = default;

core::Status BleGattServer::Start() { return impl_->Start(); }

}  // namespace latchkey::device
