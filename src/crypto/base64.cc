#include "crypto/base64.h"

#include <sodium.h>

#include <algorithm>

namespace latchkey::crypto {
namespace {

// libsodium 1.0.18's decoder takes some bytes above 0x7f for letters (found by fuzz_push), so the
// alphabet is checked here first: letters, digits and the variant's two (`62`, `63`); padding,
// '=' at the end, only where the caller allows it.
bool InAlphabet(std::string_view text, char c62, char c63) {
  return std::all_of(text.begin(), text.end(), [=](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == c62 || c == c63;
  });
}

std::string Encode(std::span<const uint8_t> bytes, int variant) {
  if (bytes.empty()) return {};  // libsodium's arguments may not be null
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), variant);
  out.pop_back();  // the terminating NUL libsodium writes
  return out;
}

// `text` checked for its length and alphabet (padding included for the padded variant).
std::optional<std::vector<uint8_t>> Decode(std::string_view text, std::size_t max_bytes, int variant) {
  if (text.empty()) return std::vector<uint8_t>{};  // libsodium's arguments may not be null
  std::vector<uint8_t> out(text.size() / 4 * 3 + 2);
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &length, &end, variant) != 0 ||
      end != text.data() + text.size() || length > max_bytes) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

}  // namespace

std::string Base64Encode(std::span<const uint8_t> bytes) { return Encode(bytes, sodium_base64_VARIANT_ORIGINAL); }

std::optional<std::vector<uint8_t>> Base64Decode(std::string_view text, std::size_t max_bytes) {
  if (text.size() % 4 != 0 || text.size() / 4 * 3 > max_bytes + 2) return std::nullopt;
  const std::size_t last = text.find_last_not_of('=');
  if (!text.empty() && (last == std::string_view::npos || text.size() - last - 1 > 2)) return std::nullopt;
  if (!InAlphabet(text.substr(0, text.empty() ? 0 : last + 1), '+', '/')) return std::nullopt;
  return Decode(text, max_bytes, sodium_base64_VARIANT_ORIGINAL);
}

std::string Base64UrlEncode(std::span<const uint8_t> bytes) {
  return Encode(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::optional<std::vector<uint8_t>> Base64UrlDecode(std::string_view text, std::size_t max_bytes) {
  // Padding, if any, must be what the length calls for: then it is dropped.
  if (!text.empty() && text.back() == '=') {
    if (text.size() % 4 != 0) return std::nullopt;
    text.remove_suffix(text.ends_with("==") ? 2 : 1);
    if (text.empty() || text.back() == '=' || text.size() % 4 == 1 || text.size() % 4 == 0) return std::nullopt;
  }
  if (text.size() % 4 == 1 || text.size() / 4 * 3 > max_bytes + 2) return std::nullopt;
  if (!InAlphabet(text, '-', '_')) return std::nullopt;
  return Decode(text, max_bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

}  // namespace latchkey::crypto
