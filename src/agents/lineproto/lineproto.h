// The agent's line protocol codec: Points to InfluxDB line protocol text and back, the
// exact dialect strixd accepts (docs/wire/line-protocol.md). The agent posts what Encode
// writes with ?precision=ms; the script input and the hub (Strix-format spoke pages) read
// text with Decode. This is an independent implementation of the grammar: the agent does
// not link src/ingest or storage. No I/O.
//
//   cpu,host=web-1 usage_idle=97.5,procs=12i,bytes=9u,state="ok" 1700000000000\n
//
// Encode writes what strixd will accept whole: it escapes every name and string, leaves out
// what the format cannot carry (NaN and infinite floats, empty names, empty tag values) and
// splits a point whose line would break strixd's limits into several lines that share its
// measurement, tags and timestamp (strixd stores each field as its own series, so the split
// changes nothing). Decode is strict: a line strixd would reject is skipped whole, counted
// and its error kept, with the same messages as strixd. Names are returned as written
// (unescaped, not sanitised): strixd sanitises them when it stores them.
//
// Thread-safety: free functions on values; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agents/common/point.h"
#include "core/result.h"
#include "core/status.h"
#include "core/utf8.h"

namespace strix::agents::lineproto {

// The unit of the timestamps in a text.
enum class Precision : uint8_t {
  kNanoseconds,  // the line protocol's default
  kMicroseconds,
  kMilliseconds,
  kSeconds,
  kMinutes,  // InfluxDB 1.x "m"
  kHours,    // InfluxDB 1.x "h"
};

// "" and "ns"/"n" are nanoseconds, "us"/"u" microseconds, "ms", "s", "m" and "h"; anything
// else is InvalidArgument naming the value (as strixd's `precision` parameter).
Result<Precision> ParsePrecision(std::string_view name);
// "ns", "us", "ms", "s", "m", "h".
std::string_view PrecisionName(Precision p);

// strixd's limits (docs/wire/line-protocol.md, "Limits").
inline constexpr size_t kMaxLineBytes = 64 * 1024;       // without the \n
inline constexpr size_t kMaxFieldsPerLine = 1000;        //
inline constexpr size_t kMaxTags = 63;                   // non-empty tags on a line
inline constexpr size_t kMaxLabelNameBytes = 128;        // a tag key after sanitising
inline constexpr size_t kMaxNameBytes = 4096;            // a tag value; a metric name
inline constexpr size_t kMaxLabelsEncodedBytes = 16384;  // a series' labels, encoded
inline constexpr size_t kMaxStateBytes = 4096;           // a string field value
inline constexpr size_t kMaxErrorsKept = 10;             // DecodeStats::first_errors

// Appends `p` as one line ending in '\n' (or several; see above), timestamp in
// milliseconds. Measurement: ',' ' ' '\' escaped; a leading '#' or tab (which would make
// a comment or be skipped) becomes '_', as strixd's sanitising would make it anyway. Tag
// keys and values, field keys: ',' '=' ' ' '\' escaped. Strings: '"' and '\' escaped, cut
// to kMaxStateBytes at a character boundary. A raw newline cannot be carried: in a name it
// becomes '_', in a tag value or a string a space. Floats are written shortest round-trip
// (std::to_chars); NaN and infinities are left out, as are fields with an empty key and
// tags with an empty key or value. Writes nothing when the measurement is empty, no field
// is left, or the measurement and tags alone exceed kMaxLineBytes; a single field too long
// for a line is left out. Names are not validated (UTF-8, __name__): inputs choose them.
void Encode(const Point& p, std::string* out);

// What Decode saw.
struct DecodeStats {
  uint64_t lines = 0;           // data lines (not blank lines or comments)
  uint64_t points = 0;          // points appended (one per valid line)
  uint64_t rejected_lines = 0;  // data lines skipped as invalid
  // The first kMaxErrorsKept rejections: "line N, column M: message" (1-based line of the
  // text, 1-based byte column in the line).
  std::vector<std::string> first_errors;
};

// Parses `text` and appends one Point per valid line to `out` (not cleared first). Lines
// without a timestamp get `default_ts_ms`; timestamps are in `precision` and floored to
// milliseconds. Booleans become gauges 1 and 0, `i` derives, `u` counters, strings states.
// Tags with empty values are dropped; the others keep their order. *stats is reset, then
// describes this text. Returns InvalidArgument only for a `precision` outside the enum;
// bad lines never fail the call.
Status Decode(std::string_view text, int64_t default_ts_ms, Precision precision,
              std::vector<Point>* out, DecodeStats* stats);

// strixd's name sanitising (docs/wire/line-protocol.md, "Name sanitising"): every character
// outside [a-zA-Z0-9_:] (metric) or [a-zA-Z0-9_] (label) becomes one '_', a name starting
// with a digit gets a leading '_'. Here a byte that is not part of valid UTF-8 also
// becomes '_' (strixd rejects such names instead).
std::string SanitizeMetricName(std::string_view name);
std::string SanitizeLabelName(std::string_view name);

// Whether `s` is well-formed UTF-8 (core/utf8.h).
using ::strix::IsValidUtf8;

}  // namespace strix::agents::lineproto
