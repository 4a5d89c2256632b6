// Phone keys at the door against a real `latchkey lock --phone-listen` process (PHONE-KEYS.md,
// issue 12): the test plays the hub over the link only to hand the lock its home key and a
// revocation list, then goes away; phones (cli::RunPhoneSession, the code of `latchkey phone`)
// open the door on their own. One test drives the CLI itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cli/phone_client.h"
#include "core/arrival_token.h"
#include "core/phone_key.h"
#include "core/phone_revocations.h"
#include "crypto/base64.h"
#include "crypto/sodium_crypto.h"
#include "cli_run.h"
#include "harness.h"

namespace latchkey::testing {
namespace {

std::string ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

class PhoneDoorTest : public PairedLockTest<> {
 protected:
  void SetUp() override {
    StartLock({"--motor-ms", "0", "--phone-listen", "127.0.0.1:0"});
    ASSERT_FALSE(HasFatalFailure());
    home_ = crypto::NewEd25519KeyPair();
    const Json set = hub_.Request("set_home_key", HubLink::As({{"key", crypto::Base64Encode(home_.public_key)}}));
    ASSERT_EQ(set["ok"], true) << set.dump();
    const Json user = hub_.Request("set_user", HubLink::As({{"action", "add"}, {"name", "Mia"}}));
    ASSERT_EQ(user["ok"], true) << user.dump();
    user_ = user["result"]["index"].get<uint16_t>();
    lock_id_ = ReadLine(lock_->data_dir() + "/lock-id");
    phone_at_ = ReadLine(lock_->data_dir() + "/phone.addr");
    ASSERT_FALSE(phone_at_.empty());
  }

  core::PhoneKeyCert Cert(const crypto::NoiseKeypair& phone, uint64_t serial, bool auto_unlock = false) const {
    core::PhoneKeyCert c = SignedPhoneKey(home_, lock_id_, user_, phone.pub, serial);
    c.auto_unlock = auto_unlock;
    c.epoch = epoch_;
    Sign(c);
    return c;
  }
  void Sign(core::PhoneKeyCert& c) const { SignPhoneKey(home_, c); }
  std::vector<uint8_t> Revocations(uint64_t version, uint32_t epoch, std::vector<uint64_t> serials) const {
    core::PhoneRevocations list{version, epoch, std::move(serials), {}};
    list.sig = crypto::SignEd25519(home_, core::PhoneRevocationsSignedBytes(list));
    return core::EncodePhoneRevocations(list);
  }

  // One session: `op` with `cert` presented by `phone`; the lock's answer.
  core::Result<cli::PhoneSessionOutcome> Door(const crypto::NoiseKeypair& phone, const core::PhoneKeyCert& cert,
                                              link::PhoneOp op = link::PhoneOp::kUnlock,
                                              std::optional<std::vector<uint8_t>> arrival = std::nullopt,
                                              std::optional<std::vector<uint8_t>> revocations = std::nullopt,
                                              bool pin = true) {
    link::PhoneConfig config;
    config.s = phone;
    config.cert = core::EncodePhoneKey(cert);
    config.revocations = std::move(revocations);
    if (pin && lock_key_) config.lock_key = lock_key_;
    auto outcome = cli::RunPhoneSession(
        phone_at_, std::move(config), op, [&](const std::string&) { return arrival; }, std::chrono::seconds(10));
    if (outcome.ok()) lock_key_ = outcome->lock_key;
    return outcome;
  }
  std::string Reason(const core::Result<cli::PhoneSessionOutcome>& o) const {
    if (!o.ok()) return "session failed: " + o.status().message();
    if (o->res.ok) return "ok";
    return o->res.error->code + ":" + o->res.error->reason.value_or("");
  }
  Json LockState() const { return SimHttp(lock_->sim_port(), "")["body"]; }
  void Relock() { ASSERT_EQ(hub_.Request("lock", HubLink::As({}))["ok"], true); }

