// Running the `latchkey` command line from an integration test, and the small things the phone-key
// tests share.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/phone_key.h"
#include "crypto/sodium_crypto.h"

namespace latchkey::testing {

struct CliRun {
  int exit_code = -1;  // -1: it could not be started or did not end within 30 s
  std::string out, err;
};

// `latchkey ARGS...` with its stdout and stderr in files under `dir`, in the test's environment
// without its LATCHKEY_* variables, plus `env_add` ("NAME=value").
CliRun RunCli(const std::string& dir, std::vector<std::string> args, std::vector<std::string> env_add = {});

// The Unix time in seconds (certificates' windows are set around it).
int64_t UnixNowS();

// A phone key as the hub would issue it: for `phone` on `lock_id` as `user`, from a minute ago
// for an hour, lock and unlock, epoch 0, signed by `home`. Tests change a field and call
// SignPhoneKey again.
core::PhoneKeyCert SignedPhoneKey(const crypto::Ed25519KeyPair& home, const std::string& lock_id, uint16_t user,
                                  const core::X25519PublicKey& phone, uint64_t serial);
void SignPhoneKey(const crypto::Ed25519KeyPair& home, core::PhoneKeyCert& cert);

}  // namespace latchkey::testing
