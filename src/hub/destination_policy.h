// Where the hub's outbound requests may go (SECURITY.md "Outbound requests have a destination
// policy"). A URL a user gives (a webhook) must not turn the hub into a way into the machine it
// runs on or the network behind it: a request to a simulated lock's loopback sim-control port, to
// a router's admin page or to a cloud metadata address would otherwise be sent with the hub's
// position in the network, and the answers (or the failures) would tell the user what is there.
//
// The rule: a destination address is refused when it is
//   unspecified  0.0.0.0/8, ::                        (never allowed: connecting there reaches this machine)
//   loopback     127.0.0.0/8, ::1
//   private      10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10 (site-local)
//   shared       100.64.0.0/10 (carrier-grade NAT)
//   link-local   169.254/16 (cloud metadata lives here), fe80::/10
//   multicast    224.0.0.0/4, ff00::/8
//   reserved     240.0.0.0/4 (with the broadcast address), 192.0.0.0/24, 198.18.0.0/15
//   own          an address of one of this machine's interfaces (getifaddrs)
// IPv6 addresses that carry an IPv4 address (v4-mapped ::ffff:a.b.c.d, v4-compatible ::a.b.c.d,
// NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by the IPv4 address inside.
//
// unless the owner allow-lists it in the hub's configuration (`webhook_allow`, `--webhook-allow`):
//   "127.0.0.1:9000"        one address, one port
//   "[::1]:9000", "::1"     IPv6 in brackets when a port follows
//   "10.0.0.0/8"            a range (any port); "[fd00::/8]:443", "192.168.1.0/24:8080" with a port
//   "receiver.lan[:port]"   a URL whose host is this name, to whatever the name resolves to (its DNS
//                           is trusted by being listed)
//   "localhost[:port]"      127.0.0.1 and ::1
// An entry without a port allows every port. A range never opens loopback or the hub's own
// addresses, even 0.0.0.0/0: only an entry naming the exact address (or a listed name) does, so a
// broad "my LAN" entry cannot reach the hub's own machine.
//
// The check is made at each connect, on every address the name resolved to, and the connection
// goes to exactly the addresses that passed (http_post.cc): no second lookup can swap the address
// between the check and the connect, and the hub follows no redirects. The check when a webhook is
// created (a literal address in its URL) only gives an early, clear 400.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "platform/asio.h"

namespace latchkey::hub {

// What kind of address it is, as far as the policy is concerned.
enum class AddressClass { kPublic, kUnspecified, kLoopback, kPrivate, kShared, kLinkLocal, kMulticast, kReserved };

// The class of `address` alone (not whether it is the hub's own). Pure.
AddressClass ClassifyAddress(const boost::asio::ip::address& address);
// "a loopback address", "a private address", ...
std::string_view DescribeClass(AddressClass c);

// A v4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it reaches; any other unchanged.
boost::asio::ip::address Canonical(const boost::asio::ip::address& address);

// One allow-list entry, parsed.
struct AllowEntry {
  enum class Kind { kAddress, kRange, kName };
  Kind kind = Kind::kAddress;
  boost::asio::ip::address network;  // kAddress, kRange (canonical)
  int prefix = 0;                    // kRange: bits
  std::string name;                  // kName: lower case
  uint16_t port = 0;                 // 0: any port
};

// Parses one entry of the grammar above; kInvalid with a message that quotes it after the name of
// the option it came from (`webhook_allow`, `push_allow`).
core::Result<AllowEntry> ParseAllowEntry(std::string_view text, std::string_view option = "webhook_allow");

// The verdict on one address.
struct DestinationVerdict {
  bool allowed = false;
  // Why it was refused, for the hub's log and a 400 at creation: "127.0.0.1 is a loopback address".
  std::string why;
};

class DestinationPolicy {
 public:
  DestinationPolicy() = default;  // nothing allow-listed
  // Every entry must parse; the error names the one that does not, and `option`.
  static core::Result<DestinationPolicy> Parse(const std::vector<std::string>& allow,
                                               std::string_view option = "webhook_allow");

  // The check, pure: may a connection go to `address`:`port`? `url_host_name` is the URL's host
  // when it is a DNS name (empty for a literal address or localhost); `own` are the hub's own
  // addresses (OwnAddresses() at the time of the connect).
  DestinationVerdict Check(const boost::asio::ip::address& address, uint16_t port, std::string_view url_host_name,
                           std::span<const boost::asio::ip::address> own) const;

  const std::vector<AllowEntry>& entries() const { return entries_; }

 private:
  std::vector<AllowEntry> entries_;
};

// The addresses of this machine's interfaces that are up (getifaddrs), canonical.
std::vector<boost::asio::ip::address> OwnAddresses();

}  // namespace latchkey::hub
