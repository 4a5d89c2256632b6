#include "store/sqlite_lock_store.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <limits>
#include <type_traits>
#include <utility>

#include "wire/event_forms.h"
#include "wire/json_codec.h"
#include "wire/record_forms.h"

namespace latchkey::store {

using core::Result;
using core::Status;
using core::WriteBatch;
using wire::Json;

namespace {

// Version 1. STRICT makes SQLite enforce the column types, so a row can only be wrong in its
// JSON body, which Load checks. The credential list has no foreign key to users on purpose:
// the core owns the consistency of its records, and a constraint here could only turn a
// harmless orphan into a failed write, which faults the lock.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE meta(
  key TEXT NOT NULL PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID, STRICT;
CREATE TABLE settings(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  body TEXT NOT NULL
) STRICT;
CREATE TABLE runtime(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  body TEXT NOT NULL
) STRICT;
CREATE TABLE users(
  idx INTEGER PRIMARY KEY,
  body TEXT NOT NULL
) STRICT;
CREATE TABLE credentials(
  type TEXT NOT NULL,
  idx INTEGER NOT NULL,
  user INTEGER NOT NULL,
  digest BLOB NOT NULL CHECK (length(digest) = 32),
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (type, idx)
) WITHOUT ROWID, STRICT;
CREATE TABLE holidays(
  idx INTEGER PRIMARY KEY,
  body TEXT NOT NULL
) STRICT;
CREATE TABLE events(
  seq INTEGER PRIMARY KEY,
  body TEXT NOT NULL
) STRICT;
)sql";

constexpr std::array<std::string_view, 1> kSteps{kSchemaV1};

constexpr int64_t kMaxKey = std::numeric_limits<int64_t>::max();

// SQLite integers are signed 64-bit; sequence numbers beyond that cannot be keys.
int64_t ClampToKey(uint64_t v) { return v > static_cast<uint64_t>(kMaxKey) ? kMaxKey : static_cast<int64_t>(v); }

// The JSON text of `value`, after checking that it decodes to an equal value. The check costs
// a decode per record, little next to the fsync of the commit, and it turns a record the codec
// cannot carry into a failed write now (which the core reports) instead of a lock that cannot
// load its own store at the next start.
template <typename T, typename ToJson, typename FromJson>
Result<std::string> EncodeChecked(const T& value, ToJson to_json, FromJson from_json, std::string_view what) {
  try {
    const Json json = to_json(value);
    auto back = from_json(json);
    if (!back.ok()) {
      return Status::IoError(std::string(what) + " would not read back: " + back.status().message());
    }
    if (!(*back == value)) return Status::IoError(std::string(what) + " would not read back unchanged");
    return json.dump();  // throws on a string that is not UTF-8
  } catch (const std::exception& e) {
    return Status::IoError(std::string(what) + " cannot be encoded: " + e.what());
  }
}

// The store's forms of settings, users and holidays (wire/record_forms.h) and of events
// (wire/event_forms.h, where the runtime record has only this form).
Json StoredSettings(const core::Settings& s) { return wire::EncodeSettings(wire::Form::kStore, s); }
Result<core::Settings> SettingsFromStore(const Json& j) { return wire::DecodeSettings(wire::Form::kStore, j); }
Json StoredUser(const core::User& u) { return wire::EncodeUser(wire::Form::kStore, u); }
Result<core::User> UserFromStore(const Json& j) { return wire::DecodeUser(wire::Form::kStore, j); }
Json StoredHoliday(const core::HolidaySchedule& h) { return wire::EncodeHoliday(wire::Form::kStore, h); }
Result<core::HolidaySchedule> HolidayFromStore(const Json& j) { return wire::DecodeHoliday(wire::Form::kStore, j); }
Json StoredEvent(const core::Event& e) { return wire::EncodeEvent(wire::Form::kStore, e); }
Result<core::Event> EventFromStore(const Json& j) { return wire::DecodeEvent(wire::Form::kStore, j); }

// Decodes the JSON `text` of row `where`; any failure is kIoError naming the row.
template <typename FromJson>
auto Decode(std::string_view text, FromJson from_json, const std::string& where)
    -> Result<std::decay_t<decltype(*from_json(Json()))>> {
  try {
    const Json json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) return Status::IoError(where + ": stored body is not valid JSON");
    auto decoded = from_json(json);
    if (!decoded.ok()) return Status::IoError(where + ": stored body is malformed: " + decoded.status().message());
    return std::move(decoded).value();
  } catch (const std::exception& e) {
    return Status::IoError(where + ": stored body cannot be read: " + e.what());
  }
}


