// Env: the one seam through which all file I/O goes (leveldb's Env, sqlite's VFS).
// Storage, the agent's disk buffer and the metadata store take an Env&, so tests can
// substitute one that holds writes until sync, tears them at a crash point, or fails
// the N-th call with EIO or ENOSPC (FaultyEnv, in storage tests).
//
// Every method reports failure as a Status; a failed system call keeps its errno
// (Status::sys_errno(), Status::IsNoSpace()).
//
// Thread-safety: Env methods may be called concurrently. A WritableFile is used by one
// thread at a time; RandomAccessFile and ReadOnlyRegion may be read concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/status.h"

namespace strix {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends at the end. Durable only after Sync() returns OK.
  virtual Status Append(std::string_view data) = 0;
  // Makes everything appended so far durable (fdatasync).
  virtual Status Sync() = 0;
  // Closes the file; further calls fail. Does not sync.
  virtual Status Close() = 0;
  // Size of the file as seen by this handle: existing bytes plus bytes appended.
  virtual uint64_t Size() const = 0;
};

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into scratch; returns how many were read, fewer than n
  // only at end of file.
  virtual Result<size_t> ReadAt(uint64_t offset, size_t n, char* scratch) const = 0;
  virtual Result<uint64_t> Size() const = 0;
};

// A read-only memory mapping of a whole file, valid while the object lives.
class ReadOnlyRegion {
 public:
  virtual ~ReadOnlyRegion() = default;
  virtual std::string_view data() const = 0;
};

// An exclusive advisory lock on a file (one process per data directory).
class FileLock {
 public:
  virtual ~FileLock() = default;
};

struct DiskSpace {
  uint64_t total_bytes = 0;
  uint64_t available_bytes = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // Creates or truncates `path` for writing.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // Opens `path` for appending, creating it if missing.
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;
  // Maps the whole file read-only. An empty file maps to an empty view.
  virtual Result<std::unique_ptr<ReadOnlyRegion>> MapReadOnly(const std::string& path) = 0;

  virtual bool FileExists(const std::string& path) = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  // Names in the directory, sorted, without "." and "..".
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) = 0;
  // Creates the directory and any missing parents; OK if it exists.
  virtual Status CreateDirs(const std::string& path) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Removes an empty directory.
  virtual Status RemoveDir(const std::string& path) = 0;
  // Atomically replaces `to` with `from` (rename(2)); durable after SyncDir of the parent.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // fsyncs a directory so that creations, renames and removals in it are durable.
  virtual Status SyncDir(const std::string& path) = 0;
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  // Takes an exclusive lock; fails with kUnavailable if another process holds it.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
  virtual Result<DiskSpace> GetDiskSpace(const std::string& path) = 0;

  // The real file system.
  static Env& Default();
};

// Helpers built on the Env interface (they work with any Env, fault-injecting ones too).

// Reads the whole file.
Result<std::string> ReadFileToString(Env& env, const std::string& path);
// Writes `data` to path.tmp, syncs it, renames it over `path` and syncs the directory:
// after a crash the file holds either the old or the new content, never a mix.
Status WriteFileAtomically(Env& env, const std::string& path, std::string_view data);
// Removes a directory tree. Missing is OK.
Status RemoveAll(Env& env, const std::string& path);

// "a/b" + "c" -> "a/b/c".
std::string JoinPath(std::string_view dir, std::string_view name);
// "a/b/c" -> "a/b"; "c" -> ".".
std::string DirName(std::string_view path);

}  // namespace strix
