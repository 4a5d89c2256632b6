// Framing of the phone session (PHONE-KEYS.md 2; docs/phone-keys.md, "The session on the wire").
// One Noise message is cut into fragments
//
//   [u8 seq][u8 flags][payload: at least 1 byte]
//
// each at most max_fragment bytes in all, because a BLE write or notification carries at most
// ATT_MTU - 3 bytes (and GATT caps an attribute value at 512). Flags bit 0 says more fragments of
// the same message follow; the other bits are reserved and must be 0. seq counts fragments, not
// messages, from 0 in each direction and wraps at 256: GATT writes without response and
// notifications are unacknowledged, so a lost, repeated or reordered fragment must be caught
// here rather than surface as a Noise decryption failure with no hint why.
//
// Over TCP (the lock's --phone-listen address) each fragment is preceded by its length as two
// big-endian bytes, as on the hub link (frame.h); PhoneStreamDecoder cuts that stream back into
// fragments.
//
// Every reader here is strict and fails for good: after one error the stream is out of step, so
// the session must be closed rather than resynchronised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/status.h"

namespace latchkey::link {

// The largest Noise message of the phone session. The biggest is the phone's hello (a 1 KiB
// certificate and up to 8 KiB of revocations) inside IK's first message; 16 KiB leaves room.
inline constexpr std::size_t kMaxPhoneMessage = 16 * 1024;
// A fragment's two header bytes.
inline constexpr std::size_t kPhoneFragmentHeader = 2;
// The largest fragment: a GATT attribute value holds at most 512 bytes.
inline constexpr std::size_t kMaxPhoneFragment = 512;
// The smallest fragment: the header and one payload byte.
inline constexpr std::size_t kMinPhoneFragment = kPhoneFragmentHeader + 1;
// BLE's default and smallest ATT_MTU (Core spec Vol 3 Part F 3.2.8).
inline constexpr std::size_t kMinBleMtu = 23;
// Flags bit 0: another fragment of this message follows. Bits 1..7 are reserved.
inline constexpr uint8_t kPhoneFlagMore = 0x01;

using PhoneFragment = std::vector<uint8_t>;

// min(mtu - 3, 512): the ATT header of a write or notification takes 3 bytes of the MTU. kInvalid
// below kMinBleMtu, which no conforming link negotiates.
core::Result<std::size_t> MaxFragmentForMtu(std::size_t mtu);

// Cuts outgoing messages into fragments, numbering them across messages.
class PhoneFragmenter {
 public:
  // max_fragment is clamped to kMinPhoneFragment..kMaxPhoneFragment; MaxFragmentForMtu gives a
  // value in range.
  explicit PhoneFragmenter(std::size_t max_fragment = kMaxPhoneFragment);

  // The fragments of one message, in order. kInvalid, without using up any seq, for an empty
  // message (it would need an empty fragment) or one over kMaxPhoneMessage.
  core::Result<std::vector<PhoneFragment>> Cut(std::span<const uint8_t> message);

  std::size_t max_fragment() const { return max_fragment_; }
  uint8_t next_seq() const { return next_seq_; }

 private:
  std::size_t max_fragment_;
  uint8_t next_seq_ = 0;
};

// Puts incoming fragments back together.
class PhoneReassembler {
 public:
  explicit PhoneReassembler(std::size_t max_fragment = kMaxPhoneFragment,
                            std::size_t max_message = kMaxPhoneMessage)
      : max_fragment_(max_fragment), max_message_(max_message) {}

  // The whole message once its last fragment arrives, nullopt while more are due. kInvalid, and
  // every later call too, for a fragment out of sequence (lost, repeated or reordered), reserved
  // flag bits, no payload, more than max_fragment bytes, or a message growing past max_message.
  core::Result<std::optional<std::vector<uint8_t>>> Feed(std::span<const uint8_t> fragment);

  bool failed() const { return failed_; }
  // Whether part of a message is held (a session that ends now lost it).
  bool partial() const { return !message_.empty(); }

 private:
  core::Status Fail(core::Status status);

  std::size_t max_fragment_;
  std::size_t max_message_;
  std::vector<uint8_t> message_;
  uint8_t next_seq_ = 0;
  bool failed_ = false;
};

// A fragment as it goes over TCP: its length in two big-endian bytes, then the fragment.
// fragment.size() must be at most kMaxPhoneFragment.
std::vector<uint8_t> EncodePhoneStreamFragment(std::span<const uint8_t> fragment);

// Cuts the TCP stream back into fragments. It holds at most one unfinished fragment (2 + max_fragment
// bytes), however the stream is chunked, so a peer cannot make it buffer more.
class PhoneStreamDecoder {
 public:
  explicit PhoneStreamDecoder(std::size_t max_fragment = kMaxPhoneFragment) : max_fragment_(max_fragment) {}

  // The fragments that `bytes` completes, in order (often none). kInvalid, and every later call
  // too, for a length below kMinPhoneFragment or above max_fragment; fragments completed earlier
  // in the same call are dropped with it, since the session closes anyway.
  core::Result<std::vector<PhoneFragment>> Feed(std::span<const uint8_t> bytes);

  bool failed() const { return failed_; }
  std::size_t buffered() const { return pending_.size(); }

 private:
  std::size_t max_fragment_;
  std::vector<uint8_t> pending_;  // the length prefix and what arrived of the fragment
  bool failed_ = false;
};

}  // namespace latchkey::link
