// Fuzz target "http_request": raw bytes as a connection would receive them, through the
// server's own RequestDecoder (Beast's parser with the server's limits, header checks
// and Content-Encoding decoding) and SerializeResponse. Input: one mode byte, then the
// bytes. The mode picks small or large limits and the size of the pieces the bytes are
// fed in. Checked:
//  * fed whole or in pieces, the decoder reports the same requests, and rejects in both
//    cases or in neither: what the handler gets cannot depend on how TCP segments the
//    stream. (The status and message of a rejection may differ: given a partial header
//    all at once, Beast may find a malformed line (400) before it would, fed piecemeal,
//    have found the header's end or its limit (431), or the input's end (400).)
//  * a request's body (after decoding) never exceeds max_body_bytes; header names are
//    lower case; a rejection is one of 400, 408, 413, 415, 417, 431 with a message;
//  * the response to each request (the request's header values reflected back as
//    response headers) is well framed: it is a 500 if a value could split it, else every
//    value appears on its own line. The same for the head of a streamed response, which
//    never carries Content-Length or Content-Encoding unless it is the 500; and the
//    body framed as one chunk (AppendChunk) reads back as the body.
// Seeds: testdata/fuzz/http_request/ (each feature and each rejection, and garbage).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/check.h"
#include "server/http/http_codec.h"

