// HubStore: offline guest codes (OFFLINE-CODES.md; docs/offline-codes.md): schema version 4 and
// its queries.
#include <algorithm>
#include <utility>

#include "hub/hub_store_internal.h"

namespace latchkey::hub {
namespace hub_store_internal {

// Version 4: offline guest codes.
// - offline_code_keys: one row per lock that has offline codes: its 32-byte key (a secret: the
//   API never shows it), the reference epoch, the generation new codes are issued under, the
//   revocation list's version, and what the lock last answered (applied_*, NULL until it did).
// - offline_codes: every code issued, with its plaintext (what a revocation list names) and the
//   code typed at the door. A revoked code stays until its window has long ended: the lists sent
//   while it could still open the door must name it.
// Both go with the lock (unpairing: the lock forgets its key too).
const std::string_view kSchemaV4OfflineCodes = R"sql(
CREATE TABLE offline_code_keys(
  lock TEXT NOT NULL PRIMARY KEY REFERENCES locks(id) ON DELETE CASCADE,
  key BLOB NOT NULL CHECK (length(key) = 32),
  epoch INTEGER NOT NULL CHECK (epoch > 0 AND epoch % 3600 = 0),
  generation INTEGER NOT NULL CHECK (generation BETWEEN 0 AND 4294967295),
  revocations_version INTEGER NOT NULL CHECK (revocations_version >= 0),
  applied_key INTEGER CHECK (applied_key IN (0, 1)),
  applied_epoch INTEGER,
  applied_generation INTEGER CHECK (applied_generation BETWEEN 0 AND 4294967295),
  applied_version INTEGER CHECK (applied_version >= 0),
  applied_at INTEGER,
  created_at INTEGER NOT NULL,
  CHECK ((applied_key IS NULL) = (applied_at IS NULL))
) STRICT;
CREATE TABLE offline_codes(
  id TEXT NOT NULL PRIMARY KEY,
  lock TEXT NOT NULL REFERENCES offline_code_keys(lock) ON DELETE CASCADE,
  plaintext TEXT NOT NULL CHECK (length(plaintext) = 12),
  code TEXT NOT NULL CHECK (length(code) = 12),
  type TEXT NOT NULL CHECK (type IN ('window', 'one_time', 'clear')),
  start_hour INTEGER NOT NULL CHECK (start_hour BETWEEN 0 AND 99999),
  duration_hours INTEGER NOT NULL CHECK (duration_hours BETWEEN 1 AND 999),
  starts_at INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  name TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  generation INTEGER NOT NULL CHECK (generation BETWEEN 0 AND 4294967295),
  revoked_at INTEGER,
  revoked_version INTEGER CHECK (revoked_version >= 0),
  cleared_at INTEGER,
  used_at INTEGER,
  CHECK (starts_at < ends_at),
  CHECK ((revoked_at IS NULL) = (revoked_version IS NULL))
) STRICT;
CREATE INDEX offline_codes_by_lock ON offline_codes(lock, created_at);
)sql";

}  // namespace hub_store_internal

using namespace hub_store_internal;

