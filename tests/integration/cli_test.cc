// The command-line client against a real hub: one `latchkey demo` process (a hub and a
// simulated lock paired over the real link) for the whole suite, and the CLI run as a process
// per command with its own HOME and XDG_CONFIG_HOME, exactly as a user would run it.
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness.h"
#include "hub_harness.h"
#include "process.h"
#include "wait.h"

namespace latchkey::testing {
namespace {

constexpr const char* kOwnerPassword = "correct-horse-battery";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// One HTTP exchange with the hub: {"status", "body"} (status 0: no connection).
Json HubHttp(uint16_t port, const std::string& method, const std::string& target, const std::string& token = "",
             const Json& body = Json()) {
  HttpOptions options;
  options.token = token;
  const HttpResult r = HttpCall(port, method, target, body.is_null() ? "" : body.dump(), options);
  if (r.status == 0) return Json{{"status", 0}};
  return Json{{"status", r.status}, {"body", r.json}};
}

// True if one line of `text` holds every one of `parts`.
bool HasLine(const std::string& text, const std::vector<std::string>& parts) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    bool all = true;
    for (const auto& part : parts) all = all && line.find(part) != std::string::npos;
    if (all) return true;
  }
  return false;
}

struct CliResult {
  int exit = -1;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    port_ = FreeLoopbackPort();
    url_ = "http://127.0.0.1:" + std::to_string(port_);
    std::filesystem::create_directories(dir_->path() + "/home");
    std::ofstream(dir_->path() + "/empty").flush();
    demo_ = new Process();
    ProcessOptions options;
    options.env_drop = {"LATCHKEY_"};
    options.env_add = {std::string("LATCHKEY_OWNER_PASSWORD=") + kOwnerPassword};
    options.stdin_path = dir_->path() + "/empty";
    options.stdout_path = dir_->path() + "/demo.log";
    options.truncate = true;
    ASSERT_TRUE(demo_->Start({LATCHKEY_BINARY, "demo", "--data", dir_->path() + "/demo", "--http",
                              "127.0.0.1:" + std::to_string(port_), "--locks", "1", "--motor-ms", "0"},
                             options))
        << "cannot start " << LATCHKEY_BINARY;
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    ASSERT_TRUE(WaitUntil([] { return HubHttp(port_, "GET", "/healthz")["status"] == 200; }, 15s, 50ms))
        << "no /healthz; see " << dir_->path() << "/demo.log";
    ASSERT_EQ(Login().exit, 0);
    // The demo pairs its lock after the hub starts: wait until the lock is online.
    CliResult locks;
    const bool online = WaitUntil([&] {
      locks = Cli({"locks", "--json"});
      const Json list = Json::parse(locks.out, nullptr, false);
      if (!list.is_array() || list.size() != 1 || !list[0].value("online", false)) return false;
      lock_id_ = list[0]["id"];
      return true;
    }, TimeLeft(deadline), 100ms);
    ASSERT_TRUE(online) << "the lock did not come online: " << locks.out << locks.err;
    ready_ = true;
  }

  static void TearDownTestSuite() {
    delete demo_;  // SIGTERM, and SIGKILL if it lingers
    delete dir_;
  }

  void SetUp() override { ASSERT_TRUE(ready_) << "the demo did not start"; }

  // The command line client's own HOME and XDG_CONFIG_HOME, and stdin / stdout / stderr files.
  static ProcessOptions CliOptions(const std::string& in, const std::string& out, const std::string& err,
                                   const std::vector<std::string>& extra_env = {}) {
    ProcessOptions options;
    options.env_drop = {"LATCHKEY_", "HOME=", "XDG_CONFIG_HOME=", "TMPDIR="};
    options.env_add = {"HOME=" + dir_->path() + "/home", "XDG_CONFIG_HOME=" + dir_->path() + "/config"};
    options.env_add.insert(options.env_add.end(), extra_env.begin(), extra_env.end());
    options.stdin_path = in;
    options.stdout_path = out;
    options.stderr_path = err;
    options.truncate = true;
    return options;
  }

  // Runs `latchkey args...` with `input` on stdin and waits for it (at most 20 s).
  static CliResult Cli(const std::vector<std::string>& args, const std::string& input = "",
                       const std::vector<std::string>& extra_env = {}) {
    static int counter = 0;
    const std::string base = dir_->path() + "/cli-" + std::to_string(++counter);
    std::ofstream(base + ".in") << input;
    std::vector<std::string> argv = {LATCHKEY_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    CliResult result;
    Process cli;
    if (!cli.Start(argv, CliOptions(base + ".in", base + ".out", base + ".err", extra_env))) return result;
    if (!cli.Wait(20s)) cli.Kill(SIGKILL);
    result.exit = cli.exit_code().value_or(-1);
    result.out = ReadFile(base + ".out");
    result.err = ReadFile(base + ".err");
    return result;
  }

  static CliResult Login() {
    return Cli({"login", "--url", url_, "--username", "owner"}, std::string(kOwnerPassword) + "\n");
  }
  static std::string CredentialsPath() { return dir_->path() + "/config/latchkey/credentials.json"; }
  static std::string StoredToken() {
    return Json::parse(ReadFile(CredentialsPath()), nullptr, false).value("token", "");
  }

  static inline TempDir* dir_ = nullptr;
  static inline Process* demo_ = nullptr;
  static inline uint16_t port_ = 0;
  static inline std::string url_;
  static inline std::string lock_id_;
  static inline bool ready_ = false;
};

