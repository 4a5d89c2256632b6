#include "device/lock_daemon.h"

#include <spdlog/spdlog.h>
#include <sodium.h>
#include <sys/stat.h>

#include "platform/asio.h"
#include <array>
#include <cstdio>
#include <filesystem>

#include "crypto/sodium_crypto.h"
#include "device/ble_gatt_server.h"
#include "device/link_server.h"
#include "device/lock_ops.h"
#include "device/lock_runtime.h"
#include "device/phone_listener.h"
#include "device/sim_control_server.h"
#include "device/sim_world.h"
#include "hal/sim/sim_board.h"
#include "platform/host_port.h"
#include "platform/tz_zone_rules.h"
#include "store/secret_file.h"
#include "store/sqlite_lock_store.h"
#include "wire/json_codec.h"

namespace latchkey::device {

namespace asio = boost::asio;

namespace {

core::Result<asio::ip::tcp::endpoint> Endpoint(const std::string& text) {
  std::string host;
  uint16_t port = 0;
  if (!platform::SplitHostPort(text, &host, &port)) return core::Status::Invalid("'" + text + "' is not HOST:PORT");
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return core::Status::Invalid("'" + host + "' is not an IP address");
  return asio::ip::tcp::endpoint(address, port);
}

// The setup code lives in DATA/setup-code (0600) from the first start on.
core::Result<link::SetupCode> LoadOrCreateSetupCode(const std::string& path, bool* created) {
  *created = false;
  if (std::filesystem::exists(path)) {
    std::FILE* file = std::fopen(path.c_str(), "r");
    if (file == nullptr) return core::Status::IoError("cannot read " + path);
    char buffer[128] = {};
    const std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, file);
    std::fclose(file);
    return link::ParseSetupCode(std::string_view(buffer, n));
  }
  const link::SetupCode code = link::RandomSetupCode();
  LATCHKEY_TRY(store::WriteFileAtomically(path, link::FormatSetupCode(code) + "\n", 0600));
  *created = true;
  return code;
}

}  // namespace

