// HubStore: the events table, the mirror of every lock's event log. An event is decoded once
// (wire::EventEnvelopeFromJson, through DecodeEvent) into what the row keeps besides its body.
#include <utility>

#include "hub/hub_store_internal.h"

namespace latchkey::hub {

using namespace hub_store_internal;

namespace {

// A row of (lock, seq, body) as an event with "lock" set (HubStore::ParseStoredEvent).
Result<Json> ReadEvent(const Statement& row) {
  return HubStore::ParseStoredEvent(row.ColumnText(0), row.ColumnInt64(1), row.ColumnText(2));
}

// Every row of `st` (lock, seq, body) read by ReadEvent.
Result<std::vector<Json>> ReadEvents(Statement& st) {
  std::vector<Json> out;
  Status s = ForEachRow(st, [&out](Statement& row) -> Status {
    auto event = ReadEvent(row);
    LATCHKEY_TRY(event);
    out.push_back(std::move(event).value());
    return Status::Ok();
  });
  LATCHKEY_TRY(s);
  return out;
}

}  // namespace

Result<Json> HubStore::ParseStoredEvent(std::string_view lock, int64_t seq, std::string_view body_text) {
  const std::string where = "events row (" + std::string(lock) + ", " + std::to_string(seq) + ")";
  Json event = Json::parse(body_text.begin(), body_text.end(), nullptr, /*allow_exceptions=*/false);
  if (event.is_discarded()) return Status::IoError(where + ": stored JSON is not valid");
  if (!event.is_object()) return Status::IoError(where + ": stored body is not an object");
  const auto stored_seq = event.find("seq");
  if (stored_seq == event.end() || !stored_seq->is_number_integer() || stored_seq->get<int64_t>() != seq) {
    return Status::IoError(where + ": stored body has another seq");
  }
  event["lock"] = std::string(lock);
  return event;
}

Result<DecodedEvent> HubStore::DecodeEvent(const Json& event) {
  auto envelope = wire::EventEnvelopeFromJson(event);
  if (!envelope.ok()) {
    const std::string& why = envelope.status().message();
    return Status::Invalid(why.starts_with("event") ? why : "event " + why);
  }
  auto body = Dump(event, "event");
  LATCHKEY_TRY(body);
  return DecodedEvent{std::move(envelope).value(), std::move(body).value()};
}

Status HubStore::CheckEvent(const Json& event) {
  auto decoded = DecodeEvent(event);
  return decoded.ok() ? Status::Ok() : decoded.status();
}

Status HubStore::AppendEvent(const std::string& lock, const Json& event) {
  return AppendEvents(lock, std::span<const Json>(&event, 1));
}

Status HubStore::AppendEvents(const std::string& lock, std::span<const Json> events) try {
  // Everything is decoded before the transaction begins, so that a refused event leaves no
  // trace and the transaction only writes.
  std::vector<DecodedEvent> decoded;
  decoded.reserve(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    auto one = DecodeEvent(events[i]);
    if (!one.ok()) {
      if (events.size() == 1) return one.status();
      return Status::Invalid("event " + std::to_string(i + 1) + " of " + std::to_string(events.size()) + ": " +
                             one.status().message());
    }
    decoded.push_back(std::move(one).value());
  }
  return AppendEvents(lock, std::span<const DecodedEvent>(decoded));
} catch (const std::exception& e) {
  return Failure("events not stored", e);
}

Status HubStore::AppendEvents(const std::string& lock, std::span<const DecodedEvent> events) try {
  int64_t max_seq = 0;
  for (const DecodedEvent& event : events) {
    // (DecodeEvent keeps seq within 1..2^63-1; a hand-made one is checked here.)
    if (event.envelope.seq == 0 || event.envelope.seq > static_cast<uint64_t>(kMaxKey)) {
      return Status::Invalid("event seq: out of range");
    }
    max_seq = std::max(max_seq, static_cast<int64_t>(event.envelope.seq));
  }
  auto begun = Transaction::Begin(*db_);
  if (!begun.ok()) return Status::IoError("events not stored: " + begun.status().message());
  Transaction txn = std::move(begun).value();
  // The lock first: an unknown one is refused before anything is written.
  if (Status s = store::ExecuteOne(*db_, "no lock '" + lock + "'",
                                   "UPDATE locks SET acked_seq = max(acked_seq, ?2) WHERE id = ?1", lock, max_seq);
      !s.ok()) {
    return s;
  }
  // OR IGNORE: an event already stored (sent again after a lost ack) is skipped, not an error.
  // One statement for the batch, reused row after row.
  auto insert =
      db_->Prepare("INSERT OR IGNORE INTO events(lock, seq, time, kind, user, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  LATCHKEY_TRY(insert);
  for (const DecodedEvent& event : events) {
    const wire::EventEnvelope& e = event.envelope;
    // "all" (every user) has no single user to filter on: NULL, like no user.
    const std::optional<int64_t> user =
        e.user && !e.user->all ? std::optional<int64_t>(e.user->index) : std::nullopt;
    store::BindAll(insert.value(), lock, static_cast<int64_t>(e.seq), e.time_ms, e.kind, user, event.body);
    if (Status s = insert.value().Run(); !s.ok()) return Status::IoError("events not stored: " + s.message());
  }
  if (Status s = txn.Commit(); !s.ok()) return Status::IoError("events not stored: " + s.message());
  return Status::Ok();
} catch (const std::exception& e) {
  return Failure("events not stored", e);
}

namespace {

// Events()'s statement for `query`, bound; nullopt when no row can match.
Result<std::optional<Statement>> PrepareEvents(store::Database& db, const EventQuery& query) {
  if (query.limit == 0 || query.after >= static_cast<uint64_t>(kMaxKey)) return std::optional<Statement>();
  std::string sql = "SELECT lock, seq, body FROM events WHERE lock = ?1 AND seq > ?2";
  if (query.kind) sql += " AND kind = ?4";
  if (query.user) sql += " AND user = ?5";
  sql += " ORDER BY seq LIMIT ?3";
  auto prepared = store::PrepareBound(db, sql, query.lock, static_cast<int64_t>(query.after), CapLimit(query.limit));
  LATCHKEY_TRY(prepared);
  Statement& st = prepared.value();
  if (query.kind) st.Bind(4, *query.kind);
  if (query.user) st.Bind(5, int64_t{*query.user});
  return std::optional<Statement>(std::move(prepared).value());
}

}  // namespace

Result<std::vector<Json>> HubStore::Events(const EventQuery& query) try {
  auto prepared = PrepareEvents(*db_, query);
  LATCHKEY_TRY(prepared);
  std::optional<Statement>& st = prepared.value();
  if (!st) return std::vector<Json>();
  return ReadEvents(*st);
} catch (const std::exception& e) {
  return Failure("cannot read events", e);
}

Result<std::vector<StoredEvent>> HubStore::EventRows(const EventQuery& query) try {
  auto prepared = PrepareEvents(*db_, query);
  LATCHKEY_TRY(prepared);
  std::vector<StoredEvent> out;
  std::optional<Statement>& st = prepared.value();
  if (!st) return out;
  Status s = ForEachRow(*st, [&out](Statement& row) -> Status {
    out.push_back(StoredEvent{std::string(row.ColumnText(0)), static_cast<uint64_t>(row.ColumnInt64(1)),
                              std::string(row.ColumnText(2))});
    return Status::Ok();
  });
  LATCHKEY_TRY(s);
  return out;
} catch (const std::exception& e) {
  return Failure("cannot read events", e);
}

std::string HubStore::RecentEventsSql(const RecentEventQuery& query) {
  // A walk back along events_by_time that stops at the limit, whatever the history's size: the
  // "+" keeps the planner from fetching every event of each lock by its key and sorting them all,
  // and the order (lock last, for a tie in time and seq) is that index's, read backwards. The
  // filters are checked on the way; a rare kind costs a longer walk, never a sort.
  std::string sql = "SELECT lock, seq, body FROM events WHERE +lock IN (SELECT value FROM json_each(?1))";
  if (query.before_ms > 0) sql += " AND time < ?3";
  if (query.before) sql += " AND (time, seq, lock) < (?4, ?5, ?6)";
  if (query.kind) sql += " AND kind = ?7";
  if (query.user) sql += " AND user = ?8";
  // (An event's actor is the name of the account behind a remote command or change.) The
  // expression is events_by_actor's, so that the walk goes along that index, one account's
  // events only, in the same order.
  if (query.actor) sql += " AND json_extract(body, '$.actor') = ?9";
  sql += " ORDER BY time DESC, seq DESC, lock DESC LIMIT ?2";
  return sql;
}

Result<std::vector<Json>> HubStore::RecentEvents(const RecentEventQuery& query) try {
  if (query.locks.empty() || query.limit == 0) return std::vector<Json>();
  auto list = DumpList(query.locks, "locks");
  LATCHKEY_TRY(list);
  // The optional parameters are bound only when the statement has them.
  auto prepared = store::PrepareBound(*db_, RecentEventsSql(query), *list, CapLimit(query.limit));
  LATCHKEY_TRY(prepared);
  Statement& st = prepared.value();
  if (query.before_ms > 0) st.Bind(3, query.before_ms);
  if (query.before) {
    st.Bind(4, query.before->time_ms);
    st.Bind(5, static_cast<int64_t>(std::min<uint64_t>(query.before->seq, kMaxKey)));
    st.Bind(6, query.before->lock);
  }
  if (query.kind) st.Bind(7, *query.kind);
  if (query.user) st.Bind(8, static_cast<int64_t>(*query.user));
  if (query.actor) st.Bind(9, *query.actor);
  return ReadEvents(st);
} catch (const std::exception& e) {
  return Failure("cannot read events", e);
}

Result<std::vector<Json>> HubStore::AllEvents(const std::string& lock) try {
  return store::QueryAll<Json>(*db_, "SELECT lock, seq, body FROM events WHERE lock = ?1 ORDER BY seq", ReadEvent, lock);
} catch (const std::exception& e) {
  return Failure("cannot read events", e);
}

}  // namespace latchkey::hub
