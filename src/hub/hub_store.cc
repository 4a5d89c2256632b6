#include "hub/hub_store.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <limits>
#include <utility>

namespace latchkey::hub {

using core::Result;
using core::Status;
using store::Database;
using store::Statement;
using store::Transaction;

namespace {

// Version 1. STRICT makes SQLite enforce the column types; JSON columns are checked to be JSON.
// Foreign keys (on in every connection the store layer opens) carry the deletions: an account
// takes its tokens, a lock its mirrored events, an event or a webhook its deliveries.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE accounts(
  username TEXT NOT NULL PRIMARY KEY,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  locks TEXT CHECK (locks IS NULL OR json_valid(locks)),
  valid_from INTEGER,
  valid_until INTEGER,
  created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE tokens(
  id TEXT NOT NULL PRIMARY KEY,
  hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
  username TEXT NOT NULL REFERENCES accounts(username) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  role TEXT,
  locks TEXT CHECK (locks IS NULL OR json_valid(locks)),
  expires_at INTEGER,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX tokens_by_username ON tokens(username);
CREATE TABLE locks(
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  address TEXT NOT NULL,
  lock_key BLOB NOT NULL CHECK (length(lock_key) = 32),
  simulated INTEGER NOT NULL CHECK (simulated IN (0, 1)),
  sim_control_url TEXT NOT NULL,
  acked_seq INTEGER NOT NULL DEFAULT 0 CHECK (acked_seq >= 0),
  state TEXT NOT NULL CHECK (json_valid(state)),
  created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE events(
  lock TEXT NOT NULL REFERENCES locks(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL CHECK (seq >= 1),
  time INTEGER NOT NULL,
  kind TEXT NOT NULL,
  user INTEGER,
  body TEXT NOT NULL CHECK (json_valid(body)),
  PRIMARY KEY (lock, seq)
) WITHOUT ROWID, STRICT;
CREATE INDEX events_by_kind ON events(lock, kind);
CREATE INDEX events_by_time ON events(time, seq);
CREATE TABLE webhooks(
  id TEXT NOT NULL PRIMARY KEY,
  url TEXT NOT NULL,
  kinds TEXT CHECK (kinds IS NULL OR json_valid(kinds)),
  secret TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE deliveries(
  id TEXT NOT NULL PRIMARY KEY,
  webhook TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  lock TEXT NOT NULL,
  seq INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL CHECK (attempts >= 0),
  next_attempt INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (webhook, lock, seq),
  FOREIGN KEY (lock, seq) REFERENCES events(lock, seq) ON DELETE CASCADE
) STRICT;
CREATE INDEX deliveries_by_event ON deliveries(lock, seq);
CREATE INDEX deliveries_due ON deliveries(status, next_attempt);
)sql";

constexpr std::array<std::string_view, 1> kSteps{kSchemaV1};

constexpr std::size_t kMaxLimit = 1000;
constexpr int64_t kMaxKey = std::numeric_limits<int64_t>::max();

int64_t CapLimit(std::size_t limit) { return static_cast<int64_t>(std::min(limit, kMaxLimit)); }

Status Failure(std::string_view what, const std::exception& e) {
  return Status::IoError(std::string(what) + ": " + e.what());
}

bool OneOf(std::string_view value, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

bool IsRole(std::string_view role) { return OneOf(role, {"owner", "admin", "member", "guest"}); }

// JSON text of `value`; a string that is not UTF-8 makes it kInvalid (nlohmann throws on it).
Result<std::string> Dump(const Json& value, std::string_view what) {
  try {
    return value.dump();
  } catch (const std::exception& e) {
    return Status::Invalid(std::string(what) + ": cannot be stored as JSON: " + e.what());
  }
}

Result<std::string> DumpList(const std::vector<std::string>& list, std::string_view what) {
  try {
    return Dump(Json(list), what);
  } catch (const std::exception& e) {
    return Status::Invalid(std::string(what) + ": " + e.what());
  }
}

// Binds an optional list as its JSON text, or NULL.
Status BindList(Statement& st, int index, const std::optional<std::vector<std::string>>& list, std::string_view what) {
  if (!list) {
    st.BindNull(index);
    return Status::Ok();
  }
  auto text = DumpList(*list, what);
  if (!text.ok()) return text.status();
  st.Bind(index, *text);
  return Status::Ok();
}

void BindOptional(Statement& st, int index, const std::optional<int64_t>& value) {
  if (value) {
    st.Bind(index, *value);
  } else {
    st.BindNull(index);
  }
}

void BindOptional(Statement& st, int index, const std::optional<std::string>& value) {
  if (value) {
    st.Bind(index, *value);
  } else {
    st.BindNull(index);
  }
}

std::optional<int64_t> ColumnOptionalInt(const Statement& st, int column) {
  if (st.ColumnIsNull(column)) return std::nullopt;
  return st.ColumnInt64(column);
}

// A stored JSON column; anything but valid JSON is kIoError naming `where`.
Result<Json> ColumnJson(const Statement& st, int column, const std::string& where) {
  const std::string_view text = st.ColumnText(column);
  Json json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Status::IoError(where + ": stored JSON is not valid");
  return json;
}

// A stored list of strings (NULL: absent).
Result<std::optional<std::vector<std::string>>> ColumnList(const Statement& st, int column, const std::string& where) {
  if (st.ColumnIsNull(column)) return std::optional<std::vector<std::string>>();
  auto json = ColumnJson(st, column, where);
  if (!json.ok()) return json.status();
  if (!json->is_array()) return Status::IoError(where + ": stored list is not an array");
  std::vector<std::string> out;
  for (const Json& item : *json) {
    if (!item.is_string()) return Status::IoError(where + ": stored list holds a non-string");
    out.push_back(item.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}


// Whether a row matches a one-parameter query such as "SELECT 1 FROM t WHERE id = ?1".
Result<bool> Exists(Database& db, std::string_view sql, std::string_view key) {
  auto prepared = db.Prepare(sql);
  if (!prepared.ok()) return prepared.status();
  Statement& st = prepared.value();
  st.Bind(1, key);
  bool found = false;
  Status s = ForEachRow(st, [&found](Statement&) {
    found = true;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return found;
}

// Runs a one-row DELETE or UPDATE; no row changed is kNotFound.
Status RunOne(Database& db, Statement& st, const std::string& missing) {
  if (Status s = st.Run(); !s.ok()) return s;
  if (db.changes() == 0) return Status::NotFound(missing);
  return Status::Ok();
}

Status DeleteById(Database& db, std::string_view sql, const std::string& id, const std::string& missing) {
  auto prepared = db.Prepare(sql);
  if (!prepared.ok()) return prepared.status();
  prepared.value().Bind(1, id);
  return RunOne(db, prepared.value(), missing);
}

// --- events ----------------------------------------------------------------------------------

// What the events table keeps of an event besides its body.
struct EventKey {
  int64_t seq = 0;
  int64_t time = 0;
  std::string kind;
  std::optional<int64_t> user;  // absent or "all": NULL
};

Result<EventKey> ParseEvent(const Json& event) {
  if (!event.is_object()) return Status::Invalid("event: must be an object");
  EventKey key;
  const auto seq = event.find("seq");
  if (seq == event.end() || !seq->is_number_integer()) return Status::Invalid("event seq: must be an integer");
  if (seq->is_number_unsigned()) {
    const auto v = seq->get<uint64_t>();
    if (v == 0 || v > static_cast<uint64_t>(kMaxKey)) return Status::Invalid("event seq: out of range");
    key.seq = static_cast<int64_t>(v);
  } else {
    key.seq = seq->get<int64_t>();
    if (key.seq < 1) return Status::Invalid("event seq: out of range");
  }
  const auto time = event.find("time");
  if (time == event.end() || !time->is_number_integer()) return Status::Invalid("event time: must be an integer");
  if (time->is_number_unsigned()) {
    const auto v = time->get<uint64_t>();
    if (v > static_cast<uint64_t>(kMaxKey)) return Status::Invalid("event time: out of range");
    key.time = static_cast<int64_t>(v);
  } else {
    key.time = time->get<int64_t>();
  }
  const auto kind = event.find("kind");
  if (kind == event.end() || !kind->is_string() || kind->get_ref<const std::string&>().empty()) {
    return Status::Invalid("event kind: must be a non-empty string");
  }
  key.kind = kind->get<std::string>();
  if (const auto user = event.find("user"); user != event.end()) {
    if (user->is_string() && user->get_ref<const std::string&>() == "all") {
      // every user: no single one to filter on
    } else if (user->is_number_integer()) {
      const bool in_range =
          user->is_number_unsigned()
              ? user->get<uint64_t>() <= std::numeric_limits<uint32_t>::max()
              : user->get<int64_t>() >= 0 && user->get<int64_t>() <= int64_t{std::numeric_limits<uint32_t>::max()};
      if (!in_range) return Status::Invalid("event user: out of range");
      key.user = user->get<int64_t>();
    } else {
      return Status::Invalid("event user: must be a user index or \"all\"");
    }
  }
  return key;
}

// Rows of (lock, seq, body) into events with "lock" set; a body that is not an object, or
// whose seq disagrees with its row, is kIoError.
Status ReadEvents(Statement& st, std::vector<Json>* out) {
  Status s = ForEachRow(st, [out](Statement& row) -> Status {
    const std::string lock(row.ColumnText(0));
    const int64_t seq = row.ColumnInt64(1);
    const std::string where = "events row (" + lock + ", " + std::to_string(seq) + ")";
    auto body = ColumnJson(row, 2, where);
    if (!body.ok()) return body.status();
    Json& event = body.value();
    if (!event.is_object()) return Status::IoError(where + ": stored body is not an object");
    const auto stored_seq = event.find("seq");
    if (stored_seq == event.end() || !stored_seq->is_number_integer() || stored_seq->get<int64_t>() != seq) {
      return Status::IoError(where + ": stored body has another seq");
    }
    event["lock"] = lock;
    out->push_back(std::move(event));
    return Status::Ok();
  });
  if (!s.ok()) out->clear();
  return s;
}

// --- row readers -----------------------------------------------------------------------------

constexpr std::string_view kAccountColumns =
    "username, password_hash, role, locks, valid_from, valid_until, created_at";

Result<Account> ReadAccount(const Statement& row) {
  Account a;
  a.username = std::string(row.ColumnText(0));
  a.password_hash = std::string(row.ColumnText(1));
  a.role = std::string(row.ColumnText(2));
  auto locks = ColumnList(row, 3, "accounts row " + a.username);
  if (!locks.ok()) return locks.status();
  a.locks = std::move(locks).value();
  a.valid_from_ms = ColumnOptionalInt(row, 4);
  a.valid_until_ms = ColumnOptionalInt(row, 5);
  a.created_at_ms = row.ColumnInt64(6);
  return a;
}

constexpr std::string_view kTokenColumns = "id, username, kind, name, role, locks, expires_at, created_at";

Result<TokenRecord> ReadToken(const Statement& row) {
  TokenRecord t;
  t.id = std::string(row.ColumnText(0));
  t.username = std::string(row.ColumnText(1));
  t.kind = std::string(row.ColumnText(2));
  t.name = std::string(row.ColumnText(3));
  if (!row.ColumnIsNull(4)) t.role = std::string(row.ColumnText(4));
  auto locks = ColumnList(row, 5, "tokens row " + t.id);
  if (!locks.ok()) return locks.status();
  t.locks = std::move(locks).value();
  t.expires_at_ms = ColumnOptionalInt(row, 6);
  t.created_at_ms = row.ColumnInt64(7);
  return t;
}

constexpr std::string_view kDeliveryColumns =
    "id, webhook, lock, seq, status, attempts, next_attempt, last_error, created_at";

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

// The deliveries selected by `where_order` ("WHERE ... ORDER BY ...", its parameter ?1 bound by
// `bind`), at most min(limit, 1000).
template <typename Bind>
Result<std::vector<Delivery>> QueryDeliveries(Database& db, std::string_view where_order, Bind bind,
                                              std::size_t limit) {
  std::vector<Delivery> out;
  if (limit == 0) return out;
  auto prepared = db.Prepare("SELECT " + std::string(kDeliveryColumns) + " FROM deliveries " +
                             std::string(where_order) + " LIMIT ?2");
  if (!prepared.ok()) return prepared.status();
  Statement& st = prepared.value();
  bind(st);
  st.Bind(2, CapLimit(limit));
  Status s = ForEachRow(st, [&out](Statement& row) {
    out.push_back(ReadDelivery(row));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace

std::span<const std::string_view> HubStore::SchemaSteps() { return kSteps; }

Result<std::unique_ptr<HubStore>> HubStore::Open(const std::string& path) try {
  auto opened = Database::Open(path);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<Database> db = std::move(opened).value();
  if (Status s = store::Migrate(*db, kSteps); !s.ok()) return s;
  return std::unique_ptr<HubStore>(new HubStore(std::move(db)));
} catch (const std::exception& e) {
  return Failure("cannot open hub store " + path, e);
}

// --- accounts --------------------------------------------------------------------------------

Status HubStore::PutAccount(const Account& account) try {
  if (account.username.empty()) return Status::Invalid("username: must not be empty");
  if (!IsRole(account.role)) return Status::Invalid("role: '" + account.role + "' is not a role");
  auto prepared = db_->Prepare(
      "INSERT INTO accounts(username, password_hash, role, locks, valid_from, valid_until, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(username) DO UPDATE SET "
      "password_hash = excluded.password_hash, role = excluded.role, locks = excluded.locks, "
      "valid_from = excluded.valid_from, valid_until = excluded.valid_until, created_at = excluded.created_at");
  if (!prepared.ok()) return prepared.status();
  Statement& st = prepared.value();
  st.Bind(1, account.username);
  st.Bind(2, account.password_hash);
  st.Bind(3, account.role);
  if (Status s = BindList(st, 4, account.locks, "locks"); !s.ok()) return s;
  BindOptional(st, 5, account.valid_from_ms);
  BindOptional(st, 6, account.valid_until_ms);
  st.Bind(7, account.created_at_ms);
  return st.Run();
} catch (const std::exception& e) {
  return Failure("account not stored", e);
}

Result<std::optional<Account>> HubStore::GetAccount(const std::string& username) try {
  auto prepared = db_->Prepare("SELECT " + std::string(kAccountColumns) + " FROM accounts WHERE username = ?1");
  if (!prepared.ok()) return prepared.status();
  Statement& st = prepared.value();
  st.Bind(1, username);
  std::optional<Account> found;
  Status s = ForEachRow(st, [&found](Statement& row) {
    auto account = ReadAccount(row);
    if (!account.ok()) return account.status();
    found = std::move(account).value();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return found;
} catch (const std::exception& e) {
  return Failure("cannot read account", e);
}

Result<std::vector<Account>> HubStore::ListAccounts() try {
  auto prepared = db_->Prepare("SELECT " + std::string(kAccountColumns) + " FROM accounts ORDER BY username");
  if (!prepared.ok()) return prepared.status();
  std::vector<Account> out;
  Status s = ForEachRow(prepared.value(), [&out](Statement& row) {
    auto account = ReadAccount(row);
    if (!account.ok()) return account.status();
    out.push_back(std::move(account).value());
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
} catch (const std::exception& e) {
  return Failure("cannot list accounts", e);
}

Status HubStore::DeleteAccount(const std::string& username) try {
  return DeleteById(*db_, "DELETE FROM accounts WHERE username = ?1", username, "no account '" + username + "'");
} catch (const std::exception& e) {
  return Failure("account not deleted", e);
}

// --- tokens ----------------------------------------------------------------------------------

Status HubStore::PutToken(const TokenRecord& token, const TokenHash& hash) try {
  if (token.id.empty()) return Status::Invalid("token id: must not be empty");
  if (!OneOf(token.kind, {"session", "api"})) return Status::Invalid("token kind: '" + token.kind + "' is unknown");
  if (token.role && !IsRole(*token.role)) return Status::Invalid("token role: '" + *token.role + "' is not a role");
  auto begun = Transaction::Begin(*db_);
  if (!begun.ok()) return begun.status();
  Transaction txn = std::move(begun).value();
  auto account = Exists(*db_, "SELECT 1 FROM accounts WHERE username = ?1", token.username);
  if (!account.ok()) return account.status();
  if (!*account) return Status::NotFound("no account '" + token.username + "'");
  {
    auto other = db_->Prepare("SELECT 1 FROM tokens WHERE hash = ?1 AND id <> ?2");
    if (!other.ok()) return other.status();
    other.value().Bind(1, std::span<const uint8_t>(hash));
    other.value().Bind(2, token.id);
    bool taken = false;
    Status s = ForEachRow(other.value(), [&taken](Statement&) {
      taken = true;
      return Status::Ok();
    });
    if (!s.ok()) return s;
    if (taken) return Status::Duplicate("another token has the same hash");
  }
  auto prepared = db_->Prepare(
      "INSERT INTO tokens(id, hash, username, kind, name, role, locks, expires_at, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(id) DO UPDATE SET hash = excluded.hash, "
      "username = excluded.username, kind = excluded.kind, name = excluded.name, role = excluded.role, "
      "locks = excluded.locks, expires_at = excluded.expires_at, created_at = excluded.created_at");
  if (!prepared.ok()) return prepared.status();
  Statement& st = prepared.value();
  st.Bind(1, token.id);
  st.Bind(2, std::span<const uint8_t>(hash));
  st.Bind(3, token.username);
  st.Bind(4, token.kind);
  st.Bind(5, token.name);
  BindOptional(st, 6, token.role);
  if (Status s = BindList(st, 7, token.locks, "locks"); !s.ok()) return s;
  BindOptional(st, 8, token.expires_at_ms);
  st.Bind(9, token.created_at_ms);
  if (Status s = st.Run(); !s.ok()) return s;
  return txn.Commit();
} catch (const std::exception& e) {
  return Failure("token not stored", e);
}

Result<std::optional<TokenRecord>> HubStore::FindToken(const TokenHash& hash) try {
  auto prepared = db_->Prepare("SELECT " + std::string(kTokenColumns) + " FROM tokens WHERE hash = ?1");
  if (!prepared.ok()) return prepared.status();
  Statement& st = prepared.value();
  st.Bind(1, std::span<const uint8_t>(hash));
  std::optional<TokenRecord> found;
  Status s = ForEachRow(st, [&found](Statement& row) {
    auto token = ReadToken(row);
    if (!token.ok()) return token.status();
    found = std::move(token).value();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return found;
} catch (const std::exception& e) {
  return Failure("cannot read token", e);
}

Result<std::vector<TokenRecord>> HubStore::ListTokens(const std::string& username) try {
  auto prepared =
      db_->Prepare("SELECT " + std::string(kTokenColumns) + " FROM tokens WHERE username = ?1 ORDER BY created_at, id");
  if (!prepared.ok()) return prepared.status();
  Statement& st = prepared.value();
  st.Bind(1, username);
  std::vector<TokenRecord> out;
  Status s = ForEachRow(st, [&out](Statement& row) {
    auto token = ReadToken(row);
    if (!token.ok()) return token.status();
    out.push_back(std::move(token).value());
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
} catch (const std::exception& e) {
  return Failure("cannot list tokens", e);
}

Status HubStore::DeleteToken(const std::string& id) try {
  return DeleteById(*db_, "DELETE FROM tokens WHERE id = ?1", id, "no token '" + id + "'");
} catch (const std::exception& e) {
  return Failure("token not deleted", e);
}

// --- locks -----------------------------------------------------------------------------------

Status HubStore::PutLock(const LockRecord& lock) try {
  if (lock.id.empty()) return Status::Invalid("lock id: must not be empty");
  if (lock.acked_seq > static_cast<uint64_t>(kMaxKey)) return Status::Invalid("acked_seq: out of range");
  auto state = Dump(lock.state, "state");
  if (!state.ok()) return state.status();
  auto prepared = db_->Prepare(
      "INSERT INTO locks(id, name, address, lock_key, simulated, sim_control_url, acked_seq, state, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
      "address = excluded.address, lock_key = excluded.lock_key, simulated = excluded.simulated, "
      "sim_control_url = excluded.sim_control_url, acked_seq = max(acked_seq, excluded.acked_seq), "
      "state = excluded.state, created_at = excluded.created_at");
  if (!prepared.ok()) return prepared.status();
  Statement& st = prepared.value();
  st.Bind(1, lock.id);
  st.Bind(2, lock.name);
  st.Bind(3, lock.address);
  st.Bind(4, std::span<const uint8_t>(lock.key));
  st.Bind(5, int64_t{lock.simulated ? 1 : 0});
  st.Bind(6, lock.sim_control_url);
  st.Bind(7, static_cast<int64_t>(lock.acked_seq));
  st.Bind(8, *state);
  st.Bind(9, lock.created_at_ms);
  return st.Run();
} catch (const std::exception& e) {
  return Failure("lock not stored", e);
}

Result<std::vector<LockRecord>> HubStore::ListLocks() try {
  auto prepared = db_->Prepare(
      "SELECT id, name, address, lock_key, simulated, sim_control_url, acked_seq, state, created_at "
      "FROM locks ORDER BY created_at, id");
  if (!prepared.ok()) return prepared.status();
  std::vector<LockRecord> out;
  Status s = ForEachRow(prepared.value(), [&out](Statement& row) {
    LockRecord r;
    r.id = std::string(row.ColumnText(0));
    const std::string where = "locks row " + r.id;
    r.name = std::string(row.ColumnText(1));
    r.address = std::string(row.ColumnText(2));
    const auto key = row.ColumnBlob(3);
    if (key.size() != r.key.size()) return Status::IoError(where + ": key is not 32 bytes");
    std::copy(key.begin(), key.end(), r.key.begin());
    r.simulated = row.ColumnInt64(4) != 0;
    r.sim_control_url = std::string(row.ColumnText(5));
    const int64_t acked = row.ColumnInt64(6);
    if (acked < 0) return Status::IoError(where + ": negative acked_seq");
    r.acked_seq = static_cast<uint64_t>(acked);
    auto state = ColumnJson(row, 7, where);
    if (!state.ok()) return state.status();
    r.state = std::move(state).value();
    r.created_at_ms = row.ColumnInt64(8);
    out.push_back(std::move(r));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
} catch (const std::exception& e) {
  return Failure("cannot list locks", e);
}

Status HubStore::DeleteLock(const std::string& id) try {
  return DeleteById(*db_, "DELETE FROM locks WHERE id = ?1", id, "no lock '" + id + "'");
} catch (const std::exception& e) {
  return Failure("lock not deleted", e);
}

Status HubStore::SetLockState(const std::string& id, const Json& state) try {
  auto text = Dump(state, "state");
  if (!text.ok()) return text.status();
  auto prepared = db_->Prepare("UPDATE locks SET state = ?2 WHERE id = ?1");
  if (!prepared.ok()) return prepared.status();
  Statement& st = prepared.value();
  st.Bind(1, id);
  st.Bind(2, *text);
  return RunOne(*db_, st, "no lock '" + id + "'");
} catch (const std::exception& e) {
  return Failure("lock state not stored", e);
}

// --- events ----------------------------------------------------------------------------------

Status HubStore::CheckEvent(const Json& event) {
  auto key = ParseEvent(event);
  if (!key.ok()) return key.status();
  auto body = Dump(event, "event");
  return body.ok() ? Status::Ok() : body.status();
}

Status HubStore::AppendEvent(const std::string& lock, const Json& event) {
  return AppendEvents(lock, std::span<const Json>(&event, 1));
}

Status HubStore::AppendEvents(const std::string& lock, std::span<const Json> events) try {
  // Everything is checked before the transaction begins, so that a refused event leaves no
  // trace and the transaction only writes.
  struct Row {
    EventKey key;
    std::string body;
  };
  std::vector<Row> rows;
  rows.reserve(events.size());
  int64_t max_seq = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto where = [&](const Status& s) {
      return events.size() == 1 ? s : Status::Invalid("event " + std::to_string(i + 1) + " of " +
                                                      std::to_string(events.size()) + ": " + s.message());
    };
    auto key = ParseEvent(events[i]);
    if (!key.ok()) return where(key.status());
    auto body = Dump(events[i], "event");
    if (!body.ok()) return where(body.status());
    max_seq = std::max(max_seq, key->seq);
    rows.push_back({std::move(key).value(), std::move(body).value()});
  }

  auto begun = Transaction::Begin(*db_);
  if (!begun.ok()) return Status::IoError("events not stored: " + begun.status().message());
  Transaction txn = std::move(begun).value();
  // The lock first: an unknown one is refused before anything is written.
  auto ack = db_->Prepare("UPDATE locks SET acked_seq = max(acked_seq, ?2) WHERE id = ?1");
  if (!ack.ok()) return ack.status();
  ack.value().Bind(1, lock);
  ack.value().Bind(2, max_seq);
  if (Status s = RunOne(*db_, ack.value(), "no lock '" + lock + "'"); !s.ok()) return s;

  // OR IGNORE: an event already stored (sent again after a lost ack) is skipped, not an error.
  auto insert =
      db_->Prepare("INSERT OR IGNORE INTO events(lock, seq, time, kind, user, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert.ok()) return insert.status();
  Statement& st = insert.value();
  for (const Row& row : rows) {
    st.Bind(1, lock);
    st.Bind(2, row.key.seq);
    st.Bind(3, row.key.time);
    st.Bind(4, row.key.kind);
    BindOptional(st, 5, row.key.user);
    st.Bind(6, row.body);
    if (Status s = st.Run(); !s.ok()) return Status::IoError("events not stored: " + s.message());
  }
  if (Status s = txn.Commit(); !s.ok()) return Status::IoError("events not stored: " + s.message());
  return Status::Ok();
} catch (const std::exception& e) {
  return Failure("events not stored", e);
}

Result<std::vector<Json>> HubStore::Events(const EventQuery& query) try {
  std::vector<Json> out;
  if (query.limit == 0 || query.after >= static_cast<uint64_t>(kMaxKey)) return out;
  std::string sql = "SELECT lock, seq, body FROM events WHERE lock = ?1 AND seq > ?2";
  if (query.kind) sql += " AND kind = ?4";
  if (query.user) sql += " AND user = ?5";
  sql += " ORDER BY seq LIMIT ?3";
  auto prepared = db_->Prepare(sql);
  if (!prepared.ok()) return prepared.status();
  Statement& st = prepared.value();
  st.Bind(1, query.lock);
  st.Bind(2, static_cast<int64_t>(query.after));
  st.Bind(3, CapLimit(query.limit));
  if (query.kind) st.Bind(4, *query.kind);
  if (query.user) st.Bind(5, int64_t{*query.user});
  if (Status s = ReadEvents(st, &out); !s.ok()) return s;
  return out;
} catch (const std::exception& e) {
  return Failure("cannot read events", e);
}

Result<std::vector<Json>> HubStore::RecentEvents(const RecentEventQuery& query) try {
  std::vector<Json> out;
  if (query.locks.empty() || query.limit == 0) return out;
  auto list = DumpList(query.locks, "locks");
  if (!list.ok()) return list.status();
  // A walk back along events_by_time that stops at the limit, whatever the history's size: the
  // "+" keeps the planner from fetching every event of each lock by its key and sorting them all,
  // and the order (lock last, for a tie in time and seq) is that index's, read backwards. The
  // filters are checked on the way; a rare kind costs a longer walk, never a sort.
  std::string sql = "SELECT lock, seq, body FROM events WHERE +lock IN (SELECT value FROM json_each(?1))";
  if (query.before_ms > 0) sql += " AND time < ?3";
  if (query.before) sql += " AND (time, seq, lock) < (?4, ?5, ?6)";
  if (query.kind) sql += " AND kind = ?7";
  if (query.user) sql += " AND user = ?8";
  // (An event's actor is the name of the account behind a remote command or change.)
  if (query.actor) sql += " AND json_extract(body, '$.actor') = ?9";
  sql += " ORDER BY time DESC, seq DESC, lock DESC LIMIT ?2";
  auto prepared = db_->Prepare(sql);
  if (!prepared.ok()) return prepared.status();
  Statement& st = prepared.value();
  st.Bind(1, *list);
  st.Bind(2, CapLimit(query.limit));
  if (query.before_ms > 0) st.Bind(3, query.before_ms);
  if (query.before) {
    st.Bind(4, query.before->time_ms);
    st.Bind(5, static_cast<int64_t>(std::min<uint64_t>(query.before->seq, kMaxKey)));
    st.Bind(6, query.before->lock);
  }
  if (query.kind) st.Bind(7, *query.kind);
  if (query.user) st.Bind(8, static_cast<int64_t>(*query.user));
  if (query.actor) st.Bind(9, *query.actor);
  if (Status s = ReadEvents(st, &out); !s.ok()) return s;
  return out;
} catch (const std::exception& e) {
  return Failure("cannot read events", e);
}

Result<std::vector<Json>> HubStore::AllEvents(const std::string& lock) try {
  auto prepared = db_->Prepare("SELECT lock, seq, body FROM events WHERE lock = ?1 ORDER BY seq");
  if (!prepared.ok()) return prepared.status();
  Statement& st = prepared.value();
  st.Bind(1, lock);
  std::vector<Json> out;
  if (Status s = ReadEvents(st, &out); !s.ok()) return s;
  return out;
} catch (const std::exception& e) {
  return Failure("cannot read events", e);
}

// --- webhooks --------------------------------------------------------------------------------

Status HubStore::PutWebhook(const Webhook& webhook) try {
  if (webhook.id.empty()) return Status::Invalid("webhook id: must not be empty");
  if (webhook.url.empty()) return Status::Invalid("url: must not be empty");
  auto prepared = db_->Prepare(
      "INSERT INTO webhooks(id, url, kinds, secret, created_at) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(id) DO UPDATE SET url = excluded.url, kinds = excluded.kinds, secret = excluded.secret, "
      "created_at = excluded.created_at");
  if (!prepared.ok()) return prepared.status();
  Statement& st = prepared.value();
  st.Bind(1, webhook.id);
  st.Bind(2, webhook.url);
  if (Status s = BindList(st, 3, webhook.kinds, "kinds"); !s.ok()) return s;
  st.Bind(4, webhook.secret);
  st.Bind(5, webhook.created_at_ms);
  return st.Run();
} catch (const std::exception& e) {
  return Failure("webhook not stored", e);
}

Result<std::vector<Webhook>> HubStore::ListWebhooks() try {
  auto prepared = db_->Prepare("SELECT id, url, kinds, secret, created_at FROM webhooks ORDER BY created_at, id");
  if (!prepared.ok()) return prepared.status();
  std::vector<Webhook> out;
  Status s = ForEachRow(prepared.value(), [&out](Statement& row) {
    Webhook w;
    w.id = std::string(row.ColumnText(0));
    w.url = std::string(row.ColumnText(1));
    auto kinds = ColumnList(row, 2, "webhooks row " + w.id);
    if (!kinds.ok()) return kinds.status();
    w.kinds = std::move(kinds).value();
    w.secret = std::string(row.ColumnText(3));
    w.created_at_ms = row.ColumnInt64(4);
    out.push_back(std::move(w));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
} catch (const std::exception& e) {
  return Failure("cannot list webhooks", e);
}

Status HubStore::DeleteWebhook(const std::string& id) try {
  return DeleteById(*db_, "DELETE FROM webhooks WHERE id = ?1", id, "no webhook '" + id + "'");
} catch (const std::exception& e) {
  return Failure("webhook not deleted", e);
}

// --- deliveries ------------------------------------------------------------------------------

namespace {

Status CheckDelivery(const Delivery& d) {
  if (d.id.empty()) return Status::Invalid("delivery id: must not be empty");
  if (!OneOf(d.status, {"pending", "delivered", "failed"})) {
    return Status::Invalid("delivery status: '" + d.status + "' is unknown");
  }
  return Status::Ok();
}

}  // namespace

Status HubStore::PutDelivery(const Delivery& delivery) try {
  if (Status s = CheckDelivery(delivery); !s.ok()) return s;
  if (delivery.seq == 0 || delivery.seq > static_cast<uint64_t>(kMaxKey)) {
    return Status::Invalid("delivery seq: out of range");
  }
  auto begun = Transaction::Begin(*db_);
  if (!begun.ok()) return begun.status();
  Transaction txn = std::move(begun).value();
  auto webhook = Exists(*db_, "SELECT 1 FROM webhooks WHERE id = ?1", delivery.webhook);
  if (!webhook.ok()) return webhook.status();
  if (!*webhook) return Status::NotFound("no webhook '" + delivery.webhook + "'");
  {
    auto event = db_->Prepare("SELECT 1 FROM events WHERE lock = ?1 AND seq = ?2");
    if (!event.ok()) return event.status();
    event.value().Bind(1, delivery.lock);
    event.value().Bind(2, static_cast<int64_t>(delivery.seq));
    bool found = false;
    Status s = ForEachRow(event.value(), [&found](Statement&) {
      found = true;
      return Status::Ok();
    });
    if (!s.ok()) return s;
    if (!found) {
      return Status::NotFound("no event " + std::to_string(delivery.seq) + " of lock '" + delivery.lock + "'");
    }
  }
  auto prepared = db_->Prepare(
      "INSERT INTO deliveries(id, webhook, lock, seq, status, attempts, next_attempt, last_error, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING");
  if (!prepared.ok()) return prepared.status();
  Statement& st = prepared.value();
  st.Bind(1, delivery.id);
  st.Bind(2, delivery.webhook);
  st.Bind(3, delivery.lock);
  st.Bind(4, static_cast<int64_t>(delivery.seq));
  st.Bind(5, delivery.status);
  st.Bind(6, int64_t{delivery.attempts});
  st.Bind(7, delivery.next_attempt_ms);
  st.Bind(8, delivery.last_error);
  st.Bind(9, delivery.created_at_ms);
  if (Status s = st.Run(); !s.ok()) return s;
  return txn.Commit();
} catch (const std::exception& e) {
  return Failure("delivery not stored", e);
}

Status HubStore::UpdateDelivery(const Delivery& delivery) try {
  if (Status s = CheckDelivery(delivery); !s.ok()) return s;
  auto prepared = db_->Prepare(
      "UPDATE deliveries SET status = ?2, attempts = ?3, next_attempt = ?4, last_error = ?5 WHERE id = ?1");
  if (!prepared.ok()) return prepared.status();
  Statement& st = prepared.value();
  st.Bind(1, delivery.id);
  st.Bind(2, delivery.status);
  st.Bind(3, int64_t{delivery.attempts});
  st.Bind(4, delivery.next_attempt_ms);
  st.Bind(5, delivery.last_error);
  return RunOne(*db_, st, "no delivery '" + delivery.id + "'");
} catch (const std::exception& e) {
  return Failure("delivery not stored", e);
}

Result<std::vector<Delivery>> HubStore::ListDeliveries(const std::string& webhook, std::size_t limit) try {
  return QueryDeliveries(
      *db_, "WHERE webhook = ?1 ORDER BY created_at DESC, rowid DESC", [&](Statement& st) { st.Bind(1, webhook); },
      limit);
} catch (const std::exception& e) {
  return Failure("cannot list deliveries", e);
}

Result<std::vector<Delivery>> HubStore::DueDeliveries(int64_t now_ms, std::size_t limit) try {
  return QueryDeliveries(
      *db_, "WHERE status = 'pending' AND next_attempt <= ?1 ORDER BY next_attempt, rowid",
      [&](Statement& st) { st.Bind(1, now_ms); }, limit);
} catch (const std::exception& e) {
  return Failure("cannot list deliveries", e);
}

}  // namespace latchkey::hub
