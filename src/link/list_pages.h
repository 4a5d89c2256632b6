// Paged list answers, an extension of LINK.md (docs/link.md "Paged lists"). A link frame holds
// at most 16 KiB while a lock may hold thousands of users and credentials, so a list op
// (`list_users`, `list_credentials`, `list_schedules`, `list_holidays`) asked with `from` or
// `limit` answers one page that always fits a frame:
//
//   {"items": [entry, ...], "next": key}      `next` only when more entries follow
//
// Entries come in ascending key order; `next` is the key of the first entry not sent, and the
// hub passes it back as `from` to go on. Keys move forward only, so a walk sees each entry at
// most once and in order even while the list changes under it. A list op asked without either
// argument keeps its old answer (the whole list, or `too_large` when that does not fit): a hub
// that knows nothing of paging never takes a first page for the whole list.
//
// Both ends live here: the lock builds pages (ListResult), the hub walks them (RequestWholeList).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/status.h"
#include "link/frame.h"
#include "link/message.h"

namespace latchkey::link {

// Room for a page's entries in CBOR: a frame less the AEAD tag and the envelope around the
// items ({"t":"res","id":N,"ok":true,"result":{"items":[...],"next":K}} takes under 64 bytes).
inline constexpr std::size_t kPageBudget = kMaxFrame - 16 - 128;
inline constexpr uint64_t kMaxPageLimit = 65535;

struct PageArgs {
  bool paged = false;  // `from` or `limit` was given: answer one page
  uint64_t from = 0;   // the smallest key to send
  uint64_t limit = kMaxPageLimit;
};
// Reads `from` (any unsigned integer) and `limit` (1..65535) from a list op's args.
core::Result<PageArgs> PageArgsFrom(const Json& args);

// One list as the lock holds it, in ascending key order.
struct ListSource {
  std::size_t size = 0;
  std::function<uint64_t(std::size_t i)> key;
  std::function<Json(std::size_t i)> entry;
  // Entry i made smaller, for an entry that alone does not fit a page (a user with hundreds
  // of schedules is sent without them, see kSchedulesApart). Unset: no entry can be.
  std::function<Json(std::size_t i)> shrunk;
};

// The result of a list op: without paging the whole list (an array, as before paging); with
// paging the page that starts at `args.from`. nullopt when one entry cannot fit a page even
// shrunk (the op then answers `too_large`).
std::optional<Json> ListResult(const ListSource& source, const PageArgs& args);

// The mark on a paged user sent without `week_day_schedules` and `year_day_schedules`: the hub
// fetches them with `list_schedules`.
inline constexpr const char* kSchedulesApart = "schedules_apart";

// The hub's side. `request` sends one op to the lock and calls back with its reply
// {"ok":..., "result"|"error"}.
using ReplyFn = std::function<void(Json reply)>;
using RequestFn = std::function<void(const std::string& op, Json args, ReplyFn done)>;

// Every entry of list op `op` (args as for one request), fetched page by page and answered as
// one unpaged reply {"ok":true,"result":[entry...]}, or the first error. Users sent with their
// schedules apart are completed with `list_schedules`; one removed meanwhile is left out. A
// lock that does not page (its result is already a list) is answered as is.
void RequestWholeList(const RequestFn& request, const std::string& op, Json args, ReplyFn done);

// `get_user`; a user too large for one frame is fetched as the one-entry page of `list_users`
// that starts at its index, and completed as above.
void RequestUser(const RequestFn& request, Json args, ReplyFn done);

}  // namespace latchkey::link
