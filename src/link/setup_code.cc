#include "link/setup_code.h"

#include <sodium.h>

namespace latchkey::link {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::size_t kChars = 26;  // ceil(128 / 5)

}  // namespace

SetupCode RandomSetupCode() {
  SetupCode code{};
  if (sodium_init() < 0) std::abort();  // no random source: nothing safe can be done
  randombytes_buf(code.data(), code.size());
  return code;
}

std::string FormatSetupCode(const SetupCode& code) {
  std::string chars;
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t byte : code) {
    buffer = buffer << 8 | byte;
    bits += 8;
    while (bits >= 5) {
      chars.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) chars.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  std::string out;
  for (std::size_t i = 0; i < chars.size(); ++i) {
    if (i > 0 && i % 4 == 0) out.push_back('-');
    out.push_back(chars[i]);
  }
  return out;
}

core::Result<SetupCode> ParseSetupCode(std::string_view text) {
  std::string chars;
  for (char c : text) {
    if (c == '-' || c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    chars.push_back(c);
    if (chars.size() > kChars) break;
  }
  if (chars.size() != kChars) return core::Status::Invalid("a setup code has 26 characters");
  SetupCode code{};
  uint32_t buffer = 0;
  int bits = 0;
  std::size_t out = 0;
  for (char c : chars) {
    int value = -1;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    else if (c >= '2' && c <= '7') value = c - '2' + 26;
    if (value < 0) return core::Status::Invalid("a setup code has only A-Z and 2-7");
    buffer = (buffer << 5 | static_cast<uint32_t>(value)) & 0xFFF;
    bits += 5;
    if (bits >= 8) {
      if (out < code.size()) code[out++] = static_cast<uint8_t>(buffer >> (bits - 8));
      bits -= 8;
    }
  }
  // 26 * 5 = 130 bits: the last two must be zero in a well-formed code.
  if ((buffer & ((1u << bits) - 1)) != 0) return core::Status::Invalid("the setup code is not well-formed");
  return code;
}

Psk PairingPsk(const SetupCode& code) {
  static constexpr char kKey[] = "latchkey-pairing";
  Psk psk{};
  crypto_generichash(psk.data(), psk.size(), code.data(), code.size(),
                     reinterpret_cast<const unsigned char*>(kKey), sizeof kKey - 1);
  return psk;
}

}  // namespace latchkey::link
