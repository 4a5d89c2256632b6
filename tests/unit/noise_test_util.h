// Helpers shared by the Noise tests (noise_test.cc, noise_aesgcm_test.cc): hex, byte strings and
// key pairs from the cacophony vectors' private keys.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "crypto/noise.h"

namespace latchkey::crypto::noise_test {

using Bytes = std::vector<uint8_t>;

inline Bytes FromHex(std::string_view hex) {
  Bytes out;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) ADD_FAILURE() << "odd hex length: " << hex;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) ADD_FAILURE() << "bad hex: " << hex;
    out.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return out;
}

inline std::string ToHex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

inline Bytes Str(std::string_view s) { return Bytes(s.begin(), s.end()); }

inline std::array<uint8_t, 32> Array32(const Bytes& bytes) {
  std::array<uint8_t, 32> out{};
  EXPECT_EQ(bytes.size(), out.size());
  std::copy_n(bytes.begin(), std::min(bytes.size(), out.size()), out.begin());
  return out;
}

inline NoiseKeypair KeypairHex(const std::string& hex) {
  auto kp = KeypairFromPrivate(FromHex(hex));
  EXPECT_TRUE(kp.ok()) << kp.status().ToString();
  return kp.ok() ? *kp : NoiseKeypair{};
}

}  // namespace latchkey::crypto::noise_test
