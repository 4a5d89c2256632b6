// About the hub itself: GET /metrics (Prometheus text, owner/admin, or any loopback client when
// HubOptions::metrics_open_on_loopback), GET /api/v1/openapi.yaml
// (the API description, embedded at build time; no auth), and the plain-HTTP answer of the
// WebSocket path /api/v1/stream.
#include <map>
#include <sstream>

#include "hub/api.h"
#include "hub/openapi_yaml.h"
#include "hub/stream.h"
#include "store/sqlite_db.h"

namespace latchkey::hub {
namespace {

// A label value in the exposition format: backslash, double quote and newline escaped.
std::string Label(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// `sql` returns (text, count) rows: the counts by text.
core::Result<std::map<std::string, int64_t>> CountBy(store::Database& db, std::string_view sql) {
  auto prepared = db.Prepare(sql);
  LATCHKEY_TRY(prepared);
  store::Statement& st = prepared.value();
  std::map<std::string, int64_t> out;
  while (true) {
    const auto step = st.Step();
    if (step == store::Statement::StepResult::kDone) break;
    if (step == store::Statement::StepResult::kError) return st.status();
    out[std::string(st.ColumnText(0))] = st.ColumnInt64(1);
  }
  return out;
}

void Metric(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

// The exposition text of every metric, answered with `respond`.
void Metrics(const MetaRoutes& ctx, Respond& respond) {
  auto locks = ctx.store.ListLocks();
  if (!locks.ok()) return respond(HttpResponse::Error(500, "internal", locks.status().message()));
  auto events = CountBy(ctx.store.database(), "SELECT lock, COUNT(*) FROM events GROUP BY lock");
  if (!events.ok()) return respond(HttpResponse::Error(500, "internal", events.status().message()));
  auto deliveries = CountBy(ctx.store.database(), "SELECT status, COUNT(*) FROM deliveries GROUP BY status");
  if (!deliveries.ok()) return respond(HttpResponse::Error(500, "internal", deliveries.status().message()));

  std::ostringstream out;
  Metric(out, "latchkey_locks", "gauge", "Locks paired with the hub.");
  out << "latchkey_locks " << locks->size() << '\n';
  Metric(out, "latchkey_locks_online", "gauge", "Paired locks connected to the hub now.");
  std::size_t online = 0;
  for (const LockRecord& r : *locks) online += ctx.sessions.online(r.id) ? 1 : 0;
  out << "latchkey_locks_online " << online << '\n';
  Metric(out, "latchkey_events_stored_total", "counter", "Events in the hub's mirror of each lock's log.");
  for (const LockRecord& r : *locks) {
    const auto it = events->find(r.id);
    out << "latchkey_events_stored_total{lock=\"" << Label(r.id) << "\"} " << (it == events->end() ? 0 : it->second)
        << '\n';
  }
  Metric(out, "latchkey_http_requests_total", "counter", "HTTP responses sent since the hub started, by status code.");
  for (const auto& [code, count] : ctx.router.ResponseCounts()) {
    out << "latchkey_http_requests_total{code=\"" << code << "\"} " << count << '\n';
  }
  Metric(out, "latchkey_stream_clients", "gauge", "Live WebSocket stream clients.");
  out << "latchkey_stream_clients " << ctx.stream.clients() << '\n';
  Metric(out, "latchkey_webhook_deliveries", "gauge", "Webhook deliveries in the store, by status.");
  for (const char* status : {"pending", "delivered", "failed"}) {
    const auto it = deliveries->find(status);
    out << "latchkey_webhook_deliveries{status=\"" << status << "\"} " << (it == deliveries->end() ? 0 : it->second)
        << '\n';
  }
  Metric(out, "latchkey_login_failures_total", "counter", "Logins refused for a wrong username or password since the hub started.");
  out << "latchkey_login_failures_total " << ctx.limiter.failures_total() << '\n';

  HttpResponse response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = out.str();
  respond(std::move(response));
}

}  // namespace

void RegisterMetaRoutes(MetaRoutes ctx, Router& router) {
  router.Add(http::verb::get, "/metrics", [ctx](HttpRequest& request, Respond respond) {
    if (MetricsOpenTo(ctx.metrics_open_on_loopback, request.client_address)) return Metrics(ctx, respond);
    api::Authenticated(ctx.gate, request, respond, [&](const Principal& p) {
      if (!p.MayManageLock()) return respond(api::Forbidden());
      Metrics(ctx, respond);
    });
  });

  router.Add(http::verb::get, "/api/v1/openapi.yaml", [](HttpRequest&, Respond respond) {
    HttpResponse response;
    response.content_type = "application/yaml";
    response.body = std::string(OpenApiYaml());
    respond(std::move(response));
  });

  // The stream is a WebSocket (HttpServer hands upgrades to Stream); a plain GET lands here.
  router.Add(http::verb::get, "/api/v1/stream", [](HttpRequest&, Respond respond) {
    respond(HttpResponse::Error(400, "invalid", "/api/v1/stream is a WebSocket: connect with 'Upgrade: websocket'"));
  });
}

}  // namespace latchkey::hub
