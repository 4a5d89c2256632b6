#include "link/message.h"

#include <array>
#include <vector>

namespace latchkey::link {
namespace {

constexpr std::array<std::string_view, 9> kNames = {"hello", "req", "res", "state", "events",
                                                    "ack", "resume", "ping", "pong"};

}  // namespace

std::string_view ToString(MessageType type) { return kNames[static_cast<std::size_t>(type)]; }

std::vector<uint8_t> EncodeMessage(const Json& body) { return Json::to_cbor(body); }

namespace {

// Whether the arrays and maps in `bytes` nest at most `max_depth` deep, counting every one
// (empty and indefinite-length ones too, as a parsed document shows them). Runs before the
// parser so that a 16 KiB frame of nested arrays cannot recurse the parser through the stack.
// Anything it cannot walk is well within the limit or malformed: the parser decides.
bool NestingWithin(std::span<const uint8_t> bytes, int max_depth) {
  constexpr uint64_t kUntilBreak = UINT64_MAX;  // an indefinite-length level, closed by 0xff
  std::vector<uint64_t> remaining;              // items still to read at each open level
  std::size_t i = 0;
  while (i < bytes.size()) {
    // Levels whose items are all read are closed.
    while (!remaining.empty() && remaining.back() == 0) remaining.pop_back();
    const uint8_t initial = bytes[i++];
    if (initial == 0xff) {  // "break" closes the innermost indefinite-length level
      if (remaining.empty() || remaining.back() != kUntilBreak) return true;
      remaining.pop_back();
      continue;
    }
    const uint8_t major = initial >> 5, info = initial & 31;
    uint64_t arg = info;
    bool indefinite = false;
    if (info >= 24 && info <= 27) {
      const std::size_t n = std::size_t{1} << (info - 24);
      if (n > bytes.size() - i) return true;
      arg = 0;
      for (std::size_t k = 0; k < n; ++k) arg = arg << 8 | bytes[i++];
    } else if (info == 31 && major >= 2 && major <= 5) {
      indefinite = true;
    } else if (info > 27) {
      return true;  // reserved values: the parser refuses them
    }
    // This item is one of the enclosing level's (a container counts when it opens).
    if (!remaining.empty() && remaining.back() != kUntilBreak) --remaining.back();
    if (major == 2 || major == 3) {
      if (indefinite) {
        remaining.push_back(kUntilBreak);  // chunks follow; they are strings, not a level
      } else {
        if (arg > bytes.size() - i) return true;
        i += static_cast<std::size_t>(arg);
      }
    } else if (major == 4 || major == 5) {
      // (An open chunked string counts too: a container inside one is malformed anyway.)
      if (remaining.size() >= static_cast<std::size_t>(max_depth)) return false;
      if (indefinite) {
        remaining.push_back(kUntilBreak);
      } else {
        if (arg > (kUntilBreak - 1) / 2) return true;  // longer than any input: malformed
        remaining.push_back(major == 5 ? arg * 2 : arg);
      }
    } else if (major == 6) {
      // A tag wraps the next item at the same level.
      if (!remaining.empty() && remaining.back() != kUntilBreak) ++remaining.back();
    }
  }
  return true;
}

}  // namespace

core::Result<Message> DecodeMessage(std::span<const uint8_t> bytes) {
  if (!NestingWithin(bytes, kMaxMessageNesting)) return core::Status::Invalid("message nests too deep");
  // allow_exceptions=false turns most malformed input into a discarded value, but nlohmann 3.11
  // still throws for a container length beyond max_size(): catch that too.
  Json body;
  try {
    body = Json::from_cbor(bytes.begin(), bytes.end(), /*strict=*/true, /*allow_exceptions=*/false);
  } catch (const Json::exception&) {
    return core::Status::Invalid("message is not well-formed CBOR");
  }
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
  if (code == "lock_offline" || code == "busy") return 503;  // busy: the lock's in-flight cap
  if (code == "lock_timeout") return 504;
  return 500;
}

Json Ack(uint64_t seq) { return Json{{"t", "ack"}, {"seq", seq}}; }
Json Resume(uint64_t after) { return Json{{"t", "resume"}, {"after", after}}; }

}  // namespace latchkey::link
