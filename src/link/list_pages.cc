#include "link/list_pages.h"

#include <memory>
#include <utility>
#include <vector>

#include "link/link_client.h"
#include "link/op_answers.h"
#include "wire/json_fields.h"

namespace latchkey::link {
namespace {

// The most pages one walk takes: far more than the largest lock needs (65534 users times 32
// credentials is about 10^4 pages), so only a lock that never stops is cut off.
constexpr uint64_t kMaxPages = 100000;

// The head of a CBOR array of any length a page can hold.
constexpr std::size_t kArrayHead = 5;

// Field reads that never throw, whatever the lock sent.
bool IsOk(const Json& reply) {
  if (!reply.is_object()) return false;
  const auto ok = reply.find("ok");
  return ok != reply.end() && ok->is_boolean() && ok->get<bool>();
}

bool IsError(const Json& reply, std::string_view code) {
  if (!reply.is_object() || IsOk(reply)) return false;
  const auto error = reply.find("error");
  if (error == reply.end() || !error->is_object()) return false;
  const auto c = error->find("code");
  return c != error->end() && c->is_string() && c->get_ref<const std::string&>() == code;
}

// A non-negative integer (CBOR decodes one as unsigned, a JSON literal may hold it signed).
std::optional<uint64_t> AsUint(const Json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0) return static_cast<uint64_t>(value.get<int64_t>());
  return std::nullopt;
}

std::optional<uint64_t> UintField(const Json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  return AsUint(*it);
}

bool Apart(const Json& user) {
  if (!user.is_object()) return false;
  const auto it = user.find(kSchedulesApart);
  return it != user.end() && it->is_boolean() && it->get<bool>();
}

bool OfKind(const Json& schedule, std::string_view kind) {
  if (!schedule.is_object()) return false;
  const auto it = schedule.find("kind");
  return it != schedule.end() && it->is_string() && it->get_ref<const std::string&>() == kind;
}

Json Broken(std::string_view what) {
  return ErrorReply("internal", "the lock's paged answer is malformed: " + std::string(what));
}

// Args for a follow-up request: only the actor of the original ones.
Json ActorOnly(const Json& args) {
  Json out = Json::object();
  if (args.is_object() && args.contains("actor")) out["actor"] = args["actor"];
  return out;
}

// Fills in, one user after the other, the schedules of every user in `users` sent apart.
class UserCompletion : public std::enable_shared_from_this<UserCompletion> {
 public:
  UserCompletion(RequestFn request, Json actor_args, Json users, ReplyFn done)
      : request_(std::move(request)), actor_args_(std::move(actor_args)), users_(std::move(users)), done_(std::move(done)) {}

  void Run() {
    while (next_ < users_.size() && !Apart(users_[next_])) ++next_;
    if (next_ == users_.size()) return Finish();
    const auto index = UintField(users_[next_], "index");
    if (!index) return done_(Broken("a user without index"));
    Json args = actor_args_;
    args["user"] = *index;
    RequestWholeList(request_, "list_schedules", std::move(args), [self = shared_from_this()](Json reply) {
      self->OnSchedules(std::move(reply));
    });
  }

 private:
  void OnSchedules(Json reply) {
    Json& user = users_[next_];
    if (IsError(reply, "not_found")) {
      gone_.push_back(next_);  // removed since its page: as if it had been removed before
    } else if (!IsOk(reply)) {
      return done_(std::move(reply));
    } else {
      Json week = Json::array(), year = Json::array();
      for (Json& s : reply["result"]) {
        if (OfKind(s, "year_day")) year.push_back(std::move(s));
        else week.push_back(std::move(s));
      }
      user["week_day_schedules"] = std::move(week);
      user["year_day_schedules"] = std::move(year);
      user.erase(kSchedulesApart);
    }
    ++next_;
    Run();
  }

  void Finish() {
    Json kept = Json::array();
    std::size_t g = 0;
    for (std::size_t i = 0; i < users_.size(); ++i) {
      if (g < gone_.size() && gone_[g] == i) {
        ++g;
        continue;
      }
      kept.push_back(std::move(users_[i]));
    }
    done_(Json{{"ok", true}, {"result", std::move(kept)}});
  }

  RequestFn request_;
  Json actor_args_;
  Json users_;
  ReplyFn done_;
  std::size_t next_ = 0;
  std::vector<std::size_t> gone_;
};

void CompleteUsers(const RequestFn& request, const Json& args, Json users, ReplyFn done) {
  std::make_shared<UserCompletion>(request, ActorOnly(args), std::move(users), std::move(done))->Run();
}

// One walk through the pages of a list op.
class Walk : public std::enable_shared_from_this<Walk> {
 public:
  Walk(RequestFn request, std::string op, Json args, ReplyFn done)
      : request_(std::move(request)), op_(std::move(op)), args_(std::move(args)), done_(std::move(done)) {}

