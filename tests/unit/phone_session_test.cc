// The phone session's two state machines (PHONE-KEYS.md 2) against each other: XX and IK end to
// end at the smallest and largest fragment sizes, the challenge that every req must echo,
// replays of recorded sessions, tampering, the failure limit, and the round trips an unlock takes.
#include "link/phone_session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/phone_key.h"

namespace latchkey::link {
namespace {

using Bytes = std::vector<uint8_t>;
using LockActions = std::vector<PhoneSessionLock::Action>;
using PhoneActions = std::vector<PhoneSessionPhone::Action>;

constexpr std::string_view kLockId = "lk-0011223344556677";

// Challenges from a counter: the n-th is 16 bytes of n, so a test knows each one.
struct CountingRandom {
  std::shared_ptr<uint8_t> calls = std::make_shared<uint8_t>(0);
  void operator()(std::span<uint8_t> out) const {
    ++*calls;
    std::fill(out.begin(), out.end(), *calls);
  }
};

PhoneNonce NonceOf(uint8_t n) {
  PhoneNonce nonce;
  nonce.fill(n);
  return nonce;
}

// The certificate of docs/phone-keys.md's example, for this phone (214 bytes; the session
// carries it unread).
Bytes CertFor(const crypto::NoisePublicKey& phone) {
  core::PhoneKeyCert cert;
  cert.serial = 7;
  cert.lock = std::string(kLockId);
  cert.user = 3;
  cert.phone = phone;
  cert.not_before = 1'795'600'800;
  cert.not_after = cert.not_before + 24 * 3600;
  cert.ops = {.lock = true, .unlock = true, .unlatch = false};
  cert.epoch = 2;
  return core::EncodePhoneKey(cert);
}

template <typename A, typename V>
std::vector<A> All(const std::vector<V>& actions) {
  std::vector<A> out;
  for (const auto& a : actions) {
    if (const auto* x = std::get_if<A>(&a)) out.push_back(*x);
  }
  return out;
}

template <typename V>
std::vector<PhoneFragment> Sent(const std::vector<V>& actions) {
  std::vector<PhoneFragment> out;
  for (const auto& a : actions) {
    if (a.index() == 0) out.push_back(std::get<0>(a).fragment);  // Send is the first alternative of both
  }
  return out;
}

class PhoneSessionTest : public ::testing::Test {
 protected:
  PhoneSessionTest() : lock_key_(crypto::GenerateKeypair()), phone_key_(crypto::GenerateKeypair()) {}

  PhoneSessionLock NewLock(std::size_t max_fragment = kMaxPhoneFragment) {
    auto lock = PhoneSessionLock::Create({lock_key_, std::string(kLockId), random_, max_fragment});
    EXPECT_TRUE(lock.ok()) << lock.status().ToString();
    return std::move(lock).value();
  }

  PhoneSessionPhone NewPhone(bool pinned, std::size_t max_fragment = kMaxPhoneFragment,
                             std::optional<Bytes> revocations = std::nullopt) {
    PhoneConfig config{phone_key_, std::nullopt, CertFor(phone_key_.pub), std::move(revocations), max_fragment};
    if (pinned) config.lock_key = lock_key_.pub;
    auto phone = PhoneSessionPhone::Create(std::move(config));
    EXPECT_TRUE(phone.ok()) << phone.status().ToString();
    return std::move(phone).value();
  }

  // Fragments to the lock; every action it takes, and what it sends in `sent` (if given).
  static LockActions ToLock(PhoneSessionLock& lock, const std::vector<PhoneFragment>& fragments) {
    LockActions out;
    for (const auto& f : fragments) {
      auto actions = lock.Feed(f);
      out.insert(out.end(), actions.begin(), actions.end());
    }
    return out;
  }

  static PhoneActions ToPhone(PhoneSessionPhone& phone, const std::vector<PhoneFragment>& fragments) {
    PhoneActions out;
    for (const auto& f : fragments) {
      auto actions = phone.Feed(f);
      out.insert(out.end(), actions.begin(), actions.end());
    }
    return out;
  }

  static std::vector<PhoneFragment> StartOrDie(PhoneSessionPhone& phone) {
    auto fragments = phone.Start();
    EXPECT_TRUE(fragments.ok()) << fragments.status().ToString();
    return fragments.ok() ? fragments.value() : std::vector<PhoneFragment>{};
  }

  static std::vector<PhoneFragment> RequestOrDie(PhoneSessionPhone& phone, PhoneOp op,
                                                 std::optional<Bytes> arrival = std::nullopt) {
    auto fragments = phone.Request(op, std::move(arrival));
    EXPECT_TRUE(fragments.ok()) << fragments.status().ToString();
    return fragments.ok() ? fragments.value() : std::vector<PhoneFragment>{};
  }

