// Status and Result: how the core reports success or a refusal across its API.
// No exceptions cross a module boundary; every fallible call returns one of these.
#pragma once

#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace latchkey::core {

// The error codes of LOCK-SEMANTICS.md 3-5 (and API.md), plus kIoError for a failed
// durable write.
enum class Code {
  kOk,
  kInvalid,
  kNotFound,
  kOccupied,
  kDuplicate,
  kResourceExhausted,
  kIoError,
};

// The wire name of a code ("invalid", "not_found", ...).
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Invalid(std::string message) { return Status(Code::kInvalid, std::move(message)); }
  static Status NotFound(std::string message) { return Status(Code::kNotFound, std::move(message)); }
  static Status Occupied(std::string message) { return Status(Code::kOccupied, std::move(message)); }
  static Status Duplicate(std::string message) { return Status(Code::kDuplicate, std::move(message)); }
  static Status ResourceExhausted(std::string message) {
    return Status(Code::kResourceExhausted, std::move(message));
  }
  static Status IoError(std::string message) { return Status(Code::kIoError, std::move(message)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid: data: a PIN of 3 digits is outside 6..12", or "ok".
  std::string ToString() const;

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  const T& value() const& { return *value_; }
  T& value() & { return *value_; }
  T&& value() && { return std::move(*value_); }
  const T& operator*() const { return *value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

namespace internal {
inline const Status& StatusOf(const Status& status) { return status; }
// A Result, or anything else that keeps a Status (a JSON field reader, ...).
template <typename T>
  requires requires(const T& t) { { t.status() } -> std::convertible_to<Status>; }
Status StatusOf(const T& holder) { return holder.status(); }
}  // namespace internal

}  // namespace latchkey::core

// Returns from the enclosing function (which returns a Status or a Result) with the Status of
// `expr` (a Status or a Result) when it is not ok:
//
//   LATCHKEY_TRY(db.Exec("BEGIN"));
//   auto row = db.QueryOne(...);
//   LATCHKEY_TRY(row);              // a Result: its status, if any
#define LATCHKEY_TRY(expr)                                                               \
  do {                                                                                   \
    if (::latchkey::core::Status latchkey_try_status_ = ::latchkey::core::internal::StatusOf(expr);          \
        !latchkey_try_status_.ok()) {                                                    \
      return latchkey_try_status_;                                                       \
    }                                                                                    \
  } while (false)
