// Wal: recovery at open, the group-commit writer queue, segment rotation, the interval
// syncer, sticky errors and checkpoints. See wal.h for the contract and
// docs/format/wal.md for the bytes.
#include "storage/wal/wal.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "core/check.h"
#include "core/log.h"
#include "storage/wal/internal/format.h"

namespace strix::storage::wal {

using internal::AppendFileHeader;
using internal::AppendRecord;
using internal::CheckpointFileName;
using internal::CheckpointTempFileName;
using internal::FileKind;
using internal::FramedSize;
using internal::kFileHeaderSize;
using internal::kMaxRecordPayload;
using internal::SegmentFileName;

namespace {

constexpr size_t kCheckpointWriteChunk = 1 << 20;
constexpr size_t kScratchKeepBytes = 16 << 20;  // larger scratch buffers are released

Status ValidateRecords(std::span<const Record> records, size_t* bytes) {
  size_t total = 0;
  for (const Record& r : records) {
    if (r.type == 0) return Status::InvalidArgument("wal: record type 0 is reserved");
    if (r.payload.size() > kMaxRecordPayload) {
      return Status::InvalidArgument(
          "wal: record payload too large",
          fmt::format("{} bytes, max {}", r.payload.size(), kMaxRecordPayload));
    }
    total += FramedSize(r.payload.size());
  }
  *bytes = total;
  return Status::Ok();
}

// Names the file in an error that does not already say which file failed.
Status WithFile(Status s, const std::string& path) {
  if (s.ok() || !s.context().empty()) return s;
  return s.WithContext(path);
}

// Removes a file; a file already gone is fine.
Status RemoveIfExists(Env& env, const std::string& path) {
  Status s = env.RemoveFile(path);
  return s.IsNotFound() ? Status::Ok() : s;
}

}  // namespace

struct Wal::PendingAppend {
  explicit PendingAppend(std::span<const Record> r, size_t b) : records(r), bytes(b) {}
  const std::span<const Record> records;
  const size_t bytes;
  // Set by the leader that wrote this batch, under mu_.
  Status status;
  bool done = false;
  CondVar cv;
};

Wal::Wal(Env& env, std::string dir, WalOptions options)
    : env_(env),
      dir_(std::move(dir)),
      options_(options),
      clock_(options.clock != nullptr ? *options.clock : Clock::Real()) {}

Wal::~Wal() { Close().IgnoreError(); }

Result<std::unique_ptr<Wal>> Wal::Open(Env& env, const std::string& dir, const WalOptions& options,
                                       const ReplayFn& replay) {
  if (options.segment_bytes <= kFileHeaderSize) {
    return Status::InvalidArgument("wal: segment_bytes too small",
                                   fmt::format("{} bytes", options.segment_bytes));
  }
  if (options.sync_interval_ms < 0 || options.sync_interval_ms > 60'000) {
    return Status::InvalidArgument("wal: sync_interval_ms must be within [0, 60000]",
                                   fmt::format("{}", options.sync_interval_ms));
  }
  std::unique_ptr<Wal> wal(new Wal(env, dir, options));
  STRIX_RETURN_IF_ERROR(wal->Recover(replay));
  if (options.sync_interval_ms > 0) {
    Wal* w = wal.get();
    wal->syncer_ = std::jthread([w](std::stop_token stop) { w->SyncLoop(std::move(stop)); });
  }
  return wal;
}

Status Wal::Recover(const ReplayFn& replay) {
  STRIX_RETURN_IF_ERROR(env_.CreateDirs(dir_));
  // One writer per directory, also within a process (flock locks are per open file).
  STRIX_ASSIGN_OR_RETURN(lock_, env_.LockFile(JoinPath(dir_, kLockFileName)));
  ReadOptions ro;
  ro.on_corruption = options_.on_corruption;
  STRIX_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, Reader::Open(env_, dir_, ro));
  RecordView rec;
  while (reader->Next(&rec)) {
    if (replay) STRIX_RETURN_IF_ERROR(replay(rec));
  }
  STRIX_RETURN_IF_ERROR(reader->status());

