// The durable lock store (src/store): the SQLite layer and its migrations, the lock's store
// (every WriteBatch op through a close and reopen, atomic batches, the event log, corrupt
// rows, the meta table), a core::Lock power-cycled on it, a writer killed with SIGKILL at
// random moments, and the per-lock secret files.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/credential_data.h"
#include "core/event.h"
#include "core/lock.h"
#include "core/store.h"
#include "core/testing/fakes.h"
#include "crypto/sodium_crypto.h"
#include "platform/tz_zone_rules.h"
#include "store/secret_file.h"
#include "store/sqlite_db.h"
#include "store/sqlite_lock_store.h"
#include "wire/event_forms.h"
#include "wire/json_codec.h"
#include "common/temp_dir.h"

namespace latchkey::store {
namespace {

using core::Code;
using core::Event;
using core::PersistentState;
using core::WriteBatch;

crypto::SecretKey TestKey() {
  crypto::SecretKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 5 + 3);
  return key;
}

// A fresh directory per test, removed afterwards.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_ + "/lock.db";
  }
  void TearDown() override {
  }

  std::unique_ptr<SqliteLockStore> OpenStore(const std::string& path) {
    auto opened = SqliteLockStore::Open(path);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }
  std::unique_ptr<SqliteLockStore> OpenStore() { return OpenStore(path_); }

  ::latchkey::testing::TempDir tmp_{"latchkey-store"};
  const std::string dir_ = tmp_.path();
  std::string path_;
};

// --- sample records (every field set, away from its default) ---------------------------------

core::User SampleUser(core::UserIndex index) {
  core::User u;
  u.index = index;
  u.name = "Ada Lovelace \xe2\x9c\x93";  // with a non-ASCII character
  u.unique_id = 4242;
  u.status = core::UserStatus::kDisabled;
  u.type = core::UserType::kScheduleRestricted;
  u.credential_rule = core::CredentialRule::kDual;
  u.credentials = {{core::CredentialType::kPin, 7}, {core::CredentialType::kRfid, 2}};
  u.created_by = "owner";
  u.modified_by = "admin";
  u.created_at_ms = 1'795'600'800'000;
  u.modified_at_ms = 1'795'600'900'000;
  u.week_day_schedules = {{1, 0b0011111, 9 * 60, 17 * 60}, {2, 0b1100000, 10 * 60, 12 * 60 + 30}};
  u.year_day_schedules = {{1, {2026, 12, 1, 0, 0}, {2026, 12, 24, 18, 30}}};
  u.expires_at_ms = 1'795'700'000'000;
  return u;
}

core::StoredCredential SampleCredential(core::CredentialType type, core::CredentialIndex index,
                                        core::UserIndex user) {
  core::StoredCredential c;
  c.ref = {type, index};
  c.user = user;
  for (std::size_t i = 0; i < c.digest.size(); ++i) c.digest[i] = static_cast<uint8_t>(index * 31 + i);
  c.digest[5] = 0;  // a NUL inside the blob
  c.created_by = "owner";
  c.created_at_ms = 1'795'600'800'123;
  return c;
}

core::HolidaySchedule SampleHoliday(uint32_t index) {
  return {index, {2026, 12, 24, 0, 0}, {2027, 1, 2, 23, 59}, core::OperatingMode::kVacation};
}

core::Settings SampleSettings() {
  core::Settings s;
  s.auto_relock_s = 30;
  s.wrong_code_limit = 3;
  s.lockout_s = 120;
  s.lockout_escalation = false;
  s.lockout_max_s = 7200;
  s.expiring_user_timeout_min = 90;
  s.require_pin_for_remote = true;
  s.one_touch_locking = false;
  s.multi_factor_window_s = 20;
  s.door_ajar_s = 300;
  s.sound_volume = core::SoundVolume::kHigh;
  s.operating_mode = core::OperatingMode::kPrivacy;
  s.timezone = "Europe/Berlin";
  s.name = "Front door";
  return s;
}

core::RuntimeState SampleRuntime(uint64_t last_seq, const core::Digest& last_hash) {
  core::RuntimeState r;
  r.lock_state = core::LockState::kUnlocked;
  r.door_state = core::DoorState::kOpen;
  r.wrong_attempts = 2;
  r.lockout_level = 1;
  r.lockout_remaining_ms = 45'000;
  r.relock_remaining_ms = 12'000;
  r.relock_waiting_for_door = true;
  r.battery_mv = 4800;
  r.external_power = true;
  r.low_battery_raised = true;
  r.critical_battery_raised = false;
  r.door_ajar_raised = true;
  r.door_open_ms = 5000;
  r.clock_trusted = false;
  r.latest_wall_ms = 1'795'600'999'000;
  r.last_seq = last_seq;
  r.last_hash = last_hash;
  r.acked_seq = last_seq > 0 ? last_seq - 1 : 0;
  r.first_seq = 1;
  return r;
}

// Events `first..last` of a valid chain that starts from `*prev` (updated), of varied kinds.
std::vector<Event> ChainEvents(uint64_t first, uint64_t last, core::Digest* prev) {
  crypto::SodiumCrypto crypto(TestKey());
  std::vector<Event> out;
  for (uint64_t seq = first; seq <= last; ++seq) {
    Event e;
    switch (seq % 5) {
      case 0:
        e = core::OperationEvent(core::Operation::kUnlock, core::Source::kKeypad);
        e.user = core::IndexOrAll{3, false};
        e.credential = core::CredentialRef{core::CredentialType::kPin, 7};
        break;
      case 1:
        e = core::ChangeEvent(core::DataType::kUser, core::ChangeOperation::kAdd,
                              core::Actor{core::Source::kRemote, "owner", true});
        e.index = core::IndexOrAll::All();
        break;
      case 2:
        e = core::AlarmEvent(core::AlarmKind::kEventsLost);
        e.count = 17;
        break;
      case 3: e = core::DoorEvent(core::DoorState::kClosed); break;
      default:
        e = core::OperationErrorEvent(core::Operation::kLock, core::Source::kRfid,
                                      core::AccessError::kInvalidCredential);
        break;
    }
    e.seq = seq;
    e.time_ms = 1'795'600'800'000 + static_cast<int64_t>(seq) * 1000;
    e.hash = core::ChainHashOf(crypto, *prev, e);
    *prev = e.hash;
    out.push_back(e);
  }
  return out;
}

