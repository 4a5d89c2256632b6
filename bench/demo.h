// What the end-to-end benchmarks stand on: a real `latchkey demo` (a hub and one simulated lock
// on loopback, in a folder of its own) and keep-alive HTTP clients for the hub's API and the
// lock's sim-control.
//
//   Demo demo("hub_bench", argv[1], {"--motor-ms", "0"}, "latchkey-bench");
//   if (!demo.up()) return demo.Fail("the demo did not come up");  // names DIR/demo.log
//   Client hub(demo.port());
//   auto [status, body] = hub.Call(http::verb::post, "/api/v1/locks/" + demo.lock() + "/unlock",
//                                  Json::object(), demo.token());
//   Client sim(demo.sim_port(), demo.sim_secret());
//   sim.Call(http::verb::post, "/sim/door", Json{{"state", "open"}});
//   ...
//   demo.Stop();  // and the folder goes; after a Fail it stays, with the demo's log
//
// Not a test harness (tests/integration/hub_harness.h is): a benchmark that cannot set up says
// why and exits, it does not retry.
#pragma once

#include <sys/types.h>

#include "platform/asio.h"  // first: Boost.Asio as it compiles here

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace latchkey::bench {

using Json = nlohmann::json;
namespace http = boost::beast::http;

// One keep-alive HTTP/1.1 connection to 127.0.0.1:`port`. `sim_secret`: for a lock's
// sim-control (DATA/lock-N/sim-control.secret), sent on every call. A connection that fails
// throws (boost::system::system_error), as Beast does.
class Client {
 public:
  explicit Client(uint16_t port, std::string sim_secret = "");
  // The status and the body (discarded when it is not JSON).
  std::pair<unsigned, Json> Call(http::verb method, const std::string& target, const Json& body = nullptr,
                                 const std::string& token = "");

 private:
  std::string sim_secret_;
  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
};

// The `p` quantile of `v` (p from 0 to 1): the element at rank p * (size - 1), rounded down.
// `v` must not be empty.
double Percentile(std::vector<double> v, double p);

class Demo {
 public:
  // The owner's password (LATCHKEY_OWNER_PASSWORD of the demo).
  static constexpr const char* kOwnerPassword = "bench-password-1";

  // Runs `binary demo --data DIR --http 127.0.0.1:PORT --locks 1 extra...` in a new folder
  // /tmp/`prefix`-XXXXXX (its output in DIR/demo.log) and waits up to 15 s until the owner has
  // logged in and the lock is online. `name` starts the messages of Fail.
  Demo(std::string name, const std::string& binary, const std::vector<std::string>& extra, std::string_view prefix);
  // A demo still running is stopped; its folder is kept.
  ~Demo();
  Demo(const Demo&) = delete;
  Demo& operator=(const Demo&) = delete;

  bool up() const { return !lock_.empty(); }
  // Prints "NAME: `why`; see DIR/demo.log", stops the demo and returns 1 (for main's return).
  int Fail(const std::string& why);
  // Stops the demo (SIGTERM, and waits for it) and removes its folder.
  void Stop();

  const std::string& dir() const { return dir_; }
  uint16_t port() const { return port_; }
  const std::string& http_address() const { return http_address_; }
  // The owner's session token and the lock's id.
  const std::string& token() const { return token_; }
  const std::string& lock() const { return lock_; }
  // The lock's sim-control (the lock object's sim_control_url) and its secret.
  uint16_t sim_port() const;
  std::string sim_secret() const;

 private:
  void Kill();

  std::string name_;
  std::string dir_;
  uint16_t port_ = 0;
  std::string http_address_;
  pid_t pid_ = -1;
  std::string token_;
  std::string lock_;
  std::string sim_url_;
};

}  // namespace latchkey::bench
