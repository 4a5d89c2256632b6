// What the files of HubStore share (hub_store_*.cc; not for other callers): the limits, the
// JSON columns and the error helpers. The queries themselves go through store/sqlite_query.h.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/hub_store.h"
#include "store/sqlite_db.h"
#include "store/sqlite_query.h"

namespace latchkey::hub::hub_store_internal {

using core::Result;
using core::Status;
using store::Database;
using store::Statement;
using store::Transaction;

// The schema steps kept beside their tables' code: version 4, offline guest codes
// (hub_store_offline_codes.cc); version 5, Web Push (hub_store_push.cc).
extern const std::string_view kSchemaV4OfflineCodes;
extern const std::string_view kSchemaV5Push;

// The most rows one listing returns.
constexpr std::size_t kMaxLimit = 1000;
// The largest seq or time a key column holds (SQLite's INTEGER).
constexpr int64_t kMaxKey = std::numeric_limits<int64_t>::max();

inline int64_t CapLimit(std::size_t limit) { return static_cast<int64_t>(std::min(limit, kMaxLimit)); }

// kIoError "<what>: <exception>" for an exception caught at a HubStore entry point.
Status Failure(std::string_view what, const std::exception& e);

bool OneOf(std::string_view value, std::initializer_list<std::string_view> allowed);
bool IsRole(std::string_view role);

// JSON text of `value`; a string that is not UTF-8 makes it kInvalid (nlohmann throws on it).
Result<std::string> Dump(const Json& value, std::string_view what);
Result<std::string> DumpList(const std::vector<std::string>& list, std::string_view what);
// An optional list as its JSON text (the column's value), or none (NULL).
Result<std::optional<std::string>> DumpOptionalList(const std::optional<std::vector<std::string>>& list,
                                                    std::string_view what);

std::optional<int64_t> ColumnOptionalInt(const Statement& st, int column);
std::optional<std::string> ColumnOptionalText(const Statement& st, int column);
// A stored JSON column; anything but valid JSON is kIoError naming `where`.
Result<Json> ColumnJson(const Statement& st, int column, const std::string& where);
// A stored list of strings (NULL: absent).
Result<std::optional<std::vector<std::string>>> ColumnList(const Statement& st, int column, const std::string& where);

}  // namespace latchkey::hub::hub_store_internal