// The core's records have no gtest printers; a mismatch is shown as JSON.
std::string Show(const PersistentState& s) {
  wire::Json j{{"initialized", s.initialized},
               {"settings", wire::SettingsToJson(s.settings)},
               {"runtime", wire::EncodeRuntime(s.runtime)}};
  for (const auto& u : s.users) j["users"].push_back(wire::UserToJson(u));
  for (const auto& h : s.holidays) j["holidays"].push_back(wire::HolidayToJson(h));
  for (const auto& c : s.credentials) {
    j["credentials"].push_back({{"type", core::ToString(c.ref.type)}, {"index", c.ref.index}, {"user", c.user},
                                {"digest", wire::ToHex(c.digest)}, {"created_by", c.created_by},
                                {"created_at", c.created_at_ms}});
  }
  return j.dump(1);
}

void ExpectSameState(const PersistentState& got, const PersistentState& want) {
  const bool same = got.initialized == want.initialized && got.settings == want.settings &&
                    got.users == want.users && got.credentials == want.credentials &&
                    got.holidays == want.holidays && got.runtime == want.runtime;
  EXPECT_TRUE(same) << "stored:\n" << Show(got) << "\nexpected:\n" << Show(want);
}

std::vector<Event> AllEvents(SqliteLockStore& store) {
  std::vector<Event> events;
  const core::Status s = store.ReadEvents(0, std::numeric_limits<std::size_t>::max(), &events);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return events;
}

std::vector<uint64_t> Seqs(const std::vector<Event>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e.seq);
  return out;
}

// ==============================================================================================
// The SQLite layer

using SqliteDbTest = TempDirTest;

TEST_F(SqliteDbTest, OpensInWalWithFullSync) {
  auto db = Database::Open(path_);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto& conn = *db.value();
  auto mode = conn.Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_EQ(mode.value().Step(), Statement::StepResult::kRow);
  EXPECT_EQ(mode.value().ColumnText(0), "wal");
  EXPECT_EQ(*conn.QueryInt("PRAGMA synchronous"), 2);  // FULL
  EXPECT_EQ(*conn.QueryInt("PRAGMA foreign_keys"), 1);
}

TEST_F(SqliteDbTest, StatementsBindAndReadEveryType) {
  auto opened = Database::Open(path_);
  ASSERT_TRUE(opened.ok());
  Database& db = *opened.value();
  ASSERT_TRUE(db.Exec("CREATE TABLE t(i INTEGER, s TEXT, b BLOB, n ANY)").ok());
  auto insert = db.Prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4)");
  ASSERT_TRUE(insert.ok());
  const std::vector<uint8_t> blob{0, 1, 2, 0, 255};
  insert.value().Bind(1, int64_t{-7});
  insert.value().Bind(2, std::string_view("h\xc3\xa9llo"));
  insert.value().Bind(3, std::span<const uint8_t>(blob));
  insert.value().BindNull(4);
  ASSERT_TRUE(insert.value().Run().ok());
  // Empty text and blob are values, not NULL.
  insert.value().Bind(1, int64_t{0});
  insert.value().Bind(2, std::string_view());
  insert.value().Bind(3, std::span<const uint8_t>());
  insert.value().Bind(4, int64_t{1});
  ASSERT_TRUE(insert.value().Run().ok());
  // A bad parameter index is reported by Run, and nothing is written.
  insert.value().Bind(9, int64_t{1});
  EXPECT_EQ(insert.value().Run().code(), Code::kIoError);

  auto select = db.Prepare("SELECT i, s, b, n, s IS NULL, b IS NULL FROM t ORDER BY rowid");
  ASSERT_TRUE(select.ok());
  Statement& st = select.value();
  ASSERT_EQ(st.Step(), Statement::StepResult::kRow);
  EXPECT_EQ(st.column_count(), 6);
  EXPECT_EQ(st.ColumnInt64(0), -7);
  EXPECT_EQ(st.ColumnText(1), "h\xc3\xa9llo");
  const auto got = st.ColumnBlob(2);
  EXPECT_EQ(std::vector<uint8_t>(got.begin(), got.end()), blob);
  EXPECT_TRUE(st.ColumnIsNull(3));
  ASSERT_EQ(st.Step(), Statement::StepResult::kRow);
  EXPECT_EQ(st.ColumnText(1), "");
  EXPECT_TRUE(st.ColumnBlob(2).empty());
  EXPECT_EQ(st.ColumnInt64(4), 0);
  EXPECT_EQ(st.ColumnInt64(5), 0);
  EXPECT_EQ(st.Step(), Statement::StepResult::kDone);

  EXPECT_EQ(db.Prepare("SELECT 1; SELECT 2").status().code(), Code::kInvalid);
  EXPECT_EQ(db.Prepare("SELEKT 1").status().code(), Code::kIoError);
}

TEST_F(SqliteDbTest, TransactionRollsBackUnlessCommitted) {
  auto opened = Database::Open(path_);
  ASSERT_TRUE(opened.ok());
  Database& db = *opened.value();
  ASSERT_TRUE(db.Exec("CREATE TABLE t(x INTEGER)").ok());
  {
    auto txn = Transaction::Begin(db);
    ASSERT_TRUE(txn.ok());
    EXPECT_TRUE(db.InTransaction());
    ASSERT_TRUE(db.Exec("INSERT INTO t VALUES (1)").ok());
  }  // destroyed uncommitted
  EXPECT_FALSE(db.InTransaction());
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM t"), 0);
  {
    auto begun = Transaction::Begin(db);
    ASSERT_TRUE(begun.ok());
    Transaction txn = std::move(begun).value();
    ASSERT_TRUE(db.Exec("INSERT INTO t VALUES (2)").ok());
    ASSERT_TRUE(txn.Commit().ok());
    EXPECT_EQ(txn.Commit().code(), Code::kInvalid);  // only once
  }
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM t"), 1);
}

