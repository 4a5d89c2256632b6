#include "hub/rendered_events.h"

#include "hub/api_json.h"
#include "hub/stream_filter.h"

namespace latchkey::hub {

core::Result<RenderedEvents::Rendered> RenderedEvents::Text(const StoredEvent& row) {
  std::string key = row.lock;
  key.push_back('\0');
  key += std::to_string(row.seq);
  if (const auto it = entries_.find(key); it != entries_.end() && it->second.body == row.body) {
    return Rendered{it->second.text, it->second.duress};
  }
  auto event = HubStore::ParseStoredEvent(row.lock, static_cast<int64_t>(row.seq), row.body);
  LATCHKEY_TRY(event);
  const bool duress = IsDuressEvent(*event);
  std::string text = ApiEventJson(std::move(event).value(), row.lock).dump(-1, ' ', false, Json::error_handler_t::replace);
  // Bounded without bookkeeping: when full, start again (the pages in use come back at once).
  if (entries_.size() >= kMaxEntries) entries_.clear();
  Entry& entry = entries_[std::move(key)];
  entry.body = row.body;
  entry.text = std::move(text);
  entry.duress = duress;
  return Rendered{entry.text, entry.duress};
}

const std::string* RenderedEvents::Page(const std::string& key, uint64_t generation) const {
  const auto it = pages_.find(key);
  return it != pages_.end() && it->second.generation == generation ? &it->second.text : nullptr;
}

const std::string& RenderedEvents::KeepPage(std::string key, uint64_t generation, std::string page) {
  if (pages_.size() >= kMaxPages) pages_.clear();
  Page_& kept = pages_[std::move(key)];
  kept.generation = generation;
  kept.text = std::move(page);
  return kept.text;
}

std::string EventPageJson(std::string_view joined_events, uint64_t next_after) {
  std::string out;
  out.reserve(joined_events.size() + 40);
  out += R"({"events":[)";
  out += joined_events;
  out += R"(],"next_after":)";
  out += std::to_string(next_after);
  out += '}';
  return out;
}

}  // namespace latchkey::hub
