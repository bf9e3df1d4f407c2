// A minimal HTTP/1.1 client for the load generator: one keep-alive TCP connection that
// sends a request and reads its whole answer, on plain POSIX sockets and poll(2).
// Written here on purpose: the load generator must not share code with the server it
// measures (strixd uses Boost.Beast), or a bug common to both would go unseen.
//
// What it speaks: `http://` URLs with a numeric IPv4 host (or `localhost`) and a port;
// requests with Content-Length (never chunked); answers with Content-Length, chunked
// transfer coding, or a body that ends when the server closes; 1xx answers are skipped;
// 204, 304 and answers to HEAD have no body. `Connection: close` (or HTTP/1.0 without
// keep-alive) closes the socket after the answer; the next request reconnects. No TLS, no
// redirects, no proxies, no DNS.
//
// Every blocking step (connect, each write, each read) waits at most the deadline of the
// whole round trip. Writes use MSG_NOSIGNAL, so a closed peer is an error, not SIGPIPE.
//
// Thread-safety: an HttpConnection is not thread-safe; each sending thread owns one.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/status.h"

namespace strix::bench {

struct HttpUrl {
  std::string host;  // as written ("127.0.0.1" or "localhost")
  uint16_t port = 80;
  std::string target;  // path and query, e.g. "/write?precision=s"; "/" when absent
  sockaddr_in addr{};  // resolved IPv4 address and port

  // "127.0.0.1:8428": the Host header.
  std::string HostHeader() const;
};

// Parses "http://HOST[:PORT][/PATH[?QUERY]]". HOST must be a dotted IPv4 address or
// "localhost" (127.0.0.1); https and names are InvalidArgument.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

// Returns the value of query parameter `name` in `target` ("" if absent; found = false).
std::string_view QueryParam(std::string_view target, std::string_view name, bool* found);

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::string body;         // at most max_body_keep bytes; the rest is read and dropped
  uint64_t body_bytes = 0;  // the full body length
  std::string retry_after;  // the Retry-After header, "" if none
  bool close = false;       // the server closes the connection after this answer
};

class HttpConnection {
 public:
  HttpConnection(const sockaddr_in& addr, int timeout_ms, size_t max_body_keep = 64 * 1024);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Opens the TCP connection (TCP_NODELAY) if it is not open.
  Status Connect();
  void Close();
  bool connected() const { return fd_ >= 0; }
  // Connections opened so far, the first included.
  uint64_t connects() const { return connects_; }

  // Sends `head` (the request line and headers, ending in a blank line) and `body`, then
  // reads the answer. On any error the connection is closed (the next call reconnects)
  // and the Status says what failed; a non-2xx answer is not an error here.
  Result<HttpResponse> RoundTrip(std::string_view head, std::string_view body,
                                 bool head_request = false);

 private:
  Status WriteAll(std::string_view head, std::string_view body, int64_t deadline_ns);
  // Reads more bytes into rbuf_ (may compact it, moving rpos_); false on error (*st) or
  // at end of stream (*eof).
  bool Fill(int64_t deadline_ns, Status* st, bool* eof);
  // Reads until the buffer holds a whole header block; *header_end is the offset past it.
  Status ReadHeaders(int64_t deadline_ns, size_t* header_end);
  // Reads the body framed by chunked coding, Content-Length, or the end of the stream.
  Status ReadBody(HttpResponse* r, int64_t deadline_ns, bool chunked, int64_t content_length,
                  bool until_eof);
  // Moves n buffered bytes into the body (keeping at most max_body_keep_).
  void Consume(HttpResponse* r, size_t n);

  sockaddr_in addr_;
  int timeout_ms_;
  size_t max_body_keep_;
  int fd_ = -1;
  uint64_t connects_ = 0;
  std::string rbuf_;  // bytes read but not yet consumed, from rpos_
  size_t rpos_ = 0;
};

}  // namespace strix::bench