TEST_F(SqliteDbTest, MigrateAppliesEachStepOnceAndRefusesNewerSchemas) {
  const std::string_view v1 = "CREATE TABLE a(x INTEGER);";
  const std::string_view v2 = "CREATE TABLE b(y INTEGER); INSERT INTO a VALUES (1);";
  const std::string_view bad = "CREATE TABLE c(z INTEGER); INSERT INTO nowhere VALUES (1);";
  {
    auto opened = Database::Open(path_);
    ASSERT_TRUE(opened.ok());
    Database& db = *opened.value();
    EXPECT_EQ(*SchemaVersion(db), 0);
    const std::string_view one[] = {v1};
    ASSERT_TRUE(Migrate(db, one).ok());
    EXPECT_EQ(*SchemaVersion(db), 1);
    const std::string_view two[] = {v1, v2};
    ASSERT_TRUE(Migrate(db, two).ok());
    ASSERT_TRUE(Migrate(db, two).ok());  // nothing to do: v2 ran once
    EXPECT_EQ(*SchemaVersion(db), 2);
    EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM a"), 1);

    // A failing step leaves the database at the version before it, with nothing of the step.
    const std::string_view three[] = {v1, v2, bad};
    const core::Status failed = Migrate(db, three);
    EXPECT_EQ(failed.code(), Code::kIoError);
    EXPECT_NE(failed.message().find("schema version 3"), std::string::npos) << failed.message();
    EXPECT_EQ(*SchemaVersion(db), 2);
    EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'c'"), 0);

    // An older program meets a newer database.
    EXPECT_EQ(Migrate(db, one).code(), Code::kIoError);
  }
}

// ==============================================================================================
// The lock's store

using SqliteLockStoreTest = TempDirTest;

TEST_F(SqliteLockStoreTest, MigrationFromAnEmptyFileSetsUserVersion) {
  { std::ofstream(path_).flush(); }  // an empty file, as a crash right after creating it leaves
  ASSERT_EQ(std::filesystem::file_size(path_), 0u);
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*SchemaVersion(store->database()), static_cast<int64_t>(SqliteLockStore::SchemaSteps().size()));
  EXPECT_EQ(*store->database().QueryInt(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
                "('meta', 'settings', 'runtime', 'users', 'credentials', 'holidays', 'events')"),
            7);
  PersistentState state;
  ASSERT_TRUE(store->Load(&state).ok());
  EXPECT_FALSE(state.initialized);
  EXPECT_TRUE(state.users.empty());
  EXPECT_TRUE(AllEvents(*store).empty());
  store.reset();
  // Reopening an up-to-date store migrates nothing.
  store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*SchemaVersion(store->database()), 1);
}

TEST_F(SqliteLockStoreTest, RefusesAFileThatIsNotADatabase) {
  { std::ofstream(path_) << "this is not an SQLite database, but it is long enough to look at"; }
  auto opened = SqliteLockStore::Open(path_);
  EXPECT_EQ(opened.status().code(), Code::kIoError);
}

TEST_F(SqliteLockStoreTest, EveryWriteBatchOpSurvivesCloseAndReopen) {
  core::Digest prev{};
  const std::vector<Event> events = ChainEvents(1, 6, &prev);
  PersistentState want;
  want.initialized = true;
  want.settings = SampleSettings();
  want.users = {SampleUser(3), SampleUser(9)};
  want.users[1].unique_id.reset();
  want.users[1].expires_at_ms.reset();
  want.users[1].week_day_schedules.clear();
  want.credentials = {SampleCredential(core::CredentialType::kProgrammingPin, 0, 9),
                      SampleCredential(core::CredentialType::kPin, 7, 3),
                      SampleCredential(core::CredentialType::kRfid, 2, 3),
                      SampleCredential(core::CredentialType::kFingerprint, 1, 9)};
  want.holidays = {SampleHoliday(1), SampleHoliday(4)};
  want.runtime = SampleRuntime(6, prev);
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    WriteBatch batch;
    batch.Add(WriteBatch::PutSettings{want.settings});
    for (const auto& u : want.users) batch.Add(WriteBatch::PutUser{u});
    for (auto it = want.credentials.rbegin(); it != want.credentials.rend(); ++it) {
      batch.Add(WriteBatch::PutCredential{*it});
    }
    for (const auto& h : want.holidays) batch.Add(WriteBatch::PutHoliday{h});
    for (const auto& e : events) batch.Add(WriteBatch::AppendEvent{e});
    batch.Add(WriteBatch::PutRuntime{want.runtime});
    ASSERT_TRUE(store->Write(batch).ok());
  }
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    PersistentState got;
    ASSERT_TRUE(store->Load(&got).ok());
    ExpectSameState(got, want);
    EXPECT_EQ(AllEvents(*store), events);

    // The deletes, a replacement of each kind, and a drop of old events.
    WriteBatch batch;
    batch.Add(WriteBatch::DeleteUser{9});
    batch.Add(WriteBatch::DeleteCredential{{core::CredentialType::kFingerprint, 1}});
    batch.Add(WriteBatch::DeleteCredential{{core::CredentialType::kProgrammingPin, 0}});
    batch.Add(WriteBatch::DeleteHoliday{1});
    batch.Add(WriteBatch::DeleteHoliday{99});  // absent: nothing to do, not an error
    core::User modified = SampleUser(3);
    modified.name = "Ada";
    modified.status = core::UserStatus::kEnabled;
    batch.Add(WriteBatch::PutUser{modified});
    core::StoredCredential moved = SampleCredential(core::CredentialType::kPin, 7, 5);
    moved.digest.fill(0xab);
    batch.Add(WriteBatch::PutCredential{moved});
    core::HolidaySchedule holiday = SampleHoliday(4);
    holiday.mode = core::OperatingMode::kPassage;
    batch.Add(WriteBatch::PutHoliday{holiday});
    core::Settings settings = SampleSettings();
    settings.name = "Back door";
    batch.Add(WriteBatch::PutSettings{settings});
    batch.Add(WriteBatch::DropEventsThrough{2});
    want.runtime.first_seq = 3;
    batch.Add(WriteBatch::PutRuntime{want.runtime});
    ASSERT_TRUE(store->Write(batch).ok());

    want.users = {modified};
    want.credentials = {moved, SampleCredential(core::CredentialType::kRfid, 2, 3)};
    want.holidays = {holiday};
    want.settings = settings;
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  PersistentState got;
  ASSERT_TRUE(store->Load(&got).ok());
  ExpectSameState(got, want);
  EXPECT_EQ(AllEvents(*store), std::vector<Event>(events.begin() + 2, events.end()));
}

