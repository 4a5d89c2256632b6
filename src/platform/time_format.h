// RFC 3339 times as the API writes them ("2026-11-25T08:00:00.000Z") and reads them (with "Z"
// or a numeric offset, with or without fractional seconds).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace latchkey::platform {

std::string FormatRfc3339Ms(int64_t unix_ms);
std::optional<int64_t> ParseRfc3339Ms(std::string_view text);

}  // namespace latchkey::platform
