// Deterministic CBOR (RFC 8949 section 4.2.1) for the core's signed and hashed documents: the
// event chain (event.h) and phone-key certificates (phone_key.h). Shortest integer heads,
// definite lengths, map keys sorted by their encoded bytes. One writer, so that every document
// the lock hashes or verifies is encoded the same way.
//
// CborReader is the strict counterpart for documents the lock receives: it accepts only the
// shapes the writer produces (no indefinite lengths, no longer-than-needed heads), so that
// decode -> encode gives back the same bytes and a signature over the re-encoding is a signature
// over what was received.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace latchkey::core {

class CborWriter {
 public:
  // A head of `major` type (0..7) with its argument in the fewest bytes.
  void Head(uint8_t major, uint64_t value);
  void Int(int64_t v);
  void Text(std::string_view s);
  void Bytes(std::span<const uint8_t> b);
  void Bool(bool b) { out_.push_back(b ? 0xF5 : 0xF4); }
  void Raw(std::span<const uint8_t> bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }
  std::vector<uint8_t> Take() { return std::move(out_); }

 private:
  std::vector<uint8_t> out_;
};

// A map under construction: encoded (key, value) pairs, sorted by encoded key on output.
class CborMap {
 public:
  template <typename F>
  void Add(std::string_view key, F&& write_value) {
    CborWriter k, v;
    k.Text(key);
    write_value(v);
    entries_.emplace_back(k.Take(), v.Take());
  }
  std::vector<uint8_t> Encode();

 private:
  std::vector<std::pair<std::vector<uint8_t>, std::vector<uint8_t>>> entries_;
};

// Reads deterministic CBOR item by item. Every read returns nullopt (and leaves the position
// unspecified) on anything but the expected type in its shortest encoding; the caller names
// the field in its refusal.
class CborReader {
 public:
  explicit CborReader(std::span<const uint8_t> in) : in_(in) {}

  // The argument of a head of `major` type; refuses indefinite lengths and non-shortest heads.
  std::optional<uint64_t> Head(uint8_t major);
  std::optional<uint64_t> Uint() { return Head(0); }
  std::optional<std::string_view> Text();
  std::optional<std::span<const uint8_t>> Bytes();
  std::optional<bool> Bool();
  // The next map key as its encoded bytes and its text; nullopt if it is not a text string or
  // does not sort after `previous` (the encoded bytes of the key before it, empty for the first).
  std::optional<std::string_view> Key(std::span<const uint8_t>* encoded, std::span<const uint8_t> previous);

  bool AtEnd() const { return pos_ == in_.size(); }
  std::size_t position() const { return pos_; }

 private:
  std::optional<std::span<const uint8_t>> Take(uint64_t n);
  std::span<const uint8_t> in_;
  std::size_t pos_ = 0;
};

// What a map's field reader made of one value.
enum class CborField : uint8_t { kRead, kUnknown, kBad };

// Reads a whole document that is one map with text keys in canonical order (each at most once)
// and nothing after it, handing each key and the reader (positioned at its value) to
// `read_field`. Refusals are kInvalid: "`what`: ..." for the shape or an unknown key, and
// "key: `expected(key)`" for a value read_field found bad. Which keys are required is the
// caller's check: `seen` counts the fields read.
Status ReadCborMap(std::span<const uint8_t> bytes, std::string_view what,
                   const std::function<CborField(std::string_view key, CborReader& r)>& read_field,
                   const std::function<std::string(std::string_view key)>& expected, std::size_t* seen = nullptr);

// A key from outside, safe to quote in a message (printable ASCII, at most 32 characters).
std::string QuotedKey(std::string_view key);

}  // namespace latchkey::core
