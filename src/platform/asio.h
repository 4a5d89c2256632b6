// Boost.Asio, included the one way that compiles with Boost 1.74 under GCC 12 in C++20 mode:
// boost/asio/awaitable.hpp uses std::exchange without including <utility>.
#pragma once

#include <utility>

#include <boost/asio.hpp>

#include <string>

namespace latchkey::platform {

// Opens, binds and listens; the error names the address.
inline boost::system::error_code OpenAcceptor(boost::asio::ip::tcp::acceptor& acceptor,
                                              const boost::asio::ip::tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(boost::asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  return ec;
}

}  // namespace latchkey::platform
