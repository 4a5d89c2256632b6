// Phone keys over Bluetooth LE against a real `latchkey lock --ble` process, with a fake BlueZ on
// a private dbus-daemon (fake_bluez.h; docs/phone-keys.md, "Bluetooth LE"): the lock registers its
// GATT service and advertisement asynchronously and the fake checks what BlueZ would read; the
// test plays a phone with BLE-sized fragments (ATT_MTU 23: 20 bytes) over notifications and over
// reads; the CLI phone runs as a BLE central through the fake, which passes its GATT traffic to
// the lock. Certificates are signed in the test with a home key set over the link, as in
// phone_door_test.cc. The real stack (bluetoothd, btvirt) is the qemu tier's (tests/ble-vm).
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "core/phone_key.h"
#include "crypto/base64.h"
#include "crypto/sodium_crypto.h"
#include "device/ble_contract.h"
#include "fake_bluez.h"
#include "cli_run.h"
#include "harness.h"
#include "link/phone_session.h"
#include "wait.h"

namespace latchkey::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

constexpr const char* kOtherPhone = "/org/bluez/hci0/dev_00_AA_01_00_00_04";

struct BleOutcome {
  link::PhoneResponse res;
  std::string lock_id;
  crypto::NoisePublicKey lock_key{};
  std::size_t largest_fragment = 0;  // from the lock
};

class BleDoorTest : public PairedLockTest<> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(bus_.address().empty()) << "dbus-daemon did not start";
    bluez_ = std::make_unique<FakeBluez>(bus_.address());
    // The lock (and the CLI) inherit this: their "system bus" is the private one.
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_.address().c_str(), 1);
    ::unsetenv("LATCHKEY_DBUS_ADDRESS");
    // The lock logs its BLE sessions at debug level, for the log a failed test prints (only
    // the lock: the CLI's --json output must stay JSON).
    ::setenv("SPDLOG_LEVEL", "debug", 1);
    StartLock({"--motor-ms", "0", "--ble"});
    ::unsetenv("SPDLOG_LEVEL");
    ASSERT_FALSE(HasFatalFailure());
    home_ = crypto::NewEd25519KeyPair();
    ASSERT_EQ(hub_.Request("set_home_key", HubLink::As({{"key", crypto::Base64Encode(home_.public_key)}}))["ok"], true);
    const Json user = hub_.Request("set_user", HubLink::As({{"action", "add"}, {"name", "Mia"}}));
    ASSERT_EQ(user["ok"], true) << user.dump();
    user_ = user["result"]["index"].get<uint16_t>();
    lock_id_ = Slurp(lock_->data_dir() + "/lock-id");
    lock_id_.erase(lock_id_.find_last_not_of('\n') + 1);
    app_ = bluez_->WaitForApp(10s);
    ASSERT_TRUE(app_) << "the lock registered no GATT application";
    ASSERT_EQ(app_->problem, "");
  }
  void TearDown() override {
    ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
    PairedLockTest<>::TearDown();
  }

  core::PhoneKeyCert Cert(const crypto::NoiseKeypair& phone, uint64_t serial) const {
    return SignedPhoneKey(home_, lock_id_, user_, phone.pub, serial);
  }

  core::Status Write(const std::string& device, const std::vector<link::PhoneFragment>& fragments) {
    for (const auto& fragment : fragments) {
      EXPECT_LE(fragment.size(), 20u);
      if (auto error = bluez_->WriteToLock(device, fragment)) return core::Status::Invalid("write refused: " + *error);
    }
    return core::Status::Ok();
  }

  // One session of `phone` from `device` at ATT_MTU 23, the lock's fragments taken from
  // notifications or, with by_reads, by polling ReadValue.
  core::Result<BleOutcome> Door(const crypto::NoiseKeypair& phone, link::PhoneOp op, bool by_reads,
                                const std::string& device = FakeBluez::kPhoneDevice) {
    link::PhoneConfig config;
    config.s = phone;
    config.cert = core::EncodePhoneKey(Cert(phone, 1));
    config.lock_key = lock_key_;
    config.max_fragment = *link::MaxFragmentForMtu(23);
    auto created = link::PhoneSessionPhone::Create(std::move(config));
    LATCHKEY_TRY(created);
    link::PhoneSessionPhone session = std::move(created).value();
    if (by_reads) {
      bluez_->StopNotify();
    } else {
      bluez_->StartNotify();
    }
    auto first = session.Start();
    LATCHKEY_TRY(first);
    LATCHKEY_TRY(Write(device, *first));
    BleOutcome outcome;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (true) {
      std::optional<std::vector<uint8_t>> fragment;
      if (by_reads) {
        WaitUntil([&] {
          auto value = bluez_->ReadFromLock(device);
          if (!value.empty()) fragment = std::move(value);
          return fragment.has_value();
        }, TimeLeft(deadline), 2ms);
      } else {
        fragment = bluez_->NextNotification(std::chrono::duration_cast<std::chrono::milliseconds>(TimeLeft(deadline)));
      }
      if (!fragment) return core::Status::IoError("the lock did not answer");
      outcome.largest_fragment = std::max(outcome.largest_fragment, fragment->size());
      for (auto& action : session.Feed(*fragment)) {
        if (auto* send = std::get_if<link::PhoneSessionPhone::Send>(&action)) {
          LATCHKEY_TRY(Write(device, {send->fragment}));
        } else if (auto* ready = std::get_if<link::PhoneSessionPhone::Ready>(&action)) {
          outcome.lock_id = ready->lock_id;
          outcome.lock_key = ready->lock_key;
          auto req = session.Request(op);
          LATCHKEY_TRY(req);
          LATCHKEY_TRY(Write(device, *req));
        } else if (auto* result = std::get_if<link::PhoneSessionPhone::Result>(&action)) {
          outcome.res = result->res;
          lock_key_ = outcome.lock_key;
          return outcome;
        } else if (auto* close = std::get_if<link::PhoneSessionPhone::Close>(&action)) {
          return core::Status::Invalid("the session failed: " + close->reason);
        }
      }
    }
  }

  Json LockState() const { return SimHttp(lock_->sim_port(), "")["body"]; }

  PrivateBus bus_;
  std::unique_ptr<FakeBluez> bluez_;
  std::optional<FakeBluez::App> app_;
  crypto::Ed25519KeyPair home_;
  uint16_t user_ = 0;
  std::string lock_id_;
  std::optional<crypto::NoisePublicKey> lock_key_;
  crypto::NoiseKeypair phone_ = crypto::GenerateKeypair();
};

