// libFuzzer target: what the hub reads from a browser and an account for Web Push
// (docs/notifications.md): a subscription's base64url keys (crypto/base64.h), its P-256
// public key (hub/push/p256.h, OpenSSL's import and check), and a PATCH of the notification
// settings (hub/push/notification_settings.h).
//
// Input: any bytes, given to each as text (base64url, JSON) and as a 65-byte point (the input's
// first 65 bytes, zero-padded).
//   - base64url: what decodes encodes back to the text without its padding, and every byte
//     string encodes to a text that decodes to it;
//   - P-256: a point is accepted only when it is 65 bytes starting 0x04, and then it is the
//     key's own point;
//   - settings: a patch either is refused (kInvalid with a message) or gives settings inside
//     their bounds that read back from their JSON to the same settings.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "crypto/base64.h"
#include "hub/push/notification_settings.h"
#include "hub/push/p256.h"

namespace {

namespace push = latchkey::hub::push;

void CheckBase64Url(std::string_view text, const uint8_t* data, std::size_t size) {
  if (const auto decoded = latchkey::crypto::Base64UrlDecode(text, 4096)) {
    std::string_view canonical = text;
    while (!canonical.empty() && canonical.back() == '=') canonical.remove_suffix(1);
    FUZZ_CHECK(latchkey::crypto::Base64UrlEncode(*decoded) == canonical, "decode -> encode gives the text less its padding");
  }
  const std::string encoded = latchkey::crypto::Base64UrlEncode(std::span(data, size));
  FUZZ_CHECK(encoded.find_first_of("+/=") == std::string::npos, "base64url, no padding");
  const auto back = latchkey::crypto::Base64UrlDecode(encoded, size);
  FUZZ_CHECK(back && std::equal(back->begin(), back->end(), data, data + size) && back->size() == size,
             "encode -> decode is the identity");
}

void CheckPoint(const uint8_t* data, std::size_t size) {
  std::vector<uint8_t> point(data, data + std::min<std::size_t>(size, 65));
  for (const std::size_t length : {point.size(), std::size_t{65}}) {
    std::vector<uint8_t> candidate = point;
    candidate.resize(length, 0);
    const auto key = push::P256FromPublic(candidate);
    if (!key.ok()) continue;
    FUZZ_CHECK(candidate.size() == 65 && candidate[0] == 0x04, "only uncompressed points");
    const push::P256Point own = push::P256PublicPoint(**key);
    FUZZ_CHECK(std::equal(own.begin(), own.end(), candidate.begin()), "the key is the point given");
  }
}

void CheckSettings(std::string_view text) {
  const nlohmann::json patch = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (patch.is_discarded()) return;
  const auto patched = push::PatchNotificationSettings(push::NotificationSettings{}, patch);
  if (!patched.ok()) {
    FUZZ_CHECK(patched.status().code() == latchkey::core::Code::kInvalid && !patched.status().message().empty(),
               "a refusal is invalid with a message");
    return;
  }
  const push::NotificationSettings& s = *patched;
  FUZZ_CHECK(s.offline_minutes == 0 || (s.offline_minutes >= 5 && s.offline_minutes <= 1440), "offline_minutes bounds");
  FUZZ_CHECK(s.people.size() <= push::NotificationSettings::kMaxPeople, "at most 64 people");
  for (const auto& p : s.people) FUZZ_CHECK(!p.lock.empty() && p.user >= 1 && p.user <= 65535, "a person's bounds");
  const auto stored = push::StoredNotificationSettings(push::NotificationSettingsJson(s));
  FUZZ_CHECK(stored.ok() && *stored == s, "settings -> JSON -> settings is the identity");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckBase64Url(text, data, size);
  CheckPoint(data, size);
  CheckSettings(text);
  return 0;
}
