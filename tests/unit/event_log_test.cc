// LOCK-SEMANTICS.md 9: the event log: seq, time, the hash chain and its canonical encoding
// (src/core/event.h), acknowledgements, capacity and events_lost (docs/lock-choices.md), the
// observer, and durability when a write fails.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lock_fixture.h"

namespace latchkey::core {
namespace {

constexpr char kPin[] = "123456";

using Bytes = std::vector<uint8_t>;

// Tiny deterministic-CBOR writers (RFC 8949 3.1 and 4.2.1) used to spell the expected bytes.
Bytes Head(uint8_t major, uint64_t n) {
  const uint8_t m = static_cast<uint8_t>(major << 5);
  if (n < 24) return {static_cast<uint8_t>(m | n)};
  if (n <= 0xff) return {static_cast<uint8_t>(m | 24), static_cast<uint8_t>(n)};
  if (n <= 0xffff) {
    return {static_cast<uint8_t>(m | 25), static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
  }
  if (n <= 0xffffffffULL) {
    return {static_cast<uint8_t>(m | 26), static_cast<uint8_t>(n >> 24),
            static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
  }
  Bytes out{static_cast<uint8_t>(m | 27)};
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(n >> shift));
  return out;
}
Bytes Text(std::string_view s) {
  Bytes out = Head(3, s.size());
  out.insert(out.end(), s.begin(), s.end());
  return out;
}
Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::string Hex(const Bytes& b) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (uint8_t c : b) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

class EventLogTest : public LockTest {
 protected:
  void Tamper() { ASSERT_TRUE(lock().Tamper().ok()); }
  // The hash before `first` as the observer saw it (zero before seq 1).
  Digest HashBefore(uint64_t first) {
    if (first <= 1) return Digest{};
    for (const auto& e : observer_.events) {
      if (e.seq == first - 1) return e.hash;
    }
    ADD_FAILURE() << "observer never saw seq " << first - 1;
    return Digest{};
  }
};

class SmallLogTest : public EventLogTest {
 protected:
  SmallLogTest() { config_.log_capacity = 32; }
  void ExpectConsecutiveAndVerified() {
    const auto stored = events();
    ASSERT_FALSE(stored.empty());
    EXPECT_LE(stored.size(), 32u);
    for (std::size_t i = 1; i < stored.size(); ++i) {
      ASSERT_EQ(stored[i].seq, stored[i - 1].seq + 1) << "a gap inside the kept log";
    }
    EXPECT_EQ(stored.back().seq, lock().last_seq());
    EXPECT_EQ(VerifyChain(crypto_, HashBefore(stored.front().seq), stored), std::nullopt);
  }
  uint64_t LostCountSeenByObserver() {
    uint64_t n = 0;
    for (const auto& e : observer_.events) {
      if (e.kind == EventKind::kAlarm && e.alarm == AlarmKind::kEventsLost) n += e.count.value_or(0);
    }
    return n;
  }
  std::size_t LostAlarmsSeenByObserver() {
    std::size_t n = 0;
    for (const auto& e : observer_.events) {
      n += e.kind == EventKind::kAlarm && e.alarm == AlarmKind::kEventsLost;
    }
    return n;
  }
};

// ===========================================================================================
// seq and time
// ===========================================================================================

// LOCK-SEMANTICS 9: seq is 1, 2, 3... per lock.
TEST_F(EventLogTest, Seq_StartsAtOneAndIsConsecutive) {
  Tamper();
  AddPinUser(kPin);
  Keypad(kPin);
  Keypad("999999");
  Tamper();
  const auto all = events();
  ASSERT_GE(all.size(), 5u);
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].seq, i + 1);
  EXPECT_EQ(lock().last_seq(), all.back().seq);
  EXPECT_EQ(lock().status().last_seq, all.back().seq);
}

// LOCK-SEMANTICS 9: seq is never reused, also across power cycles.
TEST_F(EventLogTest, Seq_NeverReusedAcrossReboot) {
  Tamper();
  Tamper();
  const uint64_t before = lock().last_seq();
  const auto old_events = events();
  Reboot();
  Tamper();
  Reboot();
  Tamper();
  const auto all = events();
  ASSERT_GT(all.size(), old_events.size());
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].seq, i + 1);
  for (std::size_t i = 0; i < old_events.size(); ++i) {
    EXPECT_EQ(all[i], old_events[i]) << "a stored event changed across reboot";
  }
  EXPECT_GT(lock().last_seq(), before + 3);
}

