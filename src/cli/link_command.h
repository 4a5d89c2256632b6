// `latchkey link`: a debugging client of the lock link, standing in for a hub. It keeps a hub
// key and the keys of the locks it paired with in a folder of its own.
//   latchkey link --hub-data DIR pair HOST:PORT SETUP-CODE
//   latchkey link --hub-data DIR req HOST:PORT OP ['{"json":"args"}']
//   latchkey link --hub-data DIR events HOST:PORT [--after SEQ] [--follow]
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace latchkey::cli {

class LinkCommand {
 public:
  void Register(CLI::App& app);
  bool parsed() const { return command_ != nullptr && command_->parsed(); }
  int Run();

 private:
  CLI::App* command_ = nullptr;
  CLI::App* pair_ = nullptr;
  CLI::App* req_ = nullptr;
  CLI::App* events_ = nullptr;
  std::string hub_data_ = "./latchkey-hub-link";
  std::string address_;
  std::string setup_code_;
  std::string op_;
  std::string args_ = "{}";
  uint64_t after_ = 0;
  bool follow_ = false;
};

}  // namespace latchkey::cli
