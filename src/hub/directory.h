// Who is asking and which locks exist: the hub's answer to "whose token is this, as the store
// says now?" and "is there a paired lock with this id?", from a read cache that never outlives
// a write. Every request asks both, so they are answered from memory while the store is
// unchanged:
//
//   Directory directory(store, env);
//   auto caller = directory.Authenticate(request);     // 401 when !caller.ok()
//   auto lock = directory.FindLock("lk-1");            // nullopt: no such lock
//
// The cache is keyed by the store's stamp: sqlite3_total_changes64 of the hub's connection
// (every row any statement of this process wrote, through HubStore or not, committed or rolled
// back) and PRAGMA data_version (a commit by any other connection, e.g. sqlite3 by hand); when
// either moves, everything cached is dropped before the next answer. So revoking a token, its
// parent's cascade, a password change, an account change or deletion and a lock's new state all
// take effect on the very next request, as without the cache; only the clock is left to check
// on a hit (token expiry), and that is checked at every call. Nothing is written here.
#pragma once

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hub/auth.h"
#include "hub/env.h"
#include "hub/http_server.h"
#include "hub/hub_store.h"

namespace latchkey::hub {

class Directory {
 public:
  Directory(HubStore& store, Env& env);
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  // The caller of `request`, or kInvalid (answer 401): the Authorization header, else (only on
  // the WebSocket path /api/v1/stream) ?token=, else the web app's session cookie
  // (Principal::via_cookie).
  core::Result<Principal> Authenticate(const HttpRequest& request);
  // The caller of a token known by its hash, as it stands now (account, role, lock list,
  // window), narrowed by the token and each parent up its chain; a revoked or expired parent
  // ends it (SECURITY.md "No privilege grows by delegation").
  core::Result<Principal> PrincipalOf(const TokenHash& token_hash, bool via_cookie);
  // The paired lock `id` as stored now (null: no such lock), shared with the cache: a record is
  // never changed, a write replaces it (so a caller may keep it, and may tell by its address
  // whether it is still the one cached). `asked_by`: the request just given to Authenticate,
  // whose check of the store's stamp then also serves this lookup (one PRAGMA data_version per
  // request instead of two).
  core::Result<std::shared_ptr<const LockRecord>> FindLock(const std::string& id,
                                                           const HttpRequest* asked_by = nullptr);
  // The account `username` as stored now (nullopt: no such account), the same way (GET /me
  // asks for its caller's on every call).
  core::Result<std::optional<Account>> FindAccount(const std::string& username, const HttpRequest* asked_by = nullptr);
  // Moves whenever the cache is dropped (a write by this process, another connection's commit,
  // a stamp that could not be read). What a caller made from the store at one generation is
  // what the store would still give while it stays the same, as read by the last call above.
  uint64_t generation() const { return generation_; }

 private:
  struct StoreStamp {
    int64_t own_changes = -1;
    int64_t data_version = -1;
    bool operator==(const StoreStamp&) const = default;
  };
  // The store's stamp now, the cache emptied when it moved; nullopt (no caching) when the stamp
  // cannot be read. `data_version_just_read`: the last call was for the same request, so its
  // PRAGMA data_version still stands.
  std::optional<StoreStamp> SyncCache(bool data_version_just_read = false);
  // Whether `asked_by` is the request of the last Authenticate, with no sync since.
  bool SameRequest(const HttpRequest* asked_by) const;
  core::Result<Principal> LoadPrincipal(const TokenHash& token_hash, int64_t now);
  // The account from the cache, else the store (then cached); the caller has synced.
  core::Result<std::optional<Account>> LookUpAccount(const std::string& username);
  struct TokenHashHash {
    std::size_t operator()(const TokenHash& hash) const noexcept {
      std::size_t v = 0;  // the hash is BLAKE2b output: any bytes of it are as good as any
      std::memcpy(&v, hash.data(), sizeof v);
      return v;
    }
  };
  static constexpr std::size_t kMaxCachedPrincipals = 4096;

  HubStore& store_;
  Env& env_;
  std::optional<StoreStamp> cache_stamp_;
  std::unordered_map<TokenHash, Principal, TokenHashHash> principals_;
  std::optional<std::unordered_map<std::string, std::shared_ptr<const LockRecord>>> locks_;
  std::unordered_map<std::string, Account> accounts_;  // those read since the stamp last moved
  const HttpRequest* authenticated_ = nullptr;  // the request of the last Authenticate
  uint64_t authenticated_at_sync_ = 0;           // syncs_ after it
  uint64_t syncs_ = 0;                           // SyncCache calls so far
  uint64_t generation_ = 0;
  std::optional<store::Statement> data_version_;
};

}  // namespace latchkey::hub
