// HTTP requests and responses as the API sees them: plain structs with no transport types,
// so handlers (api/) never include Boost and the HTTP server (server/http/) never knows
// a route. The server reads a request (gzip bodies already decoded), hands it to an
// HttpHandler, and writes whatever the handler answers through `respond`.
//
// A handler may answer later and from another thread: ingest answers only once its batch
// is durable, after the storage writer is done with it. `respond` must be called exactly
// once; the connection stays open until it is.
//
// Thread-safety: HttpHandler::Handle is called concurrently from the server's workers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strix::api {

struct HttpHeader {
  std::string name;  // lower case
  std::string value;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // path and query, as sent (percent-encoding intact)
  std::vector<HttpHeader> headers;
  std::string body;    // decoded: a gzip Content-Encoding is already undone
  std::string remote;  // peer address "ip:port"
  bool tls = false;

  // The path without the query string, still percent-encoded.
  std::string_view path() const;
  // The raw query string after '?', or empty.
  std::string_view query() const;
  // The first header of that (lower-case) name, or empty.
  std::string_view header(std::string_view lower_name) const;
};

// The producer's side of a streamed response body (server-sent events, docs/api.md
// "Live updates"). The server writes each chunk as one HTTP/1.1 chunk, in order.
//
// Thread-safety: every method may be called from any thread, concurrently.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Queues `chunk` for writing. False (and `chunk` dropped) once the stream is closed:
  // the client went away, did not read for the server's write timeout, the server is
  // stopping, Close() was called, or more than the server's stream buffer limit is
  // already queued (a client that reads too slowly is disconnected). The producer should
  // stop then.
  virtual bool Write(std::string chunk) = 0;
  // Ends the body (the terminating zero chunk); the connection may serve a next request.
  // Idempotent. Releasing the last reference to the writer does the same.
  virtual void Close() = 0;
  // True once Write() would return false.
  virtual bool closed() const = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<HttpHeader> headers;  // extra headers: Retry-After, Allow, WWW-Authenticate
  std::string body;
  // Set: the body is streamed instead of `body`. The server writes the status line and
  // headers (Transfer-Encoding: chunked, never gzipped), then calls stream_open once, on
  // one of its workers, with the writer. The connection reads no further request until the
  // stream is closed. The idle and read timeouts do not apply meanwhile; the write timeout
  // applies to each chunk.
  std::function<void(std::shared_ptr<StreamWriter>)> stream_open;

  HttpResponse& Header(std::string name, std::string value) {
    headers.push_back({std::move(name), std::move(value)});
    return *this;
  }
};

// Strix's JSON error body, the same everywhere (the server's own 400/408/413/431 too):
//   {"status":"error","errorType":"<type>","error":"<message>"}
// errorType is a stable word derived from the status (bad_data, unauthorized, forbidden,
// not_found, method_not_allowed, timeout, too_large, unavailable, internal, ...).
HttpResponse ErrorResponse(int status, std::string_view message);
// The errorType word used for a status.
std::string_view ErrorTypeFor(int status);

using Respond = std::function<void(HttpResponse)>;

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Answers `req` by calling `respond` exactly once, now or later, from any thread.
  virtual void Handle(HttpRequest req, Respond respond) = 0;
};

}  // namespace strix::api
