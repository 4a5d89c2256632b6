#include "core/offline_code.h"

#include <algorithm>

namespace latchkey::core {
namespace {

// The nine digits the check digits cover: type, start, duration.
std::string CoveredDigits(const OfflineCodeFields& fields) {
  std::string out(9, '0');
  out[0] = static_cast<char>('0' + static_cast<int>(fields.type));
  uint32_t start = fields.start_hour;
  for (std::size_t i = 5; i >= 1; --i, start /= 10) out[i] = static_cast<char>('0' + start % 10);
  uint32_t duration = fields.duration_hours;
  for (std::size_t i = 8; i >= 6; --i, duration /= 10) out[i] = static_cast<char>('0' + duration % 10);
  return out;
}

uint32_t Digits(std::string_view text) {
  uint32_t value = 0;
  for (char c : text) value = value * 10 + static_cast<uint32_t>(c - '0');
  return value;
}

}  // namespace

bool ValidOfflineCodeFields(const OfflineCodeFields& fields) {
  const auto type = static_cast<int>(fields.type);
  return type >= 1 && type <= 3 && fields.start_hour <= kMaxOfflineStartHour && fields.duration_hours >= 1 &&
         fields.duration_hours <= kMaxOfflineDurationHours;
}

std::string PackOfflineCode(const OfflineCodeFields& fields, uint16_t check) {
  std::string out = CoveredDigits(fields);
  const uint16_t c = check % 1000;
  out.push_back(static_cast<char>('0' + c / 100));
  out.push_back(static_cast<char>('0' + c / 10 % 10));
  out.push_back(static_cast<char>('0' + c % 10));
  return out;
}

std::optional<OfflineCodePlain> UnpackOfflineCode(std::string_view digits) {
  if (digits.size() != kOfflineCodeDigits) return std::nullopt;
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  OfflineCodePlain plain;
  plain.fields.type = static_cast<OfflineCodeType>(digits[0] - '0');
  plain.fields.start_hour = Digits(digits.substr(1, 5));
  plain.fields.duration_hours = static_cast<uint16_t>(Digits(digits.substr(6, 3)));
  plain.check = static_cast<uint16_t>(Digits(digits.substr(9, 3)));
  if (!ValidOfflineCodeFields(plain.fields)) return std::nullopt;
  return plain;
}

std::array<uint8_t, 32> OfflineGenerationKey(const Crypto& crypto, const OfflineCodeKey& key, uint32_t generation) {
  if (generation == 0) return key;
  const std::string label = "latchkey offline-code generation " + std::to_string(generation);
  return crypto.HmacSha256(key, std::span(reinterpret_cast<const uint8_t*>(label.data()), label.size()));
}

uint16_t OfflineCodeCheck(const Crypto& crypto, const OfflineCodeKey& key, uint32_t generation,
                          const OfflineCodeFields& fields) {
  const std::array<uint8_t, 32> generation_key = OfflineGenerationKey(crypto, key, generation);
  const std::string covered = CoveredDigits(fields);
  const Digest mac =
      crypto.HmacSha256(generation_key, std::span(reinterpret_cast<const uint8_t*>(covered.data()), covered.size()));
  const uint32_t first = (uint32_t{mac[0]} << 24) | (uint32_t{mac[1]} << 16) | (uint32_t{mac[2]} << 8) | mac[3];
  return static_cast<uint16_t>(first % 1000);
}

}  // namespace latchkey::core
