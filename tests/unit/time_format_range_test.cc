// RFC 3339 at the ends of the range both directions agree on (time_format.h): the parser
// refuses an instant that an offset moves before 0001-01-01T00:00:00Z or after
// 9999-12-31T23:59:59.999Z, so that every time it accepts formats back to a text that parses to
// the same instant (fuzz_text_parsers found "0000-01-01T08:00:00+21:00", issue 9 item 14).
#include <date/date.h>
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <vector>

#include "platform/time_format.h"

namespace latchkey::platform {
namespace {

TEST(TimeFormatRangeTest, TheEndsOfTheRangeAreTheFourDigitYears) {
  EXPECT_EQ(FormatRfc3339Ms(kMinRfc3339Ms), "0001-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Ms(kMaxRfc3339Ms), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(ParseRfc3339Ms("0001-01-01T00:00:00Z"), kMinRfc3339Ms);
  EXPECT_EQ(ParseRfc3339Ms("9999-12-31T23:59:59.999Z"), kMaxRfc3339Ms);
  // A leap second and digits past milliseconds at the last instant stay inside.
  EXPECT_EQ(ParseRfc3339Ms("9999-12-31T23:59:60.999999Z"), kMaxRfc3339Ms);
}

// The input the fuzzer found: year 0 with an offset that moves it to year -1.
TEST(TimeFormatRangeTest, RefusesAnOffsetThatMovesATimeBeforeYearOne) {
  EXPECT_FALSE(ParseRfc3339Ms("0000-01-01T08:00:00+21:00").has_value());
  EXPECT_FALSE(ParseRfc3339Ms("0001-01-01T00:00:00+00:01").has_value());
  EXPECT_FALSE(ParseRfc3339Ms("0001-01-01T00:00:00.999+00:01").has_value());
  EXPECT_FALSE(ParseRfc3339Ms("0000-12-31T23:59:59.999Z").has_value());
  EXPECT_FALSE(ParseRfc3339Ms("0000-01-01T00:00:00Z").has_value());
}

TEST(TimeFormatRangeTest, RefusesAnOffsetThatMovesATimePastYear9999) {
  EXPECT_FALSE(ParseRfc3339Ms("9999-12-31T23:59:59.999-00:01").has_value());
  EXPECT_FALSE(ParseRfc3339Ms("9999-12-31T16:00:00-23:59").has_value());
}

// An offset that brings a year-0000 or year-9999 text inside the range is fine.
TEST(TimeFormatRangeTest, AcceptsAnOffsetThatEndsInsideTheRange) {
  EXPECT_EQ(ParseRfc3339Ms("0000-12-31T23:00:00-01:00"), kMinRfc3339Ms);
  EXPECT_EQ(ParseRfc3339Ms("0001-01-01T01:00:00+01:00"), kMinRfc3339Ms);
  EXPECT_EQ(ParseRfc3339Ms("9999-12-31T23:59:59.999+00:00"), kMaxRfc3339Ms);
  EXPECT_EQ(ParseRfc3339Ms("9999-12-31T23:59:59.999+23:59"), kMaxRfc3339Ms - (23 * 60 + 59) * 60'000LL);
}

// Whatever the parser accepts near the ends survives format -> parse.
TEST(TimeFormatRangeTest, EveryAcceptedTimeNearTheEndsRoundTrips) {
  for (const char* text : {"0000-01-01T08:00:00+21:00", "0000-12-31T23:00:00-01:00", "0001-01-01T00:00:00Z",
                           "0001-01-01T08:00:00+08:00", "0001-01-01T08:00:00+08:01", "9999-12-31T23:59:59Z",
                           "9999-12-31T23:59:59-00:01", "9999-12-31T01:00:00-22:59", "9999-12-31T01:00:00-23:00"}) {
    const auto parsed = ParseRfc3339Ms(text);
    if (!parsed) continue;
    EXPECT_GE(*parsed, kMinRfc3339Ms) << text;
    EXPECT_LE(*parsed, kMaxRfc3339Ms) << text;
    EXPECT_EQ(ParseRfc3339Ms(FormatRfc3339Ms(*parsed)), parsed) << text << " -> " << FormatRfc3339Ms(*parsed);
  }
}

// The hand-written digits of FormatRfc3339Ms say what date::format says, across the range and
// at its ends (outside it, date::format itself answers).
TEST(TimeFormatRangeTest, TheFastFormatterAgreesWithDateFormat) {
  const auto reference = [](int64_t ms) {
    return date::format("%FT%TZ", date::sys_time<std::chrono::milliseconds>{std::chrono::milliseconds(ms)});
  };
  std::vector<int64_t> samples = {kMinRfc3339Ms, kMinRfc3339Ms + 1, -1, 0, 1, 86'399'999, 86'400'000,
                                  951'782'400'000 /* 2000-02-29 */, 1'795'600'800'123, kMaxRfc3339Ms - 1, kMaxRfc3339Ms,
                                  kMinRfc3339Ms - 1, kMaxRfc3339Ms + 1};
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> any(kMinRfc3339Ms, kMaxRfc3339Ms);
  for (int i = 0; i < 20'000; ++i) samples.push_back(any(rng));
  for (const int64_t ms : samples) ASSERT_EQ(FormatRfc3339Ms(ms), reference(ms)) << ms;
}

}  // namespace
}  // namespace latchkey::platform
