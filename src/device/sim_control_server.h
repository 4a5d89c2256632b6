// A simulated lock's own control surface (API.md, end): `POST /sim/<what>` on a loopback
// address drives its physical world even while its link to the hub is cut; `GET /state` shows
// the lock. HTTP/1.1 with Boost.Beast, bodies up to 64 KiB.
#pragma once

#include "platform/asio.h"

#include <functional>

#include "device/sim_world.h"

namespace latchkey::device {

class SimControlServer {
 public:
  SimControlServer(boost::asio::io_context& io, SimWorld& world, std::function<link::Json()> state);
  core::Status Listen(const boost::asio::ip::tcp::endpoint& endpoint);
  uint16_t port() const;

 private:
  void Accept();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  SimWorld& world_;
  std::function<link::Json()> state_;
};

}  // namespace latchkey::device
