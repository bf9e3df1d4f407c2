// The bytes <-> structs half of the HTTP/1.1 server (docs/wire/http.md), with no I/O:
// RequestDecoder turns the bytes a connection receives into api::HttpRequests, enforcing
// the server's limits and undoing Content-Encoding; SerializeResponse turns a handler's
// api::HttpResponse into the bytes to send, and SerializeStreamHead plus AppendChunk do
// the same for a streamed (chunked) response. HttpServer (http_server.h) runs both on its
// sockets, and the http_request fuzz target runs exactly the same code on raw input.
//
// The parser is Boost.Beast's request parser; Beast stays inside http_codec.cc.
//
//   RequestDecoder dec(limits);
//   for (;;) {                                   // bytes arrive into buf
//     size_t used = 0;
//     switch (dec.Feed(buf, &used)) {            // then drop `used` bytes from buf's front
//       case Event::kNeedMore: read more; break;
//       case Event::kHeader:   if (dec.expects_continue()) send kContinueResponse; break;
//       case Event::kRequest:  dec.TakeRequest(&req, &traits); handle; break;
//       case Event::kError:    send ErrorResponse(dec.rejection()); close;
//     }
//   }
//
// Thread-safety: a RequestDecoder is not thread-safe (one per connection). The free
// functions have no shared state.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "api/http.h"

namespace strix::server::http {

// The interim answer to Expect: 100-continue.
inline constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

struct DecoderLimits {
  // Request line plus header fields, in bytes; more is answered with 431.
  size_t max_header_bytes = 16 << 10;
  // Body bytes: the Content-Length, the chunks as they arrive, and the body once
  // decompressed; more is answered with 413.
  size_t max_body_bytes = 64 << 20;
};

// An answer the server gives itself, instead of the handler's: api::ErrorResponse(status,
// message). The connection is closed after it.
struct Rejection {
  int status = 400;
  std::string message;
};

// What a response needs to know about the request it answers.
struct RequestTraits {
  bool http11 = true;         // HTTP/1.1 (false: HTTP/1.0)
  bool keep_alive = false;    // the connection may carry another request after this one
  bool head = false;          // a HEAD request: send the header fields only
  bool accepts_gzip = false;  // Accept-Encoding allows gzip
};

class RequestDecoder {
 public:
  enum class Event {
    kNeedMore,  // feed more bytes
    kHeader,    // header complete and acceptable, body still to come (time for 100 Continue)
    kRequest,   // a whole request is ready: TakeRequest()
    kError,     // the request is rejected: answer rejection() and close the connection
  };

  explicit RequestDecoder(const DecoderLimits& limits);
  ~RequestDecoder();
  RequestDecoder(const RequestDecoder&) = delete;
  RequestDecoder& operator=(const RequestDecoder&) = delete;

  // Parses a prefix of `bytes` and sets *consumed to its length. The caller keeps the
  // rest and presents it again, followed by new bytes, on the next call: a header is only
  // consumed once complete, so the caller's buffer must be able to hold max_header_bytes.
  // After kRequest the next call starts the next (pipelined) request; after kError the
  // decoder only repeats kError.
  Event Feed(std::string_view bytes, size_t* consumed);
  // The peer has finished sending. kError (400) if a request was partly received,
  // otherwise kNeedMore: a clean end between requests.
  Event FeedEof();

  // True once any byte of the current request has been seen.
  bool started() const;
  // After kHeader: the client sent Expect: 100-continue and awaits kContinueResponse.
  bool expects_continue() const;
  // After kRequest: moves the request out (remote and tls left empty for the caller)
  // and makes the decoder ready for the next request.
  void TakeRequest(api::HttpRequest* req, RequestTraits* traits);
  // After kError: what to answer.
  const Rejection& rejection() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct ResponseOptions {
  // zlib level for gzip responses, 1..9; 0 never compresses.
  int gzip_level = 6;
  // Bodies of at least this many bytes are compressed when the client accepts gzip and
  // the content type is text-like or JSON.
  size_t gzip_min_bytes = 1024;
};

// The end of a chunked body: the last (empty) chunk and an empty trailer.
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// A response ready to write: `head` then `body`.
struct WireResponse {
  std::string head;  // status line and header fields, through the blank line
  std::string body;  // as sent: possibly gzipped; empty for HEAD, 204 and 304
  int status = 0;    // as sent (500 if the handler's response was unusable)
  bool keep_alive = false;
  // SerializeStreamHead only: a body follows as a stream, after `head`. In chunks
  // (AppendChunk, then kLastChunk) if `chunked`; otherwise (HTTP/1.0) as raw bytes that
  // end when the connection closes, and keep_alive is false.
  bool streamed = false;
  bool chunked = false;
};

// Serialises `resp` as the answer to a request with `traits`. Adds Content-Length,
// Server: strix and, when the connection will close, Connection: close (HTTP/1.0
// keep-alive gets Connection: keep-alive). Header fields the server owns
// (Content-Length, Transfer-Encoding, Connection, Keep-Alive, Server) are dropped from
// resp.headers, and so is Content-Type (resp.content_type is the one sent). A status outside
// 200..599, or a header name or value that could split the response (not a token, or CR, LF, NUL in
// a value), yields a 500 error instead.
// resp.stream_open is ignored here: see SerializeStreamHead.
WireResponse SerializeResponse(api::HttpResponse resp, const RequestTraits& traits,
                               const ResponseOptions& options);

// The head of a streamed response (resp.stream_open set; resp.body is ignored): the
// handler's status, Content-Type and fields as SerializeResponse writes them, Server:
// strix, no Content-Length, never gzipped, and
//  * HTTP/1.1: Transfer-Encoding: chunked; streamed and chunked;
//  * HTTP/1.0: no framing field, streamed, not chunked, Connection: close (the body ends
//    when the connection closes);
//  * HEAD: the fields a GET would get, not streamed (no body follows);
//  * 204, 304: no framing field, not streamed;
//  * a response SerializeResponse would refuse: its 500 error, not streamed.
WireResponse SerializeStreamHead(const api::HttpResponse& resp, const RequestTraits& traits);

// Appends `data` framed as one HTTP/1.1 chunk: its size in hex, CRLF, the bytes, CRLF.
// Appends nothing for empty `data` (an empty chunk would end the body).
void AppendChunk(std::string* out, std::string_view data);

// The response to a rejected request: api::ErrorResponse with Connection: close.
WireResponse SerializeRejection(const Rejection& rejection);

// True for media types worth compressing: text/*, JSON, XML, JavaScript, ndjson,
// OpenMetrics, *+json, *+xml. Parameters (charset) are ignored.
bool IsCompressibleType(std::string_view content_type);

// True if an Accept-Encoding value allows gzip (gzip, x-gzip or *, with q > 0).
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace strix::server::http
