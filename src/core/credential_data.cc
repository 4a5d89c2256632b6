#include "core/credential_data.h"

#include <cctype>

#include "core/settings.h"

namespace latchkey::core {
namespace {

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

uint8_t Domain(CredentialType type) {
  switch (type) {
    case CredentialType::kPin: return 'K';
    case CredentialType::kProgrammingPin: return 'G';
    case CredentialType::kRfid: return 'R';
    case CredentialType::kFingerprint: return 'F';
    case CredentialType::kFace: return 'A';
    case CredentialType::kPhoneKey: return 'P';
    case CredentialType::kOfflineCode: return 'O';
  }
  return '?';
}

}  // namespace

Status ValidateCredentialData(CredentialType type, std::string_view data, const Capabilities& caps) {
  switch (type) {
    case CredentialType::kPin:
    case CredentialType::kProgrammingPin:
      if (!AllDigits(data)) return Status::Invalid("data: a PIN has digits only");
      if (data.size() < caps.min_pin_length || data.size() > caps.max_pin_length) {
        return Status::Invalid("data: a PIN of " + std::to_string(data.size()) + " digits is outside " +
                               std::to_string(caps.min_pin_length) + ".." +
                               std::to_string(caps.max_pin_length));
      }
      return Status::Ok();
    case CredentialType::kRfid: {
      for (char c : data) {
        if (!IsHex(c)) return Status::Invalid("data: an RFID UID is hex digits only");
      }
      if (data.size() % 2 != 0) return Status::Invalid("data: an RFID UID has an even number of hex digits");
      const std::size_t bytes = data.size() / 2;
      if (bytes < caps.rfid_min_bytes || bytes > caps.rfid_max_bytes) {
        return Status::Invalid("data: an RFID UID of " + std::to_string(bytes) + " bytes is outside " +
                               std::to_string(caps.rfid_min_bytes) + ".." +
                               std::to_string(caps.rfid_max_bytes));
      }
      return Status::Ok();
    }
    case CredentialType::kFingerprint:
    case CredentialType::kFace: {
      if (data.empty() || data.size() > 32) return Status::Invalid("data: a template reference has 1..32 bytes");
      if (!Utf8Length(data)) return Status::Invalid("data: a template reference must be UTF-8");
      for (char c : data) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) return Status::Invalid("data: a template reference has no control characters");
      }
      return Status::Ok();
    }
    case CredentialType::kPhoneKey:
    case CredentialType::kOfflineCode:
      break;
  }
  return Status::Invalid("type: " + std::string(ToString(type)) + " is not a supported credential type");
}

std::vector<uint8_t> DigestInput(CredentialType type, std::string_view data) {
  std::vector<uint8_t> out;
  out.reserve(data.size() + 1);
  out.push_back(Domain(type));
  for (char c : data) {
    out.push_back(static_cast<uint8_t>(type == CredentialType::kRfid ? std::toupper(static_cast<unsigned char>(c)) : c));
  }
  return out;
}

}  // namespace latchkey::core
