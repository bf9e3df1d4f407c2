// FaultyEnv: an Env for crash tests (sqlite's test6.c, leveldb's FaultInjectionTestEnv).
// It wraps a real Env (normally Env::Default() on a TempDir) and behaves like a machine
// whose power can be cut:
//
//  - Appends are held in memory (the "page cache") until the file's Sync(). Reads through
//    this Env see them, as the writing process would; the base file holds synced bytes only.
//  - Creating, renaming and removing a file is durable only after SyncDir() of its parent
//    directory (POSIX: fsync of the file does not persist its directory entry). A crash
//    brings back each changed name as it was at that directory's last SyncDir: a file
//    created and never dir-synced disappears, an unsynced rename is undone (the old
//    target comes back), an unsynced removal is undone (with the file's synced bytes).
//  - SimulateCrash() applies a power cut: each file's unsynced bytes are dropped, torn
//    (a random prefix survives, optionally with lost 512-byte sectors inside it) or garbled
//    (random bytes), per file from a seeded PRNG, so a run is reproducible from its seed.
//    Then unsynced directory changes are undone, every handle opened before becomes dead
//    (each later call fails with kFailedPrecondition) and file locks are released.
//  - CrashAtSync(n): the n-th Sync/SyncDir from now is the moment of the power cut: it
//    fails with kAborted and so does every later call, until SimulateCrash().
//  - Errors on demand: FailNthWrite (EIO...), FailSyncs, DiskFullAfter (ENOSPC), each as
//    Status::FromErrno with the path, like the real Env reports them.
//
// Simplifications (documented so that tests do not rely on them):
//  - CreateDirs, RemoveDir, TruncateFile, LockFile and truncation by NewWritableFile are
//    durable at once. Renaming a directory is passed through and not modelled.
//  - A directory is named by the exact string passed to SyncDir, which must equal
//    DirName(file path) (so spell paths consistently, as JoinPath does).
//  - The Env lock is held across base I/O: calls are serialised. Fine for tests.
//  - Base files are written at Sync but not fsynced (the crash is simulated; this keeps
//    crash-at-every-sync loops fast). Bytes synced to a file after it lost its name are
//    not revived by a crash.
//
// How a storage crash test uses it (the crash loop at the end of faulty_env_test.cc is a
// runnable miniature):
//
//   // 1. Count the sync points of a clean run.
//   uint64_t points = 0;
//   {
//     TempDir dir;
//     FaultyEnv env(Env::Default());
//     RunWorkload(env, dir.path());
//     points = env.SyncCount();
//   }
//   // 2. Cut the power at each one, recover, check the invariants.
//   for (uint64_t k = 1; k <= points; ++k) {
//     TempDir dir;
//     FaultyEnv env(Env::Default(), /*seed=*/k);
//     env.CrashAtSync(k);
//     // Fails from sync k on; returns what was acknowledged (its Sync returned OK) and
//     // what was attempted. Destroying the engine is harmless: its calls fail.
//     Outcome run = RunWorkload(env, dir.path());
//     ASSERT_TRUE(env.CrashPointHit());
//     ASSERT_TRUE(env.SimulateCrash(CrashMode::kMixed).ok());
//     auto db = Storage::Open(env, dir.path());       // recovery
//     CheckAllPresent(*db, run.acknowledged);          // nothing acknowledged is lost
//     CheckNothingPhantom(*db, run.attempted);         // nothing never written appears
//     State first = Snapshot(*db);
//     db.reset();
//     ASSERT_TRUE(env.SimulateCrash(CrashMode::kMixed).ok());
//     EXPECT_EQ(Snapshot(*Storage::Open(env, dir.path())), first);  // recovery is durable
//   }                                                                 // and idempotent
//
// Thread-safety: all methods may be called concurrently (one internal mutex). The
// FaultyEnv must outlive every handle it returned.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/mutex.h"
#include "core/thread_annotations.h"