  static LockActions CompleteOrDie(PhoneSessionLock& lock, const PhoneResponse& res) {
    auto actions = lock.Complete(res);
    EXPECT_TRUE(actions.ok()) << actions.status().ToString();
    return actions.ok() ? actions.value() : LockActions{};
  }

  // Runs the handshake up to Ready; what the lock did on the way in `lock_log`.
  void Connect(PhoneSessionLock& lock, PhoneSessionPhone& phone, LockActions* lock_log = nullptr) {
    std::vector<PhoneFragment> flight = StartOrDie(phone);
    for (int i = 0; i < 3 && !phone.ready() && !flight.empty(); ++i) {
      LockActions l = ToLock(lock, flight);
      if (lock_log) lock_log->insert(lock_log->end(), l.begin(), l.end());
      flight = Sent(ToPhone(phone, Sent(l)));
    }
    ASSERT_TRUE(phone.ready());
    ASSERT_FALSE(lock.closed());
    ASSERT_TRUE(flight.empty()) << "the phone has nothing more to say once ready";
  }

  // One operation on a ready session, answered with `res`; the phone's Result.
  PhoneResponse Operate(PhoneSessionLock& lock, PhoneSessionPhone& phone, PhoneOp op, const PhoneResponse& res) {
    const LockActions asked = ToLock(lock, RequestOrDie(phone, op));
    EXPECT_EQ(All<PhoneSessionLock::Operate>(asked).size(), 1u);
    EXPECT_TRUE(Sent(asked).empty()) << "nothing goes out until the bolt stopped";
    const PhoneActions got = ToPhone(phone, Sent(CompleteOrDie(lock, res)));
    const auto results = All<PhoneSessionPhone::Result>(got);
    EXPECT_EQ(results.size(), 1u);
    EXPECT_TRUE(phone.has_challenge()) << "a fresh challenge follows the res";
    return results.empty() ? PhoneResponse{} : results[0].res;
  }

  crypto::NoiseKeypair lock_key_;
  crypto::NoiseKeypair phone_key_;
  CountingRandom random_;
};

const PhoneResponse kUnlocked = PhoneOk({core::LockState::kUnlocked, core::DoorState::kClosed, 87});

// ---- Whole sessions ----

struct Unlock {
  int round_trips = 0;
  LockActions lock_log;    // everything the lock did
  PhoneActions phone_log;  // everything the phone did
  std::vector<PhoneFragment> phone_sent;  // every fragment the phone sent, in order
  std::vector<std::size_t> flight_sizes;  // how many of them each flight had
};

// From connecting to the phone's Result, counting flights from the phone that wait for the lock's
// answer: the daemon answers an Operate at once (the bolt is instant here).
Unlock RunUnlock(PhoneSessionLock& lock, PhoneSessionPhone& phone, std::optional<Bytes> arrival = std::nullopt) {
  Unlock run;
  auto start = phone.Start();
  EXPECT_TRUE(start.ok());
  std::vector<PhoneFragment> flight = start.ok() ? start.value() : std::vector<PhoneFragment>{};
  bool requested = false;
  while (!flight.empty() && run.round_trips < 10) {
    ++run.round_trips;
    run.phone_sent.insert(run.phone_sent.end(), flight.begin(), flight.end());
    run.flight_sizes.push_back(flight.size());
    LockActions lock_did;
    for (const auto& f : flight) {
      for (auto& a : lock.Feed(f)) {
        lock_did.push_back(a);
        if (std::holds_alternative<PhoneSessionLock::Operate>(a)) {
          auto done = lock.Complete(kUnlocked);
          EXPECT_TRUE(done.ok());
          if (done.ok()) lock_did.insert(lock_did.end(), done->begin(), done->end());
        }
      }
    }
    run.lock_log.insert(run.lock_log.end(), lock_did.begin(), lock_did.end());
    PhoneActions phone_did;
    for (const auto& f : Sent(lock_did)) {
      auto actions = phone.Feed(f);
      phone_did.insert(phone_did.end(), actions.begin(), actions.end());
    }
    run.phone_log.insert(run.phone_log.end(), phone_did.begin(), phone_did.end());
    if (!All<PhoneSessionPhone::Result>(phone_did).empty()) break;
    flight = Sent(phone_did);
    if (!requested && phone.ready()) {
      requested = true;
      auto req = phone.Request(PhoneOp::kUnlock, arrival);
      EXPECT_TRUE(req.ok());
      if (req.ok()) flight.insert(flight.end(), req->begin(), req->end());
    }
  }
  return run;
}

void ExpectUnlocked(const Unlock& run, const crypto::NoisePublicKey& phone, const crypto::NoisePublicKey& lock_key,
                    const std::optional<Bytes>& arrival) {
  const auto hellos = All<PhoneSessionLock::Hello>(run.lock_log);
  ASSERT_EQ(hellos.size(), 1u);
  EXPECT_EQ(hellos[0].phone, phone) << "the lock learns the phone's static key";
  EXPECT_EQ(hellos[0].cert, CertFor(phone));
  const auto operates = All<PhoneSessionLock::Operate>(run.lock_log);
  ASSERT_EQ(operates.size(), 1u);
  EXPECT_EQ(operates[0].op, PhoneOp::kUnlock);
  EXPECT_EQ(operates[0].arrival, arrival);
  EXPECT_TRUE(All<PhoneSessionLock::Close>(run.lock_log).empty());
  const auto ready = All<PhoneSessionPhone::Ready>(run.phone_log);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].lock_id, kLockId);
  EXPECT_EQ(ready[0].lock_key, lock_key);
  const auto results = All<PhoneSessionPhone::Result>(run.phone_log);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].res, kUnlocked);
}

