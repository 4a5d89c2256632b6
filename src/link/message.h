// Messages of the lock link (LINK.md): after the handshake each transport plaintext is one CBOR
// map with at least "t", the message type. The decoder refuses anything that is not a map with
// a known "t" before any field reaches the session.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace latchkey::link {

using Json = nlohmann::json;

inline constexpr int kProtocolVersion = 1;

enum class MessageType : uint8_t { kHello, kReq, kRes, kState, kEvents, kAck, kResume, kPing, kPong };
std::string_view ToString(MessageType type);

struct Message {
  MessageType type;
  Json body;  // the whole map, "t" included
};

// How deep arrays and maps may nest in a message, the message map counting as 1; empty and
// indefinite-length ones count too. Ours nest 4 deep at most (events > event > credential); the
// limit keeps a frame of nested arrays from recursing the parser through the stack.
inline constexpr int kMaxMessageNesting = 16;

// CBOR bytes of `body` (which must hold "t").
std::vector<uint8_t> EncodeMessage(const Json& body);
// The message in `bytes`; kInvalid for anything but well-formed CBOR (RFC 8949, definite or
// indefinite lengths, no tags) nesting at most kMaxMessageNesting deep that is a map whose "t"
// is a known type.
core::Result<Message> DecodeMessage(std::span<const uint8_t> bytes);

// Builders for the messages both sides send.
Json Hello(std::string_view id, const Json& caps, uint64_t seq_field_value, bool from_lock);
Json Request(uint64_t id, std::string_view op, Json args);
Json OkResponse(uint64_t id, Json result);
// `code` is an API.md error code; `reason` the lock's refusal (for "denied").
Json ErrorResponse(uint64_t id, std::string_view code, std::string_view message, std::string_view reason = {});
Json Ack(uint64_t seq);

// The HTTP status of an API.md error code ("invalid" 400, "not_found" 404, ...; unknown: 500).
// The link carries API.md's codes, so every HTTP face of a lock or the hub maps them alike.
unsigned HttpStatusOf(std::string_view code);
Json Resume(uint64_t after);

}  // namespace latchkey::link
