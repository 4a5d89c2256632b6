// Framing of the lock link (LINK.md): each frame is a 2-byte big-endian length and that many
// bytes (one Noise message). The decoder takes bytes as they arrive from a stream and hands out
// whole frames; a frame over the limit is an error and the connection must be closed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/status.h"

namespace latchkey::link {

inline constexpr std::size_t kMaxFrame = 16 * 1024;

// Prefixes `payload` with its length; payload.size() must be at most kMaxFrame.
std::vector<uint8_t> EncodeFrame(std::span<const uint8_t> payload);

class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_frame = kMaxFrame) : max_frame_(max_frame) {}
  // Appends received bytes.
  void Feed(std::span<const uint8_t> bytes);
  // The next whole frame, nullopt when more bytes are needed, or kInvalid for a frame over the
  // limit (after which the decoder stays failed).
  core::Result<std::optional<std::vector<uint8_t>>> Next();
  std::size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  std::size_t max_frame_;
  std::vector<uint8_t> buffer_;
  std::size_t consumed_ = 0;
  bool failed_ = false;
};

}  // namespace latchkey::link
