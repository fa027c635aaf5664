#include "core/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

namespace vigil {
namespace {

constexpr mode_t kPrivateFile = 0600;
constexpr mode_t kPrivateFolder = 0700;

tl::unexpected<Error> IoError(std::string_view what, const std::string& path, int err) {
  return Fail("io_error", fmt::format("cannot {} {}: {}", what, path, std::strerror(err)));
}

// chmod by path: no descriptor is opened, so no lock of this process is dropped.
Result<void> Tighten(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return IoError("stat", path, errno);
  }
  if ((st.st_mode & 077) == 0) return {};
  if (::chmod(path.c_str(), st.st_mode & 0700) != 0) return IoError("chmod", path, errno);
  return {};
}

Result<void> FsyncFolder(const std::string& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open", folder, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return IoError("fsync", folder, err);
  return {};
}

std::string ParentOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? std::string(".") : dir;
}

}  // namespace

Result<void> MakePrivateFolders(const std::string& folder) {
  if (folder.empty()) return {};
  std::vector<std::filesystem::path> missing;
  std::error_code ec;
  for (std::filesystem::path p = folder; !p.empty() && !std::filesystem::exists(p, ec);
       p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), kPrivateFolder) != 0 && errno != EEXIST) return IoError("create", it->string(), errno);
    // mkdir's mode is filtered by the umask; the folder is ours, so set it exactly.
    if (::chmod(it->c_str(), kPrivateFolder) != 0) return IoError("chmod", it->string(), errno);
  }
  struct stat st {};
  if (::stat(folder.c_str(), &st) != 0) return IoError("stat", folder, errno);
  if (!S_ISDIR(st.st_mode)) return Fail("io_error", fmt::format("{} is not a folder", folder));
  return {};
}

Result<void> PrepareSqliteFile(const std::string& path) {
  if (auto r = MakePrivateFolders(std::filesystem::path(path).parent_path().string()); !r) return r;
  // O_EXCL: the file is new, so no SQLite connection of this process holds a lock on it, and
  // closing this descriptor drops none.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kPrivateFile);
  if (fd >= 0) {
    const int rc = ::fchmod(fd, kPrivateFile);  // the umask may have taken bits off, never added
    const int err = errno;
    ::close(fd);
    if (rc != 0) return IoError("chmod", path, err);
    return {};
  }
  if (errno != EEXIST) return IoError("create", path, errno);
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    if (auto r = Tighten(path + suffix); !r) return r;
  }
  return {};
}

Result<bool> WritePrivateFile(const std::string& path, std::string_view bytes, ExistingFile existing) {
  const std::string folder = ParentOf(path);
  if (auto r = MakePrivateFolders(folder); !r) return tl::unexpected(r.error());
  const std::string tmp = fmt::format("{}.tmp{}", path, ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, kPrivateFile);
  if (fd < 0) return IoError("create", tmp, errno);
  auto fail = [&](std::string_view what) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return IoError(what, tmp, err);
  };
  if (::fchmod(fd, kPrivateFile) != 0) return fail("chmod");
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write");
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("fsync");
  ::close(fd);
  bool written = true;
  if (existing == ExistingFile::kReplace) {
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return IoError("rename into", path, err);
    }
  } else {
    // link() fails when the file exists: whoever made it first wins, and theirs is kept.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      if (err != EEXIST) return IoError("create", path, err);
      return false;
    }
    ::unlink(tmp.c_str());
  }
  if (auto r = FsyncFolder(folder); !r) return tl::unexpected(r.error());
  return written;
}

}  // namespace vigil
