// The agent buffer's on-disk format (docs/format/agent-buffer.md): file names, the 20-byte
// file header that opens every segment and the ack log, the 24-byte record frame and the
// 12-byte ack entry. The encoders and the small decoders here are pure functions over bytes;
// ScanSegment walks a segment through a RandomAccessFile in bounded pieces (the payloads
// are checked against their CRC but never held whole), so Open, the fuzz target and the
// tests share one decoder, and that decoder is total: any file yields a Defect, never a
// read outside the file and never an allocation sized by a length field.
//
// Thread-safety: pure functions and value types; ScanSegment only reads the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/env.h"
#include "core/status.h"

namespace strix::agents::buffer::internal {

// File header: magic, version, three reserved zero bytes, a 64-bit number (a segment's
// first seq; the ack log's watermark) and the masked CRC32C of the 16 bytes before it.
inline constexpr char kSegmentMagic[4] = {'S', 'T', 'X', 'B'};
inline constexpr char kAckLogMagic[4] = {'S', 'T', 'X', 'K'};
inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kFileHeaderSize = 20;
// Record frame: masked CRC32C (4) | payload length (4) | seq (8) | created_ms (8) | payload.
inline constexpr size_t kRecordHeaderSize = 24;
// Ack entry: seq (8) | masked CRC32C of those 8 bytes (4).
inline constexpr size_t kAckEntrySize = 12;
// Payloads above this are refused by Append and are a defect to readers.
inline constexpr uint32_t kMaxPayload = 64u << 20;
// Frames must start below this offset (the in-memory index keeps 32-bit offsets).
inline constexpr uint64_t kMaxSegmentOffset = UINT32_MAX;

inline constexpr std::string_view kAckLogName = "acks";
inline constexpr std::string_view kLockName = "LOCK";
inline constexpr std::string_view kSegmentSuffix = ".seg";

// What is wrong at some offset of a file. kNone means the header or record is good.
enum class Defect : uint8_t {
  kNone = 0,
  kShortHeader,         // the file ends inside the file header
  kBadMagic,            // the file does not start with the expected magic
  kBadHeaderCrc,        // the file header's CRC does not match
  kUnsupportedVersion,  // a good header of a version this code cannot read
  kWrongNumber,         // the segment header's first seq differs from the file name
  kShortRecord,         // the file ends inside a record header
  kLengthTooLarge,      // the length field is above kMaxPayload
  kLengthBeyondEof,     // the length field points past the end of the file
  kCrcMismatch,         // the stored CRC does not match length, seq, created_ms, payload
  kSeqMismatch,         // a good frame whose seq is not the previous one plus one
  kSegmentTooLarge,     // a frame starts beyond kMaxSegmentOffset
};

// A stable lower-case name ("crc mismatch") for logs and Status contexts.
std::string_view DefectName(Defect d);

// True for the defects a crash can leave at the end of the last segment (a torn write):
// everything but a version this code does not know.
inline bool IsTornWriteDefect(Defect d) {
  return d != Defect::kNone && d != Defect::kUnsupportedVersion;
}

// ---- names ----------------------------------------------------------------------------

// "00000000000000000042.seg": the first seq, zero-padded to 20 digits.
std::string SegmentFileName(uint64_t first_seq);
// The first seq of a canonical segment name; nullopt for anything else.
std::optional<uint64_t> ParseSegmentFileName(std::string_view name);

// ---- encoding -------------------------------------------------------------------------

void AppendFileHeader(const char (&magic)[4], uint64_t number, std::string* dst);
// Appends one framed record. The caller checks payload.size() <= kMaxPayload.
void AppendRecord(uint64_t seq, int64_t created_ms, std::string_view payload, std::string* dst);
void AppendAckEntry(uint64_t seq, std::string* dst);
inline uint64_t FramedSize(uint64_t payload_size) { return kRecordHeaderSize + payload_size; }

// ---- decoding -------------------------------------------------------------------------

// Checks the 20-byte header at the start of `bytes` (which may be shorter: kShortHeader).
Defect ParseFileHeader(std::string_view bytes, const char (&magic)[4], uint64_t* number);

struct RecordHeader {
  uint32_t stored_crc = 0;  // unmasked
  uint32_t length = 0;
  uint64_t seq = 0;
  int64_t created_ms = 0;
};
// Decodes the 24 bytes at p (no checks).
RecordHeader DecodeRecordHeader(const char* p);
// The CRC a frame must carry: over its bytes 4..23 (length, seq, created_ms), then the payload.
uint32_t RecordCrc(const char* header, std::string_view payload);
// Checks a whole frame held in memory (as Next reads it): header, length, CRC and seq.
Defect CheckFrame(std::string_view frame, uint64_t expected_seq);

// One good record found by ScanSegment.
struct ScannedRecord {
  uint64_t offset = 0;  // of the frame's first byte
  uint32_t length = 0;  // payload bytes
  uint64_t seq = 0;
  int64_t created_ms = 0;
};
struct ScanResult {
  Defect defect = Defect::kNone;
  uint64_t good_end = 0;  // the intact prefix [0, good_end): header plus whole good frames
  uint64_t file_size = 0;
  uint64_t records = 0;
};
// Walks a segment that should start at `first_seq`, calling `on_record` for each good
// frame in order, and stops at the first defect. Seqs must run first_seq, first_seq+1, ...
// Only I/O errors are returned as a Status; damage is reported in the ScanResult.
Result<ScanResult> ScanSegment(const RandomAccessFile& file, uint64_t first_seq,
                               const std::function<void(const ScannedRecord&)>& on_record);

// Parses an ack log image: a header (whose number is the watermark) then entries. Calls
// `on_seq` for each good entry and stops at the first bad or short one; `*good_end` is
// the end of the intact prefix. A defect in the header is returned (nothing is called).
Defect ParseAckLog(std::string_view image, uint64_t* watermark, uint64_t* good_end,
                   const std::function<void(uint64_t)>& on_seq);

}  // namespace strix::agents::buffer::internal
