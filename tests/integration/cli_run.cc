#include "cli_run.h"

#include <chrono>

#include "process.h"
#include "tls_harness.h"

namespace latchkey::testing {

CliRun RunCli(const std::string& dir, std::vector<std::string> args, std::vector<std::string> env_add) {
  std::vector<std::string> argv{LATCHKEY_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions options;
  options.env_drop = {"LATCHKEY_"};
  options.env_add = std::move(env_add);
  options.stdout_path = dir + "/cli.out";
  options.stderr_path = dir + "/cli.err";
  options.truncate = true;
  Process cli;
  CliRun run;
  if (!cli.Start(argv, options)) return run;
  run.exit_code = cli.Wait(std::chrono::seconds(30)).value_or(-1);
  run.out = ReadFile(options.stdout_path);
  run.err = ReadFile(options.stderr_path);
  return run;
}

core::PhoneKeyCert SignedPhoneKey(const crypto::Ed25519KeyPair& home, const std::string& lock_id, uint16_t user,
                                  const core::X25519PublicKey& phone, uint64_t serial) {
  core::PhoneKeyCert c;
  c.serial = serial;
  c.lock = lock_id;
  c.user = user;
  c.phone = phone;
  c.not_before = UnixNowS() - 60;
  c.not_after = UnixNowS() + 3600;
  c.ops = {.lock = true, .unlock = true, .unlatch = false};
  SignPhoneKey(home, c);
  return c;
}

void SignPhoneKey(const crypto::Ed25519KeyPair& home, core::PhoneKeyCert& cert) {
  cert.sig = crypto::SignEd25519(home, core::PhoneKeySignedBytes(cert));
}

int64_t UnixNowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace latchkey::testing
