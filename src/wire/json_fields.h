// Strict reading of a JSON object: each accessor checks presence, type and range, and the first
// failure is kept (with the field's name) so a decoder can read every field and check once.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/types.h"

namespace latchkey::wire {

inline constexpr std::size_t kMaxEnumBytes = 64;

// `text` read as a value of E for field `key`, refused as JsonFields::Enum refuses it
// ("type: 'pen' is not a known value"): for a value that comes from elsewhere than a JSON
// field, such as a URL's path or query.
template <typename E>
core::Result<E> EnumFromText(std::string_view key, const std::string& text) {
  if (text.size() > kMaxEnumBytes) {
    return core::Status::Invalid(std::string(key) + ": is longer than " + std::to_string(kMaxEnumBytes) + " bytes");
  }
  auto value = core::Parse<E>(text);
  if (!value) return core::Status::Invalid(std::string(key) + ": '" + text + "' is not a known value");
  return *value;
}

class JsonFields {
 public:
  explicit JsonFields(const nlohmann::json& json, std::string_view what = "body");

  bool ok() const { return status_.ok(); }
  const core::Status& status() const { return status_; }
  bool Has(std::string_view key) const;

  std::optional<uint64_t> Uint(std::string_view key, uint64_t lo, uint64_t hi, bool required);
  std::optional<int64_t> Int(std::string_view key, bool required);
  std::optional<bool> Bool(std::string_view key, bool required);
  std::optional<std::string> Str(std::string_view key, bool required, std::size_t max_bytes = 4096);
  template <typename E>
  std::optional<E> Enum(std::string_view key, bool required) {
    auto text = Str(key, required, kMaxEnumBytes);
    if (!text) return std::nullopt;
    auto value = EnumFromText<E>(key, *text);
    if (!value.ok()) {
      status_ = value.status();
      return std::nullopt;
    }
    return *value;
  }
  // The sub-document at `key` (nullptr when absent and not required).
  const nlohmann::json* Child(std::string_view key, bool required);
  // Refuses any key not in `allowed` (for writes, where an unknown field is a mistake).
  void OnlyKeys(std::initializer_list<std::string_view> allowed);
  // Refuses any key given as null, naming it ("...: cannot be null"). For writes whose fields
  // cannot be cleared: the accessors read null as absent, which for such a write would answer
  // success while ignoring what the caller asked for.
  void RefuseNulls();
  void Fail(std::string_view key, const std::string& why);

 private:
  const nlohmann::json* Find(std::string_view key, bool required);
  const nlohmann::json& json_;
  std::string what_;
  core::Status status_;
};

}  // namespace latchkey::wire
