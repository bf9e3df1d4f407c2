// Tests of the agent's HTTP server (server.h) over 127.0.0.1, with raw sockets and with
// curl: answers from the handler, HEAD, 404, 405, malformed and oversized heads, request
// bodies, a slow client that must not hold up others and is closed at its deadline, the
// connection limit, Stop with connections open, and bind errors.
#include "agents/httpd/server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

namespace strix::agents::httpd {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kCurl[] = "/usr/bin/curl";

// A blocking client socket to 127.0.0.1:port whose reads give up after `timeout_ms`.
int Connect(int port, int timeout_ms = 5000) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0);
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << std::strerror(errno);
  return fd;
}

void SendAll(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    s.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads until EOF (or the socket's read timeout, or an error).
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// One request over a fresh connection; returns the whole answer.
std::string Exchange(int port, std::string_view request) {
  int fd = Connect(port);
  SendAll(fd, request);
  std::string answer = ReadAll(fd);
  ::close(fd);
  return answer;
}

bool HaveCurl() { return ::access(kCurl, X_OK) == 0; }

// Runs curl with `args` (shell words) and returns its standard output.
std::string Curl(const std::string& args) {
  std::string cmd = std::string(kCurl) + " -sS --max-time 10 " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  EXPECT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

// The handler of most tests: /page (JSON), /echo (path and query), else 404.
Response TestHandler(const Request& r) {
  if (r.path == "/page") {
    Response x;
    x.content_type = "application/json";
    x.body = "{\"ok\":true}";
    return x;
  }
  if (r.path.starts_with("/echo"))
    return Response{200, "text/plain; charset=utf-8", r.method + " " + r.path + " " + r.query, {}};
  return TextResponse(404);
}

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}) {
    server_ = std::make_unique<Server>(std::move(options), TestHandler);
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->port();
    ASSERT_GT(port_, 0);
  }
  std::string Url(std::string_view path) {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::unique_ptr<Server> server_;
  int port_ = 0;
};

TEST_F(ServerTest, GetReturnsTheHandlerAnswerAndCloses) {
  StartServer();
  std::string a = Exchange(port_, "GET /page HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(a, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(a, HasSubstr("\r\nContent-Type: application/json\r\n"));
  EXPECT_THAT(a, HasSubstr("\r\nContent-Length: 11\r\n"));
  EXPECT_THAT(a, HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_THAT(a, HasSubstr("\r\nDate: "));
  EXPECT_THAT(a, HasSubstr("\r\nServer: strix-agent\r\n"));
  EXPECT_TRUE(a.ends_with("\r\n\r\n{\"ok\":true}")) << a;
  EXPECT_EQ(server_->stats().requests, 1u);
}

TEST_F(ServerTest, CurlGetsThePageAndTheQuery) {
  if (!HaveCurl()) GTEST_SKIP() << "no curl";
  StartServer();
  EXPECT_EQ(Curl(Url("/page")), "{\"ok\":true}");
  EXPECT_EQ(Curl("'" + Url("/echo/a%20b?x=1&y") + "'"), "GET /echo/a%20b x=1&y");
  std::string head = Curl("-i " + Url("/page"));
  EXPECT_THAT(head, HasSubstr("Content-Type: application/json"));
}

TEST_F(ServerTest, HeadSendsTheHeadersWithoutTheBody) {
  StartServer();
  std::string a = Exchange(port_, "HEAD /page HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(a, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(a, HasSubstr("\r\nContent-Length: 11\r\n"));
  EXPECT_TRUE(a.ends_with("\r\n\r\n")) << a;
  if (HaveCurl()) {
    std::string c = Curl("-I " + Url("/page"));
    EXPECT_THAT(c, HasSubstr("HTTP/1.1 200 OK"));
    EXPECT_THAT(c, HasSubstr("Content-Length: 11"));
  }
}

TEST_F(ServerTest, HandlerNotFoundIs404) {
  StartServer();
  std::string a = Exchange(port_, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(a, StartsWith("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_TRUE(a.ends_with("404 Not Found\n"));
  if (HaveCurl()) {
    EXPECT_EQ(Curl("-o /dev/null -w '%{http_code}' " + Url("/nothing")), "404");
  }
}

TEST_F(ServerTest, OtherMethodsAre405WithAllow) {
  StartServer();
  std::string a = Exchange(port_, "DELETE /page HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(a, StartsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_THAT(a, HasSubstr("\r\nAllow: GET, HEAD\r\n"));
  if (HaveCurl()) {
    // A POST with a body: the answer arrives although the body is never read.
    std::string c = Curl("-i -X POST --data-binary 'abc' " + Url("/page"));
    EXPECT_THAT(c, HasSubstr("405 Method Not Allowed"));
    EXPECT_THAT(c, HasSubstr("Allow: GET, HEAD"));
  }
  EXPECT_EQ(server_->stats().requests, 0u);
}

TEST_F(ServerTest, GarbageRequestLinesAre400AtOnce) {
  ServerOptions o;
  o.read_timeout_ms = 30'000;  // an answer must not wait for the timeout
  StartServer(o);
  for (std::string junk :
       {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),
        std::string("GET / HTTP/1.1\x00zz", 17), std::string("hello world\r\n\r\n"),
        std::string("GET / HTTP/1.1\r\n\r\n"), std::string("GET / HTTP/1.1\r\nHost x\r\n\r\n")}) {
    auto start = std::chrono::steady_clock::now();
    int fd = Connect(port_, 10'000);
    SendAll(fd, junk);  // no end of head for the first two
    std::string a = ReadAll(fd);
    ::close(fd);
    EXPECT_THAT(a, StartsWith("HTTP/1.1 400 Bad Request\r\n")) << junk;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  }
  EXPECT_EQ(server_->stats().requests, 0u);
  EXPECT_EQ(server_->stats().bad_requests, 5u);
}

TEST_F(ServerTest, OtherHttpVersionsAre505) {
  StartServer();
  EXPECT_THAT(Exchange(port_, "GET / HTTP/2.0\r\n\r\n"),
              StartsWith("HTTP/1.1 505 HTTP Version Not Supported\r\n"));
}

TEST_F(ServerTest, Http10WithoutHostIsServed) {
  StartServer();
  EXPECT_THAT(Exchange(port_, "GET /page HTTP/1.0\r\n\r\n"), StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_F(ServerTest, OversizedHeadsAre431AndLongRequestLines414) {
  StartServer();
  std::string big =
      "GET /page HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n";
  EXPECT_THAT(Exchange(port_, big), StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
  std::string long_line = "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_THAT(Exchange(port_, long_line), StartsWith("HTTP/1.1 414 URI Too Long\r\n"));
  // Just at the limit (8192 bytes with the final empty line) is fine.
  std::string fits = "GET /page HTTP/1.1\r\nHost: x\r\nX-Pad: ";
  fits += std::string(8192 - fits.size() - 4, 'p') + "\r\n\r\n";
  ASSERT_EQ(fits.size(), 8192u);
  EXPECT_THAT(Exchange(port_, fits), StartsWith("HTTP/1.1 200 OK\r\n"));
  if (HaveCurl()) {
    std::string c = Curl("-o /dev/null -w '%{http_code}' -H 'X-Big: " + std::string(9000, 'b') +
                         "' " + Url("/page"));
    EXPECT_EQ(c, "431");
  }
}

TEST_F(ServerTest, RequestBodiesAreRefused) {
  StartServer();
  EXPECT_THAT(Exchange(port_, "GET /page HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"),
              StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(
      Exchange(port_,
               "GET /page HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
      StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(Exchange(port_, "GET /page HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"),
              StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_F(ServerTest, OneAnswerPerConnectionEvenWhenRequestsArePipelined) {
  StartServer();
  std::string a =
      Exchange(port_, "GET /page HTTP/1.1\r\nHost: x\r\n\r\nGET /page HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(a.find("HTTP/1.1 200"), 0u);
  EXPECT_EQ(a.find("HTTP/1.1", 1), std::string::npos) << a;
}

TEST_F(ServerTest, SlowClientDoesNotBlockOthersAndIsClosedAtItsDeadline) {
  ServerOptions o;
  o.read_timeout_ms = 3000;
  StartServer(o);
  int slow = Connect(port_, 10'000);
  SendAll(slow, "GET /page HTTP/1.1\r\nHost: x\r\n");  // never finishes its head
  int silent = Connect(port_, 10'000);                 // sends nothing at all
  // Others are served while the slow ones wait.
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(Exchange(port_, "GET /page HTTP/1.1\r\nHost: x\r\n\r\n"),
                StartsWith("HTTP/1.1 200 OK\r\n"));
  }
  if (HaveCurl()) {
    EXPECT_EQ(Curl(Url("/page")), "{\"ok\":true}");
  }
  // The slow connection is still open (nothing to read yet, no EOF).
  char c;
  EXPECT_EQ(::recv(slow, &c, 1, MSG_DONTWAIT), -1);
  EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK);
  // At its deadline: a 408 for the one that sent something, a plain close for the other.
  auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(ReadAll(slow), StartsWith("HTTP/1.1 408 Request Timeout\r\n"));
  EXPECT_EQ(ReadAll(silent), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
  ::close(slow);
  ::close(silent);
  EXPECT_EQ(server_->stats().timeouts, 2u);
}

TEST_F(ServerTest, ConnectionsBeyondTheLimitGet503) {
  ServerOptions o;
  o.max_connections = 2;
  StartServer(o);
  int a = Connect(port_);
  int b = Connect(port_);
  int c = Connect(port_);
  EXPECT_THAT(ReadAll(c), StartsWith("HTTP/1.1 503 Service Unavailable\r\n"));
  ::close(c);
  EXPECT_GE(server_->stats().rejected, 1u);
  // Held connections are still served.
  SendAll(a, "GET /page HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(ReadAll(a), StartsWith("HTTP/1.1 200 OK\r\n"));
  ::close(a);
  ::close(b);
  // Once they are gone, new connections are served again (the server notices the
  // closes on its next poll round, so allow a few tries).
  std::string answer;
  for (int i = 0; i < 50; ++i) {
    answer = Exchange(port_, "GET /page HTTP/1.1\r\nHost: x\r\n\r\n");
    if (answer.starts_with("HTTP/1.1 200")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_F(ServerTest, StopClosesOpenConnectionsAndReturnsPromptly) {
  StartServer();
  int idle = Connect(port_);
  SendAll(idle, "GET /page HTTP/1.1\r\n");
  auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(ReadAll(idle), "");
  ::close(idle);
  // The port is free again: a new server can take it.
  ServerOptions o;
  o.port = port_;
  Server again(o, TestHandler);
  EXPECT_TRUE(again.Start().ok());
  again.Stop();
  server_->Stop();  // a second Stop is a no-op
}

TEST_F(ServerTest, EphemeralPortsDifferAndStartTwiceFails) {
  StartServer();
  Server other({}, TestHandler);
  ASSERT_TRUE(other.Start().ok());
  EXPECT_NE(other.port(), port_);
  EXPECT_EQ(other.Start().code(), StatusCode::kFailedPrecondition);
}

TEST(Server, BindErrorsAreReported) {
  Server bad_address({.address = "localhost"}, TestHandler);
  EXPECT_EQ(bad_address.Start().code(), StatusCode::kInvalidArgument);
  Server bad_port({.port = 70000}, TestHandler);
  EXPECT_EQ(bad_port.Start().code(), StatusCode::kInvalidArgument);
  Server first({}, TestHandler);
  ASSERT_TRUE(first.Start().ok());
  ServerOptions same;
  same.port = first.port();
  Server second(same, TestHandler);
  Status s = second.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.sys_errno(), EADDRINUSE) << s.ToString();
  EXPECT_EQ(second.port(), 0);
}

TEST(Server, ListensOnIpv6Loopback) {
  Server server({.address = "[::1]"}, TestHandler);
  Status s = server.Start();
  if (!s.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << s.ToString();
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(static_cast<uint16_t>(server.port()));
  a.sin6_addr = in6addr_loopback;
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  SendAll(fd, "GET /page HTTP/1.1\r\nHost: [::1]\r\n\r\n");
  EXPECT_THAT(ReadAll(fd), StartsWith("HTTP/1.1 200 OK\r\n"));
  ::close(fd);
}

TEST(Server, LargeAnswersArriveWhole) {
  std::string big(3 << 20, 'z');
  Server server({}, [&](const Request&) {
    Response r;
    r.body = big;
    return r;
  });
  ASSERT_TRUE(server.Start().ok());
  int fd = Connect(server.port());
  SendAll(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string a = ReadAll(fd);
  ::close(fd);
  ASSERT_GT(a.size(), big.size());
  EXPECT_EQ(a.substr(a.size() - big.size()), big);
}

}  // namespace
}  // namespace strix::agents::httpd
