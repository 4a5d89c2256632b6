// HubStore: the webhooks table (a webhook takes its deliveries with it).
#include <utility>

#include "hub/hub_store_internal.h"

namespace latchkey::hub {

using namespace hub_store_internal;

Status HubStore::PutWebhook(const Webhook& webhook) try {
  if (webhook.id.empty()) return Status::Invalid("webhook id: must not be empty");
  if (webhook.url.empty()) return Status::Invalid("url: must not be empty");
  auto kinds = DumpOptionalList(webhook.kinds, "kinds");
  LATCHKEY_TRY(kinds);
  return store::Execute(
      *db_,
      "INSERT INTO webhooks(id, url, kinds, secret, created_at) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(id) DO UPDATE SET url = excluded.url, kinds = excluded.kinds, secret = excluded.secret, "
      "created_at = excluded.created_at",
      webhook.id, webhook.url, *kinds, webhook.secret, webhook.created_at_ms);
} catch (const std::exception& e) {
  return Failure("webhook not stored", e);
}

Result<std::vector<Webhook>> HubStore::ListWebhooks() try {
  return store::QueryAll<Webhook>(
      *db_, "SELECT id, url, kinds, secret, created_at FROM webhooks ORDER BY created_at, id",
      [](const Statement& row) -> Result<Webhook> {
        Webhook w;
        w.id = std::string(row.ColumnText(0));
        w.url = std::string(row.ColumnText(1));
        auto kinds = ColumnList(row, 2, "webhooks row " + w.id);
        LATCHKEY_TRY(kinds);
        w.kinds = std::move(kinds).value();
        w.secret = std::string(row.ColumnText(3));
        w.created_at_ms = row.ColumnInt64(4);
        return w;
      });
} catch (const std::exception& e) {
  return Failure("cannot list webhooks", e);
}

Status HubStore::DeleteWebhook(const std::string& id) try {
  return store::ExecuteOne(*db_, "no webhook '" + id + "'", "DELETE FROM webhooks WHERE id = ?1", id);
} catch (const std::exception& e) {
  return Failure("webhook not deleted", e);
}

}  // namespace latchkey::hub
