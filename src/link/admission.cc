#include "link/admission.h"

#include <algorithm>

namespace latchkey::link {

Admission::Admission(Limits limits) : limits_(limits) {}

Admission::Source& Admission::SourceFor(const std::string& source, Clock::time_point now) {
  auto it = sources_.find(source);
  if (it == sources_.end()) {
    if (sources_.size() >= limits_.max_sources) {
      // Bounded memory: forget the source seen least recently that has nothing pending.
      auto victim = sources_.end();
      for (auto s = sources_.begin(); s != sources_.end(); ++s) {
        if (s->second.pending == 0 && (victim == sources_.end() || s->second.last_seen < victim->second.last_seen)) {
          victim = s;
        }
      }
      if (victim != sources_.end()) sources_.erase(victim);
    }
    it = sources_.emplace(source, Source{}).first;
  }
  it->second.last_seen = now;
  return it->second;
}

std::optional<uint64_t> Admission::Oldest(const std::string* source) const {
  std::optional<uint64_t> identified;
  for (const auto& [id, p] : pending_) {
    if (source != nullptr && p.source != *source) continue;
    if (!p.identified) return id;  // the map is in arrival order
    if (!identified) identified = id;
  }
  return identified;
}

std::vector<uint64_t> Admission::Accepted(uint64_t id, const std::string& source, Clock::time_point now) {
  std::vector<uint64_t> evict;
  Source& s = SourceFor(source, now);
  if (s.pending >= limits_.max_pending_per_source) {
    if (auto oldest = Oldest(&source)) evict.push_back(*oldest);
  } else if (pending_.size() >= limits_.max_pending) {
    if (auto oldest = Oldest(nullptr)) evict.push_back(*oldest);
  }
  // Counted out now, so that the table never passes its caps, even before the caller closes them
  // (Done for an id no longer here is a no-op).
  for (uint64_t victim : evict) Done(victim, Outcome::kEvicted, now);
  pending_.emplace(id, Pending{source, now, false});
  ++s.pending;  // (Done erases no source, so `s` still stands)
  return evict;
}

bool Admission::MayStartOpen(uint64_t id, Clock::time_point now) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return false;
  Source& s = SourceFor(it->second.source, now);
  if (now < s.blocked_until) return false;
  if (now - s.window_start >= std::chrono::seconds(1)) {
    s.window_start = now;
    s.started_in_window = 0;
  }
  if (now - window_start_ >= std::chrono::seconds(1)) {
    window_start_ = now;
    started_in_window_ = 0;
  }
  if (s.started_in_window >= limits_.open_per_source_per_s || started_in_window_ >= limits_.open_per_s) return false;
  ++s.started_in_window;
  ++started_in_window_;
  return true;
}

void Admission::Identified(uint64_t id) {
  if (auto it = pending_.find(id); it != pending_.end()) it->second.identified = true;
}

void Admission::Done(uint64_t id, Outcome outcome, Clock::time_point now) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  auto s = sources_.find(it->second.source);
  pending_.erase(it);
  if (s == sources_.end()) return;
  Source& source = s->second;
  if (source.pending > 0) --source.pending;
  switch (outcome) {
    case Outcome::kSession:
      source.backoff = std::chrono::milliseconds(0);
      source.blocked_until = {};
      break;
    case Outcome::kFailed:
      source.backoff = source.backoff.count() == 0 ? limits_.first_backoff
                                                   : std::min(limits_.max_backoff, source.backoff * 2);
      source.blocked_until = now + source.backoff;
      break;
    case Outcome::kEvicted:
      break;
  }
}

std::vector<uint64_t> Admission::AcceptedBefore(Clock::time_point cutoff) const {
  std::vector<uint64_t> ids;
  for (const auto& [id, p] : pending_) {
    if (p.accepted_at <= cutoff) ids.push_back(id);
  }
  return ids;
}

Admission::Clock::duration Admission::BackoffLeft(const std::string& source, Clock::time_point now) const {
  auto it = sources_.find(source);
  if (it == sources_.end() || now >= it->second.blocked_until) return Clock::duration::zero();
  return it->second.blocked_until - now;
}

}  // namespace latchkey::link
