#include "store/secret_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

namespace latchkey::store {

using core::Result;
using core::Status;

namespace {

Status Errno(const std::string& what, int error) {
  return Status::IoError(what + ": " + std::strerror(error));
}

// Closes a descriptor on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now and reports the error: for a file just written, close can be the first call
  // to learn that the data did not make it (on NFS, for instance).
  Status Close(const std::string& path) {
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return Errno("close " + path, errno);
    return Status::Ok();
  }

 private:
  int fd_;
};

Status WriteAll(int fd, const uint8_t* data, std::size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write " + path, errno);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

// Reads up to `size` bytes (fewer only at the end of the file).
Result<std::size_t> ReadUpTo(int fd, uint8_t* data, std::size_t size, const std::string& path) {
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::read(fd, data + got, size - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("read " + path, errno);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return got;
}

// A unique temporary file beside `path` (same directory, so that rename and link stay on one
// file system), created with O_EXCL by mkstemp. `*tmp_path` receives its name.
Result<int> CreateTemp(const std::string& path, mode_t mode, std::string* tmp_path) {
  std::vector<char> name(path.begin(), path.end());
  for (char c : std::string_view(".tmp.XXXXXX")) name.push_back(c);
  name.push_back('\0');
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return Errno("create a temporary file beside " + path, errno);
  *tmp_path = name.data();
  // mkstemp makes 0600; set the mode asked for explicitly, independent of the umask.
  if (::fchmod(fd, mode) != 0) {
    const int error = errno;
    ::close(fd);
    ::unlink(tmp_path->c_str());
    return Errno("chmod " + *tmp_path, error);
  }
  return fd;
}

// Writes `size` bytes into a new temporary file beside `path` and syncs it.
Result<std::string> WriteTemp(const std::string& path, const uint8_t* data, std::size_t size, mode_t mode) {
  std::string tmp;
  auto created = CreateTemp(path, mode, &tmp);
  LATCHKEY_TRY(created);
  Fd fd(*created);
  Status s = WriteAll(fd.get(), data, size, tmp);
  if (s.ok() && ::fsync(fd.get()) != 0) s = Errno("fsync " + tmp, errno);
  if (s.ok()) s = fd.Close(tmp);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  return tmp;
}

Result<Secret> ReadSecret(const std::string& path, int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Errno("stat " + path, errno);
  if (!S_ISREG(st.st_mode)) return Status::IoError("secret " + path + " is not a regular file");
  if (st.st_uid != ::geteuid()) {
    return Status::IoError("secret " + path + " belongs to uid " + std::to_string(st.st_uid) +
                           ", not to this process's uid " + std::to_string(::geteuid()));
  }
  if ((st.st_mode & 077) != 0 || (st.st_mode & S_IRUSR) == 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::IoError("secret " + path + " has mode " + mode +
                           "; it must be readable by its owner only (chmod 600 " + path + ")");
  }
  if (st.st_size != static_cast<off_t>(Secret{}.size())) {
    return Status::IoError("secret " + path + " has " + std::to_string(st.st_size) + " bytes, not " +
                           std::to_string(Secret{}.size()));
  }
  Secret secret{};
  // One byte more than a secret, so that a file that grew after the fstat is caught too.
  uint8_t buffer[sizeof(Secret) + 1];
  auto got = ReadUpTo(fd, buffer, sizeof buffer, path);
  LATCHKEY_TRY(got);
  if (*got != secret.size()) {
    sodium_memzero(buffer, sizeof buffer);
    return Status::IoError("secret " + path + " changed size while it was read");
  }
  std::memcpy(secret.data(), buffer, secret.size());
  sodium_memzero(buffer, sizeof buffer);
  return secret;
}

}  // namespace

Status SyncParentDirectory(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return Errno("open directory " + dir.string(), errno);
  if (::fsync(fd.get()) != 0) return Errno("fsync directory " + dir.string(), errno);
  return Status::Ok();
}

Result<Secret> LoadOrCreateSecret(const std::string& path) {
  // O_NOFOLLOW: a symlink planted in the data directory must not redirect the key elsewhere.
  for (int attempt = 0; attempt < 2; ++attempt) {
    Fd existing(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (existing.get() >= 0) return ReadSecret(path, existing.get());
    if (errno != ENOENT) return Errno("open secret " + path, errno);
    if (attempt > 0) break;

    if (sodium_init() < 0) return Status::IoError("libsodium cannot initialise (no random source)");
    Secret secret{};
    randombytes_buf(secret.data(), secret.size());
    auto tmp = WriteTemp(path, secret.data(), secret.size(), S_IRUSR | S_IWUSR);
    sodium_memzero(secret.data(), secret.size());
    LATCHKEY_TRY(tmp);
    // link, unlike rename, fails when `path` exists: if another process created the secret
    // between our open and now, theirs stays and we read it on the next turn of the loop.
    const int linked = ::link(tmp->c_str(), path.c_str());
    const int link_error = errno;
    ::unlink(tmp->c_str());
    if (linked != 0 && link_error != EEXIST) return Errno("link " + *tmp + " to " + path, link_error);
    LATCHKEY_TRY(SyncParentDirectory(path));
  }
  return Status::IoError("secret " + path + " vanished while it was created");
}

Status WriteFileAtomically(const std::string& path, std::string_view contents, mode_t mode) {
  auto tmp = WriteTemp(path, reinterpret_cast<const uint8_t*>(contents.data()), contents.size(), mode);
  LATCHKEY_TRY(tmp);
  if (::rename(tmp->c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(tmp->c_str());
    return Errno("rename " + *tmp + " to " + path, error);
  }
  return SyncParentDirectory(path);
}

}  // namespace latchkey::store
