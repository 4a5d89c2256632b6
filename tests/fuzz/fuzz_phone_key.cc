// core::DecodePhoneKey on any bytes: a certificate as a phone presents it in its last handshake
// payload (PHONE-KEYS.md 2), before any signature is checked.
//
// Invariants: a refusal is kInvalid with a message that names a field; an accepted input is
// exactly the encoding of what was decoded (decode -> encode gives the same bytes: the lock
// verifies the signature over its re-encoding, so this is what makes that sound), its signed
// bytes are that encoding less "sig", and it is at most kMaxPhoneKeyBytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/phone_key.h"
#include "fuzz_check.h"

using latchkey::core::Code;
using latchkey::core::DecodePhoneKey;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  const auto cert = DecodePhoneKey(input);
  if (!cert.ok()) {
    FUZZ_CHECK(cert.status().code() == Code::kInvalid, "a refusal is kInvalid");
    const std::string& message = cert.status().message();
    FUZZ_CHECK(message.find(": ") != std::string::npos && message.find(": ") > 0, "the refusal names a field");
    return 0;
  }
  FUZZ_CHECK(size <= latchkey::core::kMaxPhoneKeyBytes, "accepted input is at most 1 KiB");
  const std::vector<uint8_t> again = latchkey::core::EncodePhoneKey(*cert);
  FUZZ_CHECK(again.size() == size && std::equal(again.begin(), again.end(), data), "decode -> encode is the identity");
  const auto decoded_again = DecodePhoneKey(again);
  FUZZ_CHECK(decoded_again.ok() && *decoded_again == *cert, "the re-encoding decodes to the same certificate");
  // The signed bytes are the map without "sig": one field (3-byte key, 2-byte head, 64 bytes) fewer.
  const std::vector<uint8_t> signed_bytes = latchkey::core::PhoneKeySignedBytes(*cert);
  FUZZ_CHECK(signed_bytes.size() + 4 + 2 + 64 == size, "signed bytes are the map less sig");
  FUZZ_CHECK(cert->not_before < cert->not_after && !cert->ops.empty(), "accepted certificates are well formed");
  return 0;
}
