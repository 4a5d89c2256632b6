#include "hub/destination_policy.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include "hub/tls_certificate.h"  // LocalAddresses
#include "hub/webhook_url.h"      // IsDnsHostName, ParsePortNumber

namespace latchkey::hub {

namespace asio = boost::asio;
using asio::ip::address;
using asio::ip::address_v4;
using asio::ip::address_v6;

namespace {

struct V4Range {
  uint32_t network;
  int prefix;
  AddressClass c;
};

constexpr uint32_t V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | uint32_t{d};
}

// Everything outside these is public.
constexpr std::array<V4Range, 11> kV4Ranges{{
    {V4(0, 0, 0, 0), 8, AddressClass::kUnspecified},
    {V4(10, 0, 0, 0), 8, AddressClass::kPrivate},
    {V4(100, 64, 0, 0), 10, AddressClass::kShared},
    {V4(127, 0, 0, 0), 8, AddressClass::kLoopback},
    {V4(169, 254, 0, 0), 16, AddressClass::kLinkLocal},
    {V4(172, 16, 0, 0), 12, AddressClass::kPrivate},
    {V4(192, 0, 0, 0), 24, AddressClass::kReserved},
    {V4(192, 168, 0, 0), 16, AddressClass::kPrivate},
    {V4(198, 18, 0, 0), 15, AddressClass::kReserved},
    {V4(224, 0, 0, 0), 4, AddressClass::kMulticast},
    {V4(240, 0, 0, 0), 4, AddressClass::kReserved},  // with 255.255.255.255, the broadcast address
}};

bool InV4(uint32_t a, uint32_t network, int prefix) {
  if (prefix == 0) return true;
  const uint32_t mask = prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
  return (a & mask) == (network & mask);
}

bool InPrefix(const address_v6::bytes_type& a, const address_v6::bytes_type& network, int prefix) {
  for (int i = 0; i < 16 && prefix > 0; ++i, prefix -= 8) {
    const uint8_t mask = prefix >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - prefix));
    if ((a[static_cast<std::size_t>(i)] & mask) != (network[static_cast<std::size_t>(i)] & mask)) return false;
  }
  return true;
}

bool InRange(const address& a, const address& network, int prefix) {
  if (a.is_v4() != network.is_v4()) return false;
  if (a.is_v4()) return InV4(a.to_v4().to_uint(), network.to_v4().to_uint(), prefix);
  return InPrefix(a.to_v6().to_bytes(), network.to_v6().to_bytes(), prefix);
}

// Whether `a` has a bit set beyond its first `prefix` bits ("10.0.0.1/8" is probably a typo).
bool HostBitsSet(const address& a, int prefix) {
  if (a.is_v4()) return prefix < 32 && (a.to_v4().to_uint() & (0xffffffffu >> prefix)) != 0;
  const address_v6::bytes_type b = a.to_v6().to_bytes();
  for (int i = prefix; i < 128; ++i) {
    if (b[static_cast<std::size_t>(i / 8)] & (0x80 >> (i % 8))) return true;
  }
  return false;
}

address_v4 V4At(const address_v6::bytes_type& b, std::size_t at) {
  return address_v4(address_v4::bytes_type{b[at], b[at + 1], b[at + 2], b[at + 3]});
}

core::Result<uint16_t> ParsePort(std::string_view text, std::string_view entry) {
  const std::optional<uint16_t> port = ParsePortNumber(text);  // the URL's grammar (webhook_url.h)
  if (!port) return core::Status::Invalid("webhook_allow '" + std::string(entry) + "': the port must be 1..65535");
  return *port;
}

}  // namespace

address Canonical(const address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return V4At(a.to_v6().to_bytes(), 12);
  return a;
}

