#include "crypto/base64.h"

#include <sodium.h>

#include <algorithm>

namespace latchkey::crypto {
namespace {

// libsodium 1.0.18's decoder takes some bytes above 0x7f for letters (found by fuzz_push), so the
// alphabet is checked here first: letters, digits, '+', '/', and '=' only as padding at the end.
bool InAlphabet(std::string_view text) {
  const std::size_t padding = text.size() - text.find_last_not_of('=') - 1;
  if (text.find_last_not_of('=') == std::string_view::npos || padding > 2) return false;
  return std::all_of(text.begin(), text.end() - static_cast<std::ptrdiff_t>(padding), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
  });
}

}  // namespace

std::string Base64Encode(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return {};  // libsodium's arguments may not be null
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // the terminating NUL libsodium writes
  return out;
}

std::optional<std::vector<uint8_t>> Base64Decode(std::string_view text, std::size_t max_bytes) {
  if (text.size() % 4 != 0 || text.size() / 4 * 3 > max_bytes + 2) return std::nullopt;
  if (text.empty()) return std::vector<uint8_t>{};  // libsodium's arguments may not be null
  if (!InAlphabet(text)) return std::nullopt;
  std::vector<uint8_t> out(text.size() / 4 * 3);
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &length, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size() || length > max_bytes) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

}  // namespace latchkey::crypto
