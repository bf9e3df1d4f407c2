// The pattoo agent API, so that existing, unmodified pattoo agents (linux, SNMP, Modbus,
// BACnet, OPC UA) can post their data to Strix. Pure library: the HTTP layer runs the
// listener (pattoo's default port 20201), calls PattooAgentApi::Handle() with each request
// and sends back exactly the answer it returns. docs/wire/pattoo.md is the reference: the
// routes, the body ("PostingDataPoints"), the answers pattoo gives (status, content type,
// body, byte for byte), how each datapoint becomes a Strix series, and every error.
//
// Two layers:
//  * PattooParser reads one agent post straight into a storage::WriteBatch: one series with
//    one sample per valid datapoint. It judges the body as pattoo's receive route does
//    (PattooVerdict, which decides the HTTP answer), then as pattoo's ingester does (a
//    structurally broken post stores nothing; a broken datapoint is skipped and reported).
//  * PattooAgentApi routes a request (method, path, content type, body) and returns the
//    answer pattoo would give. For an accepted post it sets store_batch: the caller appends
//    the batch to storage and sends the answer only if the append succeeded, otherwise
//    StorageFailureResponse() (what pattoo answers when it cannot write its cache file).
//
//   PattooAgentApi api;                       // one per worker thread
//   storage::WriteBatch batch;                // cleared and reused per request
//   PattooParseStats stats;
//   PattooApiResponse r = api.Handle({method, target, content_type, body}, &batch, &stats);
//   if (r.store_batch && !storage.Append(batch).ok()) r = PattooAgentApi::StorageFailureResponse();
//   send(r.status, r.content_type, r.allow, r.body);
//
// The encrypted flow of pattoo_agent_linux_autonomousd (/key, /validation, /encrypted:
// OpenPGP and cookie sessions) is not supported: those paths get pattoo's answer for an
// unknown route (404).
//
// Cost: the body is copied once into a padded buffer that the parser keeps (simdjson needs
// SIMDJSON_PADDING readable bytes past the end) and parsed once into a DOM that is reused
// across calls. Keys, values and label texts are views of that DOM; only names that must be
// sanitised are copied, once per distinct key of the post. Nothing is allocated per
// datapoint once the parser and the batch are warm (except a rejected datapoint's message).
//
// Thread-safety: a PattooParser or PattooAgentApi is not thread-safe; give each worker its
// own. Neither keeps a reference to the body or the batch between calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "storage/write_batch.h"

namespace strix::ingest {

// pattoo's default agent API port and the prefix of its routes.
inline constexpr uint16_t kPattooAgentApiPort = 20201;
inline constexpr std::string_view kPattooAgentApiPrefix = "/pattoo/api/v1/agent";

// The longest STRING datapoint value stored as a state, in bytes (the state chunk limit).
inline constexpr size_t kPattooMaxStateBytes = 4096;

// How pattoo's receive route (spec 2.2) judges a body; this decides the HTTP answer.
enum class PattooVerdict : uint8_t {
  kAccepted,      // 200 "OK" (once the batch is stored)
  kNotJson,       // 500 "Invalid data format received.": not JSON as Python reads it
  kNotAnObject,   // 404: valid JSON, but not an object (or Content-Type is not JSON)
  kWrongKeys,     // 500 "Invalid JSON data received.": not exactly the 4 top-level keys
  kBadCacheName,  // 500 "Invalid JSON data received.": pattoo could not name its cache file
};
std::string_view PattooVerdictName(PattooVerdict v);  // "accepted", "not_json", ...

struct PattooParseOptions {
  // Datapoint errors kept in PattooParseStats::first_errors; all are counted regardless.
  size_t max_errors = 10;
};

// Why one datapoint was not stored.
struct PattooDatapointError {
  uint32_t datapoint = 0;  // 0-based index in datapoint_pairs (also the series' batch tag)
  std::string key;         // its pattoo_key when that is a string, else empty
  std::string message;     // e.g. "pattoo_value \"abc\" is not a number"

