// Agent buffer format: encoders and the total decoders shared by Open, the fuzz target and
// the tests. See format.h and docs/format/agent-buffer.md.
#include "agents/buffer/internal/format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/coding.h"
#include "core/crc32c.h"

namespace strix::agents::buffer::internal {
namespace {

constexpr size_t kSegmentNameDigits = 20;
constexpr size_t kScanChunk = 64 << 10;  // payload bytes read at a time while scanning

uint32_t AckEntryCrc(const char* seq8) { return crc32c::Mask(crc32c::Value(seq8, 8)); }

}  // namespace

std::string_view DefectName(Defect d) {
  switch (d) {
    case Defect::kNone:
      return "none";
    case Defect::kShortHeader:
      return "short file header";
    case Defect::kBadMagic:
      return "bad magic";
    case Defect::kBadHeaderCrc:
      return "file header crc mismatch";
    case Defect::kUnsupportedVersion:
      return "unsupported version";
    case Defect::kWrongNumber:
      return "first seq differs from file name";
    case Defect::kShortRecord:
      return "short record header";
    case Defect::kLengthTooLarge:
      return "length above maximum";
    case Defect::kLengthBeyondEof:
      return "length beyond end of file";
    case Defect::kCrcMismatch:
      return "crc mismatch";
    case Defect::kSeqMismatch:
      return "seq out of sequence";
    case Defect::kSegmentTooLarge:
      return "segment too large";
  }
  return "unknown";
}

std::string SegmentFileName(uint64_t first_seq) {
  return fmt::format("{:020d}{}", first_seq, kSegmentSuffix);
}

std::optional<uint64_t> ParseSegmentFileName(std::string_view name) {
  if (name.size() != kSegmentNameDigits + kSegmentSuffix.size()) return std::nullopt;
  if (name.substr(kSegmentNameDigits) != kSegmentSuffix) return std::nullopt;
  uint64_t v = 0;
  for (char c : name.substr(0, kSegmentNameDigits)) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

void AppendFileHeader(const char (&magic)[4], uint64_t number, std::string* dst) {
  const size_t start = dst->size();
  dst->append(magic, 4);
  dst->push_back(static_cast<char>(kVersion));
  dst->append(3, '\0');
  PutFixed64(dst, number);
  PutFixed32(dst, crc32c::Mask(crc32c::Value(dst->data() + start, 16)));
}

void AppendRecord(uint64_t seq, int64_t created_ms, std::string_view payload, std::string* dst) {
  char h[kRecordHeaderSize];
  EncodeFixed32(h + 4, static_cast<uint32_t>(payload.size()));
  EncodeFixed64(h + 8, seq);
  EncodeFixed64(h + 16, static_cast<uint64_t>(created_ms));
  EncodeFixed32(h, crc32c::Mask(RecordCrc(h, payload)));
  dst->append(h, kRecordHeaderSize);
  dst->append(payload);
}

void AppendAckEntry(uint64_t seq, std::string* dst) {
  char e[kAckEntrySize];
  EncodeFixed64(e, seq);
  EncodeFixed32(e + 8, AckEntryCrc(e));
  dst->append(e, kAckEntrySize);
}

Defect ParseFileHeader(std::string_view bytes, const char (&magic)[4], uint64_t* number) {
  if (bytes.size() < kFileHeaderSize) return Defect::kShortHeader;
  if (std::memcmp(bytes.data(), magic, 4) != 0) return Defect::kBadMagic;
  if (crc32c::Unmask(DecodeFixed32(bytes.data() + 16)) != crc32c::Value(bytes.data(), 16))
    return Defect::kBadHeaderCrc;
  if (static_cast<uint8_t>(bytes[4]) != kVersion) return Defect::kUnsupportedVersion;
  *number = DecodeFixed64(bytes.data() + 8);
  return Defect::kNone;
}

RecordHeader DecodeRecordHeader(const char* p) {
  RecordHeader h;
  h.stored_crc = crc32c::Unmask(DecodeFixed32(p));
  h.length = DecodeFixed32(p + 4);
  h.seq = DecodeFixed64(p + 8);
  h.created_ms = static_cast<int64_t>(DecodeFixed64(p + 16));
  return h;
}

uint32_t RecordCrc(const char* header, std::string_view payload) {
  uint32_t crc = crc32c::Value(header + 4, kRecordHeaderSize - 4);
  return crc32c::Extend(crc, payload.data(), payload.size());
}

Defect CheckFrame(std::string_view frame, uint64_t expected_seq) {
  if (frame.size() < kRecordHeaderSize) return Defect::kShortRecord;
  RecordHeader h = DecodeRecordHeader(frame.data());
  if (h.length > kMaxPayload) return Defect::kLengthTooLarge;
  if (h.length != frame.size() - kRecordHeaderSize) return Defect::kLengthBeyondEof;
  if (RecordCrc(frame.data(), frame.substr(kRecordHeaderSize)) != h.stored_crc)
    return Defect::kCrcMismatch;
  if (h.seq != expected_seq) return Defect::kSeqMismatch;
  return Defect::kNone;
}

Result<ScanResult> ScanSegment(const RandomAccessFile& file, uint64_t first_seq,
                               const std::function<void(const ScannedRecord&)>& on_record) {
  ScanResult r;
  STRIX_ASSIGN_OR_RETURN(r.file_size, file.Size());
  char head[kFileHeaderSize];
  STRIX_ASSIGN_OR_RETURN(size_t got, file.ReadAt(0, kFileHeaderSize, head));
  uint64_t number = 0;
  r.defect = ParseFileHeader(std::string_view(head, got), kSegmentMagic, &number);
  if (r.defect == Defect::kNone && number != first_seq) r.defect = Defect::kWrongNumber;
  if (r.defect != Defect::kNone) return r;

  std::string chunk;
  uint64_t pos = kFileHeaderSize;
  uint64_t seq = first_seq;
  while (pos < r.file_size) {
    r.good_end = pos;
    if (pos > kMaxSegmentOffset) {
      r.defect = Defect::kSegmentTooLarge;
      return r;
    }
    char h[kRecordHeaderSize];
    STRIX_ASSIGN_OR_RETURN(got, file.ReadAt(pos, kRecordHeaderSize, h));
    if (got < kRecordHeaderSize) {
      r.defect = Defect::kShortRecord;
      return r;
    }
    RecordHeader rh = DecodeRecordHeader(h);
    if (rh.length > kMaxPayload) {
      r.defect = Defect::kLengthTooLarge;
      return r;
    }
    if (rh.length > r.file_size - pos - kRecordHeaderSize) {
      r.defect = Defect::kLengthBeyondEof;
      return r;
    }
    uint32_t crc = crc32c::Value(h + 4, kRecordHeaderSize - 4);
    uint64_t off = pos + kRecordHeaderSize;
    uint64_t left = rh.length;
    chunk.resize(std::min<uint64_t>(left, kScanChunk));
    while (left > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, kScanChunk));
      STRIX_ASSIGN_OR_RETURN(got, file.ReadAt(off, n, chunk.data()));
      if (got < n) {  // the file shrank under us: treat it like any short file
        r.defect = Defect::kLengthBeyondEof;
        return r;
      }
      crc = crc32c::Extend(crc, chunk.data(), n);
      off += n;
      left -= n;
    }
    if (crc != rh.stored_crc) {
      r.defect = Defect::kCrcMismatch;
      return r;
    }
    if (rh.seq != seq) {
      r.defect = Defect::kSeqMismatch;
      return r;
    }
    on_record(ScannedRecord{pos, rh.length, rh.seq, rh.created_ms});
    ++r.records;
    ++seq;
    pos = off;
  }
  r.good_end = pos;
  return r;
}

Defect ParseAckLog(std::string_view image, uint64_t* watermark, uint64_t* good_end,
                   const std::function<void(uint64_t)>& on_seq) {
  *good_end = 0;
  Defect d = ParseFileHeader(image, kAckLogMagic, watermark);
  if (d != Defect::kNone) return d;
  uint64_t pos = kFileHeaderSize;
  while (image.size() - pos >= kAckEntrySize) {
    const char* e = image.data() + pos;
    uint64_t seq = DecodeFixed64(e);
    if (seq == 0 || DecodeFixed32(e + 8) != AckEntryCrc(e)) break;
    on_seq(seq);
    pos += kAckEntrySize;
  }
  *good_end = pos;
  return Defect::kNone;
}

}  // namespace strix::agents::buffer::internal