namespace {

// The IPv4 address an IPv6 one hands on to (v4-compatible, NAT64, 6to4), if any.
std::optional<address_v4> CarriedV4(const address_v6& v6) {
  const address_v6::bytes_type b = v6.to_bytes();
  // v4-compatible ::a.b.c.d (deprecated; "::" and "::1" are themselves).
  if (std::all_of(b.begin(), b.begin() + 12, [](uint8_t x) { return x == 0; }) && !v6.is_unspecified() && !v6.is_loopback()) {
    return V4At(b, 12);
  }
  static const address_v6::bytes_type nat64{0x00, 0x64, 0xff, 0x9b};  // 64:ff9b::/96
  if (InPrefix(b, nat64, 96)) return V4At(b, 12);
  if (b[0] == 0x20 && b[1] == 0x02) return V4At(b, 2);  // 6to4 2002:a.b.c.d::/48
  return std::nullopt;
}

AddressClass ClassifyV4(uint32_t v) {
  for (const V4Range& r : kV4Ranges) {
    if (InV4(v, r.network, r.prefix)) return r.c;
  }
  return AddressClass::kPublic;
}

}  // namespace

AddressClass ClassifyAddress(const address& in) {
  const address a = Canonical(in);
  if (a.is_v4()) return ClassifyV4(a.to_v4().to_uint());
  const address_v6 v6 = a.to_v6();
  const address_v6::bytes_type b = v6.to_bytes();
  if (v6.is_unspecified()) return AddressClass::kUnspecified;
  if (v6.is_loopback()) return AddressClass::kLoopback;
  if ((b[0] & 0xfe) == 0xfc) return AddressClass::kPrivate;                    // fc00::/7
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressClass::kLinkLocal;  // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return AddressClass::kPrivate;    // fec0::/10
  if (b[0] == 0xff) return AddressClass::kMulticast;                           // ff00::/8
  if (const auto v4 = CarriedV4(v6)) return ClassifyV4(v4->to_uint());
  return AddressClass::kPublic;
}

std::string_view DescribeClass(AddressClass c) {
  switch (c) {
    case AddressClass::kPublic: return "a public address";
    case AddressClass::kUnspecified: return "an unspecified address (this machine)";
    case AddressClass::kLoopback: return "a loopback address";
    case AddressClass::kPrivate: return "a private address";
    case AddressClass::kShared: return "a carrier-grade NAT address";
    case AddressClass::kLinkLocal: return "a link-local address";
    case AddressClass::kMulticast: return "a multicast address";
    case AddressClass::kReserved: return "a reserved or broadcast address";
  }
  return "an address";
}

core::Result<AllowEntry> ParseAllowEntry(std::string_view entry, std::string_view option) {
  const auto bad = [&](std::string_view why) {
    return core::Status::Invalid(std::string(option) + " '" + std::string(entry) + "': " + std::string(why));
  };
  if (entry.empty()) return bad("empty");
  std::string_view host = entry;
  std::string_view port_text;
  bool has_port = false;
  bool bracketed = false;
  if (entry.front() == '[') {
    const std::size_t close = entry.find(']');
    if (close == std::string_view::npos) return bad("unclosed '['");
    host = entry.substr(1, close - 1);
    const std::string_view after = entry.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("expected ':PORT' after ']'");
      port_text = after.substr(1);
      has_port = true;
    }
    bracketed = true;
  } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
    const std::size_t colon = entry.find(':');
    host = entry.substr(0, colon);
    port_text = entry.substr(colon + 1);
    has_port = true;
  }  // more colons: a bare IPv6 address or range, without a port
  AllowEntry out;
  if (has_port) {
    auto port = ParsePort(port_text, entry);
    LATCHKEY_TRY(port);
    out.port = *port;
  }
  if (host.empty()) return bad("no host");

  std::string_view address_text = host;
  std::string_view prefix_text;
  const std::size_t slash = host.find('/');
  if (slash != std::string_view::npos) {
    address_text = host.substr(0, slash);
    prefix_text = host.substr(slash + 1);
  }
  boost::system::error_code ec;
  const address parsed = asio::ip::make_address(std::string(address_text), ec);
  if (ec) {
    if (bracketed) return bad("[...] must hold an IPv6 address or range");
    if (slash != std::string_view::npos) return bad("a range is ADDRESS/BITS");
    std::string name;
    for (const char c : host) name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (name == "localhost") {  // handled by Parse: two address entries
      out.kind = AllowEntry::Kind::kName;
      out.name = name;
      return out;
    }
    if (!IsDnsHostName(name)) return bad("not an IP address, range, localhost or host name");
    out.kind = AllowEntry::Kind::kName;
    out.name = std::move(name);
    return out;
  }
  if (bracketed && !parsed.is_v6()) return bad("[...] must hold an IPv6 address or range");
  if (parsed.is_v6() && !bracketed && out.port != 0) return bad("an IPv6 address with a port goes in brackets");
  if (parsed.is_v6() && parsed.to_v6().scope_id() != 0) return bad("no zone (%...) in an entry");
  const address network = Canonical(parsed);
  const int bits = network.is_v4() ? 32 : 128;
  int prefix = bits;
  if (slash != std::string_view::npos) {
    if (prefix_text.empty() || prefix_text.size() > 3 || prefix_text.find_first_not_of("0123456789") != std::string_view::npos) {
      return bad("a range is ADDRESS/BITS");
    }
    prefix = std::stoi(std::string(prefix_text));
    // A canonical IPv4 inside IPv6 (::ffff:10.0.0.0/104) counts its bits from the IPv4 part.
    if (network.is_v4() && parsed.is_v6()) prefix -= 96;
    if (prefix < 0 || prefix > bits) return bad("the number of bits is out of range");
    if (HostBitsSet(network, prefix)) return bad("the address has bits set beyond the range's prefix");
  }
  if (ClassifyAddress(network) == AddressClass::kUnspecified && prefix == bits) {
    return bad("the unspecified address is not a destination (connecting to it reaches this machine)");
  }
  out.kind = prefix == bits ? AllowEntry::Kind::kAddress : AllowEntry::Kind::kRange;
  out.network = network;
  out.prefix = prefix;
  return out;
}