// LOCK-SEMANTICS 9 time: the lock's clock (the real-time clock), UTC milliseconds.
TEST_F(EventLogTest, Time_FromTheWallClock) {
  Tamper();
  EXPECT_EQ(LastEvent().time_ms, 1'795'600'800'000);  // 2026-11-25T10:00:00Z (FakeClock default)
  Advance(1'234);
  Tamper();
  EXPECT_EQ(LastEvent().time_ms, 1'795'600'801'234);
  clock_.SetWall(clock_.WallMs() + 86'400'000);  // the RTC says a day later
  Tamper();
  EXPECT_EQ(LastEvent().time_ms, clock_.WallMs());
  Reboot();  // the monotonic clock restarts; event times still follow the wall clock
  Tamper();
  EXPECT_EQ(LastEvent().time_ms, clock_.WallMs());
}

// ===========================================================================================
// The hash chain
// ===========================================================================================

// LOCK-SEMANTICS 9 + event.h: hash(n) = BLAKE2b-256(hash(n-1) || canonical(event n)), hash(0) = 0.
TEST_F(EventLogTest, Chain_EachHashCoversPreviousHashAndEvent) {
  AddPinUser(kPin);
  Keypad(kPin);
  Tamper();
  const auto all = events();
  ASSERT_GE(all.size(), 3u);
  Digest prev{};
  for (const auto& e : all) {
    const Bytes canonical = CanonicalEncoding(e);
    EXPECT_EQ(e.hash, crypto_.ChainHash(prev, canonical)) << "seq " << e.seq;
    EXPECT_EQ(e.hash, ChainHashOf(crypto_, prev, e)) << "seq " << e.seq;
    prev = e.hash;
  }
  EXPECT_EQ(VerifyChain(crypto_, Digest{}, all), std::nullopt);
}

// LOCK-SEMANTICS 9: the chain stays valid across power cycles.
TEST_F(EventLogTest, Chain_VerifiesAcrossReboot) {
  Tamper();
  Reboot();
  Tamper();
  Reboot();
  EXPECT_EQ(VerifyChain(crypto_, Digest{}, events()), std::nullopt);
}

class EditedLogTest : public EventLogTest {
 protected:
  void SetUp() override {
    EventLogTest::SetUp();
    AddPinUser(kPin);
    Keypad(kPin);
    Keypad("999999");
    Tamper();
    ASSERT_TRUE(lock().SetExternalPower(true).ok());
    log_ = events();
    ASSERT_GE(log_.size(), 5u);
    ASSERT_EQ(VerifyChain(crypto_, Digest{}, log_), std::nullopt);
  }
  std::vector<Event> log_;
};

// LOCK-SEMANTICS 9: any edit is detectable.
TEST_F(EditedLogTest, Chain_EditIsDetected) {
  auto edited = log_;
  edited[2].source = Source::kRemote;
  EXPECT_EQ(VerifyChain(crypto_, Digest{}, edited), std::optional<uint64_t>(log_[2].seq));

  edited = log_;
  edited[1].time_ms += 1;
  EXPECT_EQ(VerifyChain(crypto_, Digest{}, edited), std::optional<uint64_t>(log_[1].seq));

  edited = log_;
  edited[3].hash[0] ^= 1;
  EXPECT_EQ(VerifyChain(crypto_, Digest{}, edited), std::optional<uint64_t>(log_[3].seq));
}

// LOCK-SEMANTICS 9: an edit whose own hash was recomputed is caught at the next event.
TEST_F(EditedLogTest, Chain_EditWithRecomputedHashIsDetectedAtTheNextEvent) {
  auto edited = log_;
  edited[1].time_ms -= 60'000;
  edited[1].hash = ChainHashOf(crypto_, edited[0].hash, edited[1]);
  EXPECT_EQ(VerifyChain(crypto_, Digest{}, edited), std::optional<uint64_t>(log_[2].seq));
}

// LOCK-SEMANTICS 9: any deletion is detectable.
TEST_F(EditedLogTest, Chain_DeletionIsDetected) {
  auto edited = log_;
  edited.erase(edited.begin() + 2);
  EXPECT_EQ(VerifyChain(crypto_, Digest{}, edited), std::optional<uint64_t>(log_[3].seq));

  edited = log_;
  edited.erase(edited.begin());
  EXPECT_EQ(VerifyChain(crypto_, Digest{}, edited), std::optional<uint64_t>(log_[1].seq));
}

// LOCK-SEMANTICS 9: reordering is detectable.
TEST_F(EditedLogTest, Chain_ReorderIsDetected) {
  auto edited = log_;
  std::swap(edited[2], edited[3]);
  EXPECT_EQ(VerifyChain(crypto_, Digest{}, edited), std::optional<uint64_t>(log_[3].seq));
}

// LOCK-SEMANTICS 9: a run that starts later verifies against the hash before it.
TEST_F(EditedLogTest, Chain_SuffixVerifiesAgainstPreviousHash) {
  const std::vector<Event> suffix(log_.begin() + 2, log_.end());
  EXPECT_EQ(VerifyChain(crypto_, log_[1].hash, suffix), std::nullopt);
  EXPECT_EQ(VerifyChain(crypto_, log_[0].hash, suffix), std::optional<uint64_t>(log_[2].seq));
}

// ===========================================================================================
// Canonical encoding (event.h: deterministic CBOR, RFC 8949 4.2.1)
// ===========================================================================================

// event.h: a small alarm event, byte for byte. Keys sort by their encoded bytes: "seq" (3 chars)
// first, then "kind" < "time" (4 chars), then "alarm" (5 chars).
TEST_F(EventLogTest, Canonical_SmallAlarmEventExactBytes) {
  Event e = AlarmEvent(AlarmKind::kTamper);
  e.seq = 1;
  e.time_ms = 1000;
  const Bytes expected = {
      0xa4,                                      // map(4)
      0x63, 's', 'e', 'q', 0x01,                 // "seq": 1
      0x64, 'k', 'i', 'n', 'd',                  // "kind":
      0x65, 'a', 'l', 'a', 'r', 'm',             //   "alarm"
      0x64, 't', 'i', 'm', 'e', 0x19, 0x03, 0xe8,  // "time": 1000
      0x65, 'a', 'l', 'a', 'r', 'm',             // "alarm":
      0x66, 't', 'a', 'm', 'p', 'e', 'r',        //   "tamper"
  };
  EXPECT_EQ(Hex(CanonicalEncoding(e)), Hex(expected));
}

// event.h: a lock_operation with every optional field; the nested credential map is sorted too,
// and a 2026 time needs the 8-byte integer head.
TEST_F(EventLogTest, Canonical_LockOperationWithAllFieldsExactBytes) {
  Event e = OperationEvent(Operation::kUnlock, Source::kKeypad);
  e.seq = 300;
  e.time_ms = 1'795'600'800'000;  // 0x1A21225D900
  e.user = IndexOrAll{3, false};
  e.credential = CredentialRef{CredentialType::kPin, 2};
  e.actor = "hub";
  const Bytes expected = Cat({
      {0xa8},
      Text("seq"), {0x19, 0x01, 0x2c},
      Text("kind"), Text("lock_operation"),
      Text("time"), {0x1b, 0x00, 0x00, 0x01, 0xa2, 0x12, 0x25, 0xd9, 0x00},
      Text("user"), {0x03},
      Text("actor"), Text("hub"),
      Text("source"), Text("keypad"),
      Text("operation"), Text("unlock"),
      Text("credential"), {0xa2}, Text("type"), Text("pin"), Text("index"), {0x02},
  });
  EXPECT_EQ(Hex(CanonicalEncoding(e)), Hex(expected));
}

// event.h: a change event to every user: `user` is the text "all"; "data_type" < "operation"
// (same length, bytewise).
TEST_F(EventLogTest, Canonical_ChangeEventToAllUsersExactBytes) {
  Event e = ChangeEvent(DataType::kUser, ChangeOperation::kClear,
                        Actor{Source::kRemote, "owner", true});
  e.seq = 24;
  e.time_ms = 23;
  e.user = IndexOrAll::All();
  const Bytes expected = Cat({
      {0xa8},
      Text("seq"), {0x18, 0x18},
      Text("kind"), Text("change"),
      Text("time"), {0x17},
      Text("user"), Text("all"),
      Text("actor"), Text("owner"),
      Text("source"), Text("remote"),
      Text("data_type"), Text("user"),
      Text("operation"), Text("clear"),
  });
  EXPECT_EQ(Hex(CanonicalEncoding(e)), Hex(expected));
}

// event.h: a power event with a boolean; a door event.
TEST_F(EventLogTest, Canonical_PowerAndDoorEventsExactBytes) {
  Event p = PowerEvent(true);
  p.seq = 7;
  p.time_ms = 0;
  EXPECT_EQ(Hex(CanonicalEncoding(p)),
            Hex(Cat({{0xa4}, Text("seq"), {0x07}, Text("kind"), Text("power"), Text("time"),
                     {0x00}, Text("external_power"), {0xf5}})));
  Event d = DoorEvent(DoorState::kForcedOpen);
  d.seq = 8;
  d.time_ms = 65536;
  EXPECT_EQ(Hex(CanonicalEncoding(d)),
            Hex(Cat({{0xa4}, Text("seq"), {0x08}, Text("kind"), Text("door_state"), Text("time"),
                     {0x1a, 0x00, 0x01, 0x00, 0x00}, Text("door_state"), Text("forced_open")})));
}

// event.h: the events_lost alarm carries `count`.
TEST_F(EventLogTest, Canonical_EventsLostWithCountExactBytes) {
  Event e = AlarmEvent(AlarmKind::kEventsLost);
  e.seq = 33;
  e.time_ms = 5;
  e.count = 2;
  EXPECT_EQ(Hex(CanonicalEncoding(e)),
            Hex(Cat({{0xa5}, Text("seq"), {0x18, 0x21}, Text("kind"), Text("alarm"),
                     Text("time"), {0x05}, Text("alarm"), Text("events_lost"), Text("count"),
                     {0x02}})));
}

// event.h: the encoding is deterministic and covers everything but `hash`.
TEST_F(EventLogTest, Canonical_DeterministicAndWithoutHash) {
  AddPinUser(kPin);
  Keypad(kPin);
  for (const auto& e : events()) {
    const Bytes a = CanonicalEncoding(e);
    Event copy = e;
    EXPECT_EQ(CanonicalEncoding(copy), a);
    copy.hash.fill(0xee);
    EXPECT_EQ(CanonicalEncoding(copy), a) << "hash is not part of the encoding";
    copy.seq += 1;
    EXPECT_NE(CanonicalEncoding(copy), a);
  }
}

// ===========================================================================================
// Acknowledgements and capacity
// ===========================================================================================

// LOCK-SEMANTICS 9 + lock.h AckEvents: the hub acknowledges up to a seq; it persists.
TEST_F(EventLogTest, Ack_RecordsAcknowledgedSeqAndSurvivesReboot) {
  Tamper();
  Tamper();
  Tamper();
  EXPECT_EQ(lock().acked_seq(), 0u);
  ASSERT_TRUE(lock().AckEvents(2).ok());
  EXPECT_EQ(lock().acked_seq(), 2u);
  Reboot();
  EXPECT_EQ(lock().acked_seq(), 2u);
  EXPECT_EQ(events().front().seq, 1u) << "events are kept while the log has room";
}

// lock-choices log: when full, acknowledged events are dropped first, silently.
TEST_F(SmallLogTest, Capacity_AcknowledgedEventsDroppedSilently) {
  for (int i = 0; i < 100; ++i) {
    Tamper();
    ASSERT_TRUE(lock().AckEvents(lock().last_seq()).ok());
    ASSERT_LE(events().size(), 32u);
  }
  EXPECT_EQ(LostAlarmsSeenByObserver(), 0u);
  EXPECT_TRUE(Alarms(AlarmKind::kEventsLost).empty());
  EXPECT_GE(lock().last_seq(), 100u);
  ExpectConsecutiveAndVerified();
}

// lock-choices log: acknowledged events make room before any unacknowledged one is dropped.
TEST_F(SmallLogTest, Capacity_AcknowledgedGoFirst) {
  while (lock().last_seq() < 32) Tamper();
  ASSERT_EQ(events().size(), 32u);
  ASSERT_TRUE(lock().AckEvents(16).ok());
  for (int i = 0; i < 10; ++i) Tamper();
  EXPECT_EQ(LostAlarmsSeenByObserver(), 0u);
  const auto stored = events();
  EXPECT_LE(stored.front().seq, 17u) << "every unacknowledged event is still there";
  ExpectConsecutiveAndVerified();
}

// LOCK-SEMANTICS 9 + lock-choices: overwriting unacknowledged events first records events_lost
// with the count (the oldest 1/16 of the log is dropped at once: 2 of 32).
TEST_F(SmallLogTest, Capacity_UnacknowledgedOverflowRecordsEventsLost) {
  while (lock().last_seq() < 32) Tamper();
  ASSERT_EQ(events().size(), 32u);
  ASSERT_EQ(events().front().seq, 1u);
  Tamper();  // seq 33 needs room
  const auto stored = events();
  EXPECT_LE(stored.size(), 32u);
  const auto lost = Alarms(AlarmKind::kEventsLost);
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].count, std::optional<uint64_t>(2));
  EXPECT_EQ(stored.front().seq, 3u);
  // The events_lost record comes before the event that needed the room.
  EXPECT_EQ(stored.back().kind, EventKind::kAlarm);
  EXPECT_EQ(stored.back().alarm, std::optional<AlarmKind>(AlarmKind::kTamper));
  EXPECT_LT(lost[0].seq, stored.back().seq);
  ExpectConsecutiveAndVerified();
}

