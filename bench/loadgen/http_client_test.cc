// The HTTP client against TestHttpServer: answers framed by Content-Length, chunked coding
// (extensions, trailers) and end of stream; 1xx answers skipped; keep-alive reuse and
// Connection: close; HTTP/1.0; timeouts, refused connections and malformed answers. Also
// URL and query parsing.
#include "bench/loadgen/http_client.h"

#include <gtest/gtest.h>

#include <string>

#include "bench/loadgen/test_http_server.h"

namespace strix::bench {
namespace {

using testing::NoContent;
using testing::TestAnswer;
using testing::TestHttpServer;
using testing::TestRequest;

std::string Head(std::string_view target, size_t body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body) + "\r\n\r\n";
}

Result<HttpResponse> Post(HttpConnection* c, std::string_view body = "abc") {
  return c->RoundTrip(Head("/write", body.size()), body);
}

HttpConnection Conn(const TestHttpServer& s, int timeout_ms = 5000) {
  return HttpConnection(ParseHttpUrl(s.Url("/")).value().addr, timeout_ms);
}

TEST(LoadgenHttpUrl, ParsesHostPortAndTarget) {
  Result<HttpUrl> u = ParseHttpUrl("http://127.0.0.1:8428/write?precision=s");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8428);
  EXPECT_EQ(u->target, "/write?precision=s");
  EXPECT_EQ(u->HostHeader(), "127.0.0.1:8428");
  EXPECT_EQ(ntohs(u->addr.sin_port), 8428);

  u = ParseHttpUrl("http://localhost");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->target, "/");
  EXPECT_EQ(u->addr.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
  EXPECT_EQ(ParseHttpUrl("http://127.0.0.1:9?a=b")->target, "/?a=b");
}

TEST(LoadgenHttpUrl, RejectsWhatItCannotSpeak) {
  EXPECT_FALSE(ParseHttpUrl("https://127.0.0.1:1/").ok());
  EXPECT_FALSE(ParseHttpUrl("http://example.com/").ok());  // no DNS
  EXPECT_FALSE(ParseHttpUrl("http://127.0.0.1:0/").ok());
  EXPECT_FALSE(ParseHttpUrl("http://127.0.0.1:65536/").ok());
  EXPECT_FALSE(ParseHttpUrl("http://127.0.0.1:x/").ok());
  EXPECT_FALSE(ParseHttpUrl("http://:80/").ok());
  EXPECT_FALSE(ParseHttpUrl("http://127.0.0.1:80/a b").ok());
}

TEST(LoadgenHttpUrl, QueryParam) {
  bool found = false;
  EXPECT_EQ(QueryParam("/write?db=x&precision=ms", "precision", &found), "ms");
  EXPECT_TRUE(found);
  EXPECT_EQ(QueryParam("/write?precision", "precision", &found), "");
  EXPECT_TRUE(found);
  QueryParam("/write?db=precision", "precision", &found);
  EXPECT_FALSE(found);
  QueryParam("/write", "precision", &found);
  EXPECT_FALSE(found);
}

TEST(LoadgenHttpConnection, KeepAliveReusesOneConnection) {
  TestHttpServer s([](const TestRequest&, uint64_t) { return NoContent(); });
  HttpConnection c = Conn(s);
  for (int i = 0; i < 5; ++i) {
    Result<HttpResponse> r = Post(&c, std::string(1000 * i, 'x'));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 204);
    EXPECT_FALSE(r->close);
  }
  EXPECT_EQ(c.connects(), 1u);
  EXPECT_EQ(s.connections(), 1);
  const auto reqs = s.Requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(reqs[4].body, std::string(4000, 'x'));
}

