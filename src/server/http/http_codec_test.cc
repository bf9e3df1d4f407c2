// Tests of the server's request decoder and response serialiser (http_codec.h) without
// sockets: framing (split input, pipelining, chunked), each limit and the status it maps
// to, Expect, Host, Content-Encoding, keep-alive rules, and the response header rules
// (framing fields, gzip, Vary, HEAD, 204, unsafe handler headers), the head of a streamed
// response and chunk framing. The replay of the
// http_request fuzz corpus runs as the ctest fuzz_replay.http_request.
#include "server/http/http_codec.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "server/http/gzip.h"

namespace strix::server::http {
namespace {

using Event = RequestDecoder::Event;

struct Decoded {
  std::vector<api::HttpRequest> requests;
  std::vector<RequestTraits> traits;
  std::vector<Event> events;  // kHeader and the last event
  Rejection rejection;
  bool error = false;
  size_t consumed = 0;
};

// Feeds `input` in pieces of `step` bytes (0: all at once), as a connection would.
Decoded Decode(std::string_view input, DecoderLimits limits = {}, size_t step = 0,
               bool eof = false) {
  RequestDecoder dec(limits);
  Decoded d;
  std::string pending;
  size_t pos = 0;
  for (;;) {
    const size_t n = step == 0 ? input.size() - pos : std::min(step, input.size() - pos);
    pending.append(input.substr(pos, n));
    pos += n;
    bool need_more = false;
    while (!need_more) {
      size_t used = 0;
      const Event ev = dec.Feed(pending, &used);
      EXPECT_LE(used, pending.size());
      pending.erase(0, used);
      d.consumed += used;
      switch (ev) {
        case Event::kNeedMore:
          need_more = true;
          break;
        case Event::kHeader:
          d.events.push_back(ev);
          break;
        case Event::kRequest: {
          d.events.push_back(ev);
          d.requests.emplace_back();
          d.traits.emplace_back();
          dec.TakeRequest(&d.requests.back(), &d.traits.back());
          break;
        }
        case Event::kError:
          d.events.push_back(ev);
          d.error = true;
          d.rejection = dec.rejection();
          return d;
      }
    }
    if (pos == input.size()) break;
  }
  if (eof && dec.FeedEof() == Event::kError) {
    d.error = true;
    d.rejection = dec.rejection();
  }
  return d;
}

TEST(RequestDecoder, ParsesARequestLineHeadersAndBody) {
  Decoded d = Decode(
      "POST /api/v1/write?db=x HTTP/1.1\r\nHost: h\r\nX-Mixed-Case: Value\r\n"
      "Content-Length: 5\r\nAccept-Encoding: gzip, br\r\n\r\nhello");
  ASSERT_FALSE(d.error) << d.rejection.message;
  ASSERT_EQ(d.requests.size(), 1u);
  const api::HttpRequest& r = d.requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/api/v1/write?db=x");
  EXPECT_EQ(r.path(), "/api/v1/write");
  EXPECT_EQ(r.header("x-mixed-case"), "Value");
  EXPECT_EQ(r.header("host"), "h");
  EXPECT_EQ(r.body, "hello");
  EXPECT_TRUE(d.traits[0].http11);
  EXPECT_TRUE(d.traits[0].keep_alive);
  EXPECT_TRUE(d.traits[0].accepts_gzip);
  EXPECT_FALSE(d.traits[0].head);
}

TEST(RequestDecoder, ByteByByteGivesTheSameRequests) {
  const std::string two =
      "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n"
      "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
  Decoded whole = Decode(two);
  Decoded bytes = Decode(two, {}, 1);
  ASSERT_EQ(whole.requests.size(), 2u);
  ASSERT_EQ(bytes.requests.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(whole.requests[i].target, bytes.requests[i].target);
    EXPECT_EQ(whole.requests[i].body, bytes.requests[i].body);
  }
  EXPECT_EQ(whole.requests[0].body, "abcde");
  EXPECT_EQ(whole.requests[1].target, "/b");
  EXPECT_EQ(whole.consumed, two.size());
}

TEST(RequestDecoder, BlankLinesBeforeARequestAreIgnored) {
  Decoded d = Decode("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_FALSE(d.error) << d.rejection.message;
  EXPECT_EQ(d.requests.size(), 1u);
}

TEST(RequestDecoder, OversizedHeaderIs431) {
  DecoderLimits limits;
  limits.max_header_bytes = 1024;
  const std::string req =
      "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n";
  for (size_t step : {size_t{0}, size_t{7}}) {
    Decoded d = Decode(req, limits, step);
    ASSERT_TRUE(d.error) << step;
    EXPECT_EQ(d.rejection.status, 431);
    EXPECT_NE(d.rejection.message.find("1024"), std::string::npos) << d.rejection.message;
  }
}

TEST(RequestDecoder, HeaderLimitIsExactWhateverTheSegmentation) {
  DecoderLimits limits;
  limits.max_header_bytes = 512;
  // Request line + fields + blank line of exactly `size` bytes, then a pipelined request.
  auto request = [](size_t size) {
    const std::string head = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: ";
    return head + std::string(size - head.size() - 4, 'a') + "\r\n\r\n" +
           "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
  };
  for (size_t step : {size_t{0}, size_t{1}, size_t{7}, size_t{13}, size_t{100}}) {
    Decoded fits = Decode(request(512), limits, step);
    EXPECT_FALSE(fits.error) << step << ": " << fits.rejection.message;
    EXPECT_EQ(fits.requests.size(), 2u) << step;
    Decoded over = Decode(request(513), limits, step);
    ASSERT_TRUE(over.error) << step;
    EXPECT_EQ(over.rejection.status, 431) << step;
    EXPECT_TRUE(over.requests.empty()) << step;
  }
}

TEST(RequestDecoder, DeclaredBodyOverTheLimitIs413BeforeAnyBodyByte) {
  DecoderLimits limits;
  limits.max_body_bytes = 100;
  Decoded d = Decode("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n", limits);
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.rejection.status, 413);
  EXPECT_EQ(d.rejection.message, "request body of 101 bytes exceeds the limit of 100 bytes");
  Decoded ok = Decode(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'), limits);
  ASSERT_FALSE(ok.error) << ok.rejection.message;
  EXPECT_EQ(ok.requests[0].body.size(), 100u);
}

TEST(RequestDecoder, ChunkedBodyOverTheLimitIs413) {
  DecoderLimits limits;
  limits.max_body_bytes = 100;
  std::string req = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) req += "28\r\n" + std::string(40, 'x') + "\r\n";
  req += "0\r\n\r\n";
  Decoded d = Decode(req, limits, 16);
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.rejection.status, 413);
  EXPECT_EQ(d.rejection.message, "request body exceeds the limit of 100 bytes");
}

TEST(RequestDecoder, GzipBodyIsDecodedAndItsEncodingHeaderDropped) {
  const std::string plain(5000, 'z');
  const std::string packed = Gzip(plain, 6);
  for (std::string_view coding : {"gzip", "x-gzip", "GZIP"}) {
    Decoded d =
        Decode("POST / HTTP/1.1\r\nHost: h\r\nContent-Encoding: " + std::string(coding) +
               "\r\nContent-Length: " + std::to_string(packed.size()) + "\r\n\r\n" + packed);
    ASSERT_FALSE(d.error) << d.rejection.message;
    EXPECT_EQ(d.requests[0].body, plain);
    EXPECT_EQ(d.requests[0].header("content-encoding"), "");
  }
}

TEST(RequestDecoder, GzipBombIs413) {
  DecoderLimits limits;
  limits.max_body_bytes = 64 << 10;
  const std::string packed = Gzip(std::string(1 << 20, '\0'), 9);
  ASSERT_LT(packed.size(), limits.max_body_bytes);
  Decoded d = Decode("POST / HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nContent-Length: " +
                         std::to_string(packed.size()) + "\r\n\r\n" + packed,
                     limits);
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.rejection.status, 413);
  EXPECT_EQ(d.rejection.message, "decompressed request body exceeds the limit of 65536 bytes");
}

