// The `latchkey` executable: one binary, one subcommand per part of the system.
#include <CLI/CLI.hpp>
#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "cli/client_commands.h"
#include "cli/core_demo.h"
#include "cli/hub_command.h"
#include "cli/link_command.h"
#include "device/lock_daemon.h"

namespace {

void AddLockCommand(CLI::App& app, latchkey::device::LockDaemonOptions& o) {
  auto* cmd = app.add_subcommand("lock", "Run one lock (the firmware's logic over a hardware backend)");
  auto& caps = o.config.capabilities;
  cmd->add_option("--backend", o.backend, "Hardware backend: sim")->check(CLI::IsMember({"sim"}));
  cmd->add_option("--data", o.data_dir, "Data folder (store, keys, setup code)")->required();
  cmd->add_option("--listen", o.listen, "Link address HOST:PORT (port 0: any free port)");
  cmd->add_option("--sim-control", o.sim_control, "Loopback HOST:PORT for the simulated world's control API");
  cmd->add_option("--phone-listen", o.phone_listen, "Phone keys over TCP on HOST:PORT (port 0: any free port)");
  cmd->add_flag("--ble", o.ble, "Phone keys over Bluetooth LE through BlueZ (without BlueZ: says so, runs on)");
  cmd->add_option("--ble-adapter", o.ble_adapter, "The Bluetooth adapter for --ble (hci0)");
  cmd->add_option("--name", o.config.default_name, "The lock's name until the hub sets one");
  cmd->add_option("--motor-ms", o.config.motor_ms, "Bolt travel time in ms (0: instant)")->check(CLI::Range(0, 10000));
  cmd->add_option("--max-users", caps.max_users, "1..65534");
  cmd->add_option("--credentials-per-user", caps.credentials_per_user, "1..32");
  cmd->add_option("--min-pin-length", caps.min_pin_length, "4..12");
  cmd->add_option("--max-pin-length", caps.max_pin_length, "4..12");
  cmd->add_option("--rfid-min-bytes", caps.rfid_min_bytes, "4..32");
  cmd->add_option("--rfid-max-bytes", caps.rfid_max_bytes, "4..32");
  cmd->add_option("--max-user-name-length", caps.max_user_name_length, "1..255");
  cmd->add_option("--week-day-schedules", caps.week_day_schedules_per_user, "per user, 1..253");
  cmd->add_option("--year-day-schedules", caps.year_day_schedules_per_user, "per user, 1..253");
  cmd->add_option("--holiday-schedules", caps.holiday_schedules, "1..253");
  cmd->add_option("--log-capacity", o.config.log_capacity, "Events kept on the lock (>= 16)");
}

}  // namespace

// The flags `hub` and `demo` share (both run a hub): webhook and push trust and destinations,
// HTTP caps.
template <typename Options>
void AddWebhookAndConnectionFlags(CLI::App* command, Options& options) {
  command->add_option("--webhook-cacert", options.webhook_cacert,
                      "https:// webhooks: also trust the CA certificates in this PEM file (besides the system's); "
                      "there is no way to skip the check");
  command->add_option("--webhook-allow", options.webhook_allow,
                      "Webhooks may reach this destination although it is loopback, private, link-local or the "
                      "hub's own (HOST[:PORT], ADDRESS/BITS[:PORT], [IPv6][:PORT], a host name); repeatable");
  command->add_option("--push-allow", options.push_allow,
                      "Web Push may reach this destination although it is loopback, private, link-local or the "
                      "hub's own (a test's local push receiver; same grammar as --webhook-allow); repeatable");
  command->add_option("--push-subject", options.push_subject,
                      "Web Push: the contact push services are given (VAPID sub), mailto:... or https://...");
  command->add_option("--mqtt", options.mqtt.url,
                      "Home Assistant over MQTT: the broker, mqtt://HOST[:PORT] or mqtts://HOST[:PORT]");
  command->add_flag("--matter", options.matter.enabled,
                    "Run the Matter bridge (Apple Home, Google Home, Alexa, SmartThings; docs/integrations.md)");
  command->add_option("--matter-port", options.matter.port, "The Matter bridge's UDP port (5540)")
      ->check(CLI::Range(1, 65535));
  command->add_option("--http-max-connections", options.http_max_connections, "HTTP connections in total (512)")
      ->check(CLI::Range(1, 100000));
  command->add_option("--http-max-connections-per-address", options.http_max_connections_per_address,
                      "HTTP connections per client address (64; behind a reverse proxy, raise it)")
      ->check(CLI::Range(1, 100000));
}

