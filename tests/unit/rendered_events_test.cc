// hub/rendered_events.h: the API text of an event made once, byte for byte what the history
// answered before it was cached, and never served for a body it was not made from.
#include <gtest/gtest.h>

#include "hub/api_json.h"
#include "hub/rendered_events.h"

namespace latchkey::hub {
namespace {

std::string Dumped(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

StoredEvent Row(const std::string& lock, uint64_t seq, const Json& body) { return StoredEvent{lock, seq, body.dump()}; }

TEST(RenderedEventsTest, TheTextIsWhatApiEventJsonWrites) {
  RenderedEvents rendered;
  const Json body{{"seq", 7}, {"time", 1'795'600'800'123}, {"kind", "operation"}, {"actor", "mia"}, {"from", 5}, {"to", 6}};
  const auto text = rendered.Text(Row("lk-a", 7, body));
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(std::string(text->text), Dumped(ApiEventJson(body, "lk-a")));
  EXPECT_NE(text->text.find("\"time\":\"2026-11-25T10:00:00.123Z\""), std::string_view::npos) << text->text;
  EXPECT_FALSE(text->duress);
  const auto duress = rendered.Text(Row("lk-a", 8, Json{{"seq", 8}, {"time", 0}, {"kind", "alarm"}, {"alarm", "forced_user"}}));
  ASSERT_TRUE(duress.ok());
  EXPECT_TRUE(duress->duress);
}

TEST(RenderedEventsTest, ATextIsServedOnlyForTheBodyItWasMadeFrom) {
  RenderedEvents rendered;
  const Json first{{"seq", 1}, {"time", 1000}, {"kind", "operation"}};
  ASSERT_TRUE(rendered.Text(Row("lk-a", 1, first)).ok());
  // The lock paired again under the same id: seq 1 is another event now.
  const Json again{{"seq", 1}, {"time", 2000}, {"kind", "alarm"}};
  const auto text = rendered.Text(Row("lk-a", 1, again));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(std::string(text->text), Dumped(ApiEventJson(again, "lk-a")));
  EXPECT_EQ(rendered.size(), 1u);
}

TEST(RenderedEventsTest, ABodyTheStoreWouldRefuseIsAnErrorAndNotCached) {
  RenderedEvents rendered;
  EXPECT_FALSE(rendered.Text(StoredEvent{"lk-a", 1, "not json"}).ok());
  EXPECT_FALSE(rendered.Text(StoredEvent{"lk-a", 1, "[1]"}).ok());
  EXPECT_FALSE(rendered.Text(Row("lk-a", 2, Json{{"seq", 3}})).ok()) << "another seq than its row";
  EXPECT_EQ(rendered.size(), 0u);
}

TEST(RenderedEventsTest, MemoryIsBounded) {
  RenderedEvents rendered;
  for (uint64_t seq = 1; seq <= RenderedEvents::kMaxEntries + 10; ++seq) {
    ASSERT_TRUE(rendered.Text(Row("lk-a", seq, Json{{"seq", seq}, {"time", 0}})).ok());
  }
  EXPECT_LE(rendered.size(), RenderedEvents::kMaxEntries);
}

TEST(RenderedEventsTest, APageIsWhatTheJsonLibraryWouldWrite) {
  const Json a{{"seq", 1}, {"lock", "lk-a"}}, b{{"seq", 2}, {"lock", "lk-a"}};
  EXPECT_EQ(EventPageJson(Dumped(a) + "," + Dumped(b), 2), Dumped(Json{{"events", {a, b}}, {"next_after", 2}}));
  EXPECT_EQ(EventPageJson("", 0), Dumped(Json{{"events", Json::array()}, {"next_after", 0}}));
}

TEST(RenderedEventsTest, APageIsKeptForTheGenerationItWasReadAt) {
  RenderedEvents rendered;
  EXPECT_EQ(rendered.Page("q", 1), nullptr);
  rendered.KeepPage("q", 1, "page one");
  ASSERT_NE(rendered.Page("q", 1), nullptr);
  EXPECT_EQ(*rendered.Page("q", 1), "page one");
  EXPECT_EQ(rendered.Page("q", 2), nullptr) << "the store changed since";
  EXPECT_EQ(rendered.Page("other", 1), nullptr);
  for (std::size_t i = 0; i <= RenderedEvents::kMaxPages; ++i) rendered.KeepPage("k" + std::to_string(i), 1, "x");
  EXPECT_EQ(rendered.Page("q", 1), nullptr) << "bounded";
}

}  // namespace
}  // namespace latchkey::hub
