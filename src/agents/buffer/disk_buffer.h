// DiskBuffer: the strix-agent's crash-safe store-and-forward buffer. Every batch the agent
// collects is appended here before it is sent; the sender thread takes records with
// Next(), POSTs them and Ack()s them once the server accepted them. Bytes on disk:
// docs/format/agent-buffer.md (segment files of checksummed records plus an ack log).
//
// Guarantees:
//  - Durability: with sync (the default) a record is fdatasync'ed before Append returns
//    OK, so kill -9 or a power cut never loses it. Sync() (the SIGTERM path) makes every
//    append and every ack so far durable.
//  - Delivery is at least once: a record stays pending until acked; acks not yet made
//    durable by Sync() (or by the ack log's periodic rewrite) may be lost in a crash, and
//    those records are then delivered again. The server's ingest is idempotent.
//  - Order: the newest record gets one immediate try ahead of the backlog (so dashboards
//    recover at once after an outage); everything else drains oldest first (see Next).
//  - Bounds: at most max_bytes of segment files and records at most max_age_ms old. The
//    oldest pending data is dropped first (whole segments for the byte bound) and the
//    drop is counted in Stats().
//  - Recovery at Open: a torn tail of the last segment is cut; a corrupt record in an
//    older segment loses the rest of that segment. Both are counted and logged, never
//    fatal. Seqs keep increasing across restarts.
//
// Thread-safety: all methods may be called concurrently. The intended use is Append from
// several input threads and Next/Ack from one sender thread. Appends are serialised among
// themselves (their fsync runs outside the state lock, so Next/Ack/Stats never wait for
// a disk flush); one directory is used by one DiskBuffer at a time (a LOCK file).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/env.h"
#include "core/mutex.h"
#include "core/result.h"
#include "core/status.h"
#include "core/thread_annotations.h"

namespace strix::agents::buffer {

struct BufferOptions {
  // The buffer's directory; created if missing.
  std::string dir;
  // Bound on the total bytes of segment files (headers, frames, acked records not yet
  // deleted). When an Append would exceed it, the oldest segments go first.
  uint64_t max_bytes = 1ull << 30;
  // Pending records older than this (clock.NowMillis() - created_ms) are dropped.
  int64_t max_age_ms = 7LL * 24 * 3600 * 1000;
  // Start a new segment when a record would take the current one past this size. A record
  // larger than this gets a segment of its own. At most 1 GiB.
  uint64_t segment_bytes = 4 << 20;
  // fdatasync each Append: durable when Append returns OK. Without it, appends are
  // durable after Sync() (a process crash loses nothing, a power cut may).
  bool sync = true;
};

struct Record {
  uint64_t seq = 0;
  int64_t created_ms = 0;
  std::string payload;
};

struct BufferStats {
  uint64_t pending_records = 0;    // appended, neither acked nor dropped
  uint64_t pending_bytes = 0;      // their framed size (24-byte record header + payload)
  int64_t oldest_pending_ms = -1;  // created_ms of the pending record with the lowest seq
  uint64_t disk_bytes = 0;         // all files of the buffer (segments and ack log)
  uint64_t segments = 0;           // segment files
  uint64_t appended_records = 0;   // since Open
  uint64_t acked_records = 0;      // since Open
  uint64_t dropped_records = 0;    // pending records dropped by a bound, since Open
  uint64_t dropped_bytes = 0;      // their framed size
  // Defects found since Open: each torn tail or corrupt record found at Open (whatever
  // followed it in that segment is lost with it), plus records that fail their CRC when
  // Next reads them.
  uint64_t corrupt_records = 0;
};

class DiskBuffer {
 public:
  // Opens (or creates) the buffer in opts.dir and recovers it. Fails on invalid options,
  // I/O errors, a directory locked by another DiskBuffer, or files written by a newer
  // format version (kUnimplemented; they are left untouched).
  static Result<std::unique_ptr<DiskBuffer>> Open(Env& env, Clock& clock, BufferOptions opts);

  // Closes the files. Does not sync: call Sync() first for a clean shutdown.
  ~DiskBuffer();
  DiskBuffer(const DiskBuffer&) = delete;
  DiskBuffer& operator=(const DiskBuffer&) = delete;