namespace strix::testing {

// What a crash does to a file's unsynced bytes.
enum class CrashMode {
  kDrop,    // all lost
  kTear,    // a random prefix (0..all bytes, possibly cut mid-record) survives
  kGarble,  // replaced by random bytes
  kMixed,   // one of the three, chosen per file
};

struct CrashOptions {
  CrashMode mode = CrashMode::kMixed;
  // kTear: also zero some whole 512-byte sectors (file-offset aligned) inside the surviving
  // prefix, except the last whole one, as a disk that reorders sector writes would.
  bool lose_sectors = false;
  // kGarble: the garbage has a random length in [0, 2 * pending] instead of the pending
  // length (the file size was persisted but not the data, or the other way round).
  bool garble_random_length = false;
};

class FaultyEnv final : public Env {
 public:
  // `base` must outlive this object. `seed` drives every random choice of SimulateCrash.
  explicit FaultyEnv(Env& base, uint64_t seed = 1);
  ~FaultyEnv() override;
  FaultyEnv(const FaultyEnv&) = delete;
  FaultyEnv& operator=(const FaultyEnv&) = delete;

  // --- Env ---
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override;
  Result<std::unique_ptr<ReadOnlyRegion>> MapReadOnly(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  Result<uint64_t> FileSize(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& path) override;
  Status CreateDirs(const std::string& path) override;
  Status RemoveFile(const std::string& path) override;
  Status RemoveDir(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& path) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;
  // With DiskFullAfter active, available_bytes is at most the remaining budget.
  Result<DiskSpace> GetDiskSpace(const std::string& path) override;

  // --- Crash simulation ---
  // Power cut now (or after the crash point was hit): applies `options` to every file's
  // unsynced bytes, undoes unsynced directory changes, kills every open handle and lock,
  // and clears the crash point. Injected errors stay until ClearFaults(). Fails only if
  // the base Env fails.
  Status SimulateCrash(const CrashOptions& options);
  Status SimulateCrash(CrashMode mode);
  // The n-th Sync or SyncDir call from now (n >= 1; 0 disarms) does not sync: it returns
  // kAborted and so does every later call until SimulateCrash().
  void CrashAtSync(uint64_t n);
  // True once the crash point was hit (until SimulateCrash).
  bool CrashPointHit() const;

  // --- Error injection. A path filter "" matches every path, else any path containing it.
  // The n-th matching Append from now (n >= 1) fails with `err` and appends nothing.
  void FailNthWrite(uint64_t n, int err, std::string path_filter = {});
  // Every matching file Sync() fails with `err` (0 stops it); the bytes stay unsynced.
  void FailSyncs(int err, std::string path_filter = {});
  // After `bytes` more bytes have been appended to matching files, Append fails with
  // ENOSPC; the Append that crosses the limit stores the part that fits, as write(2) does.
  void DiskFullAfter(uint64_t bytes, std::string path_filter = {});
  // Removes every injected error and the crash point.
  void ClearFaults();

  // --- Counters and introspection ---
  // Sync and SyncDir calls since construction (including failed ones; not after a crash).
  uint64_t SyncCount() const;
  // Append calls since construction, and the bytes they stored.
  uint64_t AppendCount() const;
  uint64_t BytesAppended() const;
  // Unsynced bytes across all files that still have a name.
  uint64_t BytesPending() const;
  // Current paths of files with unsynced bytes, sorted.
  std::vector<std::string> FilesWithUnsyncedData() const;
  // Directories with creations, renames or removals not yet made durable by SyncDir.
  std::vector<std::string> DirsWithUnsyncedChanges() const;

 private:
  friend class FaultyWritableFile;
  friend class FaultyRandomAccessFile;
  friend class FaultyFileLock;

  // One file as the kernel sees it (an inode): it keeps its identity across renames.
  struct Node {
    std::string path;     // current name in the base Env; empty once unlinked
    uint64_t synced = 0;  // bytes in the base file, all of them durable
    std::string pending;  // appended after them, not yet synced
    // Synced bytes captured when the node lost its name while a crash could still bring
    // that name back (an unsynced removal or rename-over).
    std::optional<std::string> saved;
  };
  struct Fault {
    int err = 0;
    uint64_t countdown = 0;  // FailNthWrite: matching appends left before the failure
    std::string filter;
  };

  // The handle side (called by the file classes in faulty_env.cc).
  Status Append(uint64_t id, uint64_t generation, const std::string& path, std::string_view data,
                uint64_t* size) STRIX_EXCLUDES(mu_);
  Status Sync(uint64_t id, uint64_t generation, const std::string& path) STRIX_EXCLUDES(mu_);
  Status CheckHandle(uint64_t generation, const std::string& path) STRIX_EXCLUDES(mu_);
  Result<size_t> ReadAt(uint64_t id, uint64_t generation, const std::string& path,
                        const RandomAccessFile& base, uint64_t offset, size_t n, char* scratch)
      STRIX_EXCLUDES(mu_);
  Result<uint64_t> ReadSize(uint64_t id, uint64_t generation, const std::string& path)
      STRIX_EXCLUDES(mu_);
  void ReleaseLock(uint64_t key) STRIX_EXCLUDES(mu_);

  // Internals.
  // An error if a handle of `generation` is dead or the crash point was hit.
  Status HandleStatus(uint64_t generation, const std::string& path) const STRIX_REQUIRES(mu_);
  // Status of the next sync call: counts it and fires the crash point.
  Status CountSync(const std::string& path) STRIX_REQUIRES(mu_);
  // The node currently named `path`, registering a pre-existing file; 0 if none.
  uint64_t NodeFor(const std::string& path) STRIX_REQUIRES(mu_);
  // Records the durable state of `path` before its first change since its dir's SyncDir.
  void NoteDirChange(const std::string& path) STRIX_REQUIRES(mu_);
  bool DurablyReferenced(uint64_t id) const STRIX_REQUIRES(mu_);
  // Before node `id` loses its name: saves its synced bytes if a crash can revive it.
  Status PrepareUnlink(uint64_t id) STRIX_REQUIRES(mu_);
  // After it lost its name.
  void Unlinked(uint64_t id) STRIX_REQUIRES(mu_);
  Status WriteThrough(Node& node) STRIX_REQUIRES(mu_);
  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path, bool truncate)
      STRIX_EXCLUDES(mu_);
  Status WriteBase(const std::string& path, std::string_view data) STRIX_REQUIRES(mu_);
  Result<std::string> ReadBase(const std::string& path, uint64_t size) STRIX_REQUIRES(mu_);
  uint64_t NextRandom() STRIX_REQUIRES(mu_);
  std::string CrashedBytes(const Node& node, const CrashOptions& options) STRIX_REQUIRES(mu_);

