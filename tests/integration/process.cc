#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include "wait.h"

extern char** environ;

namespace latchkey::testing {

namespace {

std::vector<std::string> Environment(const ProcessOptions& options) {
  std::vector<std::string> env;
  if (options.inherit_env) {
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry(*e);
      bool keep = true;
      for (const auto& prefix : options.env_drop) keep = keep && entry.rfind(prefix, 0) != 0;
      if (keep) env.push_back(entry);
    }
  }
  env.insert(env.end(), options.env_add.begin(), options.env_add.end());
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

Process::~Process() { Terminate(); }

bool Process::Start(const std::vector<std::string>& argv_in, const ProcessOptions& options) {
  if (pid_ > 0) Terminate();
  exit_code_.reset();
  term_signal_.reset();
  if (argv_in.empty()) return false;
  std::vector<std::string> args = argv_in, env = Environment(options);
  std::vector<char*> argv = Pointers(args), envp = Pointers(env);
  const int out_flags = O_WRONLY | O_CREAT | (options.truncate ? O_TRUNC : O_APPEND);
  const auto or_null = [](const std::string& path) { return path.empty() ? std::string("/dev/null") : path; };
  const std::string in = or_null(options.stdin_path), out = or_null(options.stdout_path);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), out_flags, 0600);
  if (options.stderr_path.empty() || options.stderr_path == options.stdout_path) {
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  } else {
    posix_spawn_file_actions_addopen(&actions, 2, options.stderr_path.c_str(), out_flags, 0600);
  }
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  pid_ = rc == 0 ? pid : -1;
  return pid_ > 0;
}

bool Process::Reap(bool block) {
  if (pid_ <= 0) return true;
  int status = 0;
  pid_t done = 0;
  do {
    done = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (done < 0 && errno == EINTR);
  if (done == 0) return false;
  if (done == pid_) {
    if (WIFEXITED(status)) {
      exit_code_ = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      term_signal_ = WTERMSIG(status);
    }
  }
  pid_ = -1;  // reaped (or not our child any more)
  return true;
}

bool Process::Running() { return !Reap(false); }

bool Process::Signal(int signal) { return pid_ > 0 && ::kill(pid_, signal) == 0; }

std::optional<int> Process::Wait(std::optional<std::chrono::milliseconds> timeout) {
  if (pid_ <= 0 && !exit_code_ && !term_signal_) return std::nullopt;
  if (!timeout) {
    Reap(true);
  } else if (!WaitUntil([this] { return Reap(false); }, *timeout, std::chrono::milliseconds(5))) {
    return std::nullopt;
  }
  if (exit_code_) return exit_code_;
  if (term_signal_) return 128 + *term_signal_;
  return std::nullopt;
}

std::optional<int> Process::Kill(int signal) {
  Signal(signal);
  return Wait();
}

std::optional<int> Process::Terminate(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return Wait(std::chrono::milliseconds(0));
  Signal(SIGTERM);
  if (auto status = Wait(grace)) return status;
  return Kill(SIGKILL);
}

}  // namespace latchkey::testing
