// A simulated lock's own control surface (API.md, end): `POST /sim/<what>` on a loopback
// address drives its physical world even while its link to the hub is cut; `GET /state` shows
// the lock. HTTP/1.1 with Boost.Beast, bodies up to 64 KiB.
//
// It is no backdoor (SECURITY.md): loopback is reachable from every web page the machine's
// browser shows and from anything else that runs there, so every request must carry
// - the per-run secret (`X-Sim-Secret: <64 hex>`, compared in constant time; the lock makes it
//   at start, writes it to DATA/sim-control.secret (0600) and tells only its paired hub), else
//   401 `unauthorized`;
// - no `Origin` or `Sec-Fetch-Site` header (a browser adds one of them to every request a page
//   makes; curl, the hub and the tests send neither), else 403 `forbidden`;
// - for a POST, `Content-Type: application/json` (a form or text/plain body is what a page can
//   send without asking the server first), else 415 `invalid`.
// The origin check comes first, so a page learns nothing about the secret.
#pragma once

#include "platform/asio.h"

#include <functional>
#include <string>

#include "device/sim_world.h"

namespace latchkey::device {

class SimControlServer {
 public:
  // `secret`: what X-Sim-Secret must carry (not empty).
  SimControlServer(boost::asio::io_context& io, SimWorld& world, std::function<link::Json()> state, std::string secret);
  core::Status Listen(const boost::asio::ip::tcp::endpoint& endpoint);
  uint16_t port() const;

 private:
  void Accept();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  SimWorld& world_;
  std::function<link::Json()> state_;
  std::string secret_;
};

}  // namespace latchkey::device
