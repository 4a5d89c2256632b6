#include "link/frame.h"

namespace latchkey::link {

std::vector<uint8_t> EncodeFrame(std::span<const uint8_t> payload) {
  std::vector<uint8_t> out;
  out.reserve(payload.size() + 2);
  out.push_back(static_cast<uint8_t>(payload.size() >> 8));
  out.push_back(static_cast<uint8_t>(payload.size() & 0xFF));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

void FrameDecoder::Feed(std::span<const uint8_t> bytes) {
  if (consumed_ > 0 && consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

core::Result<std::optional<std::vector<uint8_t>>> FrameDecoder::Next() {
  if (failed_) return core::Status::Invalid("the frame stream failed earlier");
  const std::size_t available = buffer_.size() - consumed_;
  if (available < 2) return std::optional<std::vector<uint8_t>>();
  const std::size_t length = std::size_t{buffer_[consumed_]} << 8 | buffer_[consumed_ + 1];
  if (length > max_frame_) {
    failed_ = true;
    return core::Status::Invalid("frame of " + std::to_string(length) + " bytes is over the limit");
  }
  if (available < 2 + length) return std::optional<std::vector<uint8_t>>();
  const auto begin = buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_ + 2);
  std::vector<uint8_t> frame(begin, begin + static_cast<std::ptrdiff_t>(length));
  consumed_ += 2 + length;
  if (consumed_ > 64 * 1024) {  // compact now and then so the buffer does not grow forever
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
    consumed_ = 0;
  }
  return std::optional<std::vector<uint8_t>>(std::move(frame));
}

}  // namespace latchkey::link
