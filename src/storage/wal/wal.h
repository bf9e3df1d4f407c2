// Wal: the write-ahead log of the embedded engine (docs/format/wal.md). Storage's
// Append(batch) hands its encoded record to Wal::Append and acknowledges the batch only
// when that returns OK.
//
// Durability contract:
//   * sync_interval_ms == 0 (default): Append returns OK only after its records are
//     written AND fdatasync'ed. Concurrent appenders are group-committed (leveldb's
//     writer queue): the first waiter becomes the leader, takes every queued batch (up
//     to kMaxGroupBytes), writes them with one write per segment touched, syncs once and
//     wakes the followers with the shared result.
//   * sync_interval_ms == N > 0: Append returns after write(2); a background thread
//     fdatasyncs every N ms. A machine crash (not a process crash: the page cache
//     survives that) loses at most the records of the last N ms plus one fsync.
//   * Sticky errors: once a write or fsync fails (EIO, ENOSPC, ...) the file's state is
//     unknown (a failed fsync may have dropped dirty pages), so that Append, and every
//     later Append, Sync, NextSegment and WriteCheckpoint, returns the same error until
//     the Wal is reopened; reopening re-reads the disk and cuts any torn tail. Records
//     of Appends that returned OK stay readable. Records of an Append that failed may or
//     may not be present after reopening.
//
// Segment rotation: a new segment starts when the next record would take the current
// one past segment_bytes. A record larger than segment_bytes gets a segment of its own
// (records are never split). The old segment is fdatasync'ed before the next is
// created, so only the last segment can ever hold unsynced bytes.
//
// Thread-safety: every method may be called concurrently, except that Close (and the
// destructor) must not race with other calls.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/env.h"
#include "core/mutex.h"
#include "core/result.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "storage/wal/reader.h"

namespace strix::storage::wal {

struct WalOptions {
  // Start a new segment when the next record would make the current one exceed this
  // size. Must leave room for the 20-byte file header.
  uint64_t segment_bytes = 128 << 20;
  // 0: Append returns once durable. N > 0: Append returns after write(2) and a background
  // thread fdatasyncs every N ms (at most 60000).
  int sync_interval_ms = 0;
  // Corruption before the last segment, found at Open (a torn tail of the last segment
  // is always truncated).
  CorruptionPolicy on_corruption = CorruptionPolicy::kTruncate;
  // Measures fsync latency; nullptr means Clock::Real().
  Clock* clock = nullptr;
};

// Fsync latency histogram bucket upper bounds in microseconds; a final bucket counts the
// rest.
inline constexpr std::array<uint64_t, 13> kFsyncBucketBoundsUs = {
    50, 100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 1'000'000};

struct WalMetrics {
  uint64_t appends = 0;        // Append calls that returned OK
  uint64_t records = 0;        // records written (including those of failed Appends)
  uint64_t bytes_written = 0;  // framed record bytes plus file headers, segments only
  uint64_t groups = 0;         // group commits (leader writes)
  uint64_t syncs = 0;          // fdatasync calls on segments
  uint64_t checkpoints = 0;    // checkpoints written
  uint64_t segments = 0;       // segment files on disk
  uint64_t current_segment = 0;
  uint64_t size_on_disk = 0;  // segment and checkpoint bytes
  // fsync_latency_us[i] counts syncs that took <= kFsyncBucketBoundsUs[i] µs (and more
  // than the bound before); the last entry counts slower ones.
  std::array<uint64_t, kFsyncBucketBoundsUs.size() + 1> fsync_latency_us{};
  uint64_t fsync_latency_sum_us = 0;
};

class Wal {
 public:
  // Called for every record of the WAL during Open, checkpoint first. An error from it
  // aborts Open with that error.
  using ReplayFn = std::function<Status(const RecordView&)>;

  // The flock'ed file that keeps a second writer out of the directory.
  static constexpr const char* kLockFileName = "LOCK";
  // A batch larger than this still forms a group of its own.
  static constexpr size_t kMaxGroupBytes = 4 << 20;

  // Opens (creating if needed) the WAL in `dir`: replays it through `replay`, deletes
  // stale files (checkpoint temp files, superseded checkpoints, segments a checkpoint
  // covers), truncates a torn tail of the last segment (logged as "wal: truncated torn
  // tail"), applies the corruption policy, fsyncs the old last segment and starts a new
  // one. On an error the records already replayed must be discarded by the caller.
  static Result<std::unique_ptr<Wal>> Open(Env& env, const std::string& dir,
                                           const WalOptions& options = {},
                                           const ReplayFn& replay = nullptr);
  // Close(), ignoring its error.
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Appends the records in order, all in the same group. Returns once they are durable
  // (or written, with sync_interval_ms > 0). InvalidArgument for a record of type 0 or a
  // payload above 256 MiB (nothing is written then).
  Status Append(std::span<const Record> records) STRIX_EXCLUDES(mu_, io_mu_);
  Status Append(const Record& record) STRIX_EXCLUDES(mu_, io_mu_) {
    return Append(std::span<const Record>(&record, 1));
  }
  // Makes everything appended so far durable (for sync_interval_ms > 0).
  Status Sync() STRIX_EXCLUDES(mu_, io_mu_);

