// InfluxDB line protocol (1.x and 2.x) parsed straight into a storage::WriteBatch, so that
// Telegraf and the many devices that speak it can write to Strix. No network code: the
// HTTP layer un-gzips the body of POST /write or /api/v2/write and calls Parse() with the
// `precision` query parameter (ParsePrecision) and the current time. docs/wire/line-protocol.md
// is the reference for the grammar, the escapes, the mapping to series and every error.
//
//   cpu,host=a,cpu=cpu0 usage_idle=97.5,procs=12i 1700000000000000000
//
// becomes two series, cpu_usage_idle{cpu="cpu0",host="a"} (gauge 97.5) and
// cpu_procs{cpu="cpu0",host="a"} (derive 12), both at 1700000000000 ms.
//
// A line is all or nothing: when any part of it is invalid, none of its fields reaches the
// batch, the line is counted as rejected and an error naming its line and byte column is
// kept (the first ParseOptions::max_errors of them). Every series is started with the
// line's 1-based number as its WriteBatch tag, so that Storage::Append's rejections can
// name the line too.
//
// Cost: the body is read through string_views; text is copied only when it holds an
// escape or a character that must be replaced, into a scratch buffer that the parser
// keeps across lines and calls. Once warmed up, a parser and a reused batch allocate
// nothing per line or per sample (except to record an error message).
//
// Thread-safety: a LineProtocolParser is not thread-safe; give each worker its own. It
// holds no reference to the body or the batch between calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/status.h"
#include "storage/model.h"
#include "storage/write_batch.h"

namespace strix::ingest {

// The unit of the timestamps in a body (the `precision` query parameter).
enum class Precision : uint8_t {
  kNanoseconds,
  kMicroseconds,
  kMilliseconds,
  kSeconds,
  kMinutes,  // InfluxDB 1.x "m"
  kHours,    // InfluxDB 1.x "h"
};

// Reads a `precision` query parameter. "" (absent) and "ns"/"n" are nanoseconds, "us"/"u"
// microseconds, "ms" milliseconds, "s" seconds, and InfluxDB 1.x's "m" minutes and "h"
// hours. Anything else is InvalidArgument naming the value.
Result<Precision> ParsePrecision(std::string_view name);
// "ns", "us", "ms", "s", "m", "h".
std::string_view PrecisionName(Precision p);

// The longest string field value (a state), in bytes after unescaping.
inline constexpr size_t kMaxStateBytes = 4096;
// The largest accepted ParseOptions::max_line_bytes.
inline constexpr size_t kMaxLineBytesLimit = size_t{1} << 30;

struct ParseOptions {
  // Unit of the timestamps written in the body.
  Precision precision = Precision::kNanoseconds;
  // A line longer than this (in bytes, without its \n or \r\n) is rejected unread.
  size_t max_line_bytes = 64 * 1024;
  // A line with more fields than this is rejected.
  size_t max_fields_per_line = 1000;
  // Errors kept in ParseStats::first_errors; all rejected lines are counted regardless.
  size_t max_errors = 10;

  // InvalidArgument when a field is out of its domain (zero limits, unknown precision).
  Status Validate() const;
};

// Why one line was rejected.
struct LineError {
  uint32_t line = 0;    // 1-based line number in the body (saturates at 2^32-1)
  uint32_t column = 0;  // 1-based byte offset in the line of the offending element
  std::string message;  // e.g. "invalid field value: expected a number, ..."

  // "line 7, column 23: invalid field value: ..."
  std::string ToString() const;
};

struct ParseStats {
  uint64_t lines = 0;           // data lines seen (blank lines and comments are not counted)
  uint64_t samples = 0;         // samples added to the batch (one per field of a valid line)
  uint64_t rejected_lines = 0;  // data lines rejected as a whole
  std::vector<LineError> first_errors;  // the first max_errors rejections, in line order
};

class LineProtocolParser {
 public:
  explicit LineProtocolParser(ParseOptions options = {});

  // Parses `body` and appends one series with one sample per field of every valid line to
  // `batch` (which is not cleared first). Lines without a timestamp get `now_ms`.
  // `*stats` is reset, then describes this body. Returns InvalidArgument only when the
  // options are invalid (nothing is parsed then); problems in the body never make it fail
  // but are reported per line in `*stats`.
  Status Parse(std::string_view body, int64_t now_ms, storage::WriteBatch* batch,
               ParseStats* stats);

  const ParseOptions& options() const { return options_; }

 private:
  // A piece of text: a view of the body, or (in_body false) a range of scratch_. Offsets
  // survive scratch_ growing; a view from Resolve() is valid until scratch_ grows again,
  // and for the whole emission of a line (scratch_ no longer grows then).
  struct Text {
    const char* data = nullptr;  // in the body
    uint32_t offset = 0;         // in scratch_
    uint32_t size = 0;
    bool in_body = true;
  };
  struct Tag {
    Text name;  // sanitised
    Text value;
    uint32_t column;  // 0-based offset of the key in the line
  };
  struct Field {
    Text key;  // sanitised; the metric name is metric_prefix_ + key
    storage::ValueKind kind = storage::ValueKind::kGauge;
    storage::NumericValue value{.u = 0};
    Text state;  // the string of a kState field
  };

  // Parses one data line (without \n or the \r of \r\n; `first` is the offset of its
  // first non-blank byte). On success the measurement is in metric_prefix_, the sorted
  // non-empty tags in tags_, the fields in fields_ and the timestamp in *ts. On failure
  // returns false with error_column_ and error_ set.
  bool ParseLine(std::string_view line, size_t first, int64_t now_ms, storage::Timestamp* ts);
  bool ParseMeasurement(const char*& p, const char* end);
  bool ParseTags(const char*& p, const char* end);
  bool ParseFields(const char*& p, const char* end);
  bool ParseFieldValue(const char*& p, const char* end, Field* field);
  bool ParseTimestamp(const char*& p, const char* end, int64_t now_ms, storage::Timestamp* ts);
  // A sanitised label name for the tag key [begin, end): a view of the body when it is
  // already valid, else a copy in scratch_. False when it is not valid UTF-8.
  bool MakeLabelName(const char* begin, const char* end, bool has_escape, Text* out);
  // [begin, end) as a view of the body, or unescaped into scratch_ when it has escapes
  // (`escape`: the byte class a backslash escapes in this position).
  Text MakeText(const char* begin, const char* end, bool has_escape, uint16_t escape);
  std::string_view Resolve(const Text& t) const;
  // Records the error of the current line at `at`; returns false.
  bool Fail(const char* at, std::string message);

  ParseOptions options_;
  const char* line_begin_ = nullptr;  // the current line, for columns
  // Reused across lines and calls, so that a warmed-up parser allocates nothing per line.
  std::string scratch_;        // unescaped and sanitised text of the current line
  std::string metric_prefix_;  // sanitised measurement + '_'
  std::string metric_;         // metric name of the field being emitted
  std::string number_buf_;     // a float that from_chars found out of range, for strtod
  std::vector<Tag> tags_;      // sorted by name, unique, no empty values
  std::vector<Field> fields_;
  std::vector<storage::LabelPair> labels_;  // [0] is __name__, then tags_
  size_t tags_encoded_bytes_ = 0;           // tags_ in WriteBatch's label encoding
  uint32_t error_column_ = 0;
  std::string error_;
};

}  // namespace strix::ingest
