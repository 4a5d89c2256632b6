// Framing of the phone session (PHONE-KEYS.md 2): fragments sized for the BLE MTUs phones
// negotiate, reassembly that catches every lost, repeated or reordered fragment, and the TCP form
// cut at every byte.
#include "link/phone_frame.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace latchkey::link {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes Pattern(std::size_t n) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(i * 7 + 3);
  return out;
}

std::vector<PhoneFragment> CutOrDie(PhoneFragmenter& f, const Bytes& message) {
  auto fragments = f.Cut(message);
  EXPECT_TRUE(fragments.ok()) << fragments.status().ToString();
  return fragments.ok() ? fragments.value() : std::vector<PhoneFragment>{};
}

// Feeds fragments until one completes a message; the message, or an empty vector.
Bytes Reassemble(PhoneReassembler& r, const std::vector<PhoneFragment>& fragments) {
  for (std::size_t i = 0; i < fragments.size(); ++i) {
    auto got = r.Feed(fragments[i]);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    if (!got.ok()) return {};
    EXPECT_EQ(got->has_value(), i + 1 == fragments.size()) << "fragment " << i;
    if (got->has_value()) return **got;
  }
  return {};
}

TEST(PhoneFrame, MaxFragmentForBleMtus) {
  struct Case {
    std::size_t mtu, max_fragment;
  };
  // 23: BLE's default; 185: iOS; 247: the largest in one LL packet (Data Length Extension);
  // 517: Android's request, capped by GATT's 512-byte attribute.
  for (const Case c : {Case{23, 20}, Case{185, 182}, Case{247, 244}, Case{515, 512}, Case{517, 512},
                       Case{65535, 512}}) {
    auto got = MaxFragmentForMtu(c.mtu);
    ASSERT_TRUE(got.ok()) << c.mtu;
    EXPECT_EQ(*got, c.max_fragment) << c.mtu;
  }
  for (std::size_t mtu : {0u, 3u, 22u}) {
    auto got = MaxFragmentForMtu(mtu);
    EXPECT_FALSE(got.ok()) << mtu;
    EXPECT_EQ(got.status().code(), core::Code::kInvalid);
  }
}

TEST(PhoneFrame, OneKibMessageAtEveryMtu) {
  const Bytes message = Pattern(1024);
  for (std::size_t mtu : {23u, 185u, 247u, 517u}) {
    SCOPED_TRACE(mtu);
    const std::size_t max = *MaxFragmentForMtu(mtu);
    PhoneFragmenter f(max);
    EXPECT_EQ(f.max_fragment(), max);
    const auto fragments = CutOrDie(f, message);
    const std::size_t chunk = max - 2;
    ASSERT_EQ(fragments.size(), (message.size() + chunk - 1) / chunk);
    for (std::size_t i = 0; i < fragments.size(); ++i) {
      EXPECT_LE(fragments[i].size(), max);
      EXPECT_EQ(fragments[i][0], i) << "seq";
      EXPECT_EQ(fragments[i][1], i + 1 < fragments.size() ? kPhoneFlagMore : 0) << "flags";
      if (i + 1 < fragments.size()) {
        EXPECT_EQ(fragments[i].size(), max) << "all but the last are full";
      }
    }
    PhoneReassembler r;
    EXPECT_EQ(Reassemble(r, fragments), message);
    EXPECT_FALSE(r.partial());
  }
  // MTU 23: 57 fragments (56 of 18 payload bytes and one of 16).
  PhoneFragmenter small(20);
  EXPECT_EQ(CutOrDie(small, message).size(), 57u);
}

TEST(PhoneFrame, SeqRunsAcrossMessagesAndWraps) {
  PhoneFragmenter f(20);
  PhoneReassembler r;
  // 60 messages of 5 fragments each: seq passes 255 back to 0 on the way.
  for (int m = 0; m < 60; ++m) {
    const Bytes message = Pattern(18 * 5 - static_cast<std::size_t>(m % 3));
    const auto fragments = CutOrDie(f, message);
    ASSERT_EQ(fragments.size(), 5u);
    EXPECT_EQ(fragments[0][0], static_cast<uint8_t>(m * 5));
    ASSERT_EQ(Reassemble(r, fragments), message) << "message " << m;
  }
  EXPECT_EQ(f.next_seq(), static_cast<uint8_t>(300));
  // The largest message at the smallest MTU: 911 fragments, seq wrapping three times.
  const Bytes big = Pattern(kMaxPhoneMessage);
  PhoneFragmenter f2(20);
  PhoneReassembler r2;
  const auto fragments = CutOrDie(f2, big);
  EXPECT_EQ(fragments.size(), 911u);
  EXPECT_EQ(Reassemble(r2, fragments), big);
}

