#include "cli/hub_command.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include "integrations/mqtt/mosquitto_transport.h"
#include "integrations/mqtt/mqtt_bridge.h"

#include "hub/hub.h"
#include "link/setup_code.h"

namespace latchkey::cli {

namespace asio = boost::asio;

namespace {

std::string OwnerPasswordFromEnv() {
  const char* env = std::getenv("LATCHKEY_OWNER_PASSWORD");
  return env == nullptr ? "" : env;
}

void PrintLogin(const hub::Hub& hub, const std::string& data_dir) {
  const std::string url = hub.url();
  std::printf("latchkey hub on %s\n", url.c_str());
  std::string curl_tls;
  if (hub.tls()) {
    const std::string cert =
        hub.options().tls_cert.empty() ? data_dir + "/tls/cert.pem" : hub.options().tls_cert;
    std::printf("TLS certificate %s, SHA-256 fingerprint %s\n", cert.c_str(), hub.tls_fingerprint().c_str());
    if (hub.options().tls_cert.empty()) curl_tls = "--cacert " + cert + " ";
  }
  if (!hub.generated_owner_password().empty()) {
    std::printf("log in as 'owner' with password %s (shown once; also in %s/initial-owner-password until the "
                "owner's first login)\n",
                hub.generated_owner_password().c_str(), data_dir.c_str());
  } else {
    std::printf("log in as 'owner' (password from LATCHKEY_OWNER_PASSWORD on first start, or %s/initial-owner-password "
                "until the owner's first login)\n",
                data_dir.c_str());
  }
  std::printf("  curl -s %s-X POST %s/api/v1/auth/login -d '{\"username\":\"owner\",\"password\":\"...\"}'\n",
              curl_tls.c_str(), url.c_str());
  std::fflush(stdout);
}

std::optional<std::string> ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line) || line.empty()) return std::nullopt;
  return line;
}

// One simulated lock as a child process that dies with the demo.
struct LockChild {
  std::string dir;
  pid_t pid = -1;
  std::string address;
  std::string id;
};

