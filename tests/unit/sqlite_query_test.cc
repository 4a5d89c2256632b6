// The one-call queries over the SQLite layer (src/store/sqlite_query.h): every kind of parameter
// bound in order, rows collected or looked up, a reader's error and a bind error reported, and
// the statement never left open.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "store/sqlite_db.h"
#include "store/sqlite_query.h"

namespace latchkey::store {
namespace {

using core::Code;

struct Row {
  int64_t id = 0;
  std::optional<std::string> name;
  std::vector<uint8_t> blob;
  std::optional<int64_t> size;
};

Row ReadRow(const Statement& st) {
  Row r;
  r.id = st.ColumnInt64(0);
  if (!st.ColumnIsNull(1)) r.name = std::string(st.ColumnText(1));
  const auto blob = st.ColumnBlob(2);
  r.blob.assign(blob.begin(), blob.end());
  if (!st.ColumnIsNull(3)) r.size = st.ColumnInt64(3);
  return r;
}

class SqliteQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Database::Open(":memory:");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    db_ = std::move(opened).value();
    ASSERT_TRUE(db_->Exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, data BLOB, size INTEGER) STRICT").ok());
  }
  std::unique_ptr<Database> db_;
};

TEST_F(SqliteQueryTest, BindsEveryKindOfParameterInOrder) {
  const std::vector<uint8_t> bytes{0, 1, 2, 255};
  const std::string name = "first";
  ASSERT_TRUE(Execute(*db_, "INSERT INTO t VALUES (?1, ?2, ?3, ?4)", int64_t{1}, name,
                      std::span<const uint8_t>(bytes), uint32_t{4000000000u})
                  .ok());
  ASSERT_TRUE(Execute(*db_, "INSERT INTO t VALUES (?1, ?2, ?3, ?4)", 2, std::optional<std::string>(),
                      std::span<const uint8_t>(), nullptr)
                  .ok());
  ASSERT_TRUE(Execute(*db_, "INSERT INTO t VALUES (?1, ?2, ?3, ?4)", int64_t{3}, "literal",
                      std::span<const uint8_t>(bytes).first(1), std::optional<int64_t>(-7))
                  .ok());

  auto rows = QueryAll<Row>(*db_, "SELECT id, name, data, size FROM t WHERE id >= ?1 ORDER BY id", ReadRow, 1);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].name, "first");
  EXPECT_EQ((*rows)[0].blob, bytes);
  EXPECT_EQ((*rows)[0].size, int64_t{4000000000});
  EXPECT_EQ((*rows)[1].name, std::nullopt);
  EXPECT_TRUE((*rows)[1].blob.empty());
  EXPECT_EQ((*rows)[1].size, std::nullopt);
  EXPECT_EQ((*rows)[2].name, "literal");
  EXPECT_EQ((*rows)[2].blob, std::vector<uint8_t>{0});
  EXPECT_EQ((*rows)[2].size, -7);
  EXPECT_FALSE(db_->InTransaction());
}

TEST_F(SqliteQueryTest, QueryOneFindsTheRowOrNone) {
  ASSERT_TRUE(Execute(*db_, "INSERT INTO t(id, name) VALUES (?1, ?2), (?3, ?4)", 1, "one", 2, "two").ok());
  const auto name = [](const Statement& st) { return std::string(st.ColumnText(0)); };
  auto found = QueryOne<std::string>(*db_, "SELECT name FROM t WHERE id = ?1", name, 2);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(*found, "two");
  auto missing = QueryOne<std::string>(*db_, "SELECT name FROM t WHERE id = ?1", name, 9);
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_EQ(*missing, std::nullopt);

  auto yes = Exists(*db_, "SELECT 1 FROM t WHERE name = ?1", "one");
  auto no = Exists(*db_, "SELECT 1 FROM t WHERE name = ?1", "three");
  ASSERT_TRUE(yes.ok() && no.ok());
  EXPECT_TRUE(*yes);
  EXPECT_FALSE(*no);
  EXPECT_FALSE(db_->InTransaction());
}

TEST_F(SqliteQueryTest, AReadersErrorStopsTheQuery) {
  ASSERT_TRUE(Execute(*db_, "INSERT INTO t(id) VALUES (1), (2), (3)").ok());
  int calls = 0;
  auto rows = QueryAll<int64_t>(*db_, "SELECT id FROM t ORDER BY id", [&calls](const Statement& st) -> Result<int64_t> {
    ++calls;
    if (st.ColumnInt64(0) == 2) return Status::IoError("row 2 is bad");
    return st.ColumnInt64(0);
  });
  EXPECT_EQ(rows.status().code(), Code::kIoError);
  EXPECT_EQ(rows.status().message(), "row 2 is bad");
  EXPECT_EQ(calls, 2);
  auto one = QueryOne<int64_t>(*db_, "SELECT id FROM t WHERE id = ?1",
                               [](const Statement&) -> Result<int64_t> { return Status::IoError("bad"); }, 1);
  EXPECT_EQ(one.status().code(), Code::kIoError);
  EXPECT_FALSE(db_->InTransaction());
}

TEST_F(SqliteQueryTest, ExecuteOneReportsARowThatIsNotThere) {
  ASSERT_TRUE(Execute(*db_, "INSERT INTO t(id, name) VALUES (1, 'one')").ok());
  EXPECT_TRUE(ExecuteOne(*db_, "no row 1", "UPDATE t SET name = ?2 WHERE id = ?1", 1, "uno").ok());
  const core::Status missing = ExecuteOne(*db_, "no row 5", "DELETE FROM t WHERE id = ?1", 5);
  EXPECT_EQ(missing.code(), Code::kNotFound);
  EXPECT_EQ(missing.message(), "no row 5");
  EXPECT_TRUE(ExecuteOne(*db_, "no row 1", "DELETE FROM t WHERE id = ?1", 1).ok());
  EXPECT_EQ(*db_->QueryInt("SELECT count(*) FROM t"), 0);
}

TEST_F(SqliteQueryTest, ErrorsAreStatusesNotThrows) {
  // A parameter beyond the statement's: the bind error shows when it runs, and nothing is written.
  EXPECT_FALSE(Execute(*db_, "INSERT INTO t(id) VALUES (?1)", 1, 2).ok());
  // A statement that does not compile, and a constraint that fails.
  EXPECT_FALSE(QueryAll<int64_t>(*db_, "SELECT nope FROM t", [](const Statement&) { return int64_t{0}; }).ok());
  EXPECT_FALSE(Exists(*db_, "SELECT 1 FROM nowhere WHERE id = ?1", 1).ok());
  ASSERT_TRUE(Execute(*db_, "INSERT INTO t(id) VALUES (1)").ok());
  EXPECT_FALSE(Execute(*db_, "INSERT INTO t(id) VALUES (?1)", 1).ok());
  EXPECT_EQ(*db_->QueryInt("SELECT count(*) FROM t"), 1);
}

}  // namespace
}  // namespace latchkey::store
