// Paged list answers (docs/link.md "Paged lists") with real processes: a lock whose lists are
// many times one 16 KiB link frame still answers them, page by page, and a real hub hands the
// REST client the whole list in one answer, as API.md shows it.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "harness.h"
#include "hub_harness.h"
#include "link/frame.h"
#include "link/list_pages.h"
#include "process.h"
#include "wait.h"

namespace latchkey::testing {
namespace {

// A name of `characters` UTF-8 characters of 4 bytes each (U+1D11E), made unique by `n`.
std::string LongName(int n, int characters = 255) {
  std::string out = std::to_string(n) + "-";
  for (int i = static_cast<int>(out.size()); i < characters; ++i) out += "\xF0\x9D\x84\x9E";
  return out;
}

// A lock big enough for lists of many frames.
std::vector<std::string> LargeLockOptions() {
  return {"--max-users", "700", "--credentials-per-user", "1", "--max-user-name-length", "255",
          "--week-day-schedules", "253", "--year-day-schedules", "253", "--motor-ms", "0"};
}

// --- the lock alone, through a hub's link ---------------------------------------------------

class ListPagingLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(lock_.Start());
    ASSERT_TRUE(hub_.Pair(lock_.host(), lock_.link_port(), lock_.setup_code()));
  }
  Json Ok(const std::string& op, Json args) {
    const Json reply = hub_.Request(op, HubLink::As(std::move(args)));
    EXPECT_TRUE(reply.value("ok", false)) << op << ": " << reply.dump().substr(0, 400);
    return reply.value("result", Json());
  }
  link::RequestFn Requests() {
    return [this](const std::string& op, Json args, link::ReplyFn done) { done(hub_.Request(op, std::move(args))); };
  }

  TempDir dir_;
  LockProcess lock_{dir_.path() + "/lock", LargeLockOptions()};
  HubLink hub_;
};

TEST_F(ListPagingLinkTest, OldHubGetsTooLargeAndPagesCoverEveryUserOnce) {
  constexpr int kUsers = 80;  // about 1.2 KB each: six frames
  std::map<uint64_t, std::string> names;
  for (int i = 0; i < kUsers; ++i) {
    const Json user = Ok("set_user", {{"action", "add"}, {"name", LongName(i)}});
    names[user["index"].get<uint64_t>()] = LongName(i);
  }
  // One user whose schedules alone fill more than a frame.
  const Json big = Ok("set_user", {{"action", "add"}, {"name", LongName(999)}, {"type", "schedule_restricted"}});
  const uint64_t big_index = big["index"].get<uint64_t>();
  names[big_index] = LongName(999);
  for (int i = 0; i < 160; ++i) {
    Ok("set_schedule", {{"user", big_index}, {"kind", "week_day"}, {"days", {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}},
                        {"start", "00:00"}, {"end", "23:59"}});
  }
  for (int i = 0; i < 80; ++i) {
    Ok("set_schedule", {{"user", big_index}, {"kind", "year_day"}, {"start", "2024-01-01T00:00"}, {"end", "2099-12-31T23:59"}});
  }

  // A hub from before paging asks without `from`: the lock refuses as it always did.
  const Json old = hub_.Request("list_users", HubLink::As(Json::object()));
  ASSERT_FALSE(old.value("ok", true));
  EXPECT_EQ(old["error"]["code"], "too_large");

  // Page by page: every user exactly once, in index order, the big one with its schedules apart.
  std::vector<uint64_t> seen;
  uint64_t from = 0;
  int pages = 0;
  while (true) {
    const Json page = Ok("list_users", {{"from", from}});
    ASSERT_TRUE(page.is_object() && page["items"].is_array());
    for (const Json& u : page["items"]) {
      seen.push_back(u["index"].get<uint64_t>());
      EXPECT_EQ(u["name"], names[u["index"].get<uint64_t>()]);
      EXPECT_EQ(u.value(link::kSchedulesApart, false), u["index"] == big_index);
    }
    ++pages;
    if (!page.contains("next")) break;
    ASSERT_GT(page["next"].get<uint64_t>(), from);
    from = page["next"].get<uint64_t>();
  }
  std::vector<uint64_t> expected;
  for (const auto& [index, name] : names) expected.push_back(index);
  EXPECT_EQ(seen, expected);
  EXPECT_GE(pages, 6);

  // The hub's walk: the whole list, the big user complete.
  Json whole;
  link::RequestWholeList(Requests(), "list_users", HubLink::As(Json::object()), [&](Json r) { whole = std::move(r); });
  ASSERT_TRUE(whole.value("ok", false)) << whole.dump().substr(0, 400);
  ASSERT_EQ(whole["result"].size(), names.size());
  const Json& big_user = whole["result"].back();
  EXPECT_EQ(big_user["index"], big_index);
  EXPECT_EQ(big_user["week_day_schedules"].size(), 160u);
  EXPECT_EQ(big_user["year_day_schedules"].size(), 80u);
  EXPECT_FALSE(big_user.contains(link::kSchedulesApart));

  // get_user of the big one: too_large on its own, whole through the hub's fallback.
  EXPECT_EQ(hub_.Request("get_user", HubLink::As({{"index", big_index}}))["error"]["code"], "too_large");
  Json one;
  link::RequestUser(Requests(), HubLink::As({{"index", big_index}}), [&](Json r) { one = std::move(r); });
  ASSERT_TRUE(one.value("ok", false)) << one.dump().substr(0, 400);
  EXPECT_EQ(one["result"], big_user);
  // Its 240 schedules come whole too.
  Json schedules;
  link::RequestWholeList(Requests(), "list_schedules", HubLink::As({{"user", big_index}}),
                         [&](Json r) { schedules = std::move(r); });
  ASSERT_TRUE(schedules.value("ok", false));
  EXPECT_EQ(schedules["result"].size(), 240u);
}

