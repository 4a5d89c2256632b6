// Paged list answers (link/list_pages.h, docs/link.md "Paged lists"): the lock's pages always
// fit one link frame, a walk sees every entry exactly once and in order, a list that changes
// between pages never yields an entry twice, and the hub's whole list is the unpaged one.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/user.h"
#include "link/list_pages.h"
#include "link/message.h"
#include "wire/json_codec.h"

namespace latchkey::link {
namespace {

// A user at every limit LOCK-SEMANTICS allows (255 characters of 4-byte UTF-8, 32 credentials,
// the longest enum names, the largest numbers), with `week` and `year` schedules.
core::User LargestUser(core::UserIndex index, int week = 0, int year = 0) {
  core::User u;
  u.index = index;
  for (int i = 0; i < 255; ++i) u.name += "\xF0\x9D\x84\x9E";  // U+1D11E, 4 bytes
  u.unique_id = UINT32_MAX;
  u.status = core::UserStatus::kDisabled;
  u.type = core::UserType::kScheduleRestricted;
  u.credential_rule = core::CredentialRule::kTri;
  for (uint32_t c = 0; c < 32; ++c) u.credentials.push_back({core::CredentialType::kProgrammingPin, 2'000'000 + c});
  u.created_by = u.modified_by = std::string(64, 'a');
  u.created_at_ms = u.modified_at_ms = INT64_MAX;
  u.expires_at_ms = INT64_MAX;
  for (int i = 1; i <= week; ++i) {
    u.week_day_schedules.push_back({static_cast<uint32_t>(i), 0x7F, 0, 23 * 60 + 59});
  }
  for (int i = 1; i <= year; ++i) {
    u.year_day_schedules.push_back({static_cast<uint32_t>(i), {2024, 1, 1, 0, 0}, {2099, 12, 31, 23, 59}});
  }
  return u;
}

// A lock's users as lock_ops.cc serves them: list_users, list_schedules and get_user, each
// answered as the link server would (too_large for an answer over one frame).
class FakeLock {
 public:
  std::map<core::UserIndex, core::User> users;
  std::vector<std::string> ops;               // every op asked, in order
  std::function<void(int page)> between_pages;  // runs after each answered list_users page
  int pages = 0;

  RequestFn Requests() {
    return [this](const std::string& op, Json args, ReplyFn done) { done(Handle(op, args)); };
  }

  Json Handle(const std::string& op, const Json& args) {
    ops.push_back(op);
    auto page = PageArgsFrom(args);
    if (!page.ok()) return Json{{"ok", false}, {"error", {{"code", "invalid"}}}};
    if (op == "list_users") {
      std::vector<core::User> list;
      for (const auto& [i, u] : users) list.push_back(u);
      ListSource source;
      source.size = list.size();
      source.key = [&](std::size_t i) -> uint64_t { return list[i].index; };
      source.entry = [&](std::size_t i) { return wire::UserToJson(list[i]); };
      source.shrunk = [&](std::size_t i) {
        Json user = wire::UserToJson(list[i]);
        user.erase("week_day_schedules");
        user.erase("year_day_schedules");
        user[kSchedulesApart] = true;
        return user;
      };
      Json reply = Answer(ListResult(source, *page));
      if (page->paged) ++pages;
      if (page->paged && between_pages) between_pages(pages);
      return reply;
    }
    const auto index = static_cast<core::UserIndex>(args.value(op == "get_user" ? "index" : "user", 0u));
    const auto it = users.find(index);
    if (it == users.end()) return Json{{"ok", false}, {"error", {{"code", "not_found"}}}};
    if (op == "get_user") return Answer(wire::UserToJson(it->second));
    const auto& week = it->second.week_day_schedules;
    const auto& year = it->second.year_day_schedules;
    ListSource source;
    source.size = week.size() + year.size();
    source.key = [&](std::size_t i) -> uint64_t { return i < week.size() ? week[i].index : 256 + year[i - week.size()].index; };
    source.entry = [&](std::size_t i) {
      return i < week.size() ? wire::WeekDayToJson(week[i]) : wire::YearDayToJson(year[i - week.size()]);
    };
    return Answer(ListResult(source, *page));
  }