Result<core::Event> DecodeEvent(Statement& st) {
  const int64_t seq = st.ColumnInt64(0);
  const std::string where = "events row " + std::to_string(seq);
  auto event = Decode(st.ColumnText(1), EventFromStore, where);
  LATCHKEY_TRY(event);
  if (static_cast<int64_t>(event->seq) != seq) {
    return Status::IoError(where + ": body has seq " + std::to_string(event->seq));
  }
  return event;
}

}  // namespace

// The hot statements, compiled once.
struct SqliteLockStore::Statements {
  Statement put_user, delete_user, put_credential, delete_credential, put_holiday, delete_holiday;
  Statement put_settings, put_runtime, append_event, drop_events, read_events;
  Statement put_meta, get_meta, delete_meta;
};

std::span<const std::string_view> SqliteLockStore::SchemaSteps() { return kSteps; }

Result<std::unique_ptr<SqliteLockStore>> SqliteLockStore::Open(const std::string& path) {
  auto opened = Database::Open(path);
  LATCHKEY_TRY(opened);
  std::unique_ptr<Database> db = std::move(opened).value();
  LATCHKEY_TRY(Migrate(*db, kSteps));

  auto st = std::make_unique<Statements>();
  Status failed;
  const auto prepare = [&](Statement& into, std::string_view sql) {
    if (!failed.ok()) return;
    auto prepared = db->Prepare(sql);
    if (prepared.ok()) {
      into = std::move(prepared).value();
    } else {
      failed = prepared.status();
    }
  };
  prepare(st->put_user,
          "INSERT INTO users(idx, body) VALUES (?1, ?2) ON CONFLICT(idx) DO UPDATE SET body = excluded.body");
  prepare(st->delete_user, "DELETE FROM users WHERE idx = ?1");
  prepare(st->put_credential,
          "INSERT INTO credentials(type, idx, user, digest, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
          "ON CONFLICT(type, idx) DO UPDATE SET user = excluded.user, digest = excluded.digest, "
          "created_by = excluded.created_by, created_at = excluded.created_at");
  prepare(st->delete_credential, "DELETE FROM credentials WHERE type = ?1 AND idx = ?2");
  prepare(st->put_holiday,
          "INSERT INTO holidays(idx, body) VALUES (?1, ?2) ON CONFLICT(idx) DO UPDATE SET body = excluded.body");
  prepare(st->delete_holiday, "DELETE FROM holidays WHERE idx = ?1");
  prepare(st->put_settings,
          "INSERT INTO settings(id, body) VALUES (1, ?1) ON CONFLICT(id) DO UPDATE SET body = excluded.body");
  prepare(st->put_runtime,
          "INSERT INTO runtime(id, body) VALUES (1, ?1) ON CONFLICT(id) DO UPDATE SET body = excluded.body");
  // A plain INSERT: see AppendEvent in the header.
  prepare(st->append_event, "INSERT INTO events(seq, body) VALUES (?1, ?2)");
  prepare(st->drop_events, "DELETE FROM events WHERE seq <= ?1");
  prepare(st->read_events, "SELECT seq, body FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2");
  prepare(st->put_meta,
          "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  prepare(st->get_meta, "SELECT value FROM meta WHERE key = ?1");
  prepare(st->delete_meta, "DELETE FROM meta WHERE key = ?1");
  LATCHKEY_TRY(failed);
  return std::unique_ptr<SqliteLockStore>(new SqliteLockStore(std::move(db), std::move(st)));
}

SqliteLockStore::SqliteLockStore(std::unique_ptr<Database> db, std::unique_ptr<Statements> statements)
    : db_(std::move(db)), st_(std::move(statements)) {}

SqliteLockStore::~SqliteLockStore() = default;

// --- Load ------------------------------------------------------------------------------------

Status SqliteLockStore::Load(core::PersistentState* out) {
  *out = core::PersistentState{};
  // One snapshot, so that the tables agree with each other even if another connection writes.
  auto begun = Transaction::Begin(*db_, Transaction::Mode::kDeferred);
  LATCHKEY_TRY(begun);
  Transaction snapshot = std::move(begun).value();

  const auto query = [this](std::string_view sql) { return db_->Prepare(sql); };

  // settings: present once the lock was initialised.
  auto settings = query("SELECT body FROM settings WHERE id = 1");
  LATCHKEY_TRY(settings);
  Status s = ForEachRow(settings.value(), [&](Statement& row) {
    auto decoded = Decode(row.ColumnText(0), SettingsFromStore, "settings row");
    LATCHKEY_TRY(decoded);
    out->initialized = true;
    out->settings = *decoded;
    return Status::Ok();
  });
  LATCHKEY_TRY(s);

  auto runtime = query("SELECT body FROM runtime WHERE id = 1");
  LATCHKEY_TRY(runtime);
  s = ForEachRow(runtime.value(), [&](Statement& row) {
    auto decoded = Decode(row.ColumnText(0), wire::DecodeRuntime, "runtime row");
    LATCHKEY_TRY(decoded);
    out->runtime = *decoded;
    return Status::Ok();
  });
  LATCHKEY_TRY(s);

  // The phone keys' record (core/phone_key_state.cc) lives in meta: one row, added without a
  // schema step, absent until the lock first learns a home key.
  auto phone = query("SELECT value FROM meta WHERE key = 'phone_keys'");
  LATCHKEY_TRY(phone);
  s = ForEachRow(phone.value(), [&](Statement& row) -> Status {
    auto decoded = core::DecodePhoneKeyState(row.ColumnBlob(0));
    if (!decoded.ok()) return Status::IoError("phone_keys row: " + decoded.status().message());
    out->phone_keys = std::move(decoded).value();
    return Status::Ok();
  });
  LATCHKEY_TRY(s);

  // The offline codes' record (core/offline_code_state.h), likewise: absent until the lock
  // first learns an offline-code key.
  auto offline = query("SELECT value FROM meta WHERE key = 'offline_codes'");
  LATCHKEY_TRY(offline);
  s = ForEachRow(offline.value(), [&](Statement& row) -> Status {
    auto decoded = core::DecodeOfflineCodeState(row.ColumnBlob(0));
    if (!decoded.ok()) return Status::IoError("offline_codes row: " + decoded.status().message());
    out->offline_codes = std::move(decoded).value();
    return Status::Ok();
  });
  LATCHKEY_TRY(s);

  auto users = query("SELECT idx, body FROM users ORDER BY idx");
  LATCHKEY_TRY(users);
  s = ForEachRow(users.value(), [&](Statement& row) {
    const int64_t idx = row.ColumnInt64(0);
    const std::string where = "users row " + std::to_string(idx);
    auto decoded = Decode(row.ColumnText(1), UserFromStore, where);
    LATCHKEY_TRY(decoded);
    if (decoded->index != idx) return Status::IoError(where + ": body has index " + std::to_string(decoded->index));
    out->users.push_back(std::move(decoded).value());
    return Status::Ok();
  });
  LATCHKEY_TRY(s);

  auto credentials = query("SELECT type, idx, user, digest, created_by, created_at FROM credentials");
  LATCHKEY_TRY(credentials);
  s = ForEachRow(credentials.value(), [&](Statement& row) {
    const std::string type_name(row.ColumnText(0));
    const int64_t idx = row.ColumnInt64(1), user = row.ColumnInt64(2);
    const std::string where = "credentials row (" + type_name + ", " + std::to_string(idx) + ")";
    const auto type = core::Parse<core::CredentialType>(type_name);
    if (!type) return Status::IoError(where + ": unknown credential type");
    if (idx < 0 || idx > int64_t{std::numeric_limits<core::CredentialIndex>::max()}) {
      return Status::IoError(where + ": index out of range");
    }
    if (user < 0 || user > int64_t{std::numeric_limits<core::UserIndex>::max()}) {
      return Status::IoError(where + ": user " + std::to_string(user) + " out of range");
    }
    const auto digest = row.ColumnBlob(3);
    core::StoredCredential c;
    if (digest.size() != c.digest.size()) {
      return Status::IoError(where + ": digest has " + std::to_string(digest.size()) + " bytes, not 32");
    }
    c.ref = {*type, static_cast<core::CredentialIndex>(idx)};
    c.user = static_cast<core::UserIndex>(user);
    std::copy(digest.begin(), digest.end(), c.digest.begin());
    c.created_by = std::string(row.ColumnText(4));
    c.created_at_ms = row.ColumnInt64(5);
    out->credentials.push_back(std::move(c));
    return Status::Ok();
  });
  LATCHKEY_TRY(s);
  // In the core's order of types (the table sorts by type name).
  std::sort(out->credentials.begin(), out->credentials.end(), [](const auto& a, const auto& b) {
    return std::pair(a.ref.type, a.ref.index) < std::pair(b.ref.type, b.ref.index);
  });

  auto holidays = query("SELECT idx, body FROM holidays ORDER BY idx");
  LATCHKEY_TRY(holidays);
  s = ForEachRow(holidays.value(), [&](Statement& row) {
    const int64_t idx = row.ColumnInt64(0);
    const std::string where = "holidays row " + std::to_string(idx);
    auto decoded = Decode(row.ColumnText(1), HolidayFromStore, where);
    LATCHKEY_TRY(decoded);
    if (decoded->index != idx) return Status::IoError(where + ": body has index " + std::to_string(decoded->index));
    out->holidays.push_back(*decoded);
    return Status::Ok();
  });
  return s;
}

// --- Write -----------------------------------------------------------------------------------

Status SqliteLockStore::Apply(const WriteBatch::Op& op) {
  Statements& st = *st_;
  return std::visit(
      [&st](const auto& o) -> Status {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, WriteBatch::PutUser>) {
          auto body = EncodeChecked(o.user, StoredUser, UserFromStore,
                                    "user " + std::to_string(o.user.index));
          LATCHKEY_TRY(body);
          st.put_user.Bind(1, int64_t{o.user.index});
          st.put_user.Bind(2, *body);
          return st.put_user.Run();
        } else if constexpr (std::is_same_v<T, WriteBatch::DeleteUser>) {
          st.delete_user.Bind(1, int64_t{o.index});
          return st.delete_user.Run();
        } else if constexpr (std::is_same_v<T, WriteBatch::PutCredential>) {
          const core::StoredCredential& c = o.credential;
          st.put_credential.Bind(1, core::ToString(c.ref.type));
          st.put_credential.Bind(2, int64_t{c.ref.index});
          st.put_credential.Bind(3, int64_t{c.user});
          st.put_credential.Bind(4, std::span<const uint8_t>(c.digest));
          st.put_credential.Bind(5, c.created_by);
          st.put_credential.Bind(6, c.created_at_ms);
          return st.put_credential.Run();
        } else if constexpr (std::is_same_v<T, WriteBatch::DeleteCredential>) {
          st.delete_credential.Bind(1, core::ToString(o.ref.type));
          st.delete_credential.Bind(2, int64_t{o.ref.index});
          return st.delete_credential.Run();
        } else if constexpr (std::is_same_v<T, WriteBatch::PutHoliday>) {
          auto body = EncodeChecked(o.holiday, StoredHoliday, HolidayFromStore,
                                    "holiday " + std::to_string(o.holiday.index));
          LATCHKEY_TRY(body);
          st.put_holiday.Bind(1, int64_t{o.holiday.index});
          st.put_holiday.Bind(2, *body);
          return st.put_holiday.Run();
        } else if constexpr (std::is_same_v<T, WriteBatch::DeleteHoliday>) {
          st.delete_holiday.Bind(1, int64_t{o.index});
          return st.delete_holiday.Run();
        } else if constexpr (std::is_same_v<T, WriteBatch::PutSettings>) {
          auto body = EncodeChecked(o.settings, StoredSettings, SettingsFromStore, "settings");
          LATCHKEY_TRY(body);
          st.put_settings.Bind(1, *body);
          return st.put_settings.Run();
        } else if constexpr (std::is_same_v<T, WriteBatch::PutRuntime>) {
          auto body = EncodeChecked(o.runtime, wire::EncodeRuntime, wire::DecodeRuntime, "runtime");
          LATCHKEY_TRY(body);
          st.put_runtime.Bind(1, *body);
          return st.put_runtime.Run();
        } else if constexpr (std::is_same_v<T, WriteBatch::PutPhoneKeys>) {
          const std::vector<uint8_t> body = core::EncodePhoneKeyState(o.phone_keys);
          st.put_meta.Bind(1, std::string_view("phone_keys"));
          st.put_meta.Bind(2, std::span<const uint8_t>(body));
          return st.put_meta.Run();
        } else if constexpr (std::is_same_v<T, WriteBatch::PutOfflineCodes>) {
          const std::vector<uint8_t> body = core::EncodeOfflineCodeState(o.offline_codes);
          st.put_meta.Bind(1, std::string_view("offline_codes"));
          st.put_meta.Bind(2, std::span<const uint8_t>(body));
          return st.put_meta.Run();
        } else if constexpr (std::is_same_v<T, WriteBatch::AppendEvent>) {
          const std::string what = "event " + std::to_string(o.event.seq);
          if (o.event.seq == 0 || o.event.seq > static_cast<uint64_t>(kMaxKey)) {
            return Status::IoError(what + ": seq out of range");
          }
          auto body = EncodeChecked(o.event, StoredEvent, EventFromStore, what);
          LATCHKEY_TRY(body);
          st.append_event.Bind(1, static_cast<int64_t>(o.event.seq));
          st.append_event.Bind(2, *body);
          return st.append_event.Run();
        } else if constexpr (std::is_same_v<T, WriteBatch::DropEventsThrough>) {
          st.drop_events.Bind(1, ClampToKey(o.seq));
          return st.drop_events.Run();
        } else {
          static_assert(!sizeof(T), "every WriteBatch op must be stored");
        }
      },
      op);
}

