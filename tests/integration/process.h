// The one process launcher of the integration harnesses: starts argv with an environment made
// from this process's own (or none), stdin from a file (or /dev/null), stdout and stderr to
// files (or /dev/null), and stops, waits for and reaps it. The destructor stops a child still
// running (SIGTERM, SIGKILL after 5 s).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace latchkey::testing {

struct ProcessOptions {
  bool inherit_env = true;               // start from this process's environment
  std::vector<std::string> env_drop;     // ... without the entries that start with one of these
  std::vector<std::string> env_add;      // ... plus these ("NAME=value")
  std::string stdin_path;                // "": /dev/null
  std::string stdout_path;               // "": /dev/null
  std::string stderr_path;               // "": where stdout goes
  bool truncate = false;                 // truncate the output files instead of appending
};

class Process {
 public:
  Process() = default;
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Starts argv[0] (a path) with `argv`; false if it could not be started. A child of an earlier
  // Start still running is stopped first.
  bool Start(const std::vector<std::string>& argv, const ProcessOptions& options = {});

  // The child's pid while it has not been reaped, else -1.
  pid_t pid() const { return pid_; }
  // Reaps the child if it ended; true while it runs.
  bool Running();
  // Sends `signal` to the child (if not reaped); false if there is none.
  bool Signal(int signal);

  // Waits up to `timeout` for the child to end (forever without one) and reaps it. Its exit code,
  // or 128 + the signal that ended it; nullopt if it still runs (or was never started).
  std::optional<int> Wait(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // Sends `signal` and waits for the end, however long it takes.
  std::optional<int> Kill(int signal = 9);
  // SIGTERM, then SIGKILL if the child still runs after `grace`; its exit status.
  std::optional<int> Terminate(std::chrono::milliseconds grace = std::chrono::seconds(5));

  // How the last reaped child ended (nullopt before): its exit code, or its signal.
  std::optional<int> exit_code() const { return exit_code_; }
  std::optional<int> term_signal() const { return term_signal_; }

 private:
  bool Reap(bool block);

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::optional<int> term_signal_;
};

}  // namespace latchkey::testing
