// HubStore: Web Push subscriptions, settings and deliveries (NOTIFICATIONS.md): schema version 5
// and its queries.
#include <map>
#include <utility>

#include "hub/hub_store_internal.h"

namespace latchkey::hub {
namespace hub_store_internal {

// Version 5: Web Push (docs/notifications.md).
// - push_subscriptions: where one browser of one account receives push messages, and the keys
//   they are encrypted to. Gone with its account; (account, endpoint) is unique, so the same
//   browser subscribing again updates its row.
// - notification_settings: an account's choices (JSON; no row: the defaults). Gone with it.
// - push_deliveries: one message for one subscription, written before the event it is about
//   is acknowledged to the lock. The AUTOINCREMENT id is the order of the subscription's queue
//   (never reused, so a later message never sorts before an earlier one); `source` says what it is
//   about ("<lock>:<seq>", "<lock>:offline:<since>"), unique per subscription, so queueing the same
//   event again changes nothing. Gone with its subscription; finished rows are kept a day (the
//   record that an event was queued), then deleted.
const std::string_view kSchemaV5Push = R"sql(
CREATE TABLE push_subscriptions(
  id TEXT NOT NULL PRIMARY KEY,
  account TEXT NOT NULL REFERENCES accounts(username) ON DELETE CASCADE,
  endpoint TEXT NOT NULL,
  p256dh BLOB NOT NULL CHECK (length(p256dh) = 65),
  auth BLOB NOT NULL CHECK (length(auth) = 16),
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  UNIQUE (account, endpoint)
) STRICT;
CREATE TABLE notification_settings(
  account TEXT NOT NULL PRIMARY KEY REFERENCES accounts(username) ON DELETE CASCADE,
  settings TEXT NOT NULL CHECK (json_valid(settings))
) STRICT;
CREATE TABLE push_deliveries(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  subscription TEXT NOT NULL REFERENCES push_subscriptions(id) ON DELETE CASCADE,
  source TEXT NOT NULL,
  payload TEXT NOT NULL CHECK (json_valid(payload)),
  urgency TEXT NOT NULL CHECK (urgency IN ('very-low', 'low', 'normal', 'high')),
  ttl INTEGER NOT NULL CHECK (ttl >= 0),
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL CHECK (attempts >= 0),
  next_attempt INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (subscription, source)
) STRICT;
CREATE INDEX push_deliveries_by_status ON push_deliveries(status, id);
CREATE INDEX push_deliveries_by_created ON push_deliveries(created_at);
)sql";

}  // namespace hub_store_internal

using namespace hub_store_internal;

namespace {

constexpr std::string_view kSelectSubscription =
    "SELECT id, account, endpoint, p256dh, auth, name, created_at, last_error FROM push_subscriptions ";

Result<PushSubscription> ReadSubscription(const Statement& row) {
  PushSubscription s;
  s.id = std::string(row.ColumnText(0));
  s.account = std::string(row.ColumnText(1));
  s.endpoint = std::string(row.ColumnText(2));
  const auto p256dh = row.ColumnBlob(3);
  const auto auth = row.ColumnBlob(4);
  if (p256dh.size() != s.p256dh.size() || auth.size() != s.auth.size()) {
    return Status::IoError("push_subscriptions row " + s.id + ": stored keys have the wrong size");
  }
  std::copy(p256dh.begin(), p256dh.end(), s.p256dh.begin());
  std::copy(auth.begin(), auth.end(), s.auth.begin());
  s.name = std::string(row.ColumnText(5));
  s.created_at_ms = row.ColumnInt64(6);
  s.last_error = std::string(row.ColumnText(7));
  return s;
}

constexpr std::string_view kSelectDelivery =
    "SELECT id, subscription, source, payload, urgency, ttl, status, attempts, next_attempt, created_at "
    "FROM push_deliveries ";

PushDelivery ReadDelivery(const Statement& row) {
  PushDelivery d;
  d.id = static_cast<uint64_t>(std::max<int64_t>(row.ColumnInt64(0), 0));
  d.subscription = std::string(row.ColumnText(1));
  d.source = std::string(row.ColumnText(2));
  d.payload = std::string(row.ColumnText(3));
  d.urgency = std::string(row.ColumnText(4));
  d.ttl_s = row.ColumnInt64(5);
  d.status = std::string(row.ColumnText(6));
  d.attempts =
      static_cast<uint32_t>(std::clamp<int64_t>(row.ColumnInt64(7), 0, int64_t{std::numeric_limits<uint32_t>::max()}));
  d.next_attempt_ms = row.ColumnInt64(8);
  d.created_at_ms = row.ColumnInt64(9);
  return d;
}

Status CheckStatus(const std::string& status) {
  if (!OneOf(status, {"pending", "delivered", "failed"})) return Status::Invalid("push delivery status: '" + status + "' is unknown");
  return Status::Ok();
}

}  // namespace

