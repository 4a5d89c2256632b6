// core::DecodePhoneKey on any bytes: a certificate as a phone presents it in its last handshake
// payload (PHONE-KEYS.md 2), before any signature is checked. A first byte 1, 2 or 3
// (never the start of a certificate, which is a map) picks another document for the rest of the
// input: a revocation list (from a phone or the hub), an arrival token, the lock's stored
// phone-key record; their decoders have the same invariants (decode -> encode is the identity).
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

#include "core/arrival_token.h"
#include "core/phone_key.h"
#include "core/phone_revocations.h"
#include "core/store.h"
#include "fuzz_check.h"

using latchkey::core::Code;
using latchkey::core::DecodePhoneKey;

namespace {

template <typename Decode, typename Encode>
void RoundTrip(std::span<const uint8_t> input, Decode decode, Encode encode) {
  const auto decoded = decode(input);
  if (!decoded.ok()) {
    FUZZ_CHECK(decoded.status().code() == Code::kInvalid, "a refusal is kInvalid");
    return;
  }
  const std::vector<uint8_t> again = encode(*decoded);
  FUZZ_CHECK(std::equal(again.begin(), again.end(), input.begin(), input.end()), "decode -> encode is the identity");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace core = latchkey::core;
  if (size > 0 && data[0] >= 1 && data[0] <= 3) {
    const std::span<const uint8_t> rest(data + 1, size - 1);
    if (data[0] == 1) RoundTrip(rest, core::DecodePhoneRevocations, core::EncodePhoneRevocations);
    if (data[0] == 2) RoundTrip(rest, core::DecodeArrivalToken, core::EncodeArrivalToken);
    if (data[0] == 3) RoundTrip(rest, core::DecodePhoneKeyState, core::EncodePhoneKeyState);
    return 0;
  }
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
