// `history LOCK [--kind K] [--user N] [--limit N] [--after SEQ] [--follow]`: a lock's events
// from the hub's mirror (GET .../events), and with --follow the new ones as they happen, from
// the live stream (GET /api/v1/stream), reconnecting with ?after=LOCK:SEQ when it drops.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <set>
#include <thread>

#include "cli/client_commands.h"
#include "cli/table.h"

namespace latchkey::cli {

namespace {

const std::vector<std::string> kKinds = {"lock_operation", "lock_operation_error", "alarm", "door_state", "change",
                                         "power"};
// Widths that most rows fit, so that rows printed later by --follow line up with the first ones.
const std::vector<std::size_t> kFollowWidths = {5, 24, 20, 18, 16, 4, 18};

std::vector<std::string> EventRow(const Json& e) {
  const std::string kind = JsonText(e, "kind");
  std::string what;
  std::string result;
  if (kind == "lock_operation" || kind == "lock_operation_error") {
    what = JsonText(e, "operation");
    result = kind == "lock_operation" ? "ok" : JsonText(e, "error");
  } else if (kind == "alarm") {
    what = JsonText(e, "alarm");
    if (e.contains("count")) what += " (" + JsonText(e, "count") + ")";
  } else if (kind == "door_state") {
    what = "door " + JsonText(e, "door_state");
  } else if (kind == "change") {
    what = JsonText(e, "data_type") + " " + JsonText(e, "operation");
    if (e.contains("index")) what += " " + JsonText(e, "index");
  } else if (kind == "power") {
    what = e.value("external_power", false) ? "external power on" : "external power off";
  } else {
    what = "-";
  }
  if (e.contains("credential") && e["credential"].is_object()) {
    const Json& credential = e["credential"];
    if (credential.value("type", "") == "offline_code") {
      // An offline code has no slot: it is named by its window.
      what += " (offline_code " + JsonText(credential, "start") + " " + JsonText(credential, "duration") + " h)";
    } else if (credential.value("type", "") == "phone_key") {
      what += " (phone_key #" + JsonText(credential, "serial") + ")";
    } else {
      what += " (" + JsonText(credential, "type") + " " + JsonText(credential, "index") + ")";
    }
  }
  std::string source = JsonText(e, "source");
  if (e.contains("actor") && e["actor"].is_string()) source += " by " + e["actor"].get<std::string>();
  return {JsonText(e, "seq"),  JsonText(e, "time"),          kind, what, source,
          JsonText(e, "user"), result.empty() ? "-" : result};
}

Table HistoryTable() {
  Table table({"SEQ", "TIME", "KIND", "EVENT", "SOURCE", "USER", "RESULT"});
  table.AlignRight(0);
  table.AlignRight(5);
  return table;
}

}  // namespace

void ClientCommands::RegisterHistory(CLI::App& app) {
  CLI::App* cmd =
      Add(app.add_subcommand("history", "Show a lock's events (newest last); --follow keeps printing new ones"),
          [this] { return History(); });
  cmd->add_option("LOCK", lock_, "The lock's id or name")->required();
  cmd->add_option("--kind", kind_, "Only events of this kind")->check(CLI::IsMember(kKinds));
  cmd->add_option("--user", user_, "Only events of this lock user (index)");
  cmd->add_option("--limit", limit_, "How many past events (default 20; 0: all)");
  cmd->add_option("--after", after_, "The events after this seq (oldest first) instead of the latest ones");
  cmd->add_flag("--follow,-f", follow_, "Then keep printing new events as they happen (Ctrl-C stops)");
}

bool ClientCommands::Matches(const Json& event) const {
  if (!kind_.empty() && event.value("kind", "") != kind_) return false;
  if (Given("--user") && !(event.contains("user") && event["user"] == Json(user_))) return false;
  return true;
}

int ClientCommands::History() {
  const ApiClient client = Connect();
  const Json lock = FindLock(client);
  const std::string id = JsonText(lock, "id", "");
  const uint64_t last_seq = lock.value("last_event_seq", uint64_t{0});
  std::string filter;
  if (!kind_.empty()) filter += "&kind=" + UrlEncode(kind_);
  if (Given("--user")) filter += "&user=" + std::to_string(user_);
  const bool from_after = Given("--after");
  const std::size_t limit = limit_ == 0 ? SIZE_MAX : limit_;

  // The latest `limit` matching events: without filters they are the last seqs; with them, the
  // mirror is read from the start. With --after: the first `limit` after that seq.
  uint64_t after = from_after ? after_ : filter.empty() && limit_ != 0 && last_seq > limit_ ? last_seq - limit_ : 0;
  uint64_t cursor = std::max(after, last_seq);
  std::deque<Json> events;
  while (!(from_after && events.size() >= limit)) {
    const Json page = client.Get(LockPath(lock, "/events?after=" + std::to_string(after) + "&limit=1000" + filter));
    if (!page.contains("events") || !page["events"].is_array()) {
      throw ApiError(200, "bad_answer", "no events in the answer");
    }
    for (const Json& e : page["events"]) {
      events.push_back(e);
      if (!from_after && events.size() > limit) events.pop_front();
    }
    const uint64_t next = page.value("next_after", after);
    cursor = std::max(cursor, next);
    if (page["events"].empty() || next <= after) break;
    after = next;
  }
  if (from_after && events.size() > limit) {
    events.resize(limit);
    cursor = events.back().value("seq", cursor);  // --follow goes on from the last one shown
  }

  Table table = HistoryTable();
  for (const Json& e : events) table.Add(EventRow(e));
  const std::vector<std::size_t> widths = table.Widths(follow_ ? kFollowWidths : std::vector<std::size_t>{});
  if (json_ && follow_) {
    for (const Json& e : events) std::printf("%s\n", e.dump().c_str());
  } else if (json_) {
    PrintJson(Json{{"events", Json(std::vector<Json>(events.begin(), events.end()))}, {"next_after", cursor}});
  } else if (events.empty() && !follow_) {
    std::printf("No events%s.\n", filter.empty() ? "" : " match");
  } else {
    std::fputs(table.Format(table.headers(), widths).c_str(), stdout);
    for (const Json& e : events) std::fputs(table.Format(EventRow(e), widths).c_str(), stdout);
  }
  std::fflush(stdout);
  if (follow_) Follow(client, id, cursor, table, widths);
  return 0;
}

void ClientCommands::Follow(const ApiClient& client, const std::string& lock_id, uint64_t cursor, const Table& table,
                            const std::vector<std::size_t>& widths) {
  // Every event up to `cursor` has been handled; `seen` holds the handled ones above it (a
  // reconnect's catch-up and the live events may arrive out of order, never twice on screen).
  std::set<uint64_t> seen;
  auto backoff = std::chrono::milliseconds(500);
  while (true) {
    const std::string query =
        "token=" + UrlEncode(client.token()) + "&after=" + UrlEncode(lock_id + ":" + std::to_string(cursor));
    std::string why;
    try {
      StreamConnection stream(client.url(), query);
      backoff = std::chrono::milliseconds(500);
      while (const auto message = stream.Read(&why)) {
        const Json m = Json::parse(*message, nullptr, false);
        if (!m.is_object() || m.value("type", "") != "event" || m.value("lock", "") != lock_id) continue;
        const Json& e = m["event"];
        const uint64_t seq = e.value("seq", uint64_t{0});
        if (seq <= cursor || !seen.insert(seq).second) continue;
        while (seen.contains(cursor + 1)) seen.erase(++cursor);
        if (!Matches(e)) continue;
        if (json_) {
          std::printf("%s\n", e.dump().c_str());
        } else {
          std::fputs(table.Format(EventRow(e), widths).c_str(), stdout);
        }
        std::fflush(stdout);
      }
      std::fprintf(stderr, "latchkey: the event stream dropped (%s); ", why.c_str());
    } catch (const ApiError& e) {
      // Refused for good (a revoked token, a lock gone): stop. Unreachable or busy: try again.
      if (e.status() != 0 && e.status() < 500) throw;
      std::fprintf(stderr, "%s; ", e.Describe().c_str());
    }
    std::fprintf(stderr, "reconnecting in %.1f s\n", static_cast<double>(backoff.count()) / 1000);
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(10000));
  }
}

}  // namespace latchkey::cli
