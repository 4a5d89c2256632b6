// GET /api/v1/stream: the live WebSocket of API.md. A client authenticates with ?token=, may
// ask for what it missed with ?after=<lock>:<seq>,..., and then receives
// {"type":"event","lock","event"} for each new event and {"type":"state","lock",...} for each
// change of a lock's state or online status, for the locks its account may see.
#pragma once

#include <boost/beast/http.hpp>

#include <list>
#include <memory>
#include <string>

#include "hub/auth.h"
#include "platform/asio.h"

namespace latchkey::hub {

class Hub;

class Stream {
 public:
  explicit Stream(Hub& hub);
  ~Stream();
  void Accept(boost::asio::ip::tcp::socket socket, boost::beast::http::request<boost::beast::http::string_body> request,
              std::string client_address);
  void PublishEvent(const std::string& lock, const Json& event);
  void PublishState(const std::string& lock);
  std::size_t clients() const;

  class Client;

 private:
  friend class Client;
  void Remove(Client* client);
  Hub& hub_;
  std::list<std::shared_ptr<Client>> clients_;
};

}  // namespace latchkey::hub