TEST_F(BleDoorTest, TheLockRegistersItsServiceAndAdvertisesIt) {
  EXPECT_EQ(app_->to_lock_flags, (std::vector<std::string>{"write", "write-without-response"}));
  EXPECT_EQ(app_->to_phone_flags, (std::vector<std::string>{"read", "notify"}));
  const auto ad = bluez_->WaitForAdvertisement(10s);
  ASSERT_TRUE(ad);
  EXPECT_EQ(ad->type, "peripheral");
  EXPECT_EQ(ad->service_uuids, (std::vector<std::string>{std::string(device::ble::kServiceUuid)}));
  const std::string name = "latchkey-" + lock_id_.substr(lock_id_.size() - 4);
  EXPECT_EQ(ad->local_name, name);
  EXPECT_TRUE(bluez_->powered());
  // The machine-readable line comes once BlueZ accepted both.
  EXPECT_TRUE(WaitUntil([&] {
    return lock_->Log().find("lock " + lock_id_ + " ble advertising on hci0 as " + name + "\n") != std::string::npos;
  }, 5s)) << lock_->Log();
}

TEST_F(BleDoorTest, APhoneUnlocksOverNotificationsThenLocksByReading) {
  hub_.Disconnect();
  auto unlocked = Door(phone_, link::PhoneOp::kUnlock, /*by_reads=*/false);
  ASSERT_TRUE(unlocked.ok()) << unlocked.status().message();
  ASSERT_TRUE(unlocked->res.ok);
  EXPECT_EQ(unlocked->lock_id, lock_id_);
  EXPECT_EQ(unlocked->res.result->lock_state, core::LockState::kUnlocked);
  EXPECT_EQ(LockState()["lock_state"], "unlocked");
  // Fragments cut for the MTU of the phone's writes: 23 - 3 bytes.
  EXPECT_EQ(unlocked->largest_fragment, 20u);

  // Next time IK, with the lock's answers read instead of notified (a phone that cannot get
  // notifications, like Chromium's emulated peripheral).
  auto locked = Door(phone_, link::PhoneOp::kLock, /*by_reads=*/true);
  ASSERT_TRUE(locked.ok()) << locked.status().message();
  ASSERT_TRUE(locked->res.ok);
  EXPECT_EQ(locked->res.result->lock_state, core::LockState::kLocked);
  EXPECT_EQ(LockState()["lock_state"], "locked");
  // What waits after the res is the next challenge (52 bytes: 3 fragments), then nothing.
  int waiting = 0;
  while (!bluez_->ReadFromLock(FakeBluez::kPhoneDevice).empty() && waiting < 10) ++waiting;
  EXPECT_EQ(waiting, 3);
}

TEST_F(BleDoorTest, OneSessionAtATimeAndADisconnectEndsIt) {
  bluez_->StopNotify();
  link::PhoneConfig config;
  config.s = phone_;
  config.cert = core::EncodePhoneKey(Cert(phone_, 1));
  config.max_fragment = 20;
  auto created = link::PhoneSessionPhone::Create(config);
  ASSERT_TRUE(created.ok());
  link::PhoneSessionPhone session = std::move(created).value();
  auto first = session.Start();
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 2u);  // XX message 1: 32 bytes in two fragments
  // A fragment that is not the start of a session belongs to none.
  EXPECT_EQ(bluez_->WriteToLock(kOtherPhone, (*first)[1]), "org.bluez.Error.NotPermitted");
  ASSERT_EQ(bluez_->WriteToLock(FakeBluez::kPhoneDevice, (*first)[0]), std::nullopt);
  // Another phone while this one is at it: busy.
  EXPECT_EQ(bluez_->WriteToLock(kOtherPhone, (*first)[0]), "org.bluez.Error.InProgress");
  // The first phone leaves: its session ends, so the other may start, and the first one's
  // late fragment starts nothing.
  bluez_->Disconnect(FakeBluez::kPhoneDevice);
  EXPECT_TRUE(WaitUntil([&] { return bluez_->WriteToLock(kOtherPhone, (*first)[0]) == std::nullopt; }, 5s));
  EXPECT_EQ(bluez_->WriteToLock(FakeBluez::kPhoneDevice, (*first)[1]), "org.bluez.Error.NotPermitted");
}

