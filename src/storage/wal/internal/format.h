// The WAL's on-disk format (docs/format/wal.md): file names, the 20-byte file header that
// opens every segment and checkpoint, and the 9-byte record frame. Everything here is a
// pure function over bytes in memory, so the reader, the dump tool and the fuzz target
// share one decoder, and that decoder is total: any input yields a Defect, never a read
// outside the given bytes and never an allocation.
//
// Thread-safety: pure functions and value types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strix::storage::wal::internal {

// File header: magic "STXW", version, kind, two reserved bytes, the file's number, and a
// masked CRC32C of the 16 bytes before it.
inline constexpr char kMagic[4] = {'S', 'T', 'X', 'W'};
inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kFileHeaderSize = 20;
// Record frame: masked CRC32C (4) | payload length (4) | type (1) | payload.
inline constexpr size_t kRecordHeaderSize = 9;
// Payloads above this are refused by the writer and treated as corruption by readers.
inline constexpr uint32_t kMaxRecordPayload = 256u << 20;

enum class FileKind : uint8_t {
  kSegment = 1,     // records appended by Wal::Append
  kCheckpoint = 2,  // records that replace every segment numbered below `number`
};

// What is wrong at some offset of a file image. kNone means the header or record is good.
enum class Defect : uint8_t {
  kNone = 0,
  kShortHeader,         // fewer bytes than a header before the end of the file
  kZeroFilled,          // nothing but zero bytes from here to the end (preallocation)
  kLengthBeyondEof,     // the length field points past the end of the file
  kLengthTooLarge,      // the length field is above kMaxRecordPayload
  kCrcMismatch,         // the stored CRC does not match type, length and payload
  kBadType,             // a record of type 0 (reserved) with a good CRC
  kBadMagic,            // the file does not start with "STXW"
  kBadHeaderCrc,        // the file header's CRC does not match
  kUnsupportedVersion,  // a good header of a version this code cannot read
  kWrongKind,           // a checkpoint where a segment was expected, or the reverse
  kWrongNumber,         // the number in the header differs from the file name
};

// A stable lower-case name ("crc mismatch"), used in logs, Status contexts and dumps.
std::string_view DefectName(Defect d);

// ---- file names --------------------------------------------------------------------

// "00000042": the segment number zero-padded to at least 8 digits.
std::string SegmentFileName(uint64_t number);
// "checkpoint.00000042".
std::string CheckpointFileName(uint64_t number);
// "checkpoint.00000042.tmp": a checkpoint being written.
std::string CheckpointTempFileName(uint64_t number);

enum class NameKind { kSegment, kCheckpoint, kCheckpointTemp };
struct ParsedName {
  NameKind kind;
  uint64_t number;
};
// Recognises the three names above; anything else (including numbers that do not fit in
// 64 bits or are shorter than 8 digits) is not a WAL file.
std::optional<ParsedName> ParseFileName(std::string_view name);

// ---- encoding ------------------------------------------------------------------------

void AppendFileHeader(FileKind kind, uint64_t number, std::string* dst);
// Appends one framed record. The caller checks payload.size() <= kMaxRecordPayload.
void AppendRecord(uint8_t type, std::string_view payload, std::string* dst);
inline size_t FramedSize(size_t payload_size) { return kRecordHeaderSize + payload_size; }

// ---- decoding ------------------------------------------------------------------------

struct FileHeader {
  uint8_t version = 0;
  FileKind kind = FileKind::kSegment;
  uint64_t number = 0;
};
// Checks the header at the start of `image`. Does not compare kind or number with what
// the caller expects (FileCursor does).
Defect ParseFileHeader(std::string_view image, FileHeader* out);

// One framed record as found in a file image. On kCrcMismatch and kBadType the fields
// are filled too (the length was in bounds), so a dump can show the frame and step over
// it; on other defects they are unspecified.
struct Frame {
  uint64_t offset = 0;  // of the frame's first byte in the file
  uint8_t type = 0;
  std::string_view payload;
  uint32_t stored_crc = 0;    // unmasked
  uint32_t computed_crc = 0;  // over length, type and payload
  uint64_t size() const { return kRecordHeaderSize + payload.size(); }
};
// Parses the record frame at `offset`; requires offset < image.size().
Defect ParseRecord(std::string_view image, uint64_t offset, Frame* out);

// Walks the records of one file image in order, stopping at the first defect: the rule
// every reader of the WAL applies.
class FileCursor {
 public:
  // `expected_number` is compared with the header unless it is nullopt.
  FileCursor(std::string_view image, FileKind expected_kind,
             std::optional<uint64_t> expected_number);

  // The next good record, or false at the end of the image or at a defect.
  bool Next(Frame* out);
  // Why Next returned false: kNone at a clean end of file.
  Defect defect() const { return defect_; }
  // Offset of the defect, or of the end of the last good record. Everything in
  // [0, good_end()) is intact.
  uint64_t good_end() const { return pos_; }
  uint64_t records() const { return records_; }
  // The header as decoded (meaningful once Next has been called).
  const FileHeader& header() const { return header_; }

 private:
  std::string_view image_;
  FileKind expected_kind_;
  std::optional<uint64_t> expected_number_;
  FileHeader header_;
  bool header_checked_ = false;
  bool done_ = false;
  Defect defect_ = Defect::kNone;
  uint64_t pos_ = 0;
  uint64_t records_ = 0;
};

}  // namespace strix::storage::wal::internal