// --- a real hub and its REST API ------------------------------------------------------------

// `latchkey hub` on a free loopback port in `dir`, with the owner's password of HubDemo.
class HubProcess {
 public:
  explicit HubProcess(std::string dir) : dir_(std::move(dir)) {}

  void Start() {
    std::filesystem::create_directories(dir_);
    port_ = FreeLoopbackPort();
    ProcessOptions options;
    options.env_drop = {"LATCHKEY_"};
    options.env_add = {std::string("LATCHKEY_OWNER_PASSWORD=") + HubDemo::kOwnerPassword};
    options.stdout_path = dir_ + "/hub.log";
    ASSERT_TRUE(process_.Start({LATCHKEY_BINARY, "hub", "--data", dir_ + "/data", "--http",
                                "127.0.0.1:" + std::to_string(port_)},
                               options));
    HttpOptions quick;
    quick.timeout = 2s;
    ASSERT_TRUE(WaitUntil([&] { return HttpCall(port_, "GET", "/healthz", "", quick).status == 200; }, 20s))
        << "the hub did not start; see " << options.stdout_path;
    const HttpResult login = HttpCall(port_, "POST", "/api/v1/auth/login",
                                      Json{{"username", "owner"}, {"password", HubDemo::kOwnerPassword}}.dump());
    ASSERT_EQ(login.status, 200) << login.Describe();
    token_ = login.json["token"].get<std::string>();
  }

  HttpResult Call(const std::string& method, const std::string& target, const Json& body = nullptr) const {
    HttpOptions options;
    options.token = token_;
    options.timeout = 60s;
    return HttpCall(port_, method, target, body.is_null() ? "" : body.dump(), options);
  }

 private:
  std::string dir_;
  Process process_;  // SIGTERM at the end
  uint16_t port_ = 0;
  std::string token_;
};

