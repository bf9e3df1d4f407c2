// HTTP/1.1 request heads and answers for the agent's tiny server (server.h): the pure,
// fuzzed parser of a request line plus header fields (RFC 9112), and the text of an answer.
// No I/O here. docs/wire/agent-spoke.md describes what the server accepts.
//
// What ParseRequestHead accepts:
//   request-line = method SP request-target SP ( "HTTP/1.1" / "HTTP/1.0" ) CRLF
//   header-field = field-name ":" OWS field-value OWS CRLF      (then an empty line)
// Lines may end with a bare LF. Up to 4 empty lines before the request line are skipped.
// The method is a token (case-sensitive, at most 32 bytes). The target is origin-form
// ("/path?query") or absolute-form ("http://host:port/path?query", reduced to its path);
// it is split at the first '?' and not percent-decoded. HTTP/1.1 needs exactly one Host
// field. Content-Length must be digits (repeats must agree); Transfer-Encoding is noted.
// Rejected as InvalidArgument (answer 400): anything else in the request line, control
// characters, a space before a field's ':', obsolete line folding, a malformed header
// line. Another HTTP version (HTTP/2.0, HTTP/0.9 style) is Unimplemented (answer 505).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/status.h"

namespace strix::agents::httpd {

struct Request {
  std::string method;           // as sent, e.g. "GET"
  std::string path;             // the target's path, still percent-encoded, e.g. "/strix/v1/points"
  std::string query;            // what follows the first '?', without it ("" when there is none)
  int version_minor = 1;        // HTTP/1.<version_minor>: 0 or 1
  uint64_t content_length = 0;  // the Content-Length field (0 when absent)
  bool transfer_encoding = false;  // a Transfer-Encoding field was sent (a body follows)
  std::string authorization;       // the Authorization field's value ("" when absent)
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // More header fields (e.g. Retry-After). Content-Length, Date, Server and Connection
  // are the server's; a name or value holding CR, LF or NUL is left out.
  std::vector<std::pair<std::string, std::string>> headers;
};

// The length of the request head at the start of `buf`, its final empty line included
// ("\r\n\r\n" or "\n\n"), or std::string_view::npos when it has not all arrived.
size_t FindHeadEnd(std::string_view buf);

// Parses a request head (as FindHeadEnd delimits it; a missing final empty line is
// tolerated). See the file comment for the grammar and the errors.
Result<Request> ParseRequestHead(std::string_view head);

// The answer status for a ParseRequestHead error: 505 for Unimplemented, else 400.
int StatusForParseError(const Status& s);

// The reason phrase of a status code ("Not Found"); "Unknown" for codes not listed.
std::string_view ReasonPhrase(int status);

// A plain-text answer: "<status> <reason>\n", or "<status> <reason>: <detail>\n".
Response TextResponse(int status, std::string_view detail = {});

// The status line and header fields of an answer, through the empty line. `date` is
// the Date field's value ("" for none). With Content-Length = body_bytes (except for 1xx,
// 204 and 304, which have no body) and Connection: close.
std::string FormatResponseHead(const Response& r, size_t body_bytes, std::string_view date,
                               std::string_view server_name);

// An IMF-fixdate for the Date field: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string HttpDate(int64_t unix_seconds);

}  // namespace strix::agents::httpd