TEST_F(SqliteLockStoreTest, BatchWithAFailingOpLeavesNothing) {
  core::Digest prev{};
  const std::vector<Event> events = ChainEvents(1, 3, &prev);
  PersistentState before;
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    WriteBatch base;
    base.Add(WriteBatch::PutSettings{SampleSettings()});
    base.Add(WriteBatch::PutUser{SampleUser(3)});
    for (const auto& e : events) base.Add(WriteBatch::AppendEvent{e});
    base.Add(WriteBatch::PutRuntime{SampleRuntime(3, prev)});
    ASSERT_TRUE(store->Write(base).ok());
    ASSERT_TRUE(store->Load(&before).ok());

    // Every kind of op succeeds, then the last one re-appends an event that is stored (a caller
    // that lost track of the log): the whole batch goes.
    core::Digest next_prev = prev;
    WriteBatch batch;
    batch.Add(WriteBatch::PutUser{SampleUser(4)});
    batch.Add(WriteBatch::DeleteUser{3});
    batch.Add(WriteBatch::PutCredential{SampleCredential(core::CredentialType::kPin, 1, 4)});
    batch.Add(WriteBatch::PutHoliday{SampleHoliday(2)});
    core::Settings changed = SampleSettings();
    changed.name = "changed";
    batch.Add(WriteBatch::PutSettings{changed});
    batch.Add(WriteBatch::AppendEvent{ChainEvents(4, 4, &next_prev)[0]});
    batch.Add(WriteBatch::DropEventsThrough{1});
    batch.Add(WriteBatch::PutRuntime{SampleRuntime(4, next_prev)});
    batch.Add(WriteBatch::AppendEvent{events[1]});
    const core::Status failed = store->Write(batch);
    EXPECT_EQ(failed.code(), Code::kIoError);
    EXPECT_NE(failed.message().find("events.seq"), std::string::npos) << failed.message();

    // A record the codec could not read back (user index 0) is refused before it is written.
    core::User nobody = SampleUser(5);
    WriteBatch invalid;
    invalid.Add(WriteBatch::PutSettings{changed});
    nobody.index = 0;
    invalid.Add(WriteBatch::PutUser{nobody});
    EXPECT_EQ(store->Write(invalid).code(), Code::kIoError);

    // A name that is not UTF-8 cannot be JSON: an error, not an exception.
    core::User garbled = SampleUser(6);
    garbled.name = "bad \xff\xfe";
    WriteBatch not_utf8;
    not_utf8.Add(WriteBatch::PutSettings{changed});
    not_utf8.Add(WriteBatch::PutUser{garbled});
    EXPECT_EQ(store->Write(not_utf8).code(), Code::kIoError);

    // An event seq that no SQLite key can hold.
    Event huge = events[0];
    huge.seq = std::numeric_limits<uint64_t>::max();
    WriteBatch too_far;
    too_far.Add(WriteBatch::PutSettings{changed});
    too_far.Add(WriteBatch::AppendEvent{huge});
    EXPECT_EQ(store->Write(too_far).code(), Code::kIoError);

    // The store is still usable after a refused batch.
    WriteBatch fine;
    fine.Add(WriteBatch::PutHoliday{SampleHoliday(7)});
    ASSERT_TRUE(store->Write(fine).ok());
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  PersistentState after;
  ASSERT_TRUE(store->Load(&after).ok());
  before.holidays = {SampleHoliday(7)};
  ExpectSameState(after, before);
  EXPECT_EQ(AllEvents(*store), events);
}

TEST_F(SqliteLockStoreTest, BatchThatRunsOutOfSpaceLeavesNothing) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  WriteBatch base;
  base.Add(WriteBatch::PutSettings{SampleSettings()});
  ASSERT_TRUE(store->Write(base).ok());
  // A full disk, as SQLite sees one: the file may not grow by another page.
  auto pages = store->database().QueryInt("PRAGMA page_count");
  ASSERT_TRUE(pages.ok());
  ASSERT_TRUE(store->database().Exec("PRAGMA max_page_count = " + std::to_string(*pages)).ok());
  WriteBatch big;
  for (core::UserIndex i = 1; i <= 100; ++i) {
    core::User u = SampleUser(i);
    u.name = std::string(500, 'x');
    big.Add(WriteBatch::PutUser{u});
  }
  EXPECT_EQ(store->Write(big).code(), Code::kIoError);
  store.reset();

  store = OpenStore();
  ASSERT_NE(store, nullptr);
  PersistentState state;
  ASSERT_TRUE(store->Load(&state).ok());
  EXPECT_TRUE(state.initialized);
  EXPECT_TRUE(state.users.empty());
  ASSERT_TRUE(store->Write(big).ok()) << "with room again, the same batch is stored";
}

