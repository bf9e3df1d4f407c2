// Tests of the request head parser and answer formatting (request.h): the accepted
// forms, each rejection with its status (400 or 505), and the exact answer head.
#include "agents/httpd/request.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace strix::agents::httpd {
namespace {

using ::testing::HasSubstr;

TEST(HttpRequest, ParsesOriginFormWithQuery) {
  auto r = ParseRequestHead("GET /pattoo-agent-linux/10?x=1&y HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->path, "/pattoo-agent-linux/10");
  EXPECT_EQ(r->query, "x=1&y");
  EXPECT_EQ(r->version_minor, 1);
  EXPECT_EQ(r->content_length, 0u);
  EXPECT_FALSE(r->transfer_encoding);
}

TEST(HttpRequest, KeepsPercentEncodingAndSplitsAtTheFirstQuestionMark) {
  auto r = ParseRequestHead("HEAD /a%20b?q=?x HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->method, "HEAD");
  EXPECT_EQ(r->path, "/a%20b");
  EXPECT_EQ(r->query, "q=?x");
}

TEST(HttpRequest, AbsoluteFormIsReducedToItsPath) {
  auto r =
      ParseRequestHead("GET http://spoke:5000/strix/v1/points?a HTTP/1.1\r\nHost: spoke\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->path, "/strix/v1/points");
  EXPECT_EQ(r->query, "a");
  auto bare = ParseRequestHead("GET HTTP://spoke HTTP/1.1\r\nHost: spoke\r\n\r\n");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->path, "/");
  auto q = ParseRequestHead("GET http://spoke?z HTTP/1.1\r\nHost: spoke\r\n\r\n");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->path, "/");
  EXPECT_EQ(q->query, "z");
}

TEST(HttpRequest, AcceptsBareLfLeadingEmptyLinesAndHttp10WithoutHost) {
  auto r = ParseRequestHead("\r\n\nGET / HTTP/1.0\nUser-Agent: x\n\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->version_minor, 0);
  EXPECT_EQ(r->path, "/");
}

TEST(HttpRequest, HeaderNamesAreCaseInsensitiveAndValuesTrimmed) {
  auto r = ParseRequestHead(
      "GET / HTTP/1.1\r\nhOsT:a\r\ncontent-LENGTH: \t 12 \r\nTransfer-Encoding: chunked\r\n"
      "X-Empty:\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->content_length, 12u);
  EXPECT_TRUE(r->transfer_encoding);
}

TEST(HttpRequest, MalformedHeadsAreBadRequests) {
  for (std::string head : {
           std::string(""),
           std::string("\r\n"),
           std::string("GET\r\n\r\n"),
           std::string("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"),
           std::string("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"),
           std::string("GET / http/1.1\r\nHost: a\r\n\r\n"),
           std::string("GET / HTTP/1.1x\r\nHost: a\r\n\r\n"),
           std::string("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"),
           std::string(33, 'G') + " / HTTP/1.1\r\nHost: a\r\n\r\n",
           std::string("GET relative HTTP/1.1\r\nHost: a\r\n\r\n"),
           std::string("GET ftp://x/ HTTP/1.1\r\nHost: a\r\n\r\n"),
           std::string("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n"),
           std::string("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n"),
           std::string("GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"),
           std::string("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n"),
           std::string("GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n"),
           std::string("GET / HTTP/1.1\r\n\r\n"),                        // no Host
           std::string("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),  // two Hosts
           std::string("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"),
           std::string("GET / HTTP/1.1\r\nHost : a\r\n\r\n"),  // space before ':'
           std::string("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"),
           std::string("GET / HTTP/1.1\r\nHost: a\r\nno colon\r\n\r\n"),
           std::string("GET / HTTP/1.1\r\nHost: a\r\n: empty name\r\n\r\n"),
           std::string("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n"),
           std::string("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n"),
           std::string("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"),
           std::string("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n"),
           std::string("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n"),
           std::string(
               "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
           std::string("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
       }) {
    auto r = ParseRequestHead(head);
    ASSERT_FALSE(r.ok()) << head;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << head;
    EXPECT_EQ(StatusForParseError(r.status()), 400) << head;
  }
}

TEST(HttpRequest, OtherHttpVersionsAre505) {
  for (std::string head : {"GET / HTTP/2.0\r\n\r\n", "GET / HTTP/1.2\r\nHost: a\r\n\r\n",
                           "GET / HTTP/0.9\r\n\r\n", "GET /\r\n\r\n"}) {
    auto r = ParseRequestHead(head);
    ASSERT_FALSE(r.ok()) << head;
    EXPECT_EQ(StatusForParseError(r.status()), 505) << head;
  }
}

TEST(HttpRequest, RepeatedEqualContentLengthIsAccepted) {
  auto r = ParseRequestHead(
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(r.ok());
}

TEST(HttpRequest, FindHeadEndFindsTheFirstEmptyLine) {
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody"), 27u);
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\nHost: a\n\nbody"), 24u);
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\r\nHost: a\r\n"), std::string_view::npos);
  EXPECT_EQ(FindHeadEnd("\r\n\r\nGET / HTTP/1.0\r\n\r\n"), 22u);
  EXPECT_EQ(FindHeadEnd(""), std::string_view::npos);
}

TEST(HttpResponse, HeadCarriesLengthTypeAndConnectionClose) {
  Response r;
  r.status = 200;
  r.content_type = "application/json";
  r.body = "{}";
  EXPECT_EQ(FormatResponseHead(r, 2, "Sun, 06 Nov 1994 08:49:37 GMT", "strix-agent"),
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: strix-agent\r\n"
            "Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n");
}

TEST(HttpResponse, ExtraHeadersAreWrittenUnlessTheyCouldSplitTheAnswer) {
  Response r = TextResponse(405);
  r.headers = {{"Allow", "GET, HEAD"},
               {"X-Bad", "a\r\nSet-Cookie: x"},
               {"Bad Name", "v"},
               {"Content-Length", "999"},
               {"Connection", "keep-alive"}};
  std::string h = FormatResponseHead(r, r.body.size(), {}, {});
  EXPECT_THAT(h, HasSubstr("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_THAT(h, HasSubstr("\r\nAllow: GET, HEAD\r\n"));
  EXPECT_THAT(h, ::testing::Not(HasSubstr("X-Bad")));
  EXPECT_THAT(h, ::testing::Not(HasSubstr("Bad Name")));
  EXPECT_THAT(h, ::testing::Not(HasSubstr("999")));
  EXPECT_THAT(h, ::testing::Not(HasSubstr("keep-alive")));
  EXPECT_THAT(h, HasSubstr("Content-Length: " + std::to_string(r.body.size()) + "\r\n"));
}

TEST(HttpResponse, NoContentHasNoLengthAndBadStatusBecomes500) {
  Response r;
  r.status = 204;
  EXPECT_THAT(FormatResponseHead(r, 0, {}, {}), ::testing::Not(HasSubstr("Content-Length")));
  r.status = 42;
  EXPECT_THAT(FormatResponseHead(r, 0, {}, {}), HasSubstr("HTTP/1.1 500 Internal Server Error"));
}

TEST(HttpResponse, TextResponseNamesTheStatus) {
  EXPECT_EQ(TextResponse(404).body, "404 Not Found\n");
  EXPECT_EQ(TextResponse(400, "why").body, "400 Bad Request: why\n");
  EXPECT_EQ(TextResponse(431).content_type, "text/plain; charset=utf-8");
}

TEST(HttpResponse, DateIsImfFixdate) {
  EXPECT_EQ(HttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(HttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

}  // namespace
}  // namespace strix::agents::httpd