int RunLockDaemon(const LockDaemonOptions& options) {
  if (options.backend != "sim") {
    spdlog::error("lock: backend '{}' is not available; only 'sim' exists today", options.backend);
    return 2;
  }
  if (options.data_dir.empty()) {
    spdlog::error("lock: --data is required");
    return 2;
  }
  // Everything the lock writes is its own: the store holds credential digests, the folder keys.
  ::umask(077);
  std::error_code fs_error;
  std::filesystem::create_directories(options.data_dir, fs_error);
  if (fs_error) {
    spdlog::error("lock: cannot create {}: {}", options.data_dir, fs_error.message());
    return 1;
  }
  ::chmod(options.data_dir.c_str(), 0700);
  const std::string dir = options.data_dir + "/";
  if (core::Status s = options.config.capabilities.Validate(); !s.ok()) {
    spdlog::error("lock: {}", s.ToString());
    return 2;
  }
  auto digest_key = store::LoadOrCreateSecret(dir + "digest.key");
  auto link_key = store::LoadOrCreateSecret(dir + "link.key");
  if (!digest_key.ok() || !link_key.ok()) {
    spdlog::error("lock: {}", (!digest_key.ok() ? digest_key.status() : link_key.status()).ToString());
    return 1;
  }
  auto keypair = crypto::KeypairFromPrivate(*link_key);
  // The phones' session has a static key of its own (phones pin it): the link's key never
  // answers a handshake that anyone at the door may start.
  auto phone_secret = store::LoadOrCreateSecret(dir + "phone.key");
  auto phone_keypair = phone_secret.ok() ? crypto::KeypairFromPrivate(*phone_secret)
                                         : core::Result<crypto::NoiseKeypair>(phone_secret.status());
  if (!phone_keypair.ok()) {
    spdlog::error("lock: {}", phone_keypair.status().ToString());
    return 1;
  }
  auto lock_store = store::SqliteLockStore::Open(dir + "lock.db");
  bool new_code = false;
  auto setup_code = LoadOrCreateSetupCode(dir + "setup-code", &new_code);
  if (!keypair.ok() || !lock_store.ok() || !setup_code.ok()) {
    const core::Status s = !keypair.ok() ? keypair.status() : !lock_store.ok() ? lock_store.status() : setup_code.status();
    spdlog::error("lock: {}", s.ToString());
    return 1;
  }
  const std::string lock_id = "lk-" + wire::ToHex(std::span(keypair->pub).first(8));

  asio::io_context io;
  hal::sim::SimBoard board;
  // The simulated bolt is a physical thing: it stays where it was while the process is down.
  // Put it where the lock last stored it (a move under way had nearly arrived).
  {
    core::PersistentState stored;
    if ((*lock_store)->Load(&stored).ok() && stored.initialized) {
      switch (stored.runtime.lock_state) {
        case core::LockState::kUnlocked:
        case core::LockState::kUnlatched:
        case core::LockState::kUnlocking: board.sim_bolt().MoveByHand(core::BoltSense::kUnlocked); break;
        case core::LockState::kJammed: board.sim_bolt().MoveByHand(core::BoltSense::kBetween); break;
        default: board.sim_bolt().MoveByHand(core::BoltSense::kLocked); break;
      }
    }
  }
  crypto::SodiumCrypto crypto(*digest_key);
  platform::TzZoneRules zones;
  core::LockConfig config = options.config;
  config.lock_id = lock_id;
  LockRuntime runtime(io, board, **lock_store, crypto, zones, config);
  if (core::Status s = runtime.Start(); !s.ok()) {
    spdlog::error("lock: {}", s.ToString());
    return 1;
  }

  LinkServer* link_server = nullptr;
  std::unique_ptr<LockOps> ops_holder;
  SimWorld world(runtime, board,
                 SimWorld::Hooks{[&](bool connected) { link_server->SetNetwork(connected); },
                                 [&] { return ops_holder->StateJson(); }});
  ops_holder = std::make_unique<LockOps>(runtime, &world, LockOps::Hooks{[&] {
    // Unpaired: the old hub's phone keys and offline codes open nothing from now on.
    (void)runtime.lock().SetHomeKey(std::nullopt, core::Actor{core::Source::kRemote, "hub", true});
    (void)runtime.lock().ForgetOfflineKey(core::Actor{core::Source::kRemote, "hub", true});
    link_server->Unpair();
  }});
  LinkServer server(io, runtime, *ops_holder, **lock_store, *keypair, *setup_code, lock_id);
  link_server = &server;
  runtime.set_listener({[&](const core::Event& event) { server.OnEvent(event); },
                        [&](const core::LockStatus& status) { server.OnStatus(status); }});

  auto listen = Endpoint(options.listen);
  if (!listen.ok()) {
    spdlog::error("lock: --listen: {}", listen.status().ToString());
    return 2;
  }
  if (core::Status s = server.Listen(*listen); !s.ok()) {
    spdlog::error("lock: {}", s.ToString());
    return 1;
  }
  std::unique_ptr<PhoneListener> phone_listener;
  std::string phone_address;
  if (!options.phone_listen.empty()) {
    auto endpoint = Endpoint(options.phone_listen);
    if (!endpoint.ok()) {
      spdlog::error("lock: --phone-listen: {}", endpoint.status().ToString());
      return 2;
    }
    phone_listener = std::make_unique<PhoneListener>(io, runtime, *phone_keypair, lock_id);
    phone_address = endpoint->address().to_string();
    if (core::Status s = phone_listener->Listen(*endpoint); !s.ok()) {
      spdlog::error("lock: {}", s.ToString());
      return 1;
    }
  }
  // Without BlueZ (or a bus) the lock says so and goes on: the door still opens other ways.
  std::unique_ptr<BleGattServer> ble;
  if (options.ble) {
    BleGattServer::Options ble_options;
    ble_options.adapter = options.ble_adapter;
    ble_options.advertising = [lock_id](const std::string& adapter, const std::string& name) {
      std::printf("lock %s ble advertising on %s as %s\n", lock_id.c_str(), adapter.c_str(), name.c_str());
      std::fflush(stdout);
    };
    ble = std::make_unique<BleGattServer>(io, runtime, *phone_keypair, lock_id, std::move(ble_options));
    if (core::Status s = ble->Start(); !s.ok()) {
      spdlog::warn("lock: BLE is off: {}", s.message());
      ble.reset();
    }
  }
  std::unique_ptr<SimControlServer> sim_control;
  std::string sim_secret;
  if (!options.sim_control.empty()) {
    auto endpoint = Endpoint(options.sim_control);
    if (!endpoint.ok()) {
      spdlog::error("lock: --sim-control: {}", endpoint.status().ToString());
      return 2;
    }
    // A new secret each run (SECURITY.md: the simulation is no backdoor): whoever may drive
    // the simulated world reads it from DATA/sim-control.secret or, the paired hub, from the link.
    std::array<uint8_t, 32> secret_bytes{};
    randombytes_buf(secret_bytes.data(), secret_bytes.size());
    sim_secret = wire::ToHex(secret_bytes);
    sodium_memzero(secret_bytes.data(), secret_bytes.size());
    if (core::Status s = store::WriteFileAtomically(dir + "sim-control.secret", sim_secret + "\n", 0600); !s.ok()) {
      spdlog::error("lock: {}", s.ToString());
      return 1;
    }
    server.set_sim_control_secret(sim_secret);
    sim_control = std::make_unique<SimControlServer>(io, world, [&] { return ops_holder->StateJson(); }, sim_secret);
    if (core::Status s = sim_control->Listen(*endpoint); !s.ok()) {
      spdlog::error("lock: {}", s.ToString());
      return 1;
    }
    ops_holder->set_sim_control_url("http://" + endpoint->address().to_string() + ":" +
                                    std::to_string(sim_control->port()));
  }

  // Machine-readable lines first: tests and `latchkey demo` read the actual ports from them.
  const std::string link_address = listen->address().to_string() + ":" + std::to_string(server.port());
  std::printf("lock %s link listening on %s\n", lock_id.c_str(), link_address.c_str());
  if (sim_control) {
    std::printf("lock %s sim-control listening on http://%s:%u (X-Sim-Secret in %ssim-control.secret)\n",
                lock_id.c_str(), listen->address().to_string().c_str(), sim_control->port(), dir.c_str());
  }
  if (phone_listener) {
    std::printf("lock %s phone listening on %s:%u\n", lock_id.c_str(), phone_address.c_str(), phone_listener->port());
  }
  if (!server.paired()) {
    std::printf("lock %s setup code: %s%s\n", lock_id.c_str(), link::FormatSetupCode(*setup_code).c_str(),
                new_code ? " (also in setup-code)" : "");
  }
  std::fflush(stdout);
  (void)store::WriteFileAtomically(dir + "link.addr", link_address + "\n", 0600);
  (void)store::WriteFileAtomically(dir + "lock-id", lock_id + "\n", 0600);
  if (phone_listener) {
    (void)store::WriteFileAtomically(dir + "phone.addr", phone_address + ":" + std::to_string(phone_listener->port()) + "\n",
                                     0600);
  }
  if (sim_control) {
    (void)store::WriteFileAtomically(dir + "sim-control.addr",
                                     "http://" + listen->address().to_string() + ":" + std::to_string(sim_control->port()) + "\n",
                                     0600);
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("lock: signal {}, stopping", signal);
    (void)runtime.lock().Checkpoint();
    io.stop();
  });
  io.run();
  return 0;
}

}  // namespace latchkey::device
