#include "link/phone_message.h"

#include <algorithm>
#include <utility>

#include "core/cbor.h"
#include "core/phone_key.h"
#include "link/phone_frame.h"

namespace latchkey::link {
namespace {

using core::CborMap;
using core::CborReader;
using core::CborWriter;
using core::Status;

// API.md's error codes, and the two the link adds (busy: the lock's in-flight cap; internal).
constexpr auto kErrorCodes = std::to_array<std::string_view>(
    {"invalid", "unauthorized", "forbidden", "denied", "not_found", "duplicate", "occupied",
     "resource_exhausted", "jammed", "too_large", "rate_limited", "lock_offline", "lock_timeout", "busy",
     "internal"});

Status Bad(std::string_view field, std::string_view why) {
  return Status::Invalid(std::string(field) + ": " + std::string(why));
}

bool KnownCode(std::string_view code) {
  return std::find(kErrorCodes.begin(), kErrorCodes.end(), code) != kErrorCodes.end();
}

bool KnownReason(std::string_view reason) {
  if (reason == kStaleChallengeReason) return true;
  if (core::Parse<core::AccessError>(reason)) return true;
  if (core::Parse<core::AutoUnlockRefusal>(reason)) return true;
  const auto verdict = core::Parse<core::PhoneKeyVerdict>(reason);
  return verdict && *verdict != core::PhoneKeyVerdict::kAccept;
}

bool LockId(std::string_view id) {
  if (id.empty() || id.size() > core::kMaxPhoneKeyLockId || id == core::kEveryLock) return false;
  return std::all_of(id.begin(), id.end(), [](char ch) { return ch > 0x20 && ch < 0x7F; });
}

Status CheckBlob(std::string_view field, std::span<const uint8_t> blob, std::size_t max) {
  if (blob.empty() || blob.size() > max) {
    return Bad(field, "not 1.." + std::to_string(max) + " bytes");
  }
  return Status::Ok();
}

// ---- What a message may hold, whichever way it goes ----

Status Check(const PhoneLockHello& m) {
  if (!LockId(m.lock)) return Bad("lock", "not a lock id (1..64 printable characters, no spaces)");
  return Status::Ok();
}

Status Check(const PhoneHello& m) {
  LATCHKEY_TRY(CheckBlob("cert", m.cert, core::kMaxPhoneKeyBytes));
  if (m.revocations) LATCHKEY_TRY(CheckBlob("revocations", *m.revocations, kMaxPhoneRevocationBytes));
  return Status::Ok();
}

Status Check(const PhoneChallenge&) { return Status::Ok(); }

Status Check(const PhoneRequest& m) {
  if (!core::IsValid(m.op)) return Bad("op", "not one of lock, unlock, unlatch, status");
  if (m.arrival) LATCHKEY_TRY(CheckBlob("arrival", *m.arrival, kMaxPhoneArrivalBytes));
  return Status::Ok();
}

Status Check(const PhoneResponse& m) {
  if (m.ok && !m.result) return Bad("result", "missing (ok is true)");
  if (m.ok && m.error) return Bad("error", "present although ok is true");
  if (!m.ok && !m.error) return Bad("error", "missing (ok is false)");
  if (!m.ok && m.result) return Bad("result", "present although ok is false");
  if (m.result) {
    if (!core::IsValid(m.result->lock_state)) return Bad("result.lock_state", "not a lock state");
    if (m.result->door_state && !core::IsValid(*m.result->door_state)) {
      return Bad("result.door_state", "not a door state");
    }
    if (m.result->battery_percent && *m.result->battery_percent > 100) {
      return Bad("result.battery_percent", "not an integer in 0..100");
    }
  }
  if (m.error) {
    if (!KnownCode(m.error->code)) return Bad("error.code", "not an API.md error code");
    if (m.error->reason && !KnownReason(*m.error->reason)) {
      return Bad("error.reason", "not an access error, a phone-key verdict, an auto-unlock refusal or stale_challenge");
    }
  }
  return Status::Ok();
}

// ---- Writing: the deterministic form, with no checks ----

void AddBlob(CborMap& map, std::string_view key, const std::optional<std::vector<uint8_t>>& blob) {
  if (blob) map.Add(key, [&](CborWriter& w) { w.Bytes(*blob); });
}

void Write(CborMap& map, const PhoneLockHello& m) {
  map.Add("lock", [&](CborWriter& w) { w.Text(m.lock); });
}

void Write(CborMap& map, const PhoneHello& m) {
  map.Add("cert", [&](CborWriter& w) { w.Bytes(m.cert); });
  AddBlob(map, "revocations", m.revocations);
}

void Write(CborMap& map, const PhoneChallenge& m) {
  map.Add("nonce", [&](CborWriter& w) { w.Bytes(m.nonce); });
}

void Write(CborMap& map, const PhoneRequest& m) {
  map.Add("op", [&](CborWriter& w) { w.Text(core::ToString(m.op)); });
  map.Add("nonce", [&](CborWriter& w) { w.Bytes(m.nonce); });
  AddBlob(map, "arrival", m.arrival);
}

void Write(CborMap& map, const PhoneResponse& m) {
  map.Add("ok", [&](CborWriter& w) { w.Bool(m.ok); });
  if (m.result) {
    CborMap result;
    result.Add("lock_state", [&](CborWriter& w) { w.Text(core::ToString(m.result->lock_state)); });
    if (m.result->door_state) {
      result.Add("door_state", [&](CborWriter& w) { w.Text(core::ToString(*m.result->door_state)); });
    }
    if (m.result->battery_percent) {
      result.Add("battery_percent", [&](CborWriter& w) { w.Head(0, *m.result->battery_percent); });
    }
    map.Add("result", [&](CborWriter& w) { w.Raw(result.Encode()); });
  }
  if (m.error) {
    CborMap error;
    error.Add("code", [&](CborWriter& w) { w.Text(m.error->code); });
    if (m.error->reason) error.Add("reason", [&](CborWriter& w) { w.Text(*m.error->reason); });
    map.Add("error", [&](CborWriter& w) { w.Raw(error.Encode()); });
  }
}

std::vector<uint8_t> WriteMessage(const PhoneMessage& message) {
  CborMap map;
  map.Add("t", [&](CborWriter& w) { w.Text(PhoneMessageType(message)); });
  std::visit([&](const auto& m) { Write(map, m); }, message);
  return map.Encode();
}

// ---- Reading ----

// Hands each of `count` keys, which must be text in canonical order, to `read(key)`, which reads
// the value; `previous` is the encoded key before the first (empty for none).
template <typename F>
Status EachKey(CborReader& r, std::string_view where, uint64_t count, std::span<const uint8_t> previous, F&& read) {
  for (uint64_t i = 0; i < count; ++i) {
    std::span<const uint8_t> encoded;
    const auto key = r.Key(&encoded, previous);
    if (!key) return Bad(where, "a key that is not text, or keys not in canonical order (or repeated)");
    LATCHKEY_TRY(read(*key));
    previous = encoded;
  }
  return Status::Ok();
}

Status Unknown(std::string_view where, std::string_view key) { return Bad(where, "unknown field " + core::QuotedKey(key)); }

Status ReadText(CborReader& r, std::string_view field, std::string* out) {
  const auto v = r.Text();
  if (!v) return Bad(field, "not a text string");
  *out = std::string(*v);
  return Status::Ok();
}

Status ReadBytes(CborReader& r, std::string_view field, std::vector<uint8_t>* out) {
  const auto v = r.Bytes();
  if (!v) return Bad(field, "not a byte string");
  out->assign(v->begin(), v->end());
  return Status::Ok();
}

Status ReadNonce(CborReader& r, PhoneNonce* out) {
  const auto v = r.Bytes();
  if (!v || v->size() != kPhoneNonceLen) return Bad("nonce", "not 16 bytes");
  std::copy(v->begin(), v->end(), out->begin());
  return Status::Ok();
}

template <typename E>
Status ReadName(CborReader& r, std::string_view field, std::string_view what, E* out) {
  const auto v = r.Text();
  const auto value = v ? core::Parse<E>(*v) : std::nullopt;
  if (!value) return Bad(field, what);
  *out = *value;
  return Status::Ok();
}

Status Missing(std::string_view field) { return Bad(field, "missing"); }

using Previous = std::span<const uint8_t>;

core::Result<PhoneMessage> ReadLockHello(CborReader& r, uint64_t n, Previous t) {
  PhoneLockHello m;
  bool has_lock = false;
  LATCHKEY_TRY(EachKey(r, "lock message", n, t, [&](std::string_view key) -> Status {
    if (key != "lock") return Unknown("lock message", key);
    has_lock = true;
    return ReadText(r, "lock", &m.lock);
  }));
  if (!has_lock) return Missing("lock");
  return PhoneMessage(std::move(m));
}

core::Result<PhoneMessage> ReadHello(CborReader& r, uint64_t n, Previous t) {
  PhoneHello m;
  bool has_cert = false;
  LATCHKEY_TRY(EachKey(r, "hello", n, t, [&](std::string_view key) -> Status {
    if (key == "cert") {
      has_cert = true;
      return ReadBytes(r, "cert", &m.cert);
    }
    if (key == "revocations") return ReadBytes(r, "revocations", &m.revocations.emplace());
    return Unknown("hello", key);
  }));
  if (!has_cert) return Missing("cert");
  return PhoneMessage(std::move(m));
}

core::Result<PhoneMessage> ReadChallenge(CborReader& r, uint64_t n, Previous t) {
  PhoneChallenge m;
  bool has_nonce = false;
  LATCHKEY_TRY(EachKey(r, "challenge", n, t, [&](std::string_view key) -> Status {
    if (key != "nonce") return Unknown("challenge", key);
    has_nonce = true;
    return ReadNonce(r, &m.nonce);
  }));
  if (!has_nonce) return Missing("nonce");
  return PhoneMessage(m);
}

core::Result<PhoneMessage> ReadRequest(CborReader& r, uint64_t n, Previous t) {
  PhoneRequest m;
  bool has_op = false, has_nonce = false;
  LATCHKEY_TRY(EachKey(r, "req", n, t, [&](std::string_view key) -> Status {
    if (key == "op") {
      has_op = true;
      return ReadName(r, "op", "not one of lock, unlock, unlatch, status", &m.op);
    }
    if (key == "nonce") {
      has_nonce = true;
      return ReadNonce(r, &m.nonce);
    }
    if (key == "arrival") return ReadBytes(r, "arrival", &m.arrival.emplace());
    return Unknown("req", key);
  }));
  if (!has_op) return Missing("op");
  if (!has_nonce) return Missing("nonce");
  return PhoneMessage(std::move(m));
}

Status ReadResult(CborReader& r, PhoneResult* out) {
  const auto n = r.Head(5);
  if (!n) return Bad("result", "not a map");
  bool has_state = false;
  LATCHKEY_TRY(EachKey(r, "result", *n, {}, [&](std::string_view key) -> Status {
    if (key == "lock_state") {
      has_state = true;
      return ReadName(r, "result.lock_state", "not a lock state", &out->lock_state);
    }
    if (key == "door_state") {
      return ReadName(r, "result.door_state", "not a door state", &out->door_state.emplace());
    }
    if (key == "battery_percent") {
      const auto v = r.Uint();
      if (!v || *v > 100) return Bad("result.battery_percent", "not an integer in 0..100");
      out->battery_percent = static_cast<uint8_t>(*v);
      return Status::Ok();
    }
    return Unknown("result", key);
  }));
  if (!has_state) return Missing("result.lock_state");
  return Status::Ok();
}

Status ReadError(CborReader& r, PhoneError* out) {
  const auto n = r.Head(5);
  if (!n) return Bad("error", "not a map");
  bool has_code = false;
  LATCHKEY_TRY(EachKey(r, "error", *n, {}, [&](std::string_view key) -> Status {
    if (key == "code") {
      has_code = true;
      return ReadText(r, "error.code", &out->code);
    }
    if (key == "reason") return ReadText(r, "error.reason", &out->reason.emplace());
    return Unknown("error", key);
  }));
  if (!has_code) return Missing("error.code");
  return Status::Ok();
}

core::Result<PhoneMessage> ReadResponse(CborReader& r, uint64_t n, Previous t) {
  PhoneResponse m;
  bool has_ok = false;
  LATCHKEY_TRY(EachKey(r, "res", n, t, [&](std::string_view key) -> Status {
    if (key == "ok") {
      const auto v = r.Bool();
      if (!v) return Bad("ok", "not a boolean");
      has_ok = true;
      m.ok = *v;
      return Status::Ok();
    }
    if (key == "result") return ReadResult(r, &m.result.emplace());
    if (key == "error") return ReadError(r, &m.error.emplace());
    return Unknown("res", key);
  }));
  if (!has_ok) return Missing("ok");
  return PhoneMessage(std::move(m));
}

}  // namespace

std::optional<core::Operation> OperationOf(PhoneOp op) {
  switch (op) {
    case PhoneOp::kLock: return core::Operation::kLock;
    case PhoneOp::kUnlock: return core::Operation::kUnlock;
    case PhoneOp::kUnlatch: return core::Operation::kUnlatch;
    case PhoneOp::kStatus: return std::nullopt;
  }
  return std::nullopt;
}

std::string_view PhoneMessageType(const PhoneMessage& message) {
  static constexpr std::array<std::string_view, std::variant_size_v<PhoneMessage>> kTypes = {
      "lock", "hello", "challenge", "req", "res"};
  return kTypes[message.index()];
}

core::Result<std::vector<uint8_t>> EncodePhoneMessage(const PhoneMessage& message) {
  LATCHKEY_TRY(std::visit([](const auto& m) { return Check(m); }, message));
  return WriteMessage(message);
}

core::Result<PhoneMessage> DecodePhoneMessage(std::span<const uint8_t> bytes) {
  if (bytes.size() > kMaxPhoneMessage) return Bad("message", "larger than 16 KiB");
  CborReader r(bytes);
  const auto n = r.Head(5);
  if (!n) return Bad("message", "not a CBOR map in deterministic encoding");
  // "t" is one character, and keys sort shorter first: it can only be the first key.
  std::span<const uint8_t> t_key;
  const auto first = *n > 0 ? r.Key(&t_key, {}) : std::nullopt;
  if (!first || *first != "t") return Bad("t", "missing (it sorts first)");
  const auto type = r.Text();
  if (!type) return Bad("t", "not a text string");
  core::Result<PhoneMessage> message = Bad("t", "unknown message type " + core::QuotedKey(*type));
  if (*type == "lock") message = ReadLockHello(r, *n - 1, t_key);
  else if (*type == "hello") message = ReadHello(r, *n - 1, t_key);
  else if (*type == "challenge") message = ReadChallenge(r, *n - 1, t_key);
  else if (*type == "req") message = ReadRequest(r, *n - 1, t_key);
  else if (*type == "res") message = ReadResponse(r, *n - 1, t_key);
  LATCHKEY_TRY(message);
  if (!r.AtEnd()) return Bad("message", "bytes after the map");
  LATCHKEY_TRY(std::visit([](const auto& m) { return Check(m); }, *message));
  // The reader takes only canonical items, so this holds; checked anyway because decode ->
  // encode being the identity is what the phones' implementations are tested against.
  const std::vector<uint8_t> again = WriteMessage(*message);
  if (!std::equal(again.begin(), again.end(), bytes.begin(), bytes.end())) {
    return Bad("message", "not in deterministic encoding");
  }
  return message;
}

PhoneResponse PhoneOk(PhoneResult result) { return PhoneResponse{.ok = true, .result = std::move(result), .error = {}}; }

PhoneResponse PhoneRefused(std::string_view code, std::string_view reason) {
  PhoneError error{.code = std::string(code), .reason = {}};
  if (!reason.empty()) error.reason = std::string(reason);
  return PhoneResponse{.ok = false, .result = {}, .error = std::move(error)};
}

}  // namespace latchkey::link