// The scripted walk-through runs the lock's core on the shipped adapters (a SQLite store in a
// scratch folder, the simulated board), not on test fakes, and leaves nothing behind.
TEST_F(CliTest, ScriptedWalkThroughRunsOnARealStoreAndCleansUp) {
  const std::string tmp = dir_->path() + "/script-tmp";
  std::filesystem::create_directories(tmp);
  const CliResult r = Cli({"demo", "--script", "--fast"}, "", {"TMPDIR=" + tmp});
  EXPECT_EQ(r.exit, 0) << r.out << r.err;
  EXPECT_TRUE(HasLine(r.out, {"events, chain verifies"})) << r.out;
  EXPECT_TRUE(HasLine(r.out, {"lock_operation_error", "error=lockout"}) ||
              HasLine(r.out, {"denied", "lockout"})) << r.out;
  EXPECT_TRUE(std::filesystem::is_empty(tmp)) << "the scratch store was left in " << tmp;
}

TEST_F(CliTest, LoginKeepsTheTokenInAPrivateFile) {
  struct stat st {};
  ASSERT_EQ(::stat(CredentialsPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const Json stored = Json::parse(ReadFile(CredentialsPath()), nullptr, false);
  EXPECT_EQ(stored.value("url", ""), url_);
  EXPECT_FALSE(stored.value("token", "").empty());
  EXPECT_FALSE(std::filesystem::exists(dir_->path() + "/home/.config/latchkey/credentials.json"));

  const CliResult wrong = Cli({"login", "--url", url_}, "not-the-password\n");
  EXPECT_EQ(wrong.exit, 1);
  EXPECT_NE(wrong.err.find("unauthorized: wrong username or password"), std::string::npos) << wrong.err;
  EXPECT_EQ(Json::parse(ReadFile(CredentialsPath()), nullptr, false), stored) << "a failed login keeps the old one";
}

TEST_F(CliTest, LocksAsTableAndJson) {
  const CliResult table = Cli({"locks"});
  ASSERT_EQ(table.exit, 0) << table.err;
  EXPECT_EQ(table.out.rfind("ID", 0), 0u) << table.out;
  for (const char* column : {"NAME", "ONLINE", "STATE", "DOOR", "BATTERY", "MODE", "Lock 1", "yes", "%"}) {
    EXPECT_NE(table.out.find(column), std::string::npos) << column << " in\n" << table.out;
  }
  const CliResult json = Cli({"locks", "--json"});
  ASSERT_EQ(json.exit, 0) << json.err;
  const Json list = Json::parse(json.out, nullptr, false);
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], lock_id_);
  EXPECT_EQ(list[0]["name"], "Lock 1");
}