  void Ask() {
    Json args = args_;
    args["from"] = from_;
    request_(op_, std::move(args), [self = shared_from_this()](Json reply) { self->OnPage(std::move(reply)); });
  }

 private:
  void OnPage(Json reply) {
    if (!IsOk(reply)) return done_(std::move(reply));
    Json& result = reply["result"];
    // A lock from before paging ignores `from` and answers the whole list at once.
    if (result.is_array() && pages_ == 0) return Done(std::move(result));
    auto page = ListPageAnswer::Fields().Decode(result);
    if (!page.ok()) return done_(Broken(page.status().message()));
    for (const Json& item : page->items) items_.push_back(item);
    ++pages_;
    const auto next = page->next;
    if (!next) return Done(std::move(items_));
    // Keys only move forward: no entry comes twice and the walk ends.
    if (*next <= from_) return done_(Broken("next does not advance"));
    if (pages_ >= kMaxPages) return done_(Broken("too many pages"));
    from_ = *next;
    Ask();
  }

  void Done(Json items) {
    if (op_ == "list_users") return CompleteUsers(request_, args_, std::move(items), std::move(done_));
    done_(Json{{"ok", true}, {"result", std::move(items)}});
  }

  RequestFn request_;
  std::string op_;
  Json args_;
  ReplyFn done_;
  Json items_ = Json::array();
  uint64_t from_ = 0;
  uint64_t pages_ = 0;
};

}  // namespace

core::Result<PageArgs> PageArgsFrom(const Json& args) {
  wire::JsonFields f(args, "args");
  PageArgs page;
  const auto from = f.Uint("from", 0, UINT64_MAX, false);
  const auto limit = f.Uint("limit", 1, kMaxPageLimit, false);
  LATCHKEY_TRY(f);
  page.paged = from || limit;
  page.from = from.value_or(0);
  page.limit = limit.value_or(kMaxPageLimit);
  return page;
}

std::optional<Json> ListResult(const ListSource& source, const PageArgs& args) {
  Json items = Json::array();
  if (!args.paged) {
    for (std::size_t i = 0; i < source.size; ++i) items.push_back(source.entry(i));
    return items;
  }
  // The first entry at or after `from` (keys ascend).
  std::size_t lo = 0, hi = source.size;
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (source.key(mid) < args.from) lo = mid + 1;
    else hi = mid;
  }
  // A CBOR array is its head and its items' encodings back to back: the sum is exact.
  std::size_t used = kArrayHead;
  std::optional<uint64_t> next;
  for (std::size_t i = lo; i < source.size; ++i) {
    if (items.size() == args.limit) {
      next = source.key(i);
      break;
    }
    Json entry = source.entry(i);
    std::size_t size = Json::to_cbor(entry).size();
    if (used + size > kPageBudget) {
      if (!items.empty()) {
        next = source.key(i);
        break;
      }
      if (!source.shrunk) return std::nullopt;
      entry = source.shrunk(i);
      size = Json::to_cbor(entry).size();
      if (used + size > kPageBudget) return std::nullopt;
    }
    used += size;
    items.push_back(std::move(entry));
  }
  return ListPageAnswer::Fields().Encode({.items = std::move(items), .next = next});
}

void RequestWholeList(const RequestFn& request, const std::string& op, Json args, ReplyFn done) {
  if (!args.is_object()) args = Json::object();
  std::make_shared<Walk>(request, op, std::move(args), std::move(done))->Ask();
}

void RequestUser(const RequestFn& request, Json args, ReplyFn done) {
  request("get_user", args, [request, args, done = std::move(done)](Json reply) mutable {
    const auto wanted = UintField(args, "index");
    if (!IsError(reply, "too_large") || !wanted) return done(std::move(reply));
    const uint64_t index = *wanted;
    Json page_args = ActorOnly(args);
    page_args["from"] = index;
    page_args["limit"] = 1;
    request("list_users", std::move(page_args), [request, args, index, done = std::move(done)](Json page) mutable {
      if (!IsOk(page)) return done(std::move(page));
      auto decoded = ListPageAnswer::Fields().Decode(page["result"]);
      if (!decoded.ok()) return done(Broken(decoded.status().message()));
      const Json& items = decoded->items;
      // The page starts at the first user at or after `index`: another one means it is gone.
      if (items.empty() || UintField(items[0], "index") != index) {
        return done(ErrorReply("not_found", "no user at index " + std::to_string(index)));
      }
      CompleteUsers(request, args, Json::array({items[0]}), [done = std::move(done)](Json users) {
        if (!IsOk(users)) return done(std::move(users));
        if (users["result"].empty()) return done(ErrorReply("not_found", "the user was removed"));
        done(Json{{"ok", true}, {"result", std::move(users["result"][0])}});
      });
    });
  });
}

}  // namespace latchkey::link