int main(int argc, char** argv) {
  // SPDLOG_LEVEL=debug shows the debug lines too (README); tests set it for the processes whose
  // log a failed test prints.
  spdlog::cfg::load_env_levels();
  CLI::App app{"latchkey: a self-hosted smart door lock system"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "latchkey " LATCHKEY_VERSION_TEXT);

  bool fast = false;
  bool script = false;
  latchkey::cli::DemoOptions demo_options;
  auto* demo = app.add_subcommand("demo", "Run a hub and simulated locks paired over the real link");
  demo->add_option("--locks", demo_options.locks, "How many simulated locks (1..64)");
  demo->add_option("--http", demo_options.http, "The hub's address HOST:PORT");
  demo->add_option("--data", demo_options.data_dir, "Data folder (kept across restarts)");
  demo->add_option("--motor-ms", demo_options.motor_ms, "The simulated locks' bolt travel time");
  demo->add_flag("--metrics-loopback", demo_options.metrics_open_on_loopback,
                 "Serve GET /metrics to loopback clients without a token");
  demo->add_option("--tls-cert", demo_options.tls_cert, "HTTPS: certificate chain (PEM)");
  demo->add_option("--tls-key", demo_options.tls_key, "HTTPS: private key (PEM)");
  demo->add_flag("--tls", demo_options.tls, "Serve HTTPS on loopback too (self-signed unless --tls-cert)");
  AddWebhookAndConnectionFlags(demo, demo_options);
  demo->add_flag("--script", script, "Instead: a scripted walk through the lock's core on a simulated clock");
  demo->add_flag("--fast", fast, "With --script: do not pause between steps");

  latchkey::cli::HubCommandOptions hub_options;
  auto* hub = app.add_subcommand("hub", "Run a hub (the REST + live API for paired locks)");
  hub->add_option("--data", hub_options.data_dir, "Data folder");
  hub->add_option("--http", hub_options.http, "Address HOST:PORT (beyond loopback: HTTPS)");
  hub->add_option("--tls-cert", hub_options.tls_cert, "HTTPS: certificate chain (PEM); else self-signed in DATA/tls");
  hub->add_option("--tls-key", hub_options.tls_key, "HTTPS: the certificate's private key (PEM)");
  hub->add_flag("--tls", hub_options.tls, "Serve HTTPS on loopback too");
  AddWebhookAndConnectionFlags(hub, hub_options);
  hub->add_option("--config", hub_options.config,
                  "TOML file with data = \"...\", http = \"...\", metrics_open_on_loopback = true|false, "
                  "tls = true|false, tls_cert = \"...\", tls_key = \"...\", webhook_cacert = \"...\", "
                  "webhook_allow = [\"...\"], push_allow = [\"...\"], push_subject = \"...\", "
                  "http_max_connections = N, http_max_connections_per_address = N, "
                  "[mqtt] url, username, password, ca_file, base_topic, discovery_prefix, "
                  "and [matter] enabled, port, sidecar, node");
  hub->add_flag("--metrics-loopback", hub_options.metrics_open_on_loopback,
                "Serve GET /metrics to loopback clients without a token");

  latchkey::device::LockDaemonOptions lock_options;
  AddLockCommand(app, lock_options);
  latchkey::cli::LinkCommand link_command;
  link_command.Register(app);
  latchkey::cli::ClientCommands client_commands;  // after AddLockCommand: it shares `lock`
  client_commands.Register(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help and --version: 0; usage errors: 2
  }
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  if (demo->parsed()) return script ? latchkey::cli::RunCoreDemo(fast) : latchkey::cli::RunDemo(demo_options);
  if (hub->parsed()) {
    hub_options.data_from_flag = hub->count("--data") > 0;
    hub_options.http_from_flag = hub->count("--http") > 0;
    hub_options.tls_cert_from_flag = hub->count("--tls-cert") > 0;
    hub_options.tls_key_from_flag = hub->count("--tls-key") > 0;
    hub_options.webhook_cacert_from_flag = hub->count("--webhook-cacert") > 0;
    hub_options.webhook_allow_from_flag = hub->count("--webhook-allow") > 0;
    hub_options.push_allow_from_flag = hub->count("--push-allow") > 0;
    hub_options.push_subject_from_flag = hub->count("--push-subject") > 0;
    hub_options.mqtt_url_from_flag = hub->count("--mqtt") > 0;
    hub_options.matter_port_from_flag = hub->count("--matter-port") > 0;
    hub_options.http_max_connections_from_flag = hub->count("--http-max-connections") > 0;
    hub_options.http_max_connections_per_address_from_flag = hub->count("--http-max-connections-per-address") > 0;
    return latchkey::cli::RunHub(hub_options);
  }
  if (client_commands.parsed()) return client_commands.Run();
  if (app.got_subcommand("lock")) return latchkey::device::RunLockDaemon(lock_options);
  if (link_command.parsed()) return link_command.Run();
  return 0;
}
