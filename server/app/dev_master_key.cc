#include "server/app/dev_master_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "domain/random.h"
#include "domain/secret_box.h"

namespace vigil {
namespace {

// A key file is a few dozen bytes; anything much larger is not one.
constexpr size_t kMaxKeyFileBytes = 256;

Status FileError(const std::string& what, const std::string& path) {
  return Status::Unavailable(what + " " + path + ": " + std::strerror(errno));
}

Result<std::string> ReadKeyFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return FileError("cannot open dev master key", path);
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    close(fd);
    return FileError("cannot stat dev master key", path);
  }
  if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
    close(fd);
    return Status::InvalidArgument("dev master key " + path +
                                   " must be a regular file only its owner can read (mode 0600)");
  }
  char buf[kMaxKeyFileBytes];
  const ssize_t n = read(fd, buf, sizeof(buf));
  close(fd);
  if (n < 0) return FileError("cannot read dev master key", path);
  std::string text(buf, static_cast<size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  auto key = SecretBox::ParseKey(text);
  if (!key) return Status::InvalidArgument("dev master key " + path + " does not hold a key");
  return *key;
}

// Creates the file only if it is absent (O_EXCL), so two servers starting at once agree on one key.
Status CreateKeyFile(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return errno == EEXIST ? Status::Ok() : FileError("cannot create", path);
  const std::string text = RandomHex(SecretBox::kKeyBytes) + "\n";
  const bool ok =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok) {
    unlink(path.c_str());
    return FileError("cannot write", path);
  }
  return Status::Ok();
}

}  // namespace

std::string DevMasterKeyPath(const std::string& db_path) { return db_path + ".dev-master-key"; }

Result<std::string> LoadOrCreateDevMasterKey(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return FileError("cannot stat dev master key", path);
    Status s = CreateKeyFile(path);
    if (!s.ok()) return s;
  }
  return ReadKeyFile(path);
}

}  // namespace vigil
