// `latchkey hub` (one hub) and `latchkey demo` (a hub and N simulated locks, paired over the
// real link on loopback: the whole system on one machine).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/status.h"
#include "integrations/matter/matter_sidecar.h"
#include "integrations/mqtt/mqtt_options.h"

namespace latchkey::cli {

struct HubCommandOptions {
  std::string data_dir = "./latchkey-hub";
  std::string http = "127.0.0.1:8080";
  // GET /metrics without a token for loopback clients (hub::HubOptions).
  bool metrics_open_on_loopback = false;
  // An optional TOML file with `data`, `http` and `metrics_open_on_loopback`; a flag given on
  // the command line wins.
  std::string config;
  bool data_from_flag = false;
  bool http_from_flag = false;
  // HTTPS (hub::HubOptions): `tls_cert` / `tls_key` in the file or --tls-cert / --tls-key (the
  // flag wins); `tls = true` or --tls for HTTPS on loopback too.
  std::string tls_cert;
  std::string tls_key;
  bool tls = false;
  bool tls_cert_from_flag = false;
  bool tls_key_from_flag = false;
  // https:// webhooks: a PEM CA bundle trusted besides the system's store (`webhook_cacert` in
  // the file or --webhook-cacert; the flag wins).
  std::string webhook_cacert;
  bool webhook_cacert_from_flag = false;
  // Webhook destinations allowed although the policy refuses their class (hub::HubOptions):
  // `webhook_allow = ["127.0.0.1:9000", "10.0.0.0/8"]` in the file or --webhook-allow (repeated);
  // any flag replaces the file's list.
  std::vector<std::string> webhook_allow;
  bool webhook_allow_from_flag = false;
  // Web Push (docs/notifications.md): `push_allow = ["127.0.0.1:9443"]` or --push-allow
  // (repeated; any flag replaces the file's list): push destinations allowed although the policy
  // refuses their class, for a test's local receiver. `push_subject = "mailto:..."` or
  // --push-subject: the VAPID JWT's contact (empty: the hub's default).
  std::vector<std::string> push_allow;
  bool push_allow_from_flag = false;
  std::string push_subject;
  bool push_subject_from_flag = false;
  // The HTTP server's caps (hub::HttpServerLimits); 0: the default. `http_max_connections` and
  // `http_max_connections_per_address` in the file, or the flags of the same names (they win).
  std::size_t http_max_connections = 0;
  std::size_t http_max_connections_per_address = 0;
  bool http_max_connections_from_flag = false;
  bool http_max_connections_per_address_from_flag = false;
  // Home Assistant over MQTT (docs/integrations.md): the `[mqtt]` table of the file (url,
  // username, password, ca_file, base_topic, discovery_prefix) or --mqtt URL (the flag wins over
  // the file's url). Off while the url is empty.
  integrations::mqtt::MqttOptions mqtt;
  bool mqtt_url_from_flag = false;
  // The Matter bridge (docs/integrations.md): `[matter] enabled = true`, `port = 5540`,
  // `sidecar = "/path/main.js"`, `node = "node"`, or --matter and --matter-port N (the flags win).
  integrations::matter::MatterOptions matter;
  bool matter_port_from_flag = false;
};

// Reads `options.config` (when set) into `options`; an error names the file and the key.
core::Status LoadHubConfig(HubCommandOptions& options);
int RunHub(const HubCommandOptions& options);

struct DemoOptions {
  std::string data_dir = "./latchkey-data";
  std::string http = "127.0.0.1:8080";
  int locks = 1;
  int motor_ms = 400;
  std::string tls_cert;
  std::string tls_key;
  bool tls = false;
  bool metrics_open_on_loopback = false;
  std::string webhook_cacert;
  std::vector<std::string> webhook_allow;
  std::vector<std::string> push_allow;
  std::string push_subject;
  std::size_t http_max_connections = 0;
  std::size_t http_max_connections_per_address = 0;
  integrations::mqtt::MqttOptions mqtt;  // --mqtt URL
  integrations::matter::MatterOptions matter;  // --matter, --matter-port N
};
int RunDemo(const DemoOptions& options);

}  // namespace latchkey::cli
