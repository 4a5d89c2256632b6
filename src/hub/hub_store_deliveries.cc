// HubStore: the deliveries table (one row per mirrored event per webhook, and how far it got).
#include <utility>

#include "hub/hub_store_internal.h"

namespace latchkey::hub {

using namespace hub_store_internal;

namespace {

constexpr std::string_view kSelectDelivery =
    "SELECT id, webhook, lock, seq, status, attempts, next_attempt, last_error, created_at FROM deliveries ";

Delivery ReadDelivery(const Statement& row) {
  Delivery d;
  d.id = std::string(row.ColumnText(0));
  d.webhook = std::string(row.ColumnText(1));
  d.lock = std::string(row.ColumnText(2));
  d.seq = static_cast<uint64_t>(std::max<int64_t>(row.ColumnInt64(3), 0));
  d.status = std::string(row.ColumnText(4));
  d.attempts =
      static_cast<uint32_t>(std::clamp<int64_t>(row.ColumnInt64(5), 0, int64_t{std::numeric_limits<uint32_t>::max()}));
  d.next_attempt_ms = row.ColumnInt64(6);
  d.last_error = std::string(row.ColumnText(7));
  d.created_at_ms = row.ColumnInt64(8);
  return d;
}

// The deliveries selected by `where_order` ("WHERE ... ORDER BY ...", its parameter ?1 being
// `key`), at most min(limit, 1000).
template <typename Key>
Result<std::vector<Delivery>> QueryDeliveries(Database& db, std::string_view where_order, const Key& key,
                                              std::size_t limit) {
  if (limit == 0) return std::vector<Delivery>();
  return store::QueryAll<Delivery>(db, std::string(kSelectDelivery) + std::string(where_order) + " LIMIT ?2",
                                   ReadDelivery, key, CapLimit(limit));
}

Status CheckDelivery(const Delivery& d) {
  if (d.id.empty()) return Status::Invalid("delivery id: must not be empty");
  if (!OneOf(d.status, {"pending", "delivered", "failed"})) {
    return Status::Invalid("delivery status: '" + d.status + "' is unknown");
  }
  return Status::Ok();
}

}  // namespace

Status HubStore::PutDelivery(const Delivery& delivery) try {
  LATCHKEY_TRY(CheckDelivery(delivery));
  if (delivery.seq == 0 || delivery.seq > static_cast<uint64_t>(kMaxKey)) {
    return Status::Invalid("delivery seq: out of range");
  }
  const auto seq = static_cast<int64_t>(delivery.seq);
  auto begun = Transaction::Begin(*db_);
  LATCHKEY_TRY(begun);
  Transaction txn = std::move(begun).value();
  auto webhook = store::Exists(*db_, "SELECT 1 FROM webhooks WHERE id = ?1", delivery.webhook);
  LATCHKEY_TRY(webhook);
  if (!*webhook) return Status::NotFound("no webhook '" + delivery.webhook + "'");
  auto event = store::Exists(*db_, "SELECT 1 FROM events WHERE lock = ?1 AND seq = ?2", delivery.lock, seq);
  LATCHKEY_TRY(event);
  if (!*event) return Status::NotFound("no event " + std::to_string(delivery.seq) + " of lock '" + delivery.lock + "'");
  if (Status s = store::Execute(
          *db_,
          "INSERT INTO deliveries(id, webhook, lock, seq, status, attempts, next_attempt, last_error, created_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
          delivery.id, delivery.webhook, delivery.lock, seq, delivery.status, delivery.attempts,
          delivery.next_attempt_ms, delivery.last_error, delivery.created_at_ms);
      !s.ok()) {
    return s;
  }
  return txn.Commit();
} catch (const std::exception& e) {
  return Failure("delivery not stored", e);
}

Status HubStore::UpdateDelivery(const Delivery& delivery) try {
  LATCHKEY_TRY(CheckDelivery(delivery));
  return store::ExecuteOne(
      *db_, "no delivery '" + delivery.id + "'",
      "UPDATE deliveries SET status = ?2, attempts = ?3, next_attempt = ?4, last_error = ?5 WHERE id = ?1",
      delivery.id, delivery.status, delivery.attempts, delivery.next_attempt_ms, delivery.last_error);
} catch (const std::exception& e) {
  return Failure("delivery not stored", e);
}

Result<std::vector<Delivery>> HubStore::ListDeliveries(const std::string& webhook, std::size_t limit) try {
  return QueryDeliveries(*db_, "WHERE webhook = ?1 ORDER BY created_at DESC, rowid DESC", webhook, limit);
} catch (const std::exception& e) {
  return Failure("cannot list deliveries", e);
}

Result<std::vector<Delivery>> HubStore::PendingDeliveries(std::size_t limit) try {
  if (limit == 0) return std::vector<Delivery>();
  return store::QueryAll<Delivery>(
      *db_,
      "SELECT id, webhook, lock, seq, status, attempts, next_attempt, last_error, created_at FROM ("
      "SELECT *, rowid AS row, row_number() OVER (PARTITION BY webhook, lock ORDER BY seq) AS place "
      "FROM deliveries WHERE status = 'pending') ORDER BY place, created_at, row LIMIT ?1",
      ReadDelivery, CapLimit(limit));
} catch (const std::exception& e) {
  return Failure("cannot list deliveries", e);
}

}  // namespace latchkey::hub
