#include "device/ble_sessions.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace latchkey::device {

BleSessions::BleSessions(Hooks hooks, Limits limits) : hooks_(std::move(hooks)), limits_(limits) {}

core::Status BleSessions::Write(const std::string& device, std::size_t mtu, std::span<const uint8_t> fragment) {
  if (fragment.empty()) return core::Status::Invalid("an empty fragment");
  auto it = devices_.find(device);
  const bool open = it != devices_.end() && it->second.door;
  // Seq 0 where the open session expects another is a phone starting over on the same
  // connection: the old session could not read it anyway.
  if (!open || (fragment[0] == 0 && it->second.next_seq != 0)) {
    // Only seq 0 starts a session: anything else is the tail of one that is over.
    if (fragment[0] != 0) return core::Status::Invalid("no session: a session starts with seq 0");
    if (open) Close(device, it->second.generation, "the phone started over");
    LATCHKEY_TRY(Start(device, mtu));
    it = devices_.find(device);
  }
  Device& d = it->second;
  d.last_ms = hooks_.now_ms();
  ++d.next_seq;
  // A copy: the door may end the session (and drop the stored one) while it reads this.
  const Door door = *d.door;
  door.feed(fragment);
  return core::Status::Ok();
}

core::Status BleSessions::Start(const std::string& device, std::size_t mtu) {
  const int64_t now = hooks_.now_ms();
  for (auto& [other, d] : devices_) {
    if (!d.door || other == device) continue;
    if (now - d.last_ms < limits_.yield_after_ms) return core::Status::Occupied("another phone is at the door");
    Close(other, d.generation, "another phone came");
  }
  auto max_fragment = link::MaxFragmentForMtu(std::max(mtu, link::kMinBleMtu));
  LATCHKEY_TRY(max_fragment);
  if (!devices_.count(device) && devices_.size() >= limits_.max_devices) Forget();
  Device& d = devices_[device];
  const uint64_t generation = next_generation_++;
  Transport transport;
  transport.send = [this, device, generation](link::PhoneFragment fragment) {
    Deliver(device, generation, std::move(fragment));
  };
  transport.close = [this, device, generation](const std::string& reason) { Close(device, generation, reason); };
  auto door = hooks_.make_door(*max_fragment, std::move(transport));
  LATCHKEY_TRY(door);
  d.generation = generation;
  d.door = std::move(door).value();
  d.next_seq = 0;
  d.queue.clear();
  d.last_read.clear();
  d.started_ms = d.last_ms = now;
  spdlog::debug("ble: session with {} (max fragment {})", device, *max_fragment);
  return core::Status::Ok();
}

void BleSessions::Deliver(const std::string& device, uint64_t generation, link::PhoneFragment fragment) {
  auto it = devices_.find(device);
  if (it == devices_.end() || it->second.generation != generation || !it->second.door) return;
  Device& d = it->second;
  d.last_ms = hooks_.now_ms();
  if (notifying_) {
    hooks_.notify(fragment);
    return;
  }
  if (d.queue.size() >= limits_.max_queued) {
    // The phone does not read: the session cannot go on.
    return Close(device, generation, "the phone does not read its fragments");
  }
  d.queue.push_back(std::move(fragment));
}

void BleSessions::Close(const std::string& device, uint64_t generation, const std::string& reason) {
  auto it = devices_.find(device);
  if (it == devices_.end() || it->second.generation != generation || !it->second.door) return;
  spdlog::debug("ble: session with {} closed: {}", device, reason);
  it->second.door.reset();
  it->second.last_ms = hooks_.now_ms();
}

std::vector<uint8_t> BleSessions::Read(const std::string& device, std::size_t offset) {
  auto it = devices_.find(device);
  if (it == devices_.end()) return {};
  Device& d = it->second;
  if (offset > 0) {
    if (offset >= d.last_read.size()) return {};
    return std::vector<uint8_t>(d.last_read.begin() + static_cast<std::ptrdiff_t>(offset), d.last_read.end());
  }
  if (d.queue.empty()) return {};
  d.last_read = std::move(d.queue.front());
  d.queue.pop_front();
  d.last_ms = hooks_.now_ms();
  return d.last_read;
}

void BleSessions::Disconnected(const std::string& device) {
  auto it = devices_.find(device);
  if (it == devices_.end()) return;
  Close(device, it->second.generation, "the phone disconnected");
  devices_.erase(device);
}

void BleSessions::CloseAll(const std::string& reason) {
  for (auto& [device, d] : devices_) Close(device, d.generation, reason);
  devices_.clear();
}

void BleSessions::Forget() {
  // The quietest device without an open session; a session is never dropped for this.
  auto quietest = devices_.end();
  for (auto it = devices_.begin(); it != devices_.end(); ++it) {
    if (it->second.door) continue;
    if (quietest == devices_.end() || it->second.last_ms < quietest->second.last_ms) quietest = it;
  }
  if (quietest != devices_.end()) devices_.erase(quietest);
}

std::optional<int64_t> BleSessions::Expire() {
  const int64_t now = hooks_.now_ms();
  std::optional<int64_t> next;
  const auto due = [&](int64_t at) { next = next ? std::min(*next, at) : at; };
  for (auto it = devices_.begin(); it != devices_.end();) {
    Device& d = it->second;
    if (d.door) {
      const bool shaking = !d.door->established();
      if (shaking && now - d.started_ms >= limits_.handshake_ms) {
        Close(it->first, d.generation, "handshake took too long");
      } else if (now - d.last_ms >= limits_.idle_ms) {
        Close(it->first, d.generation, "idle");
      } else {
        due(d.last_ms + limits_.idle_ms);
        if (shaking) due(d.started_ms + limits_.handshake_ms);
        ++it;
        continue;
      }
    }
    // A closed session's queue waits for its last reads as long as a session would idle.
    if (now - d.last_ms >= limits_.idle_ms) {
      it = devices_.erase(it);
    } else {
      due(d.last_ms + limits_.idle_ms);
      ++it;
    }
  }
  return next;
}

std::optional<std::string> BleSessions::open_device() const {
  for (const auto& [device, d] : devices_) {
    if (d.door) return device;
  }
  return std::nullopt;
}

}  // namespace latchkey::device