TEST(PhoneFrame, SingleFragmentMessages) {
  PhoneFragmenter f;
  const auto one = CutOrDie(f, Bytes{0x42});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0], (Bytes{0, 0, 0x42}));
  const auto full = CutOrDie(f, Pattern(510));
  ASSERT_EQ(full.size(), 1u);
  EXPECT_EQ(full[0].size(), 512u);
  EXPECT_EQ(CutOrDie(f, Pattern(511)).size(), 2u);
}

TEST(PhoneFrame, FragmenterRefusesEmptyAndOversizedMessages) {
  PhoneFragmenter f(20);
  EXPECT_FALSE(f.Cut({}).ok());
  EXPECT_FALSE(f.Cut(Pattern(kMaxPhoneMessage + 1)).ok());
  EXPECT_EQ(f.next_seq(), 0) << "a refusal uses up no seq";
  EXPECT_EQ(CutOrDie(f, Pattern(3))[0][0], 0);
  // Out-of-range sizes are clamped: a fragment always has room for a payload byte.
  EXPECT_EQ(PhoneFragmenter(0).max_fragment(), kMinPhoneFragment);
  EXPECT_EQ(PhoneFragmenter(4096).max_fragment(), kMaxPhoneFragment);
}

class PhoneFrameRefusal : public ::testing::Test {
 protected:
  // A message of three fragments at MTU 23, and a reassembler that has taken none yet.
  void SetUp() override { fragments_ = CutOrDie(fragmenter_, Pattern(50)); }

  // Feeds `sequence` and expects the last one to be refused, then the reassembler to stay failed.
  void ExpectRefused(const std::vector<PhoneFragment>& sequence, const std::string& what) {
    SCOPED_TRACE(what);
    PhoneReassembler r;
    for (std::size_t i = 0; i + 1 < sequence.size(); ++i) ASSERT_TRUE(r.Feed(sequence[i]).ok()) << i;
    auto last = r.Feed(sequence.back());
    ASSERT_FALSE(last.ok());
    EXPECT_EQ(last.status().code(), core::Code::kInvalid);
    EXPECT_NE(last.status().message().find("fragment"), std::string::npos) << last.status().message();
    EXPECT_TRUE(r.failed());
    EXPECT_FALSE(r.Feed(fragments_[0]).ok()) << "poisoned: even a good fragment is refused";
  }

  PhoneFragmenter fragmenter_{20};
  std::vector<PhoneFragment> fragments_;
};

TEST_F(PhoneFrameRefusal, LostFragment) {
  ExpectRefused({fragments_[0], fragments_[2]}, "the middle one lost");
  ExpectRefused({fragments_[1]}, "the first one lost");
}

TEST_F(PhoneFrameRefusal, DuplicatedFragment) {
  ExpectRefused({fragments_[0], fragments_[0]}, "the first one twice");
  ExpectRefused({fragments_[0], fragments_[1], fragments_[2], fragments_[2]}, "the last one twice");
}

// A reorder shows at its first fragment out of place, where it looks like a loss: the reader
// cannot tell which happened, and need not.
TEST_F(PhoneFrameRefusal, ReorderedFragments) {
  ExpectRefused({fragments_[0], fragments_[2]}, "the third before the second");
  ExpectRefused({fragments_[1]}, "the second before the first");
}

TEST_F(PhoneFrameRefusal, ReservedFlagBits) {
  for (int bit = 1; bit < 8; ++bit) {
    PhoneFragment bad = fragments_[0];
    bad[1] |= static_cast<uint8_t>(1 << bit);
    ExpectRefused({bad}, "flag bit " + std::to_string(bit));
  }
}

TEST_F(PhoneFrameRefusal, EmptyAndTruncatedFragments) {
  ExpectRefused({Bytes{}}, "nothing");
  ExpectRefused({Bytes{0}}, "one header byte");
  ExpectRefused({Bytes{0, 0}}, "a header alone");
  ExpectRefused({fragments_[0], Bytes{1, 0}}, "a last fragment with no payload");
}

TEST_F(PhoneFrameRefusal, FragmentOverTheLimit) {
  PhoneReassembler r(20);
  Bytes big = {0, 0};
  big.resize(21, 0xAA);
  EXPECT_FALSE(r.Feed(big).ok());
  PhoneReassembler any;
  big.resize(kMaxPhoneFragment + 1, 0xAA);
  EXPECT_FALSE(any.Feed(big).ok());
}

