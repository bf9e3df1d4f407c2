// strix wipe: see wipe.h. The checks run in this order: the path (a real directory, not
// "/", not a symbolic link), its shape (Strix's entries and only those), the locks
// (taken and kept), then the confirmation, then the deletion (which never follows a
// symbolic link out of the directory).
#include "wipe.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/result.h"
#include "core/status.h"

namespace strix::tools {
namespace {

// What strixd makes in its data directory (server/config.h: storage/, meta.db; core/daemon
// under --start: strixd.pid, strixd.log) and what the engine makes in storage/.
bool KnownDataDirEntry(std::string_view n) {
  return n == "storage" || n == "meta.db" || n == "meta.db-wal" || n == "meta.db-shm" ||
         n == "meta.db-journal" || n == "strixd.pid" || n == "strixd.log" ||
         n.starts_with("strixd.log.");
}
bool KnownStorageEntry(std::string_view n) { return n == "LOCK" || n == "wal" || n == "blocks"; }

bool IsDir(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsSqliteFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  char head[16] = {};
  const bool ok = ::read(fd, head, sizeof(head)) == 16 &&
                  std::string_view(head, 16) == std::string_view("SQLite format 3\0", 16);
  ::close(fd);
  return ok;
}

std::string HumanBytes(uint64_t b) {
  if (b < 1024) return fmt::format("{} bytes", b);
  if (b < (1ULL << 20)) return fmt::format("{:.1f} KiB", static_cast<double>(b) / 1024);
  if (b < (1ULL << 30)) return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1 << 20));
  return fmt::format("{:.2f} GiB", static_cast<double>(b) / (1ULL << 30));
}

struct Tally {
  uint64_t files = 0, dirs = 0, bytes = 0;
};

// Sizes without following symbolic links (a link counts as a file of its own size).
Status Measure(const std::string& path, Tally* t) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return Status::FromErrno(errno, "lstat", path);
  if (!S_ISDIR(st.st_mode)) {
    ++t->files;
    t->bytes += static_cast<uint64_t>(st.st_size);
    return Status::Ok();
  }
  ++t->dirs;
  STRIX_ASSIGN_OR_RETURN(std::vector<std::string> names, Env::Default().ListDir(path));
  for (const std::string& n : names) STRIX_RETURN_IF_ERROR(Measure(JoinPath(path, n), t));
  return Status::Ok();
}

// Deletes the tree; a symbolic link is removed, never followed.
Status RemoveTree(const std::string& path, Tally* done) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::FromErrno(errno, "lstat", path);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(path.c_str()) != 0) return Status::FromErrno(errno, "unlink", path);
    ++done->files;
    done->bytes += static_cast<uint64_t>(st.st_size);
    return Status::Ok();
  }
  STRIX_ASSIGN_OR_RETURN(std::vector<std::string> names, Env::Default().ListDir(path));
  for (const std::string& n : names) STRIX_RETURN_IF_ERROR(RemoveTree(JoinPath(path, n), done));
  if (::rmdir(path.c_str()) != 0) return Status::FromErrno(errno, "rmdir", path);
  ++done->dirs;
  return Status::Ok();
}

// An exclusive flock held until destruction.
class HeldLock {
 public:
  explicit HeldLock(int fd) : fd_(fd) {}
  HeldLock(HeldLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  HeldLock(const HeldLock&) = delete;
  HeldLock& operator=(const HeldLock&) = delete;
  ~HeldLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the flock
  }

 private:
  int fd_;
};

// Takes the flock that strixd holds on `path` while it runs (storage LOCK files, the pid
// file). A missing file is fine: nothing holds it. FailedPrecondition when another
// process holds the lock.
Status TakeLock(const std::string& path, std::string_view what, std::vector<HeldLock>* held) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::FromErrno(errno, "open", path);
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::string pid;
    char buf[32] = {};
    if (err == EWOULDBLOCK && ::pread(fd, buf, sizeof(buf) - 1, 0) > 0 && what == "pid") {
      pid = fmt::format(" (pid {})", std::strtol(buf, nullptr, 10));
    }
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Status::FailedPrecondition(fmt::format(
          "a strixd is using it{}: {} is locked by another process; stop strixd first", pid, path));
    }
    return Status::FromErrno(err, "flock", path);
  }
  held->emplace_back(fd);
  return Status::Ok();
}

// SQLite in WAL mode keeps a POSIX read lock on meta.db-shm while a connection is open
// (strixd, or strix token/user at work). F_GETLK reports a lock of another process.
Status CheckSqliteUnused(const std::string& shm) {
  int fd = ::open(shm.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return errno == ENOENT ? Status::Ok() : Status::FromErrno(errno, "open", shm);
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  const int rc = ::fcntl(fd, F_GETLK, &fl);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Status::FromErrno(err, "fcntl(F_GETLK)", shm);
  if (fl.l_type != F_UNLCK) {
    return Status::FailedPrecondition(
        fmt::format("its metadata database is open in another process (pid {}: strixd, or a strix "
                    "token/user command); stop it first",
                    fl.l_pid));
  }
  return Status::Ok();
}

int Refuse(const std::string& msg) {
  std::fprintf(stderr, "strix wipe: %s; nothing deleted\n", msg.c_str());
  return 1;
}

}  // namespace