  // The whole list as one unpaged answer would carry it.
  Json AllUsers() const {
    Json list = Json::array();
    for (const auto& [i, u] : users) list.push_back(wire::UserToJson(u));
    return list;
  }

 private:
  static Json Answer(std::optional<Json> result) {
    if (!result) return Json{{"ok", false}, {"error", {{"code", "too_large"}}}};
    Json reply{{"ok", true}, {"result", std::move(*result)}};
    if (!FitsFrame(reply)) return Json{{"ok", false}, {"error", {{"code", "too_large"}}}};
    return reply;
  }

 public:
  // Whether the `res` message for `reply`, with the largest request id, fits one frame.
  static bool FitsFrame(const Json& reply) {
    Json message = reply;
    message["t"] = "res";
    message["id"] = UINT64_MAX;
    return EncodeMessage(message).size() + 16 <= kMaxFrame;
  }
};

Json Fetch(FakeLock& lock, const std::string& op, Json args = Json::object()) {
  Json out;
  RequestWholeList(lock.Requests(), op, std::move(args), [&](Json reply) { out = std::move(reply); });
  return out;
}

std::vector<uint64_t> Indexes(const Json& list) {
  std::vector<uint64_t> out;
  for (const Json& e : list) out.push_back(e.at("index").get<uint64_t>());
  return out;
}

TEST(ListPagesTest, WithoutPagingArgsTheAnswerIsTheWholeListAsBefore) {
  FakeLock lock;
  for (core::UserIndex i = 1; i <= 3; ++i) lock.users[i] = LargestUser(i);
  const Json reply = lock.Handle("list_users", Json::object());
  ASSERT_TRUE(reply["ok"].get<bool>());
  EXPECT_EQ(reply["result"], lock.AllUsers());
  // Too many for one frame: an old hub still gets too_large, never a silently short list.
  for (core::UserIndex i = 4; i <= 40; ++i) lock.users[i] = LargestUser(i);
  EXPECT_EQ(lock.Handle("list_users", Json::object())["error"]["code"], "too_large");
}

TEST(ListPagesTest, PagingArgsAreChecked) {
  EXPECT_FALSE(PageArgsFrom(Json{{"limit", 0}}).ok());
  EXPECT_FALSE(PageArgsFrom(Json{{"limit", 65536}}).ok());
  EXPECT_FALSE(PageArgsFrom(Json{{"from", -1}}).ok());
  EXPECT_FALSE(PageArgsFrom(Json{{"from", "3"}}).ok());
  EXPECT_FALSE(PageArgsFrom(Json::object())->paged);
  EXPECT_TRUE(PageArgsFrom(Json{{"from", 0}})->paged);
  EXPECT_TRUE(PageArgsFrom(Json{{"limit", 5}})->paged);
}

// 700 users at maximum size: every page fits a frame, and the pages together are the list.
TEST(ListPagesTest, PagesOfLargestUsersFitAFrameAndCoverEveryUserOnce) {
  FakeLock lock;
  for (core::UserIndex i = 1; i <= 700; ++i) lock.users[i] = LargestUser(i, 10, 10);
  Json seen = Json::array();
  uint64_t from = 0;
  int pages = 0;
  while (true) {
    const Json reply = lock.Handle("list_users", Json{{"from", from}});
    ASSERT_TRUE(reply["ok"].get<bool>()) << reply.dump();
    ASSERT_TRUE(FakeLock::FitsFrame(reply));
    const Json& items = reply["result"]["items"];
    ASSERT_FALSE(items.empty());
    for (const Json& u : items) seen.push_back(u);
    ++pages;
    if (!reply["result"].contains("next")) break;
    const uint64_t next = reply["result"]["next"].get<uint64_t>();
    EXPECT_EQ(next, items.back()["index"].get<uint64_t>() + 1);  // the first user not sent
    from = next;
  }
  EXPECT_EQ(seen, lock.AllUsers());
  EXPECT_GT(pages, 50);  // about 3 KB a user: a handful per page
}

TEST(ListPagesTest, PageBoundaries) {
  FakeLock lock;
  for (core::UserIndex i : {2, 5, 9, 10}) lock.users[i] = LargestUser(i);
  auto page = [&](Json args) { return lock.Handle("list_users", args)["result"]; };
  // `limit` caps the page; `next` is the key of the first entry left out.
  Json p = page({{"limit", 1}});
  EXPECT_EQ(Indexes(p["items"]), (std::vector<uint64_t>{2}));
  EXPECT_EQ(p["next"], 5);
  // `from` between two keys starts at the next one; at a key, at that one.
  EXPECT_EQ(Indexes(page({{"from", 3}, {"limit", 2}})["items"]), (std::vector<uint64_t>{5, 9}));
  p = page({{"from", 9}});
  EXPECT_EQ(Indexes(p["items"]), (std::vector<uint64_t>{9, 10}));
  EXPECT_FALSE(p.contains("next"));
  // Exactly the last entry, and past the end: no `next`.
  p = page({{"from", 10}, {"limit", 1}});
  EXPECT_EQ(Indexes(p["items"]), (std::vector<uint64_t>{10}));
  EXPECT_FALSE(p.contains("next"));
  p = page({{"from", 11}});
  EXPECT_TRUE(p["items"].empty());
  EXPECT_FALSE(p.contains("next"));
}

TEST(ListPagesTest, HubWalkReturnsTheUnpagedShape) {
  FakeLock lock;
  for (core::UserIndex i = 1; i <= 300; ++i) lock.users[i * 3] = LargestUser(static_cast<core::UserIndex>(i * 3), 2, 3);
  const Json reply = Fetch(lock, "list_users");
  ASSERT_TRUE(reply["ok"].get<bool>()) << reply.dump().substr(0, 300);
  EXPECT_EQ(reply["result"], lock.AllUsers());
  EXPECT_GT(lock.pages, 10);
}

// A user whose schedules alone pass a frame comes without them on its page, and the hub
// fetches them with list_schedules: the caller sees the same user as an unpaged answer.
TEST(ListPagesTest, UserTooLargeForAFrameIsCompletedWithItsSchedules) {
  FakeLock lock;
  lock.users[1] = LargestUser(1, 1, 0);
  lock.users[2] = LargestUser(2, 253, 253);
  lock.users[3] = LargestUser(3);
  ASSERT_GT(Json::to_cbor(wire::UserToJson(lock.users[2])).size(), kMaxFrame);
  const Json page = lock.Handle("list_users", Json{{"from", 2}});
  ASSERT_TRUE(page["ok"].get<bool>());
  EXPECT_TRUE(page["result"]["items"][0].value(kSchedulesApart, false));
  EXPECT_FALSE(page["result"]["items"][0].contains("week_day_schedules"));

  const Json reply = Fetch(lock, "list_users");
  ASSERT_TRUE(reply["ok"].get<bool>()) << reply.dump().substr(0, 300);
  EXPECT_EQ(reply["result"], lock.AllUsers());
  EXPECT_EQ(std::count(lock.ops.begin(), lock.ops.end(), "list_schedules"), 3);  // 506 schedules: 3 pages

  // get_user: too_large, then the user's own page, then its schedules.
  lock.ops.clear();
  Json one;
  RequestUser(lock.Requests(), Json{{"index", 2}}, [&](Json r) { one = std::move(r); });
  ASSERT_TRUE(one["ok"].get<bool>()) << one.dump().substr(0, 300);
  EXPECT_EQ(one["result"], wire::UserToJson(lock.users[2]));
  EXPECT_EQ(lock.ops.front(), "get_user");
  RequestUser(lock.Requests(), Json{{"index", 3}}, [&](Json r) { one = std::move(r); });
  EXPECT_EQ(one["result"], wire::UserToJson(lock.users[3]));
  // A large user that is gone is not_found, not its neighbour.
  lock.users.erase(2);
  lock.users[4] = LargestUser(4, 253, 253);
  RequestUser(lock.Requests(), Json{{"index", 2}}, [&](Json r) { one = std::move(r); });
  EXPECT_EQ(one["error"]["code"], "not_found");
}

// The list changes while the hub walks it: an entry comes at most once and in key order; an
// entry that stays all along comes exactly once; one removed before its page does not come.
TEST(ListPagesTest, ChangesBetweenPagesNeverRepeatOrReorderEntries) {
  FakeLock lock;
  for (core::UserIndex i = 10; i < 410; i += 2) lock.users[i] = LargestUser(i);
  lock.between_pages = [&](int page) {
    if (page != 2) return;
    lock.users.erase(10);                     // already sent
    lock.users.erase(400);                    // not yet sent
    lock.users[11] = LargestUser(11);         // behind the cursor
    lock.users[401] = LargestUser(401);       // ahead of it
    lock.users[12].name = "renamed";          // already sent: the old name stays
  };
  const Json reply = Fetch(lock, "list_users");
  ASSERT_TRUE(reply["ok"].get<bool>());
  const auto seen = Indexes(reply["result"]);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
  for (core::UserIndex i = 14; i < 400; i += 2) EXPECT_EQ(std::count(seen.begin(), seen.end(), i), 1) << i;
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 400), 0);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 401), 1);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 11), 0);
  EXPECT_NE(reply["result"][1]["name"], "renamed");
}

