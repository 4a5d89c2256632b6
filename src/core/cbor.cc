#include "core/cbor.h"

#include <algorithm>

namespace latchkey::core {

void CborWriter::Head(uint8_t major, uint64_t value) {
  const auto m = static_cast<uint8_t>(major << 5);
  int bytes = 0;
  if (value < 24) {
    out_.push_back(static_cast<uint8_t>(m | value));
    return;
  } else if (value <= 0xFF) {
    out_.push_back(m | 24);
    bytes = 1;
  } else if (value <= 0xFFFF) {
    out_.push_back(m | 25);
    bytes = 2;
  } else if (value <= 0xFFFFFFFFull) {
    out_.push_back(m | 26);
    bytes = 4;
  } else {
    out_.push_back(m | 27);
    bytes = 8;
  }
  for (int i = bytes - 1; i >= 0; --i) out_.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

void CborWriter::Int(int64_t v) {
  if (v >= 0) Head(0, static_cast<uint64_t>(v));
  else Head(1, static_cast<uint64_t>(-(v + 1)));
}

void CborWriter::Text(std::string_view s) {
  Head(3, s.size());
  out_.insert(out_.end(), s.begin(), s.end());
}

void CborWriter::Bytes(std::span<const uint8_t> b) {
  Head(2, b.size());
  Raw(b);
}

std::vector<uint8_t> CborMap::Encode() {
  std::sort(entries_.begin(), entries_.end());
  CborWriter w;
  w.Head(5, entries_.size());
  for (const auto& [k, v] : entries_) {
    w.Raw(k);
    w.Raw(v);
  }
  return w.Take();
}

std::optional<uint64_t> CborReader::Head(uint8_t major) {
  if (pos_ >= in_.size()) return std::nullopt;
  const uint8_t initial = in_[pos_];
  if ((initial >> 5) != major) return std::nullopt;
  const uint8_t info = initial & 0x1F;
  ++pos_;
  if (info < 24) return info;
  if (info > 27) return std::nullopt;  // reserved, or an indefinite length
  const std::size_t bytes = std::size_t{1} << (info - 24);
  if (in_.size() - pos_ < bytes) return std::nullopt;
  uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) value = (value << 8) | in_[pos_ + i];
  pos_ += bytes;
  // Shortest form only: a value that fits the next smaller head must use it.
  const uint64_t minimum = bytes == 1 ? 24 : uint64_t{1} << (8 * bytes / 2);
  if (value < minimum) return std::nullopt;
  return value;
}

std::optional<std::span<const uint8_t>> CborReader::Take(uint64_t n) {
  if (n > in_.size() - pos_) return std::nullopt;
  auto out = in_.subspan(pos_, static_cast<std::size_t>(n));
  pos_ += static_cast<std::size_t>(n);
  return out;
}

std::optional<std::string_view> CborReader::Text() {
  const auto n = Head(3);
  if (!n) return std::nullopt;
  const auto bytes = Take(*n);
  if (!bytes) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

std::optional<std::span<const uint8_t>> CborReader::Bytes() {
  const auto n = Head(2);
  if (!n) return std::nullopt;
  return Take(*n);
}

std::optional<bool> CborReader::Bool() {
  if (pos_ >= in_.size()) return std::nullopt;
  const uint8_t b = in_[pos_];
  if (b != 0xF4 && b != 0xF5) return std::nullopt;
  ++pos_;
  return b == 0xF5;
}

std::optional<std::string_view> CborReader::Key(std::span<const uint8_t>* encoded,
                                                std::span<const uint8_t> previous) {
  const std::size_t start = pos_;
  const auto text = Text();
  if (!text) return std::nullopt;
  const auto mine = in_.subspan(start, pos_ - start);
  if (!previous.empty() &&
      !std::lexicographical_compare(previous.begin(), previous.end(), mine.begin(), mine.end())) {
    return std::nullopt;  // out of order, or a duplicate
  }
  *encoded = mine;
  return text;
}

std::string QuotedKey(std::string_view key) {
  std::string out = "\"";
  for (char ch : key.substr(0, 32)) out.push_back(ch >= 0x20 && ch < 0x7F ? ch : '?');
  return out + (key.size() > 32 ? "...\"" : "\"");
}

Status ReadCborMap(std::span<const uint8_t> bytes, std::string_view what,
                   const std::function<CborField(std::string_view key, CborReader& r)>& read_field,
                   const std::function<std::string(std::string_view key)>& expected, std::size_t* seen) {
  const auto bad = [&](std::string_view why) { return Status::Invalid(std::string(what) + ": " + std::string(why)); };
  CborReader r(bytes);
  const auto n = r.Head(5);
  if (!n) return bad("not a CBOR map in deterministic encoding");
  std::span<const uint8_t> previous;
  for (uint64_t i = 0; i < *n; ++i) {
    std::span<const uint8_t> encoded;
    const auto key = r.Key(&encoded, previous);
    if (!key) return bad("a key that is not text, or keys not in canonical order (or repeated)");
    switch (read_field(*key, r)) {
      case CborField::kRead: break;
      case CborField::kUnknown: return bad("unknown field " + QuotedKey(*key));
      case CborField::kBad: return Status::Invalid(std::string(*key) + ": " + expected(*key));
    }
    previous = encoded;
  }
  if (!r.AtEnd()) return bad("bytes after the map");
  if (seen != nullptr) *seen = static_cast<std::size_t>(*n);
  return Status::Ok();
}

}  // namespace latchkey::core