TEST_F(PhoneSessionTest, XxUnlockInThreeRoundTrips) {
  for (std::size_t max_fragment : {20u, 512u}) {
    SCOPED_TRACE(max_fragment);
    PhoneSessionLock lock = NewLock(max_fragment);
    PhoneSessionPhone phone = NewPhone(false, max_fragment);
    const Unlock run = RunUnlock(lock, phone);
    EXPECT_EQ(run.round_trips, 3);
    EXPECT_EQ(lock.pattern(), crypto::NoisePattern::kXX);
    EXPECT_EQ(phone.pattern(), crypto::NoisePattern::kXX);
    ExpectUnlocked(run, phone_key_.pub, lock_key_.pub, std::nullopt);
    for (const auto& f : run.phone_sent) EXPECT_LE(f.size(), max_fragment);
    for (const auto& f : Sent(run.lock_log)) EXPECT_LE(f.size(), max_fragment);
  }
}

TEST_F(PhoneSessionTest, IkUnlockInTwoRoundTrips) {
  const Bytes arrival(200, 0xA7);
  for (std::size_t max_fragment : {20u, 512u}) {
    SCOPED_TRACE(max_fragment);
    PhoneSessionLock lock = NewLock(max_fragment);
    PhoneSessionPhone phone = NewPhone(true, max_fragment);
    const Unlock run = RunUnlock(lock, phone, arrival);
    EXPECT_EQ(run.round_trips, 2);
    EXPECT_EQ(lock.pattern(), crypto::NoisePattern::kIK);
    EXPECT_EQ(phone.pattern(), crypto::NoisePattern::kIK);
    ExpectUnlocked(run, phone_key_.pub, lock_key_.pub, arrival);
    for (const auto& f : run.phone_sent) EXPECT_LE(f.size(), max_fragment);
  }
}

TEST_F(PhoneSessionTest, XxThenIkWithTheLearnedKey) {
  PhoneSessionLock first = NewLock();
  PhoneSessionPhone xx = NewPhone(false);
  const Unlock run = RunUnlock(first, xx);
  const auto ready = All<PhoneSessionPhone::Ready>(run.phone_log);
  ASSERT_EQ(ready.size(), 1u);
  PhoneConfig config{phone_key_, ready[0].lock_key, CertFor(phone_key_.pub), std::nullopt, kMaxPhoneFragment};
  auto ik = PhoneSessionPhone::Create(std::move(config));
  ASSERT_TRUE(ik.ok());
  PhoneSessionLock second = NewLock();
  const Unlock again = RunUnlock(second, ik.value());
  EXPECT_EQ(again.round_trips, 2);
  ExpectUnlocked(again, phone_key_.pub, lock_key_.pub, std::nullopt);
}

TEST_F(PhoneSessionTest, HelloCarriesTheRevocations) {
  const Bytes revocations(kMaxPhoneRevocationBytes, 0x5C);
  for (bool pinned : {false, true}) {
    PhoneSessionLock lock = NewLock(20);
    PhoneSessionPhone phone = NewPhone(pinned, 20, revocations);
    LockActions log;
    Connect(lock, phone, &log);
    const auto hellos = All<PhoneSessionLock::Hello>(log);
    ASSERT_EQ(hellos.size(), 1u);
    EXPECT_EQ(hellos[0].revocations, revocations);
  }
}