namespace {

using strix::server::http::AppendChunk;
using strix::server::http::DecoderLimits;
using strix::server::http::RequestDecoder;
using strix::server::http::RequestTraits;
using strix::server::http::ResponseOptions;
using strix::server::http::SerializeRejection;
using strix::server::http::SerializeResponse;
using strix::server::http::SerializeStreamHead;
using strix::server::http::WireResponse;
using Event = RequestDecoder::Event;

// Everything the server would act on, flattened for comparison.
struct Outcome {
  std::vector<std::string> requests;  // method, target, headers, body, traits
  std::vector<size_t> header_events;  // request index at each kHeader
  int rejected = 0;
  std::string rejection;
  bool SameAs(const Outcome& o) const {
    return requests == o.requests && header_events == o.header_events &&
           (rejected != 0) == (o.rejected != 0);
  }
};

std::string Flatten(const strix::api::HttpRequest& r, const RequestTraits& t) {
  std::string s = r.method + '\n' + r.target + '\n';
  for (const auto& h : r.headers) s += h.name + ':' + h.value + '\n';
  s += std::to_string(r.body.size()) + '\n' + r.body;
  s += t.http11 ? '1' : '0';
  s += t.keep_alive ? 'k' : '-';
  s += t.head ? 'h' : '-';
  s += t.accepts_gzip ? 'g' : '-';
  return s;
}

void CheckRequest(const strix::api::HttpRequest& req, const RequestTraits& traits,
                  const DecoderLimits& limits) {
  STRIX_CHECK(req.body.size() <= limits.max_body_bytes);
  STRIX_CHECK(!req.method.empty());
  for (const auto& h : req.headers) {
    for (char c : h.name) STRIX_CHECK(!(c >= 'A' && c <= 'Z'));
  }
  // Reflect the request back, header values and all.
  strix::api::HttpResponse resp;
  resp.content_type = std::string(req.header("content-type"));
  resp.body = req.body;
  for (const auto& h : req.headers) resp.Header("x-" + h.name, h.value);
  ResponseOptions options;
  options.gzip_min_bytes = 64;
  const WireResponse w = SerializeResponse(resp, traits, options);
  STRIX_CHECK(w.head.rfind("HTTP/1.1 ", 0) == 0);
  STRIX_CHECK(w.head.size() >= 4 && w.head.compare(w.head.size() - 4, 4, "\r\n\r\n") == 0);
  STRIX_CHECK(w.status == 200 || w.status == 500);
  // The head is exactly its lines: no CR or LF hides inside a field.
  size_t lines = 0;
  for (size_t i = 0; i + 1 < w.head.size(); ++i) {
    if (w.head[i] == '\r') {
      STRIX_CHECK(w.head[i + 1] == '\n');
      ++lines;
    } else {
      STRIX_CHECK(w.head[i] != '\n' || (i > 0 && w.head[i - 1] == '\r'));
    }
  }
  if (w.status == 200) {
    // status line, Server, [Content-Type], reflected fields, [Content-Encoding], [Vary],
    // Content-Length, [Connection], blank line.
    STRIX_CHECK(lines >= 4 + req.headers.size());
  }
  if (!traits.keep_alive) STRIX_CHECK(w.head.find("Connection: close\r\n") != std::string::npos);
  if (traits.head) STRIX_CHECK(w.body.empty());

  // The same response, streamed.
  resp.stream_open = [](std::shared_ptr<strix::api::StreamWriter>) {};
  const WireResponse s = SerializeStreamHead(resp, traits);
  STRIX_CHECK(s.status == w.status);
  STRIX_CHECK(s.head.size() >= 4 && s.head.compare(s.head.size() - 4, 4, "\r\n\r\n") == 0);
  if (s.status == 200) {
    STRIX_CHECK(s.streamed == !traits.head && s.chunked == (s.streamed && traits.http11));
    STRIX_CHECK(s.body.empty());
    STRIX_CHECK(s.head.find("\r\nContent-Length:") == std::string::npos);
    STRIX_CHECK(s.head.find("\r\nContent-Encoding: gzip") == std::string::npos);
    STRIX_CHECK((s.head.find("\r\nTransfer-Encoding: chunked\r\n") != std::string::npos) ==
                traits.http11);
    if (s.streamed && !s.chunked) STRIX_CHECK(!s.keep_alive);
  } else {
    STRIX_CHECK(!s.streamed);
  }
  std::string chunk;
  AppendChunk(&chunk, req.body);
  if (req.body.empty()) {
    STRIX_CHECK(chunk.empty());
  } else {
    const size_t eol = chunk.find("\r\n");
    STRIX_CHECK(eol != std::string::npos && eol > 0);
    STRIX_CHECK(std::stoul(chunk.substr(0, eol), nullptr, 16) == req.body.size());
    STRIX_CHECK(chunk.compare(eol + 2, req.body.size(), req.body) == 0);
    STRIX_CHECK(chunk.size() == eol + 2 + req.body.size() + 2);
  }
}

Outcome Decode(std::string_view input, const DecoderLimits& limits, size_t step) {
  Outcome out;
  RequestDecoder dec(limits);
  std::string pending;
  size_t pos = 0;
  for (;;) {
    const size_t n = std::min(step, input.size() - pos);
    pending.append(input.substr(pos, n));
    pos += n;
    for (bool more = true; more;) {
      size_t used = 0;
      const Event ev = dec.Feed(pending, &used);
      STRIX_CHECK(used <= pending.size());
      pending.erase(0, used);
      switch (ev) {
        case Event::kNeedMore:
          more = false;
          break;
        case Event::kHeader:
          out.header_events.push_back(out.requests.size());
          break;
        case Event::kRequest: {
          strix::api::HttpRequest req;
          RequestTraits traits;
          dec.TakeRequest(&req, &traits);
          CheckRequest(req, traits, limits);
          out.requests.push_back(Flatten(req, traits));
          break;
        }
        case Event::kError: {
          const auto& r = dec.rejection();
          STRIX_CHECK(r.status == 400 || r.status == 408 || r.status == 413 || r.status == 415 ||
                      r.status == 417 || r.status == 431);
          STRIX_CHECK(!r.message.empty());
          const WireResponse w = SerializeRejection(r);
          STRIX_CHECK(w.status == r.status && !w.keep_alive);
          out.rejected = r.status;
          out.rejection = r.message;
          return out;
        }
      }
    }
    if (pos == input.size()) break;
  }
  if (dec.FeedEof() == Event::kError) {
    out.rejected = dec.rejection().status;
    out.rejection = dec.rejection().message;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  DecoderLimits limits;
  limits.max_header_bytes = (mode & 1) != 0 ? 512 : 16 << 10;
  limits.max_body_bytes = (mode & 2) != 0 ? 4096 : 1 << 20;
  const size_t step = 1 + ((mode >> 2) & 0x1f);  // 1..32 bytes per piece

  const Outcome whole = Decode(input, limits, input.size() + 1);
  const Outcome pieces = Decode(input, limits, step);
  STRIX_CHECK(whole.SameAs(pieces));
  return 0;
}