Status SqliteLockStore::Write(const WriteBatch& batch) {
  if (batch.empty()) return Status::Ok();
  auto begun = Transaction::Begin(*db_);
  if (!begun.ok()) return Status::IoError("write batch not stored: " + begun.status().message());
  Transaction txn = std::move(begun).value();
  for (const auto& op : batch.ops()) {
    // Leaving here drops `txn`, which rolls back every op applied so far.
    if (Status s = Apply(op); !s.ok()) return Status::IoError("write batch not stored: " + s.message());
  }
  if (Status s = txn.Commit(); !s.ok()) return Status::IoError("write batch not stored: " + s.message());
  return Status::Ok();
}

// --- events ----------------------------------------------------------------------------------

Status SqliteLockStore::ReadEvents(uint64_t after, std::size_t limit, std::vector<core::Event>* out) {
  out->clear();
  if (limit == 0 || after >= static_cast<uint64_t>(kMaxKey)) return Status::Ok();
  Statement& st = st_->read_events;
  st.Bind(1, static_cast<int64_t>(after));
  st.Bind(2, ClampToKey(limit));
  Status s = ForEachRow(st, [out](Statement& row) {
    auto event = DecodeEvent(row);
    LATCHKEY_TRY(event);
    out->push_back(std::move(event).value());
    return Status::Ok();
  });
  if (!s.ok()) out->clear();
  return s;
}

// --- meta ------------------------------------------------------------------------------------

Status SqliteLockStore::PutMeta(std::string_view key, std::string_view value) {
  Statement& st = st_->put_meta;
  st.Bind(1, key);
  st.Bind(2, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(value.data()), value.size()));
  return st.Run();
}

Result<std::optional<std::string>> SqliteLockStore::GetMeta(std::string_view key) {
  Statement& st = st_->get_meta;
  st.Bind(1, key);
  std::optional<std::string> value;
  Status s = ForEachRow(st, [&value](Statement& row) {
    const auto blob = row.ColumnBlob(0);
    value.emplace(blob.begin(), blob.end());
    return Status::Ok();
  });
  LATCHKEY_TRY(s);
  return value;
}

Status SqliteLockStore::DeleteMeta(std::string_view key) {
  Statement& st = st_->delete_meta;
  st.Bind(1, key);
  return st.Run();
}

}  // namespace latchkey::store