  // Leftovers of an interrupted checkpoint or an earlier open.
  for (const std::string& name : reader->stale_files()) {
    STRIX_RETURN_IF_ERROR(RemoveIfExists(env_, JoinPath(dir_, name)));
    STRIX_LOG(kInfo, "wal: removed stale file", "dir", dir_, "file", name);
  }
  for (uint64_t c : reader->bad_checkpoints()) {  // kTruncate only
    STRIX_LOG(kError, "wal: removed corrupt checkpoint", "dir", dir_, "file",
              CheckpointFileName(c));
    STRIX_RETURN_IF_ERROR(RemoveIfExists(env_, JoinPath(dir_, CheckpointFileName(c))));
  }

  std::vector<uint64_t> segments = reader->segments();
  if (const auto& damage = reader->damage()) {
    // Under kFail a corruption already came back as reader->status(); here it is either
    // a torn tail or a corruption that kTruncate drops. Later segments go first, so that
    // a crash half-way leaves the damage in the last segment, where the next open
    // treats it as a torn tail.
    for (auto it = segments.rbegin(); it != segments.rend() && *it > damage->segment; ++it)
      STRIX_RETURN_IF_ERROR(RemoveIfExists(env_, JoinPath(dir_, SegmentFileName(*it))));
    std::erase_if(segments, [&](uint64_t s) { return s > damage->segment; });
    if (damage->kind != Damage::Kind::kMissingSegment) {
      const std::string path = JoinPath(dir_, SegmentFileName(damage->segment));
      if (damage->offset < kFileHeaderSize) {  // not even a good header: nothing to keep
        STRIX_RETURN_IF_ERROR(env_.RemoveFile(path));
        std::erase(segments, damage->segment);
      } else {
        STRIX_RETURN_IF_ERROR(env_.TruncateFile(path, damage->offset));
      }
    }
    STRIX_RETURN_IF_ERROR(env_.SyncDir(dir_));
    if (damage->kind == Damage::Kind::kTornTail) {
      STRIX_LOG(kWarn, "wal: truncated torn tail", "segment", damage->segment, "offset",
                damage->offset, "dropped_bytes", damage->dropped_bytes, "reason", damage->reason,
                "dir", dir_);
    } else {
      STRIX_LOG(kError, "wal: corrupt wal, dropped everything after the damage", "kind",
                DamageKindName(damage->kind), "segment", damage->segment, "offset", damage->offset,
                "reason", damage->reason, "dropped_segments", damage->dropped_segments,
                "dropped_bytes", damage->dropped_bytes, "dir", dir_);
    }
  }

  // The old last segment becomes an earlier one: make its bytes (and a truncation)
  // durable first, so that no earlier segment can ever end in unsynced data.
  if (!segments.empty()) {
    const std::string path = JoinPath(dir_, SegmentFileName(segments.back()));
    STRIX_ASSIGN_OR_RETURN(auto f, env_.NewAppendableFile(path));
    STRIX_RETURN_IF_ERROR(f->Sync());
    STRIX_RETURN_IF_ERROR(f->Close());
  }

  uint64_t disk_bytes = 0;
  uint64_t next = std::max<uint64_t>(reader->checkpoint().value_or(0), 1);
  {
    MutexLock io(&io_mu_);
    for (uint64_t s : segments) {
      STRIX_ASSIGN_OR_RETURN(uint64_t size, env_.FileSize(JoinPath(dir_, SegmentFileName(s))));
      closed_segments_[s] = size;
      disk_bytes += size;
    }
    if (!segments.empty()) next = std::max(next, segments.back() + 1);
  }
  {
    MutexLock c(&ckpt_mu_);
    if (auto ckpt = reader->checkpoint()) {
      checkpoint_number_ = *ckpt;
      STRIX_ASSIGN_OR_RETURN(checkpoint_bytes_,
                             env_.FileSize(JoinPath(dir_, CheckpointFileName(*ckpt))));
      disk_bytes += checkpoint_bytes_;
    }
  }
  m_segments_ = segments.size();
  m_disk_bytes_ = static_cast<int64_t>(disk_bytes);
  STRIX_LOG(kInfo, "wal: opened", "dir", dir_, "records", reader->records_read(), "checkpoint",
            reader->checkpoint().value_or(0), "segments", segments.size(), "next_segment", next);

  MutexLock io(&io_mu_);
  Status s = OpenSegmentLocked(next);
  if (!s.ok()) file_.reset();  // not sticky: Open fails and nothing else can run
  return s;
}

