// What an integration (Home Assistant over MQTT, ...) sees of the hub: the REST API of API.md
// and the live stream, as a client holding its own token, and nothing else. The same roles, lock
// lists, guessing limits and history apply to it as to any other client, and everything it does
// is in the locks' history under its account's name:
//
//   auto client = hub.IntegrationClient("mqtt");             // its account and a fresh token
//   client->Call(http::verb::post, "/api/v1/locks/front/unlock", {{"pin", "123456"}},
//                [](HubClient::Answer a) { ... a.status, a.body ... });
//   auto watch = client->Watch([](const Json& m) { ... m["type"] ... });  // until dropped
#pragma once

#include <boost/beast/http/verb.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace latchkey::hub {

// The accounts of the integrations (Hub::IntegrationClient / IntegrationToken): reserved, so that
// no person's account can be made under a name an integration would take over at its next start
// (revoking the person's sessions and acting with the person's role).
inline bool IsIntegrationAccount(std::string_view username) { return username == "mqtt" || username == "matter"; }

class HubClient {
 public:
  struct Answer {
    unsigned status = 0;
    nlohmann::json body;  // null when the answer is not JSON
  };
  virtual ~HubClient() = default;
  // One request (`path` without a query; `body` null for none); `done` runs on the hub's thread,
  // possibly before Call returns.
  virtual void Call(boost::beast::http::verb method, std::string path, nlohmann::json body,
                    std::function<void(Answer)> done) = 0;
  // The stream's messages (stream.h) as a WebSocket client with this token receives them, live
  // from now on, until the handle is dropped; nullptr when the token no longer holds.
  virtual std::shared_ptr<void> Watch(std::function<void(const nlohmann::json& message)> on_message) = 0;
  // The account the client acts as (the history's actor).
  virtual const std::string& username() const = 0;
};

}  // namespace latchkey::hub