TEST_F(CliTest, PinsUsersAndRemoteCommands) {
  // The PIN comes from stdin, so it stays out of the shell's history.
  const CliResult pin = Cli({"pin", "add", "Lock 1", "--pin", "-", "--json"}, "135790\n");
  ASSERT_EQ(pin.exit, 0) << pin.err;
  const Json added = Json::parse(pin.out, nullptr, false);
  ASSERT_TRUE(added.contains("user")) << pin.out;
  const std::string user = added["user"].dump();

  const CliResult users = Cli({"users", "Lock 1"});
  ASSERT_EQ(users.exit, 0) << users.err;
  for (const char* text : {"INDEX", "NAME", "TYPE", "STATUS", "CREDENTIALS", "unrestricted", "enabled", "pin "}) {
    EXPECT_NE(users.out.find(text), std::string::npos) << text << " in\n" << users.out;
  }

  for (const auto& [args, state] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"unlock", "Lock 1"}, "unlocked"},
           {{"lock", "Lock 1", "--pin", "135790"}, "locked"},
           {{"unlock", lock_id_, "--pin", "135790"}, "unlocked"},
           {{"lock", lock_id_}, "locked"}}) {
    const CliResult r = Cli(args);
    EXPECT_EQ(r.exit, 0) << args[0] << ": " << r.err;
    EXPECT_EQ(r.out, "Lock 1: " + state + "\n");
  }
  const CliResult json = Cli({"unlock", "Lock 1", "--pin", "-", "--json"}, "135790\n");
  ASSERT_EQ(json.exit, 0) << json.err;
  EXPECT_EQ(Json::parse(json.out, nullptr, false), (Json{{"result", "ok"}, {"lock_state", "unlocked"}}));

  const CliResult wrong = Cli({"lock", "Lock 1", "--pin", "000000"});
  EXPECT_EQ(wrong.exit, 1);
  EXPECT_EQ(wrong.err, "denied: invalid_credential\n");
  EXPECT_EQ(wrong.out, "");

  // A user's life: add, change, show, remove.
  const CliResult alice = Cli({"user", "add", "Lock 1", "--name", "alice", "--type", "disposable", "--json"});
  ASSERT_EQ(alice.exit, 0) << alice.err;
  const std::string index = Json::parse(alice.out, nullptr, false)["index"].dump();
  const CliResult set = Cli({"user", "set", "Lock 1", index, "--status", "disabled"});
  EXPECT_EQ(set.exit, 0) << set.err;
  EXPECT_NE(set.out.find("'alice' (disposable, disabled)"), std::string::npos) << set.out;
  const CliResult card = Cli({"card", "add", "Lock 1", "--uid", "04:a1:b2:c3", "--user", index});
  EXPECT_EQ(card.exit, 0) << card.err;
  const CliResult show = Cli({"users", "Lock 1"});
  EXPECT_NE(show.out.find("alice"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("rfid "), std::string::npos) << show.out;
  EXPECT_EQ(Cli({"user", "rm", "Lock 1", index}).exit, 0);
  const CliResult gone = Cli({"user", "show", "Lock 1", index});
  EXPECT_EQ(gone.exit, 1);
  EXPECT_EQ(gone.err.rfind("not_found: ", 0), 0u) << gone.err;
  EXPECT_EQ(Cli({"user", "show", "Lock 1", user}).exit, 0);
}