TEST(ListPagesTest, HubWalkAnswersAnOldLockAndStopsOnErrorsAndBadPages) {
  // A lock from before paging answers the list at once.
  const Json old_list = Json::array({Json{{"index", 1}}});
  Json out;
  RequestWholeList([&](const std::string&, Json, ReplyFn done) { done(Json{{"ok", true}, {"result", old_list}}); },
                   "list_holidays", Json::object(), [&](Json r) { out = std::move(r); });
  EXPECT_EQ(out["result"], old_list);

  // The link drops after the first page: the error, never a partial list.
  int asked = 0;
  RequestWholeList(
      [&](const std::string&, Json args, ReplyFn done) {
        Json page{{"items", Json::array({Json{{"index", 1}}})}, {"next", 2}};
        if (asked++ == 0) return done(Json{{"ok", true}, {"result", page}});
        EXPECT_EQ(args["from"], 2);
        done(Json{{"ok", false}, {"error", {{"code", "lock_offline"}}}});
      },
      "list_holidays", Json::object(), [&](Json r) { out = std::move(r); });
  EXPECT_EQ(out["error"]["code"], "lock_offline");

  // A lock whose `next` does not move forward is cut off instead of walked forever.
  asked = 0;
  RequestWholeList(
      [&](const std::string&, Json args, ReplyFn done) {
        ++asked;
        Json page{{"items", Json::array()}, {"next", args["from"]}};
        done(Json{{"ok", true}, {"result", page}});
      },
      "list_holidays", Json::object(), [&](Json r) { out = std::move(r); });
  EXPECT_EQ(out["error"]["code"], "internal");
  EXPECT_EQ(asked, 1);
}

// An entry that cannot fit a page even shrunk is refused, not cut.
TEST(ListPagesTest, EntryThatCannotFitIsTooLarge) {
  ListSource source;
  source.size = 1;
  source.key = [](std::size_t) -> uint64_t { return 1; };
  source.entry = [](std::size_t) { return Json{{"blob", std::string(kMaxFrame, 'x')}}; };
  EXPECT_FALSE(ListResult(source, PageArgs{true, 0, 10}).has_value());
}

}  // namespace
}  // namespace latchkey::link
