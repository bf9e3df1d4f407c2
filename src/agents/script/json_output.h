// JsonOutputParser: reads the JSON form of a script's output (docs/agents/script.md), one
// object of name -> number, into one Point:
//
//   {"used_bytes": 123456789, "ratio": 0.25}   (from disk-usage.sh)
//   -> disk_usage used_bytes=123456789,ratio=0.25 <round timestamp>
//
// Every number is a gauge (double). Integers are converted to the nearest double, so one
// beyond 2^53 may lose its last digits: a script that needs exact integers prints line
// protocol with `i` or `u` instead. A key whose value is not a number (a string, a
// boolean, null, an array or an object), an empty key, a key whose metric name would be
// too long for strixd, and the keys beyond the 1000th are garbage: they are skipped and
// counted, and the others are kept. Text that is not one JSON object is garbage as a whole,
// and so is a document holding a number simdjson refuses (1e400, an integer beyond 64 bits).
// The parser is simdjson's DOM parser, kept between calls so that its buffers are reused;
// buffers grown by a large output are released after it.
//
// Thread-safety: not thread-safe; one parser per input.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agents/common/point.h"
#include "core/status.h"

namespace simdjson::dom {
class parser;
}  // namespace simdjson::dom

namespace strix::agents::script {

struct JsonOutputStats {
  uint64_t fields = 0;        // numbers kept
  uint64_t garbage_keys = 0;  // keys skipped
  std::string first_garbage;  // why the first skipped key was skipped, for the log
};

class JsonOutputParser {
 public:
  JsonOutputParser();
  ~JsonOutputParser();
  JsonOutputParser(const JsonOutputParser&) = delete;
  JsonOutputParser& operator=(const JsonOutputParser&) = delete;

  // Parses the whole output in *text and appends one point named `measurement` (already a
  // valid metric name) at `ts_ms` to `out`, or none when no key holds a number. May grow
  // text's capacity (simdjson reads a few bytes past the end). InvalidArgument when the
  // text is not a single JSON object; *stats is reset, then describes the keys.
  Status Parse(std::string* text, std::string_view measurement, int64_t ts_ms,
               std::vector<Point>* out, JsonOutputStats* stats);

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
};

}  // namespace strix::agents::script