  // `datapoint 3 (disk_io_read_bytes): pattoo_value "abc" is not a number`
  std::string ToString() const;
};

struct PattooParseStats {
  PattooVerdict verdict = PattooVerdict::kAccepted;
  // OK when the datapoints were read. Otherwise why nothing of the body was stored: the
  // reason for a verdict other than kAccepted, or (verdict kAccepted, answer 200) a
  // structural error for which pattoo's ingester drops the whole post.
  Status post_error;
  uint64_t datapoints = 0;          // entries of datapoint_pairs examined
  uint64_t samples = 0;             // samples added to the batch (one per stored datapoint)
  uint64_t rejected = 0;            // datapoints examined but not stored
  uint64_t truncated_counters = 0;  // counter values with a fraction, truncated toward 0
  std::vector<PattooDatapointError> first_errors;  // the first max_errors rejections
};

class PattooParser {
 public:
  explicit PattooParser(PattooParseOptions options = {});
  ~PattooParser();
  PattooParser(const PattooParser&) = delete;
  PattooParser& operator=(const PattooParser&) = delete;

  // Parses an agent post (any bytes) and appends one series with one sample per valid
  // datapoint to `batch` (not cleared first). `source` is the percent-decoded <source>
  // segment of the receive URL ("" if unknown): pattoo names its cache file after it, and
  // a name it cannot create changes its answer. `*stats` is reset, then describes the
  // body. Returns OK when the verdict is kAccepted (pattoo answers 200), otherwise
  // InvalidArgument saying why; nothing is added to the batch then.
  Status Parse(std::string_view body, std::string_view source, storage::WriteBatch* batch,
               PattooParseStats* stats);

  const PattooParseOptions& options() const { return options_; }

 private:
  struct Impl;  // simdjson state and per-post scratch, kept out of this header
  PattooParseOptions options_;
  std::unique_ptr<Impl> impl_;
};

// One HTTP request on the agent API port, as the HTTP layer received it.
struct PattooApiRequest {
  std::string_view method;        // e.g. "POST" (matched case-insensitively, as Werkzeug does)
  std::string_view target;        // request path, still percent-encoded; a ?query is ignored
  std::string_view content_type;  // the Content-Type header, "" when there is none
  std::string_view body;
};

// What the request was routed to (for logs and self-metrics).
enum class PattooRoute : uint8_t {
  kNotFound,          // no such route: 404
  kMethodNotAllowed,  // known path, other method: 405
  kOptions,           // OPTIONS on a known path: 200, Allow header
  kStatus,            // GET/HEAD .../status
  kReceive,           // POST .../receive/<source>
  kEncrypted,         // .../key, .../validation, .../encrypted: unsupported, answered 404
};

// The answer to send. Headers other than Content-Type and Allow are the HTTP layer's
// (Content-Length, Date, ...). For HEAD the HTTP layer sends the headers of this answer
// without its body.
struct PattooApiResponse {
  int status = 200;
  std::string content_type;  // always "text/html; charset=utf-8", as Flask sends
  std::string allow;         // the Allow header for 405 and OPTIONS answers, else ""
  std::string body;
  PattooRoute route = PattooRoute::kNotFound;
  // True for an accepted post: append the batch to storage first, and send this answer
  // only if that succeeded (per-sample rejections do not matter, pattoo ignores them too);
  // if Append fails, send StorageFailureResponse() instead, so that the agent keeps the
  // post in its cache and sends it again.
  bool store_batch = false;
};

class PattooAgentApi {
 public:
  explicit PattooAgentApi(PattooParseOptions options = {});

  // Routes one request and returns pattoo's answer. For a receive request the body is
  // parsed into `batch` (not cleared first) and `*stats` describes it; for other routes
  // `*stats` is reset and the batch is untouched.
  PattooApiResponse Handle(const PattooApiRequest& request, storage::WriteBatch* batch,
                           PattooParseStats* stats);

  // The answer when storing an accepted post failed: 500 "Invalid JSON data received.",
  // which is what pattoo answers when it cannot write the post to its cache directory.
  static PattooApiResponse StorageFailureResponse();

 private:
  PattooParser parser_;
  std::string source_;  // the percent-decoded <source> of the current request
};

}  // namespace strix::ingest
