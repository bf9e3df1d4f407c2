// The `POST /metrics` body of the Python monitoring system (Nakulos), parsed straight into a
// storage::WriteBatch, so that unmodified Nakulos clients (client.py) can post to Strix.
// Pure library: the HTTP layer serves the route, calls NakulosParser::Parse() with the body
// and the server's clock, appends the batch to storage and answers as docs/wire/nakulos.md
// says (200 {"status": "received"} once everything is durable, 400 with the rejections
// otherwise). That document is the reference for the body, the mapping to series, every
// message and the HTTP contract.
//
//   {"hostname": "web1", "client_id": "c-1",
//    "metrics": {"cpu_usage": {"value": 42.5, "timestamp": 1795300000.5}, "mem": 70},
//    "tags": {"role": "web"}}
//
// becomes cpu_usage{host="web1"} gauge 42.5 @ 1795300000500 ms and mem{host="web1"} gauge 70
// @ now_ms, and tags [("role", "web")] for the caller (the metadata DB, not the series).
//
// A whole-request problem (not JSON, not an object, no "hostname" or "metrics", a wrong
// type there, invalid tags) makes Parse() return InvalidArgument and adds nothing. A bad
// metric is skipped and counted, with a message naming its key path (the first
// max_errors of them); the others are still added.
//
//   NakulosParser parser;                 // one per worker thread, reused
//   storage::WriteBatch batch;            // cleared and reused per request
//   NakulosParseResult result;
//   Status s = parser.Parse(body, now_ms, &batch, &result);
//   if (!s.ok()) -> 400 with s.message();
//   ... Storage::Append(batch), fold its rejections in (NakulosCountStorageRejections,
//   NakulosNoteStorageRejection), then result.rejected == 0 ? 200 kNakulosReceivedBody
//   : 400 NakulosRejectionBody(result).
//
// Cost: the body is copied once into a padded buffer that the parser keeps (simdjson needs
// SIMDJSON_PADDING readable bytes past the end) and parsed into a DOM that is reused across
// calls. Names, hosts and states are views of that DOM; only a metric name that must be
// sanitised is copied, into a reused scratch buffer. Nothing is allocated per metric once
// the parser and the batch are warm, except the message of a kept rejection.
//
// Thread-safety: a NakulosParser is not thread-safe; give each worker its own. It keeps no
// reference to the body, the batch or the result between calls. The free functions are
// thread-safe on distinct arguments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "storage/model.h"
#include "storage/write_batch.h"

namespace strix::ingest {

// Nakulos' server port (server.py --port) and its ingest route.
inline constexpr uint16_t kNakulosPort = 8888;
inline constexpr std::string_view kNakulosMetricsPath = "/metrics";

// The body Nakulos answers to an accepted post, byte for byte (Tornado's json_encode of
// {"status": "received"}), with Content-Type "application/json; charset=UTF-8".
inline constexpr std::string_view kNakulosReceivedBody = "{\"status\": \"received\"}";
inline constexpr std::string_view kNakulosContentType = "application/json; charset=UTF-8";

// The label holding a metric's name as sent, when that is not a valid Strix metric name.
inline constexpr std::string_view kNakulosNameLabel = "nakulos_name";
// The label holding the post's hostname.
inline constexpr std::string_view kNakulosHostLabel = "host";

// Limits (docs/wire/nakulos.md, "Limits").
inline constexpr size_t kNakulosMaxStateBytes = 4096;  // a string value (state)
inline constexpr size_t kNakulosMaxTags = 256;         // distinct tag keys per post
inline constexpr size_t kNakulosMaxTagBytes = 4096;    // a tag key or value
// Timestamps are epoch seconds from 0 (1970-01-01) to before 10000-01-01, i.e. at most
// 9999-12-31T23:59:59.999Z once rounded to milliseconds.
inline constexpr storage::Timestamp kNakulosMaxTimestampMs = 253'402'300'799'999;

struct NakulosParseOptions {
  // Rejection messages kept in NakulosParseResult::first_errors; all are counted.
  size_t max_errors = 10;
};

// What Parse() found. Reset by every Parse(); meaningful only when it returned OK (after an
// error only the counts, all 0, and empty fields remain).
struct NakulosParseResult {
  std::string hostname;  // the post's "hostname" (the `host` label of every series)
  // Whether the post had a "tags" object ("tags": null counts as absent). The server
  // replaces the host's tags only when this is true, so a post without tags keeps them.
  bool tags_present = false;
  // The tags, in the order of their first occurrence (for a repeated key the last value
  // wins, as in a Python dict). Numbers and booleans are given as text.
  std::vector<std::pair<std::string, std::string>> tags;
  uint64_t metrics = 0;   // distinct metric names in "metrics"
  uint64_t accepted = 0;  // samples added to the batch (one per accepted metric)
  uint64_t rejected = 0;  // metrics not added; accepted + rejected == metrics
  // The first max_errors rejections, in document order, each naming its key path:
  // `metrics.cpu_usage.value: expected a number, a boolean or a string, got null`.
  std::vector<std::string> first_errors;
};

class NakulosParser {
 public:
  explicit NakulosParser(NakulosParseOptions options = {});
  ~NakulosParser();
  NakulosParser(const NakulosParser&) = delete;
  NakulosParser& operator=(const NakulosParser&) = delete;

