#include "tls_harness.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "wait.h"

namespace latchkey::testing {

// --- the process ------------------------------------------------------------------------------

LatchkeyProcess::LatchkeyProcess() {
  char pattern[] = "/tmp/latchkey-tlstest-XXXXXX";
  const char* made = ::mkdtemp(pattern);
  if (made == nullptr) std::abort();
  dir_ = made;
}

LatchkeyProcess::~LatchkeyProcess() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void LatchkeyProcess::Spawn(const std::vector<std::string>& args_in) {
  std::vector<std::string> args = {LATCHKEY_BINARY};
  args.insert(args.end(), args_in.begin(), args_in.end());
  ProcessOptions options;
  options.env_drop = {"LATCHKEY_", "HOME=", "XDG_CONFIG_HOME="};
  options.env_add.push_back(std::string("LATCHKEY_OWNER_PASSWORD=") + HubDemo::kOwnerPassword);
  options.env_add.push_back("HOME=" + dir_);
  options.env_add.push_back("XDG_CONFIG_HOME=" + dir_ + "/config");
  options.stdout_path = dir_ + "/process.log";
  std::error_code ignored;
  std::filesystem::remove(options.stdout_path, ignored);  // one log per run
  process_.Start(args, options);
}

void LatchkeyProcess::WaitHealthy(uint16_t port, const HttpsOptions& options_in) {
  ASSERT_GT(process_.pid(), 0) << "cannot start " << LATCHKEY_BINARY;
  HttpsOptions options = options_in;
  options.timeout = 2s;
  HttpResult health;
  const bool healthy = WaitUntil([&] {
    if (!process_.Running()) return true;
    health = HttpsCall(port, "GET", "/healthz", "", options);
    return health.status == 200;
  }, 20s, 50ms);
  ASSERT_TRUE(process_.Running()) << "latchkey exited at start:\n" << Log();
  ASSERT_TRUE(healthy) << "/healthz did not answer over HTTPS in 20 s: " << health.Describe() << "\n" << Log();
}

std::optional<int> LatchkeyProcess::WaitExit(std::chrono::milliseconds timeout) { return process_.Wait(timeout); }

void LatchkeyProcess::Stop() { process_.Terminate(10s); }

std::string LatchkeyProcess::Log() const { return ReadFile(dir_ + "/process.log"); }

std::string PemFingerprint(const std::string& cert_path) {
  std::FILE* f = std::fopen(cert_path.c_str(), "r");
  if (f == nullptr) return "";
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (cert == nullptr) return "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(cert, EVP_sha256(), digest, &length);
  X509_free(cert);
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    char hex[4];
    std::snprintf(hex, sizeof hex, i + 1 < length ? "%02X:" : "%02X", digest[i]);
    out += hex;
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace latchkey::testing
