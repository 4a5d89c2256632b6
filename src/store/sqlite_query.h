// One-call queries over sqlite_db.h: prepare, bind every parameter, step, collect, in one
// expression, for the many statements that run once (a statement on a hot path is better
// prepared once and reused with Statement directly).
//
// Parameters are bound in order to ?1, ?2, ...: an integer (signed, or unsigned of at most 32
// bits; a caller checks a uint64_t's range and casts it), text (std::string, string_view, a
// literal), a blob (std::span<const uint8_t>), nullptr (NULL), or a std::optional of one of
// these (NULL when empty). A row is read by a callable `const Statement& -> T` or
// `-> Result<T>`; an error from it stops the query and is returned.
//
//   auto names = QueryAll<std::string>(db, "SELECT name FROM t WHERE owner = ?1 AND size > ?2",
//                                      [](const Statement& row) { return std::string(row.ColumnText(0)); },
//                                      owner, int64_t{10});
//   if (!names.ok()) return names.status();
//   auto one = QueryOne<Account>(db, "SELECT ... WHERE username = ?1", ReadAccount, username);
//   if (Status s = ExecuteOne(db, "no lock '" + id + "'", "DELETE FROM locks WHERE id = ?1", id); !s.ok()) ...
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "store/sqlite_db.h"

namespace latchkey::store {

// --- binding -------------------------------------------------------------------------------------

template <typename I>
concept BindableInteger = std::integral<I> && !std::same_as<I, bool> &&
                          (std::signed_integral<I> || sizeof(I) < sizeof(int64_t));

template <BindableInteger I>
void BindValue(Statement& st, int index, I value) {
  st.Bind(index, static_cast<int64_t>(value));
}
inline void BindValue(Statement& st, int index, std::string_view text) { st.Bind(index, text); }
inline void BindValue(Statement& st, int index, const std::string& text) { st.Bind(index, std::string_view(text)); }
inline void BindValue(Statement& st, int index, const char* text) { st.Bind(index, std::string_view(text)); }
inline void BindValue(Statement& st, int index, std::span<const uint8_t> bytes) { st.Bind(index, bytes); }
inline void BindValue(Statement& st, int index, std::nullptr_t) { st.BindNull(index); }
template <typename T>
void BindValue(Statement& st, int index, const std::optional<T>& value) {
  if (value) {
    BindValue(st, index, *value);
  } else {
    st.BindNull(index);
  }
}

// Binds `args` to ?1, ?2, ... in order. A bind error shows at the next Step() or Run().
template <typename... Args>
void BindAll(Statement& st, const Args&... args) {
  int index = 0;
  (BindValue(st, ++index, args), ...);
}

// `sql` compiled with `args` bound.
template <typename... Args>
Result<Statement> PrepareBound(Database& db, std::string_view sql, const Args&... args) {
  auto prepared = db.Prepare(sql);
  if (!prepared.ok()) return prepared.status();
  BindAll(prepared.value(), args...);
  return prepared;
}

// --- running -------------------------------------------------------------------------------------

namespace detail {

// The value a row reader returned, whether it returns T or Result<T>.
template <typename T, typename Read>
Result<T> ReadRow(Read& read, const Statement& row) {
  using Out = std::invoke_result_t<Read&, const Statement&>;
  if constexpr (std::is_same_v<std::remove_cvref_t<Out>, Result<T>>) {
    return read(row);
  } else {
    return T(read(row));
  }
}

}  // namespace detail

// Every row of `sql`, read by `read`.
template <typename T, typename Read, typename... Args>
Result<std::vector<T>> QueryAll(Database& db, std::string_view sql, Read read, const Args&... args) {
  auto prepared = PrepareBound(db, sql, args...);
  if (!prepared.ok()) return prepared.status();
  std::vector<T> out;
  Status s = ForEachRow(prepared.value(), [&](Statement& row) -> Status {
    auto value = detail::ReadRow<T>(read, row);
    if (!value.ok()) return value.status();
    out.push_back(std::move(value).value());
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

// The first row of `sql` read by `read`, or none. (Meant for a lookup by a key: it stops at
// the first row.)
template <typename T, typename Read, typename... Args>
Result<std::optional<T>> QueryOne(Database& db, std::string_view sql, Read read, const Args&... args) {
  auto prepared = PrepareBound(db, sql, args...);
  if (!prepared.ok()) return prepared.status();
  Statement& st = prepared.value();
  switch (st.Step()) {
    case Statement::StepResult::kRow: {
      auto value = detail::ReadRow<T>(read, st);
      st.Reset();
      if (!value.ok()) return value.status();
      return std::optional<T>(std::move(value).value());
    }
    case Statement::StepResult::kDone:
      st.Reset();
      return std::optional<T>();
    case Statement::StepResult::kError:
      break;
  }
  Status s = st.status();
  st.Reset();
  return s;
}

// Whether `sql` (e.g. "SELECT 1 FROM t WHERE id = ?1") yields a row.
template <typename... Args>
Result<bool> Exists(Database& db, std::string_view sql, const Args&... args) {
  auto found = QueryOne<bool>(db, sql, [](const Statement&) { return true; }, args...);
  if (!found.ok()) return found.status();
  return found->has_value();
}

// Runs a statement that returns no rows (INSERT, UPDATE, DELETE, ...).
template <typename... Args>
Status Execute(Database& db, std::string_view sql, const Args&... args) {
  auto prepared = PrepareBound(db, sql, args...);
  if (!prepared.ok()) return prepared.status();
  return prepared.value().Run();
}

// Execute for a statement meant to change a row: none changed is kNotFound(`missing`).
template <typename... Args>
Status ExecuteOne(Database& db, const std::string& missing, std::string_view sql, const Args&... args) {
  if (Status s = Execute(db, sql, args...); !s.ok()) return s;
  if (db.changes() == 0) return Status::NotFound(missing);
  return Status::Ok();
}

}  // namespace latchkey::store
