// How a receiver knows a webhook delivery came from this hub (API.md "Webhooks"): every POST
// carries
//
//   X-Latchkey-Signature: sha256=<hex HMAC-SHA256 of the body, keyed with the webhook's secret>
//   X-Latchkey-Delivery: <the delivery's id>
//
// The body is signed exactly as sent (the bytes of the JSON text), so a receiver checks the
// signature over the raw body before it parses it, comparing in constant time. The secret is the
// one shown once when the webhook was made: the caller's own, or 64 random hex digits; its bytes
// are the key, whatever their length (HMAC hashes a key longer than 64 bytes first).
//
// Pure: no clock, no I/O.
//
//   WebhookSignature("Jefe", "what do ya want for nothing?")
//   // "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" (RFC 4231, case 2)
#pragma once

#include <string>
#include <string_view>

namespace latchkey::hub {

inline constexpr std::string_view kWebhookSignatureHeader = "X-Latchkey-Signature";
inline constexpr std::string_view kWebhookDeliveryHeader = "X-Latchkey-Delivery";

// "sha256=" and the hex HMAC-SHA256 of `body` keyed with the bytes of `secret` (any length).
std::string WebhookSignature(std::string_view secret, std::string_view body);

}  // namespace latchkey::hub
