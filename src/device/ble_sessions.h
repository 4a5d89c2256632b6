// The phone sessions of the BLE transport (docs/phone-keys.md, "Bluetooth LE"), without D-Bus:
// which device's fragment goes to which session, where the lock's fragments go (notifications or
// a queue that the phone reads), and when a session ends. ble_gatt_server.h feeds it from BlueZ;
// a clock is passed in, so that it runs the same in tests.
//
// - A device is BlueZ's object path of the phone (org.bluez.Device1), the `device` option of
//   WriteValue and ReadValue.
// - A session starts when a device writes a fragment with seq 0 while it has no open session, or
//   while its open session expects another seq (a phone starting over on the same connection;
//   the old session ends). The lock's fragments are then at most MaxFragmentForMtu(mtu) bytes,
//   mtu being that write's (23 when BlueZ does not say). It ends
//   when the lock's side closes it (PhoneDoor: a failure, 8 failed operations), the device
//   disconnects, the handshake is not done in 10 s, or nothing was sent or received for 30 s.
// - One session at a time. BlueZ sends a notification to every device that enabled them on the
//   characteristic (notifying is per characteristic, not per device), so a second session would
//   mix its fragments into the first's. A seq-0 write from another device while a session is open
//   is refused as busy, unless that session has been quiet for 5 s: then it gives way (a phone
//   that walked off without disconnecting must not keep the door for 30 s).
// - The lock's fragments: while notifying is on (BlueZ called StartNotify) each goes out as a
//   notification and is not kept; while it is off, each waits in the session device's queue, and
//   a ReadValue by that device takes the oldest (an empty value when none waits): a phone that
//   cannot get notifications polls. The queue outlives the session's end until the device
//   disconnects, starts another session or is quiet for 30 s, so that the last `res` of a
//   session closed by the lock can still be read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "link/phone_frame.h"

namespace latchkey::device {

class BleSessions {
 public:
  struct Limits {
    int64_t idle_ms = 30'000;       // link::kPhoneSessionIdleMs
    int64_t handshake_ms = 10'000;  // a handshake at MTU 23 is some 30 writes with response
    int64_t yield_after_ms = 5'000;
    std::size_t max_queued = 128;   // fragments waiting for reads; more ends the session
    std::size_t max_devices = 16;   // devices remembered (their queues); the quietest goes
  };
  // The lock's side of one session. Its transport's send and close are the session's (close is
  // called once, after which nothing is sent).
  struct Door {
    std::function<void(std::span<const uint8_t>)> feed;
    std::function<bool()> established;
  };
  struct Transport {
    std::function<void(link::PhoneFragment)> send;
    std::function<void(const std::string& reason)> close;
  };
  struct Hooks {
    // A new session's lock side, sending fragments of at most max_fragment bytes.
    std::function<core::Result<Door>(std::size_t max_fragment, Transport transport)> make_door;
    // A notification on "to phone" (notifying is on).
    std::function<void(const link::PhoneFragment&)> notify;
    // The time: milliseconds on a steady clock.
    std::function<int64_t()> now_ms;
  };

  BleSessions(Hooks hooks, Limits limits);
  explicit BleSessions(Hooks hooks) : BleSessions(std::move(hooks), Limits{}) {}

  // A write on "to lock" by `device` (mtu: the write's, 0 when BlueZ did not say). The answer to
  // the write: kOccupied while another device's session holds the door, kInvalid for a fragment
  // that starts no session and belongs to none, or an empty one.
  core::Status Write(const std::string& device, std::size_t mtu, std::span<const uint8_t> fragment);
  // A read of "to phone" by `device` at `offset`: the oldest fragment waiting for it (empty when
  // none). offset > 0 is the rest of the fragment the last read returned (a long read).
  std::vector<uint8_t> Read(const std::string& device, std::size_t offset);
  void SetNotifying(bool on) { notifying_ = on; }
  bool notifying() const { return notifying_; }
  // The device is gone: its session ends and its queue is dropped.
  void Disconnected(const std::string& device);
  // Every session ends (BlueZ went away, the lock stops).
  void CloseAll(const std::string& reason);
  // Ends what ran out of time; when something next runs out (nullopt: nothing is waiting).
  std::optional<int64_t> Expire();

  // The device with the open session, if any.
  std::optional<std::string> open_device() const;

 private:
  struct Device {
    uint64_t generation = 0;  // of its latest session; a door of an older one is not heard
    std::optional<Door> door;  // while the session is open
    uint8_t next_seq = 0;      // of the phone's next fragment, as the session counts them
    std::deque<link::PhoneFragment> queue;
    std::vector<uint8_t> last_read;
    int64_t started_ms = 0;
    int64_t last_ms = 0;
  };

  core::Status Start(const std::string& device, std::size_t mtu);
  void Deliver(const std::string& device, uint64_t generation, link::PhoneFragment fragment);
  void Close(const std::string& device, uint64_t generation, const std::string& reason);
  void Forget();

  Hooks hooks_;
  Limits limits_;
  std::map<std::string, Device> devices_;
  uint64_t next_generation_ = 1;
  bool notifying_ = false;
};

}  // namespace latchkey::device
