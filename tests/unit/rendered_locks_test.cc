// hub/rendered_locks.h: a lock object's text made once per record, online state and view, and
// exactly what LockJson writes.
#include <gtest/gtest.h>

#include <memory>

#include "hub/api_json.h"
#include "hub/rendered_locks.h"

namespace latchkey::hub {
namespace {

std::string Dumped(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::shared_ptr<const LockRecord> Record(const std::string& name) {
  LockRecord r;
  r.id = "lk-a";
  r.name = name;
  r.address = "10.0.0.9:7000";
  r.state = Json{{"lock_state", "locked"}, {"sim_control_url", "http://127.0.0.1:9/"}};
  return std::make_shared<const LockRecord>(std::move(r));
}

Principal As(Role role) {
  Principal p;
  p.username = "someone";
  p.role = role;
  return p;
}

TEST(RenderedLocksTest, TheTextIsLockJsonForTheViewerAndTheOnlineState) {
  RenderedLocks rendered;
  const auto record = Record("front");
  for (const bool online : {true, false}) {
    for (const Role role : {Role::kOwner, Role::kGuest}) {
      EXPECT_EQ(std::string(rendered.Text(record, online, As(role))), Dumped(LockJson(*record, online, As(role))));
    }
  }
  EXPECT_EQ(std::string(rendered.Text(record, true, As(Role::kGuest))).find("10.0.0.9"), std::string::npos)
      << "a guest never sees where the lock is";
}

TEST(RenderedLocksTest, ANewRecordOfTheSameLockIsRenderedAgain) {
  RenderedLocks rendered;
  auto first = Record("front");
  EXPECT_NE(std::string(rendered.Text(first, true, As(Role::kOwner))).find("front"), std::string::npos);
  const auto replaced = Record("back door");
  EXPECT_NE(std::string(rendered.Text(replaced, true, As(Role::kOwner))).find("back door"), std::string::npos);
  first.reset();
  EXPECT_NE(std::string(rendered.Text(Record("side"), true, As(Role::kOwner))).find("side"), std::string::npos)
      << "a record made after the cached one is gone";
}

}  // namespace
}  // namespace latchkey::hub