TEST_F(PhoneSessionTest, ManyOperationsInOneSession) {
  PhoneSessionLock lock = NewLock();
  PhoneSessionPhone phone = NewPhone(true);
  Connect(lock, phone);
  const PhoneResponse locked = PhoneOk({core::LockState::kLocked, std::nullopt, std::nullopt});
  EXPECT_EQ(Operate(lock, phone, PhoneOp::kUnlock, kUnlocked), kUnlocked);
  EXPECT_EQ(Operate(lock, phone, PhoneOp::kLock, locked), locked);
  EXPECT_EQ(Operate(lock, phone, PhoneOp::kStatus, locked), locked);
  const PhoneResponse denied = PhoneRefused("forbidden", "op_not_allowed");
  EXPECT_EQ(Operate(lock, phone, PhoneOp::kUnlatch, denied), denied);
  EXPECT_EQ(lock.failed_operations(), 1);
  EXPECT_EQ(Operate(lock, phone, PhoneOp::kUnlock, kUnlocked), kUnlocked);
  EXPECT_FALSE(lock.closed());
  EXPECT_EQ(*random_.calls, 6) << "one challenge after the handshake and one after each res";
}

// ---- The challenge ----

TEST_F(PhoneSessionTest, RequestWaitsForAChallenge) {
  PhoneSessionLock lock = NewLock();
  PhoneSessionPhone phone = NewPhone(false);
  EXPECT_FALSE(phone.Request(PhoneOp::kUnlock).ok()) << "before the handshake";
  const auto msg1 = StartOrDie(phone);
  EXPECT_FALSE(phone.Start().ok()) << "Start runs once";
  const auto msg2 = Sent(ToLock(lock, msg1));
  const auto msg3 = Sent(ToPhone(phone, msg2));
  EXPECT_FALSE(phone.ready());
  EXPECT_FALSE(phone.Request(PhoneOp::kUnlock).ok()) << "transport keys, but no challenge yet";
  const PhoneActions ready = ToPhone(phone, Sent(ToLock(lock, msg3)));
  ASSERT_EQ(All<PhoneSessionPhone::Ready>(ready).size(), 1u);
  const auto req = RequestOrDie(phone, PhoneOp::kUnlock);
  auto again = phone.Request(PhoneOp::kUnlock);
  ASSERT_FALSE(again.ok()) << "the challenge is used up until the next res";
  EXPECT_NE(again.status().message().find("challenge"), std::string::npos);
  EXPECT_EQ(All<PhoneSessionLock::Operate>(ToLock(lock, req)).size(), 1u);
}

TEST_F(PhoneSessionTest, WrongNonceIsAFailedOperation) {
  PhoneSessionLock lock = NewLock();
  PhoneSessionPhone phone = NewPhone(true);
  Connect(lock, phone);
  ASSERT_EQ(*random_.calls, 1);
  for (int kind = 0; kind < 3; ++kind) {
    // The outstanding challenge is 16 x `current`: try none, the previous one, a near miss.
    const uint8_t current = *random_.calls;
    PhoneNonce wrong = NonceOf(kind == 0 ? 0 : kind == 1 ? current - 1 : current);
    if (kind == 2) wrong[15] ^= 0x01;
    auto plaintext = EncodePhoneMessage(PhoneRequest{PhoneOp::kUnlock, wrong, std::nullopt});
    ASSERT_TRUE(plaintext.ok());
    auto fragments = phone.SendPlaintextForTesting(*plaintext);
    ASSERT_TRUE(fragments.ok());
    const LockActions did = ToLock(lock, *fragments);
    EXPECT_TRUE(All<PhoneSessionLock::Operate>(did).empty());
    EXPECT_EQ(*random_.calls, current + 1) << "a fresh challenge follows the refusal";
    const auto results = All<PhoneSessionPhone::Result>(ToPhone(phone, Sent(did)));
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].res, PhoneRefused("invalid", kStaleChallengeReason));
  }
  EXPECT_EQ(lock.failed_operations(), 3);
  // The phone's own request, echoing the latest challenge, still works.
  EXPECT_EQ(Operate(lock, phone, PhoneOp::kUnlock, kUnlocked), kUnlocked);
}

TEST_F(PhoneSessionTest, ReqBeforeTheChallengeIsAFailedOperation) {
  // An XX phone that sends a req right behind its third message, before the challenge reached
  // it: whatever nonce it guesses (here not the first challenge, 16 x 01), no Operate.
  PhoneSessionLock lock = NewLock();
  PhoneSessionPhone phone = NewPhone(false);
  const auto msg3 = Sent(ToPhone(phone, Sent(ToLock(lock, StartOrDie(phone)))));
  ASSERT_FALSE(msg3.empty());
  auto early = phone.SendPlaintextForTesting(*EncodePhoneMessage(PhoneRequest{PhoneOp::kUnlock, NonceOf(9), std::nullopt}));
  ASSERT_TRUE(early.ok());
  std::vector<PhoneFragment> flight = msg3;
  flight.insert(flight.end(), early->begin(), early->end());
  const LockActions did = ToLock(lock, flight);
  EXPECT_EQ(All<PhoneSessionLock::Hello>(did).size(), 1u);
  EXPECT_TRUE(All<PhoneSessionLock::Operate>(did).empty());
  EXPECT_EQ(lock.failed_operations(), 1);
}