Result<PushSubscription> HubStore::PutPushSubscription(const PushSubscription& s) try {
  if (s.id.empty()) return Status::Invalid("subscription id: must not be empty");
  if (s.endpoint.empty()) return Status::Invalid("endpoint: must not be empty");
  auto begun = Transaction::Begin(*db_);
  LATCHKEY_TRY(begun);
  Transaction txn = std::move(begun).value();
  auto account = store::Exists(*db_, "SELECT 1 FROM accounts WHERE username = ?1", s.account);
  LATCHKEY_TRY(account);
  if (!*account) return Status::NotFound("no account '" + s.account + "'");
  // The same browser subscribing again: new keys and name, the same id (its queue goes on).
  auto stored = store::QueryOne<PushSubscription>(
      *db_,
      "INSERT INTO push_subscriptions(id, account, endpoint, p256dh, auth, name, created_at, last_error) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '') ON CONFLICT(account, endpoint) DO UPDATE SET "
      "p256dh = excluded.p256dh, auth = excluded.auth, name = excluded.name, last_error = '' "
      "RETURNING id, account, endpoint, p256dh, auth, name, created_at, last_error",
      ReadSubscription, s.id, s.account, s.endpoint, std::span<const uint8_t>(s.p256dh), std::span<const uint8_t>(s.auth),
      s.name, s.created_at_ms);
  LATCHKEY_TRY(stored);
  if (!stored->has_value()) return Status::IoError("subscription not stored");
  LATCHKEY_TRY(txn.Commit());
  return std::move(**stored);
} catch (const std::exception& e) {
  return Failure("subscription not stored", e);
}

Result<std::vector<PushSubscription>> HubStore::ListPushSubscriptions(const std::string& account) try {
  return store::QueryAll<PushSubscription>(*db_, std::string(kSelectSubscription) + "WHERE account = ?1 ORDER BY created_at, id",
                                           ReadSubscription, account);
} catch (const std::exception& e) {
  return Failure("cannot list subscriptions", e);
}

Result<std::optional<PushSubscription>> HubStore::GetPushSubscription(const std::string& id) try {
  return store::QueryOne<PushSubscription>(*db_, std::string(kSelectSubscription) + "WHERE id = ?1", ReadSubscription, id);
} catch (const std::exception& e) {
  return Failure("cannot read the subscription", e);
}

Status HubStore::DeletePushSubscription(const std::string& id) try {
  return store::ExecuteOne(*db_, "no subscription '" + id + "'", "DELETE FROM push_subscriptions WHERE id = ?1", id);
} catch (const std::exception& e) {
  return Failure("subscription not deleted", e);
}

Status HubStore::SetPushSubscriptionError(const std::string& id, const std::string& last_error) try {
  // No row changed is fine: the error was the same, or the subscription is gone.
  return store::Execute(*db_, "UPDATE push_subscriptions SET last_error = ?2 WHERE id = ?1 AND last_error != ?2", id,
                        last_error);
} catch (const std::exception& e) {
  return Failure("subscription not updated", e);
}

Result<Json> HubStore::GetNotificationSettings(const std::string& account) try {
  auto found = store::QueryOne<Json>(*db_, "SELECT settings FROM notification_settings WHERE account = ?1",
                                     [&](const Statement& row) { return ColumnJson(row, 0, "notification_settings " + account); },
                                     account);
  LATCHKEY_TRY(found);
  return found->has_value() ? std::move(**found) : Json();
} catch (const std::exception& e) {
  return Failure("cannot read notification settings", e);
}

Status HubStore::PutNotificationSettings(const std::string& account, const Json& settings) try {
  if (!settings.is_object()) return Status::Invalid("notification settings: must be an object");
  auto text = Dump(settings, "notification settings");
  LATCHKEY_TRY(text);
  auto begun = Transaction::Begin(*db_);
  LATCHKEY_TRY(begun);
  Transaction txn = std::move(begun).value();
  auto exists = store::Exists(*db_, "SELECT 1 FROM accounts WHERE username = ?1", account);
  LATCHKEY_TRY(exists);
  if (!*exists) return Status::NotFound("no account '" + account + "'");
  LATCHKEY_TRY(store::Execute(*db_,
                              "INSERT INTO notification_settings(account, settings) VALUES (?1, ?2) "
                              "ON CONFLICT(account) DO UPDATE SET settings = excluded.settings",
                              account, *text));
  return txn.Commit();
} catch (const std::exception& e) {
  return Failure("notification settings not stored", e);
}