  // Appends a record and returns its seq. Enforces the bounds first: expired records are
  // dropped, then whole oldest segments until the new record fits in max_bytes (counted
  // as dropped). With sync the record is durable when this returns OK. A payload above
  // 64 MiB or too large for max_bytes is kInvalidArgument. A write or sync error (ENOSPC,
  // EIO) is returned and the partial record is cut off again, so no half record is ever
  // visible; if even that fails, the next Append starts a new segment.
  Result<uint64_t> Append(std::string_view payload, int64_t created_ms);

  // The next record to deliver, nullopt when nothing is pending:
  //  - the newest pending record, if Next has not handed it out since it was appended in
  //    this process (fresh data gets one immediate try ahead of the backlog);
  //  - otherwise the oldest pending record (the backlog drains in order).
  // Next does not advance by itself: until the record is acked (or dropped), the next call
  // returns the same oldest record again, so the sender retries it. Expired records are
  // dropped first. After a restart every record is backlog. A record whose bytes fail
  // their CRC is dropped (counted in corrupt_records) and the next one is returned; an
  // I/O error is returned as is.
  Result<std::optional<Record>> Next();

  // Marks a record delivered; acks may come in any order. Acking a seq that is not pending
  // (acked, dropped) is a no-op; a seq never appended is kInvalidArgument. A segment whose
  // records are all acked or dropped is deleted, except the one being appended to (that
  // one goes when the buffer moves on to the next segment). The ack is effective at once;
  // it is written to the ack log without fsync. If that write fails, the error is
  // returned, the ack still holds in memory, and the log is rewritten whole at the next
  // Ack or Sync.
  Status Ack(uint64_t seq);

  // Makes every append and ack so far durable (the SIGTERM path).
  Status Sync();

  BufferStats Stats() const;

 private:
  // One record of a segment, in the in-memory index (16 bytes per record).
  struct Entry {
    uint32_t offset;  // of the frame in the segment file
    uint32_t length;  // payload bytes
    int64_t created_ms;
  };
  // A segment file. Record i has seq first_seq + i.
  struct Segment {
    uint64_t first_seq = 0;
    uint64_t bytes = 0;  // file size
    std::vector<Entry> entries;
    std::vector<bool> done;  // acked or dropped
    uint64_t pending = 0;    // entries not done
    size_t cursor = 0;       // every entry before it is done
    // A lower bound on created_ms of the pending entries (exact after a scan).
    int64_t min_pending_created_ms = INT64_MAX;
    bool sealed = false;  // never appended to again (older, or damaged at open)
    uint64_t end_seq() const { return first_seq + entries.size(); }
  };

  DiskBuffer(Env& env, Clock& clock, BufferOptions opts);

  Status Recover() STRIX_EXCLUDES(write_mu_, mu_);
  Status LoadSegment(uint64_t first_seq, bool last, uint64_t* max_seq)
      STRIX_REQUIRES(write_mu_, mu_);
  Status LoadAckLog(uint64_t* max_seq) STRIX_REQUIRES(mu_);

  // Starts segment next_seq_: creates it, writes and syncs its header, syncs the directory.
  // The previous segment is synced, sealed, and deleted if nothing in it is pending.
  Status Roll() STRIX_REQUIRES(write_mu_) STRIX_EXCLUDES(mu_);
  // After a failed append: cuts the active segment back to `good_size`, or, if that fails
  // too, makes the next Append roll.
  void RepairActive(uint64_t good_size) STRIX_REQUIRES(write_mu_) STRIX_EXCLUDES(mu_);

  // Whether appending `framed` bytes needs a new segment.
  bool NeedsRoll(uint64_t framed) const STRIX_REQUIRES(write_mu_, mu_);
  // Drops whole oldest segments until `framed` more bytes (plus a segment header if a roll
  // is due) fit in max_bytes.
  Status EnforceByteBound(uint64_t framed) STRIX_REQUIRES(write_mu_, mu_);
  // Drops pending records older than max_age_ms.
  void DropExpired() STRIX_REQUIRES(mu_);
  // Drops every pending record of the oldest segment and deletes it (closing the active
  // file first if it is the active one).
  Status DropOldestSegment() STRIX_REQUIRES(write_mu_, mu_);