TEST_F(PhoneSessionTest, SecondReqForOneChallengeIsAFailedOperation) {
  PhoneSessionLock lock = NewLock();
  PhoneSessionPhone phone = NewPhone(true);
  Connect(lock, phone);
  const PhoneNonce first = NonceOf(1);
  ASSERT_EQ(All<PhoneSessionLock::Operate>(ToLock(lock, RequestOrDie(phone, PhoneOp::kUnlock))).size(), 1u);
  EXPECT_TRUE(lock.operation_pending());
  // The same req again while the bolt moves: refused, and no challenge yet (Complete sends it).
  auto replay = phone.SendPlaintextForTesting(*EncodePhoneMessage(PhoneRequest{PhoneOp::kUnlock, first, std::nullopt}));
  ASSERT_TRUE(replay.ok());
  LockActions did = ToLock(lock, *replay);
  EXPECT_TRUE(All<PhoneSessionLock::Operate>(did).empty());
  EXPECT_EQ(lock.failed_operations(), 1);
  EXPECT_EQ(*random_.calls, 1);
  auto results = All<PhoneSessionPhone::Result>(ToPhone(phone, Sent(did)));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].res.ok);
  // The real operation ends; then the old nonce is refused again.
  results = All<PhoneSessionPhone::Result>(ToPhone(phone, Sent(CompleteOrDie(lock, kUnlocked))));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].res, kUnlocked);
  auto stale = phone.SendPlaintextForTesting(*EncodePhoneMessage(PhoneRequest{PhoneOp::kUnlock, first, std::nullopt}));
  ASSERT_TRUE(stale.ok());
  did = ToLock(lock, *stale);
  EXPECT_TRUE(All<PhoneSessionLock::Operate>(did).empty());
  EXPECT_EQ(lock.failed_operations(), 2);
}

TEST_F(PhoneSessionTest, CompleteNeedsAPendingOperation) {
  PhoneSessionLock lock = NewLock();
  EXPECT_FALSE(lock.Complete(kUnlocked).ok()) << "before the handshake";
  PhoneSessionPhone phone = NewPhone(true);
  Connect(lock, phone);
  EXPECT_FALSE(lock.Complete(kUnlocked).ok()) << "no Operate yet";
  ASSERT_EQ(All<PhoneSessionLock::Operate>(ToLock(lock, RequestOrDie(phone, PhoneOp::kLock))).size(), 1u);
  auto bad = lock.Complete(PhoneResponse{true, std::nullopt, std::nullopt});
  EXPECT_FALSE(bad.ok()) << "a res that would not encode";
  EXPECT_TRUE(lock.operation_pending()) << "and it changed nothing";
  EXPECT_TRUE(lock.Complete(kUnlocked).ok());
  EXPECT_FALSE(lock.Complete(kUnlocked).ok()) << "once per Operate";
}

// ---- Replays: a recording never opens the door ----

TEST_F(PhoneSessionTest, ReplayedIkFirstMessageNeverOperates) {
  PhoneSessionLock original = NewLock(20);
  PhoneSessionPhone phone = NewPhone(true, 20);
  const Unlock recorded = RunUnlock(original, phone);
  ASSERT_EQ(All<PhoneSessionLock::Operate>(recorded.lock_log).size(), 1u);
  // The fragments of IK message 1: the phone's first flight.
  const std::vector<PhoneFragment> first(recorded.phone_sent.begin(),
                                         recorded.phone_sent.begin() + static_cast<long>(recorded.flight_sizes[0]));
  // Message 1 alone: the new session answers and sends a challenge that the replayer cannot read.
  PhoneSessionLock victim = NewLock(20);
  LockActions did = ToLock(victim, first);
  EXPECT_EQ(All<PhoneSessionLock::Hello>(did).size(), 1u) << "message 1 proves who once sent it";
  EXPECT_TRUE(All<PhoneSessionLock::Operate>(did).empty());
  EXPECT_FALSE(victim.closed());
  // The recorded req after it: encrypted under the first session's keys, so it fails.
  std::vector<PhoneFragment> rest(recorded.phone_sent.begin() + static_cast<long>(first.size()),
                                  recorded.phone_sent.end());
  ASSERT_FALSE(rest.empty());
  did = ToLock(victim, rest);
  EXPECT_TRUE(All<PhoneSessionLock::Operate>(did).empty());
  ASSERT_EQ(All<PhoneSessionLock::Close>(did).size(), 1u);
  EXPECT_TRUE(victim.closed());
  // And the same message 1 twice to one session: the second is a transport message there.
  PhoneSessionLock twice = NewLock(20);
  ToLock(twice, first);
  std::vector<PhoneFragment> renumbered = first;
  for (std::size_t i = 0; i < renumbered.size(); ++i) renumbered[i][0] = static_cast<uint8_t>(first.size() + i);
  did = ToLock(twice, renumbered);
  EXPECT_TRUE(All<PhoneSessionLock::Operate>(did).empty());
  EXPECT_TRUE(twice.closed());
}

