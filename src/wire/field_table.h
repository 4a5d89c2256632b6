// One table of fields per JSON form of a struct, driving both directions: Encode writes each
// field, Decode reads each (strictly, through JsonFields) so that a form's names, types and
// ranges are written down once. For example:
//
//   struct ClearUser { std::optional<bool> all; std::optional<uint64_t> index; };
//   const wire::FieldTable<ClearUser> kTable = wire::FieldTable<ClearUser>("args")
//       .Field("all", &ClearUser::all)
//       .Field("index", &ClearUser::index, {.hi = 65535});
//   kTable.Encode(ClearUser{.index = 3})     // {"index": 3}
//   kTable.Decode(Json{{"index", "3"}})      // kInvalid "index: must be a whole number"
//   kTable.Decode(Json{{"idx", 3}})          // kInvalid "idx: is not a known field"
//
// The member's type picks the JSON type: an unsigned integer (a whole number in lo..hi, hi
// defaulting to the member type's largest), int64_t, bool, std::string (at most max_bytes), an
// enum of core/types.h (its name). A std::optional member is optional: absent (or null) on
// decode is nullopt, and nullopt is left out on encode (or written as null with
// null_when_absent). A plain member is required unless may_be_absent (then it keeps the
// default it has in the struct passed to Decode); with omit_default its default is also left
// out on encode (a schedule's index 0: not chosen yet, which the lock chooses). Anything else is
// a Custom field, or a Record (a sub-document with a table of its own).
//
// Decode checks the keys first (an unknown one is refused unless the table is Lenient(), keys
// named by Allow() pass and are left to someone else), then nulls if RefuseNulls(), then reads
// the fields in table order, keeping the first failure (with the field's name).
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/types.h"
#include "wire/json_fields.h"

namespace latchkey::wire {

struct FieldOptions {
  uint64_t lo = 0;
  std::optional<uint64_t> hi{};   // default: the member type's largest value
  std::size_t max_bytes = 4096;   // strings
  bool may_be_absent = false;     // a plain member: keeps its default when absent
  bool null_when_absent = false;  // a std::optional member: nullopt is written as null
  bool omit_default = false;      // a plain member: its default value (V{}) is left out on encode
};

namespace internal {
template <typename M>
struct Optional : std::false_type {
  using type = M;
};
template <typename M>
struct Optional<std::optional<M>> : std::true_type {
  using type = M;
};
}  // namespace internal

template <typename T>
class FieldTable {
 public:
  using Json = nlohmann::json;
  // A custom field's two directions: `read` gets the present, non-null value; `write` adds the
  // field to the object (or leaves it out).
  using Read = std::function<core::Status(const Json& value, T& out)>;
  using Write = std::function<void(const T& in, Json& object)>;

  explicit FieldTable(std::string what) : what_(std::move(what)) {}

  template <typename M>
  FieldTable&& Field(std::string name, M T::*member, FieldOptions options = {}) && {
    using V = typename internal::Optional<M>::type;
    constexpr bool kOptional = internal::Optional<M>::value;
    static_assert(std::is_same_v<V, bool> || std::is_same_v<V, int64_t> || std::is_same_v<V, std::string> ||
                      std::is_enum_v<V> || std::is_unsigned_v<V>,
                  "no JSON type for this member: use Custom");
    const bool required = !kOptional && !options.may_be_absent;
    Entry entry{name, nullptr, nullptr, nullptr, required};
    // (Captured by [=]: each type's branch uses some of name, member, options and required.)
    entry.simple = [=](JsonFields& f, T& out) {
      std::optional<V> v;
      if constexpr (std::is_same_v<V, bool>) {
        v = f.Bool(name, required);
      } else if constexpr (std::is_same_v<V, int64_t>) {
        v = f.Int(name, required);
      } else if constexpr (std::is_same_v<V, std::string>) {
        v = f.Str(name, required, options.max_bytes);
      } else if constexpr (std::is_enum_v<V>) {
        v = f.template Enum<V>(name, required);
      } else {
        const auto n = f.Uint(name, options.lo, options.hi.value_or(std::numeric_limits<V>::max()), required);
        if (n) v = static_cast<V>(*n);
      }
      if (v) out.*member = std::move(*v);
    };
    entry.write = [=](const T& in, Json& object) {
      const auto put = [&](const V& value) {
        if constexpr (std::is_enum_v<V>) {
          object[name] = std::string(core::ToString(value));
        } else {
          object[name] = value;
        }
      };
      if constexpr (kOptional) {
        if (in.*member) put(*(in.*member));
        else if (options.null_when_absent) object[name] = nullptr;
      } else if (!options.omit_default || !(in.*member == V{})) {
        put(in.*member);
      }
    };
    entries_.push_back(std::move(entry));
    return std::move(*this);
  }

