// WAL format encoding and the total decoder shared by the reader, dump and fuzz target.
#include "storage/wal/internal/format.h"

#include <fmt/format.h>

#include <cstring>

#include "core/coding.h"
#include "core/crc32c.h"

namespace strix::storage::wal::internal {
namespace {

constexpr std::string_view kCheckpointPrefix = "checkpoint.";
constexpr std::string_view kTempSuffix = ".tmp";

bool AllZero(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] != 0) return false;
  return true;
}

// A canonical number: at least 8 digits, zero-padded exactly as SegmentFileName writes it.
std::optional<uint64_t> ParseNumber(std::string_view s) {
  if (s.size() < 8 || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  if (SegmentFileName(v) != s) return std::nullopt;  // "000000001" is not canonical
  return v;
}

}  // namespace

std::string_view DefectName(Defect d) {
  switch (d) {
    case Defect::kNone:
      return "none";
    case Defect::kShortHeader:
      return "short header";
    case Defect::kZeroFilled:
      return "zero-filled tail";
    case Defect::kLengthBeyondEof:
      return "length beyond end of file";
    case Defect::kLengthTooLarge:
      return "length above maximum";
    case Defect::kCrcMismatch:
      return "crc mismatch";
    case Defect::kBadType:
      return "record type 0";
    case Defect::kBadMagic:
      return "bad magic";
    case Defect::kBadHeaderCrc:
      return "file header crc mismatch";
    case Defect::kUnsupportedVersion:
      return "unsupported version";
    case Defect::kWrongKind:
      return "wrong file kind";
    case Defect::kWrongNumber:
      return "header number differs from file name";
  }
  return "unknown";
}

std::string SegmentFileName(uint64_t number) { return fmt::format("{:08d}", number); }

std::string CheckpointFileName(uint64_t number) {
  return std::string(kCheckpointPrefix) + SegmentFileName(number);
}

std::string CheckpointTempFileName(uint64_t number) {
  return CheckpointFileName(number) + std::string(kTempSuffix);
}

std::optional<ParsedName> ParseFileName(std::string_view name) {
  if (name.substr(0, kCheckpointPrefix.size()) == kCheckpointPrefix) {
    std::string_view rest = name.substr(kCheckpointPrefix.size());
    NameKind kind = NameKind::kCheckpoint;
    if (rest.size() > kTempSuffix.size() &&
        rest.substr(rest.size() - kTempSuffix.size()) == kTempSuffix) {
      rest.remove_suffix(kTempSuffix.size());
      kind = NameKind::kCheckpointTemp;
    }
    auto n = ParseNumber(rest);
    if (!n) return std::nullopt;
    return ParsedName{kind, *n};
  }
  auto n = ParseNumber(name);
  if (!n) return std::nullopt;
  return ParsedName{NameKind::kSegment, *n};
}

void AppendFileHeader(FileKind kind, uint64_t number, std::string* dst) {
  char h[kFileHeaderSize];
  std::memcpy(h, kMagic, 4);
  h[4] = static_cast<char>(kVersion);
  h[5] = static_cast<char>(kind);
  h[6] = 0;
  h[7] = 0;
  EncodeFixed64(h + 8, number);
  EncodeFixed32(h + 16, crc32c::Mask(crc32c::Value(h, 16)));
  dst->append(h, kFileHeaderSize);
}

void AppendRecord(uint8_t type, std::string_view payload, std::string* dst) {
  char h[kRecordHeaderSize];
  EncodeFixed32(h + 4, static_cast<uint32_t>(payload.size()));
  h[8] = static_cast<char>(type);
  uint32_t crc = crc32c::Extend(0, h + 4, 5);
  crc = crc32c::Extend(crc, payload.data(), payload.size());
  EncodeFixed32(h, crc32c::Mask(crc));
  dst->append(h, kRecordHeaderSize);
  dst->append(payload);
}

Defect ParseFileHeader(std::string_view image, FileHeader* out) {
  if (image.size() < kFileHeaderSize) {
    return !image.empty() && AllZero(image.data(), image.size()) ? Defect::kZeroFilled
                                                                 : Defect::kShortHeader;
  }
  const char* p = image.data();
  if (AllZero(p, image.size())) return Defect::kZeroFilled;
  if (std::memcmp(p, kMagic, 4) != 0) return Defect::kBadMagic;
  if (crc32c::Unmask(DecodeFixed32(p + 16)) != crc32c::Value(p, 16)) return Defect::kBadHeaderCrc;
  out->version = static_cast<uint8_t>(p[4]);
  out->kind = static_cast<FileKind>(static_cast<uint8_t>(p[5]));
  out->number = DecodeFixed64(p + 8);
  if (out->version != kVersion) return Defect::kUnsupportedVersion;
  if (out->kind != FileKind::kSegment && out->kind != FileKind::kCheckpoint)
    return Defect::kWrongKind;
  return Defect::kNone;
}

Defect ParseRecord(std::string_view image, uint64_t offset, Frame* out) {
  const uint64_t left = image.size() - offset;
  const char* p = image.data() + offset;
  out->offset = offset;
  if (left < kRecordHeaderSize)
    return AllZero(p, left) ? Defect::kZeroFilled : Defect::kShortHeader;
  const uint32_t stored = DecodeFixed32(p);
  const uint32_t length = DecodeFixed32(p + 4);
  const auto type = static_cast<uint8_t>(p[8]);
  // Only a header of zeros pays for the scan of the rest.
  if (stored == 0 && length == 0 && type == 0 && AllZero(p, left)) return Defect::kZeroFilled;
  if (length > left - kRecordHeaderSize) return Defect::kLengthBeyondEof;
  if (length > kMaxRecordPayload) return Defect::kLengthTooLarge;
  out->type = type;
  out->payload = std::string_view(p + kRecordHeaderSize, length);
  out->stored_crc = crc32c::Unmask(stored);
  out->computed_crc = crc32c::Value(p + 4, 5 + static_cast<size_t>(length));
  if (out->stored_crc != out->computed_crc) return Defect::kCrcMismatch;
  if (type == 0) return Defect::kBadType;
  return Defect::kNone;
}

FileCursor::FileCursor(std::string_view image, FileKind expected_kind,
                       std::optional<uint64_t> expected_number)
    : image_(image), expected_kind_(expected_kind), expected_number_(expected_number) {}

bool FileCursor::Next(Frame* out) {
  if (done_) return false;
  if (!header_checked_) {
    header_checked_ = true;
    Defect d = ParseFileHeader(image_, &header_);
    if (d == Defect::kNone && header_.kind != expected_kind_) d = Defect::kWrongKind;
    if (d == Defect::kNone && expected_number_ && header_.number != *expected_number_)
      d = Defect::kWrongNumber;
    if (d != Defect::kNone) {
      defect_ = d;
      done_ = true;
      return false;
    }
    pos_ = kFileHeaderSize;
  }
  if (pos_ == image_.size()) {
    done_ = true;
    return false;
  }
  Defect d = ParseRecord(image_, pos_, out);
  if (d != Defect::kNone) {
    defect_ = d;
    done_ = true;
    return false;
  }
  pos_ += out->size();
  ++records_;
  return true;
}

}  // namespace strix::storage::wal::internal
