// The grammar of a webhook's URL (docs/hub.md "Webhooks"): where a delivery's request goes.
//
//   http[s]://HOST[:PORT][/path][?query][#fragment]
//
// HOST is an IPv4 address, an [IPv6 address], `localhost` (always 127.0.0.1, never looked up) or a
// DNS host name (IsDnsHostName), which is kept in lower case and looked up at each attempt. The
// scheme and `localhost` are case-insensitive; PORT is 1..65535 and defaults to 80 (443 for
// https://); the fragment is dropped; user info, spaces and control characters are refused, and so
// is a URL over 2048 characters. The same grammar reads a simulated lock's sim-control URL
// (sim_forward.cc), and the allow-list of the destination policy (destination_policy.h) shares
// its host names and ports.
//
// Pure: nothing here looks a name up or opens a socket.
//
//   auto url = ParseWebhookUrl("https://Hooks.Example.com:8443/in?x=1#top");
//   // url->tls, url->host == "hooks.example.com", url->host_is_name, url->port == 8443,
//   // url->target == "/in?x=1", url->host_header == "Hooks.Example.com:8443"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace latchkey::hub {

// Where a webhook's requests go, from its URL.
struct WebhookUrl {
  bool tls = false;  // https://
  // Where to connect: an IP address (IPv6 without brackets; "localhost" is 127.0.0.1, never
  // looked up) or, when host_is_name, a DNS name in lower case that each attempt looks up.
  std::string host;
  bool host_is_name = false;
  // What the server's certificate must be valid for: the URL's host ("localhost", a name, or the
  // address); sent as SNI when it is a name.
  std::string tls_name;
  uint16_t port = 80;        // 443 for https://
  std::string target = "/";  // path and query
  std::string host_header;   // the Host header: the URL's authority
};

// Parses "http[s]://HOST[:PORT][/path][?query]" (HOST: an IPv4 address, [IPv6], localhost or a
// DNS name); kInvalid with a message that starts "url: " and says what is wrong.
core::Result<WebhookUrl> ParseWebhookUrl(std::string_view url);

// A DNS host name (RFC 1123): labels of 1..63 letters, digits and '-' that neither start nor end
// with '-', joined by single dots, 253 characters at most. The last label must start with a
// letter (every top-level domain does): otherwise the system's resolver would read "127.1" or
// "0x7f000001" as an address, and the URL would not mean what it looks like.
bool IsDnsHostName(std::string_view name);

// A port as written after "HOST:": 1..5 decimal digits whose value is 1..65535; nullopt
// otherwise (empty, a sign, a space, 0, 65536).
std::optional<uint16_t> ParsePortNumber(std::string_view text);

}  // namespace latchkey::hub
