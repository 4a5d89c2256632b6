#include "store/sqlite_db.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <string>
#include <utility>

#include "store/secret_file.h"

namespace latchkey::store {

namespace {

std::string Describe(sqlite3* db, int rc) {
  // sqlite3_errmsg describes the most recent failure on the connection, which is more specific
  // than the generic text of the code ("UNIQUE constraint failed: events.seq" rather than
  // "constraint failed"); without a connection only the code's text is available.
  std::string text = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return text + " (sqlite code " + std::to_string(rc) + ")";
}

}  // namespace

// --- Database --------------------------------------------------------------------------------

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, const Options& options) {
  const bool in_memory = path == ":memory:";
  struct stat st {};
  const bool existed = in_memory || ::stat(path.c_str(), &st) == 0;

  int flags = SQLITE_OPEN_READWRITE;
  if (options.create) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  // SQLite hands back a connection even when opening fails (to carry the message); taking
  // ownership at once means it is closed on every path.
  std::unique_ptr<Database> db(new Database(raw, path));
  if (rc != SQLITE_OK) return Status::IoError("cannot open database " + path + ": " + Describe(raw, rc));

  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  LATCHKEY_TRY(db->Exec("PRAGMA foreign_keys = ON"));

  // journal_mode answers with the mode now in force; SQLite silently keeps another one when it
  // cannot switch (a read-only medium, an in-memory database), and our crash safety rests on WAL.
  auto mode = db->Prepare("PRAGMA journal_mode = WAL");
  LATCHKEY_TRY(mode);
  Statement& mode_stmt = mode.value();
  if (mode_stmt.Step() != Statement::StepResult::kRow) {
    return Status::IoError("cannot set WAL mode on " + path + ": " + mode_stmt.status().message());
  }
  const std::string journal(mode_stmt.ColumnText(0));
  mode_stmt.Reset();
  if (journal != "wal" && !in_memory) {
    return Status::IoError("database " + path + " cannot use WAL (journal mode is '" + journal + "')");
  }

  // FULL: in WAL mode every commit syncs the log, so an acknowledged write survives a power
  // cut, not just a crash of the process (NORMAL would only guarantee the latter).
  LATCHKEY_TRY(db->Exec("PRAGMA synchronous = FULL"));
  auto sync = db->QueryInt("PRAGMA synchronous");
  LATCHKEY_TRY(sync);
  if (*sync != 2) return Status::IoError("database " + path + " refused synchronous=FULL");

  // A new file's directory entry is only durable once its directory is synced; without this a
  // power cut soon after the first start could lose the whole database file.
  if (!existed) {
    LATCHKEY_TRY(SyncParentDirectory(path));
  }
  return db;
}

Database::~Database() {
  // Statements are owned by their holders and must be gone by now; sqlite3_close_v2 would
  // otherwise keep the connection alive as a zombie until the last one is finalised.
  for (auto& [sql, stmt] : idle_) sqlite3_finalize(stmt);
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

void Database::Recycle(std::string sql, sqlite3_stmt* stmt) {
  if (idle_.size() >= kMaxIdleStatements || !idle_.try_emplace(std::move(sql), stmt).second) sqlite3_finalize(stmt);
}

Status Database::Error(int rc, std::string_view what) const {
  return Status::IoError(std::string(what) + ": " + Describe(db_, rc));
}

Status Database::Exec(std::string_view sql) {
  const std::string text(sql);  // sqlite3_exec wants a terminated string
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string why = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  const std::string head = text.size() > 60 ? text.substr(0, 60) + "..." : text;
  return Status::IoError("'" + head + "' failed: " + why + " (sqlite code " + std::to_string(rc) + ")");
}

Result<Statement> Database::Prepare(std::string_view sql) {
  std::string key(sql);
  if (const auto it = idle_.find(key); it != idle_.end()) {
    Statement reused(it->second);
    idle_.erase(it);
    reused.home_ = this;
    reused.sql_ = std::move(key);
    return reused;
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  // PERSISTENT: these statements are compiled once and kept, which SQLite then allocates for.
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                    &stmt, &tail);
  Statement statement(stmt);  // owns it from here, whatever happens next
  if (rc != SQLITE_OK) return Error(rc, "cannot prepare '" + std::string(sql) + "'");
  if (stmt == nullptr) return Status::Invalid("no SQL statement in '" + std::string(sql) + "'");
  // A second statement after the first would be silently ignored; refuse it instead.
  for (const char* p = tail; p != nullptr && p < sql.data() + sql.size(); ++p) {
    if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r' && *p != ';') {
      return Status::Invalid("more than one SQL statement in '" + std::string(sql) + "'");
    }
  }
  statement.home_ = this;
  statement.sql_ = std::move(key);
  return statement;
}

Result<int64_t> Database::QueryInt(std::string_view sql) {
  auto prepared = Prepare(sql);
  LATCHKEY_TRY(prepared);
  Statement& st = prepared.value();
  switch (st.Step()) {
    case Statement::StepResult::kRow: return st.ColumnInt64(0);
    case Statement::StepResult::kDone: return Status::IoError("'" + std::string(sql) + "' returned no row");
    case Statement::StepResult::kError: break;
  }
  return st.status();
}

bool Database::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

int64_t Database::changes() const { return sqlite3_changes64(db_); }

// --- Statement -------------------------------------------------------------------------------

Statement::~Statement() { Release(); }