namespace {

constexpr std::string_view kSelectKey =
    "SELECT lock, key, epoch, generation, revocations_version, applied_key, applied_epoch, applied_generation, "
    "applied_version, applied_at, created_at FROM offline_code_keys ";

constexpr std::string_view kSelectCode =
    "SELECT id, lock, plaintext, code, type, start_hour, duration_hours, starts_at, ends_at, name, created_by, "
    "created_at, generation, revoked_at, revoked_version, cleared_at, used_at FROM offline_codes ";

constexpr int64_t kMaxGeneration = 4294967295;

std::string_view TypeColumn(core::OfflineCodeType type) {
  switch (type) {
    case core::OfflineCodeType::kWindow: return "window";
    case core::OfflineCodeType::kOneTime: return "one_time";
    case core::OfflineCodeType::kClear: return "clear";
  }
  return "";
}

bool AllDigits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<OfflineCodeKey> ReadKey(const Statement& row) {
  OfflineCodeKey k;
  k.lock = std::string(row.ColumnText(0));
  const auto key = row.ColumnBlob(1);
  if (key.size() != k.key.size()) return Status::IoError("offline_code_keys row " + k.lock + ": key is not 32 bytes");
  std::copy(key.begin(), key.end(), k.key.begin());
  k.epoch_s = row.ColumnInt64(2);
  k.generation = static_cast<uint32_t>(row.ColumnInt64(3));
  k.revocations_version = static_cast<uint64_t>(row.ColumnInt64(4));
  if (const auto applied_key = ColumnOptionalInt(row, 5)) {
    OfflineCodesApplied a;
    a.key = *applied_key != 0;
    a.epoch_s = ColumnOptionalInt(row, 6).value_or(0);
    a.generation = static_cast<uint32_t>(ColumnOptionalInt(row, 7).value_or(0));
    a.revocations_version = static_cast<uint64_t>(ColumnOptionalInt(row, 8).value_or(0));
    a.at_ms = ColumnOptionalInt(row, 9).value_or(0);
    k.applied = a;
  }
  k.created_at_ms = row.ColumnInt64(10);
  return k;
}

Result<OfflineCodeRecord> ReadCode(const Statement& row) {
  OfflineCodeRecord c;
  c.id = std::string(row.ColumnText(0));
  c.lock = std::string(row.ColumnText(1));
  c.plaintext = std::string(row.ColumnText(2));
  c.code = std::string(row.ColumnText(3));
  const std::string_view type = row.ColumnText(4);
  if (type == "window") c.type = core::OfflineCodeType::kWindow;
  else if (type == "one_time") c.type = core::OfflineCodeType::kOneTime;
  else if (type == "clear") c.type = core::OfflineCodeType::kClear;
  else return Status::IoError("offline_codes row " + c.id + ": unknown type");
  c.start_hour = static_cast<uint32_t>(row.ColumnInt64(5));
  c.duration_hours = static_cast<uint16_t>(row.ColumnInt64(6));
  c.starts_at_ms = row.ColumnInt64(7);
  c.ends_at_ms = row.ColumnInt64(8);
  c.name = std::string(row.ColumnText(9));
  c.created_by = std::string(row.ColumnText(10));
  c.created_at_ms = row.ColumnInt64(11);
  c.generation = static_cast<uint32_t>(row.ColumnInt64(12));
  c.revoked_at_ms = ColumnOptionalInt(row, 13);
  if (const auto version = ColumnOptionalInt(row, 14)) c.revoked_version = static_cast<uint64_t>(*version);
  c.cleared_at_ms = ColumnOptionalInt(row, 15);
  c.used_at_ms = ColumnOptionalInt(row, 16);
  return c;
}

Status CheckCode(const OfflineCodeRecord& c) {
  if (c.id.empty() || c.id.size() > 64) return Status::Invalid("id: must be 1..64 characters");
  if (c.plaintext.size() != core::kOfflineCodeDigits || !AllDigits(c.plaintext)) {
    return Status::Invalid("plaintext: must be 12 digits");
  }
  if (c.code.size() != core::kOfflineCodeDigits || !AllDigits(c.code)) return Status::Invalid("code: must be 12 digits");
  if (TypeColumn(c.type).empty()) return Status::Invalid("type: unknown");
  if (!core::ValidOfflineCodeFields({c.type, c.start_hour, c.duration_hours})) {
    return Status::Invalid("start_hour, duration_hours: out of range");
  }
  if (c.starts_at_ms >= c.ends_at_ms) return Status::Invalid("starts_at must be before ends_at");
  if (c.revoked_at_ms.has_value() != c.revoked_version.has_value()) {
    return Status::Invalid("revoked_at and revoked_version go together");
  }
  if (c.revoked_version && *c.revoked_version > static_cast<uint64_t>(kMaxKey)) {
    return Status::Invalid("revoked_version: out of range");
  }
  return Status::Ok();
}

}  // namespace