core::Result<DestinationPolicy> DestinationPolicy::Parse(const std::vector<std::string>& allow, std::string_view option) {
  DestinationPolicy policy;
  for (const std::string& text : allow) {
    auto entry = ParseAllowEntry(text, option);
    LATCHKEY_TRY(entry);
    if (entry->kind == AllowEntry::Kind::kName && entry->name == "localhost") {
      for (const char* loopback : {"127.0.0.1", "::1"}) {
        AllowEntry a = *entry;
        a.kind = AllowEntry::Kind::kAddress;
        a.name.clear();
        a.network = asio::ip::make_address(loopback);
        a.prefix = a.network.is_v4() ? 32 : 128;
        policy.entries_.push_back(a);
      }
      continue;
    }
    policy.entries_.push_back(entry.value());
  }
  return policy;
}

DestinationVerdict DestinationPolicy::Check(const address& in, uint16_t port, std::string_view url_host_name,
                                            std::span<const address> own) const {
  const address a = Canonical(in);
  const AddressClass c = ClassifyAddress(a);
  const bool is_own = std::any_of(own.begin(), own.end(), [&](const address& o) { return Canonical(o) == a; });
  DestinationVerdict verdict;
  if (c == AddressClass::kUnspecified) {
    verdict.why = a.to_string() + " is " + std::string(DescribeClass(c));
    return verdict;
  }
  for (const AllowEntry& e : entries_) {
    if (e.port != 0 && e.port != port) continue;
    switch (e.kind) {
      case AllowEntry::Kind::kName:
        if (!url_host_name.empty() && url_host_name == e.name) verdict.allowed = true;
        break;
      case AllowEntry::Kind::kAddress:
        if (e.network == a) verdict.allowed = true;
        break;
      case AllowEntry::Kind::kRange:
        // A range never opens this machine: only an exact entry does.
        if (c != AddressClass::kLoopback && !is_own && InRange(a, e.network, e.prefix)) verdict.allowed = true;
        break;
    }
    if (verdict.allowed) return verdict;
  }
  if (c != AddressClass::kPublic) {
    verdict.why = a.to_string() + " is " + std::string(DescribeClass(c));
  } else if (is_own) {
    verdict.why = a.to_string() + " is one of the hub's own addresses";
  } else {
    verdict.allowed = true;
  }
  return verdict;
}

std::vector<address> OwnAddresses() {
  std::vector<address> out;
  for (const std::string& text : LocalAddresses()) {
    boost::system::error_code ec;
    const address a = asio::ip::make_address(text, ec);
    if (!ec) out.push_back(Canonical(a));
  }
  return out;
}

}  // namespace latchkey::hub