TEST(LoadgenHttpConnection, ContentLengthBody) {
  TestHttpServer s([](const TestRequest&, uint64_t) {
    return TestAnswer{"HTTP/1.1 400 Bad Request\r\ncontent-length: 11\r\n\r\nbad line 3\n"};
  });
  HttpConnection c = Conn(s);
  Result<HttpResponse> r = Post(&c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->reason, "Bad Request");
  EXPECT_EQ(r->body, "bad line 3\n");
  // The connection is still usable: the body was consumed exactly.
  r = Post(&c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(c.connects(), 1u);
}

TEST(LoadgenHttpConnection, ChunkedBodyWithExtensionsAndTrailers) {
  TestHttpServer s([](const TestRequest&, uint64_t) {
    return TestAnswer{
        "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\nRetry-After: 2\r\n\r\n"
        "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"};
  });
  HttpConnection c = Conn(s);
  for (int i = 0; i < 2; ++i) {
    Result<HttpResponse> r = Post(&c);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(r->body, "hello, world");
    EXPECT_EQ(r->retry_after, "2");
  }
  EXPECT_EQ(c.connects(), 1u);
}

TEST(LoadgenHttpConnection, SkipsInterimAnswers) {
  TestHttpServer s([](const TestRequest&, uint64_t) {
    return TestAnswer{
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"};
  });
  HttpConnection c = Conn(s);
  Result<HttpResponse> r = Post(&c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "OK");
}

TEST(LoadgenHttpConnection, ConnectionCloseReconnectsForTheNextRequest) {
  TestHttpServer s([](const TestRequest&, uint64_t) {
    return TestAnswer{"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", true};
  });
  HttpConnection c = Conn(s);
  for (int i = 0; i < 3; ++i) {
    Result<HttpResponse> r = Post(&c);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->close);
    EXPECT_FALSE(c.connected());
  }
  EXPECT_EQ(c.connects(), 3u);
  EXPECT_EQ(s.connections(), 3);
}

TEST(LoadgenHttpConnection, Http10BodyUntilClose) {
  TestHttpServer s([](const TestRequest&, uint64_t) {
    return TestAnswer{"HTTP/1.0 200 OK\r\n\r\nall of it", true};
  });
  HttpConnection c = Conn(s);
  Result<HttpResponse> r = Post(&c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "all of it");
  EXPECT_TRUE(r->close);
}

TEST(LoadgenHttpConnection, KeepsOnlyThePrefixOfALargeBody) {
  const std::string big(300'000, 'b');
  TestHttpServer s([&](const TestRequest&, uint64_t) {
    return TestAnswer{"HTTP/1.1 500 Oops\r\nContent-Length: 300000\r\n\r\n" + big};
  });
  HttpConnection c(ParseHttpUrl(s.Url("/")).value().addr, 5000, /*max_body_keep=*/100);
  Result<HttpResponse> r = Post(&c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, std::string(100, 'b'));
  EXPECT_EQ(r->body_bytes, 300'000u);
  EXPECT_TRUE(Post(&c).ok());  // framing kept
}

TEST(LoadgenHttpConnection, ErrorsCloseTheConnection) {
  TestHttpServer s([](const TestRequest& req, uint64_t) {
    if (req.body == "garbage") return TestAnswer{"SMTP ready\r\n\r\n"};
    if (req.body == "hangup") return TestAnswer{"", true};
    if (req.body == "short")
      return TestAnswer{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab", true};
    return NoContent();
  });
  HttpConnection c = Conn(s);
  Result<HttpResponse> r = Post(&c, "garbage");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(c.connected());
  r = Post(&c, "hangup");
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(c.connected());
  r = Post(&c, "short");
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  r = Post(&c, "fine");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 204);
}

TEST(LoadgenHttpConnection, TimesOutWhenTheServerDoesNotAnswer) {
  std::atomic<bool> release{false};
  TestHttpServer s([&](const TestRequest&, uint64_t) {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return NoContent();
  });
  HttpConnection c = Conn(s, /*timeout_ms=*/150);
  Result<HttpResponse> r = Post(&c);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  release = true;
}

TEST(LoadgenHttpConnection, RefusedConnection) {
  uint16_t port;
  {
    TestHttpServer s([](const TestRequest&, uint64_t) { return NoContent(); });
    port = s.port();
  }
  HttpConnection c(ParseHttpUrl("http://127.0.0.1:" + std::to_string(port) + "/").value().addr,
                   1000);
  Status st = c.Connect();
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.sys_errno(), ECONNREFUSED) << st.ToString();
}

}  // namespace
}  // namespace strix::bench
