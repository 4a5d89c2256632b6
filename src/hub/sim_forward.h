// While a simulated lock's link to the hub is cut (`sim/network {"connected": false}`), the hub
// reaches the lock's physical world through the lock's own loopback sim-control server instead, so
// the app's virtual door keeps working and can restore the network. Only for locks whose
// sim_control_url is on loopback: the hub never forwards to an address a lock merely claims.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "hub/http_server.h"

namespace latchkey::hub {

// POSTs `body` to `<sim_control_url>/sim/<what>` with the lock's per-run `secret` (X-Sim-Secret:
// the lock sends it over the link in each `state` message) and answers with the sim-control
// server's status and JSON body; 503 lock_offline when that server cannot be reached or answers
// nonsense, or when the hub has no secret for it (the lock has not been online since it started).
// `what` must already be one of the names of the sim table (letters and '_').
void ForwardToSimControl(boost::asio::io_context& io, const std::string& sim_control_url, const std::string& secret,
                         const std::string& what, const nlohmann::json& body, Respond respond);

// True when `url` is "http://<loopback IP>:<port>", the only kind ForwardToSimControl accepts.
bool IsLoopbackSimControlUrl(const std::string& url);

}  // namespace latchkey::hub
