#include "core/status.h"

namespace latchkey::core {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalid: return "invalid";
    case Code::kNotFound: return "not_found";
    case Code::kOccupied: return "occupied";
    case Code::kDuplicate: return "duplicate";
    case Code::kResourceExhausted: return "resource_exhausted";
    case Code::kIoError: return "io_error";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(CodeName(code_));
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

}  // namespace latchkey::core
