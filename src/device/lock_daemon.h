// `latchkey lock`: one lock as a process. It keeps everything in its data folder (the SQLite
// store, the digest key and the link's static key in 0600 files, the setup code), serves the
// link, and for a simulated lock its sim-control address, until SIGINT or SIGTERM.
#pragma once

#include <cstdint>
#include <string>

#include "core/lock.h"

namespace latchkey::device {

struct LockDaemonOptions {
  std::string backend = "sim";
  std::string data_dir;
  std::string listen = "127.0.0.1:0";
  std::string sim_control;  // empty: none
  std::string phone_listen;  // empty: no phone listener over TCP (PHONE-KEYS.md 2)
  bool ble = false;          // phone keys over Bluetooth LE through BlueZ (ble_gatt_server.h)
  std::string ble_adapter = "hci0";
  core::LockConfig config;
};

// Runs until signalled; the exit code of the process.
int RunLockDaemon(const LockDaemonOptions& options);

}  // namespace latchkey::device
