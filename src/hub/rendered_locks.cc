#include "hub/rendered_locks.h"

#include "hub/api_json.h"

namespace latchkey::hub {

std::string_view RenderedLocks::Text(const std::shared_ptr<const LockRecord>& record, bool online,
                                     const Principal& viewer) {
  // What varies the text besides the record: LockJson's "online" and its full or reduced view.
  std::string key = record->id;
  key.push_back(online ? '1' : '0');
  key.push_back(viewer.MayManageLock() ? 'f' : 'r');
  if (const auto it = entries_.find(key); it != entries_.end() && it->second.from.lock() == record) {
    return it->second.text;
  }
  if (entries_.size() >= kMaxEntries) entries_.clear();
  Entry& entry = entries_[std::move(key)];
  entry.from = record;
  entry.text = LockJson(*record, online, viewer).dump(-1, ' ', false, Json::error_handler_t::replace);
  return entry.text;
}

}  // namespace latchkey::hub
