// DiskBuffer: recovery at Open, appends with bounds, the delivery policy of Next, acks and
// the ack log. See disk_buffer.h for the contract and docs/format/agent-buffer.md for the
// bytes and the reasoning.
#include "agents/buffer/disk_buffer.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "agents/buffer/internal/format.h"
#include "core/check.h"
#include "core/log.h"

namespace strix::agents::buffer {

using internal::AppendAckEntry;
using internal::AppendFileHeader;
using internal::AppendRecord;
using internal::Defect;
using internal::DefectName;
using internal::FramedSize;
using internal::kAckEntrySize;
using internal::kAckLogMagic;
using internal::kAckLogName;
using internal::kFileHeaderSize;
using internal::kLockName;
using internal::kMaxPayload;
using internal::kRecordHeaderSize;
using internal::kSegmentMagic;
using internal::SegmentFileName;

namespace {

// Seqs above this are treated as damage (keeps next_seq_ far from overflow).
constexpr uint64_t kMaxSeq = uint64_t{1} << 62;
constexpr uint64_t kMaxSegmentBytes = uint64_t{1} << 30;
// The ack log is rewritten when it holds this many entries more than its live set.
constexpr uint64_t kAckLogRewriteEntries = 1024;
// Append's frame buffer is released above this size (after a large record).
constexpr size_t kFrameKeepBytes = 1 << 20;

std::string Path(const std::string& dir, std::string_view name) { return JoinPath(dir, name); }

// "a/b/" -> "a/b", so that DirName(JoinPath(dir, x)) == dir (FaultyEnv names directories
// by the exact string).
std::string NormalizeDir(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

Status ValidateOptions(const BufferOptions& o) {
  if (o.dir.empty()) return Status::InvalidArgument("agent buffer: dir is empty");
  if (o.segment_bytes <= kFileHeaderSize || o.segment_bytes > kMaxSegmentBytes) {
    return Status::InvalidArgument("agent buffer: segment_bytes must be within (20, 1 GiB]",
                                   fmt::format("{}", o.segment_bytes));
  }
  if (o.max_bytes <= kFileHeaderSize + kRecordHeaderSize) {
    return Status::InvalidArgument("agent buffer: max_bytes too small",
                                   fmt::format("{}", o.max_bytes));
  }
  if (o.max_age_ms <= 0) {
    return Status::InvalidArgument("agent buffer: max_age_ms must be positive",
                                   fmt::format("{}", o.max_age_ms));
  }
  return Status::Ok();
}

uint64_t Framed(uint32_t length) { return FramedSize(length); }

}  // namespace

DiskBuffer::DiskBuffer(Env& env, Clock& clock, BufferOptions opts)
    : env_(env), clock_(clock), opts_(std::move(opts)) {}

DiskBuffer::~DiskBuffer() {
  // Closing only; a crash-safe buffer needs nothing more (Sync is the caller's choice).
  if (active_file_) active_file_->Close().IgnoreError();
  if (ack_file_) ack_file_->Close().IgnoreError();
}

std::string DiskBuffer::SegmentPath(uint64_t first_seq) const {
  return Path(opts_.dir, SegmentFileName(first_seq));
}

// ---- Open and recovery ------------------------------------------------------------------

Result<std::unique_ptr<DiskBuffer>> DiskBuffer::Open(Env& env, Clock& clock, BufferOptions opts) {
  STRIX_RETURN_IF_ERROR(ValidateOptions(opts));
  opts.dir = NormalizeDir(std::move(opts.dir));
  std::unique_ptr<DiskBuffer> b(new DiskBuffer(env, clock, std::move(opts)));
  STRIX_RETURN_IF_ERROR(b->Recover());
  return b;
}

Status DiskBuffer::Recover() {
  const std::string& dir = opts_.dir;
  STRIX_RETURN_IF_ERROR(env_.CreateDirs(dir));
  STRIX_ASSIGN_OR_RETURN(lock_, env_.LockFile(Path(dir, kLockName)));
  STRIX_ASSIGN_OR_RETURN(std::vector<std::string> names, env_.ListDir(dir));
  std::vector<uint64_t> seqs;
  for (const std::string& name : names) {
    if (auto s = internal::ParseSegmentFileName(name)) seqs.push_back(*s);
  }
  std::sort(seqs.begin(), seqs.end());

  MutexLock w(&write_mu_);
  bool need_roll = true;
  {
    MutexLock l(&mu_);
    uint64_t max_seq = 0;
    for (size_t k = 0; k < seqs.size(); ++k)
      STRIX_RETURN_IF_ERROR(LoadSegment(seqs[k], k + 1 == seqs.size(), &max_seq));
    STRIX_RETURN_IF_ERROR(LoadAckLog(&max_seq));
    next_seq_ = max_seq + 1;

    // Keep appending to the last segment if it is intact, continues at next_seq_ and has
    // room; otherwise it becomes an older segment, which must be complete and durable.
    if (!segments_.empty()) {
      Segment& last = segments_.rbegin()->second;
      const std::string path = SegmentPath(last.first_seq);
      if (!last.sealed && last.end_seq() == next_seq_ && last.bytes < opts_.segment_bytes) {
        STRIX_ASSIGN_OR_RETURN(auto f, env_.NewAppendableFile(path));
        if (f->Size() == last.bytes) {
          active_file_ = std::move(f);
          active_ = last.first_seq;
          need_roll = false;
        }
      }
      if (need_roll) {
        STRIX_ASSIGN_OR_RETURN(auto f, env_.NewAppendableFile(path));
        STRIX_RETURN_IF_ERROR(f->Sync());
        STRIX_RETURN_IF_ERROR(f->Close());
        last.sealed = true;
      }
    }
    // Sealed segments with nothing pending go now (this also frees the name next_seq_).
    STRIX_RETURN_IF_ERROR(DeleteDoneSegments());
  }
  if (need_roll) STRIX_RETURN_IF_ERROR(Roll());

  MutexLock l(&mu_);
  DropExpired();
  STRIX_RETURN_IF_ERROR(EnforceByteBound(0));
  // A compact ack log: drops a torn tail and entries of deleted segments.
  STRIX_RETURN_IF_ERROR(RewriteAckLog());
  STRIX_LOG(kInfo, "agent buffer: opened", "dir", dir, "segments", segments_.size(),
            "pending_records", stats_.pending_records, "pending_bytes", stats_.pending_bytes,
            "next_seq", next_seq_, "corrupt_records", stats_.corrupt_records);
  return Status::Ok();
}

Status DiskBuffer::LoadSegment(uint64_t first_seq, bool last, uint64_t* max_seq) {
  const std::string path = SegmentPath(first_seq);
  const std::string name = SegmentFileName(first_seq);
  Segment seg;
  seg.first_seq = first_seq;
  if (first_seq == 0 || first_seq > kMaxSeq || first_seq <= *max_seq) {
    // Not a name this buffer writes, or it overlaps the segment before: nothing in it can
    // be trusted. Indexed empty, so it is deleted with the other done segments.
    ++stats_.corrupt_records;
    STRIX_LOG(kError, "agent buffer: segment out of sequence, skipped", "dir", opts_.dir, "segment",
              name, "previous_max_seq", *max_seq);
    STRIX_ASSIGN_OR_RETURN(seg.bytes, env_.FileSize(path));
    seg.sealed = true;
    segment_bytes_total_ += seg.bytes;
    segments_.emplace(first_seq, std::move(seg));
    return Status::Ok();
  }

  STRIX_ASSIGN_OR_RETURN(auto file, env_.NewRandomAccessFile(path));
  int64_t min_created = INT64_MAX;
  STRIX_ASSIGN_OR_RETURN(
      internal::ScanResult scan,
      internal::ScanSegment(*file, first_seq, [&](const internal::ScannedRecord& r) {
        seg.entries.push_back(Entry{static_cast<uint32_t>(r.offset), r.length, r.created_ms});
        min_created = std::min(min_created, r.created_ms);
      }));
  file.reset();
  if (scan.defect == Defect::kUnsupportedVersion) {
    return Status::Unimplemented("agent buffer: segment written by a newer format version", path);
  }
  seg.bytes = scan.file_size;
  seg.sealed = !last;
  if (scan.defect != Defect::kNone) {
    ++stats_.corrupt_records;
    const uint64_t lost = scan.file_size - scan.good_end;
    if (!last) {
      // Older segments were synced before the next one was started: this is damage, not a
      // torn write. Keep the good prefix and leave the file as it is.
      STRIX_LOG(kError, "agent buffer: corrupt segment, skipped the rest of it", "dir", opts_.dir,
                "segment", name, "offset", scan.good_end, "skipped_bytes", lost, "reason",
                DefectName(scan.defect));
    } else if (scan.good_end < kFileHeaderSize) {
      STRIX_RETURN_IF_ERROR(env_.RemoveFile(path));
      STRIX_LOG(kWarn, "agent buffer: removed torn segment", "dir", opts_.dir, "segment", name,
                "dropped_bytes", lost, "reason", DefectName(scan.defect));
      return Status::Ok();
    } else {
      STRIX_RETURN_IF_ERROR(env_.TruncateFile(path, scan.good_end));
      seg.bytes = scan.good_end;
      STRIX_LOG(kWarn, "agent buffer: truncated torn tail", "dir", opts_.dir, "segment", name,
                "offset", scan.good_end, "dropped_bytes", lost, "reason", DefectName(scan.defect));
    }
  }
  if (scan.good_end < kFileHeaderSize) seg.sealed = true;  // no usable header
  seg.done.assign(seg.entries.size(), false);
  seg.pending = seg.entries.size();
  seg.min_pending_created_ms = min_created;
  for (const Entry& e : seg.entries) {
    ++stats_.pending_records;
    stats_.pending_bytes += Framed(e.length);
  }
  if (scan.good_end >= kFileHeaderSize)
    *max_seq = std::max(*max_seq, first_seq - 1 + seg.entries.size());
  segment_bytes_total_ += seg.bytes;
  segments_.emplace(first_seq, std::move(seg));
  return Status::Ok();
}

Status DiskBuffer::LoadAckLog(uint64_t* max_seq) {
  const std::string path = Path(opts_.dir, kAckLogName);
  if (!env_.FileExists(path)) return Status::Ok();
  STRIX_ASSIGN_OR_RETURN(std::string image, ReadFileToString(env_, path));
  uint64_t watermark = 0;
  uint64_t good_end = 0;
  std::vector<uint64_t> seqs;
  Defect d =
      internal::ParseAckLog(image, &watermark, &good_end, [&](uint64_t s) { seqs.push_back(s); });
  if (d == Defect::kUnsupportedVersion) {
    return Status::Unimplemented("agent buffer: ack log written by a newer format version", path);
  }
  const bool absurd = watermark > kMaxSeq ||
                      std::any_of(seqs.begin(), seqs.end(), [](uint64_t s) { return s > kMaxSeq; });
  if (d != Defect::kNone || absurd) {
    // Losing acks only means delivering those records again.
    STRIX_LOG(kWarn, "agent buffer: ignored unreadable ack log", "dir", opts_.dir, "reason",
              d != Defect::kNone ? DefectName(d) : std::string_view("seq out of range"));
    return Status::Ok();
  }
  if (good_end < image.size()) {
    STRIX_LOG(kInfo, "agent buffer: ack log has a torn tail", "dir", opts_.dir, "offset", good_end,
              "dropped_bytes", image.size() - good_end);
  }
  for (auto& [first, seg] : segments_) {
    for (size_t i = 0; i < seg.entries.size() && first + i < watermark; ++i) {
      if (!seg.done[i]) MarkDone(seg, i, /*log=*/false);
    }
  }
  for (uint64_t s : seqs) {
    Segment* seg = Find(s);
    if (seg != nullptr && !seg->done[s - seg->first_seq]) MarkDone(*seg, s - seg->first_seq, false);
    *max_seq = std::max(*max_seq, s);
  }
  if (watermark > 0) *max_seq = std::max(*max_seq, watermark - 1);
  return Status::Ok();
}

// ---- Segments -----------------------------------------------------------------------

Status DiskBuffer::Roll() {
  uint64_t seq = 0;
  {
    MutexLock l(&mu_);
    seq = next_seq_;
  }
  // Every segment but the last is complete and durable: a defect in one is damage.
  if (active_file_) {
    if (!roll_needed_) STRIX_RETURN_IF_ERROR(active_file_->Sync());
    active_file_->Close().IgnoreError();
    active_file_.reset();
  }
  {
    MutexLock l(&mu_);
    if (active_ != 0) {
      Segment& old = segments_.at(active_);
      old.sealed = true;
      old.entries.shrink_to_fit();
      old.done.shrink_to_fit();
      active_ = 0;
    }
    // An empty segment already named `seq` (a failed append into a fresh segment): the
    // new file replaces it.
    auto it = segments_.find(seq);
    if (it != segments_.end()) {
      STRIX_CHECK(it->second.entries.empty());
      segment_bytes_total_ -= it->second.bytes;
      if (reader_seq_ == seq) {
        reader_.reset();
        reader_seq_ = 0;
      }
      segments_.erase(it);
    }
    STRIX_RETURN_IF_ERROR(DeleteDoneSegments());
  }

  const std::string path = SegmentPath(seq);
  std::string header;
  AppendFileHeader(kSegmentMagic, seq, &header);
  STRIX_ASSIGN_OR_RETURN(auto f, env_.NewWritableFile(path));
  Status s = f->Append(header);
  if (s.ok()) s = f->Sync();
  if (s.ok()) s = env_.SyncDir(opts_.dir);  // the name is durable: records in it will be
  if (!s.ok()) {
    f.reset();
    env_.RemoveFile(path).IgnoreError();
    return s;
  }
  active_file_ = std::move(f);
  roll_needed_ = false;
  MutexLock l(&mu_);
  Segment seg;
  seg.first_seq = seq;
  seg.bytes = header.size();
  segment_bytes_total_ += seg.bytes;
  segments_.emplace(seq, std::move(seg));
  active_ = seq;
  return Status::Ok();
}

void DiskBuffer::RepairActive(uint64_t good_size) {
  uint64_t first = 0;
  {
    MutexLock l(&mu_);
    first = active_;
  }
  active_file_->Close().IgnoreError();
  active_file_.reset();
  const std::string path = SegmentPath(first);
  Status s = env_.TruncateFile(path, good_size);
  if (s.ok()) {
    auto f = env_.NewAppendableFile(path);
    if (f.ok() && (*f)->Size() == good_size) {
      active_file_ = std::move(*f);
      return;
    }
    s = f.ok() ? Status::Internal("agent buffer: segment size after truncation", path) : f.status();
  }
  // The partial record may still be on disk: never append after it. At the next Open it
  // is a defect of an older segment, past every record of this one.
  roll_needed_ = true;
  STRIX_LOG(kWarn, "agent buffer: could not cut a failed append, moving to a new segment", "dir",
            opts_.dir, "segment", SegmentFileName(first), "error", s);
}

bool DiskBuffer::NeedsRoll(uint64_t framed) const {
  if (active_ == 0 || !active_file_ || roll_needed_) return true;
  const Segment& seg = segments_.at(active_);
  return !seg.entries.empty() && seg.bytes + framed > opts_.segment_bytes;
}

DiskBuffer::Segment* DiskBuffer::Find(uint64_t seq) {
  auto it = segments_.upper_bound(seq);
  if (it == segments_.begin()) return nullptr;
  --it;
  return seq < it->second.end_seq() ? &it->second : nullptr;
}

void DiskBuffer::MarkDone(Segment& seg, size_t i, bool log) {
  seg.done[i] = true;
  --seg.pending;
  --stats_.pending_records;
  stats_.pending_bytes -= Framed(seg.entries[i].length);
  const uint64_t seq = seg.first_seq + i;
  if (fresh_seq_ == seq) fresh_seq_ = 0;
  if (log) AppendAckEntry(seq, &ack_buf_);
}

Status DiskBuffer::DeleteSegment(uint64_t first_seq) {
  auto it = segments_.find(first_seq);
  STRIX_CHECK(it != segments_.end());
  if (reader_seq_ == first_seq) {
    reader_.reset();
    reader_seq_ = 0;
  }
  Status s = env_.RemoveFile(SegmentPath(first_seq));
  if (!s.ok() && !s.IsNotFound()) {
    STRIX_LOG(kWarn, "agent buffer: could not delete segment", "dir", opts_.dir, "segment",
              SegmentFileName(first_seq), "error", s);
    return s;
  }
  segment_bytes_total_ -= it->second.bytes;
  segments_.erase(it);
  return Status::Ok();
}

Status DiskBuffer::DeleteDoneSegments() {
  Status first_error;
  for (auto it = segments_.begin(); it != segments_.end();) {
    const uint64_t first = it->first;
    const bool done = first != active_ && it->second.pending == 0;
    ++it;  // DeleteSegment erases `first`
    if (!done) continue;
    Status s = DeleteSegment(first);
    if (!s.ok() && first_error.ok()) first_error = s;
  }
  return first_error;
}

// ---- Bounds -------------------------------------------------------------------------

Status DiskBuffer::DropOldestSegment() {
  auto it = segments_.begin();
  Segment& seg = it->second;
  const uint64_t first = it->first;
  uint64_t records = 0;
  uint64_t bytes = 0;
  for (size_t i = seg.cursor; i < seg.entries.size(); ++i) {
    if (seg.done[i]) continue;
    // Not logged to the ack log: the file goes away with them.
    MarkDone(seg, i, /*log=*/false);
    ++records;
    bytes += Framed(seg.entries[i].length);
  }
  stats_.dropped_records += records;
  stats_.dropped_bytes += bytes;
  if (first == active_) {
    active_file_->Close().IgnoreError();
    active_file_.reset();
    active_ = 0;
    seg.sealed = true;
  }
  STRIX_LOG(kWarn, "agent buffer: dropped oldest segment to stay within max_bytes", "dir",
            opts_.dir, "segment", SegmentFileName(first), "dropped_records", records,
            "dropped_bytes", bytes, "max_bytes", opts_.max_bytes);
  return DeleteSegment(first);
}

Status DiskBuffer::EnforceByteBound(uint64_t framed) {
  while (!segments_.empty()) {
    const uint64_t need = framed + (NeedsRoll(framed) ? kFileHeaderSize : 0);
    if (segment_bytes_total_ + need <= opts_.max_bytes) break;
    STRIX_RETURN_IF_ERROR(DropOldestSegment());
  }
  return Status::Ok();
}

void DiskBuffer::DropExpired() {
  int64_t cutoff = 0;  // records created before it are too old
  if (__builtin_sub_overflow(clock_.NowMillis(), opts_.max_age_ms, &cutoff))
    cutoff = std::numeric_limits<int64_t>::min();
  bool emptied = false;
  for (auto& [first, seg] : segments_) {
    if (seg.pending == 0 || seg.min_pending_created_ms >= cutoff) continue;
    int64_t min_left = INT64_MAX;
    for (size_t i = seg.cursor; i < seg.entries.size(); ++i) {
      if (seg.done[i]) continue;
      const Entry& e = seg.entries[i];
      if (e.created_ms < cutoff) {
        MarkDone(seg, i, /*log=*/true);
        ++stats_.dropped_records;
        stats_.dropped_bytes += Framed(e.length);
      } else {
        min_left = std::min(min_left, e.created_ms);
      }
    }
    seg.min_pending_created_ms = min_left;
    emptied |= seg.pending == 0;
  }
  if (emptied) DeleteDoneSegments().IgnoreError();  // logged; retried at the next deletion
}

// ---- Append -------------------------------------------------------------------------

Result<uint64_t> DiskBuffer::Append(std::string_view payload, int64_t created_ms) {
  if (payload.size() > kMaxPayload) {
    return Status::InvalidArgument("agent buffer: payload too large",
                                   fmt::format("{} bytes, max {}", payload.size(), kMaxPayload));
  }
  const uint64_t framed = FramedSize(payload.size());
  if (framed + kFileHeaderSize > opts_.max_bytes) {
    return Status::InvalidArgument(
        "agent buffer: payload does not fit in max_bytes",
        fmt::format("{} bytes, max_bytes {}", payload.size(), opts_.max_bytes));
  }

  MutexLock w(&write_mu_);
  bool roll = false;
  {
    MutexLock l(&mu_);
    DropExpired();
    Status bound = EnforceByteBound(framed);
    FlushAckLog().IgnoreError();  // logged; the log is rewritten later
    STRIX_RETURN_IF_ERROR(bound);
    roll = NeedsRoll(framed);
  }
  if (roll) STRIX_RETURN_IF_ERROR(Roll());

  uint64_t seq = 0;
  uint64_t first = 0;
  {
    MutexLock l(&mu_);
    seq = next_seq_;
    first = active_;
  }
  frame_.clear();
  AppendRecord(seq, created_ms, payload, &frame_);
  const uint64_t offset = active_file_->Size();
  Status s = active_file_->Append(frame_);
  if (s.ok() && opts_.sync) s = active_file_->Sync();
  if (frame_.capacity() > kFrameKeepBytes) std::string().swap(frame_);
  if (!s.ok()) {
    RepairActive(offset);
    return s;
  }

  MutexLock l(&mu_);
  Segment& seg = segments_.at(first);
  seg.entries.push_back(
      Entry{static_cast<uint32_t>(offset), static_cast<uint32_t>(payload.size()), created_ms});
  seg.done.push_back(false);
  ++seg.pending;
  seg.bytes += framed;
  seg.min_pending_created_ms = std::min(seg.min_pending_created_ms, created_ms);
  segment_bytes_total_ += framed;
  ++stats_.pending_records;
  stats_.pending_bytes += framed;
  ++stats_.appended_records;
  next_seq_ = seq + 1;
  fresh_seq_ = seq;
  return seq;
}

// ---- Next and Ack -------------------------------------------------------------------

bool DiskBuffer::OldestPending(Segment** seg, size_t* i) {
  for (auto& [first, s] : segments_) {
    if (s.pending == 0) continue;
    while (s.done[s.cursor]) ++s.cursor;  // pending > 0: stops inside
    *seg = &s;
    *i = s.cursor;
    return true;
  }
  return false;
}

Result<Record> DiskBuffer::ReadRecord(const Segment& seg, size_t i) {
  const std::string path = SegmentPath(seg.first_seq);
  if (reader_seq_ != seg.first_seq || !reader_) {
    reader_.reset();
    reader_seq_ = 0;
    STRIX_ASSIGN_OR_RETURN(reader_, env_.NewRandomAccessFile(path));
    reader_seq_ = seg.first_seq;
  }
  const Entry& e = seg.entries[i];
  const uint64_t seq = seg.first_seq + i;
  Record rec;
  rec.seq = seq;
  rec.created_ms = e.created_ms;
  rec.payload.resize(FramedSize(e.length));
  STRIX_ASSIGN_OR_RETURN(size_t got,
                         reader_->ReadAt(e.offset, rec.payload.size(), rec.payload.data()));
  rec.payload.resize(got);
  Defect d = internal::CheckFrame(rec.payload, seq);
  if (d != Defect::kNone) {
    return Status::Corruption(
        "agent buffer: record damaged since open",
        fmt::format("{} offset {}: {}", SegmentFileName(seg.first_seq), e.offset, DefectName(d)));
  }
  rec.payload.erase(0, kRecordHeaderSize);
  return rec;
}

Result<std::optional<Record>> DiskBuffer::Next() {
  MutexLock l(&mu_);
  DropExpired();
  FlushAckLog().IgnoreError();  // logged; the log is rewritten later
  while (true) {
    Segment* seg = nullptr;
    size_t i = 0;
    if (fresh_seq_ != 0) {
      seg = Find(fresh_seq_);
      if (seg != nullptr) i = fresh_seq_ - seg->first_seq;
      if (seg != nullptr && seg->done[i]) seg = nullptr;
      fresh_seq_ = 0;  // one immediate try; after that it is backlog
    }
    if (seg == nullptr && !OldestPending(&seg, &i)) return std::optional<Record>();
    Result<Record> rec = ReadRecord(*seg, i);
    if (rec.ok()) return std::optional<Record>(std::move(*rec));
    if (!rec.status().IsCorruption()) return rec.status();
    STRIX_LOG(kError, "agent buffer: dropped a damaged record", "dir", opts_.dir, "seq",
              seg->first_seq + i, "error", rec.status());
    ++stats_.corrupt_records;
    MarkDone(*seg, i, /*log=*/true);
    DeleteDoneSegments().IgnoreError();
  }
}

Status DiskBuffer::Ack(uint64_t seq) {
  MutexLock l(&mu_);
  if (seq == 0 || seq >= next_seq_) {
    return Status::InvalidArgument("agent buffer: ack of a seq never appended",
                                   fmt::format("{}", seq));
  }
  Segment* seg = Find(seq);
  if (seg == nullptr || seg->done[seq - seg->first_seq]) return Status::Ok();
  MarkDone(*seg, seq - seg->first_seq, /*log=*/true);
  ++stats_.acked_records;
  Status deleted = seg->pending == 0 ? DeleteDoneSegments() : Status::Ok();
  STRIX_RETURN_IF_ERROR(FlushAckLog());
  return deleted;
}

// ---- Ack log and Sync ---------------------------------------------------------------

Status DiskBuffer::FlushAckLog() {
  const uint64_t buffered = ack_buf_.size() / kAckEntrySize;
  if (ack_log_broken_ || !ack_file_ ||
      ack_entries_ + buffered > ack_live_entries_ + kAckLogRewriteEntries) {
    return RewriteAckLog();
  }
  if (buffered == 0) return Status::Ok();
  Status s = ack_file_->Append(ack_buf_);
  ack_buf_.clear();
  if (!s.ok()) {
    // A partial entry ends the readable log there: later acks would be invisible. The
    // next flush rewrites the log from memory instead.
    ack_log_broken_ = true;
    STRIX_LOG(kWarn, "agent buffer: ack log write failed, will rewrite it", "dir", opts_.dir,
              "error", s);
    return s;
  }
  ack_entries_ += buffered;
  ack_bytes_ = ack_file_->Size();
  return Status::Ok();
}

Status DiskBuffer::RewriteAckLog() {
  ack_buf_.clear();
  // Everything below the lowest pending seq is done; above it, list the done seqs.
  Segment* oldest = nullptr;
  size_t oi = 0;
  const uint64_t watermark = OldestPending(&oldest, &oi) ? oldest->first_seq + oi : next_seq_;
  std::string image;
  AppendFileHeader(kAckLogMagic, watermark, &image);
  uint64_t entries = 0;
  for (const auto& [first, seg] : segments_) {
    if (seg.end_seq() <= watermark) continue;
    for (size_t i = first < watermark ? watermark - first : 0; i < seg.entries.size(); ++i) {
      if (!seg.done[i]) continue;
      AppendAckEntry(first + i, &image);
      ++entries;
    }
  }
  if (ack_file_) {
    ack_file_->Close().IgnoreError();
    ack_file_.reset();
  }
  const std::string path = Path(opts_.dir, kAckLogName);
  Status s = WriteFileAtomically(env_, path, image);
  Result<std::unique_ptr<WritableFile>> f = s.ok() ? env_.NewAppendableFile(path) : s;
  if (!f.ok()) {
    if (!ack_log_broken_) {
      STRIX_LOG(kWarn, "agent buffer: ack log rewrite failed", "dir", opts_.dir, "error",
                f.status());
    }
    ack_log_broken_ = true;
    return f.status();
  }
  ack_file_ = std::move(*f);
  ack_log_broken_ = false;
  ack_entries_ = entries;
  ack_live_entries_ = entries;
  ack_bytes_ = image.size();
  return Status::Ok();
}

Status DiskBuffer::Sync() {
  {
    MutexLock w(&write_mu_);
    if (active_file_) STRIX_RETURN_IF_ERROR(active_file_->Sync());
  }
  MutexLock l(&mu_);
  STRIX_RETURN_IF_ERROR(FlushAckLog());
  return ack_file_ ? ack_file_->Sync() : Status::Ok();
}

BufferStats DiskBuffer::Stats() const {
  MutexLock l(&mu_);
  BufferStats s = stats_;
  s.segments = segments_.size();
  s.disk_bytes = segment_bytes_total_ + ack_bytes_;
  for (const auto& [first, seg] : segments_) {
    if (seg.pending == 0) continue;
    size_t i = seg.cursor;
    while (seg.done[i]) ++i;
    s.oldest_pending_ms = seg.entries[i].created_ms;
    break;
  }
  return s;
}

}  // namespace strix::agents::buffer