TEST_F(PhoneSessionTest, ReplayedXxSessionNeverOperates) {
  PhoneSessionLock original = NewLock();
  PhoneSessionPhone phone = NewPhone(false);
  const Unlock recorded = RunUnlock(original, phone);
  ASSERT_EQ(All<PhoneSessionLock::Operate>(recorded.lock_log).size(), 1u);
  PhoneSessionLock victim = NewLock();
  const LockActions did = ToLock(victim, recorded.phone_sent);
  EXPECT_TRUE(All<PhoneSessionLock::Operate>(did).empty());
  EXPECT_TRUE(All<PhoneSessionLock::Hello>(did).empty()) << "message 3 answers another message 2";
  ASSERT_EQ(All<PhoneSessionLock::Close>(did).size(), 1u);
  EXPECT_NE(All<PhoneSessionLock::Close>(did)[0].reason.find("message 3"), std::string::npos);
}

TEST_F(PhoneSessionTest, ReplayedIkSessionNeverOperates) {
  PhoneSessionLock original = NewLock();
  PhoneSessionPhone phone = NewPhone(true);
  const Unlock recorded = RunUnlock(original, phone);
  PhoneSessionLock victim = NewLock();
  const LockActions did = ToLock(victim, recorded.phone_sent);
  EXPECT_TRUE(All<PhoneSessionLock::Operate>(did).empty());
  EXPECT_TRUE(victim.closed());
}

// ---- Tampering and malformed input close the session ----

TEST_F(PhoneSessionTest, TamperedFragmentCloses) {
  for (bool pinned : {false, true}) {
    SCOPED_TRACE(pinned ? "IK" : "XX");
    // Every byte of a req cut into fragments of 20: a flipped payload byte fails decryption, a
    // flipped seq or flag byte fails the framing. Either way: Close and no Operate.
    PhoneSessionLock reference = NewLock(20);
    PhoneSessionPhone probe = NewPhone(pinned, 20);
    Connect(reference, probe);
    const auto req = RequestOrDie(probe, PhoneOp::kUnlock);
    ASSERT_GT(req.size(), 1u);
    std::size_t total = 0;
    for (const auto& f : req) total += f.size();
    for (std::size_t at = 0; at < total; ++at) {
      PhoneSessionLock lock = NewLock(20);
      PhoneSessionPhone phone = NewPhone(pinned, 20);
      Connect(lock, phone);
      auto fragments = RequestOrDie(phone, PhoneOp::kUnlock);
      std::size_t k = at, i = 0;
      while (k >= fragments[i].size()) k -= fragments[i++].size();
      fragments[i][k] ^= 0x01;
      const LockActions did = ToLock(lock, fragments);
      EXPECT_TRUE(All<PhoneSessionLock::Operate>(did).empty()) << "byte " << at;
      if (i + 1 == fragments.size() && k == 1) {
        // The last fragment now says more follow: the lock waits for them (until the idle
        // timeout), which is all a receiver can do.
        EXPECT_FALSE(lock.closed());
        continue;
      }
      EXPECT_EQ(All<PhoneSessionLock::Close>(did).size(), 1u) << "byte " << at;
      EXPECT_TRUE(lock.closed());
      EXPECT_TRUE(lock.Feed(fragments[0]).empty()) << "nothing after Close";
    }
  }
}

TEST_F(PhoneSessionTest, TamperedHandshakeCloses) {
  // Message 3 of XX, and message 1 of IK, each with one bit flipped in its last fragment.
  for (bool pinned : {false, true}) {
    PhoneSessionLock lock = NewLock();
    PhoneSessionPhone phone = NewPhone(pinned);
    std::vector<PhoneFragment> flight = StartOrDie(phone);
    if (!pinned) flight = Sent(ToPhone(phone, Sent(ToLock(lock, flight))));
    flight.back().back() ^= 0x80;
    const LockActions did = ToLock(lock, flight);
    EXPECT_TRUE(All<PhoneSessionLock::Hello>(did).empty());
    EXPECT_EQ(All<PhoneSessionLock::Close>(did).size(), 1u);
  }
  // A tampered message 2 closes the phone.
  PhoneSessionLock lock = NewLock();
  PhoneSessionPhone phone = NewPhone(false);
  auto msg2 = Sent(ToLock(lock, StartOrDie(phone)));
  msg2.back().back() ^= 0x01;
  const PhoneActions did = ToPhone(phone, msg2);
  EXPECT_EQ(All<PhoneSessionPhone::Close>(did).size(), 1u);
  EXPECT_TRUE(Sent(did).empty());
  EXPECT_TRUE(phone.closed());
}

