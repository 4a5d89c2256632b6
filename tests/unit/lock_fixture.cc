#include "lock_fixture.h"

#include <ostream>

namespace latchkey::core {

void PrintTo(const Status& status, std::ostream* os) { *os << status.ToString(); }

namespace {
crypto::SecretKey TestKey() {
  crypto::SecretKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 7 + 1);
  return key;
}
}  // namespace

LockTest::LockTest() : crypto_(TestKey()) { config_.motor_ms = 400; }

void LockTest::SetUp() { Open(); }

void LockTest::Open() {
  lock_.reset();
  LockEnv env;
  env.clock = &clock_;
  env.crypto = &crypto_;
  env.zones = &zones_;
  env.store = &store_;
  env.bolt = &bolt_;
  env.feedback = &feedback_;
  env.observer = &observer_;
  auto opened = Lock::Open(config_, env);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  lock_ = std::move(opened).value();
}

void LockTest::Reboot() {
  lock_.reset();
  clock_.RebootMonotonic(5'000);
  Open();
}

void LockTest::Advance(int64_t ms) {
  while (ms > 0) {
    const int64_t step = ms < 1000 ? ms : 1000;
    clock_.Advance(step);
    ms -= step;
    ASSERT_TRUE(lock_->Tick().ok());
  }
}

UserIndex LockTest::AddPinUser(const std::string& pin, UserType type) {
  CredentialRequest request;
  request.type = CredentialType::kPin;
  request.data = pin;
  request.user_type = type;
  auto added = lock_->AddCredential(request, owner_);
  EXPECT_TRUE(added.ok()) << added.status().ToString();
  return added.ok() ? added->user : 0;
}

UserIndex LockTest::AddProgrammingPin(const std::string& pin) {
  CredentialRequest request;
  request.type = CredentialType::kProgrammingPin;
  request.index = 0;
  request.data = pin;
  auto added = lock_->AddCredential(request, owner_);
  EXPECT_TRUE(added.ok()) << added.status().ToString();
  return added.ok() ? added->user : 0;
}

void LockTest::AddCredentialTo(UserIndex user, CredentialType type, const std::string& data) {
  CredentialRequest request;
  request.type = type;
  request.data = data;
  request.user = user;
  auto added = lock_->AddCredential(request, owner_);
  EXPECT_TRUE(added.ok()) << added.status().ToString();
}

Decision LockTest::Keypad(const std::string& pin) {
  auto decision = lock_->Present(Source::kKeypad, pin);
  EXPECT_TRUE(decision.ok()) << decision.status().ToString();
  return decision.ok() ? *decision : Decision{};
}

Decision LockTest::RemoteOp(Operation op, std::optional<std::string> pin, bool privileged) {
  RemoteCommand command;
  command.operation = op;
  command.pin = std::move(pin);
  command.actor = Actor{Source::kRemote, kOwner, privileged};
  auto decision = lock_->Remote(command);
  EXPECT_TRUE(decision.ok()) << decision.status().ToString();
  return decision.ok() ? *decision : Decision{};
}

void LockTest::Patch(const SettingsPatch& patch) {
  auto result = lock_->UpdateSettings(patch, owner_);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
}

std::vector<Event> LockTest::EventsOfKind(EventKind kind) const {
  std::vector<Event> out;
  for (const auto& e : events()) {
    if (e.kind == kind) out.push_back(e);
  }
  return out;
}

std::vector<Event> LockTest::Alarms(AlarmKind alarm) const {
  std::vector<Event> out;
  for (const auto& e : events()) {
    if (e.kind == EventKind::kAlarm && e.alarm == alarm) out.push_back(e);
  }
  return out;
}

Event LockTest::LastEvent() const {
  auto all = events();
  return all.empty() ? Event{} : all.back();
}

}  // namespace latchkey::core