Result<std::optional<OfflineCodeKey>> HubStore::GetOfflineCodeKey(const std::string& lock) try {
  return store::QueryOne<OfflineCodeKey>(*db_, std::string(kSelectKey) + "WHERE lock = ?1", ReadKey, lock);
} catch (const std::exception& e) {
  return Failure("cannot read the offline-code key", e);
}

Result<OfflineCodeKey> HubStore::EnsureOfflineCodeKey(const OfflineCodeKey& key) try {
  if (key.epoch_s <= 0 || key.epoch_s % 3600 != 0) return Status::Invalid("epoch: must be a positive multiple of 3600");
  if (key.revocations_version > static_cast<uint64_t>(kMaxKey)) return Status::Invalid("revocations_version: out of range");
  auto paired = store::Exists(*db_, "SELECT 1 FROM locks WHERE id = ?1", key.lock);
  LATCHKEY_TRY(paired);
  if (!*paired) return Status::NotFound("no lock '" + key.lock + "'");
  LATCHKEY_TRY(store::Execute(*db_,
                              "INSERT INTO offline_code_keys(lock, key, epoch, generation, revocations_version, "
                              "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(lock) DO NOTHING",
                              key.lock, std::span<const uint8_t>(key.key), key.epoch_s,
                              static_cast<int64_t>(key.generation), static_cast<int64_t>(key.revocations_version),
                              key.created_at_ms));
  auto stored = GetOfflineCodeKey(key.lock);
  LATCHKEY_TRY(stored);
  if (!stored->has_value()) return Status::IoError("offline_code_keys: the row for " + key.lock + " is gone");
  return std::move(**stored);
} catch (const std::exception& e) {
  return Failure("offline-code key not stored", e);
}

Status HubStore::PutOfflineCodesApplied(const std::string& lock, const OfflineCodesApplied& a) try {
  if (a.revocations_version > static_cast<uint64_t>(kMaxKey)) return Status::Invalid("revocations_version: out of range");
  return store::ExecuteOne(*db_, "no offline-code key for lock '" + lock + "'",
                           "UPDATE offline_code_keys SET applied_key = ?2, applied_epoch = ?3, applied_generation = ?4, "
                           "applied_version = ?5, applied_at = ?6 WHERE lock = ?1",
                           lock, int64_t{a.key ? 1 : 0}, a.epoch_s, static_cast<int64_t>(a.generation),
                           static_cast<int64_t>(a.revocations_version), a.at_ms);
} catch (const std::exception& e) {
  return Failure("offline codes' answer not stored", e);
}