TEST(ListPagingHubTest, RestListsOfAFullLockComeWhole) {
  TempDir dir;
  LockProcess lock(dir.path() + "/lock", LargeLockOptions());
  ASSERT_NO_FATAL_FAILURE(lock.Start());
  HubProcess hub(dir.path() + "/hub");
  ASSERT_NO_FATAL_FAILURE(hub.Start());
  const HttpResult paired = hub.Call("POST", "/api/v1/locks",
                                     Json{{"address", "127.0.0.1:" + std::to_string(lock.link_port())},
                                          {"setup_code", lock.setup_code()}, {"name", "Big door"}});
  ASSERT_EQ(paired.status, 201) << paired.Describe();
  const std::string base = "/api/v1/locks/" + paired.json["id"].get<std::string>();
  ASSERT_TRUE(latchkey::testing::WaitUntil([&] { return hub.Call("GET", base).json.value("online", false); }, 20s, 50ms))
      << "the lock did not come online";

  // 640 users with names at the lock's maximum (255 characters, 4 bytes each) and a PIN each:
  // the user list is about 50 frames, the credential list about 4.
  constexpr int kUsers = 640;
  std::map<uint64_t, std::string> names;
  std::map<uint64_t, uint64_t> pin_of_user;
  for (int i = 0; i < kUsers; ++i) {
    const HttpResult user = hub.Call("POST", base + "/users", Json{{"name", LongName(i)}});
    ASSERT_EQ(user.status, 201) << user.Describe();
    const uint64_t index = user.json["index"].get<uint64_t>();
    names[index] = LongName(i);
    const HttpResult pin = hub.Call("POST", base + "/credentials",
                                    Json{{"type", "pin"}, {"data", std::to_string(100000 + i)}, {"user", index}});
    ASSERT_EQ(pin.status, 201) << pin.Describe();
    pin_of_user[index] = pin.json["index"].get<uint64_t>();
  }

  const HttpResult users = hub.Call("GET", base + "/users");
  ASSERT_EQ(users.status, 200) << users.Describe().substr(0, 400);
  EXPECT_GT(users.body.size(), 40 * link::kMaxFrame);
  ASSERT_TRUE(users.json.is_array());
  ASSERT_EQ(users.json.size(), static_cast<std::size_t>(kUsers));
  uint64_t previous = 0;
  for (const Json& u : users.json) {
    const uint64_t index = u["index"].get<uint64_t>();
    EXPECT_GT(index, previous) << "users out of order or twice";
    previous = index;
    EXPECT_EQ(u["name"], names[index]);
    ASSERT_EQ(u["credentials"].size(), 1u);
    EXPECT_EQ(u["credentials"][0]["index"], pin_of_user[index]);
    EXPECT_FALSE(u.contains(link::kSchedulesApart));
  }

  for (const std::string& target : {base + "/credentials", base + "/credentials?type=pin"}) {
    const HttpResult credentials = hub.Call("GET", target);
    ASSERT_EQ(credentials.status, 200) << target << ": " << credentials.Describe().substr(0, 400);
    ASSERT_TRUE(credentials.json.is_array());
    EXPECT_GT(credentials.body.size(), 2 * link::kMaxFrame);
    std::set<uint64_t> pins;
    for (const Json& c : credentials.json) {
      EXPECT_EQ(c["type"], "pin");
      EXPECT_EQ(pin_of_user[c["user"].get<uint64_t>()], c["index"].get<uint64_t>());
      pins.insert(c["index"].get<uint64_t>());
    }
    EXPECT_EQ(credentials.json.size(), static_cast<std::size_t>(kUsers)) << target;
    EXPECT_EQ(pins.size(), static_cast<std::size_t>(kUsers)) << target;
  }

  // One user, as before, and the one with the largest index.
  const HttpResult last = hub.Call("GET", base + "/users/" + std::to_string(names.rbegin()->first));
  ASSERT_EQ(last.status, 200) << last.Describe();
  EXPECT_EQ(last.json["name"], names.rbegin()->second);
}

}  // namespace
}  // namespace latchkey::testing