Status Wal::Append(std::span<const Record> records) {
  size_t bytes = 0;
  STRIX_RETURN_IF_ERROR(ValidateRecords(records, &bytes));
  PendingAppend w(records, bytes);

  mu_.Lock();
  if (closed_) {
    mu_.Unlock();
    return Status::FailedPrecondition("wal: closed", dir_);
  }
  if (!bg_error_.ok() || records.empty()) {
    Status s = bg_error_;
    mu_.Unlock();
    return s;
  }
  queue_.push_back(&w);
  while (!w.done && &w != queue_.front()) w.cv.Wait(&mu_);
  if (w.done) {  // a leader wrote our records
    Status s = std::move(w.status);
    mu_.Unlock();
    return s;
  }

  // We are the leader: take the queued batches, up to kMaxGroupBytes (at least ours).
  std::vector<PendingAppend*> group;
  size_t group_bytes = 0;
  for (PendingAppend* p : queue_) {
    if (!group.empty() && group_bytes + p->bytes > kMaxGroupBytes) break;
    group.push_back(p);
    group_bytes += p->bytes;
  }
  Status s = closed_ ? Status::FailedPrecondition("wal: closed", dir_) : bg_error_;
  if (s.ok()) {
    // Others may queue behind us meanwhile; the batches in `group` stay at the front and
    // their owners stay blocked, so their records remain valid.
    mu_.Unlock();
    s = WriteGroup(group);
    mu_.Lock();
  }
  for (PendingAppend* p : group) {
    STRIX_CHECK(queue_.front() == p);
    queue_.pop_front();
    if (p != &w) {
      p->status = s;
      p->done = true;
      p->cv.Signal();
    }
  }
  if (!queue_.empty()) queue_.front()->cv.Signal();  // the next leader
  if (s.ok()) m_appends_.fetch_add(group.size(), std::memory_order_relaxed);
  mu_.Unlock();
  return s;
}

Status Wal::WriteGroup(const std::vector<PendingAppend*>& group) {
  MutexLock io(&io_mu_);
  if (!io_error_.ok()) return io_error_;
  if (file_ == nullptr) return Status::FailedPrecondition("wal: closed", dir_);
  scratch_.clear();
  uint64_t records = 0;
  Status s;
  for (const PendingAppend* p : group) {
    for (const Record& r : p->records) {
      const uint64_t size = file_->Size() + scratch_.size();
      if (size > kFileHeaderSize && size + FramedSize(r.payload.size()) > options_.segment_bytes) {
        s = FlushScratchLocked();
        if (s.ok()) s = RotateLocked();
        if (!s.ok()) break;
      }
      AppendRecord(r.type, r.payload, &scratch_);
      ++records;
    }
    if (!s.ok()) break;
  }
  if (s.ok()) s = FlushScratchLocked();
  if (s.ok() && options_.sync_interval_ms == 0) s = SyncLocked();
  m_records_.fetch_add(records, std::memory_order_relaxed);
  m_groups_.fetch_add(1, std::memory_order_relaxed);
  if (scratch_.capacity() > kScratchKeepBytes) std::string().swap(scratch_);
  scratch_.clear();
  if (!s.ok()) RecordIoErrorLocked(s);
  return s;
}

Status Wal::FlushScratchLocked() {
  if (scratch_.empty()) return Status::Ok();
  dirty_ = true;  // even a failed write may have reached the page cache
  Status s = file_->Append(scratch_);
  if (s.ok()) {
    m_bytes_.fetch_add(scratch_.size(), std::memory_order_relaxed);
    AddDiskBytes(static_cast<int64_t>(scratch_.size()));
  }
  scratch_.clear();
  return WithFile(std::move(s), JoinPath(dir_, SegmentFileName(segment_)));
}

Status Wal::SyncLocked() {
  const int64_t start = clock_.MonotonicNanos();
  Status s = file_->Sync();
  const auto us =
      static_cast<uint64_t>(std::max<int64_t>(0, clock_.MonotonicNanos() - start)) / 1000;
  size_t bucket = 0;
  while (bucket < kFsyncBucketBoundsUs.size() && us > kFsyncBucketBoundsUs[bucket]) ++bucket;
  m_fsync_buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  m_fsync_sum_us_.fetch_add(us, std::memory_order_relaxed);
  m_syncs_.fetch_add(1, std::memory_order_relaxed);
  if (s.ok()) dirty_ = false;
  return WithFile(std::move(s), JoinPath(dir_, SegmentFileName(segment_)));
}

