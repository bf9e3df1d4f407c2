// LoadSender: sends prepared payloads over N keep-alive HTTP connections, one thread per
// connection, and measures what happened: answers by status code, samples acknowledged,
// bytes, per-request latency and wall time.
//
// Order: the connections share one cursor over the payloads; each thread takes the next
// unsent payload, sends it, waits for its answer, and takes the next. So payloads leave in
// order, at most N in flight, and the time frontier of the data advances evenly (a server
// with an out-of-order window sees at most N batches out of order), and a slow connection
// simply takes fewer payloads.
//
// A payload counts as acknowledged only on a 2xx answer. Other answers are counted by
// code, and the first few are kept with their bodies. Transport errors (refused, reset,
// timeout, a malformed answer) are counted under code 0, and the connection is reopened.
// With `retries` > 0, a payload answered 429 or 503, or lost to a transport error, is sent
// again after the Retry-After delay (seconds, at most 10) or 100 ms. If a connection cannot
// be reopened its thread stops, and the others go on; SendResult::stopped_early says so.
//
// The clock: Send() builds every request head first, then calls `at_start` (read the
// target's /proc counters there), starts the clock and releases the threads; the clock
// stops when the last answer has arrived, and then `at_end` is called.
//
// Thread-safety: one Send() at a time per LoadSender; Send() itself runs the threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/loadgen/http_client.h"
#include "bench/loadgen/payload.h"
#include "core/result.h"
#include "core/status.h"

namespace strix::bench {

struct SendOptions {
  // Where to POST. In the target, "{agent_id}" is replaced by each payload's agent id.
  HttpUrl url;
  // Concurrent keep-alive connections (and threads).
  int connections = 4;
  // Extra header lines "Name: value" (e.g. "Authorization: Bearer ..."). A Content-Type,
  // User-Agent or format header given here replaces the default one.
  std::vector<std::string> headers;
  // Content-Type of the bodies.
  std::string content_type = "text/plain; charset=utf-8";
  // Content-Encoding of the bodies ("gzip"; "snappy" for remote write), "" for none.
  std::string content_encoding;
  // Header lines the format needs ("X-Prometheus-Remote-Write-Version: 0.1.0"), sent
  // before `headers`.
  std::vector<std::string> format_headers;
  // Deadline of one request, from the first byte sent to the last byte of the answer.
  int timeout_ms = 60'000;
  // Times a payload is re-sent after a 429 or 503 answer or a transport error.
  int retries = 0;
  // Non-2xx answers and transport errors whose description is kept.
  size_t max_error_reports = 5;

  Status Validate() const;
};

struct SendResult {
  int64_t wall_ns = 0;                     // from the start of the clock to the last answer
  uint64_t requests = 0;                   // HTTP requests attempted, retries included
  uint64_t payloads_ok = 0;                // payloads answered 2xx
  uint64_t payloads_failed = 0;            // payloads never answered 2xx
  uint64_t payloads_unsent = 0;            // payloads left when every thread had stopped
  uint64_t samples_ok = 0;                 // samples in payloads answered 2xx
  uint64_t samples_failed = 0;             // samples in failed or unsent payloads
  uint64_t body_bytes_sent = 0;            // request bodies as sent (gzipped if so)
  uint64_t bytes_sent = 0;                 // request heads and bodies
  uint64_t retries = 0;                    // re-sent requests
  uint64_t connects = 0;                   // TCP connections opened, the first ones included
  std::map<int, uint64_t> status_counts;   // answers by HTTP status; 0 = transport error
  std::vector<std::string> error_reports;  // the first max_error_reports failures, described
  std::vector<int64_t> latencies_ns;       // per answered request, sorted ascending
  bool stopped_early = false;              // a thread stopped because it could not reconnect
};

// The q-quantile (0 < q <= 1) of sorted values by the nearest-rank method; 0 when empty.
int64_t NearestRank(const std::vector<int64_t>& sorted, double q);

class LoadSender {
 public:
  // Opens every connection, so that connecting is not timed.
  static Result<std::unique_ptr<LoadSender>> Connect(const SendOptions& options);
  ~LoadSender();
  LoadSender(const LoadSender&) = delete;
  LoadSender& operator=(const LoadSender&) = delete;

  SendResult Send(const std::vector<Payload>& payloads, const std::function<void()>& at_start = {},
                  const std::function<void()>& at_end = {});

 private:
  explicit LoadSender(const SendOptions& options);
  std::string BuildHead(const Payload& p) const;

  SendOptions options_;
  std::vector<std::unique_ptr<HttpConnection>> conns_;
};

}  // namespace strix::bench
