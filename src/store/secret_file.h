// Per-lock secrets on disk, and the small file operations that durable state needs.
//
// A lock has secrets that never leave it: the key of its credential digests (without it a
// stolen database does not reveal which PIN matches which digest) and the static key of its
// link. Each is 32 random bytes in its own file, readable by the lock's user only. They are
// made once, on first start, from the system's random source, and never rewritten: a new
// digest key would silently turn every stored credential into garbage.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace latchkey::store {

using Secret = std::array<uint8_t, 32>;

// Returns the secret kept at `path`, creating it first if there is no file there.
//
// An existing file is used only if it is a regular file of exactly 32 bytes, owned by this
// process's user and with no permission for group or others (mode 0600 or 0400): a key that
// others could read is an error to fix, not something to use quietly. A new file gets mode
// 0600 and 32 bytes from libsodium's randombytes_buf; it appears at `path` only when complete
// and synced (written beside it, then hard-linked into place, which never replaces a file that
// another process made meanwhile), so a crash during creation leaves either no key or the whole
// key, never an empty file that would refuse every later start.
core::Result<Secret> LoadOrCreateSecret(const std::string& path);

// Replaces the file at `path` with `contents`, so that after a crash at any point the file holds
// either its old contents or the new ones: writes a temporary file beside it with `mode`, syncs
// it, renames it over `path`, and syncs the directory so that the rename itself is durable.
core::Status WriteFileAtomically(const std::string& path, std::string_view contents, mode_t mode);

// Syncs the directory that holds `path`, which makes the creation, rename or removal of `path`
// durable (fsync of a file covers its data, not its name).
core::Status SyncParentDirectory(const std::string& path);

}  // namespace latchkey::store