TEST_F(PhoneSessionTest, TamperedAnswerClosesThePhone) {
  PhoneSessionLock lock = NewLock();
  PhoneSessionPhone phone = NewPhone(true);
  Connect(lock, phone);
  ToLock(lock, RequestOrDie(phone, PhoneOp::kUnlock));
  auto res = Sent(CompleteOrDie(lock, kUnlocked));
  res.front()[5] ^= 0x04;
  const PhoneActions did = ToPhone(phone, res);
  EXPECT_TRUE(All<PhoneSessionPhone::Result>(did).empty());
  EXPECT_EQ(All<PhoneSessionPhone::Close>(did).size(), 1u);
}

TEST_F(PhoneSessionTest, FirstMessageLengthPicksThePattern) {
  // 32 bytes: XX. An XX message 1 with a payload is longer, so it is read as IK and fails.
  PhoneSessionLock lock = NewLock();
  const crypto::NoiseKeypair e = crypto::GenerateKeypair();
  PhoneFragmenter f;
  Bytes xx(e.pub.begin(), e.pub.end());
  auto did = ToLock(lock, *f.Cut(xx));
  EXPECT_EQ(lock.pattern(), crypto::NoisePattern::kXX);
  EXPECT_EQ(Sent(did).size(), 1u) << "message 2";
  for (std::size_t n : {1u, 31u, 33u, 95u, 96u, 200u}) {
    PhoneSessionLock other = NewLock();
    PhoneFragmenter g;
    did = ToLock(other, *g.Cut(Bytes(n, 0x09)));
    EXPECT_EQ(other.pattern(), crypto::NoisePattern::kIK);
    EXPECT_EQ(All<PhoneSessionLock::Close>(did).size(), 1u) << n;
    EXPECT_TRUE(Sent(did).empty()) << n;
  }
  // An IK phone that pinned another lock's key.
  PhoneConfig config{phone_key_, crypto::GenerateKeypair().pub, CertFor(phone_key_.pub), std::nullopt, kMaxPhoneFragment};
  auto stranger = PhoneSessionPhone::Create(std::move(config));
  ASSERT_TRUE(stranger.ok());
  PhoneSessionLock third = NewLock();
  did = ToLock(third, StartOrDie(stranger.value()));
  EXPECT_TRUE(All<PhoneSessionLock::Hello>(did).empty());
  EXPECT_TRUE(third.closed());
}

TEST_F(PhoneSessionTest, UnexpectedMessagesClose) {
  const auto challenge = EncodePhoneMessage(PhoneChallenge{NonceOf(1)});
  const auto res = EncodePhoneMessage(kUnlocked);
  ASSERT_TRUE(challenge.ok() && res.ok());
  for (const Bytes& plaintext : {*challenge, *res, Bytes{0xA0}, Bytes{}, Bytes{0x00, 0x01}}) {
    PhoneSessionLock lock = NewLock();
    PhoneSessionPhone phone = NewPhone(true);
    Connect(lock, phone);
    auto fragments = phone.SendPlaintextForTesting(plaintext);
    ASSERT_TRUE(fragments.ok());
    const LockActions did = ToLock(lock, *fragments);
    EXPECT_EQ(All<PhoneSessionLock::Close>(did).size(), 1u);
    EXPECT_TRUE(Sent(did).empty());
  }
}

// ---- The failure limit ----

TEST_F(PhoneSessionTest, EightFailedOperationsClose) {
  PhoneSessionLock lock = NewLock();
  PhoneSessionPhone phone = NewPhone(true);
  Connect(lock, phone);
  const PhoneResponse denied = PhoneRefused("denied", "restricted");
  // Refusals from the daemon and stale nonces count alike.
  for (int i = 0; i < kMaxPhoneFailedOperations - 1; ++i) {
    if (i % 2 == 0) {
      EXPECT_EQ(Operate(lock, phone, PhoneOp::kUnlock, denied), denied);
    } else {
      auto stale = phone.SendPlaintextForTesting(
          *EncodePhoneMessage(PhoneRequest{PhoneOp::kUnlock, NonceOf(0xEE), std::nullopt}));
      ASSERT_TRUE(stale.ok());
      ToPhone(phone, Sent(ToLock(lock, *stale)));
    }
    EXPECT_EQ(lock.failed_operations(), i + 1);
    EXPECT_FALSE(lock.closed());
  }
  // Successes do not reset the count.
  EXPECT_EQ(Operate(lock, phone, PhoneOp::kLock, kUnlocked), kUnlocked);
  ASSERT_EQ(All<PhoneSessionLock::Operate>(ToLock(lock, RequestOrDie(phone, PhoneOp::kUnlock))).size(), 1u);
  const LockActions last = CompleteOrDie(lock, denied);
  ASSERT_GE(last.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<PhoneSessionLock::Close>(last.back()));
  EXPECT_EQ(All<PhoneSessionLock::Close>(last).size(), 1u);
  EXPECT_TRUE(lock.closed());
  // The phone still gets the eighth refusal before the connection drops.
  const auto results = All<PhoneSessionPhone::Result>(ToPhone(phone, Sent(last)));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].res, denied);
  EXPECT_FALSE(phone.has_challenge());
  EXPECT_FALSE(lock.Complete(kUnlocked).ok());
}