TEST_F(SqliteLockStoreTest, ReadEventsHonoursAfterAndLimitInSeqOrder) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  core::Digest prev{};
  const std::vector<Event> events = ChainEvents(1, 10, &prev);
  // Appended out of order within one batch and across two: the store orders by seq.
  WriteBatch second, first;
  for (std::size_t i = 0; i < events.size(); ++i) (i >= 4 ? first : second).Add(WriteBatch::AppendEvent{events[i]});
  ASSERT_TRUE(store->Write(first).ok());
  ASSERT_TRUE(store->Write(second).ok());

  std::vector<Event> out{events[9]};  // replaced, not appended to
  ASSERT_TRUE(store->ReadEvents(0, 100, &out).ok());
  EXPECT_EQ(out, events);
  ASSERT_TRUE(store->ReadEvents(3, 4, &out).ok());
  EXPECT_EQ(Seqs(out), (std::vector<uint64_t>{4, 5, 6, 7}));
  ASSERT_TRUE(store->ReadEvents(8, 100, &out).ok());
  EXPECT_EQ(Seqs(out), (std::vector<uint64_t>{9, 10}));
  ASSERT_TRUE(store->ReadEvents(10, 100, &out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(store->ReadEvents(0, 0, &out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(store->ReadEvents(std::numeric_limits<uint64_t>::max(), 5, &out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(store->ReadEvents(0, 1, &out).ok());
  EXPECT_EQ(Seqs(out), (std::vector<uint64_t>{1}));
  EXPECT_EQ(core::VerifyChain(crypto::SodiumCrypto(TestKey()), core::Digest{}, AllEvents(*store)), std::nullopt);
}

TEST_F(SqliteLockStoreTest, DropEventsThroughForgetsTheOldestOnly) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  core::Digest prev{};
  const std::vector<Event> events = ChainEvents(1, 10, &prev);
  WriteBatch batch;
  for (const auto& e : events) batch.Add(WriteBatch::AppendEvent{e});
  ASSERT_TRUE(store->Write(batch).ok());

  const auto drop = [&](uint64_t seq) {
    WriteBatch b;
    b.Add(WriteBatch::DropEventsThrough{seq});
    ASSERT_TRUE(store->Write(b).ok());
  };
  drop(0);
  EXPECT_EQ(AllEvents(*store).size(), 10u);
  drop(4);
  EXPECT_EQ(Seqs(AllEvents(*store)), (std::vector<uint64_t>{5, 6, 7, 8, 9, 10}));
  // What is left still verifies against the hash of the last dropped event.
  EXPECT_EQ(core::VerifyChain(crypto::SodiumCrypto(TestKey()), events[3].hash, AllEvents(*store)), std::nullopt);
  drop(4);  // again: nothing more
  EXPECT_EQ(AllEvents(*store).size(), 6u);
  drop(std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(AllEvents(*store).empty());
}

TEST_F(SqliteLockStoreTest, CorruptRowsMakeLoadFailWithoutCrashing) {
  struct Case {
    const char* sql;
    const char* expect;  // in the message
  };
  const Case cases[] = {
      {"UPDATE users SET body = '{not json'", "users row 3: stored body is not valid JSON"},
      {"UPDATE users SET body = '[1, 2]'", "users row 3"},
      {"UPDATE users SET body = json_set(body, '$.name', 7)", "users row 3"},
      {"UPDATE users SET body = json_set(body, '$.credentials', json('[{\"type\": \"pin\"}]'))", "users row 3"},
      {"UPDATE users SET idx = 4", "users row 4: body has index 3"},
      {"UPDATE users SET body = ''", "users row 3"},
      {"UPDATE settings SET body = json_remove(body, '$.lockout_s')", "settings row"},
      {"UPDATE settings SET body = 'null'", "settings row"},
      {"UPDATE runtime SET body = json_set(body, '$.last_hash', 'xyz')", "runtime row"},
      {"UPDATE holidays SET body = json_set(body, '$.operating_mode', 'party')", "holidays row 2"},
      {"UPDATE credentials SET type = 'bogus'", "credentials row (bogus, 7)"},
      {"UPDATE credentials SET user = 70000", "out of range"},
      {"PRAGMA ignore_check_constraints = ON; UPDATE credentials SET digest = zeroblob(31)", "31 bytes"},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.sql);
    const std::string path = dir_ + "/corrupt" + std::to_string(n++) + ".db";
    {
      auto store = OpenStore(path);
      ASSERT_NE(store, nullptr);
      core::Digest prev{};
      WriteBatch batch;
      batch.Add(WriteBatch::PutSettings{SampleSettings()});
      batch.Add(WriteBatch::PutUser{SampleUser(3)});
      batch.Add(WriteBatch::PutCredential{SampleCredential(core::CredentialType::kPin, 7, 3)});
      batch.Add(WriteBatch::PutHoliday{SampleHoliday(2)});
      for (const auto& e : ChainEvents(1, 3, &prev)) batch.Add(WriteBatch::AppendEvent{e});
      batch.Add(WriteBatch::PutRuntime{SampleRuntime(3, prev)});
      ASSERT_TRUE(store->Write(batch).ok());
      ASSERT_TRUE(store->database().Exec(c.sql).ok());
    }
    auto store = OpenStore(path);
    ASSERT_NE(store, nullptr);
    PersistentState state;
    const core::Status loaded = store->Load(&state);
    EXPECT_EQ(loaded.code(), Code::kIoError);
    EXPECT_NE(loaded.message().find(c.expect), std::string::npos) << loaded.message();
    // Events are not part of Load; they still read.
    EXPECT_EQ(AllEvents(*store).size(), 3u);
  }
}

TEST_F(SqliteLockStoreTest, CorruptEventRowsMakeReadEventsFail) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  core::Digest prev{};
  WriteBatch batch;
  for (const auto& e : ChainEvents(1, 4, &prev)) batch.Add(WriteBatch::AppendEvent{e});
  ASSERT_TRUE(store->Write(batch).ok());
  ASSERT_TRUE(store->database().Exec("UPDATE events SET body = 'garbage' WHERE seq = 2").ok());
  ASSERT_TRUE(store->database().Exec("UPDATE events SET body = json_set(body, '$.seq', 9) WHERE seq = 4").ok());

  std::vector<Event> out;
  core::Status s = store->ReadEvents(0, 10, &out);
  EXPECT_EQ(s.code(), Code::kIoError);
  EXPECT_NE(s.message().find("events row 2"), std::string::npos) << s.message();
  EXPECT_TRUE(out.empty()) << "no partial answer";
  s = store->ReadEvents(2, 1, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Seqs(out), (std::vector<uint64_t>{3}));
  s = store->ReadEvents(3, 10, &out);
  EXPECT_EQ(s.code(), Code::kIoError);
  EXPECT_NE(s.message().find("events row 4: body has seq 9"), std::string::npos) << s.message();
  // The failed read released its statement: writes still go through.
  WriteBatch drop;
  drop.Add(WriteBatch::DropEventsThrough{4});
  EXPECT_TRUE(store->Write(drop).ok());
}

TEST_F(SqliteLockStoreTest, MetaValuesAreBinarySafeAndDurable) {
  const std::string key_bytes("\x00\x01\xff static key \x00", 16);
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    auto missing = store->GetMeta("paired_hub");
    ASSERT_TRUE(missing.ok());
    EXPECT_EQ(*missing, std::nullopt);
    ASSERT_TRUE(store->PutMeta("paired_hub", key_bytes).ok());
    ASSERT_TRUE(store->PutMeta("empty", "").ok());
    ASSERT_TRUE(store->PutMeta("gone", "soon").ok());
    ASSERT_TRUE(store->PutMeta("gone", "replaced").ok());
    ASSERT_TRUE(store->DeleteMeta("gone").ok());
    ASSERT_TRUE(store->DeleteMeta("never").ok());
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->GetMeta("paired_hub"), key_bytes);
  EXPECT_EQ(*store->GetMeta("empty"), std::string());
  EXPECT_EQ(*store->GetMeta("gone"), std::nullopt);
  // Meta is not lock state: the store is still uninitialised.
  PersistentState state;
  ASSERT_TRUE(store->Load(&state).ok());
  EXPECT_FALSE(state.initialized);
}

// ==============================================================================================
// A core::Lock on the SQLite store, through a power cycle.

class SqliteLockStoreLockTest : public TempDirTest {
 protected:
  SqliteLockStoreLockTest() : crypto_(TestKey()) { config_.motor_ms = 0; }

  void OpenLock() {
    lock_.reset();
    store_.reset();
    store_ = OpenStore();
    ASSERT_NE(store_, nullptr);
    core::LockEnv env;
    env.clock = &clock_;
    env.crypto = &crypto_;
    env.zones = &zones_;
    env.store = store_.get();
    env.bolt = &bolt_;
    env.feedback = &feedback_;
    auto opened = core::Lock::Open(config_, env);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    lock_ = std::move(opened).value();
  }

  core::UserIndex AddPin(const std::string& pin, core::UserType type) {
    core::CredentialRequest request;
    request.type = core::CredentialType::kPin;
    request.data = pin;
    request.user_type = type;
    auto added = lock_->AddCredential(request, owner_);
    EXPECT_TRUE(added.ok()) << added.status().ToString();
    return added.ok() ? added->user : 0;
  }

  core::Decision Keypad(const std::string& pin) {
    auto decision = lock_->Present(core::Source::kKeypad, pin);
    EXPECT_TRUE(decision.ok()) << decision.status().ToString();
    return decision.ok() ? *decision : core::Decision{};
  }

  core::Actor owner_{core::Source::kRemote, "owner", true};
  core::LockConfig config_;
  core::testing::FakeClock clock_;
  crypto::SodiumCrypto crypto_;
  platform::TzZoneRules zones_;
  core::testing::FakeBolt bolt_;
  core::testing::RecordingFeedback feedback_;
  std::unique_ptr<SqliteLockStore> store_;
  std::unique_ptr<core::Lock> lock_;  // after store_: destroyed first
};

// Issue 9 item 2: a lock's store from before wave 2 still opens. Its settings have no
// max_wrong_per_hour (the default applies), its runtime record has no remote class and no
// budgets (nothing counted yet), and its programming PIN's digest is in the PIN domain: it still
// opens at the keypad, moves to its own domain there, and is never accepted remotely.
TEST_F(SqliteLockStoreLockTest, AStoreFromBeforeTheRevisedAccessRulesStillOpens) {
  OpenLock();
  core::CredentialRequest programming;
  programming.type = core::CredentialType::kProgrammingPin;
  programming.index = 0;
  programming.data = "24681357";
  ASSERT_TRUE(lock_->AddCredential(programming, owner_).ok());
  AddPin("123456", core::UserType::kUnrestricted);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(Keypad("000000").reason, core::AccessError::kInvalidCredential);
  lock_.reset();
  // The rows as the version before wrote them.
  const std::string old_digest =
      wire::ToHex(crypto_.KeyedDigest(core::DigestInput(core::CredentialType::kPin, "24681357")));
  Database& db = store_->database();
  ASSERT_TRUE(db.Exec("UPDATE settings SET body = json_remove(body, '$.max_wrong_per_hour')").ok());
  ASSERT_TRUE(db.Exec("UPDATE runtime SET body = json_remove(body, '$.remote_wrong_attempts', "
                      "'$.remote_lockout_level', '$.remote_lockout_remaining_ms', '$.door_wrong_ages_ms', "
                      "'$.remote_wrong_ages_ms', '$.door_budget_alarm_quiet_ms', '$.remote_budget_alarm_quiet_ms')")
                  .ok());
  ASSERT_TRUE(db.Exec("UPDATE credentials SET digest = X'" + old_digest + "' WHERE type = 'programming_pin'").ok());
  ASSERT_EQ(*db.QueryInt("SELECT count(*) FROM runtime WHERE json_extract(body, '$.door_wrong_ages_ms') IS NULL"), 1);

  OpenLock();
  EXPECT_EQ(lock_->settings().max_wrong_per_hour, 10u);
  EXPECT_EQ(lock_->status().wrong_attempts, 2u) << "the door counter kept its old name and value";
  core::RemoteCommand remote;
  remote.operation = core::Operation::kLock;
  remote.pin = "24681357";
  remote.actor = owner_;
  EXPECT_EQ(lock_->Remote(remote)->reason, core::AccessError::kInvalidCredential);
  EXPECT_EQ(Keypad("24681357").result, core::DecisionResult::kGranted);
  PersistentState state;
  ASSERT_TRUE(store_->Load(&state).ok());
  for (const auto& c : state.credentials) {
    if (c.ref.type != core::CredentialType::kProgrammingPin) continue;
    EXPECT_EQ(c.digest, crypto_.KeyedDigest(core::DigestInput(core::CredentialType::kProgrammingPin, "24681357")));
  }
}

TEST_F(SqliteLockStoreLockTest, EverythingSurvivesAPowerCycle) {
  OpenLock();
  core::SettingsPatch patch;
  patch.wrong_code_limit = 3;
  patch.lockout_s = 120;
  patch.auto_relock_s = 0;
  patch.name = "Front door";
  patch.timezone = "Europe/Berlin";
  ASSERT_TRUE(lock_->UpdateSettings(patch, owner_).ok());

  const core::UserIndex ada = AddPin("123456", core::UserType::kUnrestricted);
  core::CredentialRequest card;
  card.type = core::CredentialType::kRfid;
  card.data = "04A1B2C3D4";
  card.user = ada;
  ASSERT_TRUE(lock_->AddCredential(card, owner_).ok());
  core::UserRequest rename;
  rename.index = ada;
  rename.name = "Ada";
  ASSERT_TRUE(lock_->ModifyUser(rename, owner_).ok());

  const core::UserIndex cleaner = AddPin("246802", core::UserType::kWeekDaySchedule);
  ASSERT_TRUE(lock_->SetWeekDaySchedule(cleaner, {0, 0b0011111, 0, 23 * 60 + 59}, owner_).ok());
  const core::UserIndex guest = AddPin("135791", core::UserType::kYearDaySchedule);
  ASSERT_TRUE(lock_->SetYearDaySchedule(guest, {0, {2026, 1, 1, 0, 0}, {2027, 12, 31, 23, 59}}, owner_).ok());
  ASSERT_TRUE(lock_->SetHoliday({0, {2026, 12, 24, 0, 0}, {2026, 12, 26, 23, 59}, core::OperatingMode::kVacation},
                                owner_)
                  .ok());
  // An expiring user gets its deadline at first use.
  const core::UserIndex visitor = AddPin("975310", core::UserType::kExpiring);
  EXPECT_EQ(Keypad("975310").result, core::DecisionResult::kGranted);
  ASSERT_TRUE(lock_->GetUser(visitor)->expires_at_ms.has_value());

  // A running lockout.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Keypad("000000").result, core::DecisionResult::kDenied);
  clock_.Advance(10'000);
  ASSERT_TRUE(lock_->Tick().ok());
  ASSERT_TRUE(lock_->Checkpoint().ok());
  const core::LockStatus status = lock_->status();
  ASSERT_GT(status.lockout_remaining_ms, 0);
  EXPECT_EQ(status.lockout_remaining_ms, 110'000);

  const auto users = lock_->ListUsers();
  const auto credentials = lock_->ListCredentials(std::nullopt);
  const auto holidays = lock_->ListHolidays();
  const core::Settings settings = lock_->settings();
  const uint64_t last_seq = lock_->last_seq();
  const std::vector<Event> events_before = AllEvents(*store_);
  ASSERT_EQ(users.size(), 4u);
  ASSERT_GE(credentials.size(), 5u);

  // The power cycle: everything in memory is gone, the monotonic clock restarts.
  lock_.reset();
  store_.reset();
  clock_.RebootMonotonic(5'000);
  OpenLock();

  EXPECT_EQ(lock_->ListUsers(), users);
  EXPECT_EQ(lock_->ListCredentials(std::nullopt), credentials);
  EXPECT_EQ(lock_->ListHolidays(), holidays);
  EXPECT_EQ(lock_->settings(), settings);
  const core::LockStatus after = lock_->status();
  EXPECT_EQ(after.lockout_remaining_ms, 110'000) << "the lockout resumes with what remained";
  EXPECT_EQ(after.wrong_attempts, status.wrong_attempts);
  EXPECT_EQ(after.lock_state, status.lock_state);
  EXPECT_EQ(lock_->last_seq(), last_seq + 1) << "one power_cycled alarm";

  const std::vector<Event> events = AllEvents(*store_);
  ASSERT_EQ(events.size(), last_seq + 1);
  EXPECT_EQ(events.front().seq, 1u);
  EXPECT_EQ(std::vector<Event>(events.begin(), events.end() - 1), events_before);
  EXPECT_EQ(events.back().alarm, core::AlarmKind::kPowerCycled);
  EXPECT_EQ(core::VerifyChain(crypto_, core::Digest{}, events), std::nullopt);

  // And the lock still decides from what it loaded.
  EXPECT_EQ(Keypad("123456").reason, core::AccessError::kLockout);
  clock_.Advance(111'000);
  ASSERT_TRUE(lock_->Tick().ok());
  EXPECT_EQ(Keypad("123456").result, core::DecisionResult::kGranted);
  EXPECT_EQ(core::VerifyChain(crypto_, core::Digest{}, AllEvents(*store_)), std::nullopt);
}

// ==============================================================================================
// Killed at any instant: a writer process is SIGKILLed at random moments; each time the store
// must open, hold whole batches only, and hold every batch the writer saw acknowledged.

// The child: appends one chained event and the matching runtime per batch, forever, and
// reports each acknowledged seq on `ack_fd`. Never returns.
[[noreturn]] void WriteUntilKilled(const std::string& path, int ack_fd) {
  auto opened = SqliteLockStore::Open(path);
  if (!opened.ok()) ::_exit(2);
  SqliteLockStore& store = *opened.value();
  PersistentState state;
  if (!store.Load(&state).ok()) ::_exit(3);
  crypto::SodiumCrypto crypto(TestKey());
  core::RuntimeState rt = state.runtime;
  for (;;) {
    Event e = core::OperationEvent(core::Operation::kUnlock, core::Source::kKeypad);
    e.seq = rt.last_seq + 1;
    e.time_ms = 1'795'600'800'000 + static_cast<int64_t>(e.seq);
    e.hash = core::ChainHashOf(crypto, rt.last_hash, e);
    rt.last_seq = e.seq;
    rt.last_hash = e.hash;
    rt.wrong_attempts = static_cast<uint32_t>(e.seq % 7);
    WriteBatch batch;
    batch.Add(WriteBatch::AppendEvent{e});
    core::User u = SampleUser(static_cast<core::UserIndex>(e.seq % 20 + 1));
    u.modified_at_ms = static_cast<int64_t>(e.seq);
    batch.Add(WriteBatch::PutUser{u});
    batch.Add(WriteBatch::PutRuntime{rt});
    if (!store.Write(batch).ok()) ::_exit(4);
    if (::write(ack_fd, &e.seq, sizeof e.seq) != static_cast<ssize_t>(sizeof e.seq)) ::_exit(5);
  }
}

using SqliteLockStoreCrashTest = TempDirTest;

TEST_F(SqliteLockStoreCrashTest, SigkillAtRandomMomentsLosesNoAcknowledgedBatchAndSplitsNone) {
  const crypto::SodiumCrypto crypto(TestKey());
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay_us(500, 40'000);
  uint64_t previous = 0;
  for (int round = 0; round < 30; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      WriteUntilKilled(path_, fds[1]);
    }
    ::close(fds[1]);
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
        << "the writer stopped by itself, exit status " << (WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
    uint64_t acked = 0, seq = 0;
    while (::read(fds[0], &seq, sizeof seq) == static_cast<ssize_t>(sizeof seq)) acked = seq;
    ::close(fds[0]);

    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    PersistentState state;
    const core::Status loaded = store->Load(&state);
    ASSERT_TRUE(loaded.ok()) << loaded.ToString();
    const std::vector<Event> events = AllEvents(*store);
    const uint64_t n = state.runtime.last_seq;
    ASSERT_EQ(events.size(), n) << "events and runtime were written in one batch";
    for (uint64_t i = 0; i < n; ++i) ASSERT_EQ(events[i].seq, i + 1);
    ASSERT_GE(n, acked) << "an acknowledged batch was lost";
    ASSERT_GE(n, previous);
    ASSERT_EQ(core::VerifyChain(crypto, core::Digest{}, events), std::nullopt);
    if (n > 0) {
      EXPECT_EQ(state.runtime.last_hash, events.back().hash);
      EXPECT_EQ(state.runtime.wrong_attempts, n % 7);
      // The user of the last batch carries its seq: the three ops landed together.
      bool found = false;
      for (const auto& u : state.users) found = found || (u.index == n % 20 + 1 && u.modified_at_ms == int64_t(n));
      EXPECT_TRUE(found);
    }
    previous = n;
  }
  EXPECT_GT(previous, 0u) << "the writer never got a batch through";
}

// ==============================================================================================
// Secret files

using SecretFileTest = TempDirTest;

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

TEST_F(SecretFileTest, CreatedWithMode0600AndTheSameBytesWhenLoadedAgain) {
  const std::string path = dir_ + "/digest.key";
  auto created = LoadOrCreateSecret(path);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(std::filesystem::file_size(path), 32u);
  EXPECT_NE(*created, Secret{}) << "32 random bytes are not all zero";
  auto loaded = LoadOrCreateSecret(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(*loaded, *created);
  // A second secret is a different one, and no temporary file is left behind.
  auto other = LoadOrCreateSecret(dir_ + "/link.key");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other, *created);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 2u);
}

TEST_F(SecretFileTest, RefusedWhenReadableByOthers) {
  const std::string path = dir_ + "/digest.key";
  ASSERT_TRUE(LoadOrCreateSecret(path).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto loaded = LoadOrCreateSecret(path);
  EXPECT_EQ(loaded.status().code(), Code::kIoError);
  EXPECT_NE(loaded.status().message().find("0644"), std::string::npos) << loaded.status().message();
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  EXPECT_FALSE(LoadOrCreateSecret(path).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);  // owner-only and read-only is fine
  EXPECT_TRUE(LoadOrCreateSecret(path).ok());
}

TEST_F(SecretFileTest, RefusedWhenNotExactly32Bytes) {
  for (std::size_t size : {0u, 31u, 33u}) {
    SCOPED_TRACE(size);
    const std::string path = dir_ + "/key" + std::to_string(size);
    ASSERT_TRUE(WriteFileAtomically(path, std::string(size, 'k'), 0600).ok());
    auto loaded = LoadOrCreateSecret(path);
    EXPECT_EQ(loaded.status().code(), Code::kIoError);
    EXPECT_NE(loaded.status().message().find("bytes"), std::string::npos) << loaded.status().message();
    EXPECT_EQ(std::filesystem::file_size(path), size) << "a refused file is left as it was";
  }
}

TEST_F(SecretFileTest, RefusesASymlink) {
  const std::string target = dir_ + "/real.key", link = dir_ + "/digest.key";
  ASSERT_TRUE(LoadOrCreateSecret(target).ok());
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  EXPECT_EQ(LoadOrCreateSecret(link).status().code(), Code::kIoError);
}

TEST_F(SecretFileTest, WriteFileAtomicallyReplacesContentsAndMode) {
  const std::string path = dir_ + "/setup.json";
  ASSERT_TRUE(WriteFileAtomically(path, "first", 0644).ok());
  ASSERT_TRUE(WriteFileAtomically(path, std::string("sec\0ond", 7), 0600).ok());
  std::ifstream in(path, std::ios::binary);
  const std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(contents, std::string("sec\0ond", 7));
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_FALSE(WriteFileAtomically(dir_ + "/missing/dir/file", "x", 0600).ok());
}

}  // namespace
}  // namespace latchkey::store
