// Which incoming link connections a lock keeps while they handshake, decided per source address
// (SECURITY.md: one attacker cannot deny service to everyone). The lock's link server asks it at
// each step; it owns no sockets and reads no clock, so it is tested with made-up times.
//
// The rules:
// - At most `max_pending` connections handshake at once, and at most `max_pending_per_source`
//   from one address. A new connection is always taken: when a cap is reached, the oldest pending
//   connection of the same source (or, under the total cap, the oldest of all) is closed to make
//   room, and one already identified as the paired hub goes last. So a flood of half-open
//   connections costs each of them its slot within a few arrivals, while a hub, which sends its
//   first message at once, is read before it is pushed out.
// - The open handshakes (XX and XXpsk3: anyone may start one, and each costs the lock key
//   agreements) start at most `open_per_source_per_s` times a second per source and
//   `open_per_s` times in total; each one that fails doubles the source's back-off
//   (`first_backoff` up to `max_backoff`), during which that source starts none; one that ends in
//   a session clears it. Only the source that failed waits: a peer cannot keep the hub away by
//   failing.
// - The paired hub's IK message is exempt from both: it names the hub in its first message, and
//   a sender without the hub's private key fails on it after one key agreement.
// - The table of sources holds at most `max_sources` entries; when a new one comes, the one seen
//   least recently with nothing pending goes (its back-off is forgotten, which costs an attacker
//   with that many addresses nothing it did not have already: the total caps still hold).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace latchkey::link {

class Admission {
 public:
  using Clock = std::chrono::steady_clock;
  struct Limits {
    std::size_t max_pending = 64;
    std::size_t max_pending_per_source = 8;
    std::size_t max_sources = 1024;
    int open_per_source_per_s = 4;
    int open_per_s = 16;
    std::chrono::milliseconds first_backoff{250};
    std::chrono::milliseconds max_backoff{8000};
  };
  enum class Outcome {
    kSession,  // it became the session: its source's back-off is cleared
    kFailed,   // its handshake failed or ran out of time: its source's back-off doubles
    kEvicted,  // we closed it to make room (or the lock stopped): no blame
  };

  explicit Admission(Limits limits);
  Admission() : Admission(Limits{}) {}

  // Connection `id` from `source` was accepted. Returns the pending connections to close to make
  // room for it (the caller closes them and reports each with Done(kEvicted)).
  std::vector<uint64_t> Accepted(uint64_t id, const std::string& source, Clock::time_point now);
  // Its first message asks for an open handshake (XX or XXpsk3): may it start now?
  bool MayStartOpen(uint64_t id, Clock::time_point now);
  // Its first message proved it comes from the paired hub: it is evicted last.
  void Identified(uint64_t id);
  // It left the pending table.
  void Done(uint64_t id, Outcome outcome, Clock::time_point now);
  // The pending connections accepted at or before `cutoff` (the caller closes them as failed).
  std::vector<uint64_t> AcceptedBefore(Clock::time_point cutoff) const;

  std::size_t pending() const { return pending_.size(); }
  std::size_t sources() const { return sources_.size(); }
  // How long `source` must still wait before its next open handshake (0: none).
  Clock::duration BackoffLeft(const std::string& source, Clock::time_point now) const;

 private:
  struct Source {
    std::size_t pending = 0;
    std::chrono::milliseconds backoff{0};
    Clock::time_point blocked_until{};
    Clock::time_point window_start{};
    int started_in_window = 0;
    Clock::time_point last_seen{};
  };
  struct Pending {
    std::string source;
    Clock::time_point accepted_at;
    bool identified = false;
  };
  Source& SourceFor(const std::string& source, Clock::time_point now);
  // The oldest pending connection (of `source` when not empty), unidentified ones first.
  std::optional<uint64_t> Oldest(const std::string* source) const;

  Limits limits_;
  std::map<uint64_t, Pending> pending_;  // by id: ids grow, so this is also arrival order
  std::unordered_map<std::string, Source> sources_;
  Clock::time_point window_start_{};
  int started_in_window_ = 0;
};

}  // namespace latchkey::link
