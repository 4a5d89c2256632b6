// RFC 3339 times as the API writes them ("2026-11-25T08:00:00.000Z") and reads them (with "Z"
// or a numeric offset, with or without fractional seconds).
//
// The instants both sides agree on are 0001-01-01T00:00:00.000Z .. 9999-12-31T23:59:59.999Z
// (kMinRfc3339Ms .. kMaxRfc3339Ms): what FormatRfc3339Ms writes as four-digit years. A text
// whose offset moves it outside (such as "0000-01-01T08:00:00+21:00", year 0 on the calendar
// before 0001) is refused by the parser, so that every accepted time formats back to a text that
// parses to the same instant, and the API answers 400 for it instead of storing a time it could
// only write back as "-001-12-31...".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace latchkey::platform {

inline constexpr int64_t kMinRfc3339Ms = -62'135'596'800'000;  // 0001-01-01T00:00:00.000Z
inline constexpr int64_t kMaxRfc3339Ms = 253'402'300'799'999;   // 9999-12-31T23:59:59.999Z

// "YYYY-MM-DDTHH:MM:SS.mmmZ" for an instant in kMinRfc3339Ms..kMaxRfc3339Ms (outside that
// range the year does not have four digits and the text does not parse back).
std::string FormatRfc3339Ms(int64_t unix_ms);
// The instant a text denotes (a leap second :60 reads as :59, digits past milliseconds are
// cut off), or nullopt when the text is not of the grammar, is longer than 40 characters or
// denotes an instant out of range.
std::optional<int64_t> ParseRfc3339Ms(std::string_view text);

}  // namespace latchkey::platform
