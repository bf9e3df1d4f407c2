// Server: the agent's tiny HTTP/1.1 server, which serves the spoke's pages (pattoo's
// /pattoo-agent-linux/<seconds> and Strix's /strix/v1/points, docs/wire/agent-spoke.md).
// It is not a general web server: no Boost, no TLS, no request bodies, no keep-alive,
// small fixed limits, so that the agent stays small (< 10 MiB resident).
//
// One thread (std::jthread) runs a poll() loop over the listening socket and at most
// `max_connections` non-blocking connections:
//  * a connection must deliver its whole request head within read_timeout_ms of being
//    accepted (a slow or silent client gets 408 and is closed, and never holds up others);
//  * the head is at most max_head_bytes: beyond, 414 (no end of the request line) or 431;
//  * GET and HEAD only: any other method gets 405 with "Allow: GET, HEAD"; a request that
//    announces a body (Content-Length > 0, Transfer-Encoding) gets 400; a malformed head
//    gets 400 (505 for another HTTP version);
//  * every answer carries Content-Length and "Connection: close"; after it the server
//    shuts down its side, discards what the client still sends for a short while (so the
//    answer is not lost to a TCP reset) and closes;
//  * the answer must be taken within write_timeout_ms;
//  * when max_connections are open, a new connection gets a 503 and is closed.
// The handler runs on the server thread, one request at a time: a slow handler delays the
// other connections (the spoke's handlers read /proc and take milliseconds).
//
//   Server server({.address = "0.0.0.0", .port = 5000}, [&](const Request& r) {
//     if (r.path == "/strix/v1/points") return Response{200, "text/plain; charset=utf-8", Text()};
//     return TextResponse(404);
//   });
//   STRIX_RETURN_IF_ERROR(server.Start());
//   ...
//   server.Stop();  // on SIGTERM
//
// Thread-safety: Start and Stop are called by one owner thread. port() and stats() may
// be called from any thread once Start has returned. The handler is only ever called on
// the server thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "agents/httpd/request.h"
#include "core/status.h"

namespace strix::agents::httpd {

struct ServerOptions {
  // The address to listen on: an IPv4 or IPv6 literal ("127.0.0.1", "0.0.0.0", "::",
  // "::1"; brackets are accepted). Host names are not resolved.
  std::string address = "127.0.0.1";
  // The TCP port; 0 takes an ephemeral port (see Server::port()).
  int port = 0;
  // Connections held at once (reading, answering or closing); more get a 503.
  size_t max_connections = 64;
  // Time from accept() for the whole request head to arrive.
  int64_t read_timeout_ms = 5000;
  // Time for the client to take the whole answer.
  int64_t write_timeout_ms = 5000;
  // How long after the answer the server keeps reading (and discarding) before closing.
  int64_t linger_ms = 1000;
  // Request line plus header fields, the final empty line included.
  size_t max_head_bytes = 8192;
  // listen() backlog.
  int backlog = 64;
  // The Server header ("" for none).
  std::string server_name = "strix-agent";

  // InvalidArgument when a field is out of its domain.
  Status Validate() const;
};

// Counters since Start (a consistent snapshot is not guaranteed across fields).
struct ServerStats {
  uint64_t connections = 0;   // accepted and served (not counting rejected ones)
  uint64_t requests = 0;      // requests passed to the handler
  uint64_t bad_requests = 0;  // answered by the server itself with 4xx/5xx (parse, method, size)
  uint64_t timeouts = 0;      // connections closed by the read or write timeout
  uint64_t rejected = 0;      // connections refused with 503 (max_connections reached)
};

class Server {
 public:
  using Handler = std::function<Response(const Request&)>;

  Server(ServerOptions options, Handler handler);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the server thread. Errors: InvalidArgument (options,
  // address), FailedPrecondition (already started), or the failing system call's
  // (e.g. EADDRINUSE as kInternal with the errno).
  Status Start();
  // Stops the thread, closes the listening socket and every connection; a no-op when
  // not running. Pending answers are dropped.
  void Stop();

  // The bound port (the ephemeral one when options.port was 0); 0 before Start.
  int port() const { return port_.load(std::memory_order_acquire); }
  ServerStats stats() const;

 private:
  struct Loop;  // the server thread's state (server.cc)

  ServerOptions options_;
  Handler handler_;
  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};  // a pipe: Stop() writes to [1] to wake poll()
  std::atomic<int> port_{0};
  std::jthread thread_;

  struct AtomicStats {
    std::atomic<uint64_t> connections{0}, requests{0}, bad_requests{0}, timeouts{0}, rejected{0};
  };
  AtomicStats stats_;
};

}  // namespace strix::agents::httpd