// LOCK-SEMANTICS 9: over a long run without acks the counts of events_lost add up to exactly the
// events that were dropped, and the log never exceeds its capacity.
TEST_F(SmallLogTest, Capacity_EventsLostCountsAddUp) {
  for (int i = 0; i < 150; ++i) {
    Tamper();
    ASSERT_LE(events().size(), 32u);
  }
  const auto stored = events();
  EXPECT_GT(LostAlarmsSeenByObserver(), 1u);
  EXPECT_EQ(LostCountSeenByObserver(), stored.front().seq - 1);
  ExpectConsecutiveAndVerified();
  // seq keeps going after a reboot of a full log.
  const uint64_t last = lock().last_seq();
  Reboot();
  EXPECT_GT(lock().last_seq(), last);
  ExpectConsecutiveAndVerified();
}

// ===========================================================================================
// Observer
// ===========================================================================================

// lock.h LockObserver: told each new event after it has been stored, in order.
TEST_F(EventLogTest, Observer_ReceivesEachEvent) {
  AddPinUser(kPin);
  Keypad(kPin);
  Advance(1'000);
  Keypad("999999");
  Tamper();
  ASSERT_TRUE(lock().SetDoor(true).ok());
  Reboot();
  Tamper();
  EXPECT_EQ(observer_.events, events());
  EXPECT_FALSE(observer_.statuses.empty());
}

// ===========================================================================================
// Storage failure
// ===========================================================================================

// lock.h + lock-choices: a failed durable write fails the operation with io_error; after a
// reboot nothing of it is visible.
TEST_F(EventLogTest, StoreFailure_AddCredentialChangesNothing) {
  const auto before = events();
  store_.FailNextWrites(1);
  CredentialRequest request;
  request.data = kPin;
  auto added = lock().AddCredential(request, owner_);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.status().code(), Code::kIoError);
  Reboot();
  EXPECT_TRUE(lock().ListUsers().empty());
  EXPECT_TRUE(lock().ListCredentials(std::nullopt).empty());
  EXPECT_EQ(std::string(ToString(Keypad(kPin).reason.value_or(AccessError::kLockout))),
            "invalid_credential");
  const auto after = events();
  ASSERT_GE(after.size(), before.size());
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i], before[i]);
  for (const auto& e : after) EXPECT_NE(e.kind, EventKind::kChange) << "seq " << e.seq;
}