TEST_F(CliTest, UnknownLockAndUsageErrors) {
  const CliResult unknown = Cli({"unlock", "Back Door"});
  EXPECT_EQ(unknown.exit, 1);
  EXPECT_EQ(unknown.err, "not_found: no lock with the id or name 'Back Door'\n");

  const CliResult no_lock = Cli({"unlock"});
  EXPECT_EQ(no_lock.exit, 2) << no_lock.err;
  const CliResult neither = Cli({"lock"});
  EXPECT_EQ(neither.exit, 2) << neither.err;
  EXPECT_NE(neither.err.find("--data"), std::string::npos) << neither.err;
  const CliResult daemon_option = Cli({"lock", "Lock 1", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(daemon_option.exit, 2) << daemon_option.err;
  // https:// to this plain HTTP hub: the TLS handshake fails, and nothing is sent in the clear.
  const CliResult https =
      Cli({"locks", "--url", "https://127.0.0.1:" + std::to_string(port_), "--token", StoredToken()});
  EXPECT_EQ(https.exit, 1) << https.err;
  EXPECT_NE(https.err.find("no TLS connection"), std::string::npos) << https.err;
  const CliResult ftp = Cli({"locks", "--url", "ftp://127.0.0.1:" + std::to_string(port_)});
  EXPECT_EQ(ftp.exit, 2) << ftp.err;
  const CliResult bad_kind = Cli({"history", "Lock 1", "--kind", "nonsense"});
  EXPECT_EQ(bad_kind.exit, 2);
  // The stored token is only sent to the hub that issued it.
  const CliResult elsewhere = Cli({"locks", "--url", "http://127.0.0.1:1"});
  EXPECT_EQ(elsewhere.exit, 1);
  EXPECT_NE(elsewhere.err.find("unauthorized: not logged in to http://127.0.0.1:1"), std::string::npos)
      << elsewhere.err;
}

TEST_F(CliTest, HistoryShowsTheUnlockAndFollowPrintsNewEvents) {
  ASSERT_EQ(Cli({"unlatch", "Lock 1"}).exit, 0);
  const CliResult history = Cli({"history", "Lock 1"});
  ASSERT_EQ(history.exit, 0) << history.err;
  EXPECT_EQ(history.out.rfind("SEQ", 0), 0u) << history.out;
  EXPECT_TRUE(HasLine(history.out, {"lock_operation", "unlatch", "remote by owner", "ok"})) << history.out;

  const CliResult json = Cli({"history", "Lock 1", "--kind", "lock_operation", "--limit", "3", "--json"});
  ASSERT_EQ(json.exit, 0) << json.err;
  const Json events = Json::parse(json.out, nullptr, false)["events"];
  ASSERT_TRUE(events.is_array());
  ASSERT_GE(events.size(), 1u);
  EXPECT_LE(events.size(), 3u);
  for (const Json& e : events) EXPECT_EQ(e["kind"], "lock_operation");
  EXPECT_EQ(events.back()["operation"], "unlatch");

  ASSERT_EQ(Cli({"pin", "add", "Lock 1", "--pin", "246813"}).exit, 0);
  const std::string out = dir_->path() + "/follow.out";
  Process follow;
  ASSERT_TRUE(follow.Start({LATCHKEY_BINARY, "history", "Lock 1", "--follow", "--limit", "1"},
                           CliOptions(dir_->path() + "/empty", out, dir_->path() + "/follow.err")));
  const auto wait_for = [&](const std::string& text) {
    return WaitUntil([&] { return ReadFile(out).find(text) != std::string::npos; }, 5s);
  };
  EXPECT_TRUE(wait_for("SEQ")) << ReadFile(out) << ReadFile(dir_->path() + "/follow.err");
  const Json press = HubHttp(port_, "POST", "/api/v1/locks/" + lock_id_ + "/sim/keypad", StoredToken(),
                             Json{{"keys", "246813#"}});
  EXPECT_EQ(press["status"], 200) << press.dump();
  EXPECT_TRUE(wait_for("keypad")) << ReadFile(out) << ReadFile(dir_->path() + "/follow.err");
  EXPECT_TRUE(HasLine(ReadFile(out), {"lock_operation", "unlock (pin ", "keypad", "ok"})) << ReadFile(out);
  follow.Terminate(10s);
}

// Last in the file: it logs out, then in again for whatever runs after it.
TEST_F(CliTest, LogoutRevokesTheToken) {
  const std::string token = StoredToken();
  ASSERT_FALSE(token.empty());
  const CliResult logout = Cli({"logout"});
  ASSERT_EQ(logout.exit, 0) << logout.err;
  EXPECT_FALSE(std::filesystem::exists(CredentialsPath()));

  const CliResult after = Cli({"locks"});
  EXPECT_EQ(after.exit, 1);
  EXPECT_NE(after.err.find("unauthorized: "), std::string::npos) << after.err;
  EXPECT_NE(after.err.find("log in with `latchkey login`"), std::string::npos) << after.err;
  const CliResult revoked = Cli({"locks", "--url", url_, "--token", token});
  EXPECT_EQ(revoked.exit, 1);
  EXPECT_EQ(revoked.err.rfind("unauthorized: ", 0), 0u) << revoked.err;

  ASSERT_EQ(Login().exit, 0);
}

}  // namespace
}  // namespace latchkey::testing
