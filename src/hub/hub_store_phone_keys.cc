// HubStore: the phone keys the hub issued (phone_keys), the revocation list as last signed with
// the next serial (phone_key_meta, one row), and what each lock last answered about them
// (lock_phone_keys).
#include <utility>

#include "hub/hub_store_internal.h"

namespace latchkey::hub {

using namespace hub_store_internal;

namespace {

constexpr std::string_view kSelectPhoneKey =
    "SELECT serial, account, lock, user, phone, not_before, not_after, ops, auto, epoch, issued_by, issued_at, "
    "revoked_at, revoked_version, certificate FROM phone_keys ";

// `ops` as stored: the names in the certificate's order.
Json OpsColumn(const core::PhoneOps& ops) {
  Json list = Json::array();
  if (ops.lock) list.push_back("lock");
  if (ops.unlock) list.push_back("unlock");
  if (ops.unlatch) list.push_back("unlatch");
  return list;
}

Result<core::PhoneOps> ReadOps(const Statement& row, int column, const std::string& where) {
  auto json = ColumnJson(row, column, where);
  LATCHKEY_TRY(json);
  if (!json->is_array()) return Status::IoError(where + ": stored ops is not a list");
  core::PhoneOps ops;
  for (const Json& name : *json) {
    if (name == "lock") ops.lock = true;
    else if (name == "unlock") ops.unlock = true;
    else if (name == "unlatch") ops.unlatch = true;
    else return Status::IoError(where + ": stored ops holds " + name.dump());
  }
  return ops;
}

Result<PhoneKeyRecord> ReadPhoneKey(const Statement& row) {
  PhoneKeyRecord k;
  k.serial = static_cast<uint64_t>(row.ColumnInt64(0));
  const std::string where = "phone_keys row " + std::to_string(k.serial);
  k.account = std::string(row.ColumnText(1));
  k.lock = std::string(row.ColumnText(2));
  k.user = static_cast<uint32_t>(row.ColumnInt64(3));
  const auto phone = row.ColumnBlob(4);
  if (phone.size() != k.phone.size()) return Status::IoError(where + ": phone is not 32 bytes");
  std::copy(phone.begin(), phone.end(), k.phone.begin());
  k.not_before_s = row.ColumnInt64(5);
  k.not_after_s = row.ColumnInt64(6);
  auto ops = ReadOps(row, 7, where);
  LATCHKEY_TRY(ops);
  k.ops = *ops;
  k.auto_unlock = row.ColumnInt64(8) != 0;
  k.epoch = static_cast<uint32_t>(row.ColumnInt64(9));
  k.issued_by = std::string(row.ColumnText(10));
  k.issued_at_ms = row.ColumnInt64(11);
  k.revoked_at_ms = ColumnOptionalInt(row, 12);
  if (const auto version = ColumnOptionalInt(row, 13)) k.revoked_version = static_cast<uint64_t>(*version);
  const auto certificate = row.ColumnBlob(14);
  k.certificate.assign(certificate.begin(), certificate.end());
  return k;
}

Result<std::vector<uint64_t>> ReadSerials(const Statement& row, int column, const std::string& where) {
  auto json = ColumnJson(row, column, where);
  LATCHKEY_TRY(json);
  if (!json->is_array()) return Status::IoError(where + ": stored list is not an array");
  std::vector<uint64_t> out;
  for (const Json& serial : *json) {
    if (!serial.is_number_unsigned()) return Status::IoError(where + ": stored list holds " + serial.dump());
    out.push_back(serial.get<uint64_t>());
  }
  return out;
}

bool FitsKey(uint64_t value) { return value <= static_cast<uint64_t>(kMaxKey); }

}  // namespace

Result<uint64_t> HubStore::NextPhoneKeySerial() try {
  auto begun = Transaction::Begin(*db_);
  LATCHKEY_TRY(begun);
  Transaction txn = std::move(begun).value();
  auto next = store::QueryOne<int64_t>(*db_, "SELECT next_serial FROM phone_key_meta WHERE id = 1",
                                       [](const Statement& row) { return row.ColumnInt64(0); });
  LATCHKEY_TRY(next);
  if (!next->has_value()) return Status::IoError("phone_key_meta: no row");
  const int64_t serial = **next;
  if (serial < 1 || serial == kMaxKey) return Status::IoError("phone_key_meta: next_serial out of range");
  LATCHKEY_TRY(store::Execute(*db_, "UPDATE phone_key_meta SET next_serial = ?1 WHERE id = 1", serial + 1));
  LATCHKEY_TRY(txn.Commit());
  return static_cast<uint64_t>(serial);
} catch (const std::exception& e) {
  return Failure("no phone key serial", e);
}

Status HubStore::PutPhoneKey(const PhoneKeyRecord& key) try {
  if (key.serial == 0 || !FitsKey(key.serial)) return Status::Invalid("serial: out of range");
  if (key.account.empty()) return Status::Invalid("account: must not be empty");
  if (key.lock.empty()) return Status::Invalid("lock: must not be empty");
  if (key.user > 65535) return Status::Invalid("user: out of range");
  if (key.not_before_s >= key.not_after_s) return Status::Invalid("not_before must be before not_after");
  if (key.ops.empty()) return Status::Invalid("ops: must not be empty");
  if (key.revoked_version && !FitsKey(*key.revoked_version)) return Status::Invalid("revoked_version: out of range");
  if (key.revoked_at_ms.has_value() != key.revoked_version.has_value()) {
    return Status::Invalid("revoked_at and revoked_version go together");
  }
  auto ops = Dump(OpsColumn(key.ops), "ops");
  LATCHKEY_TRY(ops);
  auto taken = store::Exists(*db_, "SELECT 1 FROM phone_keys WHERE serial = ?1", static_cast<int64_t>(key.serial));
  LATCHKEY_TRY(taken);
  if (*taken) return Status::Duplicate("phone key " + std::to_string(key.serial) + " exists");
  std::optional<int64_t> revoked_version;
  if (key.revoked_version) revoked_version = static_cast<int64_t>(*key.revoked_version);
  return store::Execute(
      *db_,
      "INSERT INTO phone_keys(serial, account, lock, user, phone, not_before, not_after, ops, auto, epoch, issued_by, "
      "issued_at, revoked_at, revoked_version, certificate) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
      static_cast<int64_t>(key.serial), key.account, key.lock, static_cast<int64_t>(key.user),
      std::span<const uint8_t>(key.phone), key.not_before_s, key.not_after_s, *ops, int64_t{key.auto_unlock ? 1 : 0},
      static_cast<int64_t>(key.epoch), key.issued_by, key.issued_at_ms, key.revoked_at_ms, revoked_version,
      std::span<const uint8_t>(key.certificate));
} catch (const std::exception& e) {
  return Failure("phone key not stored", e);
}

Result<std::optional<PhoneKeyRecord>> HubStore::GetPhoneKey(uint64_t serial) try {
  if (!FitsKey(serial)) return std::optional<PhoneKeyRecord>();
  return store::QueryOne<PhoneKeyRecord>(*db_, std::string(kSelectPhoneKey) + "WHERE serial = ?1", ReadPhoneKey,
                                         static_cast<int64_t>(serial));
} catch (const std::exception& e) {
  return Failure("cannot read phone key", e);
}

Result<std::vector<PhoneKeyRecord>> HubStore::ListPhoneKeys(const std::optional<std::string>& account) try {
  if (account) {
    return store::QueryAll<PhoneKeyRecord>(*db_, std::string(kSelectPhoneKey) + "WHERE account = ?1 ORDER BY serial",
                                           ReadPhoneKey, *account);
  }
  return store::QueryAll<PhoneKeyRecord>(*db_, std::string(kSelectPhoneKey) + "ORDER BY serial", ReadPhoneKey);
} catch (const std::exception& e) {
  return Failure("cannot list phone keys", e);
}

Status HubStore::DeletePhoneKeysExpiredBefore(int64_t before_s) try {
  return store::Execute(*db_, "DELETE FROM phone_keys WHERE not_after < ?1", before_s);
} catch (const std::exception& e) {
  return Failure("expired phone keys not deleted", e);
}

Result<PhoneRevocationState> HubStore::GetPhoneRevocations() try {
  auto row = store::QueryOne<PhoneRevocationState>(
      *db_, "SELECT epoch, revocations_version, revoked FROM phone_key_meta WHERE id = 1",
      [](const Statement& r) -> Result<PhoneRevocationState> {
        PhoneRevocationState state;
        state.epoch = static_cast<uint32_t>(r.ColumnInt64(0));
        state.version = static_cast<uint64_t>(r.ColumnInt64(1));
        auto revoked = ReadSerials(r, 2, "phone_key_meta");
        LATCHKEY_TRY(revoked);
        state.revoked = std::move(revoked).value();
        return state;
      });
  LATCHKEY_TRY(row);
  if (!row->has_value()) return Status::IoError("phone_key_meta: no row");
  return **row;
} catch (const std::exception& e) {
  return Failure("cannot read the revocation list", e);
}

Status HubStore::CommitPhoneRevocations(const PhoneRevocationChange& change) try {
  if (!FitsKey(change.carried_by)) return Status::Invalid("carried_by: out of range");
  std::optional<std::string> revoked_text;
  if (change.list) {
    if (!FitsKey(change.list->version)) return Status::Invalid("version: out of range");
    for (std::size_t i = 0; i < change.list->revoked.size(); ++i) {
      if (!FitsKey(change.list->revoked[i]) || (i > 0 && change.list->revoked[i] <= change.list->revoked[i - 1])) {
        return Status::Invalid("revoked: must be ascending serials");
      }
    }
    auto text = Dump(Json(change.list->revoked), "revoked");
    LATCHKEY_TRY(text);
    revoked_text = std::move(text).value();
  }
  auto begun = Transaction::Begin(*db_);
  LATCHKEY_TRY(begun);
  Transaction txn = std::move(begun).value();
  if (change.list) {
    auto current = GetPhoneRevocations();
    LATCHKEY_TRY(current);
    // A lock keeps the newest list it has seen: a version that does not rise would never reach it.
    if (change.list->version <= current->version) {
      return Status::Invalid("version: " + std::to_string(change.list->version) + " is not above " +
                             std::to_string(current->version));
    }
    LATCHKEY_TRY(store::Execute(*db_,
                                "UPDATE phone_key_meta SET epoch = ?1, revocations_version = ?2, revoked = ?3 WHERE id = 1",
                                static_cast<int64_t>(change.list->epoch), static_cast<int64_t>(change.list->version),
                                *revoked_text));
  }
  for (const uint64_t serial : change.serials) {
    if (!FitsKey(serial)) return Status::Invalid("serial: out of range");
    LATCHKEY_TRY(store::Execute(
        *db_, "UPDATE phone_keys SET revoked_at = ?2, revoked_version = ?3 WHERE serial = ?1 AND revoked_at IS NULL",
        static_cast<int64_t>(serial), change.at_ms, static_cast<int64_t>(change.carried_by)));
  }
  if (change.below_epoch) {
    LATCHKEY_TRY(store::Execute(
        *db_, "UPDATE phone_keys SET revoked_at = ?2, revoked_version = ?3 WHERE epoch < ?1 AND revoked_at IS NULL",
        static_cast<int64_t>(*change.below_epoch), change.at_ms, static_cast<int64_t>(change.carried_by)));
  }
  return txn.Commit();
} catch (const std::exception& e) {
  return Failure("revocations not stored", e);
}

Status HubStore::PutLockPhoneKeys(const LockPhoneKeys& state) try {
  if (!FitsKey(state.revocations_version) || !FitsKey(state.revoked)) return Status::Invalid("out of range");
  auto paired = store::Exists(*db_, "SELECT 1 FROM locks WHERE id = ?1", state.lock);
  LATCHKEY_TRY(paired);
  if (!*paired) return Status::NotFound("no lock '" + state.lock + "'");
  return store::Execute(
      *db_,
      "INSERT INTO lock_phone_keys(lock, home_key, revocations_version, min_epoch, revoked, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(lock) DO UPDATE SET home_key = excluded.home_key, "
      "revocations_version = excluded.revocations_version, min_epoch = excluded.min_epoch, "
      "revoked = excluded.revoked, updated_at = excluded.updated_at",
      state.lock, int64_t{state.home_key ? 1 : 0}, static_cast<int64_t>(state.revocations_version),
      static_cast<int64_t>(state.min_epoch), static_cast<int64_t>(state.revoked), state.updated_at_ms);
} catch (const std::exception& e) {
  return Failure("lock phone keys not stored", e);
}

Result<std::vector<LockPhoneKeys>> HubStore::ListLockPhoneKeys() try {
  return store::QueryAll<LockPhoneKeys>(
      *db_, "SELECT lock, home_key, revocations_version, min_epoch, revoked, updated_at FROM lock_phone_keys ORDER BY lock",
      [](const Statement& row) {
        LockPhoneKeys s;
        s.lock = std::string(row.ColumnText(0));
        s.home_key = row.ColumnInt64(1) != 0;
        s.revocations_version = static_cast<uint64_t>(row.ColumnInt64(2));
        s.min_epoch = static_cast<uint32_t>(row.ColumnInt64(3));
        s.revoked = static_cast<uint64_t>(row.ColumnInt64(4));
        s.updated_at_ms = row.ColumnInt64(5);
        return s;
      });
} catch (const std::exception& e) {
  return Failure("cannot list lock phone keys", e);
}

}  // namespace latchkey::hub