bool StartLock(LockChild& child, int number, int motor_ms) {
  std::filesystem::create_directories(child.dir);
  std::filesystem::remove(child.dir + "/link.addr");
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the demo, even a SIGKILLed one
    const std::string log = child.dir + "/lock.log";
    std::FILE* out = std::freopen(log.c_str(), "a", stdout);
    if (out != nullptr) ::dup2(::fileno(stdout), 2);
    const std::string name = "Lock " + std::to_string(number);
    const std::string motor = std::to_string(motor_ms);
    ::execl("/proc/self/exe", "latchkey", "lock", "--data", child.dir.c_str(), "--listen", "127.0.0.1:0",
            "--sim-control", "127.0.0.1:0", "--phone-listen", "127.0.0.1:0", "--name", name.c_str(), "--motor-ms",
            motor.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  child.pid = pid;
  for (int i = 0; i < 500; ++i) {
    if (auto address = ReadLine(child.dir + "/link.addr")) {
      child.address = *address;
      return true;
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// The caps of the HTTP server: 0 keeps the default, else within 1..kMaxConnectionsCap, and the
// per-address cap not above the total.
constexpr int64_t kMaxConnectionsCap = 100000;

core::Result<hub::HttpServerLimits> HttpLimits(std::size_t total, std::size_t per_address) {
  hub::HttpServerLimits limits;
  if (total > static_cast<std::size_t>(kMaxConnectionsCap) || per_address > static_cast<std::size_t>(kMaxConnectionsCap)) {
    return core::Status::Invalid("--http-max-connections and --http-max-connections-per-address must be 1.." +
                                 std::to_string(kMaxConnectionsCap));
  }
  if (total != 0) limits.max_connections = total;
  if (per_address != 0) limits.max_connections_per_address = per_address;
  if (limits.max_connections_per_address > limits.max_connections) {
    return core::Status::Invalid("http_max_connections_per_address (" + std::to_string(limits.max_connections_per_address) +
                                 ") is above http_max_connections (" + std::to_string(limits.max_connections) + ")");
  }
  return limits;
}

// A `locks = ["id", ...]` of an integration's table.
core::Result<std::vector<std::string>> LockList(const std::string& file, const std::string& name, const toml::node& value) {
  const toml::array* list = value.as_array();
  if (list == nullptr || (!list->empty() && !list->is_homogeneous(toml::node_type::string))) {
    return core::Status::Invalid(file + ": " + name + " must be a list of lock ids");
  }
  std::vector<std::string> out;
  for (const auto& entry : *list) out.push_back(*entry.value<std::string>());
  return out;
}

// Home Assistant over MQTT, when a broker is configured: a client of `hub` with its own account.
core::Result<std::unique_ptr<integrations::mqtt::MqttBridge>> StartMqtt(asio::io_context& io, hub::Hub& hub,
                                                                        const integrations::mqtt::MqttOptions& mqtt) {
  using integrations::mqtt::MqttBridge;
  if (mqtt.url.empty()) return std::unique_ptr<MqttBridge>();
  LATCHKEY_TRY(integrations::mqtt::Validate(mqtt));
  auto client = hub.IntegrationClient("mqtt", mqtt.locks);
  LATCHKEY_TRY(client);
  auto transport = integrations::mqtt::MosquittoTransport::Create(io, mqtt, "latchkey-" + hub.id());
  LATCHKEY_TRY(transport);
  auto bridge = std::make_unique<MqttBridge>(mqtt, integrations::mqtt::HubIdentity{hub.id(), LATCHKEY_VERSION_TEXT},
                                             std::move(client).value(), std::move(transport).value());
  bridge->Start();
  spdlog::info("hub: Home Assistant over MQTT at {} (topics under {}/, discovery under {}/)", mqtt.url,
               mqtt.base_topic, mqtt.discovery_prefix);
  return bridge;
}

// The Matter bridge, when enabled: a sidecar the hub supervises, with its own account's token.
core::Result<std::unique_ptr<integrations::matter::MatterSidecar>> StartMatter(
    asio::io_context& io, hub::Hub& hub, const integrations::matter::MatterOptions& matter, const std::string& data_dir) {
  using integrations::matter::MatterSidecar;
  if (!matter.enabled) return std::unique_ptr<MatterSidecar>();
  auto token = hub.IntegrationToken("matter", matter.locks);
  LATCHKEY_TRY(token);
  auto sidecar = std::make_unique<MatterSidecar>(io, matter, data_dir, hub.url(), hub.tls_cert_path(), *token);
  LATCHKEY_TRY(sidecar->Start());
  hub.set_matter(sidecar.get());
  return sidecar;
}

}  // namespace

core::Status LoadHubConfig(HubCommandOptions& options) {
  if (options.config.empty()) return core::Status::Ok();
  toml::parse_result parsed = toml::parse_file(options.config);
  if (!parsed) {
    return core::Status::Invalid(options.config + ": " + std::string(parsed.error().description()) + " at line " +
                                 std::to_string(parsed.error().source().begin.line));
  }
  const toml::table& table = parsed.table();
  for (const auto& [key, value] : table) {
    if (key == "mqtt") {
      const toml::table* mqtt = value.as_table();
      if (mqtt == nullptr) return core::Status::Invalid(options.config + ": [mqtt] must be a table");
      for (const auto& [mkey, mvalue] : *mqtt) {
        if (mkey == "locks") {
          auto locks = LockList(options.config, "mqtt.locks", mvalue);
          LATCHKEY_TRY(locks);
          options.mqtt.locks = std::move(locks).value();
          continue;
        }
        std::string* field = mkey == "url"                ? &options.mqtt.url
                             : mkey == "username"         ? &options.mqtt.username
                             : mkey == "password"         ? &options.mqtt.password
                             : mkey == "ca_file"          ? &options.mqtt.ca_file
                             : mkey == "base_topic"       ? &options.mqtt.base_topic
                             : mkey == "discovery_prefix" ? &options.mqtt.discovery_prefix
                                                          : nullptr;
        if (field == nullptr) return core::Status::Invalid(options.config + ": unknown key 'mqtt." + std::string(mkey.str()) + "'");
        if (!mvalue.is_string()) return core::Status::Invalid(options.config + ": mqtt." + std::string(mkey.str()) + " must be a string");
        if (mkey == "url" && options.mqtt_url_from_flag) continue;
        *field = *mvalue.value<std::string>();
      }
      continue;
    }
    if (key == "matter") {
      const toml::table* matter = value.as_table();
      if (matter == nullptr) return core::Status::Invalid(options.config + ": [matter] must be a table");
      for (const auto& [mkey, mvalue] : *matter) {
        const std::string name = "matter." + std::string(mkey.str());
        if (mkey == "enabled") {
          if (!mvalue.is_boolean()) return core::Status::Invalid(options.config + ": " + name + " must be true or false");
          if (*mvalue.value<bool>()) options.matter.enabled = true;  // the flag can only turn it on
        } else if (mkey == "port") {
          const auto port = mvalue.value<int64_t>();
          if (!port || *port < 1 || *port > 65535) return core::Status::Invalid(options.config + ": " + name + " must be 1..65535");
          if (!options.matter_port_from_flag) options.matter.port = static_cast<uint16_t>(*port);
        } else if (mkey == "locks") {
          auto locks = LockList(options.config, name, mvalue);
          LATCHKEY_TRY(locks);
          options.matter.locks = std::move(locks).value();
        } else if (mkey == "sidecar" || mkey == "node") {
          if (!mvalue.is_string()) return core::Status::Invalid(options.config + ": " + name + " must be a string");
          (mkey == "sidecar" ? options.matter.sidecar : options.matter.node) = *mvalue.value<std::string>();
        } else {
          return core::Status::Invalid(options.config + ": unknown key '" + name + "'");
        }
      }
      continue;
    }
    if (key == "webhook_allow" || key == "push_allow") {
      const toml::array* list = value.as_array();
      if (list == nullptr || (!list->empty() && !list->is_homogeneous(toml::node_type::string))) {
        return core::Status::Invalid(options.config + ": " + std::string(key.str()) + " must be a list of strings");
      }
      continue;
    }
    if (key == "http_max_connections" || key == "http_max_connections_per_address") {
      if (!value.is_integer()) return core::Status::Invalid(options.config + ": " + std::string(key.str()) + " must be a number");
      continue;
    }
    if (key == "metrics_open_on_loopback") {
      if (!value.is_boolean()) return core::Status::Invalid(options.config + ": metrics_open_on_loopback must be true or false");
      continue;
    }
    if (key == "tls") {
      if (!value.is_boolean()) return core::Status::Invalid(options.config + ": tls must be true or false");
      continue;
    }
    if (key != "data" && key != "http" && key != "tls_cert" && key != "tls_key" && key != "webhook_cacert" && key != "push_subject") return core::Status::Invalid(options.config + ": unknown key '" + std::string(key.str()) + "'");
    if (!value.is_string()) return core::Status::Invalid(options.config + ": " + std::string(key.str()) + " must be a string");
  }
  // The flag can only turn it on: the flag or the file's `true` opens /metrics on loopback.
  if (auto open = table["metrics_open_on_loopback"].value<bool>(); open && *open) options.metrics_open_on_loopback = true;
  if (auto data = table["data"].value<std::string>(); data && !options.data_from_flag) options.data_dir = *data;
  if (auto http = table["http"].value<std::string>(); http && !options.http_from_flag) options.http = *http;
  if (auto tls = table["tls"].value<bool>(); tls && *tls) options.tls = true;
  if (auto cert = table["tls_cert"].value<std::string>(); cert && !options.tls_cert_from_flag) options.tls_cert = *cert;
  if (auto key = table["tls_key"].value<std::string>(); key && !options.tls_key_from_flag) options.tls_key = *key;
  if (auto ca = table["webhook_cacert"].value<std::string>(); ca && !options.webhook_cacert_from_flag) {
    options.webhook_cacert = *ca;
  }
  if (const toml::array* allow = table["webhook_allow"].as_array(); allow && !options.webhook_allow_from_flag) {
    options.webhook_allow.clear();
    for (const auto& entry : *allow) options.webhook_allow.push_back(*entry.value<std::string>());
  }
  if (const toml::array* allow = table["push_allow"].as_array(); allow && !options.push_allow_from_flag) {
    options.push_allow.clear();
    for (const auto& entry : *allow) options.push_allow.push_back(*entry.value<std::string>());
  }
  if (auto subject = table["push_subject"].value<std::string>(); subject && !options.push_subject_from_flag) {
    options.push_subject = *subject;
  }
  const auto cap = [&](const char* key, std::size_t& field, bool from_flag) -> core::Status {
    const auto n = table[key].value<int64_t>();
    if (!n || from_flag) return core::Status::Ok();
    if (*n < 1 || *n > kMaxConnectionsCap) {
      return core::Status::Invalid(options.config + ": " + key + " must be 1.." + std::to_string(kMaxConnectionsCap));
    }
    field = static_cast<std::size_t>(*n);
    return core::Status::Ok();
  };
  if (core::Status s = cap("http_max_connections", options.http_max_connections, options.http_max_connections_from_flag);
      !s.ok()) {
    return s;
  }
  return cap("http_max_connections_per_address", options.http_max_connections_per_address,
             options.http_max_connections_per_address_from_flag);
}

int RunHub(const HubCommandOptions& options_in) {
  HubCommandOptions options = options_in;
  if (core::Status s = LoadHubConfig(options); !s.ok()) {
    spdlog::error("hub: {}", s.ToString());
    return 2;
  }
  asio::io_context io;
  hub::HubOptions hub_options;
  hub_options.data_dir = options.data_dir;
  hub_options.http = options.http;
  hub_options.owner_password = OwnerPasswordFromEnv();
  hub_options.metrics_open_on_loopback = options.metrics_open_on_loopback;
  hub_options.tls_cert = options.tls_cert;
  hub_options.tls_key = options.tls_key;
  hub_options.tls = options.tls;
  hub_options.webhook_cacert = options.webhook_cacert;
  hub_options.webhook_allow = options.webhook_allow;
  hub_options.push_allow = options.push_allow;
  if (!options.push_subject.empty()) hub_options.push_subject = options.push_subject;
  auto limits = HttpLimits(options.http_max_connections, options.http_max_connections_per_address);
  if (!limits.ok()) {
    spdlog::error("hub: {}", limits.status().ToString());
    return 2;
  }
  hub_options.http_limits = *limits;
  hub::Hub hub(io, hub_options);
  if (core::Status s = hub.Start(); !s.ok()) {
    spdlog::error("hub: {}", s.ToString());
    return 1;
  }
  auto mqtt = StartMqtt(io, hub, options.mqtt);
  if (!mqtt.ok()) {
    spdlog::error("hub: {}", mqtt.status().ToString());
    return 2;
  }
  auto matter = StartMatter(io, hub, options.matter, options.data_dir);
  if (!matter.ok()) {
    spdlog::error("hub: {}", matter.status().ToString());
    return 2;
  }
  PrintLogin(hub, options.data_dir);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (*mqtt) (*mqtt)->Stop();
    hub.set_matter(nullptr);
    if (*matter) (*matter)->Stop();
    hub.Drain([&io] { io.stop(); });
  });
  io.run();
  return 0;
}

int RunDemo(const DemoOptions& options) {
  if (options.locks < 1 || options.locks > 64) {
    spdlog::error("demo: --locks must be 1..64");
    return 2;
  }
  std::filesystem::create_directories(options.data_dir);
  std::vector<LockChild> children(static_cast<std::size_t>(options.locks));
  for (int i = 0; i < options.locks; ++i) {
    LockChild& child = children[static_cast<std::size_t>(i)];
    child.dir = options.data_dir + "/lock-" + std::to_string(i + 1);
    if (!StartLock(child, i + 1, options.motor_ms)) {
      spdlog::error("demo: lock {} did not start; see {}/lock.log", i + 1, child.dir);
      for (auto& c : children) {
        if (c.pid > 0) ::kill(c.pid, SIGTERM);
      }
      return 1;
    }
  }

  asio::io_context io;
  hub::HubOptions hub_options;
  hub_options.data_dir = options.data_dir + "/hub";
  hub_options.http = options.http;
  hub_options.owner_password = OwnerPasswordFromEnv();
  hub_options.metrics_open_on_loopback = options.metrics_open_on_loopback;
  hub_options.tls_cert = options.tls_cert;
  hub_options.tls_key = options.tls_key;
  hub_options.tls = options.tls;
  hub_options.webhook_cacert = options.webhook_cacert;
  hub_options.webhook_allow = options.webhook_allow;
  hub_options.push_allow = options.push_allow;
  if (!options.push_subject.empty()) hub_options.push_subject = options.push_subject;
  auto limits = HttpLimits(options.http_max_connections, options.http_max_connections_per_address);
  if (!limits.ok()) {
    spdlog::error("demo: {}", limits.status().ToString());
    for (auto& c : children) ::kill(c.pid, SIGTERM);
    return 2;
  }
  hub_options.http_limits = *limits;
  hub::Hub hub(io, hub_options);
  // The locks' ports change from run to run: point the hub's records at where they are now,
  // before its sessions start (a lock is known by its key, not by its address).
  {
    auto store = hub::HubStore::Open(hub_options.data_dir + "/hub.db");
    if (store.ok()) {
      for (const auto& child : children) {
        const auto id_line = ReadLine(child.dir + "/lock-id");
        if (!id_line) continue;
        auto found = (*store)->GetLock(*id_line);
        if (!found.ok() || !*found) continue;
        hub::LockRecord record = **found;
        if (record.address != child.address) {
          record.address = child.address;
          (void)(*store)->PutLock(record);
        }
      }
    }
  }
  if (core::Status s = hub.Start(); !s.ok()) {
    spdlog::error("demo: {}", s.ToString());
    for (auto& c : children) ::kill(c.pid, SIGTERM);
    return 1;
  }
  // Pair every lock that is not paired yet (its setup code is in its folder).
  for (auto& child : children) {
    const auto id_line = ReadLine(child.dir + "/lock-id");
    if (id_line) {
      auto paired = hub.store().GetLock(*id_line);
      if (paired.ok() && *paired) continue;
    }
    const auto code = ReadLine(child.dir + "/setup-code");
    if (!code) continue;
    hub.sessions().Pair(child.address, *code, "", [&child](hub::Json reply) {
      if (reply.value("ok", false)) {
        spdlog::info("demo: paired {}", child.dir);
      } else {
        spdlog::error("demo: pairing {} failed: {}", child.dir, reply.dump());
      }
    });
  }
  auto mqtt = StartMqtt(io, hub, options.mqtt);
  auto matter = mqtt.ok() ? StartMatter(io, hub, options.matter, hub_options.data_dir)
                          : core::Result<std::unique_ptr<integrations::matter::MatterSidecar>>(mqtt.status());
  if (!mqtt.ok() || !matter.ok()) {
    spdlog::error("demo: {}", (mqtt.ok() ? matter.status() : mqtt.status()).ToString());
    for (auto& c : children) ::kill(c.pid, SIGTERM);
    return 2;
  }
  PrintLogin(hub, hub_options.data_dir);
  std::printf("%d simulated lock(s); data in %s; Ctrl-C stops the demo\n", options.locks, options.data_dir.c_str());
  std::fflush(stdout);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (*mqtt) (*mqtt)->Stop();
    hub.set_matter(nullptr);
    if (*matter) (*matter)->Stop();
    hub.Drain([&io] { io.stop(); });
  });
  io.run();
  for (auto& c : children) ::kill(c.pid, SIGTERM);
  for (auto& c : children) {
    int status = 0;
    ::waitpid(c.pid, &status, 0);
  }
  return 0;
}

}  // namespace latchkey::cli
