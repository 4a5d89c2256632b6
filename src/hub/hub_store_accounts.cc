// HubStore: the accounts table.
#include <utility>

#include "hub/hub_store_internal.h"

namespace latchkey::hub {

using namespace hub_store_internal;

namespace {

constexpr std::string_view kSelectAccount =
    "SELECT username, password_hash, role, locks, valid_from, valid_until, created_at FROM accounts ";

Result<Account> ReadAccount(const Statement& row) {
  Account a;
  a.username = std::string(row.ColumnText(0));
  a.password_hash = std::string(row.ColumnText(1));
  a.role = std::string(row.ColumnText(2));
  auto locks = ColumnList(row, 3, "accounts row " + a.username);
  LATCHKEY_TRY(locks);
  a.locks = std::move(locks).value();
  a.valid_from_ms = ColumnOptionalInt(row, 4);
  a.valid_until_ms = ColumnOptionalInt(row, 5);
  a.created_at_ms = row.ColumnInt64(6);
  return a;
}

}  // namespace

Status HubStore::PutAccount(const Account& account) try {
  if (account.username.empty()) return Status::Invalid("username: must not be empty");
  if (!IsRole(account.role)) return Status::Invalid("role: '" + account.role + "' is not a role");
  auto locks = DumpOptionalList(account.locks, "locks");
  LATCHKEY_TRY(locks);
  return store::Execute(
      *db_,
      "INSERT INTO accounts(username, password_hash, role, locks, valid_from, valid_until, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(username) DO UPDATE SET "
      "password_hash = excluded.password_hash, role = excluded.role, locks = excluded.locks, "
      "valid_from = excluded.valid_from, valid_until = excluded.valid_until, created_at = excluded.created_at",
      account.username, account.password_hash, account.role, *locks, account.valid_from_ms, account.valid_until_ms,
      account.created_at_ms);
} catch (const std::exception& e) {
  return Failure("account not stored", e);
}

Result<std::optional<Account>> HubStore::GetAccount(const std::string& username) try {
  return store::QueryOne<Account>(*db_, std::string(kSelectAccount) + "WHERE username = ?1", ReadAccount, username);
} catch (const std::exception& e) {
  return Failure("cannot read account", e);
}

Result<std::vector<Account>> HubStore::ListAccounts() try {
  return store::QueryAll<Account>(*db_, std::string(kSelectAccount) + "ORDER BY username", ReadAccount);
} catch (const std::exception& e) {
  return Failure("cannot list accounts", e);
}

Status HubStore::DeleteAccount(const std::string& username) try {
  return store::ExecuteOne(*db_, "no account '" + username + "'", "DELETE FROM accounts WHERE username = ?1",
                           username);
} catch (const std::exception& e) {
  return Failure("account not deleted", e);
}

}  // namespace latchkey::hub