Status Wal::RotateLocked() {
  if (dirty_) STRIX_RETURN_IF_ERROR(SyncLocked());
  const uint64_t size = file_->Size();
  Status s = file_->Close();
  file_.reset();
  closed_segments_[segment_] = size;
  STRIX_RETURN_IF_ERROR(WithFile(std::move(s), JoinPath(dir_, SegmentFileName(segment_))));
  return OpenSegmentLocked(segment_ + 1);
}

Status Wal::OpenSegmentLocked(uint64_t number) {
  const std::string path = JoinPath(dir_, SegmentFileName(number));
  STRIX_ASSIGN_OR_RETURN(file_, env_.NewWritableFile(path));
  segment_ = number;
  m_segments_.fetch_add(1, std::memory_order_relaxed);
  m_current_segment_.store(number, std::memory_order_relaxed);
  std::string header;
  AppendFileHeader(FileKind::kSegment, number, &header);
  dirty_ = true;
  STRIX_RETURN_IF_ERROR(WithFile(file_->Append(header), path));
  m_bytes_.fetch_add(header.size(), std::memory_order_relaxed);
  AddDiskBytes(static_cast<int64_t>(header.size()));
  STRIX_RETURN_IF_ERROR(SyncLocked());
  // The new name must be durable before records in it are acknowledged.
  return env_.SyncDir(dir_);
}

void Wal::RecordIoErrorLocked(const Status& s) {
  if (!io_error_.ok()) return;
  io_error_ = s;
  {
    MutexLock l(&mu_);
    if (bg_error_.ok()) bg_error_ = s;
  }
  STRIX_LOG(kError, "wal: write failed, refusing appends until reopened", "dir", dir_, "segment",
            segment_, "status", s);
}

Status Wal::Sync() {
  MutexLock io(&io_mu_);
  if (!io_error_.ok()) return io_error_;
  if (file_ == nullptr) return Status::FailedPrecondition("wal: closed", dir_);
  if (!dirty_) return Status::Ok();
  Status s = SyncLocked();
  if (!s.ok()) RecordIoErrorLocked(s);
  return s;
}

Result<uint64_t> Wal::NextSegment() {
  MutexLock io(&io_mu_);
  if (!io_error_.ok()) return io_error_;
  if (file_ == nullptr) return Status::FailedPrecondition("wal: closed", dir_);
  Status s = RotateLocked();
  if (!s.ok()) {
    RecordIoErrorLocked(s);
    return s;
  }
  return segment_;
}

void Wal::SyncLoop(std::stop_token stop) {
  std::stop_callback wake(stop, [this] {
    MutexLock l(&mu_);
    stop_cv_.SignalAll();
  });
  const auto interval = std::chrono::milliseconds(options_.sync_interval_ms);
  while (true) {
    {
      MutexLock l(&mu_);
      if (stop.stop_requested()) return;
      stop_cv_.WaitFor(&mu_, interval);  // an early wake-up only syncs early
      if (stop.stop_requested()) return;
    }
    MutexLock io(&io_mu_);
    if (!io_error_.ok() || file_ == nullptr || !dirty_) continue;
    Status s = SyncLocked();
    if (!s.ok()) RecordIoErrorLocked(s);
  }
}

