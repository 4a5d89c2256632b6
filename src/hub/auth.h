// Who is calling the hub: password hashing (Argon2id), bearer tokens (256 random bits, kept
// only as a BLAKE2b hash), the principal a token stands for, and what each role may do
// (API.md: owner everything; admin all but accounts and hub settings; member operates and
// reads the history of its locks; guest operates its locks, optionally in a time window).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hub/env.h"
#include "hub/hub_store.h"

namespace latchkey::hub {

// Argon2id in libsodium's self-describing string form (interactive limits: about 64 MiB and a
// fraction of a second, which is what makes offline guessing of a stolen hash expensive).
std::optional<std::string> HashPassword(std::string_view password);
bool VerifyPassword(const std::string& hash, std::string_view password);
// A login's password check. An unknown username is checked against a fixed hash of the same cost
// (and always fails), so that the answer takes as long whether the name exists or not and
// timing does not tell which usernames exist.
bool VerifyLogin(const std::optional<Account>& account, std::string_view password);
// Argon2id verifications run by this process (a test seam: that a login with an unknown name
// takes the same path as one with a known name).
uint64_t PasswordVerifications();

// A fresh token ("lk_" + 64 hex digits) and the hash under which it is stored.
struct NewToken {
  std::string token;
  TokenHash hash;
};
NewToken MakeToken(Env& env);
TokenHash HashToken(std::string_view token);
std::string RandomId(Env& env, std::size_t bytes = 8);

enum class Role { kOwner, kAdmin, kMember, kGuest };
std::optional<Role> ParseRole(std::string_view name);
std::string_view RoleName(Role role);

// What a caller holds and hands down: a role, a lock list (absent: every lock) and a window
// (absent ends: no bound). SECURITY.md "No privilege grows by delegation": a token or an account
// made by a caller is never wider than the caller; fields left out take the caller's limits.
struct Limits {
  Role role = Role::kGuest;
  std::optional<std::vector<std::string>> locks;
  std::optional<int64_t> valid_from_ms, valid_until_ms;
};
// Whether `inner` is no wider than `outer` in any of the three; else the name of the first field
// that is wider ("role", "locks", "valid_from", "valid_until").
std::optional<std::string_view> WiderField(const Limits& inner, const Limits& outer);

// The caller of one request. Directory::PrincipalOf fills it from the token, its parent tokens and its
// account; the lock list and the window are then the caller's whole limits, whatever the role:
// the owner *account* has none (its own list and window are ignored: nothing may lock the owner
// out of its hub), but an owner's token narrowed to some locks is bound by them.
struct Principal {
  std::string username;
  Role role = Role::kGuest;
  std::optional<std::vector<std::string>> locks;  // absent: every lock
  std::optional<int64_t> valid_from_ms, valid_until_ms;
  std::string token_id;
  std::string token_kind;  // "session" (a login) or "api"
  TokenHash token_hash{};  // to check the token again later (an open stream, Stream::Recheck)
  // When the token stops holding, the earliest expiry along its chain of parents (absent: only
  // by logout, revocation or deletion); an open stream is closed then (Stream).
  std::optional<int64_t> token_expires_at_ms;
  // The hub's clock when the token was checked: role-wide powers (pairing, webhooks, metrics)
  // are judged against the window at this moment.
  int64_t checked_at_ms = 0;
  // Authenticated by the web app's session cookie (cookie_session.h): writes need the CSRF
  // header, and a WebSocket must come from the hub's own origin.
  bool via_cookie = false;

