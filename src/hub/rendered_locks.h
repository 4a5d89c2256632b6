// The API text of a lock object (api_json.h's LockJson, serialised), made once per cached
// record. GET /locks/{id} is what an app polls; building the object from the record's state and
// serialising it cost more than the rest of the request. A text is kept with the record it was
// made from (Directory::FindLock hands out the same record until a write replaces it), whether
// the lock was online, and whether the viewer may see where it is:
//
//   RenderedLocks rendered;
//   std::string_view text = rendered.Text(lock, sessions.online(lock->id), viewer);
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "hub/auth.h"
#include "hub/hub_store.h"

namespace latchkey::hub {

class RenderedLocks {
 public:
  // LockJson(*record, online, viewer), serialised as HttpResponse::Json would. The view stays
  // valid until the next call.
  std::string_view Text(const std::shared_ptr<const LockRecord>& record, bool online, const Principal& viewer);

  static constexpr std::size_t kMaxEntries = 4096;
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::weak_ptr<const LockRecord> from;  // while it lives, the cache still hands it out
    std::string text;
  };
  std::unordered_map<std::string, Entry> entries_;  // by lock id + online + full view
};

}  // namespace latchkey::hub
