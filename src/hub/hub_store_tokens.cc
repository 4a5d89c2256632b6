// HubStore: the tokens table (only their hashes; a token dies with its account and its parent).
#include <utility>

#include "hub/hub_store_internal.h"

namespace latchkey::hub {

using namespace hub_store_internal;

namespace {

constexpr std::string_view kSelectToken =
    "SELECT id, username, kind, name, role, locks, expires_at, created_at, parent FROM tokens ";

Result<TokenRecord> ReadToken(const Statement& row) {
  TokenRecord t;
  t.id = std::string(row.ColumnText(0));
  t.username = std::string(row.ColumnText(1));
  t.kind = std::string(row.ColumnText(2));
  t.name = std::string(row.ColumnText(3));
  t.role = ColumnOptionalText(row, 4);
  auto locks = ColumnList(row, 5, "tokens row " + t.id);
  LATCHKEY_TRY(locks);
  t.locks = std::move(locks).value();
  t.expires_at_ms = ColumnOptionalInt(row, 6);
  t.created_at_ms = row.ColumnInt64(7);
  t.parent = ColumnOptionalText(row, 8);
  return t;
}

}  // namespace

Status HubStore::PutToken(const TokenRecord& token, const TokenHash& hash) try {
  if (token.id.empty()) return Status::Invalid("token id: must not be empty");
  if (!OneOf(token.kind, {"session", "api"})) return Status::Invalid("token kind: '" + token.kind + "' is unknown");
  if (token.role && !IsRole(*token.role)) return Status::Invalid("token role: '" + *token.role + "' is not a role");
  const std::span<const uint8_t> hash_bytes(hash);
  auto begun = Transaction::Begin(*db_);
  LATCHKEY_TRY(begun);
  Transaction txn = std::move(begun).value();
  auto account = store::Exists(*db_, "SELECT 1 FROM accounts WHERE username = ?1", token.username);
  LATCHKEY_TRY(account);
  if (!*account) return Status::NotFound("no account '" + token.username + "'");
  auto taken = store::Exists(*db_, "SELECT 1 FROM tokens WHERE hash = ?1 AND id <> ?2", hash_bytes, token.id);
  LATCHKEY_TRY(taken);
  if (*taken) return Status::Duplicate("another token has the same hash");
  if (token.parent) {
    auto parent = store::Exists(*db_, "SELECT 1 FROM tokens WHERE id = ?1 AND username = ?2 AND id <> ?3",
                                *token.parent, token.username, token.id);
    LATCHKEY_TRY(parent);
    if (!*parent) return Status::NotFound("no parent token '" + *token.parent + "' of '" + token.username + "'");
  }
  auto locks = DumpOptionalList(token.locks, "locks");
  LATCHKEY_TRY(locks);
  if (Status s = store::Execute(
          *db_,
          "INSERT INTO tokens(id, hash, username, kind, name, role, locks, expires_at, created_at, parent) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(id) DO UPDATE SET hash = excluded.hash, "
          "username = excluded.username, kind = excluded.kind, name = excluded.name, role = excluded.role, "
          "locks = excluded.locks, expires_at = excluded.expires_at, created_at = excluded.created_at, "
          "parent = excluded.parent",
          token.id, hash_bytes, token.username, token.kind, token.name, token.role, *locks, token.expires_at_ms,
          token.created_at_ms, token.parent);
      !s.ok()) {
    return s;
  }
  return txn.Commit();
} catch (const std::exception& e) {
  return Failure("token not stored", e);
}

Result<std::optional<TokenRecord>> HubStore::FindToken(const TokenHash& hash) try {
  return store::QueryOne<TokenRecord>(*db_, std::string(kSelectToken) + "WHERE hash = ?1", ReadToken,
                                      std::span<const uint8_t>(hash));
} catch (const std::exception& e) {
  return Failure("cannot read token", e);
}

Result<std::optional<TokenRecord>> HubStore::GetToken(const std::string& id) try {
  return store::QueryOne<TokenRecord>(*db_, std::string(kSelectToken) + "WHERE id = ?1", ReadToken, id);
} catch (const std::exception& e) {
  return Failure("cannot read token", e);
}

Result<std::vector<TokenRecord>> HubStore::ListTokens(const std::string& username) try {
  return store::QueryAll<TokenRecord>(*db_, std::string(kSelectToken) + "WHERE username = ?1 ORDER BY created_at, id",
                                      ReadToken, username);
} catch (const std::exception& e) {
  return Failure("cannot list tokens", e);
}

Status HubStore::DeleteToken(const std::string& id) try {
  return store::ExecuteOne(*db_, "no token '" + id + "'", "DELETE FROM tokens WHERE id = ?1", id);
} catch (const std::exception& e) {
  return Failure("token not deleted", e);
}

Status HubStore::DeleteTokensOf(const std::string& username, const std::string& keep) try {
  // A kept token's ancestors are kept too (the cascade would otherwise take it with them).
  return store::Execute(*db_,
                        "WITH RECURSIVE kept(id) AS (SELECT id FROM tokens WHERE id = ?2 "
                        "UNION SELECT t.parent FROM tokens t JOIN kept ON t.id = kept.id WHERE t.parent IS NOT NULL) "
                        "DELETE FROM tokens WHERE username = ?1 AND id NOT IN (SELECT id FROM kept)",
                        username, keep);
} catch (const std::exception& e) {
  return Failure("tokens not deleted", e);
}

}  // namespace latchkey::hub
