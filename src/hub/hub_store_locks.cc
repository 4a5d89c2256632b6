// HubStore: the locks table (paired locks, their acked_seq and last state).
#include <utility>

#include "hub/hub_store_internal.h"

namespace latchkey::hub {

using namespace hub_store_internal;

namespace {

constexpr std::string_view kSelectLock =
    "SELECT id, name, address, lock_key, simulated, sim_control_url, acked_seq, state, created_at FROM locks ";

Result<LockRecord> ReadLock(const Statement& row) {
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
  LATCHKEY_TRY(state);
  r.state = std::move(state).value();
  r.created_at_ms = row.ColumnInt64(8);
  return r;
}

}  // namespace

Status HubStore::PutLock(const LockRecord& lock) try {
  if (lock.id.empty()) return Status::Invalid("lock id: must not be empty");
  if (lock.acked_seq > static_cast<uint64_t>(kMaxKey)) return Status::Invalid("acked_seq: out of range");
  auto state = Dump(lock.state, "state");
  LATCHKEY_TRY(state);
  return store::Execute(
      *db_,
      "INSERT INTO locks(id, name, address, lock_key, simulated, sim_control_url, acked_seq, state, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
      "address = excluded.address, lock_key = excluded.lock_key, simulated = excluded.simulated, "
      "sim_control_url = excluded.sim_control_url, acked_seq = max(acked_seq, excluded.acked_seq), "
      "state = excluded.state, created_at = excluded.created_at",
      lock.id, lock.name, lock.address, std::span<const uint8_t>(lock.key), int64_t{lock.simulated ? 1 : 0},
      lock.sim_control_url, static_cast<int64_t>(lock.acked_seq), *state, lock.created_at_ms);
} catch (const std::exception& e) {
  return Failure("lock not stored", e);
}

Result<std::optional<LockRecord>> HubStore::GetLock(const std::string& id) try {
  return store::QueryOne<LockRecord>(*db_, std::string(kSelectLock) + "WHERE id = ?1", ReadLock, id);
} catch (const std::exception& e) {
  return Failure("cannot read lock", e);
}

Result<std::vector<LockRecord>> HubStore::ListLocks() try {
  return store::QueryAll<LockRecord>(*db_, std::string(kSelectLock) + "ORDER BY created_at, id", ReadLock);
} catch (const std::exception& e) {
  return Failure("cannot list locks", e);
}

Status HubStore::DeleteLock(const std::string& id) try {
  return store::ExecuteOne(*db_, "no lock '" + id + "'", "DELETE FROM locks WHERE id = ?1", id);
} catch (const std::exception& e) {
  return Failure("lock not deleted", e);
}

Status HubStore::SetLockState(const std::string& id, const Json& state) try {
  auto text = Dump(state, "state");
  LATCHKEY_TRY(text);
  return store::ExecuteOne(*db_, "no lock '" + id + "'", "UPDATE locks SET state = ?2 WHERE id = ?1", id, *text);
} catch (const std::exception& e) {
  return Failure("lock state not stored", e);
}

}  // namespace latchkey::hub