Status HubStore::CommitOfflineCodeChange(const OfflineCodeChange& change) try {
  if (change.add) {
    LATCHKEY_TRY(CheckCode(*change.add));
    if (change.add->lock != change.lock) return Status::Invalid("lock: the code is for another lock");
  }
  for (const auto& [id, version] : change.revoke) {
    if (version > static_cast<uint64_t>(kMaxKey)) return Status::Invalid("revoked_version: out of range");
  }
  if (change.revocations_version && *change.revocations_version > static_cast<uint64_t>(kMaxKey)) {
    return Status::Invalid("revocations_version: out of range");
  }
  auto begun = Transaction::Begin(*db_);
  LATCHKEY_TRY(begun);
  Transaction txn = std::move(begun).value();
  auto current = GetOfflineCodeKey(change.lock);
  LATCHKEY_TRY(current);
  if (!current->has_value()) return Status::NotFound("no offline-code key for lock '" + change.lock + "'");
  const OfflineCodeKey& key = **current;
  // A lock keeps the newest list and generation it has seen: values that do not rise would
  // never reach it.
  if (change.generation && *change.generation <= key.generation) {
    return Status::Invalid("generation: " + std::to_string(*change.generation) + " is not above " +
                           std::to_string(key.generation));
  }
  if (change.revocations_version && *change.revocations_version <= key.revocations_version) {
    return Status::Invalid("revocations_version: " + std::to_string(*change.revocations_version) + " is not above " +
                           std::to_string(key.revocations_version));
  }
  if (change.generation) {
    LATCHKEY_TRY(store::Execute(*db_, "UPDATE offline_code_keys SET generation = ?2 WHERE lock = ?1", change.lock,
                                static_cast<int64_t>(*change.generation)));
    LATCHKEY_TRY(store::Execute(
        *db_, "UPDATE offline_codes SET cleared_at = ?3 WHERE lock = ?1 AND generation < ?2 AND cleared_at IS NULL",
        change.lock, static_cast<int64_t>(*change.generation), change.at_ms));
  }
  if (change.revocations_version) {
    LATCHKEY_TRY(store::Execute(*db_, "UPDATE offline_code_keys SET revocations_version = ?2 WHERE lock = ?1",
                                change.lock, static_cast<int64_t>(*change.revocations_version)));
  }
  for (const auto& [id, version] : change.revoke) {
    LATCHKEY_TRY(store::Execute(*db_,
                                "UPDATE offline_codes SET revoked_at = ?3, revoked_version = ?4 "
                                "WHERE lock = ?1 AND id = ?2 AND revoked_at IS NULL",
                                change.lock, id, change.at_ms, static_cast<int64_t>(version)));
  }
  if (change.add) {
    const OfflineCodeRecord& c = *change.add;
    auto taken = store::Exists(*db_, "SELECT 1 FROM offline_codes WHERE id = ?1", c.id);
    LATCHKEY_TRY(taken);
    if (*taken) return Status::Duplicate("offline code " + c.id + " exists");
    std::optional<int64_t> revoked_version;
    if (c.revoked_version) revoked_version = static_cast<int64_t>(*c.revoked_version);
    LATCHKEY_TRY(store::Execute(
        *db_,
        "INSERT INTO offline_codes(id, lock, plaintext, code, type, start_hour, duration_hours, starts_at, ends_at, "
        "name, created_by, created_at, generation, revoked_at, revoked_version, cleared_at, used_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        c.id, c.lock, c.plaintext, c.code, TypeColumn(c.type), static_cast<int64_t>(c.start_hour),
        static_cast<int64_t>(c.duration_hours), c.starts_at_ms, c.ends_at_ms, c.name, c.created_by, c.created_at_ms,
        static_cast<int64_t>(c.generation), c.revoked_at_ms, revoked_version, c.cleared_at_ms, c.used_at_ms));
  }
  return txn.Commit();
} catch (const std::exception& e) {
  return Failure("offline codes not stored", e);
}

Result<std::optional<OfflineCodeRecord>> HubStore::GetOfflineCode(const std::string& lock, const std::string& id) try {
  return store::QueryOne<OfflineCodeRecord>(*db_, std::string(kSelectCode) + "WHERE lock = ?1 AND id = ?2", ReadCode,
                                            lock, id);
} catch (const std::exception& e) {
  return Failure("cannot read the offline code", e);
}

Result<std::vector<OfflineCodeRecord>> HubStore::ListOfflineCodes(const std::string& lock) try {
  return store::QueryAll<OfflineCodeRecord>(
      *db_, std::string(kSelectCode) + "WHERE lock = ?1 ORDER BY created_at DESC, rowid DESC", ReadCode, lock);
} catch (const std::exception& e) {
  return Failure("cannot list offline codes", e);
}

Result<bool> HubStore::MarkOfflineCodeUsed(const std::string& lock, const std::string& id, int64_t at_ms) try {
  LATCHKEY_TRY(store::Execute(*db_,
                              "UPDATE offline_codes SET used_at = ?3 WHERE lock = ?1 AND id = ?2 AND used_at IS NULL",
                              lock, id, at_ms));
  return db_->changes() > 0;
} catch (const std::exception& e) {
  return Failure("offline code's use not stored", e);
}

Status HubStore::DeleteOfflineCodesEndedBefore(const std::string& lock, int64_t before_ms) try {
  return store::Execute(*db_, "DELETE FROM offline_codes WHERE lock = ?1 AND ends_at < ?2", lock, before_ms);
} catch (const std::exception& e) {
  return Failure("ended offline codes not deleted", e);
}

}  // namespace latchkey::hub