TEST(PhoneFrame, MessageOverTheLimitIsRefused) {
  // A sender that ignores the limit: 16 KiB + 1 in fragments of 512 bytes.
  const Bytes big = Pattern(kMaxPhoneMessage + 1);
  PhoneReassembler r;
  uint8_t seq = 0;
  core::Status refused;
  for (std::size_t at = 0; at < big.size(); at += 510) {
    const std::size_t n = std::min<std::size_t>(510, big.size() - at);
    Bytes fragment = {seq++, static_cast<uint8_t>(at + n < big.size() ? kPhoneFlagMore : 0)};
    fragment.insert(fragment.end(), big.begin() + static_cast<long>(at), big.begin() + static_cast<long>(at + n));
    auto got = r.Feed(fragment);
    if (!got.ok()) {
      refused = got.status();
      break;
    }
    EXPECT_FALSE(got->has_value());
  }
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("16384"), std::string::npos) << refused.message();
  EXPECT_TRUE(r.failed());
  // Exactly 16 KiB passes.
  PhoneFragmenter f;
  PhoneReassembler exact;
  EXPECT_EQ(Reassemble(exact, CutOrDie(f, Pattern(kMaxPhoneMessage))), Pattern(kMaxPhoneMessage));
  // A smaller limit for a reassembler that wants one.
  PhoneFragmenter f2;
  PhoneReassembler small(kMaxPhoneFragment, 100);
  const auto fragments = CutOrDie(f2, Pattern(101));
  EXPECT_FALSE(small.Feed(fragments[0]).ok());
}

// ---- TCP: each fragment behind a 2-byte big-endian length ----

Bytes Stream(const std::vector<PhoneFragment>& fragments) {
  Bytes out;
  for (const auto& f : fragments) {
    const Bytes framed = EncodePhoneStreamFragment(f);
    out.insert(out.end(), framed.begin(), framed.end());
  }
  return out;
}

TEST(PhoneFrameStream, EncodesTheLengthBigEndian) {
  EXPECT_EQ(EncodePhoneStreamFragment(Bytes{0, 0, 0x42}), (Bytes{0, 3, 0, 0, 0x42}));
  const Bytes framed = EncodePhoneStreamFragment(Pattern(512));
  EXPECT_EQ(framed[0], 0x02);
  EXPECT_EQ(framed[1], 0x00);
}

TEST(PhoneFrameStream, SplitAtEveryByte) {
  PhoneFragmenter f;  // over TCP the fragments may be 512 bytes
  std::vector<PhoneFragment> fragments;
  for (std::size_t size : {1u, 510u, 1500u, 3u}) {
    for (auto& fr : CutOrDie(f, Pattern(size))) fragments.push_back(std::move(fr));
  }
  const Bytes stream = Stream(fragments);
  // Every cut point of the stream into two chunks gives the same fragments.
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    PhoneStreamDecoder d;
    std::vector<PhoneFragment> got;
    for (auto chunk : {std::span<const uint8_t>(stream).first(cut), std::span<const uint8_t>(stream).subspan(cut)}) {
      auto out = d.Feed(chunk);
      ASSERT_TRUE(out.ok()) << cut << ": " << out.status().ToString();
      got.insert(got.end(), out->begin(), out->end());
      EXPECT_LE(d.buffered(), 2 + kMaxPhoneFragment) << "at most one fragment is held";
    }
    ASSERT_EQ(got, fragments) << "cut at " << cut;
    EXPECT_EQ(d.buffered(), 0u);
  }
  // And one byte at a time, through a reassembler: the same messages.
  PhoneStreamDecoder d;
  PhoneReassembler r;
  std::vector<Bytes> messages;
  for (uint8_t byte : stream) {
    auto out = d.Feed(std::span<const uint8_t>(&byte, 1));
    ASSERT_TRUE(out.ok());
    EXPECT_LE(out->size(), 1u);
    for (const auto& fragment : *out) {
      auto m = r.Feed(fragment);
      ASSERT_TRUE(m.ok());
      if (m->has_value()) messages.push_back(**m);
    }
  }
  EXPECT_EQ(messages, (std::vector<Bytes>{Pattern(1), Pattern(510), Pattern(1500), Pattern(3)}));
}

TEST(PhoneFrameStream, RefusesLengthsOutOfRange) {
  for (const Bytes& bad : {Bytes{0, 0}, Bytes{0, 2, 0, 0}, Bytes{0x02, 0x01}, Bytes{0xFF, 0xFF}}) {
    PhoneStreamDecoder d;
    auto got = d.Feed(bad);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), core::Code::kInvalid);
    EXPECT_TRUE(d.failed());
    EXPECT_FALSE(d.Feed(Bytes{0, 3, 0, 0, 1}).ok()) << "poisoned";
  }
  // The prefix is checked as soon as its two bytes are in, before the fragment arrives.
  PhoneStreamDecoder d;
  ASSERT_TRUE(d.Feed(Bytes{0x02}).ok());
  EXPECT_FALSE(d.Feed(Bytes{0x01}).ok());
  // A smaller limit (a transport with a smaller MTU).
  PhoneStreamDecoder small(20);
  EXPECT_FALSE(small.Feed(Bytes{0, 21}).ok());
  PhoneStreamDecoder exact(20);
  EXPECT_TRUE(exact.Feed(Bytes{0, 20}).ok());
}

}  // namespace
}  // namespace latchkey::link