void Statement::Release() {
  if (stmt_ == nullptr) return;
  if (home_ == nullptr) {
    sqlite3_finalize(stmt_);
  } else {
    sqlite3_reset(stmt_);  // ends its read, if it was in the middle of one
    sqlite3_clear_bindings(stmt_);
    home_->Recycle(std::move(sql_), stmt_);
  }
  stmt_ = nullptr;
}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      status_(std::move(other.status_)),
      home_(std::exchange(other.home_, nullptr)),
      sql_(std::move(other.sql_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    Release();
    stmt_ = std::exchange(other.stmt_, nullptr);
    status_ = std::move(other.status_);
    home_ = std::exchange(other.home_, nullptr);
    sql_ = std::move(other.sql_);
  }
  return *this;
}

void Statement::Check(int rc, int index) {
  if (rc == SQLITE_OK || !status_.ok()) return;  // keep the first error
  status_ = Status::IoError("bind ?" + std::to_string(index) + ": " + Describe(sqlite3_db_handle(stmt_), rc));
}

void Statement::Bind(int index, int64_t value) {
  if (stmt_ != nullptr) Check(sqlite3_bind_int64(stmt_, index, value), index);
}

void Statement::Bind(int index, std::string_view text) {
  if (stmt_ == nullptr) return;
  // A null pointer would bind SQL NULL, not an empty string.
  const char* data = text.data() != nullptr ? text.data() : "";
  Check(sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8), index);
}

void Statement::Bind(int index, std::span<const uint8_t> bytes) {
  if (stmt_ == nullptr) return;
  // As for text: a null pointer would bind NULL; an empty blob is a zero-length blob.
  if (bytes.empty()) {
    Check(sqlite3_bind_zeroblob(stmt_, index, 0), index);
  } else {
    Check(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT), index);
  }
}

void Statement::BindNull(int index) {
  if (stmt_ != nullptr) Check(sqlite3_bind_null(stmt_, index), index);
}

Statement::StepResult Statement::Step() {
  if (stmt_ == nullptr) {
    status_ = Status::Invalid("step on an empty statement");
    return StepResult::kError;
  }
  if (!status_.ok()) return StepResult::kError;  // a failed Bind: never run half-bound
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return StepResult::kRow;
  if (rc == SQLITE_DONE) return StepResult::kDone;
  status_ = Status::IoError(std::string("'") + sqlite3_sql(stmt_) + "' failed: " +
                            Describe(sqlite3_db_handle(stmt_), rc));
  return StepResult::kError;
}

Status Statement::Run() {
  const StepResult step = Step();
  Status result;
  if (step == StepResult::kError) {
    result = status_;
  } else if (step == StepResult::kRow) {
    result = Status::IoError(std::string("'") + sqlite3_sql(stmt_) + "' returned a row where none was expected");
  }
  Reset();
  return result;
}

void Statement::Reset() {
  if (stmt_ != nullptr) {
    // sqlite3_reset repeats the last step's error, which Step has already reported.
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  status_ = Status::Ok();
}

int Statement::column_count() const { return stmt_ != nullptr ? sqlite3_column_count(stmt_) : 0; }

bool Statement::ColumnIsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

int64_t Statement::ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string_view Statement::ColumnText(int column) const {
  // Text first, then bytes: that is the order in which SQLite's conversions leave both valid.
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::span<const uint8_t> Statement::ColumnBlob(int column) const {
  const auto* blob = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, column));
  if (blob == nullptr) return {};  // NULL or a zero-length blob
  return {blob, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

// --- Transaction -----------------------------------------------------------------------------

Result<Transaction> Transaction::Begin(Database& db, Mode mode) {
  LATCHKEY_TRY(db.Exec(mode == Mode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED"));
  return Transaction(&db);
}

Transaction::~Transaction() { Rollback(); }

Status Transaction::Commit() {
  if (db_ == nullptr) return Status::Invalid("commit of a transaction that is no longer open");
  Status s = db_->Exec("COMMIT");
  // A COMMIT that fails with BUSY leaves the transaction open; one that fails on I/O may have
  // rolled back already. Either way the caller gets all or nothing: roll back what is left.
  if (!s.ok()) Rollback();
  db_ = nullptr;
  return s;
}

void Transaction::Rollback() {
  if (db_ == nullptr) return;
  // The result is of no use: if ROLLBACK itself fails, SQLite rolls back the hot journal the
  // next time the database is opened, which gives the same answer.
  if (db_->InTransaction()) (void)db_->Exec("ROLLBACK");
  db_ = nullptr;
}

// --- migrations ------------------------------------------------------------------------------

Result<int64_t> SchemaVersion(Database& db) { return db.QueryInt("PRAGMA user_version"); }

Status Migrate(Database& db, std::span<const std::string_view> steps) {
  const auto known = static_cast<int64_t>(steps.size());
  for (;;) {
    // The version is read inside the write transaction, so two processes migrating the same
    // file at once cannot both apply a step.
    auto begun = Transaction::Begin(db);
    LATCHKEY_TRY(begun);
    Transaction txn = std::move(begun).value();
    auto version = SchemaVersion(db);
    LATCHKEY_TRY(version);
    if (*version > known) {
      return Status::IoError("database " + db.path() + " has schema version " + std::to_string(*version) +
                             ", newer than this program knows (" + std::to_string(known) + ")");
    }
    if (*version == known) return Status::Ok();  // nothing was written; the rollback is free
    if (Status s = db.Exec(steps[static_cast<std::size_t>(*version)]); !s.ok()) {
      return Status::IoError("migration to schema version " + std::to_string(*version + 1) + " failed: " +
                             s.message());
    }
    // PRAGMA takes no parameters; the number is ours, not input.
    LATCHKEY_TRY(db.Exec("PRAGMA user_version = " + std::to_string(*version + 1)));
    LATCHKEY_TRY(txn.Commit());
  }
}

}  // namespace latchkey::store