// lock.h: a failed write at an access decision: io_error, the bolt does not move, no event and
// no counted attempt after the reboot.
TEST_F(EventLogTest, StoreFailure_AccessDecisionChangesNothing) {
  AddPinUser(kPin);
  const uint64_t last = lock().last_seq();
  const auto before = events();
  store_.FailNextWrites(1);
  auto granted = lock().Present(Source::kKeypad, kPin);
  ASSERT_FALSE(granted.ok());
  EXPECT_EQ(granted.status().code(), Code::kIoError);
  EXPECT_EQ(bolt_.drives(), 0) << "an unrecorded unlock must not happen";
  Reboot();
  EXPECT_EQ(lock().status().lock_state, LockState::kLocked);
  const auto after = events();
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i], before[i]);
  for (const auto& e : after) {
    if (e.seq > last) {
      EXPECT_NE(e.kind, EventKind::kLockOperation) << "seq " << e.seq;
    }
  }

  store_.FailNextWrites(1);
  auto wrong = lock().Present(Source::kKeypad, "999999");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), Code::kIoError);
  Reboot();
  EXPECT_EQ(lock().status().wrong_attempts, 0u);
  EXPECT_TRUE(EventsOfKind(EventKind::kLockOperationError).empty());
}

// lock.h: after a failed write the lock is in a fault state: every call fails with io_error
// until it is opened again from its store; settings are unchanged.
TEST_F(EventLogTest, StoreFailure_FaultStateUntilReopened) {
  AddPinUser(kPin);
  const Settings settings = lock().settings();
  store_.FailNextWrites(1);
  SettingsPatch p;
  p.auto_relock_s = 30;
  auto updated = lock().UpdateSettings(p, owner_);
  ASSERT_FALSE(updated.ok());
  EXPECT_EQ(updated.status().code(), Code::kIoError);

  // The store works again, but the lock stays faulted: memory is never ahead of disk.
  const Status tamper = lock().Tamper();
  EXPECT_EQ(tamper.code(), Code::kIoError);
  auto decision = lock().Present(Source::kKeypad, kPin);
  ASSERT_FALSE(decision.ok());
  EXPECT_EQ(decision.status().code(), Code::kIoError);
  EXPECT_EQ(bolt_.drives(), 0);

  Reboot();
  EXPECT_EQ(lock().settings(), settings);
  EXPECT_TRUE(Alarms(AlarmKind::kTamper).empty());
  ASSERT_TRUE(lock().Tamper().ok());
  EXPECT_EQ(Alarms(AlarmKind::kTamper).size(), 1u);
  EXPECT_EQ(VerifyChain(crypto_, Digest{}, events()), std::nullopt);
  for (std::size_t i = 0; i < events().size(); ++i) EXPECT_EQ(events()[i].seq, i + 1);
}

}  // namespace
}  // namespace latchkey::core
