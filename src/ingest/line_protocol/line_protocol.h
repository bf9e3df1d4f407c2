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
// A line whose series key (measurement and tags, byte for byte) and field keys and kinds
// (in the same order) were met earlier in the same body adds its samples to the batch
// series started for that earlier line (WriteBatch::AddNumericTo), found through a small
// hash table of raw series keys: Telegraf and agents send every series once per
// timestamp, and storage then looks each series up, logs and applies it once per body
// instead of once per line. The table remembers at most kMaxRememberedLines series keys;
// later new ones are started as usual. Parse() leaves the batch sealed.
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
    Text key;                       // sanitised; the metric name is metric_prefix_ + key
    const char* raw_key = nullptr;  // the key as written in the body
    uint32_t raw_key_size = 0;
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
  // The remembered line with the current line's series key, or nullptr. Raw bytes are
  // compared, so tags written in another order make other batch series (storage merges
  // them).
  struct SeenLine;
  const SeenLine* FindLine(uint64_t hash) const;
  // True when the current line's fields_ match the remembered line's, key for key.
  bool SameFields(const SeenLine& line) const;
  void RememberLine(uint64_t hash, const SeenLine* existing, uint32_t first_series);
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

  // Lines remembered in this body, by raw series key: open addressing over slots, a
  // power-of-two size. Views point into the body, so every Parse() starts a new
  // generation (a slot of an older one is empty); the slots keep their memory.
  struct SeenLine {
    const char* key;  // measurement and tags as written
    uint32_t key_size;
    uint32_t first_field;  // in seen_fields_
    uint32_t field_count;
    uint32_t first_series;  // the batch series of its fields, consecutive
  };
  struct SeenField {
    const char* raw_key;
    uint32_t raw_key_size;
    storage::ValueKind kind;
  };
  struct Slot {
    uint64_t generation = 0;
    uint64_t hash = 0;
    uint32_t line = 0;  // in seen_lines_
  };
  std::vector<Slot> slots_;
  std::vector<SeenLine> seen_lines_;
  std::vector<SeenField> seen_fields_;
  uint64_t generation_ = 0;
  std::string_view series_key_;  // the current line's measurement and tags, raw
};

// The most series keys one Parse() remembers for AddNumericTo (bounds the table).
inline constexpr size_t kMaxRememberedLines = 1 << 16;

}  // namespace strix::ingest
