// LINK.md framing, messages and pairing codes; RFC 3339 times of the API.
#include <gtest/gtest.h>

#include "link/frame.h"
#include "link/message.h"
#include "link/setup_code.h"
#include "platform/time_format.h"

namespace latchkey::link {
namespace {

// LINK.md Framing: a 2-byte big-endian length, then that many bytes.
TEST(FrameTest, EncodesLengthBigEndian) {
  const std::vector<uint8_t> payload(300, 7);
  const auto frame = EncodeFrame(payload);
  ASSERT_EQ(frame.size(), 302u);
  EXPECT_EQ(frame[0], 0x01);
  EXPECT_EQ(frame[1], 0x2C);
}

TEST(FrameTest, DecoderReassemblesFramesSplitAnywhere) {
  std::vector<uint8_t> stream;
  for (int i = 0; i < 5; ++i) {
    const auto f = EncodeFrame(std::vector<uint8_t>(static_cast<std::size_t>(i * 10 + 1), static_cast<uint8_t>(i)));
    stream.insert(stream.end(), f.begin(), f.end());
  }
  FrameDecoder decoder;
  std::vector<std::vector<uint8_t>> frames;
  for (uint8_t byte : stream) {  // one byte at a time: the worst split
    decoder.Feed(std::span(&byte, 1));
    while (true) {
      auto next = decoder.Next();
      ASSERT_TRUE(next.ok());
      if (!next->has_value()) break;
      frames.push_back(**next);
    }
  }
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_EQ(frames[3], std::vector<uint8_t>(31, 3));
}

// LINK.md Limits: a frame over 16 KiB closes the connection.
TEST(FrameTest, FrameOverSixteenKibIsRefusedForGood) {
  FrameDecoder decoder;
  const uint8_t header[] = {0x40, 0x01};  // 16385 bytes
  decoder.Feed(header);
  EXPECT_FALSE(decoder.Next().ok());
  const auto small = EncodeFrame(std::vector<uint8_t>(3, 1));
  decoder.Feed(small);
  EXPECT_FALSE(decoder.Next().ok());
}

TEST(FrameTest, ExactlySixteenKibIsAccepted) {
  FrameDecoder decoder;
  decoder.Feed(EncodeFrame(std::vector<uint8_t>(kMaxFrame, 9)));
  auto next = decoder.Next();
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ((*next)->size(), kMaxFrame);
}

// LINK.md Messages: one CBOR map with "t".
TEST(MessageTest, RoundTripsThroughCbor) {
  const Json request = Request(7, "unlock", Json{{"pin", "123456"}});
  auto decoded = DecodeMessage(EncodeMessage(request));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->type, MessageType::kReq);
  EXPECT_EQ(decoded->body, request);
}

TEST(MessageTest, RefusesWhatIsNotAMapWithAKnownType) {
  EXPECT_FALSE(DecodeMessage(std::vector<uint8_t>{0xFF, 0x00}).ok());            // not CBOR
  EXPECT_FALSE(DecodeMessage(Json::to_cbor(Json::array({1, 2}))).ok());         // not a map
  EXPECT_FALSE(DecodeMessage(Json::to_cbor(Json{{"x", 1}})).ok());              // no "t"
  EXPECT_FALSE(DecodeMessage(Json::to_cbor(Json{{"t", 5}})).ok());              // "t" not text
  EXPECT_FALSE(DecodeMessage(Json::to_cbor(Json{{"t", "launch"}})).ok());       // unknown type
  EXPECT_FALSE(DecodeMessage(std::vector<uint8_t>{}).ok());                     // empty
  std::vector<uint8_t> truncated = EncodeMessage(Hello("lk-1", Json::object(), 3, true));
  truncated.pop_back();
  EXPECT_FALSE(DecodeMessage(truncated).ok());
}

TEST(MessageTest, ErrorResponseCarriesCodeAndReason) {
  const Json res = ErrorResponse(3, "denied", "refused", "lockout");
  EXPECT_EQ(res["error"]["code"], "denied");
  EXPECT_EQ(res["error"]["reason"], "lockout");
  EXPECT_FALSE(res["ok"].get<bool>());
}

// LINK.md Pairing: 128 bits as 26 base32 characters in groups.
TEST(SetupCodeTest, FormatsAndParsesBack) {
  for (int i = 0; i < 50; ++i) {
    const SetupCode code = RandomSetupCode();
    const std::string text = FormatSetupCode(code);
    EXPECT_EQ(text.size(), 26u + 6u);  // 26 characters, 6 dashes
    auto parsed = ParseSetupCode(text);
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_EQ(*parsed, code);
  }
}

TEST(SetupCodeTest, ParsingForgivesCaseSpacesAndNewlines) {
  const SetupCode code = RandomSetupCode();
  std::string text = FormatSetupCode(code);
  std::string relaxed;
  for (char c : text) relaxed += (c == '-') ? ' ' : static_cast<char>(std::tolower(c));
  relaxed += "\n";
  auto parsed = ParseSetupCode(relaxed);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, code);
}

TEST(SetupCodeTest, RefusesBadCodes) {
  EXPECT_FALSE(ParseSetupCode("").ok());
  EXPECT_FALSE(ParseSetupCode("AAAA-AAAA").ok());                        // short
  EXPECT_FALSE(ParseSetupCode("AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAA").ok());  // long
  EXPECT_FALSE(ParseSetupCode("AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-A1").ok());  // '1' is not base32
  EXPECT_FALSE(ParseSetupCode("AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AB").ok());  // trailing bits set
}