  // Syncs and closes the current segment and starts a new one; returns its number. The
  // head then builds a checkpoint of everything before that number.
  Result<uint64_t> NextSegment() STRIX_EXCLUDES(mu_, io_mu_);
  // Atomically writes checkpoint.<N> (N = first_segment_not_covered) holding `records`,
  // which replace every segment numbered below N, then deletes those segments and the
  // previous checkpoint. Steps: write checkpoint.<N>.tmp, fsync, close, rename, fsync the
  // directory, delete. A crash at any step leaves a replayable WAL. N must not exceed the
  // current segment nor be below the current checkpoint. A failure here is not sticky:
  // it leaves the segments and the older checkpoint in place.
  Status WriteCheckpoint(std::span<const Record> records, uint64_t first_segment_not_covered)
      STRIX_EXCLUDES(ckpt_mu_, mu_, io_mu_);

  // Stops the background syncer, syncs and closes the segment. Later calls fail with
  // FailedPrecondition. Returns the sticky error, if any.
  Status Close() STRIX_EXCLUDES(ckpt_mu_, mu_, io_mu_);

  WalMetrics Metrics() const;
  const std::string& dir() const { return dir_; }

 private:
  struct PendingAppend;

  Wal(Env& env, std::string dir, WalOptions options);
  Status Recover(const ReplayFn& replay) STRIX_EXCLUDES(ckpt_mu_, mu_, io_mu_);

  // Writes a group's records (rotating as needed) and, in sync mode, syncs.
  Status WriteGroup(const std::vector<PendingAppend*>& group) STRIX_EXCLUDES(mu_, io_mu_);
  Status FlushScratchLocked() STRIX_REQUIRES(io_mu_);
  Status RotateLocked() STRIX_REQUIRES(io_mu_);
  Status OpenSegmentLocked(uint64_t number) STRIX_REQUIRES(io_mu_);
  Status SyncLocked() STRIX_REQUIRES(io_mu_);
  // Makes `s` the sticky error (keeps the first one).
  void RecordIoErrorLocked(const Status& s) STRIX_REQUIRES(io_mu_) STRIX_EXCLUDES(mu_);
  void SyncLoop(std::stop_token stop) STRIX_EXCLUDES(mu_, io_mu_);
  void AddDiskBytes(int64_t delta);

  Env& env_;
  const std::string dir_;
  const WalOptions options_;
  Clock& clock_;

  // Lock order: ckpt_mu_, then io_mu_, then mu_.
  Mutex ckpt_mu_ STRIX_ACQUIRED_BEFORE(io_mu_);
  // The next checkpoint must not be older than this one; 0 when there is none.
  uint64_t checkpoint_number_ STRIX_GUARDED_BY(ckpt_mu_) = 0;
  uint64_t checkpoint_bytes_ STRIX_GUARDED_BY(ckpt_mu_) = 0;

  // io_mu_ owns the open segment. The group-commit leader holds it while it writes and
  // syncs (never while holding mu_), as do the syncer, NextSegment and Close.
  Mutex io_mu_ STRIX_ACQUIRED_BEFORE(mu_);
  std::unique_ptr<WritableFile> file_ STRIX_GUARDED_BY(io_mu_);  // null once closed
  uint64_t segment_ STRIX_GUARDED_BY(io_mu_) = 0;
  bool dirty_ STRIX_GUARDED_BY(io_mu_) = false;   // bytes appended since the last sync
  std::string scratch_ STRIX_GUARDED_BY(io_mu_);  // encoded records not yet appended
  // Closed segments still on disk (number -> bytes); the open one is not in it.
  std::map<uint64_t, uint64_t> closed_segments_ STRIX_GUARDED_BY(io_mu_);
  Status io_error_ STRIX_GUARDED_BY(io_mu_);  // sticky; mirrors bg_error_

  // mu_ guards the writer queue: short critical sections only, never held during I/O.
  mutable Mutex mu_;
  std::deque<PendingAppend*> queue_ STRIX_GUARDED_BY(mu_);
  Status bg_error_ STRIX_GUARDED_BY(mu_);  // sticky: once set, Append fails with it
  bool closed_ STRIX_GUARDED_BY(mu_) = false;
  CondVar stop_cv_;  // wakes the syncer when it must stop

  // Metrics, readable without locks.
  std::atomic<uint64_t> m_appends_{0}, m_records_{0}, m_bytes_{0}, m_groups_{0}, m_syncs_{0},
      m_checkpoints_{0}, m_segments_{0}, m_current_segment_{0}, m_fsync_sum_us_{0};
  std::atomic<int64_t> m_disk_bytes_{0};
  std::array<std::atomic<uint64_t>, kFsyncBucketBoundsUs.size() + 1> m_fsync_buckets_{};

  std::unique_ptr<FileLock> lock_;  // set in Open, released by Close
  std::jthread syncer_;             // only with sync_interval_ms > 0; last member: stopped first
};

}  // namespace strix::storage::wal
