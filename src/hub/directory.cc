#include "hub/directory.h"

#include <sqlite3.h>

#include <algorithm>

#include "hub/cookie_session.h"

namespace latchkey::hub {

namespace http = boost::beast::http;

namespace {
// The live stream's path (stream.cc): the one place a token may come as ?token=.
constexpr std::string_view kStreamPath = "/api/v1/stream";
}  // namespace

Directory::Directory(HubStore& store, Env& env) : store_(store), env_(env) {}

core::Result<Principal> Directory::Authenticate(const HttpRequest& request) {
  authenticated_ = nullptr;
  std::string token;
  const auto auth = request.headers.find(http::field::authorization);
  if (auth != request.headers.end()) {
    const std::string_view value(auth->value().data(), auth->value().size());
    if (value.substr(0, 7) == "Bearer ") token = std::string(value.substr(7));
  }
  // ?token= only where a header cannot be set: a browser's WebSocket. Anywhere else a token in
  // the URL would end up in logs, histories and Referer headers, so it is not looked at (401).
  if (token.empty() && request.path == kStreamPath && request.query.contains("token")) {
    token = request.query.at("token");
  }
  bool via_cookie = false;
  if (token.empty() && auth == request.headers.end()) {
    if (auto cookie = CookieValue(request, kSessionCookie)) {
      token = std::move(*cookie);
      via_cookie = true;
    }
  }
  if (token.empty() || token.size() > 128) return core::Status::Invalid("no bearer token");
  auto principal = PrincipalOf(HashToken(token), via_cookie);
  authenticated_ = &request;
  authenticated_at_sync_ = syncs_;
  return principal;
}

std::optional<Directory::StoreStamp> Directory::SyncCache(bool data_version_just_read) {
  ++syncs_;
  store::Database& db = store_.database();
  if (data_version_just_read && cache_stamp_) {
    // Another connection's commit in the same turn would race the request anyway; this
    // process's own writes are still seen, counted without I/O.
    StoreStamp now{sqlite3_total_changes64(db.handle()), cache_stamp_->data_version};
    if (now == *cache_stamp_) return now;
  }
  if (!data_version_) {
    auto prepared = db.Prepare("PRAGMA data_version");
    if (!prepared.ok()) return std::nullopt;
    data_version_ = std::move(prepared).value();
  }
  StoreStamp now;
  now.own_changes = sqlite3_total_changes64(db.handle());
  // Step and reset at once: the pragma's read transaction must not stay open.
  const bool read = data_version_->Step() == store::Statement::StepResult::kRow;
  if (read) now.data_version = data_version_->ColumnInt64(0);
  data_version_->Reset();
  if (!read || cache_stamp_ != now) {
    ++generation_;
    principals_.clear();
    locks_.reset();
    accounts_.clear();
    cache_stamp_.reset();
  }
  if (!read) return std::nullopt;
  cache_stamp_ = now;
  return now;
}

core::Result<Principal> Directory::PrincipalOf(const TokenHash& token_hash, bool via_cookie) {
  const int64_t now = env_.NowMs();
  const bool cacheable = SyncCache().has_value();
  if (cacheable) {
    if (const auto it = principals_.find(token_hash); it != principals_.end()) {
      // The earliest expiry along the chain: past it, the full check below names the culprit.
      const auto& expires = it->second.token_expires_at_ms;
      if (!expires || *expires >= now) {
        Principal p = it->second;
        p.checked_at_ms = now;
        p.via_cookie = via_cookie;
        return p;
      }
      principals_.erase(it);
    }
  }
  auto loaded = LoadPrincipal(token_hash, now);
  if (!loaded.ok()) return loaded;
  Principal p = std::move(loaded).value();
  if (cacheable) {
    // Only tokens that hold are kept (a guessed one never is), and not without bound.
    if (principals_.size() >= kMaxCachedPrincipals) principals_.clear();
    principals_.emplace(token_hash, p);
  }
  p.via_cookie = via_cookie;
  return p;
}

bool Directory::SameRequest(const HttpRequest* asked_by) const {
  // Right after Authenticate(*asked_by), with nothing synced in between: the same request.
  return asked_by != nullptr && asked_by == authenticated_ && authenticated_at_sync_ == syncs_;
}

core::Result<std::optional<Account>> Directory::FindAccount(const std::string& username, const HttpRequest* asked_by) {
  if (!SyncCache(SameRequest(asked_by)).has_value()) return store_.GetAccount(username);
  return LookUpAccount(username);
}

core::Result<std::optional<Account>> Directory::LookUpAccount(const std::string& username) {
  if (const auto it = accounts_.find(username); it != accounts_.end()) return std::optional<Account>(it->second);
  auto found = store_.GetAccount(username);
  LATCHKEY_TRY(found);
  // Only accounts that exist, and as many as there are tokens cached (LoadPrincipal adds them).
  if (found->has_value() && accounts_.size() < kMaxCachedPrincipals) accounts_.emplace(username, **found);
  return found;
}

core::Result<std::shared_ptr<const LockRecord>> Directory::FindLock(const std::string& id, const HttpRequest* asked_by) {
  if (!SyncCache(SameRequest(asked_by)).has_value()) {
    auto found = store_.GetLock(id);
    LATCHKEY_TRY(found);
    if (!found->has_value()) return std::shared_ptr<const LockRecord>();
    return std::make_shared<const LockRecord>(std::move(**found));
  }
  if (!locks_) {
    auto listed = store_.ListLocks();
    LATCHKEY_TRY(listed);
    locks_.emplace();
    for (LockRecord& r : listed.value()) {
      std::string key = r.id;
      locks_->emplace(std::move(key), std::make_shared<const LockRecord>(std::move(r)));
    }
  }
  const auto it = locks_->find(id);
  if (it == locks_->end()) return std::shared_ptr<const LockRecord>();
  return it->second;
}

core::Result<Principal> Directory::LoadPrincipal(const TokenHash& token_hash, int64_t now) {
  auto found = store_.FindToken(token_hash);
  if (!found.ok() || !found->has_value()) return core::Status::Invalid("the token is not valid");
  const TokenRecord& record = **found;
  auto account = LookUpAccount(record.username);
  if (!account.ok() || !account->has_value()) return core::Status::Invalid("the token's account is gone");
  const Account& a = **account;
  Principal p = AccountPrincipal(a);
  p.token_id = record.id;
  p.token_kind = record.kind;
  p.token_hash = token_hash;
  p.checked_at_ms = now;
  // The token and every parent up its chain (SECURITY.md "No privilege grows by delegation"):
  // each must still exist and hold, and each narrows the role, the locks and the lifetime. A
  // child is made no wider than its parent and a revoked parent takes its children with it
  // (HubStore), so this is the second line: it holds even for rows written another way.
  constexpr int kMaxChain = 16;
  std::optional<TokenRecord> link = record;
  for (int depth = 0; link; ++depth) {
    if (depth == kMaxChain) return core::Status::Invalid("the token's chain of parents is too long");
    if (link->username != a.username) return core::Status::Invalid("the token's parent is another account's");
    if (link->expires_at_ms) {
      if (*link->expires_at_ms < now) {
        return core::Status::Invalid(depth == 0 ? "the token has expired" : "the token's parent has expired");
      }
      p.token_expires_at_ms = std::min(p.token_expires_at_ms.value_or(*link->expires_at_ms), *link->expires_at_ms);
    }
    if (link->role) {
      const auto narrowed = ParseRole(*link->role).value_or(Role::kGuest);
      if (static_cast<int>(narrowed) > static_cast<int>(p.role)) p.role = narrowed;
    }
    if (link->locks) {
      std::vector<std::string> both;
      for (const auto& id : *link->locks) {
        if (p.ListsLock(id)) both.push_back(id);
      }
      p.locks = both;
    }
    if (!link->parent) break;
    auto parent = store_.GetToken(*link->parent);
    if (!parent.ok() || !parent->has_value()) return core::Status::Invalid("the token's parent was revoked");
    link = **parent;
  }
  return p;
}

}  // namespace latchkey::hub
