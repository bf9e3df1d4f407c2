// HttpServer: strixd's HTTP/1.1 listener (docs/wire/http.md). Transport only: it knows no
// routes. It accepts connections (TLS if configured), reads each request within the
// limits and timeouts of HttpServerOptions, undoes a gzip/deflate Content-Encoding, and
// hands the request to an api::HttpHandler. It writes whatever the handler answers,
// gzipped if the client accepts it and the body is large and text-like, and keeps the
// connection alive per HTTP/1.1. Requests it rejects itself (431, 413, 408, 400, 415,
// 417; 503 while stopping) get api::ErrorResponse bodies and never reach the handler.
//
// A handler may call `respond` later, from any thread: the response is posted back to
// the connection, which stays open (and reads nothing more) until it is written.
//
// A response with stream_open set is streamed (server-sent events): the server writes
// the head with Transfer-Encoding: chunked and hands the handler an api::StreamWriter
// whose chunks it writes in order until Close(); then the connection serves its next
// request. docs/wire/http.md "Streamed responses" has the rules.
//
// Threads: `threads` workers run one Boost.Asio io_context; each connection is a strand,
// and handlers are invoked on the workers. Boost stays out of this header.
//
//   HttpServerOptions o;
//   o.port = 0;                                  // ephemeral; read back with port()
//   STRIX_ASSIGN_OR_RETURN(auto server, HttpServer::Start(o, &handler));
//   ...
//   server->Stop(std::chrono::seconds(5));       // drain in-flight requests
//
// Thread-safety: port() and stats() may be called from any thread at any time. Stop()
// may be called from any thread but not from a handler or `respond` (it joins the
// workers); it is idempotent. The handler must outlive the server's Stop().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http.h"
#include "core/result.h"
#include "core/status.h"

namespace strix::server::http {

struct HttpServerOptions {
  // Names the listener in logs and metrics, e.g. "api", "pattoo".
  std::string name = "api";
  // IP address to listen on (an IPv4 or IPv6 literal): "0.0.0.0" or "::" for all.
  std::string address = "127.0.0.1";
  // TCP port; 0 picks a free one (read it back with HttpServer::port()).
  uint16_t port = 8888;
  // Worker threads running the connections and the handler; 0 = one per hardware thread.
  size_t threads = 0;
  // Request line plus header fields, in bytes; larger headers get 431 and a close.
  size_t max_header_bytes = 16 << 10;
  // Request body, in bytes: a larger Content-Length is answered 413 at once (also in
  // place of 100 Continue), a chunked body when it grows past this, and a gzip or
  // deflate body when its decompressed size would (so a gzip bomb gets 413 too).
  size_t max_body_bytes = 64 << 20;
  // Time to receive one whole request, header and body, from its first byte (from the
  // accept, or the end of the TLS handshake, for a connection's first request). A client
  // that is too slow gets 408 and the connection is closed. Also bounds a TLS handshake.
  std::chrono::milliseconds read_timeout{30'000};
  // A keep-alive connection with no request in progress is closed quietly after this.
  std::chrono::milliseconds idle_timeout{120'000};
  // Time to write one response; a client that does not read it in time is disconnected.
  std::chrono::milliseconds write_timeout{60'000};
  // Open connections at most; connections beyond it are closed at once and counted
  // (HttpServerStats::connections_refused).
  size_t max_connections = 10'000;
  // PEM certificate chain and private key. Both set: the listener speaks TLS only
  // (TLS 1.2 or later). One without the other is an error from Start().
  std::string tls_cert_file;
  std::string tls_key_file;
  // zlib level for gzip responses (1 fastest .. 9 smallest); 0 never compresses.
  int response_gzip_level = 6;
  // Responses smaller than this are never compressed.
  size_t response_gzip_min_bytes = 1024;
  // Streamed responses: bytes a StreamWriter may have queued and not yet written to the
  // socket. A Write() beyond it fails and the connection is closed (a client that reads
  // too slowly for its stream).
  size_t max_stream_buffer_bytes = 1 << 20;
};

// A snapshot of the server's counters (monotonic unless said otherwise).
struct HttpServerStats {
  uint64_t requests = 0;              // complete requests handed to the handler
  uint64_t bytes_read = 0;            // from sockets (TLS: decrypted bytes)
  uint64_t bytes_written = 0;         // to sockets (TLS: before encryption)
  uint64_t connections_accepted = 0;  // every accepted connection, refused ones too
  uint64_t connections_open = 0;      // gauge: connections open now
  uint64_t connections_refused = 0;   // closed at once: max_connections reached
  uint64_t read_timeouts = 0;         // request (408) or TLS handshake too slow
  uint64_t write_timeouts = 0;        // client did not take its response in time
  uint64_t idle_timeouts = 0;         // keep-alive connections closed for idleness
  uint64_t tls_handshake_failures = 0;
  uint64_t accept_errors = 0;     // accept() failures (e.g. out of file descriptors)
  uint64_t streams_opened = 0;    // streamed responses begun
  uint64_t streams_open = 0;      // gauge: streamed responses in progress now
  uint64_t stream_overflows = 0;  // streams cut for exceeding max_stream_buffer_bytes
  // Responses written, by status code, ascending; codes never sent are absent.
  std::vector<std::pair<int, uint64_t>> responses;

  // The number of responses written with `status`.
  uint64_t ResponsesWith(int status) const;

  // One scalar counter or gauge, named as a Prometheus metric without prefix.
  struct Metric {
    std::string_view name;  // e.g. "requests_total"
    std::string_view help;
    bool gauge = false;
    uint64_t value = 0;
  };
  // Every scalar above, for an exporter; `responses` becomes a "responses_total" family
  // labelled by code.
  std::vector<Metric> Metrics() const;
};

class HttpServer {
 public:
  // Binds, starts the workers and begins accepting. Errors: InvalidArgument for bad
  // options (a bad address, only one TLS file); NotFound/InvalidArgument naming a TLS
  // file that cannot be read or used; Unavailable when the bind or listen fails
  // (address in use), naming the address.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   api::HttpHandler* handler);

  // Stops with no drain time if Stop() was not called.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the ephemeral one if options.port was 0).
  uint16_t port() const;

  // Stops accepting, closes every open stream to its producer (StreamWriter::closed()
  // turns true at once; what was queued is still written, then the last chunk), closes
  // idle and half-received connections, lets requests already with the handler finish
  // and their responses be written (then closes) until `drain` has passed, closes
  // whatever remains and joins the workers. A `respond` called after that is ignored.
  // Idempotent.
  void Stop(std::chrono::milliseconds drain);

  HttpServerStats stats() const;

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strix::server::http