Result<std::vector<PushRecipient>> HubStore::ListPushRecipients() try {
  // Three small reads joined here: the accounts' own reader stays in hub_store_accounts.cc.
  auto subscriptions = store::QueryAll<std::pair<std::string, std::string>>(
      *db_, "SELECT account, id FROM push_subscriptions ORDER BY account, created_at, id",
      [](const Statement& row) { return std::pair(std::string(row.ColumnText(0)), std::string(row.ColumnText(1))); });
  LATCHKEY_TRY(subscriptions);
  if (subscriptions->empty()) return std::vector<PushRecipient>();
  std::map<std::string, std::vector<std::string>> by_account;
  for (auto& [account, id] : subscriptions.value()) by_account[account].push_back(std::move(id));
  auto settings = store::QueryAll<std::pair<std::string, Json>>(
      *db_, "SELECT account, settings FROM notification_settings",
      [](const Statement& row) -> Result<std::pair<std::string, Json>> {
        std::string account(row.ColumnText(0));
        auto json = ColumnJson(row, 1, "notification_settings " + account);
        LATCHKEY_TRY(json);
        return std::pair(std::move(account), std::move(json).value());
      });
  LATCHKEY_TRY(settings);
  std::map<std::string, Json> settings_of(std::make_move_iterator(settings->begin()), std::make_move_iterator(settings->end()));
  auto accounts = ListAccounts();
  LATCHKEY_TRY(accounts);
  std::vector<PushRecipient> out;
  for (Account& a : accounts.value()) {
    const auto subs = by_account.find(a.username);
    if (subs == by_account.end()) continue;
    PushRecipient r;
    if (const auto it = settings_of.find(a.username); it != settings_of.end()) r.settings = std::move(it->second);
    r.subscriptions = std::move(subs->second);
    r.account = std::move(a);
    out.push_back(std::move(r));
  }
  return out;
} catch (const std::exception& e) {
  return Failure("cannot list push recipients", e);
}

Result<std::vector<PushDelivery>> HubStore::AddPushDeliveries(std::span<const PushDelivery> deliveries) try {
  for (const PushDelivery& d : deliveries) {
    LATCHKEY_TRY(CheckStatus(d.status));
    if (d.subscription.empty() || d.source.empty()) return Status::Invalid("push delivery: subscription and source must not be empty");
    if (!OneOf(d.urgency, {"very-low", "low", "normal", "high"})) return Status::Invalid("push delivery urgency: '" + d.urgency + "' is unknown");
    if (d.ttl_s < 0) return Status::Invalid("push delivery ttl: must not be negative");
  }
  std::vector<PushDelivery> added;
  if (deliveries.empty()) return added;
  auto begun = Transaction::Begin(*db_);
  LATCHKEY_TRY(begun);
  Transaction txn = std::move(begun).value();
  auto insert = db_->Prepare(
      "INSERT INTO push_deliveries(subscription, source, payload, urgency, ttl, status, attempts, next_attempt, created_at) "
      "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE EXISTS (SELECT 1 FROM push_subscriptions WHERE id = ?1) "
      "ON CONFLICT(subscription, source) DO NOTHING RETURNING id");
  LATCHKEY_TRY(insert);
  for (const PushDelivery& d : deliveries) {
    Statement& st = insert.value();
    store::BindAll(st, d.subscription, d.source, d.payload, d.urgency, d.ttl_s, d.status, d.attempts, d.next_attempt_ms,
                   d.created_at_ms);
    std::optional<int64_t> id;
    LATCHKEY_TRY(store::ForEachRow(st, [&](Statement& row) -> Status {
      id = row.ColumnInt64(0);
      return Status::Ok();
    }));
    if (!id) continue;  // queued before, or its subscription is gone
    PushDelivery stored = d;
    stored.id = static_cast<uint64_t>(*id);
    added.push_back(std::move(stored));
  }
  LATCHKEY_TRY(txn.Commit());
  return added;
} catch (const std::exception& e) {
  return Failure("push deliveries not stored", e);
}

Status HubStore::UpdatePushDelivery(const PushDelivery& d) try {
  LATCHKEY_TRY(CheckStatus(d.status));
  return store::ExecuteOne(*db_, "no push delivery " + std::to_string(d.id),
                           "UPDATE push_deliveries SET status = ?2, attempts = ?3, next_attempt = ?4 WHERE id = ?1",
                           static_cast<int64_t>(d.id), d.status, d.attempts, d.next_attempt_ms);
} catch (const std::exception& e) {
  return Failure("push delivery not stored", e);
}

Result<std::optional<PushDelivery>> HubStore::GetPushDelivery(uint64_t id) try {
  if (id > static_cast<uint64_t>(kMaxKey)) return std::optional<PushDelivery>();
  return store::QueryOne<PushDelivery>(*db_, std::string(kSelectDelivery) + "WHERE id = ?1", ReadDelivery,
                                       static_cast<int64_t>(id));
} catch (const std::exception& e) {
  return Failure("cannot read the push delivery", e);
}

Result<std::vector<PushDelivery>> HubStore::PendingPushDeliveries(std::size_t limit) try {
  if (limit == 0) return std::vector<PushDelivery>();
  return store::QueryAll<PushDelivery>(*db_, std::string(kSelectDelivery) + "WHERE status = 'pending' ORDER BY id LIMIT ?1",
                                       ReadDelivery, CapLimit(limit));
} catch (const std::exception& e) {
  return Failure("cannot list push deliveries", e);
}

Status HubStore::DeleteFinishedPushDeliveries(int64_t created_before_ms) try {
  return store::Execute(*db_, "DELETE FROM push_deliveries WHERE status != 'pending' AND created_at < ?1",
                        created_before_ms);
} catch (const std::exception& e) {
  return Failure("push deliveries not deleted", e);
}

}  // namespace latchkey::hub
