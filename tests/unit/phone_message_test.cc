// Messages of the phone session (PHONE-KEYS.md 2): each type's deterministic CBOR (known bytes for
// the ones docs/phone-keys.md shows), round trips, and every refusal of the strict decoder, which
// names the field.
#include "link/phone_message.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/cbor.h"
#include "core/phone_key.h"
#include "link/phone_frame.h"

namespace latchkey::link {
namespace {

using Bytes = std::vector<uint8_t>;

std::string Hex(const Bytes& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

PhoneNonce CountingNonce() {
  PhoneNonce n{};
  for (std::size_t i = 0; i < n.size(); ++i) n[i] = static_cast<uint8_t>(i);
  return n;
}

// ---- Hand-made CBOR, for what the encoder would never write ----

Bytes Text(std::string_view s) {
  core::CborWriter w;
  w.Text(s);
  return w.Take();
}
Bytes Blob(std::size_t n, uint8_t fill = 0xAB) {
  core::CborWriter w;
  w.Bytes(Bytes(n, fill));
  return w.Take();
}
Bytes Uint(uint64_t v) {
  core::CborWriter w;
  w.Head(0, v);
  return w.Take();
}
const Bytes kTrue = {0xF5};
const Bytes kFalse = {0xF4};
const Bytes kNull = {0xF6};

// A map with the entries in the order given (not sorted): keys are text.
Bytes Map(const std::vector<std::pair<std::string, Bytes>>& entries) {
  core::CborWriter w;
  w.Head(5, entries.size());
  for (const auto& [k, v] : entries) {
    w.Text(k);
    w.Raw(v);
  }
  return w.Take();
}

Bytes Encoded(const PhoneMessage& m) {
  auto bytes = EncodePhoneMessage(m);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? bytes.value() : Bytes{};
}

void ExpectRoundTrip(const PhoneMessage& m) {
  SCOPED_TRACE(std::string(PhoneMessageType(m)));
  const Bytes bytes = Encoded(m);
  auto back = DecodePhoneMessage(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, m);
  EXPECT_EQ(Encoded(*back), bytes);
}

// Decoding `bytes` is refused with kInvalid and a message starting with `field` + ": ".
void ExpectRefused(const Bytes& bytes, std::string_view field) {
  auto got = DecodePhoneMessage(bytes);
  ASSERT_FALSE(got.ok()) << "accepted " << Hex(bytes);
  EXPECT_EQ(got.status().code(), core::Code::kInvalid);
  EXPECT_EQ(got.status().message().rfind(std::string(field) + ": ", 0), 0u)
      << "refusal \"" << got.status().message() << "\" should name " << field << " (" << Hex(bytes) << ")";
}

// Encoding `m` is refused, naming `field`.
void ExpectEncodeRefused(const PhoneMessage& m, std::string_view field) {
  auto got = EncodePhoneMessage(m);
  ASSERT_FALSE(got.ok()) << "encoded " << PhoneMessageType(m);
  EXPECT_EQ(got.status().message().rfind(std::string(field) + ": ", 0), 0u) << got.status().message();
}

// ---- Known bytes ----

TEST(PhoneMessage, KnownEncodings) {
  // {"t": "lock", "lock": "lk-0011223344556677"}
  EXPECT_EQ(Hex(Encoded(PhoneLockHello{"lk-0011223344556677"})),
            "a26174646c6f636b646c6f636b736c6b2d30303131323233333434353536363737");
  // {"t": "challenge", "nonce": h'000102...0f'}: "t" first, then "nonce" (shorter keys sort first).
  EXPECT_EQ(Hex(Encoded(PhoneChallenge{CountingNonce()})),
            "a26174696368616c6c656e6765656e6f6e636550000102030405060708090a0b0c0d0e0f");
  // {"t": "req", "op": "unlock", "nonce": ...}
  EXPECT_EQ(Hex(Encoded(PhoneRequest{PhoneOp::kUnlock, CountingNonce(), std::nullopt})),
            "a3617463726571626f7066756e6c6f636b656e6f6e636550000102030405060708090a0b0c0d0e0f");
  // {"t": "res", "ok": true, "result": {"lock_state": "unlocked", "door_state": "closed",
  //  "battery_percent": 87}}
  EXPECT_EQ(Hex(Encoded(PhoneOk({core::LockState::kUnlocked, core::DoorState::kClosed, 87}))),
            "a3617463726573626f6bf566726573756c74a36a646f6f725f7374617465"
            "66636c6f7365646a6c6f636b5f737461746568756e6c6f636b65646f626174746572795f70657263656e741857");
  // {"t": "res", "ok": false, "error": {"code": "denied", "reason": "lockout"}}
  EXPECT_EQ(Hex(Encoded(PhoneRefused("denied", "lockout"))),
            "a3617463726573626f6bf4656572726f72a264636f64656664656e69656466726561736f6e676c6f636b6f7574");
}

// ---- Round trips ----

TEST(PhoneMessage, RoundTripsEveryType) {
  ExpectRoundTrip(PhoneLockHello{"lk-0011223344556677"});
  ExpectRoundTrip(PhoneLockHello{std::string(64, 'x')});
  ExpectRoundTrip(PhoneHello{Bytes(214, 0x11), std::nullopt});
  ExpectRoundTrip(PhoneHello{Bytes(core::kMaxPhoneKeyBytes, 0x11), Bytes(kMaxPhoneRevocationBytes, 0x22)});
  ExpectRoundTrip(PhoneHello{Bytes{1}, Bytes{2}});
  ExpectRoundTrip(PhoneChallenge{CountingNonce()});
  ExpectRoundTrip(PhoneChallenge{});
  for (PhoneOp op : {PhoneOp::kLock, PhoneOp::kUnlock, PhoneOp::kUnlatch, PhoneOp::kStatus}) {
    ExpectRoundTrip(PhoneRequest{op, CountingNonce(), std::nullopt});
  }
  ExpectRoundTrip(PhoneRequest{PhoneOp::kUnlock, CountingNonce(), Bytes(kMaxPhoneArrivalBytes, 0xA5)});
  ExpectRoundTrip(PhoneOk({core::LockState::kLocked, std::nullopt, std::nullopt}));
  ExpectRoundTrip(PhoneOk({core::LockState::kJammed, core::DoorState::kForcedOpen, 0}));
  ExpectRoundTrip(PhoneOk({core::LockState::kUnlatched, std::nullopt, 100}));
  ExpectRoundTrip(PhoneRefused("jammed"));
  ExpectRoundTrip(PhoneRefused("forbidden", "expired"));
  ExpectRoundTrip(PhoneRefused("invalid", kStaleChallengeReason));
  ExpectRoundTrip(PhoneRefused("rate_limited"));
  for (std::string_view reason : core::EnumNames<core::AccessError>::kNames) {
    ExpectRoundTrip(PhoneRefused("denied", reason));
  }
  for (std::string_view reason : core::EnumNames<core::PhoneKeyVerdict>::kNames) {
    if (reason != "accept") ExpectRoundTrip(PhoneRefused("forbidden", reason));
  }
}

TEST(PhoneMessage, OpsMapToOperations) {
  EXPECT_EQ(OperationOf(PhoneOp::kLock), core::Operation::kLock);
  EXPECT_EQ(OperationOf(PhoneOp::kUnlock), core::Operation::kUnlock);
  EXPECT_EQ(OperationOf(PhoneOp::kUnlatch), core::Operation::kUnlatch);
  EXPECT_EQ(OperationOf(PhoneOp::kStatus), std::nullopt);
  EXPECT_EQ(core::ToString(PhoneOp::kStatus), "status");
  EXPECT_EQ(core::Parse<PhoneOp>("unlatch"), PhoneOp::kUnlatch);
}

// ---- Refusals: the envelope ----

TEST(PhoneMessage, RefusesWhatIsNotAMessage) {
  ExpectRefused({}, "message");
  ExpectRefused({0x80}, "message");                  // an array
  ExpectRefused({0x01}, "message");                  // an integer
  ExpectRefused({0xBF, 0x61, 0x74, 0xFF}, "message");  // an indefinite-length map
  ExpectRefused({0xB8, 0x02}, "message");            // a map head longer than needed
  ExpectRefused({0xA0}, "t");                        // empty
  ExpectRefused(Map({{"nonce", Blob(16)}}), "t");
  ExpectRefused(Map({{"a", Uint(1)}, {"t", Text("challenge")}}), "t");  // something sorts before "t"
  ExpectRefused(Map({{"t", Uint(1)}}), "t");
  ExpectRefused(Map({{"t", Text("hello!")}}), "t");
  ExpectRefused(Map({{"t", Text("ping")}}), "t");
  Bytes big = Encoded(PhoneHello{Bytes(1000, 1), Bytes(kMaxPhoneRevocationBytes, 2)});
  big.resize(kMaxPhoneMessage + 1);
  ExpectRefused(big, "message");
}

TEST(PhoneMessage, RefusesTrailingBytes) {
  Bytes bytes = Encoded(PhoneChallenge{CountingNonce()});
  bytes.push_back(0x00);
  ExpectRefused(bytes, "message");
  Bytes twice = Encoded(PhoneChallenge{});
  const Bytes again = twice;
  twice.insert(twice.end(), again.begin(), again.end());
  ExpectRefused(twice, "message");
}

TEST(PhoneMessage, RefusesEveryTruncation) {
  for (const PhoneMessage& m : std::vector<PhoneMessage>{
           PhoneLockHello{"lk-1"}, PhoneHello{Bytes(30, 1), Bytes(3, 2)}, PhoneChallenge{},
           PhoneRequest{PhoneOp::kLock, {}, Bytes(5, 1)}, PhoneOk({core::LockState::kLocked, core::DoorState::kOpen, 5}),
           PhoneRefused("denied", "mode")}) {
    const Bytes bytes = Encoded(m);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_FALSE(DecodePhoneMessage(std::span(bytes).first(n)).ok()) << PhoneMessageType(m) << " cut at " << n;
    }
  }
}

TEST(PhoneMessage, RefusesKeysOutOfOrderOrRepeated) {
  const Bytes nonce = Blob(16);
  ExpectRefused(Map({{"t", Text("req")}, {"nonce", nonce}, {"op", Text("lock")}}), "req");
  ExpectRefused(Map({{"t", Text("req")}, {"op", Text("lock")}, {"op", Text("lock")}, {"nonce", nonce}}), "req");
  ExpectRefused(Map({{"t", Text("challenge")}, {"t", Text("challenge")}, {"nonce", nonce}}), "challenge");
  ExpectRefused(Map({{"t", Text("res")}, {"ok", kTrue},
                     {"result", Map({{"lock_state", Text("locked")}, {"door_state", Text("open")}})}}),
                "result");
  // A key that is not text.
  Bytes int_key = {0xA2, 0x61, 't'};
  const Bytes challenge = Text("challenge");
  int_key.insert(int_key.end(), challenge.begin(), challenge.end());
  int_key.push_back(0x01);
  int_key.insert(int_key.end(), nonce.begin(), nonce.end());
  ExpectRefused(int_key, "challenge");
}

TEST(PhoneMessage, RefusesNonShortestHeads) {
  // "nonce" with its 16-byte length in a one-byte argument (0x58 0x10) instead of 0x50.
  Bytes long_head = Map({{"t", Text("challenge")}});
  long_head[0] = 0xA2;
  const Bytes key = Text("nonce");
  long_head.insert(long_head.end(), key.begin(), key.end());
  long_head.push_back(0x58);
  long_head.push_back(0x10);
  long_head.insert(long_head.end(), 16, 0);
  ExpectRefused(long_head, "nonce");
  // battery_percent 5 as 0x18 0x05.
  ExpectRefused(Map({{"t", Text("res")}, {"ok", kTrue},
                     {"result", Map({{"lock_state", Text("locked")}, {"battery_percent", Bytes{0x18, 0x05}}})}}),
                "result.battery_percent");
}

// ---- Refusals: each type's fields ----

TEST(PhoneMessage, RefusesBadLockHellos) {
  ExpectRefused(Map({{"t", Text("lock")}}), "lock");
  ExpectRefused(Map({{"t", Text("lock")}, {"lock", Blob(4)}}), "lock");
  for (std::string_view id : {"", "lk 1", "*", "lk-\x01"}) {
    ExpectRefused(Map({{"t", Text("lock")}, {"lock", Text(id)}}), "lock");
    ExpectEncodeRefused(PhoneLockHello{std::string(id)}, "lock");
  }
  ExpectRefused(Map({{"t", Text("lock")}, {"lock", Text(std::string(65, 'x'))}}), "lock");
  ExpectRefused(Map({{"t", Text("lock")}, {"id", Text("lk-1")}}), "lock message");
  ExpectRefused(Map({{"t", Text("lock")}, {"lock", Text("lk-1")}, {"extra", Uint(0)}}), "lock message");
}

TEST(PhoneMessage, RefusesBadHellos) {
  ExpectRefused(Map({{"t", Text("hello")}}), "cert");
  ExpectRefused(Map({{"t", Text("hello")}, {"revocations", Blob(3)}}), "cert");
  ExpectRefused(Map({{"t", Text("hello")}, {"cert", Text("x")}}), "cert");
  ExpectRefused(Map({{"t", Text("hello")}, {"cert", Blob(0)}}), "cert");
  ExpectRefused(Map({{"t", Text("hello")}, {"cert", Blob(core::kMaxPhoneKeyBytes + 1)}}), "cert");
  ExpectRefused(Map({{"t", Text("hello")}, {"cert", Blob(10)}, {"revocations", kNull}}), "revocations");
  ExpectRefused(Map({{"t", Text("hello")}, {"cert", Blob(10)}, {"revocations", Blob(0)}}), "revocations");
  ExpectRefused(Map({{"t", Text("hello")}, {"cert", Blob(10)}, {"revocations", Blob(kMaxPhoneRevocationBytes + 1)}}),
                "revocations");
  ExpectRefused(Map({{"t", Text("hello")}, {"cert", Blob(10)}, {"phone", Blob(32)}}), "hello");
  ExpectEncodeRefused(PhoneHello{Bytes{}, std::nullopt}, "cert");
  ExpectEncodeRefused(PhoneHello{Bytes(1), Bytes{}}, "revocations");
}

TEST(PhoneMessage, RefusesBadChallenges) {
  ExpectRefused(Map({{"t", Text("challenge")}}), "nonce");
  for (std::size_t n : {0u, 15u, 17u, 32u}) {
    ExpectRefused(Map({{"t", Text("challenge")}, {"nonce", Blob(n)}}), "nonce");
  }
  ExpectRefused(Map({{"t", Text("challenge")}, {"nonce", Text("0123456789abcdef")}}), "nonce");
  ExpectRefused(Map({{"t", Text("challenge")}, {"nonce", Blob(16)}, {"seq", Uint(1)}}), "challenge");
}

TEST(PhoneMessage, RefusesBadRequests) {
  const Bytes nonce = Blob(16);
  ExpectRefused(Map({{"t", Text("req")}, {"nonce", nonce}}), "op");
  ExpectRefused(Map({{"t", Text("req")}, {"op", Text("unlock")}}), "nonce");
  for (std::string_view op : {"open", "Unlock", "", "non_access"}) {
    ExpectRefused(Map({{"t", Text("req")}, {"op", Text(op)}, {"nonce", nonce}}), "op");
  }
  ExpectRefused(Map({{"t", Text("req")}, {"op", Uint(1)}, {"nonce", nonce}}), "op");
  ExpectRefused(Map({{"t", Text("req")}, {"op", Text("lock")}, {"nonce", Blob(8)}}), "nonce");
  ExpectRefused(Map({{"t", Text("req")}, {"op", Text("lock")}, {"nonce", nonce}, {"arrival", Blob(0)}}), "arrival");
  ExpectRefused(Map({{"t", Text("req")}, {"op", Text("lock")}, {"nonce", nonce}, {"arrival", Blob(257)}}), "arrival");
  ExpectRefused(Map({{"t", Text("req")}, {"op", Text("lock")}, {"nonce", nonce}, {"arrival", Map({})}}), "arrival");
  ExpectRefused(Map({{"t", Text("req")}, {"id", Uint(1)}, {"op", Text("lock")}, {"nonce", nonce}}), "req");
  ExpectEncodeRefused(PhoneRequest{static_cast<PhoneOp>(9), {}, std::nullopt}, "op");
  ExpectEncodeRefused(PhoneRequest{PhoneOp::kLock, {}, Bytes(kMaxPhoneArrivalBytes + 1)}, "arrival");
}

TEST(PhoneMessage, RefusesBadResponses) {
  const Bytes locked = Map({{"lock_state", Text("locked")}});
  const Bytes denied = Map({{"code", Text("denied")}});
  ExpectRefused(Map({{"t", Text("res")}, {"result", locked}}), "ok");
  ExpectRefused(Map({{"t", Text("res")}, {"ok", Uint(1)}, {"result", locked}}), "ok");
  ExpectRefused(Map({{"t", Text("res")}, {"ok", kTrue}}), "result");
  ExpectRefused(Map({{"t", Text("res")}, {"ok", kFalse}}), "error");
  ExpectRefused(Map({{"t", Text("res")}, {"ok", kTrue}, {"error", denied}, {"result", locked}}), "error");
  ExpectRefused(Map({{"t", Text("res")}, {"ok", kFalse}, {"error", denied}, {"result", locked}}), "result");
  ExpectRefused(Map({{"t", Text("res")}, {"ok", kTrue}, {"result", Text("locked")}}), "result");
  ExpectRefused(Map({{"t", Text("res")}, {"ok", kFalse}, {"error", Text("denied")}}), "error");
  ExpectRefused(Map({{"t", Text("res")}, {"ok", kTrue}, {"id", Uint(1)}, {"result", locked}}), "res");
  // result's fields
  auto with_result = [](Bytes result) { return Map({{"t", Text("res")}, {"ok", kTrue}, {"result", std::move(result)}}); };
  ExpectRefused(with_result(Map({})), "result.lock_state");
  ExpectRefused(with_result(Map({{"door_state", Text("open")}})), "result.lock_state");
  ExpectRefused(with_result(Map({{"lock_state", Text("open")}})), "result.lock_state");
  ExpectRefused(with_result(Map({{"lock_state", Uint(0)}})), "result.lock_state");
  ExpectRefused(with_result(Map({{"door_state", Text("locked")}, {"lock_state", Text("locked")}})), "result.door_state");
  ExpectRefused(with_result(Map({{"lock_state", Text("locked")}, {"battery_percent", Uint(101)}})),
                "result.battery_percent");
  ExpectRefused(with_result(Map({{"lock_state", Text("locked")}, {"battery_percent", Bytes{0x20}}})),
                "result.battery_percent");  // -1
  ExpectRefused(with_result(Map({{"mode", Text("normal")}, {"lock_state", Text("locked")}})), "result");
  // error's fields
  auto with_error = [](Bytes error) { return Map({{"t", Text("res")}, {"ok", kFalse}, {"error", std::move(error)}}); };
  ExpectRefused(with_error(Map({})), "error.code");
  ExpectRefused(with_error(Map({{"reason", Text("lockout")}})), "error.code");
  ExpectRefused(with_error(Map({{"code", Text("nope")}})), "error.code");
  ExpectRefused(with_error(Map({{"code", Uint(403)}})), "error.code");
  ExpectRefused(with_error(Map({{"code", Text("denied")}, {"reason", Text("accept")}})), "error.reason");
  ExpectRefused(with_error(Map({{"code", Text("denied")}, {"reason", Text("because")}})), "error.reason");
  ExpectRefused(with_error(Map({{"code", Text("denied")}, {"reason", kNull}})), "error.reason");
  ExpectRefused(with_error(Map({{"code", Text("denied")}, {"message", Text("no")}})), "error");
  // The encoder refuses the same.
  ExpectEncodeRefused(PhoneResponse{true, std::nullopt, std::nullopt}, "result");
  ExpectEncodeRefused(PhoneResponse{false, std::nullopt, std::nullopt}, "error");
  ExpectEncodeRefused(PhoneResponse{true, PhoneResult{}, PhoneError{"denied", std::nullopt}}, "error");
  ExpectEncodeRefused(PhoneResponse{false, PhoneResult{}, PhoneError{"denied", std::nullopt}}, "result");
  ExpectEncodeRefused(PhoneOk({static_cast<core::LockState>(40), std::nullopt, std::nullopt}), "result.lock_state");
  ExpectEncodeRefused(PhoneOk({core::LockState::kLocked, static_cast<core::DoorState>(40), std::nullopt}),
                      "result.door_state");
  ExpectEncodeRefused(PhoneOk({core::LockState::kLocked, std::nullopt, 101}), "result.battery_percent");
  ExpectEncodeRefused(PhoneRefused("teapot"), "error.code");
  ExpectEncodeRefused(PhoneRefused("denied", "because"), "error.reason");
}

// A type's fields under another type's "t" are unknown fields there.
TEST(PhoneMessage, FieldsOfAnotherTypeAreUnknown) {
  ExpectRefused(Map({{"t", Text("challenge")}, {"op", Text("unlock")}, {"nonce", Blob(16)}}), "challenge");
  ExpectRefused(Map({{"t", Text("lock")}, {"cert", Blob(4)}}), "lock message");
  ExpectRefused(Map({{"t", Text("hello")}, {"lock", Text("lk-1")}}), "hello");
}

}  // namespace
}  // namespace latchkey::link
