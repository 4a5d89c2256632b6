#include "wire/json_fields.h"

namespace latchkey::wire {

JsonFields::JsonFields(const nlohmann::json& json, std::string_view what) : json_(json), what_(what) {
  if (!json_.is_object()) status_ = core::Status::Invalid(what_ + " must be a JSON object");
}

bool JsonFields::Has(std::string_view key) const {
  return json_.is_object() && json_.contains(key) && !json_.at(std::string(key)).is_null();
}

void JsonFields::Fail(std::string_view key, const std::string& why) {
  if (status_.ok()) status_ = core::Status::Invalid(std::string(key) + ": " + why);
}

const nlohmann::json* JsonFields::Find(std::string_view key, bool required) {
  if (!status_.ok() || !json_.is_object()) return nullptr;
  const auto it = json_.find(key);
  if (it == json_.end() || it->is_null()) {
    if (required) Fail(key, "is required");
    return nullptr;
  }
  return &*it;
}

std::optional<uint64_t> JsonFields::Uint(std::string_view key, uint64_t lo, uint64_t hi, bool required) {
  const auto* v = Find(key, required);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number_integer()) {
    Fail(key, "must be a whole number");
    return std::nullopt;
  }
  if (v->is_number_unsigned()) {
    const auto u = v->get<uint64_t>();
    if (u >= lo && u <= hi) return u;
  } else {
    const auto i = v->get<int64_t>();
    if (i >= 0 && static_cast<uint64_t>(i) >= lo && static_cast<uint64_t>(i) <= hi) return static_cast<uint64_t>(i);
  }
  Fail(key, "must be in " + std::to_string(lo) + ".." + std::to_string(hi));
  return std::nullopt;
}

std::optional<int64_t> JsonFields::Int(std::string_view key, bool required) {
  const auto* v = Find(key, required);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number_integer() || (v->is_number_unsigned() && v->get<uint64_t>() > INT64_MAX)) {
    Fail(key, "must be a whole number");
    return std::nullopt;
  }
  return v->get<int64_t>();
}

std::optional<bool> JsonFields::Bool(std::string_view key, bool required) {
  const auto* v = Find(key, required);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) {
    Fail(key, "must be true or false");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::string> JsonFields::Str(std::string_view key, bool required, std::size_t max_bytes) {
  const auto* v = Find(key, required);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    Fail(key, "must be a string");
    return std::nullopt;
  }
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > max_bytes) {
    Fail(key, "is longer than " + std::to_string(max_bytes) + " bytes");
    return std::nullopt;
  }
  return s;
}

const nlohmann::json* JsonFields::Child(std::string_view key, bool required) { return Find(key, required); }

void JsonFields::OnlyKeys(std::initializer_list<std::string_view> allowed) {
  if (!status_.ok() || !json_.is_object()) return;
  for (const auto& [key, value] : json_.items()) {
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (!known) Fail(key, "is not a known field");
  }
}

void JsonFields::RefuseNulls() {
  if (!status_.ok() || !json_.is_object()) return;
  for (const auto& [key, value] : json_.items()) {
    if (value.is_null()) Fail(key, "cannot be null");
  }
}

}  // namespace latchkey::wire
