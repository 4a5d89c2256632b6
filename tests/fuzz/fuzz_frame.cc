// libFuzzer target: link::FrameDecoder, the first parser every byte from the network meets.
//
// Input: [control][limit][stream...]. The stream (repeated 1..16 times, so that the decoder's
// 64 KiB compaction is reached) is fed in chunks whose sizes come from `control`, and Next() is
// drained after every chunk. A separate model decodes the same stream in one pass; the decoder
// must hand out exactly the model's frames, never one over its limit, and fail for good at the
// first oversized length prefix. `limit` picks the decoder's limit: the real kMaxFrame or a
// small one, so that oversized prefixes are easy to reach.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fuzz_check.h"
#include "link/frame.h"

namespace {

using latchkey::link::EncodeFrame;
using latchkey::link::FrameDecoder;
using latchkey::link::kMaxFrame;
using Bytes = std::vector<uint8_t>;

struct Model {
  std::vector<Bytes> frames;
  bool fails = false;  // an oversized prefix comes once every frame before it is whole
  std::size_t consumed = 0;
};

Model Decode(const Bytes& stream, std::size_t limit) {
  Model m;
  std::size_t pos = 0;
  while (stream.size() - pos >= 2) {
    const std::size_t length = std::size_t{stream[pos]} << 8 | stream[pos + 1];
    if (length > limit) {
      m.fails = true;
      break;
    }
    if (stream.size() - pos - 2 < length) break;
    m.frames.emplace_back(stream.begin() + static_cast<std::ptrdiff_t>(pos + 2),
                          stream.begin() + static_cast<std::ptrdiff_t>(pos + 2 + length));
    pos += 2 + length;
  }
  m.consumed = pos;
  return m;
}

// Chunk sizes: a small deterministic generator seeded by the control byte.
struct Chunker {
  uint32_t state;
  std::size_t Next(std::size_t left) {
    state = state * 1103515245u + 12345u;
    const uint32_t r = state >> 16;
    std::size_t n;
    switch (r % 4) {
      case 0: n = 1; break;                      // byte by byte
      case 1: n = 1 + r % 3; break;              // splits inside the length prefix
      case 2: n = 1 + r % 257; break;
      default: n = left; break;                  // everything at once
    }
    return n < left ? n : left;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const uint8_t control = data[0];
  const std::size_t limit = data[1] < 0x80 ? kMaxFrame : data[1] & 0x7F;
  const std::span<const uint8_t> input(data + 2, size - 2);
  const std::size_t repeats = 1 + (control >> 4);

  Bytes stream;
  stream.reserve(input.size() * repeats);
  for (std::size_t i = 0; i < repeats; ++i) stream.insert(stream.end(), input.begin(), input.end());
  const Model model = Decode(stream, limit);

  FrameDecoder decoder(limit);
  Chunker chunker{control};
  std::vector<Bytes> frames;
  bool failed = false;
  std::size_t fed = 0, handed_out = 0;
  while (fed < stream.size()) {
    const std::size_t n = chunker.Next(stream.size() - fed);
    decoder.Feed(std::span<const uint8_t>(stream).subspan(fed, n));
    fed += n;
    for (;;) {
      auto next = decoder.Next();
      if (!next.ok()) {
        failed = true;
        break;
      }
      if (!next->has_value()) break;
      const Bytes& frame = **next;
      FUZZ_CHECK(frame.size() <= limit, "a frame over the limit");
      handed_out += 2 + frame.size();
      frames.push_back(frame);
    }
    if (failed) {
      // Failed for good: more bytes never bring a frame back.
      decoder.Feed(std::span<const uint8_t>(data, size));
      auto again = decoder.Next();
      FUZZ_CHECK(!again.ok(), "the decoder recovered after an oversized frame");
      break;
    }
    FUZZ_CHECK(decoder.buffered() == fed - handed_out, "buffered() does not match the bytes not yet handed out");
  }

  FUZZ_CHECK(failed == model.fails, "the decoder and the model disagree on failing");
  FUZZ_CHECK(frames == model.frames, "the decoder and the model disagree on the frames");
  if (!failed) {
    FUZZ_CHECK(decoder.buffered() == stream.size() - model.consumed, "bytes lost or invented");
  }

  // Encoding what came out gives back the bytes that went in.
  Bytes reencoded;
  for (const auto& f : frames) {
    const Bytes e = EncodeFrame(f);
    FUZZ_CHECK(e.size() == f.size() + 2, "EncodeFrame adds a 2-byte prefix");
    reencoded.insert(reencoded.end(), e.begin(), e.end());
  }
  FUZZ_CHECK(reencoded.size() <= stream.size() &&
                 std::equal(reencoded.begin(), reencoded.end(), stream.begin()),
             "EncodeFrame(frame) differs from the frame's bytes in the stream");

  // And the other way: the input cut into payloads, encoded, decodes to those payloads.
  FrameDecoder roundtrip;
  std::size_t pos = 0, cut = 0;
  std::vector<Bytes> payloads;
  while (pos < input.size()) {
    const std::size_t n = std::min<std::size_t>(input.size() - pos, 1 + (input[pos] + cut) % 300);
    payloads.emplace_back(input.begin() + static_cast<std::ptrdiff_t>(pos),
                          input.begin() + static_cast<std::ptrdiff_t>(pos + n));
    roundtrip.Feed(EncodeFrame(payloads.back()));
    pos += n;
    ++cut;
  }
  for (const auto& p : payloads) {
    auto next = roundtrip.Next();
    FUZZ_CHECK(next.ok() && next->has_value() && **next == p, "an encoded frame did not decode to its payload");
  }
  auto end = roundtrip.Next();
  FUZZ_CHECK(end.ok() && !end->has_value() && roundtrip.buffered() == 0, "bytes left after the last frame");
  return 0;
}