  // Parses a POST /metrics body (any bytes) and appends one series with one sample per
  // accepted metric to `batch` (not cleared first). Each series' WriteBatch tag is the
  // metric's 0-based index among the distinct names of "metrics". `now_ms` is the
  // timestamp of metrics without one (Nakulos uses the server's time.time()). `*result`
  // is reset, then filled. Returns InvalidArgument for a whole-request error, with a
  // message that says what and where (`body: missing "hostname"`); nothing is added then.
  Status Parse(std::string_view body, storage::Timestamp now_ms, storage::WriteBatch* batch,
               NakulosParseResult* result);

  const NakulosParseOptions& options() const { return options_; }

 private:
  struct Impl;  // simdjson state and per-post scratch, kept out of this header
  NakulosParseOptions options_;
  std::unique_ptr<Impl> impl_;
};

// Where a Nakulos metric name is stored, for the read endpoints: `metric` is the __name__
// label (the name itself when it is a valid Strix metric name, else its sanitised form) and
// `original` the nakulos_name label ("" when the name needed no change: no such label).
// Select a Nakulos metric with {__name__="<metric>", nakulos_name="<original>"} (an empty
// matcher value selects series without the label). The other way round, the Nakulos name
// of a stored series is its nakulos_name label if it has one, else its __name__.
struct NakulosStoredName {
  std::string metric;
  std::string original;
};
NakulosStoredName NakulosStoredNameOf(std::string_view name);

// Folding Storage::Append's outcome into a result, so that one answer covers both.
//
// Moves `n` samples that storage refused (AppendResult::rejected) from accepted to
// rejected (at most result->accepted of them).
void NakulosCountStorageRejections(uint64_t n, NakulosParseResult* result);
// Keeps the message of one sample storage refused (an entry of
// AppendResult::first_rejections: its series tag and reason), as
// `metrics.<name>: <reason>` with the name of the series that has `series_tag` in `batch`,
// while fewer than `max_errors` messages are kept. Counts nothing (see above).
void NakulosNoteStorageRejection(const storage::WriteBatch& batch, uint32_t series_tag,
                                 std::string_view reason, NakulosParseResult* result,
                                 size_t max_errors = NakulosParseOptions().max_errors);

// The 400 body for a post some of whose metrics were rejected (result->rejected > 0), in
// Strix's error shape plus the counts and the kept messages, as one line of valid JSON
// (invalid UTF-8 in a message becomes U+FFFD):
//   {"status":"error","errorType":"bad_data","error":"1 of 3 metrics rejected; first:
//   metrics.cpu.value: ...","accepted":2,"rejected":1,"errors":["metrics.cpu.value: ..."]}
std::string NakulosRejectionBody(const NakulosParseResult& result);

}  // namespace strix::ingest
