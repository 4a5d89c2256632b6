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

#include "hub/hub_store.h"

namespace latchkey::hub {

// Argon2id in libsodium's self-describing string form (interactive limits: about 64 MiB and a
// fraction of a second, which is what makes offline guessing of a stolen hash expensive).
std::optional<std::string> HashPassword(std::string_view password);
bool VerifyPassword(const std::string& hash, std::string_view password);

// A fresh token ("lk_" + 64 hex digits) and the hash under which it is stored.
struct NewToken {
  std::string token;
  TokenHash hash;
};
NewToken MakeToken();
TokenHash HashToken(std::string_view token);
std::string RandomId(std::size_t bytes = 8);

enum class Role { kOwner, kAdmin, kMember, kGuest };
std::optional<Role> ParseRole(std::string_view name);
std::string_view RoleName(Role role);

// The caller of one request.
struct Principal {
  std::string username;
  Role role = Role::kGuest;
  std::optional<std::vector<std::string>> locks;  // absent: every lock
  std::optional<int64_t> valid_from_ms, valid_until_ms;
  std::string token_id;
  TokenHash token_hash{};  // to check the token again later (an open stream, Stream::Recheck)
  // When the token stops holding (absent: only by logout or deletion); an open stream is
  // closed then (Stream).
  std::optional<int64_t> token_expires_at_ms;
  // Authenticated by the web app's session cookie (cookie_session.h): writes need the CSRF
  // header, and a WebSocket must come from the hub's own origin.
  bool via_cookie = false;

  // A guest outside `valid_from..valid_until` (the hub's clock) sees no lock at all: not in
  // /locks, not by id (404), not on the stream. It can still log in and read /me, so its app
  // can say when its access starts or ended. Other roles are always inside.
  bool InWindow(int64_t now_ms) const;
  // The lock is in the account's (or token's) list, whatever the time: what a token made by
  // this account may name.
  bool ListsLock(const std::string& lock_id) const;
  bool SeesLock(const std::string& lock_id, int64_t now_ms) const { return InWindow(now_ms) && ListsLock(lock_id); }
  // Operating (lock, unlock, sim): whoever sees the lock.
  bool MayOperate(const std::string& lock_id, int64_t now_ms) const { return SeesLock(lock_id, now_ms); }
  bool MayReadHistory(const std::string& lock_id) const;
  bool MayManageLock() const { return role == Role::kOwner || role == Role::kAdmin; }
  bool MayManageAccounts() const { return role == Role::kOwner; }
};

// GET /metrics without a token: only when the hub is configured so (HubOptions) and the client
// connects from a loopback address (127.0.0.0/8, ::1, or IPv4-mapped loopback), i.e. a scraper
// on the hub's own machine. Forwarding headers are not trusted: the TCP peer decides.
bool MetricsOpenTo(bool open_on_loopback, std::string_view client_address);

// Failed logins, per account and per client address: after 5 failures each further one doubles
// the wait (1 s, 2 s, ... up to 15 min); a success for the account clears its count.
class LoginLimiter {
 public:
  // Seconds to wait before another try is allowed for this pair, 0 if allowed now.
  int64_t RetryAfterSeconds(const std::string& username, const std::string& address, int64_t now_ms) const;
  void Failed(const std::string& username, const std::string& address, int64_t now_ms);
  void Succeeded(const std::string& username);
  // Failed logins since the hub started (for /metrics).
  uint64_t failures_total() const { return failures_total_; }

 private:
  struct Entry {
    int failures = 0;
    int64_t blocked_until_ms = 0;
  };
  static void Bump(Entry& entry, int64_t now_ms);
  std::map<std::string, Entry> by_user_, by_address_;
  uint64_t failures_total_ = 0;
};

}  // namespace latchkey::hub
