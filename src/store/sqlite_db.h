// A small RAII layer over the SQLite C API, shared by the lock's store and the hub's.
//
// It does three things the raw API leaves to every caller: it opens a database in the one
// configuration our durability promise rests on (WAL journal, synchronous=FULL: a commit is on
// stable storage when it returns, and a crash at any instant leaves the last committed state);
// it turns result codes into core::Status with SQLite's own message; and it ties statements and
// transactions to scopes so that an early return can never leak a statement or leave a
// transaction open.
//
// Nothing here throws. A Database is used from one thread at a time.
//
//   auto opened = Database::Open("/var/lib/latchkey/lock.db");
//   if (!opened.ok()) return opened.status();
//   std::unique_ptr<Database> db = std::move(opened).value();
//   auto begun = Transaction::Begin(*db);
//   if (!begun.ok()) return begun.status();
//   Transaction txn = std::move(begun).value();
//   auto prepared = db->Prepare("INSERT INTO t(k, v) VALUES (?1, ?2)");
//   if (!prepared.ok()) return prepared.status();
//   Statement insert = std::move(prepared).value();
//   insert.Bind(1, int64_t{7});
//   insert.Bind(2, "seven");
//   if (Status s = insert.Run(); !s.ok()) return s;  // a bind error shows here; txn rolls back
//   return txn.Commit();
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace latchkey::store {

using core::Result;
using core::Status;

class Statement;

class Database {
 public:
  struct Options {
    // How long a writer waits for another connection's lock before giving up with an error.
    int busy_timeout_ms = 5000;
    // Create the file when it does not exist (otherwise opening a missing file is an error).
    bool create = true;
  };

  // Opens (or creates) the database at `path` with journal_mode=WAL, synchronous=FULL,
  // foreign_keys=ON and the busy timeout. ":memory:" opens a private in-memory database (for
  // tests; it cannot be durable, so it is the one path that is allowed not to be in WAL mode).
  static Result<std::unique_ptr<Database>> Open(const std::string& path, const Options& options);
  static Result<std::unique_ptr<Database>> Open(const std::string& path) { return Open(path, Options{}); }

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more `;`-separated statements that return no rows the caller needs.
  Status Exec(std::string_view sql);

  // Compiles one statement, or takes the compiled one a destroyed Statement of the same text
  // left behind (reset, bindings cleared): a query run on every request is compiled once.
  Result<Statement> Prepare(std::string_view sql);

  // Reads one integer: the first column of the first row of `sql` (e.g. "PRAGMA user_version").
  Result<int64_t> QueryInt(std::string_view sql);

  // Whether a transaction is open on this connection.
  bool InTransaction() const;

  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t changes() const;

  const std::string& path() const { return path_; }

  // The raw handle, for what this layer does not wrap. The Database keeps ownership.
  sqlite3* handle() const { return db_; }

 private:
  friend class Statement;
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status Error(int rc, std::string_view what) const;
  // Keeps a statement that its holder is done with for the next Prepare of `sql` (at most one
  // per text and kMaxIdleStatements in all; others are finalised).
  void Recycle(std::string sql, sqlite3_stmt* stmt);

  static constexpr std::size_t kMaxIdleStatements = 64;
  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> idle_;
};

// One compiled statement. Parameters are numbered from 1 (as in "?1"), columns from 0.
// Movable, not copyable; when destroyed, handed back to its Database for reuse (see Prepare),
// so it must not outlive the Database.
class Statement {
 public:
  enum class StepResult : uint8_t {
    kRow,    // a row is ready for the Column getters
    kDone,   // the statement ran to completion
    kError,  // see status()
  };

  Statement() = default;
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // A failed Bind (a bad index, a value SQLite refuses) is remembered and reported by the next
  // Step() or Run(), which then does not run: a row is never written with a parameter silently
  // left NULL, and a sequence of binds needs one check, not one per bind.
  void Bind(int index, int64_t value);
  void Bind(int index, std::string_view text);           // as TEXT (copied)
  void Bind(int index, std::span<const uint8_t> bytes);  // as a BLOB (copied)
  void BindNull(int index);

  // Advances to the next row. After kDone or kError, Reset() before running it again.
  StepResult Step();
  // Runs a statement that returns no rows to completion, then resets it (keeping bindings
  // cleared) so that it is ready for reuse. A statement that yields a row is an error here.
  Status Run();
  // Makes the statement ready to run again and clears every binding and any remembered error.
  void Reset();

  // Why the last Bind or Step failed; ok otherwise.
  const Status& status() const { return status_; }

  // Column getters for the current row. Text and blob views stay valid until the next
  // Step(), Reset() or destruction; copy what you keep.
  int column_count() const;
  bool ColumnIsNull(int column) const;
  int64_t ColumnInt64(int column) const;
  std::string_view ColumnText(int column) const;
  std::span<const uint8_t> ColumnBlob(int column) const;

 private:
  friend class Database;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  void Check(int rc, int index);
  // Gives the statement back to its Database, or finalises it.
  void Release();

  sqlite3_stmt* stmt_ = nullptr;
  Status status_;
  Database* home_ = nullptr;  // where it goes back to, with the text it was prepared from
  std::string sql_;
};

// A transaction: BEGIN when made, ROLLBACK when destroyed uncommitted.
class Transaction {
 public:
  enum class Mode : uint8_t {
    // For writes: takes the write lock up front, so that a conflict with another connection
    // shows up at Begin (after the busy timeout) rather than half-way through a batch.
    kImmediate,
    // For reads: a consistent snapshot of several queries, without blocking writers.
    kDeferred,
  };
  static Result<Transaction> Begin(Database& db, Mode mode = Mode::kImmediate);

  ~Transaction();
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Makes every write since Begin durable. On failure everything is rolled back (here or by
  // the destructor) and nothing of the transaction is kept.
  Status Commit();
  // Abandons the transaction now (the destructor does the same).
  void Rollback();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;  // null once committed or rolled back
};

// Runs `st` and hands each row to `on_row` (a callable Statement& -> Status); stops at the first
// error and always leaves the statement reset, so that no read keeps its snapshot open.
template <typename OnRow>
Status ForEachRow(Statement& st, OnRow on_row) {
  for (;;) {
    switch (st.Step()) {
      case Statement::StepResult::kRow:
        if (Status s = on_row(st); !s.ok()) {
          st.Reset();
          return s;
        }
        break;
      case Statement::StepResult::kDone:
        st.Reset();
        return Status::Ok();
      case Statement::StepResult::kError: {
        Status s = st.status();
        st.Reset();
        return s;
      }
    }
  }
}

// Brings the schema up to date. `steps[i]` turns schema version i into version i + 1 (version
// 0 is an empty database); the version lives in PRAGMA user_version. Each step runs in its own
// transaction together with the version bump, so a crash between steps leaves a database at a
// well-defined version that the next Migrate continues from. A database newer than `steps`
// knows is refused: an older program must not write into a schema it does not understand.
Status Migrate(Database& db, std::span<const std::string_view> steps);

// The schema version of `db` (PRAGMA user_version).
Result<int64_t> SchemaVersion(Database& db);

}  // namespace latchkey::store
