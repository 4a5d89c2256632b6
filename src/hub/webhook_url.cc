#include "hub/webhook_url.h"

#include <cctype>

#include "platform/asio.h"

namespace latchkey::hub {

namespace asio = boost::asio;

namespace {

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<uint16_t> ParsePortNumber(std::string_view text) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  unsigned value = 0;
  for (const char c : text) value = value * 10 + static_cast<unsigned>(c - '0');
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

bool IsDnsHostName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i < name.size() && name[i] != '.') {
      const unsigned char c = static_cast<unsigned char>(name[i]);
      if (!std::isalnum(c) && c != '-') return false;
      continue;
    }
    const std::string_view label = name.substr(label_start, i - label_start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    if (i == name.size() && !std::isalpha(static_cast<unsigned char>(label.front()))) return false;
    label_start = i + 1;
  }
  return true;
}

core::Result<WebhookUrl> ParseWebhookUrl(std::string_view url) {
  if (url.size() > 2048) return core::Status::Invalid("url: at most 2048 characters");
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return core::Status::Invalid("url: must not contain spaces or control characters");
    }
  }
  WebhookUrl out;
  std::string_view rest;
  if (StartsWithNoCase(url, "https://")) {
    out.tls = true;
    out.port = 443;
    rest = url.substr(8);
  } else if (StartsWithNoCase(url, "http://")) {
    rest = url.substr(7);
  } else {
    return core::Status::Invalid("url: must be an http:// or https:// URL");
  }
  const std::size_t end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  target = target.substr(0, target.find('#'));
  if (authority.find('@') != std::string_view::npos) return core::Status::Invalid("url: user info (user@host) is not supported");

  std::string_view host = authority;
  std::string_view port_text;
  const bool bracketed = !authority.empty() && authority.front() == '[';
  if (bracketed) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return core::Status::Invalid("url: unclosed '[' in the host");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return core::Status::Invalid("url: bad port");
      port_text = after.substr(1);
      if (port_text.empty()) return core::Status::Invalid("url: bad port");
    }
  } else if (const std::size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
    if (port_text.empty()) return core::Status::Invalid("url: bad port");
  }
  if (!port_text.empty()) {
    const std::optional<uint16_t> port = ParsePortNumber(port_text);
    if (!port) return core::Status::Invalid("url: the port must be 1..65535");
    out.port = *port;
  }
  if (host.empty()) return core::Status::Invalid("url: has no host");
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(std::string(host), ec);
  if (bracketed) {
    if (ec || !address.is_v6()) return core::Status::Invalid("url: [...] must hold an IPv6 address");
    out.host = out.tls_name = address.to_string();
  } else if (host.size() == 9 && StartsWithNoCase(host, "localhost")) {
    // Loopback without a lookup (no surprise from /etc/hosts or ::1); the certificate is checked
    // for the name the user wrote.
    out.host = "127.0.0.1";
    out.tls_name = "localhost";
  } else if (!ec && address.is_v4()) {
    out.host = out.tls_name = address.to_string();
  } else if (IsDnsHostName(host)) {
    out.host.reserve(host.size());
    for (const char c : host) out.host.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    out.host_is_name = true;
    out.tls_name = out.host;
  } else {
    return core::Status::Invalid(
        "url: the host must be an IP address, [IPv6 address], localhost or a host name (letters, digits, '-' "
        "and '.')");
  }
  out.host_header = std::string(authority);
  out.target = target.empty() ? "/" : target.front() == '?' ? "/" + std::string(target) : std::string(target);
  return out;
}

}  // namespace latchkey::hub
