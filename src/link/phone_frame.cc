#include "link/phone_frame.h"

#include <algorithm>
#include <string>
#include <utility>

#include "link/frame.h"

namespace latchkey::link {

core::Result<std::size_t> MaxFragmentForMtu(std::size_t mtu) {
  if (mtu < kMinBleMtu) {
    return core::Status::Invalid("mtu: " + std::to_string(mtu) + " is below BLE's minimum of 23");
  }
  return std::min(mtu - 3, kMaxPhoneFragment);
}

PhoneFragmenter::PhoneFragmenter(std::size_t max_fragment)
    : max_fragment_(std::clamp(max_fragment, kMinPhoneFragment, kMaxPhoneFragment)) {}

core::Result<std::vector<PhoneFragment>> PhoneFragmenter::Cut(std::span<const uint8_t> message) {
  if (message.empty()) return core::Status::Invalid("phone message: empty");
  if (message.size() > kMaxPhoneMessage) {
    return core::Status::Invalid("phone message: " + std::to_string(message.size()) + " bytes, over 16 KiB");
  }
  const std::size_t chunk = max_fragment_ - kPhoneFragmentHeader;
  std::vector<PhoneFragment> out;
  out.reserve((message.size() + chunk - 1) / chunk);
  for (std::size_t at = 0; at < message.size(); at += chunk) {
    const std::size_t n = std::min(chunk, message.size() - at);
    PhoneFragment fragment;
    fragment.reserve(kPhoneFragmentHeader + n);
    fragment.push_back(next_seq_++);  // wraps at 256 by design
    fragment.push_back(at + n < message.size() ? kPhoneFlagMore : 0);
    fragment.insert(fragment.end(), message.begin() + static_cast<std::ptrdiff_t>(at),
                    message.begin() + static_cast<std::ptrdiff_t>(at + n));
    out.push_back(std::move(fragment));
  }
  return out;
}

core::Status PhoneReassembler::Fail(core::Status status) {
  failed_ = true;
  message_.clear();
  return status;
}

core::Result<std::optional<std::vector<uint8_t>>> PhoneReassembler::Feed(std::span<const uint8_t> fragment) {
  if (failed_) return core::Status::Invalid("fragment: the phone stream failed earlier");
  if (fragment.size() < kMinPhoneFragment) return Fail(core::Status::Invalid("fragment: no payload"));
  if (fragment.size() > max_fragment_) {
    return Fail(core::Status::Invalid("fragment: " + std::to_string(fragment.size()) + " bytes, over the " +
                                      std::to_string(max_fragment_) + " allowed"));
  }
  const uint8_t seq = fragment[0];
  const uint8_t flags = fragment[1];
  if (seq != next_seq_) {
    return Fail(core::Status::Invalid("fragment: seq " + std::to_string(seq) + " where " +
                                      std::to_string(next_seq_) + " was due (a fragment lost, repeated or reordered)"));
  }
  if ((flags & ~kPhoneFlagMore) != 0) return Fail(core::Status::Invalid("fragment: reserved flag bits set"));
  const auto payload = fragment.subspan(kPhoneFragmentHeader);
  if (payload.size() > max_message_ - message_.size()) {
    return Fail(core::Status::Invalid("fragment: the message grows past " + std::to_string(max_message_) + " bytes"));
  }
  ++next_seq_;
  message_.insert(message_.end(), payload.begin(), payload.end());
  if (flags & kPhoneFlagMore) return std::optional<std::vector<uint8_t>>();
  return std::optional<std::vector<uint8_t>>(std::exchange(message_, {}));
}

std::vector<uint8_t> EncodePhoneStreamFragment(std::span<const uint8_t> fragment) { return EncodeFrame(fragment); }

core::Result<std::vector<PhoneFragment>> PhoneStreamDecoder::Feed(std::span<const uint8_t> bytes) {
  if (failed_) return core::Status::Invalid("phone stream: failed earlier");
  std::vector<PhoneFragment> out;
  while (!bytes.empty()) {
    // The prefix first, then exactly the fragment it announces: never more than one fragment
    // in pending_, whatever size the chunks come in.
    std::size_t want = 2;
    if (pending_.size() >= 2) want = 2 + (std::size_t{pending_[0]} << 8 | pending_[1]);
    const std::size_t n = std::min(want - pending_.size(), bytes.size());
    pending_.insert(pending_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    bytes = bytes.subspan(n);
    if (pending_.size() == 2 && want == 2) {
      const std::size_t length = std::size_t{pending_[0]} << 8 | pending_[1];
      if (length < kMinPhoneFragment || length > max_fragment_) {
        failed_ = true;
        pending_.clear();
        return core::Status::Invalid("phone stream: a fragment of " + std::to_string(length) +
                                     " bytes (allowed: " + std::to_string(kMinPhoneFragment) + ".." +
                                     std::to_string(max_fragment_) + ")");
      }
      continue;
    }
    if (pending_.size() == want) {
      out.emplace_back(pending_.begin() + 2, pending_.end());
      pending_.clear();
    }
  }
  return out;
}

}  // namespace latchkey::link
