#include "hub/auth.h"

#include <boost/asio/ip/address.hpp>
#include <sodium.h>

#include <algorithm>
#include <atomic>

#include "wire/json_codec.h"

namespace latchkey::hub {

std::optional<std::string> HashPassword(std::string_view password) {
  if (sodium_init() < 0) return std::nullopt;
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return std::nullopt;  // out of memory
  }
  return std::string(out);
}

namespace {
std::atomic<uint64_t> verifications{0};
}  // namespace

bool VerifyPassword(const std::string& hash, std::string_view password) {
  if (hash.size() >= crypto_pwhash_STRBYTES) return false;
  verifications.fetch_add(1, std::memory_order_relaxed);
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

uint64_t PasswordVerifications() { return verifications.load(std::memory_order_relaxed); }

bool VerifyLogin(const std::optional<Account>& account, std::string_view password) {
  // The Argon2id hash, under the interactive limits HashPassword uses, of 32 random bytes that
  // were thrown away: verifying against it costs what verifying a real password costs.
  static const std::string kDummyHash =
      "$argon2id$v=19$m=65536,t=2,p=1$y5774Eive/rcN6ICW9/qvQ$o23LEeLwiPdzjDVQ9ahQZM05GVhHyuRyTCp7lsCKFWQ";
  if (!account) {
    VerifyPassword(kDummyHash, password);
    return false;
  }
  return VerifyPassword(account->password_hash, password);
}

TokenHash HashToken(std::string_view token) {
  TokenHash hash{};
  crypto_generichash(hash.data(), hash.size(), reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                     nullptr, 0);
  return hash;
}

NewToken MakeToken(Env& env) {
  std::array<uint8_t, 32> bytes{};
  env.RandomBytes(bytes);
  NewToken t;
  t.token = "lk_" + wire::ToHex(bytes);
  t.hash = HashToken(t.token);
  sodium_memzero(bytes.data(), bytes.size());
  return t;
}

std::string RandomId(Env& env, std::size_t n) {
  std::vector<uint8_t> bytes(n);
  env.RandomBytes(bytes);
  return wire::ToHex(bytes);
}

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "owner") return Role::kOwner;
  if (name == "admin") return Role::kAdmin;
  if (name == "member") return Role::kMember;
  if (name == "guest") return Role::kGuest;
  return std::nullopt;
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kOwner: return "owner";
    case Role::kAdmin: return "admin";
    case Role::kMember: return "member";
    case Role::kGuest: return "guest";
  }
  return "guest";
}

bool Principal::InWindow(int64_t now_ms) const {
  if (role == Role::kOwner) return true;
  if (valid_from_ms && now_ms < *valid_from_ms) return false;
  if (valid_until_ms && now_ms > *valid_until_ms) return false;
  return true;
}

bool Principal::ListsLock(const std::string& lock_id) const {
  return !locks || std::find(locks->begin(), locks->end(), lock_id) != locks->end();
}

// Guests never read history, so the window does not matter here.
bool Principal::MayReadHistory(const std::string& lock_id) const {
  return role != Role::kGuest && ListsLock(lock_id);
}

Limits Principal::limits() const {
  Limits l{role, locks, valid_from_ms, valid_until_ms};
  if (const auto token = token_limits().valid_until_ms) l.valid_until_ms = std::min(l.valid_until_ms.value_or(*token), *token);
  return l;
}

Limits Principal::token_limits() const {
  Limits l{role, locks, std::nullopt, std::nullopt};
  if (token_kind == "api") l.valid_until_ms = token_expires_at_ms;
  return l;
}

Principal AccountPrincipal(const Account& account) {
  Principal p;
  p.username = account.username;
  p.role = ParseRole(account.role).value_or(Role::kGuest);
  if (p.role != Role::kOwner) {
    p.locks = account.locks;
    p.valid_from_ms = account.valid_from_ms;
    p.valid_until_ms = account.valid_until_ms;
  }
  return p;
}

std::optional<std::string_view> WiderField(const Limits& inner, const Limits& outer) {
  // Role enumerators run from the widest (owner) to the narrowest (guest).
  if (static_cast<int>(inner.role) < static_cast<int>(outer.role)) return "role";
  if (outer.locks) {
    if (!inner.locks) return "locks";
    for (const auto& id : *inner.locks) {
      if (std::find(outer.locks->begin(), outer.locks->end(), id) == outer.locks->end()) return "locks";
    }
  }
  if (outer.valid_from_ms && (!inner.valid_from_ms || *inner.valid_from_ms < *outer.valid_from_ms)) return "valid_from";
  if (outer.valid_until_ms && (!inner.valid_until_ms || *inner.valid_until_ms > *outer.valid_until_ms)) {
    return "valid_until";
  }
  return std::nullopt;
}

bool MetricsOpenTo(bool open_on_loopback, std::string_view client_address) {
  if (!open_on_loopback) return false;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(client_address), ec);
  if (ec) return false;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6()).is_loopback();
  }
  return address.is_loopback();
}

namespace {
constexpr int kFreeFailures = 5;
constexpr int64_t kMaxBlockMs = 15 * 60 * 1000;
constexpr int64_t kForgetMs = 24LL * 3600 * 1000;
}  // namespace

const LoginLimiter::Entry* LoginLimiter::Live(const std::map<std::string, Entry>& map, const std::string& key,
                                              int64_t now_ms) {
  const auto it = map.find(key);
  if (it == map.end() || now_ms - it->second.last_failure_ms > kForgetMs) return nullptr;
  return &it->second;
}

void LoginLimiter::Bump(Entry& entry, int64_t now_ms) {
  if (now_ms - entry.last_failure_ms > kForgetMs) entry = Entry{};
  entry.last_failure_ms = now_ms;
  ++entry.failures;
  if (entry.failures < kFreeFailures) return;
  const int doublings = std::min(entry.failures - kFreeFailures, 20);
  entry.blocked_until_ms = now_ms + std::min<int64_t>(kMaxBlockMs, int64_t{1000} << doublings);
}

int64_t LoginLimiter::RetryAfterSeconds(const std::string& username, const std::string& address,
                                        int64_t now_ms) const {
  const Entry* from = Live(by_address_, address, now_ms);
  // A clean address is never kept from the password check: the account's block applies only
  // to addresses with failures of their own.
  if (from == nullptr) return 0;
  int64_t until = from->blocked_until_ms;
  if (const Entry* account = Live(by_user_, username, now_ms)) until = std::max(until, account->blocked_until_ms);
  return until > now_ms ? (until - now_ms + 999) / 1000 : 0;
}

void LoginLimiter::Failed(const std::string& username, const std::string& address, int64_t now_ms) {
  ++failures_total_;
  // Failures with made-up usernames or from many addresses must not grow memory forever: past
  // a bound, entries that block nothing any more are forgotten.
  for (auto* map : {&by_user_, &by_address_}) {
    if (map->size() < kMaxEntries) continue;
    std::erase_if(*map, [now_ms](const auto& entry) { return entry.second.blocked_until_ms <= now_ms; });
  }
  Bump(by_user_[username], now_ms);
  Bump(by_address_[address], now_ms);
}

void LoginLimiter::Succeeded(const std::string&, const std::string& address) { by_address_.erase(address); }

}  // namespace latchkey::hub