  // A field of any other shape (a list, a sub-document).
  FieldTable&& Custom(std::string name, Read read, Write write, bool required = false) && {
    entries_.push_back(Entry{std::move(name), nullptr, std::move(read), std::move(write), required});
    return std::move(*this);
  }
  // A required sub-document read and written by its own table (a lock's battery in its status,
  // the settings in a state answer).
  template <typename M>
  FieldTable&& Record(std::string name, M T::*member, const FieldTable<M>& sub) && {
    Read read = [name, member, &sub](const Json& v, T& out) -> core::Status {
      if (!v.is_object()) return core::Status::Invalid(name + ": must be a JSON object");
      auto decoded = sub.Decode(v);
      LATCHKEY_TRY(decoded);
      out.*member = *decoded;
      return core::Status::Ok();
    };
    Write write = [name, member, &sub](const T& in, Json& object) { object[name] = sub.Encode(in.*member); };
    return std::move(*this).Custom(std::move(name), std::move(read), std::move(write), /*required=*/true);
  }
  // Fields read together from the whole object (one of several shapes, chosen by a field):
  // `read` gets the object once every field before it has been read; their keys need Allow().
  FieldTable&& Whole(Read read, Write write) && {
    entries_.push_back(Entry{"", nullptr, std::move(read), std::move(write), false});
    return std::move(*this);
  }
  // A key that may be there and is read by someone else (the actor of every link request).
  FieldTable&& Allow(std::string name) && {
    allowed_.push_back(std::move(name));
    return std::move(*this);
  }
  // Unknown keys pass (a store written by a later version).
  FieldTable&& Lenient() && {
    strict_ = false;
    return std::move(*this);
  }
  // A null is refused with the field's name, for forms whose fields cannot be cleared.
  FieldTable&& RefuseNulls() && {
    refuse_nulls_ = true;
    return std::move(*this);
  }

  // `json` read into a copy of `defaults`; kInvalid naming the first bad field.
  core::Result<T> Decode(const Json& json, T defaults = {}) const {
    JsonFields f(json, what_);
    if (strict_ && json.is_object()) {
      for (const auto& [key, value] : json.items()) {
        if (!Knows(key)) f.Fail(key, "is not a known field");
      }
    }
    if (refuse_nulls_) f.RefuseNulls();
    LATCHKEY_TRY(f);
    for (const Entry& e : entries_) {
      if (e.simple) {
        e.simple(f, defaults);
        continue;
      }
      LATCHKEY_TRY(f);
      if (e.name.empty()) {
        LATCHKEY_TRY(e.read(json, defaults));
        continue;
      }
      const auto it = json.find(e.name);
      if (it != json.end() && !it->is_null()) {
        LATCHKEY_TRY(e.read(*it, defaults));
      } else if (e.required) {
        f.Fail(e.name, "is required");
      }
    }
    LATCHKEY_TRY(f);
    return defaults;
  }

  Json Encode(const T& value) const {
    Json object = Json::object();
    for (const Entry& e : entries_) e.write(value, object);
    return object;
  }

  // The names of the fields, in table order (tests: every field round-trips).
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const Entry& e : entries_) {
      if (!e.name.empty()) out.push_back(e.name);
    }
    return out;
  }

 private:
  struct Entry {
    std::string name;
    std::function<void(JsonFields&, T&)> simple;  // set for typed fields, else `read` is
    Read read;
    Write write;
    bool required = false;  // custom fields (typed ones know it themselves)
  };
  bool Knows(std::string_view key) const {
    for (const Entry& e : entries_) {
      if (!e.name.empty() && e.name == key) return true;
    }
    for (const std::string& a : allowed_) {
      if (a == key) return true;
    }
    return false;
  }

  std::string what_;
  std::vector<Entry> entries_;
  std::vector<std::string> allowed_;
  bool strict_ = true;
  bool refuse_nulls_ = false;
};

}  // namespace latchkey::wire
