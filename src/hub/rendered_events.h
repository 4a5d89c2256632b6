// The API text of stored events, made once. An event never changes once stored, and a history
// page is mostly the same events read again (an app polling, a page reloaded), so parsing each
// body, formatting its times and serialising it again on every page is wasted work:
//
//   RenderedEvents rendered;
//   auto rows = store.EventRows(query);
//   for (const StoredEvent& row : *rows) {
//     auto text = rendered.Text(row);   // ApiEventJson(body, lock), serialised; cached
//     ...
//   }
//
// The text is exactly what ApiEventJson(...).dump() gives (HttpResponse::Json's options), so an
// answer built from it is byte for byte what it was. A cached text is used only while the
// stored body is the one it was made from (a lock unpaired and paired again under the same id
// starts its seqs again), and memory is bounded.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"
#include "hub/hub_store.h"

namespace latchkey::hub {

class RenderedEvents {
 public:
  struct Rendered {
    std::string_view text;
    bool duress = false;  // stream_filter.h's IsDuressEvent: owner and admin only
  };
  // The API text of `row`; kIoError for a body HubStore::ParseStoredEvent refuses. The view
  // stays valid until the next call.
  core::Result<Rendered> Text(const StoredEvent& row);

  static constexpr std::size_t kMaxEntries = 20'000;  // ~10 MB of bodies and texts at most
  std::size_t size() const { return entries_.size(); }

  // A whole answer kept under `key` (the route's query) for the store's state it was read at
  // (Directory::generation): an app polling its history gets the same page until something is
  // written. nullptr when there is none for this generation.
  const std::string* Page(const std::string& key, uint64_t generation) const;
  const std::string& KeepPage(std::string key, uint64_t generation, std::string page);
  static constexpr std::size_t kMaxPages = 256;

 private:
  struct Page_ {
    uint64_t generation;
    std::string text;
  };
  std::unordered_map<std::string, Page_> pages_;
  struct Entry {
    std::string body;  // the stored body the text was made from
    std::string text;
    bool duress = false;
  };
  std::unordered_map<std::string, Entry> entries_;  // by lock + '\0' + seq
};

// {"events":[...],"next_after":N} from event texts, as HttpResponse::Json would write it.
std::string EventPageJson(std::string_view joined_events, uint64_t next_after);

}  // namespace latchkey::hub