TEST(RequestDecoder, CorruptGzipIs400NamingTheProblem) {
  std::string packed = Gzip(std::string(5000, 'q'), 6);
  packed[packed.size() - 6] ^= 1;  // CRC
  Decoded d = Decode("POST / HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nContent-Length: " +
                     std::to_string(packed.size()) + "\r\n\r\n" + packed);
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.rejection.status, 400);
  EXPECT_EQ(d.rejection.message, "bad gzip request body: corrupt gzip data (incorrect data check)");

  Decoded notgz = Decode(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_TRUE(notgz.error);
  EXPECT_EQ(notgz.rejection.status, 400);
  EXPECT_NE(notgz.rejection.message.find("incorrect header check"), std::string::npos)
      << notgz.rejection.message;
}

TEST(RequestDecoder, DeflateAndStackedCodingsAreUndoneInOrder) {
  // "Content-Encoding: gzip, gzip": gzip applied twice; undone last-first.
  const std::string twice = Gzip(Gzip("payload", 6), 1);
  Decoded d = Decode(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip, identity\r\n"
      "Content-Encoding: gzip\r\nContent-Length: " +
      std::to_string(twice.size()) + "\r\n\r\n" + twice);
  ASSERT_FALSE(d.error) << d.rejection.message;
  EXPECT_EQ(d.requests[0].body, "payload");
}