TEST_F(BleDoorTest, TheCliPhoneUnlocksAsACentral) {
  hub_.Disconnect();
  const std::string dir = dir_.path() + "/phone";
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "phone");
    args.insert(args.end(), {"--phone-dir", dir, "--json"});
    const CliRun r = RunCli(dir_.path(), args);  // the private bus is in this process's environment
    return std::tuple{r.exit_code, r.out, r.err};
  };

  const auto [init_code, init_out, init_err] = run({"init"});
  ASSERT_EQ(init_code, 0) << init_err;
  const auto key = crypto::Base64Decode(Json::parse(init_out)["phone_public_key"].get<std::string>(), 32);
  ASSERT_TRUE(key);
  crypto::NoiseKeypair phone;
  std::copy(key->begin(), key->end(), phone.pub.begin());
  const auto cert = core::EncodePhoneKey(Cert(phone, 60));
  std::filesystem::create_directories(dir + "/keys");
  std::ofstream(dir + "/keys/60.cert", std::ios::binary).write(reinterpret_cast<const char*>(cert.data()), cert.size());

  // Discovery finds the lock by its service UUID; first contact is XX and pins the lock's key
  // under its Bluetooth address.
  const auto [code, out, err] = run({"unlock", "--ble"});
  ASSERT_EQ(code, 0) << out << err << lock_->Log();
  EXPECT_EQ(Json::parse(out)["lock_state"], "unlocked");
  EXPECT_EQ(Json::parse(out)["pattern"], "XX");
  EXPECT_EQ(Json::parse(out)["lock"], lock_id_);
  EXPECT_TRUE(std::filesystem::exists(dir + "/locks/BLE_00_AA_01_00_00_02"));
  const auto filter = bluez_->discovery_filter();
  ASSERT_TRUE(filter.count("UUIDs"));
  EXPECT_EQ(filter.at("UUIDs").get<std::vector<std::string>>(),
            (std::vector<std::string>{std::string(device::ble::kServiceUuid)}));
  EXPECT_EQ(filter.at("Transport").get<std::string>(), "le");
  EXPECT_EQ(LockState()["lock_state"], "unlocked");

  // The lock named by its address: IK with the pinned key.
  const auto [lock_code, lock_out, lock_err] = run({"lock", "--ble", "--ble-address", FakeBluez::kLockAddress});
  ASSERT_EQ(lock_code, 0) << lock_out << lock_err << lock_->Log();
  EXPECT_EQ(Json::parse(lock_out)["lock_state"], "locked");
  EXPECT_EQ(Json::parse(lock_out)["pattern"], "IK");

  // --at and --ble do not go together.
  const auto [both_code, both_out, both_err] = run({"status", "--ble", "--at", "127.0.0.1:1"});
  EXPECT_NE(both_code, 0);
}

// No bus at all: the lock says so and works on (it paired over the link in StartLock).
class BleOffTest : public PairedLockTest<> {};

TEST_F(BleOffTest, WithoutABusTheLockSaysBleIsOffAndRunsOn) {
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", ("unix:path=" + dir_.path() + "/no-bus").c_str(), 1);
  ::unsetenv("LATCHKEY_DBUS_ADDRESS");
  StartLock({"--motor-ms", "0", "--ble"});
  ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_NE(lock_->Log().find("BLE is off: no system bus"), std::string::npos) << lock_->Log();
  EXPECT_EQ(hub_.Request("unlock", HubLink::As({}))["ok"], true);
}

// A bus without BlueZ: the lock waits for it, and registers once it appears.
TEST_F(BleOffTest, ALockWithoutBluezRegistersWhenBluezArrives) {
  PrivateBus bus;
  ASSERT_FALSE(bus.address().empty());
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", bus.address().c_str(), 1);
  StartLock({"--motor-ms", "0", "--ble"});
  ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_TRUE(WaitUntil([&] { return lock_->Log().find("BLE is off: BlueZ") != std::string::npos; }, 5s)) << lock_->Log();
  FakeBluez bluez(bus.address());
  const auto app = bluez.WaitForApp(10s);
  ASSERT_TRUE(app);
  EXPECT_EQ(app->problem, "");
  EXPECT_TRUE(bluez.WaitForAdvertisement(10s));
}

}  // namespace
}  // namespace latchkey::testing
