// Reader: lists a WAL directory, validates and picks the checkpoint, and walks the
// segments with internal::FileCursor, turning the first defect into a Damage according
// to where it is (last segment or earlier) and the corruption policy.
#include "storage/wal/reader.h"

#include <fmt/format.h>

#include <algorithm>

#include "storage/wal/internal/format.h"

namespace strix::storage::wal {

using internal::CheckpointFileName;
using internal::Defect;
using internal::DefectName;
using internal::FileCursor;
using internal::FileKind;
using internal::Frame;
using internal::SegmentFileName;

std::string Damage::ToString() const {
  return fmt::format("segment {} offset {}: {}", SegmentFileName(segment), offset, reason);
}

std::string_view DamageKindName(Damage::Kind kind) {
  switch (kind) {
    case Damage::Kind::kTornTail:
      return "torn-tail";
    case Damage::Kind::kCorruption:
      return "corruption";
    case Damage::Kind::kMissingSegment:
      return "missing-segment";
  }
  return "unknown";
}

Reader::Reader(Env& env, std::string dir, ReadOptions options)
    : env_(env), dir_(std::move(dir)), options_(options) {}

Reader::~Reader() = default;

Result<std::unique_ptr<Reader>> Reader::Open(Env& env, const std::string& dir,
                                             const ReadOptions& options) {
  std::unique_ptr<Reader> r(new Reader(env, dir, options));
  STRIX_RETURN_IF_ERROR(r->Init());
  return r;
}

Status Reader::Init() {
  STRIX_ASSIGN_OR_RETURN(std::vector<std::string> names, env_.ListDir(dir_));
  std::vector<uint64_t> segments;
  std::vector<uint64_t> checkpoints;
  for (const std::string& name : names) {
    auto parsed = internal::ParseFileName(name);
    if (!parsed) continue;  // not ours (a lock file, an editor's backup, ...)
    switch (parsed->kind) {
      case internal::NameKind::kSegment:
        segments.push_back(parsed->number);
        break;
      case internal::NameKind::kCheckpoint:
        checkpoints.push_back(parsed->number);
        break;
      case internal::NameKind::kCheckpointTemp:
        stale_files_.push_back(name);  // a checkpoint that was never renamed into place
        break;
    }
  }
  std::sort(segments.begin(), segments.end());
  std::sort(checkpoints.begin(), checkpoints.end());

  // The newest checkpoint that validates completely. Checkpoints are renamed into place
  // only after an fsync, so any defect in one is corruption, never a torn write.
  for (auto it = checkpoints.rbegin(); it != checkpoints.rend(); ++it) {
    const std::string name = CheckpointFileName(*it);
    STRIX_ASSIGN_OR_RETURN(auto region, env_.MapReadOnly(JoinPath(dir_, name)));
    FileCursor cursor(region->data(), FileKind::kCheckpoint, *it);
    Frame frame;
    while (cursor.Next(&frame)) {
    }
    if (cursor.defect() == Defect::kNone) {
      checkpoint_ = *it;
      checkpoint_region_ = std::move(region);
      break;
    }
    std::string where =
        fmt::format("{} offset {}: {}", name, cursor.good_end(), DefectName(cursor.defect()));
    if (cursor.defect() == Defect::kUnsupportedVersion)
      return Status::Unimplemented("wal: unsupported format version", where);
    if (options_.on_corruption == CorruptionPolicy::kFail)
      return Status::Corruption("wal: corrupt checkpoint", where);
    bad_checkpoints_.push_back(*it);
  }
  for (uint64_t c : checkpoints)
    if (checkpoint_ && c < *checkpoint_) stale_files_.push_back(CheckpointFileName(c));

  const uint64_t covered = checkpoint_.value_or(0);  // segments below are in the checkpoint
  if (!segments.empty()) last_segment_ = segments.back();
  for (uint64_t s : segments) {
    if (s < covered) {
      stale_files_.push_back(SegmentFileName(s));
    } else if (s >= options_.from_segment) {
      live_segments_.push_back(s);
    }
  }

  checkpoint_pending_ = checkpoint_ && options_.from_segment < *checkpoint_;
  if (checkpoint_pending_) {
    expected_segment_ = *checkpoint_;
  } else if (options_.from_segment > 0 && (checkpoint_ || !live_segments_.empty())) {
    // Without a checkpoint the WAL begins at its first segment.
    expected_segment_ = checkpoint_ ? options_.from_segment
                                    : std::max(options_.from_segment, live_segments_.front());
  }
  if (!checkpoint_pending_) checkpoint_region_.reset();
  return Status::Ok();
}

bool Reader::Next(RecordView* out) {
  while (!finished_) {
    if (cursor_ == nullptr && !OpenNextFile()) {
      finished_ = true;
      break;
    }
    Frame frame;
    if (cursor_->Next(&frame)) {
      out->type = frame.type;
      out->payload = frame.payload;
      out->segment = cursor_number_;
      out->offset = frame.offset;
      out->from_checkpoint = cursor_is_checkpoint_;
      ++records_read_;
      return true;
    }
    if (cursor_->defect() != Defect::kNone) {
      StopAtDefect();
      finished_ = true;
      break;
    }
    cursor_.reset();
    region_.reset();
  }
  return false;
}

bool Reader::OpenNextFile() {
  if (checkpoint_pending_) {
    checkpoint_pending_ = false;
    region_ = std::move(checkpoint_region_);
    cursor_ = std::make_unique<FileCursor>(region_->data(), FileKind::kCheckpoint, *checkpoint_);
    cursor_number_ = *checkpoint_;
    cursor_is_checkpoint_ = true;
    return true;
  }
  if (next_segment_ >= live_segments_.size()) return false;
  const uint64_t n = live_segments_[next_segment_];
  if (expected_segment_ && n != *expected_segment_) {
    StopAtMissingSegment(*expected_segment_, next_segment_);
    return false;
  }
  auto region = env_.MapReadOnly(JoinPath(dir_, SegmentFileName(n)));
  if (!region.ok()) {
    status_ = region.status();
    return false;
  }
  region_ = std::move(*region);
  cursor_ = std::make_unique<FileCursor>(region_->data(), FileKind::kSegment, n);
  cursor_number_ = n;
  cursor_is_checkpoint_ = false;
  ++next_segment_;
  expected_segment_ = n + 1;
  return true;
}

uint64_t Reader::BytesOfSegmentsFrom(size_t index) {
  uint64_t total = 0;
  for (size_t i = index; i < live_segments_.size(); ++i) {
    auto size = env_.FileSize(JoinPath(dir_, SegmentFileName(live_segments_[i])));
    if (size.ok()) total += *size;
  }
  return total;
}

void Reader::StopAtDefect() {
  const Defect defect = cursor_->defect();
  const uint64_t offset = cursor_->good_end();
  const std::string file =
      cursor_is_checkpoint_ ? CheckpointFileName(cursor_number_) : SegmentFileName(cursor_number_);
  if (defect == Defect::kUnsupportedVersion) {
    status_ = Status::Unimplemented("wal: unsupported format version", file);
    return;
  }
  if (cursor_is_checkpoint_) {  // validated at Open: the file changed under us
    status_ = Status::Corruption("wal: checkpoint changed while reading",
                                 fmt::format("{} offset {}", file, offset));
    return;
  }
  Damage d;
  d.segment = cursor_number_;
  d.offset = offset;
  d.reason = std::string(DefectName(defect));
  d.dropped_bytes = region_->data().size() - offset;
  // A header with a good CRC but the wrong kind or number is a misplaced file, not a
  // torn write, so it is corruption even in the last segment.
  const bool misplaced = defect == Defect::kWrongKind || defect == Defect::kWrongNumber;
  if (!misplaced && last_segment_ && cursor_number_ == *last_segment_) {
    d.kind = Damage::Kind::kTornTail;
  } else {
    d.kind = Damage::Kind::kCorruption;
    d.dropped_segments = live_segments_.size() - next_segment_;  // the later ones
    d.dropped_bytes += BytesOfSegmentsFrom(next_segment_);
    if (options_.on_corruption == CorruptionPolicy::kFail)
      status_ = Status::Corruption("wal: corrupt record", d.ToString());
  }
  damage_ = std::move(d);
}

void Reader::StopAtMissingSegment(uint64_t expected, size_t index) {
  Damage d;
  d.kind = Damage::Kind::kMissingSegment;
  d.segment = expected;
  d.offset = 0;
  d.reason = "missing segment";
  d.dropped_segments = live_segments_.size() - index;
  d.dropped_bytes = BytesOfSegmentsFrom(index);
  if (options_.on_corruption == CorruptionPolicy::kFail)
    status_ = Status::Corruption("wal: missing segment", d.ToString());
  damage_ = std::move(d);
}

}  // namespace strix::storage::wal