TEST(RequestDecoder, UnknownContentEncodingIs415AtTheHeader) {
  Decoded d =
      Decode("POST / HTTP/1.1\r\nHost: h\r\nContent-Encoding: br\r\nContent-Length: 10\r\n\r\n");
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.rejection.status, 415);
  EXPECT_EQ(d.rejection.message,
            "unsupported Content-Encoding: br (supported: gzip, x-gzip, deflate)");
}

TEST(RequestDecoder, ExpectContinueStopsAfterTheHeader) {
  RequestDecoder dec({});
  const std::string head =
      "PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n";
  size_t used = 0;
  ASSERT_EQ(dec.Feed(head, &used), Event::kHeader);
  EXPECT_EQ(used, head.size());
  EXPECT_TRUE(dec.expects_continue());
  ASSERT_EQ(dec.Feed("abc", &used), Event::kRequest);
  api::HttpRequest req;
  RequestTraits traits;
  dec.TakeRequest(&req, &traits);
  EXPECT_EQ(req.body, "abc");
  EXPECT_FALSE(dec.expects_continue());  // reset for the next request

  Decoded other =
      Decode("PUT /x HTTP/1.1\r\nHost: h\r\nExpect: magic\r\nContent-Length: 3\r\n\r\nabc");
  ASSERT_TRUE(other.error);
  EXPECT_EQ(other.rejection.status, 417);
}

