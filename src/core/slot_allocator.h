// Which slots of an index space 1..size are taken, with the lowest free one found without a
// scan of the whole space: a bitmap and a hint below which every slot is taken.
#pragma once

#include <bit>
#include <cstdint>
#include <optional>
#include <vector>

namespace latchkey::core {

class SlotAllocator {
 public:
  explicit SlotAllocator(uint32_t size = 0) : size_(size), words_((size + 64) / 64, 0) {}

  uint32_t size() const { return size_; }
  bool taken(uint32_t slot) const {
    return slot >= 1 && slot <= size_ && (words_[slot / 64] >> (slot % 64) & 1u) != 0;
  }
  void Take(uint32_t slot) { words_[slot / 64] |= uint64_t{1} << (slot % 64); }
  void Release(uint32_t slot) {
    words_[slot / 64] &= ~(uint64_t{1} << (slot % 64));
    if (slot < hint_) hint_ = slot;
  }
  // The lowest free slot, or nullopt when all are taken.
  std::optional<uint32_t> LowestFree() const {
    for (uint32_t w = hint_ / 64; w < words_.size(); ++w) {
      uint64_t free_bits = ~words_[w];
      if (w == 0) free_bits &= ~uint64_t{1};  // slot 0 is never handed out
      if (free_bits == 0) continue;
      const uint32_t slot = w * 64 + static_cast<uint32_t>(std::countr_zero(free_bits));
      if (slot > size_) return std::nullopt;
      hint_ = slot;
      return slot;
    }
    return std::nullopt;
  }

 private:
  uint32_t size_;
  std::vector<uint64_t> words_;
  mutable uint32_t hint_ = 1;
};

}  // namespace latchkey::core