  // The segment holding `seq`, or nullptr.
  Segment* Find(uint64_t seq) STRIX_REQUIRES(mu_);
  // Marks entry i of `seg` done (it must be pending); with `log`, buffers an ack log entry
  // (not needed where the segment file goes away with it, or at load).
  void MarkDone(Segment& seg, size_t i, bool log) STRIX_REQUIRES(mu_);
  // Deletes the file of a non-active segment with nothing pending and forgets it.
  Status DeleteSegment(uint64_t first_seq) STRIX_REQUIRES(mu_);
  // Deletes every non-active segment with nothing pending.
  Status DeleteDoneSegments() STRIX_REQUIRES(mu_);
  // Reads and checks a record (under mu_: the sender is the only reader).
  Result<Record> ReadRecord(const Segment& seg, size_t i) STRIX_REQUIRES(mu_);
  // The lowest pending (segment, index), advancing cursors; false if nothing is pending.
  bool OldestPending(Segment** seg, size_t* i) STRIX_REQUIRES(mu_);

  // Writes the buffered ack entries; rewrites the whole log when it is broken or long.
  Status FlushAckLog() STRIX_REQUIRES(mu_);
  // Replaces the ack log with a compact one (watermark + out-of-order done seqs).
  Status RewriteAckLog() STRIX_REQUIRES(mu_);

  std::string SegmentPath(uint64_t first_seq) const;

  Env& env_;
  Clock& clock_;
  const BufferOptions opts_;
  std::unique_ptr<FileLock> lock_;

  // Serialises appenders (and Sync's flush of the active segment): the active file is
  // written and fsynced under write_mu_ alone. Lock order: write_mu_, then mu_.
  Mutex write_mu_;
  std::unique_ptr<WritableFile> active_file_ STRIX_GUARDED_BY(write_mu_);
  bool roll_needed_ STRIX_GUARDED_BY(write_mu_) = false;
  std::string frame_ STRIX_GUARDED_BY(write_mu_);  // Append's encoding buffer

  // Everything else.
  mutable Mutex mu_;
  // Invariants: keyed by first_seq, segments do not overlap; every segment except the
  // active one is sealed; a sealed segment with pending == 0 does not exist for long
  // (deleted by DeleteDoneSegments; kept only if its removal failed).
  std::map<uint64_t, Segment> segments_ STRIX_GUARDED_BY(mu_);
  // first_seq of the segment being appended to; 0 when there is none (after a failure).
  uint64_t active_ STRIX_GUARDED_BY(mu_) = 0;
  uint64_t next_seq_ STRIX_GUARDED_BY(mu_) = 1;   // changed only under write_mu_ too
  uint64_t fresh_seq_ STRIX_GUARDED_BY(mu_) = 0;  // newest record, not yet handed out
  uint64_t segment_bytes_total_ STRIX_GUARDED_BY(mu_) = 0;

  // The ack log: an appendable handle, entries not written yet, and when to rewrite it.
  std::unique_ptr<WritableFile> ack_file_ STRIX_GUARDED_BY(mu_);
  std::string ack_buf_ STRIX_GUARDED_BY(mu_);
  uint64_t ack_entries_ STRIX_GUARDED_BY(mu_) = 0;       // entries in the file
  uint64_t ack_live_entries_ STRIX_GUARDED_BY(mu_) = 0;  // entries right after the rewrite
  uint64_t ack_bytes_ STRIX_GUARDED_BY(mu_) = 0;         // size of the file
  bool ack_log_broken_ STRIX_GUARDED_BY(mu_) = false;

  // Next's reader: one segment's file kept open.
  uint64_t reader_seq_ STRIX_GUARDED_BY(mu_) = 0;
  std::unique_ptr<RandomAccessFile> reader_ STRIX_GUARDED_BY(mu_);

  BufferStats stats_ STRIX_GUARDED_BY(mu_);  // counters; the rest is computed by Stats()
};

}  // namespace strix::agents::buffer