TEST(RequestDecoder, HostIsRequiredOnHttp11Only) {
  Decoded d = Decode("GET / HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.rejection.status, 400);
  EXPECT_EQ(d.rejection.message, "missing Host header");
  EXPECT_FALSE(Decode("GET / HTTP/1.0\r\n\r\n").error);
  EXPECT_TRUE(Decode("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").error);
}

TEST(RequestDecoder, MalformedRequestsAre400WithTheParserMessage) {
  for (std::string_view bad :
       {"GARBAGE\r\n\r\n", "GET / HTTP/2.0\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
    Decoded d = Decode(bad);
    ASSERT_TRUE(d.error) << bad;
    EXPECT_EQ(d.rejection.status, 400) << bad;
    EXPECT_EQ(d.rejection.message.rfind("malformed HTTP request: ", 0), 0u) << d.rejection.message;
  }
}

TEST(RequestDecoder, TransferEncodingOtherThanChunkedIs400NotAnEmptyBody) {
  // Beast alone would take "gzip" as "no body" and parse the body as the next request.
  for (std::string_view te : {"gzip", "gzip, chunked", "chunked, identity"}) {
    Decoded d = Decode("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: " + std::string(te) +
                       "\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_TRUE(d.error) << te;
    EXPECT_EQ(d.rejection.status, 400) << te;
    EXPECT_TRUE(d.requests.empty()) << te;
    EXPECT_EQ(d.rejection.message,
              "unsupported Transfer-Encoding: " + std::string(te) + " (only chunked)");
  }
  // Content-Length with chunked, in either order, is malformed.
  EXPECT_TRUE(Decode("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                     "Content-Length: 3\r\n\r\n")
                  .error);
  EXPECT_TRUE(Decode("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n"
                     "Content-Length: 3\r\n\r\nabc")
                  .error);
}

TEST(RequestDecoder, EndOfInputMidRequestIs400AndBetweenRequestsIsClean) {
  Decoded partial = Decode("GET / HTTP/1.1\r\nHost:", {}, 0, /*eof=*/true);
  ASSERT_TRUE(partial.error);
  EXPECT_EQ(partial.rejection.status, 400);
  EXPECT_EQ(partial.rejection.message.rfind("request ended early", 0), 0u);
  Decoded clean = Decode("GET / HTTP/1.1\r\nHost: h\r\n\r\n", {}, 0, /*eof=*/true);
  EXPECT_FALSE(clean.error);
  EXPECT_EQ(clean.requests.size(), 1u);
}

TEST(RequestDecoder, KeepAliveFollowsTheVersionAndConnectionHeader) {
  auto keep = [](std::string_view req) {
    Decoded d = Decode(req);
    EXPECT_EQ(d.traits.size(), 1u) << req;
    return !d.traits.empty() && d.traits[0].keep_alive;
  };
  EXPECT_TRUE(keep("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  Decoded head = Decode("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(head.traits.size(), 1u);
  EXPECT_TRUE(head.traits[0].head);
}

// ---- Responses ----

RequestTraits Keep11() {
  RequestTraits t;
  t.keep_alive = true;
  return t;
}

TEST(SerializeResponse, WritesFramingAndServerFields) {
  api::HttpResponse r;
  r.status = 201;
  r.content_type = "text/plain";
  r.body = "made";
  r.Header("Location", "/x").Header("Content-Length", "999").Header("Connection", "upgrade");
  r.Header("Content-Type", "text/html");  // content_type is the one sent
  WireResponse w = SerializeResponse(r, Keep11(), {});
  EXPECT_EQ(w.head,
            "HTTP/1.1 201 Created\r\nServer: strix\r\nContent-Type: text/plain\r\n"
            "Location: /x\r\nContent-Length: 4\r\n\r\n");
  EXPECT_EQ(w.body, "made");
  EXPECT_TRUE(w.keep_alive);

  RequestTraits close = Keep11();
  close.keep_alive = false;
  EXPECT_NE(SerializeResponse(r, close, {}).head.find("Connection: close\r\n"), std::string::npos);
  RequestTraits http10 = Keep11();
  http10.http11 = false;
  EXPECT_NE(SerializeResponse(r, http10, {}).head.find("Connection: keep-alive\r\n"),
            std::string::npos);
}

TEST(SerializeResponse, HeadAnd204HaveNoBody) {
  api::HttpResponse r;
  r.body = "{\"a\":1}";
  RequestTraits head = Keep11();
  head.head = true;
  WireResponse w = SerializeResponse(r, head, {});
  EXPECT_NE(w.head.find("Content-Length: 7\r\n"), std::string::npos) << w.head;
  EXPECT_TRUE(w.body.empty());

  r.status = 204;
  WireResponse n = SerializeResponse(r, Keep11(), {});
  EXPECT_EQ(n.head.find("Content-Length"), std::string::npos) << n.head;
  EXPECT_TRUE(n.body.empty());
}

TEST(SerializeResponse, GzipsLargeTextWhenAccepted) {
  api::HttpResponse r;
  r.content_type = "application/json; charset=utf-8";
  r.body = "[" + std::string(4000, '1') + "]";
  RequestTraits gz = Keep11();
  gz.accepts_gzip = true;
  WireResponse w = SerializeResponse(r, gz, {});
  EXPECT_NE(w.head.find("Content-Encoding: gzip\r\n"), std::string::npos) << w.head;
  EXPECT_NE(w.head.find("Vary: Accept-Encoding\r\n"), std::string::npos);
  EXPECT_NE(w.head.find("Content-Length: " + std::to_string(w.body.size()) + "\r\n"),
            std::string::npos);
  auto plain = GunzipBounded(w.body, 1 << 20);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, r.body);

  // Not accepted: identity, but still Vary.
  WireResponse id = SerializeResponse(r, Keep11(), {});
  EXPECT_EQ(id.head.find("Content-Encoding"), std::string::npos);
  EXPECT_NE(id.head.find("Vary: Accept-Encoding\r\n"), std::string::npos);
  EXPECT_EQ(id.body, r.body);

  // Small, binary, already encoded, HEAD, or disabled: identity.
  api::HttpResponse small = r;
  small.body = "[1]";
  EXPECT_EQ(SerializeResponse(small, gz, {}).body, "[1]");
  api::HttpResponse binary = r;
  binary.content_type = "application/octet-stream";
  EXPECT_EQ(SerializeResponse(binary, gz, {}).body, r.body);
  api::HttpResponse encoded = r;
  encoded.Header("Content-Encoding", "br");
  EXPECT_EQ(SerializeResponse(encoded, gz, {}).body, r.body);
  ResponseOptions off;
  off.gzip_level = 0;
  EXPECT_EQ(SerializeResponse(r, gz, off).body, r.body);
}

TEST(SerializeResponse, UnsafeHandlerResponsesBecome500) {
  api::HttpResponse split;
  split.Header("X-Evil", "a\r\nSet-Cookie: b");
  WireResponse w = SerializeResponse(split, Keep11(), {});
  EXPECT_EQ(w.status, 500);
  EXPECT_EQ(w.head.find("Set-Cookie"), std::string::npos);
  EXPECT_NE(w.body.find("invalid response header"), std::string::npos) << w.body;

  api::HttpResponse bad_name;
  bad_name.Header("Bad Name", "x");
  EXPECT_EQ(SerializeResponse(bad_name, Keep11(), {}).status, 500);

  api::HttpResponse bad_status;
  bad_status.status = 101;
  EXPECT_EQ(SerializeResponse(bad_status, Keep11(), {}).status, 500);
}

TEST(SerializeStreamHead, IsChunkedNeverGzippedAndKeepsTheConnection) {
  api::HttpResponse r;
  r.content_type = "text/event-stream";
  r.body = std::string(5000, 'x');  // ignored: the body is streamed
  r.Header("Cache-Control", "no-cache").Header("Content-Length", "5000");
  r.Header("Transfer-Encoding", "gzip");
  r.stream_open = [](std::shared_ptr<api::StreamWriter>) {};
  RequestTraits gz = Keep11();
  gz.accepts_gzip = true;
  WireResponse w = SerializeStreamHead(r, gz);
  EXPECT_EQ(w.head,
            "HTTP/1.1 200 OK\r\nServer: strix\r\nContent-Type: text/event-stream\r\n"
            "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_TRUE(w.body.empty());
  EXPECT_TRUE(w.streamed);
  EXPECT_TRUE(w.chunked);
  EXPECT_TRUE(w.keep_alive);
  EXPECT_EQ(w.status, 200);

  RequestTraits close = Keep11();
  close.keep_alive = false;
  WireResponse c = SerializeStreamHead(r, close);
  EXPECT_NE(c.head.find("Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"),
            std::string::npos)
      << c.head;
  EXPECT_FALSE(c.keep_alive);
}

TEST(SerializeStreamHead, Http10StreamEndsWithTheConnection) {
  api::HttpResponse r;
  r.content_type = "text/event-stream";
  RequestTraits http10 = Keep11();
  http10.http11 = false;  // asked for keep-alive, but the body can end only by closing
  WireResponse w = SerializeStreamHead(r, http10);
  EXPECT_TRUE(w.streamed);
  EXPECT_FALSE(w.chunked);
  EXPECT_FALSE(w.keep_alive);
  EXPECT_EQ(w.head.find("Transfer-Encoding"), std::string::npos) << w.head;
  EXPECT_NE(w.head.find("Connection: close\r\n"), std::string::npos) << w.head;
}

TEST(SerializeStreamHead, HeadNoContentAndUnsafeResponsesAreNotStreamed) {
  api::HttpResponse r;
  r.content_type = "text/event-stream";
  RequestTraits head = Keep11();
  head.head = true;
  WireResponse h = SerializeStreamHead(r, head);
  EXPECT_FALSE(h.streamed);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_NE(h.head.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << h.head;
  EXPECT_TRUE(h.body.empty());

  api::HttpResponse none = r;
  none.status = 204;
  WireResponse n = SerializeStreamHead(none, Keep11());
  EXPECT_FALSE(n.streamed);
  EXPECT_EQ(n.head.find("Transfer-Encoding"), std::string::npos) << n.head;
  EXPECT_EQ(n.head.find("Content-Length"), std::string::npos) << n.head;

  api::HttpResponse split = r;
  split.Header("X-Evil", "a\r\nSet-Cookie: b");
  WireResponse e = SerializeStreamHead(split, Keep11());
  EXPECT_EQ(e.status, 500);
  EXPECT_FALSE(e.streamed);
  EXPECT_EQ(e.head.find("Set-Cookie"), std::string::npos);
  EXPECT_NE(e.head.find("Content-Length: " + std::to_string(e.body.size())), std::string::npos);
}

TEST(AppendChunk, FramesWithAHexSizeAndSkipsEmptyData) {
  std::string out;
  AppendChunk(&out, "hello");
  AppendChunk(&out, "");
  AppendChunk(&out, std::string(26, 'z'));
  EXPECT_EQ(out, "5\r\nhello\r\n1a\r\n" + std::string(26, 'z') + "\r\n");
  std::string big;
  AppendChunk(&big, std::string(0x10000, 'b'));
  EXPECT_EQ(big.substr(0, 7), "10000\r\n");
  EXPECT_EQ(big.size(), 7 + 0x10000 + 2u);
  EXPECT_EQ(kLastChunk, "0\r\n\r\n");
}

TEST(SerializeRejection, IsTheApiErrorBodyAndCloses) {
  WireResponse w = SerializeRejection({413, "too big"});
  EXPECT_EQ(w.status, 413);
  EXPECT_FALSE(w.keep_alive);
  EXPECT_EQ(w.head.rfind("HTTP/1.1 413 Payload Too Large\r\n", 0), 0u) << w.head;
  EXPECT_NE(w.head.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(w.body, api::ErrorResponse(413, "too big").body);
}

TEST(AcceptsGzip, FollowsQValues) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, GZIP;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("x-gzip"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("br, deflate"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip; q=0.000, *"));
  EXPECT_TRUE(AcceptsGzip("gzip;q=0.001"));
  EXPECT_FALSE(AcceptsGzip("*;q=0"));
}

TEST(IsCompressibleType, TextAndJsonOnly) {
  EXPECT_TRUE(IsCompressibleType("application/json"));
  EXPECT_TRUE(IsCompressibleType("Text/Plain; version=0.0.4"));
  EXPECT_TRUE(IsCompressibleType("application/vnd.api+json"));
  EXPECT_TRUE(IsCompressibleType("application/openmetrics-text; version=1.0.0"));
  EXPECT_FALSE(IsCompressibleType("application/octet-stream"));
  EXPECT_FALSE(IsCompressibleType("image/png"));
  EXPECT_FALSE(IsCompressibleType(""));
}

}  // namespace
}  // namespace strix::server::http
