#include "device/lock_runtime.h"

#include <spdlog/spdlog.h>

namespace latchkey::device {

namespace asio = boost::asio;

namespace {
bool Moving(core::LockState state) {
  return state == core::LockState::kLocking || state == core::LockState::kUnlocking;
}
constexpr int kCheckpointEverySeconds = 5;
}  // namespace

LockRuntime::LockRuntime(asio::io_context& io, hal::Board& board, core::LockStore& store, core::Crypto& crypto,
                         core::ZoneRules& zones, core::LockConfig config)
    : io_(io),
      board_(board),
      store_(store),
      crypto_(crypto),
      zones_(zones),
      config_(std::move(config)),
      deadline_timer_(io),
      second_timer_(io) {}

LockRuntime::~LockRuntime() { board_.Attach(nullptr); }

core::Status LockRuntime::Open() {
  core::LockConfig config = config_;
  config.rtc_valid = board_.rtc_valid();
  core::LockEnv env{&board_.clock(), &crypto_, &zones_, &store_, &board_.bolt(), &board_.feedback(), this};
  auto opened = core::Lock::Open(config, env);
  LATCHKEY_TRY(opened);
  lock_ = std::move(opened).value();
  return core::Status::Ok();
}

core::Status LockRuntime::Start() {
  LATCHKEY_TRY(Open());
  board_.Attach(this);
  OnSecond();
  Reschedule();
  return core::Status::Ok();
}

core::Status LockRuntime::PowerCycle() {
  lock_.reset();
  LATCHKEY_TRY(Open());
  Reschedule();
  OnStatusChanged(lock_->status());
  return core::Status::Ok();
}

void LockRuntime::Reschedule() {
  if (!lock_) return;
  const auto next = lock_->NextDeadlineMs();
  deadline_timer_.cancel();
  if (!next) return;
  const int64_t delay = std::max<int64_t>(0, *next - board_.clock().MonotonicMs());
  deadline_timer_.expires_after(std::chrono::milliseconds(delay));
  deadline_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) OnTimer();
  });
}

void LockRuntime::OnTimer() {
  if (!lock_) return;
  if (core::Status s = lock_->Tick(); !s.ok()) spdlog::error("lock: {}", s.ToString());
  Reschedule();
}

void LockRuntime::OnSecond() {
  if (lock_) {
    if (core::Status s = lock_->Tick(); !s.ok()) spdlog::error("lock: {}", s.ToString());
    if (++seconds_ % kCheckpointEverySeconds == 0 && lock_->status().lockout_remaining_ms > 0) {
      (void)lock_->Checkpoint();
    }
    Reschedule();
  }
  second_timer_.expires_after(std::chrono::seconds(1));
  second_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) OnSecond();
  });
}

void LockRuntime::WhenBoltStops(std::function<void(const core::LockStatus&)> done) {
  const core::LockStatus status = lock_->status();
  if (!Moving(status.lock_state)) {
    done(status);
    return;
  }
  waiting_for_bolt_.push_back(std::move(done));
}

void LockRuntime::OnEvent(const core::Event& event) {
  if (!lock_) {
    // Opening (a power cycle records power_cycled): listeners read the lock, so they hear of
    // it once the lock is there.
    asio::post(io_, [this, event] { OnEvent(event); });
    return;
  }
  if (listener_.on_event) listener_.on_event(event);
}

void LockRuntime::OnStatusChanged(const core::LockStatus& status) {
  if (!lock_) {
    asio::post(io_, [this, status] { OnStatusChanged(status); });
    return;
  }
  if (listener_.on_status) listener_.on_status(status);
  if (!Moving(status.lock_state) && !waiting_for_bolt_.empty()) {
    auto waiting = std::move(waiting_for_bolt_);
    waiting_for_bolt_.clear();
    for (auto& done : waiting) done(status);
  }
}

core::Result<std::optional<core::Decision>> LockRuntime::OnKeypad(std::string_view keys) {
  return After(lock_->PressKeys(keys));
}
core::Result<core::Decision> LockRuntime::OnRfid(std::string_view uid) {
  return After(lock_->Present(core::Source::kRfid, uid));
}
core::Result<core::Decision> LockRuntime::OnFingerprint(std::string_view t) {
  return After(lock_->Present(core::Source::kFingerprint, t));
}
core::Result<core::Decision> LockRuntime::OnFace(std::string_view t) {
  return After(lock_->Present(core::Source::kFace, t));
}
core::Result<core::Decision> LockRuntime::OnOutsideButton() { return After(lock_->PressButton()); }
core::Status LockRuntime::OnManualBolt(core::Source source, core::Operation op) {
  return After(lock_->ManualOperation(source, op));
}
core::Status LockRuntime::OnDoor(bool open) { return After(lock_->SetDoor(open)); }
core::Status LockRuntime::OnTamper() { return After(lock_->Tamper()); }
core::Status LockRuntime::OnBattery(uint32_t mv) { return After(lock_->SetBattery(mv)); }
core::Status LockRuntime::OnExternalPower(bool connected) { return After(lock_->SetExternalPower(connected)); }

}  // namespace latchkey::device