  // Outside `valid_from..valid_until` (the hub's clock) an account below owner sees no lock at
  // all: not in /locks, not by id (404), not on the stream, and it has no lock-wide power. It
  // can still log in and read /me, so its app can say when its access starts or ended. The
  // window binds admins and members as much as guests (issue 9); only the owner has none.
  bool InWindow(int64_t now_ms) const;
  // The lock is in the caller's list, whatever the time: what a token made by this caller may
  // name. The list binds every role, admins included.
  bool ListsLock(const std::string& lock_id) const;
  bool SeesLock(const std::string& lock_id, int64_t now_ms) const { return InWindow(now_ms) && ListsLock(lock_id); }
  // Operating (lock, unlock, sim): whoever sees the lock.
  bool MayOperate(const std::string& lock_id, int64_t now_ms) const { return SeesLock(lock_id, now_ms); }
  bool MayReadHistory(const std::string& lock_id) const;
  // Owner and admin, inside their window (a lock's own routes check SeesLock first).
  bool MayManageLock() const { return (role == Role::kOwner || role == Role::kAdmin) && InWindow(checked_at_ms); }
  bool MayManageAccounts() const { return role == Role::kOwner; }
  // The limits this caller hands down to an account it makes or changes: its role, lock list
  // and window, the window ending no later than the calling API token.
  Limits limits() const;
  // The limits of a token this caller makes: its role and lock list, and as valid_until the
  // expiry of the calling API token (and its parents). The account's window is not copied: it
  // binds every token of the account at each use, and follows when the owner moves it. A token
  // made with a login session is the account's own, bounded by the account and not by the 24 h
  // session (it is what the web app's long-lived integration tokens are).
  Limits token_limits() const;
};

// An account's own reach, before any token narrows it: its name, role, lock list and window
// (the owner's list and window ignored: nothing locks the owner out). Directory::PrincipalOf
// starts from this and narrows it by the token's chain; push judges accounts with it.
Principal AccountPrincipal(const Account& account);

// GET /metrics without a token: only when the hub is configured so (HubOptions) and the client
// connects from a loopback address (127.0.0.0/8, ::1, or IPv4-mapped loopback), i.e. a scraper
// on the hub's own machine. Forwarding headers are not trusted: the TCP peer decides.
bool MetricsOpenTo(bool open_on_loopback, std::string_view client_address);

// Failed logins, per client address and per account (SECURITY.md: a login limiter that cannot
// be used to keep the owner out).
// - An address that keeps failing is blocked, whatever name it tries: after 5 failures each
//   further one doubles its wait (1 s, 2 s, ... up to 15 min).
// - An account that keeps failing (from anywhere) is blocked the same way, but only for
//   addresses that have failed themselves: a client address with no failure on record is always
//   let through to the password check, so a correct password from a clean address gets in
//   while an attacker elsewhere guesses (each new address buys a guessing botnet one try per
//   block, no more).
// - A success clears its address's record (it knew the password) but not the account's, which
//   is the evidence of guessing from elsewhere. A record is forgotten a day after its last
//   failure.
// The map sizes are bounded: past 10,000 entries, records that block nothing any more go.
class LoginLimiter {
 public:
  // Seconds to wait before `address` may try `username` again, 0 if it may try now.
  int64_t RetryAfterSeconds(const std::string& username, const std::string& address, int64_t now_ms) const;
  void Failed(const std::string& username, const std::string& address, int64_t now_ms);
  void Succeeded(const std::string& username, const std::string& address);
  // Failed logins since the hub started (for /metrics).
  uint64_t failures_total() const { return failures_total_; }
  std::size_t entries() const { return by_user_.size() + by_address_.size(); }

  static constexpr std::size_t kMaxEntries = 10000;

 private:
  struct Entry {
    int failures = 0;
    int64_t blocked_until_ms = 0;
    int64_t last_failure_ms = 0;
  };
  // The record of `key`, if one is still remembered at `now_ms`.
  static const Entry* Live(const std::map<std::string, Entry>& map, const std::string& key, int64_t now_ms);
  static void Bump(Entry& entry, int64_t now_ms);
  std::map<std::string, Entry> by_user_, by_address_;
  uint64_t failures_total_ = 0;
};

}  // namespace latchkey::hub
