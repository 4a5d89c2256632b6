// The lock's durable state in one SQLite file: the core's LockStore, plus a small key/value
// table for what the adapters around the core keep (the pairing with a hub).
//
// Durability: the file is in WAL mode with synchronous=FULL and every WriteBatch is one
// transaction, so a batch is on stable storage when Write returns ok, and a crash or power cut
// at any instant leaves exactly the batches that returned ok (and possibly the one in flight,
// whole or not at all). The core applies a change to its memory only after Write returns ok;
// together that is "an acknowledged change survives anything".
//
// Schema (version 1; PRAGMA user_version holds the version, see Migrate in sqlite_db.h):
//
//   meta(key TEXT PRIMARY KEY, value BLOB)          -- adapters' records, e.g. the pairing
//   settings(id = 1, body JSON)                     -- present once the lock was initialised
//   runtime(id = 1, body JSON)                      -- counters, timers, the log's position
//   users(idx PRIMARY KEY, body JSON)               -- with their schedules and credential list
//   credentials(type TEXT, idx INTEGER, user INTEGER, digest BLOB(32), created_by TEXT,
//               created_at INTEGER, PRIMARY KEY(type, idx))
//   holidays(idx PRIMARY KEY, body JSON)
//   events(seq PRIMARY KEY, body JSON)              -- the hash-chained log, hash in the body
//
// Records are the JSON documents of src/wire/json_codec.h, the same forms the link and the API
// use, so the file can be read with the sqlite3 shell and its JSON functions. Credentials get
// columns of their own because they hold the only binary field (the keyed digest) and nothing
// else. Every record is checked to read back equal to itself before it is written, so that the
// store can never accept a record that would make the next Load fail.
//
// Not thread-safe: one lock daemon, one event loop, one store.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/store.h"
#include "store/sqlite_db.h"

namespace latchkey::store {

class SqliteLockStore : public core::LockStore {
 public:
  // The schema steps, oldest first (steps[i] turns version i into i + 1).
  static std::span<const std::string_view> SchemaSteps();

  // Opens the store at `path`, creating the file and bringing its schema up to date.
  // Fails with kIoError when the file cannot be opened, is not a database, or has a schema
  // newer than this program.
  static core::Result<std::unique_ptr<SqliteLockStore>> Open(const std::string& path);

  ~SqliteLockStore() override;
  SqliteLockStore(const SqliteLockStore&) = delete;
  SqliteLockStore& operator=(const SqliteLockStore&) = delete;

  // --- core::LockStore -----------------------------------------------------------------------
  // Everything stored. A row that does not decode (bad JSON, a missing or mistyped field, a
  // key that disagrees with its body, a digest of the wrong size) is kIoError naming the table
  // and row: a lock must not start from state it cannot read.
  core::Status Load(core::PersistentState* out) override;
  // All ops of `batch` in one transaction: all applied and durable, or none (kIoError).
  // AppendEvent never replaces a stored event: appending a seq that is already there fails the
  // batch, since overwriting an entry of a hash-chained log would rewrite history.
  core::Status Write(const core::WriteBatch& batch) override;
  // Up to `limit` events with seq > `after`, in seq order; `*out` is replaced.
  core::Status ReadEvents(uint64_t after, std::size_t limit, std::vector<core::Event>* out) override;

  // --- meta: small records of the adapters (the link stores the paired hub's key here) -----
  // Each call is its own durable transaction.
  core::Status PutMeta(std::string_view key, std::string_view value);
  // The value, or nullopt when `key` was never put (or was deleted).
  core::Result<std::optional<std::string>> GetMeta(std::string_view key);
  core::Status DeleteMeta(std::string_view key);

  // The connection, for tools and tests that need to look underneath.
  Database& database() { return *db_; }

 private:
  struct Statements;
  SqliteLockStore(std::unique_ptr<Database> db, std::unique_ptr<Statements> statements);
  core::Status Apply(const core::WriteBatch::Op& op);

  // Declared in this order so that the statements are finalised before the connection closes.
  std::unique_ptr<Database> db_;
  std::unique_ptr<Statements> st_;
};

}  // namespace latchkey::store
