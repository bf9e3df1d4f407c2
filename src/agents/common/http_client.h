// HttpClient: the agent's HTTP client (libcurl easy handles), used by the sender (posts
// to strixd) and the hub (fetches spoke pages). Every call has a total timeout; nothing
// here retries: callers own their retry policy.
//
// Thread-safety: one HttpClient per thread (it keeps one curl handle, so connections are
// reused across calls). Call HttpClient::GlobalInit() once before any thread starts.
#pragma once

#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/status.h"

namespace strix::agents {

struct HttpRequest {
  std::string method = "GET";  // GET or POST
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;        // POST body, sent as is
  int64_t timeout_ms = 10'000;  // whole exchange, connect included
  int64_t connect_timeout_ms = 5'000;
  size_t max_response_bytes = 16 << 20;  // larger answers fail with kResourceExhausted
  // TLS: verify the server's certificate (default) against ca_file, or the system store.
  bool tls_verify = true;
  std::string ca_file;
  // When stop is requested the call ends within about a second with kCancelled, so a
  // shutdown does not wait out a slow server's timeout.
  std::stop_token stop;
};

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  int64_t retry_after_s = -1;  // Retry-After in seconds when the server sent one
};

class HttpClient {
 public:
  static void GlobalInit();
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Any HTTP answer (including 4xx/5xx) is a response. Transport failures are errors:
  // kDeadlineExceeded (timeout), kUnavailable (refused, reset, DNS), kResourceExhausted
  // (answer too large), kInvalidArgument (bad URL), kCancelled (req.stop requested).
  Result<HttpResponse> Do(const HttpRequest& req);

 private:
  void* curl_;  // CURL*
};

}  // namespace strix::agents
