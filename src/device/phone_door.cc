#include "device/phone_door.h"

#include <spdlog/spdlog.h>

#include "core/phone_revocations.h"

namespace latchkey::device {
namespace {

const core::Actor kPhoneActor{core::Source::kPhone, "phone", false};

}  // namespace

PhoneDoor::PhoneDoor(LockRuntime& runtime, link::PhoneSessionLock session, Transport transport)
    : runtime_(runtime), session_(std::move(session)), transport_(std::move(transport)) {}

void PhoneDoor::OnFragment(std::span<const uint8_t> fragment) {
  if (closed_) return;
  Run(session_.Feed(fragment));
}

void PhoneDoor::Run(std::vector<link::PhoneSessionLock::Action> actions) {
  for (auto& action : actions) {
    if (closed_) return;
    if (auto* send = std::get_if<link::PhoneSessionLock::Send>(&action)) {
      transport_.send(std::move(send->fragment));
    } else if (auto* hello = std::get_if<link::PhoneSessionLock::Hello>(&action)) {
      OnHello(*hello);
    } else if (auto* operate = std::get_if<link::PhoneSessionLock::Operate>(&action)) {
      OnOperate(*operate);
    } else if (auto* close = std::get_if<link::PhoneSessionLock::Close>(&action)) {
      closed_ = true;
      transport_.close(close->reason);
    }
  }
}

void PhoneDoor::OnHello(const link::PhoneSessionLock::Hello& hello) {
  established_ = true;
  phone_ = hello.phone;
  auto cert = core::DecodePhoneKey(hello.cert);
  if (cert.ok()) {
    cert_ = std::move(cert).value();
  } else {
    cert_error_ = cert.status().message();
  }
  if (hello.revocations) {
    auto list = core::DecodePhoneRevocations(*hello.revocations);
    auto applied = list.ok() ? runtime_.lock().ApplyPhoneRevocations(*list, kPhoneActor)
                             : core::Result<core::PhoneKeyInfo>(list.status());
    runtime_.Reschedule();
    if (applied.ok()) {
      spdlog::info("phone: revocation list version {} from a phone", applied->revocations_version);
    } else {
      spdlog::warn("phone: a phone's revocation list was refused: {}", applied.status().message());
    }
  }
}

link::PhoneResult PhoneDoor::ResultNow() const {
  const core::LockStatus status = runtime_.lock().status();
  link::PhoneResult result;
  result.lock_state = status.lock_state;
  result.door_state = status.door_state;
  result.battery_percent = static_cast<uint8_t>(std::min<uint32_t>(status.battery.percent, 100));
  return result;
}

void PhoneDoor::OnOperate(const link::PhoneSessionLock::Operate& operate) {
  // The phone is told only the code: the session's messages carry names, not free text.
  if (!cert_) {
    spdlog::info("phone: a certificate that does not decode: {}", cert_error_);
    return Finish(link::PhoneRefused("invalid"));
  }
  std::optional<core::ArrivalToken> arrival;
  if (operate.arrival) {
    auto token = core::DecodeArrivalToken(*operate.arrival);
    if (!token.ok()) return Finish(link::PhoneRefused("invalid"));
    arrival = std::move(token).value();
  }
  core::PhoneRequest request;
  request.certificate = &*cert_;
  request.session_key = phone_;
  request.operation = link::OperationOf(operate.op);
  request.arrival = arrival ? &*arrival : nullptr;  // with another op than unlock: kInvalid below
  auto decided = runtime_.lock().PhoneAccess(request);
  runtime_.Reschedule();
  if (!decided.ok()) return Finish(link::PhoneRefused(decided.status().code() == core::Code::kIoError ? "internal" : "invalid"));
  const core::PhoneDecision& d = *decided;
  if (d.decision.result == core::DecisionResult::kDenied) return Finish(link::PhoneRefused("denied", d.reason()));
  if (d.decision.result == core::DecisionResult::kPending) return Finish(link::PhoneRefused("denied", "incomplete"));
  if (!request.operation) return Finish(link::PhoneOk(ResultNow()));
  // The answer waits for the bolt; the session may be gone by then.
  runtime_.WhenBoltStops([weak = weak_from_this()](const core::LockStatus& status) {
    auto self = weak.lock();
    if (!self || self->closed_) return;
    if (status.lock_state == core::LockState::kJammed) return self->Finish(link::PhoneRefused("jammed"));
    self->Finish(link::PhoneOk(self->ResultNow()));
  });
}

void PhoneDoor::Finish(const link::PhoneResponse& res) {
  auto actions = session_.Complete(res);
  if (!actions.ok()) {
    spdlog::error("phone: cannot answer: {}", actions.status().message());
    closed_ = true;
    transport_.close("internal error");
    return;
  }
  Run(std::move(actions).value());
}

}  // namespace latchkey::device
