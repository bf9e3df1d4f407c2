// Reads a write-ahead log directory (docs/format/wal.md): the newest valid checkpoint,
// then every segment from the checkpoint's number on, in order. The Reader never
// modifies a file; Wal::Open runs it and then repairs what it reports (truncating a torn
// tail, dropping a corrupt remainder), and `strix dump-wal` uses the same rules.
//
// Damage rules, applied in this order while reading:
//   * The LAST segment (the highest number in the directory) may end in anything after
//     its last good record: a crash tears unsynced writes. Reading stops there and
//     damage() reports a kTornTail; this is never an error.
//   * A bad header or record in an EARLIER segment, or a gap in the segment numbers, is
//     real corruption (earlier segments are fully synced before the next one is made).
//     kTruncate: reading stops cleanly and damage() says what the rest would cost;
//     kFail: status() is Corruption naming the segment and offset.
//     A good header with the wrong kind or number (a misplaced file) is corruption even
//     in the last segment.
//   * A file written by an unsupported format version stops reading with Unimplemented
//     whatever the policy: data of a newer version is never treated as garbage.
//
// Thread-safety: a Reader is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/result.h"
#include "core/status.h"

namespace strix::storage::wal {

namespace internal {
class FileCursor;
}

// What to do about corruption before the last segment (torn tails of the last segment
// are always cut off).
enum class CorruptionPolicy {
  kTruncate,  // keep what precedes the bad record, drop the rest of the WAL, log loudly
  kFail,      // refuse to open: Status::Corruption naming segment and offset
};

// A record to append. The head defines the types and payloads (series definitions,
// sample batches, deletions); the WAL treats them as opaque.
struct Record {
  uint8_t type = 0;  // 1..255; 0 is reserved (it is what zero-filled space decodes to)
  std::string_view payload;
};

// A record as read back. `payload` points into the file's mapping and stays valid until
// the next call to Reader::Next (or, during Wal::Open's replay, until the callback
// returns): copy what must live longer.
struct RecordView {
  uint8_t type = 0;
  std::string_view payload;
  uint64_t segment = 0;  // its segment, or for a checkpoint record the checkpoint's number
  uint64_t offset = 0;   // of its frame within the file
  bool from_checkpoint = false;
};

// Where and why reading stopped before the end of the WAL.
struct Damage {
  enum class Kind {
    kTornTail,        // the last segment ends in a partial or damaged record
    kCorruption,      // a damaged header or record in an earlier segment
    kMissingSegment,  // a gap in the segment numbers
  };
  Kind kind = Kind::kTornTail;
  // The damaged segment; for kMissingSegment the first missing number.
  uint64_t segment = 0;
  // Offset of the first bad byte in `segment` (everything before it is intact); 0 for a
  // bad file header or a missing segment.
  uint64_t offset = 0;
  std::string reason;             // "crc mismatch", "short header", "missing segment", ...
  uint64_t dropped_bytes = 0;     // from `offset` to the end of `segment`, plus later files
  uint64_t dropped_segments = 0;  // later segment files that are lost whole

  // "segment 00000003 offset 4096: crc mismatch".
  std::string ToString() const;
};
std::string_view DamageKindName(Damage::Kind kind);  // "torn-tail", "corruption", ...

struct ReadOptions {
  // 0: the checkpoint (if any), then its segments. N: start at segment N; the checkpoint
  // is read first only if it stands in for segment N (its number is above N).
  uint64_t from_segment = 0;
  CorruptionPolicy on_corruption = CorruptionPolicy::kTruncate;
};

class Reader {
 public:
  // Lists `dir` and picks the newest valid checkpoint. A corrupt newest checkpoint is
  // skipped for an older one under kTruncate (see bad_checkpoints()) and is an error
  // under kFail. NotFound if `dir` does not exist.
  static Result<std::unique_ptr<Reader>> Open(Env& env, const std::string& dir,
                                              const ReadOptions& options = {});
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // The next record; false at the end, at damage, or on an error: then see status()
  // and damage().
  bool Next(RecordView* out);
  // OK unless reading failed (I/O error, kFail corruption, unsupported version).
  const Status& status() const { return status_; }
  // Set when reading stopped before the end of the last segment.
  const std::optional<Damage>& damage() const { return damage_; }
  uint64_t records_read() const { return records_read_; }

  // The chosen checkpoint's number (= the first segment it does not cover), if any.
  std::optional<uint64_t> checkpoint() const { return checkpoint_; }
  // Checkpoints newer than the chosen one that failed validation (kTruncate only).
  const std::vector<uint64_t>& bad_checkpoints() const { return bad_checkpoints_; }
  // The segments that make up the WAL after the checkpoint, ascending.
  const std::vector<uint64_t>& segments() const { return live_segments_; }
  // The highest segment number in the directory, if any segment exists.
  std::optional<uint64_t> last_segment() const { return last_segment_; }
  // Names of files a writer deletes on open: checkpoint temp files, checkpoints older
  // than the chosen one, and segments the chosen checkpoint covers.
  const std::vector<std::string>& stale_files() const { return stale_files_; }

 private:
  Reader(Env& env, std::string dir, ReadOptions options);
  Status Init();
  bool OpenNextFile();
  void StopAtDefect();
  void StopAtMissingSegment(uint64_t expected, size_t index);
  uint64_t BytesOfSegmentsFrom(size_t index);

  Env& env_;
  const std::string dir_;
  const ReadOptions options_;

  std::optional<uint64_t> checkpoint_;
  std::vector<uint64_t> bad_checkpoints_;
  std::vector<uint64_t> live_segments_;
  std::optional<uint64_t> last_segment_;
  std::vector<std::string> stale_files_;

  // Iteration state.
  std::unique_ptr<ReadOnlyRegion> checkpoint_region_;  // validated at Open
  bool checkpoint_pending_ = false;
  size_t next_segment_ = 0;  // index into live_segments_
  std::optional<uint64_t> expected_segment_;
  std::unique_ptr<ReadOnlyRegion> region_;
  std::unique_ptr<internal::FileCursor> cursor_;
  uint64_t cursor_number_ = 0;
  bool cursor_is_checkpoint_ = false;
  bool finished_ = false;
  Status status_;
  std::optional<Damage> damage_;
  uint64_t records_read_ = 0;
};

}  // namespace strix::storage::wal
