// An entry of the lock's append-only log (LOCK-SEMANTICS.md 9) and its canonical encoding.
//
// The canonical encoding is deterministic CBOR (RFC 8949 section 4.2.1: shortest integer
// heads, definite lengths, map keys sorted by their encoded bytes) of the map
// {"seq", "time", "kind", ...fields} without "hash". The chain is
//   hash(n) = BLAKE2b-256(hash(n-1) || canonical(event n)),  hash(0) = 32 zero bytes.
// Any implementation that reproduces this encoding can verify a lock's log.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/types.h"

namespace latchkey::core {

// A field that is a number or the word "all" (a change to every user or every index).
struct IndexOrAll {
  uint32_t index = 0;
  bool all = false;
  static IndexOrAll All() { return {0, true}; }
  friend bool operator==(const IndexOrAll&, const IndexOrAll&) = default;
};

struct Event {
  uint64_t seq = 0;
  int64_t time_ms = 0;
  EventKind kind = EventKind::kAlarm;

  // Kind-specific fields; a field is encoded only when present.
  std::optional<Operation> operation;              // lock_operation(_error)
  std::optional<ChangeOperation> change;           // change: "operation"
  std::optional<Source> source;
  std::optional<IndexOrAll> user;
  // {"type", "index"}, with "serial" for a phone key and "start" (Unix s), "duration" (hours)
  // for an offline code.
  std::optional<CredentialRef> credential;
  std::optional<std::string> actor;
  std::optional<AccessError> error;                // lock_operation_error
  std::optional<AlarmKind> alarm;
  std::optional<DoorState> door_state;
  std::optional<DataType> data_type;               // change
  std::optional<IndexOrAll> index;                 // change
  std::optional<bool> external_power;              // power
  std::optional<uint64_t> count;                   // alarm events_lost: how many were lost
  // change of data_type clock (Lock::AcceptClock): the clock's reading before and the time set,
  // Unix ms, and `forced` (only when true) when the owner set a time the checks would refuse.
  std::optional<int64_t> from_ms;                  // "from"
  std::optional<int64_t> to_ms;                    // "to"
  std::optional<bool> forced;
  // lock_operation(_error) by a phone on approach (PHONE-KEYS.md 4): "auto", only when true.
  std::optional<bool> auto_unlock;

  Digest hash{};

  friend bool operator==(const Event&, const Event&) = default;
};

// The canonical bytes that the hash chain covers.
std::vector<uint8_t> CanonicalEncoding(const Event& event);

// hash(prev, event) as above.
Digest ChainHashOf(const Crypto& crypto, const Digest& prev, const Event& event);

// Checks a run of consecutive events against the hash before the first one; returns the
// seq of the first event that does not verify (or whose seq does not follow), or nullopt.
std::optional<uint64_t> VerifyChain(const Crypto& crypto, const Digest& prev,
                                    const std::vector<Event>& events);

// Event builders for the kinds of LOCK-SEMANTICS.md 9 (seq, time and hash are set by the log).
Event OperationEvent(Operation op, Source source);
Event OperationErrorEvent(Operation op, Source source, AccessError error);
Event AlarmEvent(AlarmKind alarm);
Event DoorEvent(DoorState state);
Event ChangeEvent(DataType type, ChangeOperation op, const Actor& actor);
Event PowerEvent(bool external_power);
// A change of data_type clock from `from_ms` to `to_ms`; `forced` is recorded only when true.
Event ClockEvent(int64_t from_ms, int64_t to_ms, bool forced, const Actor& actor);

}  // namespace latchkey::core
