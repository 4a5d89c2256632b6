#include "core/types.h"

#include <cstddef>
#include <span>

#include "core/env.h"

namespace latchkey::core {

DataType DataTypeOf(CredentialType type) {
  switch (type) {
    case CredentialType::kProgrammingPin: return DataType::kProgrammingPin;
    case CredentialType::kPin: return DataType::kPin;
    case CredentialType::kRfid: return DataType::kRfid;
    case CredentialType::kFingerprint: return DataType::kFingerprint;
    case CredentialType::kFace: return DataType::kFace;
    case CredentialType::kPhoneKey: return DataType::kPin;  // no phone_key data type yet
    case CredentialType::kOfflineCode: return DataType::kOfflineKey;  // never stored as a credential
  }
  return DataType::kPin;
}

bool ConstantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  // volatile keeps the compiler from turning the loop into an early-exit memcmp.
  volatile uint8_t diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff = static_cast<uint8_t>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

}  // namespace latchkey::core