// ---- Configuration and constants ----

TEST_F(PhoneSessionTest, CreateRefusesBadConfigurations) {
  EXPECT_FALSE(PhoneSessionLock::Create({lock_key_, "", random_, kMaxPhoneFragment}).ok());
  EXPECT_FALSE(PhoneSessionLock::Create({lock_key_, "lk 1", random_, kMaxPhoneFragment}).ok());
  EXPECT_FALSE(PhoneSessionLock::Create({lock_key_, std::string(kLockId), nullptr, kMaxPhoneFragment}).ok());
  EXPECT_FALSE(PhoneSessionPhone::Create({phone_key_, std::nullopt, Bytes{}, std::nullopt, kMaxPhoneFragment}).ok());
  EXPECT_FALSE(PhoneSessionPhone::Create({phone_key_, std::nullopt, Bytes(core::kMaxPhoneKeyBytes + 1, 1), std::nullopt,
                                          kMaxPhoneFragment})
                   .ok());
  EXPECT_FALSE(
      PhoneSessionPhone::Create({phone_key_, std::nullopt, Bytes(10, 1), Bytes{}, kMaxPhoneFragment}).ok());
}

TEST(PhoneSessionLimits, Constants) {
  EXPECT_EQ(kPhoneSessionIdleMs, 30'000);
  EXPECT_EQ(kMaxPhoneFailedOperations, 8);
  EXPECT_EQ(kPhonePrologue, "latchkey-phone-v1");
  EXPECT_EQ(kPhoneXxFirstMessage, 32u);
}

// The sizes docs/phone-keys.md gives for its example session (a 214-byte certificate, lock id
// lk-0011223344556677, an unlock answered with unlocked / closed / 87 %).
TEST_F(PhoneSessionTest, MessageSizesOfTheDocumentedExample) {
  auto sizes = [](const std::vector<PhoneFragment>& fragments) {
    std::size_t n = 0;
    for (const auto& f : fragments) n += f.size() - kPhoneFragmentHeader;
    return n;
  };
  ASSERT_EQ(CertFor(phone_key_.pub).size(), 214u);
  {
    PhoneSessionLock lock = NewLock();
    PhoneSessionPhone phone = NewPhone(false);
    const auto msg1 = StartOrDie(phone);
    EXPECT_EQ(sizes(msg1), 32u);
    const auto msg2 = Sent(ToLock(lock, msg1));
    EXPECT_EQ(sizes(msg2), 32u + 48u + 33u + 16u);
    const auto msg3 = Sent(ToPhone(phone, msg2));
    EXPECT_EQ(sizes(msg3), 48u + 230u + 16u);
    const auto challenge = Sent(ToLock(lock, msg3));
    EXPECT_EQ(sizes(challenge), 36u + 16u);
    ToPhone(phone, challenge);
    const auto req = RequestOrDie(phone, PhoneOp::kUnlock);
    EXPECT_EQ(sizes(req), 40u + 16u);
    ToLock(lock, req);
    const auto answer = Sent(CompleteOrDie(lock, kUnlocked));
    ASSERT_EQ(answer.size(), 2u) << "res and challenge, one fragment each at 512";
    EXPECT_EQ(answer[0].size() - 2, 75u + 16u);
    EXPECT_EQ(answer[1].size() - 2, 36u + 16u);
  }
  {
    PhoneSessionLock lock = NewLock();
    PhoneSessionPhone phone = NewPhone(true);
    const auto msg1 = StartOrDie(phone);
    EXPECT_EQ(sizes(msg1), 32u + 48u + 230u + 16u);
    const auto reply = Sent(ToLock(lock, msg1));
    ASSERT_EQ(reply.size(), 2u);
    EXPECT_EQ(reply[0].size() - 2, 32u + 33u + 16u);
    EXPECT_EQ(reply[1].size() - 2, 36u + 16u);
  }
  // At BLE's default MTU (fragments of 20): XX message 3 takes 17 fragments.
  PhoneFragmenter ble(20);
  EXPECT_EQ(ble.Cut(Bytes(294, 0))->size(), 17u);
}

}  // namespace
}  // namespace latchkey::link