int Wipe(const WipeOptions& o) {
  std::string given = o.data_dir;
  while (given.size() > 1 && given.back() == '/') given.pop_back();
  if (given.empty()) return Refuse("--data-dir is empty");
  struct stat st;
  if (::lstat(given.c_str(), &st) != 0) {
    return Refuse(fmt::format("cannot use {}: {}", given, std::strerror(errno)));
  }
  if (S_ISLNK(st.st_mode)) {
    return Refuse(fmt::format("{} is a symbolic link: name the directory itself", given));
  }
  if (!S_ISDIR(st.st_mode)) return Refuse(fmt::format("{} is not a directory", given));
  char resolved[PATH_MAX];
  if (::realpath(given.c_str(), resolved) == nullptr) {
    return Refuse(fmt::format("cannot resolve {}: {}", given, std::strerror(errno)));
  }
  const std::string dir = resolved;
  if (dir == "/") return Refuse("refusing to delete /");
  const std::string name = dir.substr(dir.rfind('/') + 1);

  // The shape: a strixd data directory (storage/ and/or meta.db) or a storage directory
  // (wal/, blocks/), holding nothing else.
  Result<std::vector<std::string>> entries = Env::Default().ListDir(dir);
  if (!entries.ok()) return Refuse(entries.status().ToString());
  const bool data_layout =
      IsDir(JoinPath(dir, "storage")) || IsSqliteFile(JoinPath(dir, "meta.db"));
  const bool storage_layout =
      !data_layout && (IsDir(JoinPath(dir, "wal")) || IsDir(JoinPath(dir, "blocks")));
  if (!data_layout && !storage_layout) {
    return Refuse(fmt::format(
        "{} does not look like a Strix data directory: it holds {} (expected storage/ or "
        "meta.db, as strixd makes them)",
        dir, entries->empty() ? "nothing" : "neither storage/ nor a meta.db"));
  }
  std::vector<std::string> unknown;
  auto check = [&](const std::string& sub, const std::vector<std::string>& names, auto known) {
    for (const std::string& n : names) {
      if (!known(n)) unknown.push_back(sub.empty() ? n : sub + "/" + n);
    }
  };
  const std::string storage = data_layout ? JoinPath(dir, "storage") : dir;
  if (data_layout) {
    check("", *entries, KnownDataDirEntry);
    if (IsDir(storage)) {
      Result<std::vector<std::string>> s = Env::Default().ListDir(storage);
      if (!s.ok()) return Refuse(s.status().ToString());
      check("storage", *s, KnownStorageEntry);
    }
  } else {
    check("", *entries, KnownStorageEntry);
  }
  if (!unknown.empty()) {
    std::string list;
    for (size_t i = 0; i < unknown.size() && i < 5; ++i) list += (i ? ", " : "") + unknown[i];
    if (unknown.size() > 5) list += fmt::format(" and {} more", unknown.size() - 5);
    return Refuse(fmt::format(
        "{} holds files that strixd does not make ({}): it may not be (only) a Strix data "
        "directory. Move them away first",
        dir, list));
  }

  // Not while a strixd holds it: take its locks and keep them until the end.
  std::vector<HeldLock> held;
  for (const auto& [path, what] :
       {std::pair<std::string, std::string_view>{JoinPath(storage, "LOCK"), "storage"},
        {JoinPath(JoinPath(storage, "wal"), "LOCK"), "wal"},
        {JoinPath(dir, "strixd.pid"), "pid"}}) {
    Status s = TakeLock(path, what, &held);
    if (!s.ok()) return Refuse(fmt::format("{}: {}", dir, s.message()));
  }
  if (data_layout) {
    Status s = CheckSqliteUnused(JoinPath(dir, "meta.db-shm"));
    if (!s.ok()) return Refuse(fmt::format("{}: {}", dir, s.message()));
  }

  Tally size;
  if (Status s = Measure(dir, &size); !s.ok()) return Refuse(s.ToString());
  std::printf(
      "strix wipe: this deletes %s (a Strix %s directory): %llu files, %llu directories, "
      "%s\n",
      dir.c_str(), data_layout ? "data" : "storage", static_cast<unsigned long long>(size.files),
      static_cast<unsigned long long>(size.dirs), HumanBytes(size.bytes).c_str());
  std::fflush(stdout);
  if (!o.yes) {
    std::fprintf(stderr, "Type the directory's name (%s) to delete it: ", name.c_str());
    std::fflush(stderr);
    std::string typed;
    if (!std::getline(std::cin, typed)) {
      std::fprintf(stderr, "\n");
      return Refuse("no confirmation on standard input (type the name, or pass --yes)");
    }
    if (!typed.empty() && typed.back() == '\r') typed.pop_back();
    if (typed != name) {
      return Refuse(fmt::format("\"{}\" is not the directory's name \"{}\"", typed, name));
    }
  }

  Tally done;
  Status s = RemoveTree(dir, &done);
  if (!s.ok()) {
    std::fprintf(stderr,
                 "strix wipe: deleting %s stopped: %s; %llu of %llu files were deleted, the "
                 "rest remains\n",
                 dir.c_str(), s.ToString().c_str(), static_cast<unsigned long long>(done.files),
                 static_cast<unsigned long long>(size.files));
    return 1;
  }
  std::printf("strix wipe: deleted %s (%llu files, %s)\n", dir.c_str(),
              static_cast<unsigned long long>(done.files), HumanBytes(done.bytes).c_str());
  return 0;
}

}  // namespace strix::tools
