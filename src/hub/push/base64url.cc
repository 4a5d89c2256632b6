#include "hub/push/base64url.h"

#include <sodium.h>

namespace latchkey::hub::push {

std::string Base64UrlEncode(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return {};  // libsodium's arguments may not be null
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_encoded_len(bytes.size(), kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), kVariant);
  out.pop_back();  // the terminating NUL libsodium writes
  return out;
}

std::optional<std::vector<uint8_t>> Base64UrlDecode(std::string_view text, std::size_t max_bytes) {
  // Padding, if any, must be what the length calls for: then it is dropped.
  if (!text.empty() && text.back() == '=') {
    if (text.size() % 4 != 0) return std::nullopt;
    text.remove_suffix(text.ends_with("==") ? 2 : 1);
    if (text.empty() || text.back() == '=' || text.size() % 4 == 1 || text.size() % 4 == 0) return std::nullopt;
  }
  if (text.size() % 4 == 1 || text.size() / 4 * 3 > max_bytes + 2) return std::nullopt;
  // libsodium's decoder (1.0.18) takes some bytes above 0x7f for letters of the alphabet: only the
  // alphabet's own 64 characters are let through to it.
  for (const char c : text) {
    const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!letter) return std::nullopt;
  }
  if (text.empty()) return std::vector<uint8_t>{};  // libsodium's arguments may not be null
  std::vector<uint8_t> out(text.size() / 4 * 3 + 2);
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &length, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size() || length > max_bytes) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

}  // namespace latchkey::hub::push