  Env& base_;
  mutable Mutex mu_;
  uint64_t rng_ STRIX_GUARDED_BY(mu_);
  // Bumped by SimulateCrash; a handle from an older generation is dead.
  uint64_t generation_ STRIX_GUARDED_BY(mu_) = 1;
  bool crashed_ STRIX_GUARDED_BY(mu_) = false;
  uint64_t crash_at_sync_ STRIX_GUARDED_BY(mu_) = 0;  // absolute SyncCount; 0 = none
  uint64_t next_id_ STRIX_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Node> nodes_ STRIX_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> ids_ STRIX_GUARDED_BY(mu_);  // current path -> node
  // Invariant: for each directory with unsynced namespace changes, every changed path
  // maps to the node it named at the directory's last SyncDir (0 = absent then).
  std::map<std::string, std::map<std::string, uint64_t>> durable_ STRIX_GUARDED_BY(mu_);
  uint64_t next_lock_ STRIX_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, std::unique_ptr<FileLock>> locks_ STRIX_GUARDED_BY(mu_);

  Fault write_fault_ STRIX_GUARDED_BY(mu_);
  Fault sync_fault_ STRIX_GUARDED_BY(mu_);
  std::optional<uint64_t> space_left_ STRIX_GUARDED_BY(mu_);
  std::string space_filter_ STRIX_GUARDED_BY(mu_);

  uint64_t sync_count_ STRIX_GUARDED_BY(mu_) = 0;
  uint64_t append_count_ STRIX_GUARDED_BY(mu_) = 0;
  uint64_t bytes_appended_ STRIX_GUARDED_BY(mu_) = 0;
};

}  // namespace strix::testing
