#include "link/message.h"

#include <array>

namespace latchkey::link {
namespace {

constexpr std::array<std::string_view, 9> kNames = {"hello", "req", "res", "state", "events",
                                                    "ack", "resume", "ping", "pong"};

}  // namespace

std::string_view ToString(MessageType type) { return kNames[static_cast<std::size_t>(type)]; }

std::vector<uint8_t> EncodeMessage(const Json& body) { return Json::to_cbor(body); }

core::Result<Message> DecodeMessage(std::span<const uint8_t> bytes) {
  // allow_exceptions=false: malformed CBOR yields a discarded value instead of a throw.
  Json body = Json::from_cbor(bytes.begin(), bytes.end(), /*strict=*/true, /*allow_exceptions=*/false);
  if (body.is_discarded()) return core::Status::Invalid("message is not well-formed CBOR");
  if (!body.is_object()) return core::Status::Invalid("message is not a CBOR map");
  const auto t = body.find("t");
  if (t == body.end() || !t->is_string()) return core::Status::Invalid("message has no type \"t\"");
  const auto& name = t->get_ref<const std::string&>();
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return Message{static_cast<MessageType>(i), std::move(body)};
  }
  return core::Status::Invalid("unknown message type '" + name.substr(0, 32) + "'");
}

Json Hello(std::string_view id, const Json& caps, uint64_t seq_field_value, bool from_lock) {
  Json j{{"t", "hello"}, {"v", kProtocolVersion}, {"id", std::string(id)}, {"caps", caps}};
  j[from_lock ? "last_seq" : "acked_seq"] = seq_field_value;
  return j;
}

Json Request(uint64_t id, std::string_view op, Json args) {
  return Json{{"t", "req"}, {"id", id}, {"op", std::string(op)}, {"args", std::move(args)}};
}

Json OkResponse(uint64_t id, Json result) {
  return Json{{"t", "res"}, {"id", id}, {"ok", true}, {"result", std::move(result)}};
}

Json ErrorResponse(uint64_t id, std::string_view code, std::string_view message, std::string_view reason) {
  Json error{{"code", std::string(code)}, {"message", std::string(message)}};
  if (!reason.empty()) error["reason"] = std::string(reason);
  return Json{{"t", "res"}, {"id", id}, {"ok", false}, {"error", std::move(error)}};
}

unsigned HttpStatusOf(std::string_view code) {
  if (code == "invalid") return 400;
  if (code == "unauthorized") return 401;
  if (code == "forbidden" || code == "denied") return 403;
  if (code == "not_found") return 404;
  if (code == "duplicate" || code == "occupied" || code == "resource_exhausted" || code == "jammed") return 409;
  if (code == "too_large") return 413;
  if (code == "rate_limited") return 429;
  if (code == "lock_offline") return 503;
  if (code == "lock_timeout") return 504;
  return 500;
}

Json Ack(uint64_t seq) { return Json{{"t", "ack"}, {"seq", seq}}; }
Json Resume(uint64_t after) { return Json{{"t", "resume"}, {"after", after}}; }

}  // namespace latchkey::link
