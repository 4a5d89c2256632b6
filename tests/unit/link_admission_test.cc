// link::Admission: the lock's per-source handshake caps and back-off, with made-up times.
#include <gtest/gtest.h>

#include <algorithm>

#include "link/admission.h"

namespace latchkey::link {
namespace {

using namespace std::chrono_literals;
using Outcome = Admission::Outcome;

constexpr Admission::Clock::time_point kT0 = Admission::Clock::time_point(1000s);

TEST(LinkAdmissionTest, FailuresBackOffOnlyTheirOwnSource) {
  Admission admission;
  uint64_t id = 1;
  // A source whose handshakes keep failing backs off, doubling up to 8 s...
  auto now = kT0;
  for (int i = 0; i < 12; ++i) {
    admission.Accepted(id, "10.0.0.66", now);
    if (admission.MayStartOpen(id, now)) admission.Done(id, Outcome::kFailed, now);
    else admission.Done(id, Outcome::kEvicted, now);
    ++id;
    now += 10s;  // past any back-off: each try is allowed and fails
  }
  admission.Accepted(id, "10.0.0.66", now);
  ASSERT_TRUE(admission.MayStartOpen(id, now));
  admission.Done(id++, Outcome::kFailed, now);
  EXPECT_EQ(admission.BackoffLeft("10.0.0.66", now), Admission::Clock::duration(8s));
  admission.Accepted(id, "10.0.0.66", now + 1s);
  EXPECT_FALSE(admission.MayStartOpen(id, now + 1s)) << "the failing source waits";
  admission.Done(id++, Outcome::kEvicted, now + 1s);
  // ...while another source (the hub, a phone) starts at once.
  admission.Accepted(id, "10.0.0.2", now + 1s);
  EXPECT_TRUE(admission.MayStartOpen(id, now + 1s));
  EXPECT_EQ(admission.BackoffLeft("10.0.0.2", now + 1s), Admission::Clock::duration::zero());
  admission.Done(id++, Outcome::kSession, now + 1s);
  // A session clears the source's back-off.
  admission.Accepted(id, "10.0.0.66", now + 9s);
  ASSERT_TRUE(admission.MayStartOpen(id, now + 9s));
  admission.Done(id++, Outcome::kSession, now + 9s);
  EXPECT_EQ(admission.BackoffLeft("10.0.0.66", now + 9s), Admission::Clock::duration::zero());
}

TEST(LinkAdmissionTest, OpenHandshakesAreRateLimitedPerSourceAndInTotal) {
  Admission::Limits limits;
  limits.open_per_source_per_s = 2;
  limits.open_per_s = 5;
  Admission admission(limits);
  uint64_t id = 1;
  const auto start = [&](const std::string& source) {
    admission.Accepted(id, source, kT0);
    const bool ok = admission.MayStartOpen(id, kT0);
    admission.Done(id++, Outcome::kEvicted, kT0);
    return ok;
  };
  EXPECT_TRUE(start("a"));
  EXPECT_TRUE(start("a"));
  EXPECT_FALSE(start("a")) << "third from one source in one second";
  EXPECT_TRUE(start("b"));
  EXPECT_TRUE(start("b"));
  EXPECT_TRUE(start("c"));
  EXPECT_FALSE(start("d")) << "sixth in total in one second";
  admission.Accepted(id, "a", kT0 + 1s);
  EXPECT_TRUE(admission.MayStartOpen(id, kT0 + 1s)) << "a new second";
}

TEST(LinkAdmissionTest, PendingCapsEvictTheOldestOfTheSameSourceFirst) {
  Admission::Limits limits;
  limits.max_pending = 6;
  limits.max_pending_per_source = 3;
  Admission admission(limits);
  // Source "flood" fills its three slots; the fourth pushes out its own oldest, not the hub's.
  admission.Accepted(1, "hub", kT0);
  EXPECT_TRUE(admission.Accepted(2, "flood", kT0).empty());
  EXPECT_TRUE(admission.Accepted(3, "flood", kT0).empty());
  EXPECT_TRUE(admission.Accepted(4, "flood", kT0).empty());
  EXPECT_EQ(admission.Accepted(5, "flood", kT0), std::vector<uint64_t>{2});
  EXPECT_EQ(admission.pending(), 4u);
  // The total cap: the oldest of all goes, except one identified as the paired hub.
  admission.Identified(1);
  EXPECT_TRUE(admission.Accepted(6, "x", kT0).empty());
  EXPECT_TRUE(admission.Accepted(7, "y", kT0).empty());
  EXPECT_EQ(admission.Accepted(8, "z", kT0), std::vector<uint64_t>{3});
  EXPECT_EQ(admission.pending(), 6u);
  EXPECT_EQ(admission.Accepted(9, "w", kT0), std::vector<uint64_t>{4});
  // An evicted id reported later changes nothing.
  admission.Done(4, Outcome::kFailed, kT0);
  EXPECT_EQ(admission.BackoffLeft("flood", kT0), Admission::Clock::duration::zero());
  EXPECT_EQ(admission.pending(), 6u);
}

TEST(LinkAdmissionTest, OnlyAnIdentifiedHubLeftIsEvictedLast) {
  Admission::Limits limits;
  limits.max_pending = 2;
  limits.max_pending_per_source = 2;
  Admission admission(limits);
  admission.Accepted(1, "hub", kT0);
  admission.Identified(1);
  admission.Accepted(2, "hub", kT0);
  admission.Identified(2);
  // Nothing else to push out: the table still never passes its cap.
  EXPECT_EQ(admission.Accepted(3, "hub", kT0), std::vector<uint64_t>{1});
  EXPECT_EQ(admission.pending(), 2u);
}

TEST(LinkAdmissionTest, HandshakeDeadlineListsTheOldOnes) {
  Admission admission;
  admission.Accepted(1, "a", kT0);
  admission.Accepted(2, "b", kT0 + 3s);
  EXPECT_EQ(admission.AcceptedBefore(kT0 + 6s - 5s), std::vector<uint64_t>{1});
  EXPECT_EQ(admission.AcceptedBefore(kT0 + 8s - 5s).size(), 2u);
}

TEST(LinkAdmissionTest, SourceTableIsBounded) {
  Admission::Limits limits;
  limits.max_sources = 16;
  Admission admission(limits);
  uint64_t id = 1;
  // A failing source with a back-off, then many more sources than the table holds.
  admission.Accepted(id, "first", kT0);
  ASSERT_TRUE(admission.MayStartOpen(id, kT0));
  admission.Done(id++, Outcome::kFailed, kT0);
  for (int i = 0; i < 1000; ++i) {
    const std::string source = "10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    admission.Accepted(id, source, kT0 + std::chrono::milliseconds(i));
    admission.Done(id++, Outcome::kFailed, kT0 + std::chrono::milliseconds(i));
    EXPECT_LE(admission.sources(), 16u);
  }
  // One with a connection pending is never forgotten while it is.
  admission.Accepted(id, "holding", kT0 + 2s);
  for (int i = 0; i < 100; ++i) {
    admission.Accepted(id + 1 + i, "other-" + std::to_string(i), kT0 + 3s);
    admission.Done(id + 1 + i, Outcome::kEvicted, kT0 + 3s);
  }
  EXPECT_EQ(admission.pending(), 1u);
  admission.Done(id, Outcome::kFailed, kT0 + 4s);
  EXPECT_GT(admission.BackoffLeft("holding", kT0 + 4s), Admission::Clock::duration::zero());
}

}  // namespace
}  // namespace latchkey::link