TEST(SetupCodeTest, PskDependsOnTheCode) {
  SetupCode a{}, b{};
  b[15] = 1;
  EXPECT_NE(PairingPsk(a), PairingPsk(b));
  EXPECT_EQ(PairingPsk(a), PairingPsk(a));
}

}  // namespace
}  // namespace latchkey::link

namespace latchkey::platform {
namespace {

// API.md: times are RFC 3339 UTC strings with milliseconds.
TEST(TimeFormatTest, FormatsWithMilliseconds) {
  EXPECT_EQ(FormatRfc3339Ms(1795593600000), "2026-11-25T08:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Ms(1795593600123), "2026-11-25T08:00:00.123Z");
}

TEST(TimeFormatTest, ParsesZuluOffsetsAndFractions) {
  EXPECT_EQ(ParseRfc3339Ms("2026-11-25T08:00:00Z"), 1795593600000);
  EXPECT_EQ(ParseRfc3339Ms("2026-11-25T08:00:00.5Z"), 1795593600500);
  EXPECT_EQ(ParseRfc3339Ms("2026-11-25T09:00:00.000+01:00"), 1795593600000);
  EXPECT_EQ(ParseRfc3339Ms("2026-11-25T03:00:00-05:00"), 1795593600000);
}

TEST(TimeFormatTest, RefusesMalformedTimes) {
  for (const char* bad : {"", "2026-11-25", "2026-11-25T08:00Z", "2026-13-25T08:00:00Z", "2026-02-30T08:00:00Z",
                          "2026-11-25T24:00:00Z", "2026-11-25T08:00:00", "2026-11-25T08:00:00.Z",
                          "2026-11-25T08:00:00+0100", "2026-11-25 08:00:00Z", "2026-11-25T08:00:00Zjunk"}) {
    EXPECT_FALSE(ParseRfc3339Ms(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace latchkey::platform

namespace latchkey::link {
namespace {

// Found by fuzz_message: a container length of 2^63 made nlohmann throw through the decoder.
TEST(MessageTest, HugeContainerLengthIsRefusedNotThrown) {
  EXPECT_FALSE(DecodeMessage(std::vector<uint8_t>{0x9b, 0x80, 0, 0, 0, 0, 0, 0, 0}).ok());  // array
  EXPECT_FALSE(DecodeMessage(std::vector<uint8_t>{0xbb, 0x80, 0, 0, 0, 0, 0, 0, 0}).ok());  // map
}

// A frame full of nested arrays must not recurse the parser through the stack.
TEST(MessageTest, DeepNestingIsRefused) {
  std::vector<uint8_t> deep(16000, 0x81);  // [[[[...]]]]
  deep.push_back(0x00);
  EXPECT_FALSE(DecodeMessage(deep).ok());
  // Real messages nest a few levels and pass.
  const Json events{{"t", "events"}, {"events", Json::array({Json{{"seq", 1}, {"credential", {{"type", "pin"}, {"index", 1}}}}})}};
  EXPECT_TRUE(DecodeMessage(EncodeMessage(events)).ok());
}

// A message nested `depth` deep: {"t":"req","args":[[...[]...]]} with depth-1 arrays, the
// innermost one empty or, with `indefinite`, every array of indefinite length.
std::vector<uint8_t> NestedMessage(int depth, bool indefinite) {
  std::vector<uint8_t> bytes = EncodeMessage(Json{{"t", "req"}});
  bytes[0] = 0xa2;  // a map of two entries
  for (char c : std::string_view("\x64" "args")) bytes.push_back(static_cast<uint8_t>(c));
  for (int i = 1; i < depth; ++i) bytes.push_back(indefinite ? 0x9f : (i + 1 < depth ? 0x81 : 0x80));
  if (indefinite) bytes.insert(bytes.end(), static_cast<std::size_t>(depth - 1), 0xff);
  return bytes;
}

// Found by fuzz_message: the limit is on how deep containers nest, the message map counting as
// one; empty arrays and arrays of indefinite length count like any other.
TEST(MessageTest, NestingLimitCountsEveryContainer) {
  for (bool indefinite : {false, true}) {
    const auto at_limit = DecodeMessage(NestedMessage(kMaxMessageNesting, indefinite));
    ASSERT_TRUE(at_limit.ok()) << indefinite << ": " << at_limit.status().ToString();
    const Json* inner = &at_limit->body["args"];
    int arrays = 0;
    while (inner->is_array()) {
      ++arrays;
      if (inner->empty()) break;
      inner = &inner->front();
    }
    EXPECT_EQ(arrays, kMaxMessageNesting - 1) << indefinite;
    EXPECT_FALSE(DecodeMessage(NestedMessage(kMaxMessageNesting + 1, indefinite)).ok()) << indefinite;
  }
  // 16 KiB of indefinite-length arrays is refused before the parser sees it.
  std::vector<uint8_t> deep(8000, 0x9f);
  deep.insert(deep.end(), 8000, 0xff);
  EXPECT_FALSE(DecodeMessage(deep).ok());
}

}  // namespace
}  // namespace latchkey::link