  crypto::Ed25519KeyPair home_;
  uint16_t user_ = 0;
  uint32_t epoch_ = 0;
  std::string lock_id_, phone_at_;
  std::optional<crypto::NoisePublicKey> lock_key_;
  crypto::NoiseKeypair phone_ = crypto::GenerateKeypair();
};

TEST_F(PhoneDoorTest, APhoneOpensTheDoorWithTheHubGoneFirstXxThenIk) {
  hub_.Disconnect();
  const core::PhoneKeyCert cert = Cert(phone_, 1);
  auto first = Door(phone_, cert);
  ASSERT_EQ(Reason(first), "ok");
  EXPECT_EQ(first->pattern, crypto::NoisePattern::kXX);
  EXPECT_EQ(first->lock_id, lock_id_);
  EXPECT_EQ(first->res.result->lock_state, core::LockState::kUnlocked);
  auto second = Door(phone_, cert, link::PhoneOp::kLock);
  ASSERT_EQ(Reason(second), "ok");
  EXPECT_EQ(second->pattern, crypto::NoisePattern::kIK);
  EXPECT_EQ(second->res.result->lock_state, core::LockState::kLocked);
  EXPECT_EQ(Reason(Door(phone_, cert, link::PhoneOp::kStatus)), "ok");
  // The history names the phone key; the hub gets it when it is back.
  ASSERT_TRUE(hub_.Connect(lock_->host(), lock_->link_port()));
  EXPECT_TRUE(hub_.WaitForEvent([&](const Json& e) {
    return e.value("kind", "") == "lock_operation" && e.value("source", "") == "phone" &&
           e.contains("credential") && e["credential"].value("type", "") == "phone_key" &&
           e["credential"].value("serial", 0u) == 1u && e.value("user", 0) == user_;
  }));
}

TEST_F(PhoneDoorTest, EveryBadCertificateIsRefusedAndOnlyForgeriesCount) {
  // Two counted attempts start a lockout: none of the honest refusals may count.
  ASSERT_EQ(hub_.Request("set_settings", HubLink::As({{"settings", {{"wrong_code_limit", 2}}}}))["ok"], true);
  core::PhoneKeyCert expired = Cert(phone_, 2);
  expired.not_before = UnixNowS() - 7200;
  expired.not_after = UnixNowS() - 3600;
  Sign(expired);
  EXPECT_EQ(Reason(Door(phone_, expired)), "denied:expired");
  core::PhoneKeyCert early = Cert(phone_, 3);
  early.not_before = UnixNowS() + 3600;
  early.not_after = UnixNowS() + 7200;
  Sign(early);
  EXPECT_EQ(Reason(Door(phone_, early)), "denied:not_yet_valid");
  core::PhoneKeyCert foreign = Cert(phone_, 4);
  foreign.lock = "lk-ffffffffffffffff";
  Sign(foreign);
  EXPECT_EQ(Reason(Door(phone_, foreign)), "denied:wrong_lock");
  // Revoked, and below the epoch after a revoke-all.
  const Json revoked = hub_.Request("revoke_phone_keys", HubLink::As({{"list", crypto::Base64Encode(Revocations(1, 0, {7}))}}));
  ASSERT_EQ(revoked["ok"], true) << revoked.dump();
  EXPECT_EQ(Reason(Door(phone_, Cert(phone_, 7))), "denied:revoked");
  ASSERT_EQ(hub_.Request("revoke_phone_keys", HubLink::As({{"list", crypto::Base64Encode(Revocations(2, 1, {}))}}))["ok"], true);
  EXPECT_EQ(Reason(Door(phone_, Cert(phone_, 8))), "denied:below_epoch");
  EXPECT_EQ(LockState()["lockout_remaining_ms"], 0);
  EXPECT_EQ(LockState()["lock_state"], "locked");
  epoch_ = 1;
  EXPECT_EQ(Reason(Door(phone_, Cert(phone_, 9))), "ok");
  Relock();

  // Forgeries count: a certificate altered after signing, and one presented by another phone.
  core::PhoneKeyCert tampered = Cert(phone_, 5);
  tampered.not_after += 86400;
  EXPECT_EQ(Reason(Door(phone_, tampered)), "denied:bad_signature");
  EXPECT_EQ(LockState()["lockout_remaining_ms"], 0);
  const crypto::NoiseKeypair thief = crypto::GenerateKeypair();
  EXPECT_EQ(Reason(Door(thief, Cert(phone_, 6))), "denied:wrong_phone");
  EXPECT_GT(LockState()["lockout_remaining_ms"].get<int64_t>(), 0);
}

TEST_F(PhoneDoorTest, AnAdminsPhoneCarriesARevocationToALockTheHubCannotReach) {
  const crypto::NoiseKeypair admin = crypto::GenerateKeypair();
  hub_.Disconnect();
  ASSERT_EQ(SimHttp(lock_->sim_port(), "network", {{"connected", false}})["status"], 200);
  const auto list = Revocations(5, 0, {11});
  EXPECT_EQ(Reason(Door(admin, Cert(admin, 10), link::PhoneOp::kStatus, std::nullopt, list)), "ok");
  EXPECT_EQ(Reason(Door(phone_, Cert(phone_, 11))), "denied:revoked");
  // A forged list changes nothing.
  core::PhoneRevocations forged = *core::DecodePhoneRevocations(Revocations(6, 0, {}));
  forged.revoked = {10};
  EXPECT_EQ(Reason(Door(admin, Cert(admin, 10), link::PhoneOp::kStatus, std::nullopt,
                        core::EncodePhoneRevocations(forged))),
            "ok");
  EXPECT_EQ(Reason(Door(admin, Cert(admin, 10))), "ok");
}

TEST_F(PhoneDoorTest, AutoUnlockNeedsAFreshUnusedArrivalToken) {
  hub_.Disconnect();
  const core::PhoneKeyCert cert = Cert(phone_, 20, /*auto_unlock=*/true);
  core::ArrivalToken token{lock_id_, phone_.pub, 20, UnixNowS() - 2, {}};
  token.nonce.fill(7);
  const auto bytes = core::EncodeArrivalToken(token);
  EXPECT_EQ(Reason(Door(phone_, cert, link::PhoneOp::kUnlock, bytes)), "ok");
  ASSERT_TRUE(hub_.Connect(lock_->host(), lock_->link_port()));
  EXPECT_TRUE(hub_.WaitForEvent([](const Json& e) { return e.value("source", "") == "phone" && e.value("auto", false); }));
  Relock();
  EXPECT_EQ(Reason(Door(phone_, cert, link::PhoneOp::kUnlock, bytes)), "denied:arrival_used");
  core::ArrivalToken stale = token;
  stale.issued_at = UnixNowS() - 600;
  stale.nonce.fill(8);
  EXPECT_EQ(Reason(Door(phone_, cert, link::PhoneOp::kUnlock, core::EncodeArrivalToken(stale))), "denied:arrival_stale");
  // Without "auto" in the key, a fresh token opens nothing.
  token.nonce.fill(9);
  token.serial = 21;
  EXPECT_EQ(Reason(Door(phone_, Cert(phone_, 21), link::PhoneOp::kUnlock, core::EncodeArrivalToken(token))),
            "denied:auto_not_allowed");
  // Opened from inside: no auto-unlock for ten minutes.
  ASSERT_EQ(SimHttp(lock_->sim_port(), "thumbturn", {{"action", "unlock"}})["status"], 200);
  Relock();
  token.serial = 20;
  token.nonce.fill(10);
  EXPECT_EQ(Reason(Door(phone_, cert, link::PhoneOp::kUnlock, core::EncodeArrivalToken(token))),
            "denied:auto_suppressed");
  EXPECT_EQ(LockState()["lock_state"], "locked");
  EXPECT_EQ(LockState()["lockout_remaining_ms"], 0);
}

TEST_F(PhoneDoorTest, APhoneHammeringForgedKeysHitsTheLockout) {
  core::PhoneKeyCert forged = Cert(phone_, 30);
  forged.sig[5] ^= 0x40;
  for (int i = 0; i < 12 && LockState()["lockout_remaining_ms"] == 0; ++i) (void)Door(phone_, forged);
  EXPECT_GT(LockState()["lockout_remaining_ms"].get<int64_t>(), 0);
  EXPECT_EQ(Reason(Door(phone_, Cert(phone_, 31))), "denied:lockout");
}

TEST_F(PhoneDoorTest, AHundredUnlocksInARow) {
  const core::PhoneKeyCert cert = Cert(phone_, 40);
  ASSERT_EQ(Reason(Door(phone_, cert, link::PhoneOp::kStatus)), "ok");  // pins the lock: IK from now on
  std::vector<double> ms;
  for (int i = 0; i < 100; ++i) {
    auto unlocked = Door(phone_, cert, link::PhoneOp::kUnlock);
    ASSERT_EQ(Reason(unlocked), "ok");
    ms.push_back(static_cast<double>(unlocked->elapsed.count()) / 1000.0);
    Relock();
    // The lock admits 16 phone handshakes a second per source (phone_listener.h); a phone at the
    // door never comes near that, a benchmark from one address must keep under it.
    std::this_thread::sleep_for(std::chrono::milliseconds(70));
  }
  std::sort(ms.begin(), ms.end());
  // A figure for the notes, not a limit (timing is measured, never asserted).
  std::printf("phone unlock over TCP, connect to bolt moved (IK, motor 0 ms): median %.2f ms, p99 %.2f ms\n", ms[49],
              ms[98]);
}

// A recorder between the phone and the lock: forwards one connection both ways and keeps what the
// phone sent, so that a test can replay it on a new connection.
class Recorder {
 public:
  explicit Recorder(std::string target) : target_(std::move(target)) {
    acceptor_.open(boost::asio::ip::tcp::v4());
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    thread_ = std::thread([this] { Run(); });
  }
  ~Recorder() { thread_.join(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  // What the phone sent, once the session is over.
  std::vector<uint8_t> phone_bytes() {
    thread_.join();
    thread_ = std::thread([] {});
    return from_phone_;
  }

 private:
  void Run() {
    using boost::asio::ip::tcp;
    tcp::socket phone(io_), lock(io_);
    acceptor_.accept(phone);
    const auto colon = target_.rfind(':');
    lock.connect({boost::asio::ip::make_address(target_.substr(0, colon)),
                  static_cast<uint16_t>(std::stoi(target_.substr(colon + 1)))});
    std::thread back([&] {
      std::array<uint8_t, 2048> buffer{};
      boost::system::error_code ec;
      while (true) {
        const std::size_t n = lock.read_some(boost::asio::buffer(buffer), ec);
        if (ec || boost::asio::write(phone, boost::asio::buffer(buffer.data(), n), ec) != n) break;
      }
      phone.shutdown(tcp::socket::shutdown_both, ec);
    });
    std::array<uint8_t, 2048> buffer{};
    boost::system::error_code ec;
    while (true) {
      const std::size_t n = phone.read_some(boost::asio::buffer(buffer), ec);
      if (ec) break;
      from_phone_.insert(from_phone_.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
      if (boost::asio::write(lock, boost::asio::buffer(buffer.data(), n), ec) != n) break;
    }
    lock.shutdown(tcp::socket::shutdown_both, ec);
    back.join();
  }

  std::string target_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  std::vector<uint8_t> from_phone_;
  std::thread thread_;
};

TEST_F(PhoneDoorTest, ARecordedSessionReplayedOpensNothing) {
  const core::PhoneKeyCert cert = Cert(phone_, 60);
  for (const bool ik : {false, true}) {
    // A replay fails its handshake, and the lock backs off an address whose handshakes fail
    // (phone_listener.h); the phone here shares the replayer's address, so it waits that out.
    for (int i = 0; i < 50 && !Door(phone_, cert, link::PhoneOp::kStatus).ok(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    Recorder recorder(phone_at_);
    const std::string real = phone_at_;
    phone_at_ = recorder.address();
    auto unlocked = Door(phone_, cert, link::PhoneOp::kUnlock, std::nullopt, std::nullopt, /*pin=*/ik);
    phone_at_ = real;
    ASSERT_EQ(Reason(unlocked), "ok");
    const std::vector<uint8_t> recorded = recorder.phone_bytes();
    ASSERT_FALSE(recorded.empty());
    Relock();
    const std::size_t before = hub_.events().size();
    // The replay: the same bytes on a new connection, read until the lock hangs up.
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    const auto colon = phone_at_.rfind(':');
    socket.connect({boost::asio::ip::make_address(phone_at_.substr(0, colon)),
                    static_cast<uint16_t>(std::stoi(phone_at_.substr(colon + 1)))});
    boost::system::error_code ec;
    boost::asio::write(socket, boost::asio::buffer(recorded), ec);
    socket.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
    std::array<uint8_t, 4096> sink{};
    while (!ec) socket.read_some(boost::asio::buffer(sink), ec);
    EXPECT_EQ(LockState()["lock_state"], "locked") << (ik ? "IK" : "XX");
    // Nothing was decided: no operation event after the relock.
    ASSERT_TRUE(hub_.WaitForSeq(LockState()["last_event_seq"].get<uint64_t>()));
    for (std::size_t i = before; i < hub_.events().size(); ++i) {
      EXPECT_NE(hub_.events()[i].value("source", ""), "phone") << hub_.events()[i].dump();
    }
  }
}

TEST_F(PhoneDoorTest, TheCliPhoneUnlocks) {
  hub_.Disconnect();
  const std::string dir = dir_.path() + "/phone";
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"phone"});
    args.push_back("--phone-dir");
    args.push_back(dir);
    args.push_back("--json");
    return RunCli(dir_.path(), args);
  };
  const auto init = run({"init"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const auto key = crypto::Base64Decode(Json::parse(init.out)["phone_public_key"].get<std::string>(), 32);
  ASSERT_TRUE(key);
  crypto::NoiseKeypair phone;
  std::copy(key->begin(), key->end(), phone.pub.begin());
  const auto cert = core::EncodePhoneKey(Cert(phone, 50));
  std::filesystem::create_directories(dir + "/keys");
  std::ofstream(dir + "/keys/50.cert", std::ios::binary).write(reinterpret_cast<const char*>(cert.data()), cert.size());
  const auto keys = run({"keys"});
  ASSERT_EQ(keys.exit_code, 0) << keys.err;
  EXPECT_EQ(Json::parse(keys.out)[0]["serial"], 50);
  const auto unlocked = run({"unlock", "--at", phone_at_});
  ASSERT_EQ(unlocked.exit_code, 0) << unlocked.out << unlocked.err;
  EXPECT_EQ(Json::parse(unlocked.out)["lock_state"], "unlocked");
  EXPECT_EQ(Json::parse(unlocked.out)["pattern"], "XX");
  const auto status = run({"status", "--at", phone_at_});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(Json::parse(status.out)["pattern"], "IK");
}

}  // namespace
}  // namespace latchkey::testing