Status Wal::WriteCheckpoint(std::span<const Record> records, uint64_t n) {
  MutexLock c(&ckpt_mu_);
  uint64_t current = 0;
  {
    MutexLock io(&io_mu_);
    if (!io_error_.ok()) return io_error_;
    if (file_ == nullptr) return Status::FailedPrecondition("wal: closed", dir_);
    current = segment_;
  }
  if (n == 0 || n > current) {
    return Status::InvalidArgument(
        "wal: checkpoint must not cover the open segment",
        fmt::format("first_segment_not_covered={} current={}", n, current));
  }
  if (n < checkpoint_number_) {
    return Status::InvalidArgument(
        "wal: checkpoint older than the current one",
        fmt::format("first_segment_not_covered={} current={}", n, checkpoint_number_));
  }
  size_t bytes = 0;
  STRIX_RETURN_IF_ERROR(ValidateRecords(records, &bytes));

  // 1. checkpoint.N.tmp, written and fsync'ed.
  const std::string tmp = JoinPath(dir_, CheckpointTempFileName(n));
  const std::string path = JoinPath(dir_, CheckpointFileName(n));
  uint64_t size = 0;
  {
    STRIX_ASSIGN_OR_RETURN(auto f, env_.NewWritableFile(tmp));
    std::string buf;
    AppendFileHeader(FileKind::kCheckpoint, n, &buf);
    Status s;
    for (const Record& r : records) {
      AppendRecord(r.type, r.payload, &buf);
      if (buf.size() >= kCheckpointWriteChunk) {
        s = f->Append(buf);
        buf.clear();
        if (!s.ok()) break;
      }
    }
    if (s.ok() && !buf.empty()) s = f->Append(buf);
    if (s.ok()) s = f->Sync();
    Status closed = f->Close();
    if (s.ok()) s = closed;
    size = f->Size();
    if (!s.ok()) {
      env_.RemoveFile(tmp).IgnoreError();
      return WithFile(std::move(s), tmp);
    }
  }
  // 2. Renamed into place and the directory fsync'ed: from here on the checkpoint is the
  // one replayed, and the segments below n are garbage.
  STRIX_RETURN_IF_ERROR(env_.RenameFile(tmp, path));
  STRIX_RETURN_IF_ERROR(env_.SyncDir(dir_));
  const uint64_t old = checkpoint_number_;
  const uint64_t old_bytes = checkpoint_bytes_;
  checkpoint_number_ = n;
  checkpoint_bytes_ = size;
  m_checkpoints_.fetch_add(1, std::memory_order_relaxed);
  AddDiskBytes(static_cast<int64_t>(size));

  // 3. Delete what it replaces. A failure leaves stale files that the next open removes.
  Status result;
  std::vector<std::pair<uint64_t, uint64_t>> covered;
  {
    MutexLock io(&io_mu_);
    for (const auto& [num, seg_bytes] : closed_segments_)
      if (num < n) covered.emplace_back(num, seg_bytes);
  }
  for (const auto& [num, seg_bytes] : covered) {
    Status s = RemoveIfExists(env_, JoinPath(dir_, SegmentFileName(num)));
    if (!s.ok()) {
      if (result.ok()) result = s;
      continue;
    }
    MutexLock io(&io_mu_);
    closed_segments_.erase(num);
    m_segments_.fetch_sub(1, std::memory_order_relaxed);
    AddDiskBytes(-static_cast<int64_t>(seg_bytes));
  }
  if (old == n) {
    AddDiskBytes(-static_cast<int64_t>(old_bytes));  // replaced by the rename
  } else if (old != 0) {
    Status s = RemoveIfExists(env_, JoinPath(dir_, CheckpointFileName(old)));
    if (s.ok()) {
      AddDiskBytes(-static_cast<int64_t>(old_bytes));
    } else if (result.ok()) {
      result = s;
    }
  }
  Status s = env_.SyncDir(dir_);
  if (result.ok()) result = s;
  return result;
}

Status Wal::Close() {
  {
    MutexLock l(&mu_);
    if (closed_) return Status::Ok();
    closed_ = true;
  }
  if (syncer_.joinable()) {
    syncer_.request_stop();
    syncer_.join();
  }
  MutexLock io(&io_mu_);
  Status s = io_error_;
  if (file_ != nullptr) {
    if (s.ok() && dirty_) s = SyncLocked();
    Status closed = file_->Close();
    if (s.ok()) s = closed;
    file_.reset();
  }
  lock_.reset();
  return s;
}

void Wal::AddDiskBytes(int64_t delta) { m_disk_bytes_.fetch_add(delta, std::memory_order_relaxed); }

WalMetrics Wal::Metrics() const {
  WalMetrics m;
  m.appends = m_appends_.load(std::memory_order_relaxed);
  m.records = m_records_.load(std::memory_order_relaxed);
  m.bytes_written = m_bytes_.load(std::memory_order_relaxed);
  m.groups = m_groups_.load(std::memory_order_relaxed);
  m.syncs = m_syncs_.load(std::memory_order_relaxed);
  m.checkpoints = m_checkpoints_.load(std::memory_order_relaxed);
  m.segments = m_segments_.load(std::memory_order_relaxed);
  m.current_segment = m_current_segment_.load(std::memory_order_relaxed);
  m.size_on_disk = static_cast<uint64_t>(std::max<int64_t>(0, m_disk_bytes_.load()));
  for (size_t i = 0; i < m.fsync_latency_us.size(); ++i)
    m.fsync_latency_us[i] = m_fsync_buckets_[i].load(std::memory_order_relaxed);
  m.fsync_latency_sum_us = m_fsync_sum_us_.load(std::memory_order_relaxed);
  return m;
}

}  // namespace strix::storage::wal
