// Tests of the agent's HTTP client against an independent server: Python's http.server,
// started on a free loopback port (it prints the port) and stopped by its PID. Covers
// answers of every class, the request's headers and body as the server saw them,
// Retry-After, the timeout, a refused connection, the answer-size limit, and a stop token
// that ends a call to a server that never answers.
#include "agents/common/http_client.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "core/testing/temp_dir.h"

namespace strix::agents {
namespace {

using namespace std::chrono_literals;

constexpr const char* kServer = R"PY(
import http.server, sys, time

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def answer(self, code, body, extra=()):
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == "/ok":
            self.answer(200, b"hello")
        elif self.path == "/busy":
            self.answer(503, b"later", [("Retry-After", "7")])
        elif self.path == "/missing":
            self.answer(404, b"no such page")
        elif self.path == "/big":
            self.answer(200, b"x" * (2 << 20))
        elif self.path == "/slow":
            time.sleep(30)
            self.answer(200, b"late")
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(n)
        seen = "%s|%s|%s|" % (self.path, self.headers.get("Authorization"),
                              self.headers.get("Content-Encoding"))
        self.answer(201, seen.encode() + data)

class S(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # clients that hang up early (the timeout tests) are expected

s = S(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
)PY";

class HttpClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { HttpClient::GlobalInit(); }

  void SetUp() override {
    const std::string script = dir_.Join("server.py");
    std::ofstream(script) << kServer;
    int out[2];
    ASSERT_EQ(::pipe(out), 0);
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::execlp("python3", "python3", "-B", script.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out[0]);
    port_ = std::atoi(line.c_str());
    ASSERT_GT(port_, 0) << "python3 http.server did not start";
  }

  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  testing::TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

TEST_F(HttpClientTest, GetReturnsStatusTypeAndBody) {
  HttpClient client;
  HttpRequest req;
  req.url = Url("/ok");
  Result<HttpResponse> r = client.Do(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->content_type, "text/plain");
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->retry_after_s, -1);
}

TEST_F(HttpClientTest, PostSendsHeadersAndBodyAsGiven) {
  HttpClient client;
  HttpRequest req;
  req.method = "POST";
  req.url = Url("/write?precision=ms");
  req.headers = {{"Authorization", "Bearer t0k"}, {"Content-Encoding", "gzip"}};
  const std::string body("a\0b line", 8);
  req.body = body;
  Result<HttpResponse> r = client.Do(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "/write?precision=ms|Bearer t0k|gzip|" + body);
}

TEST_F(HttpClientTest, ErrorAnswersAreResponsesWithRetryAfter) {
  HttpClient client;
  HttpRequest req;
  req.url = Url("/busy");
  Result<HttpResponse> r = client.Do(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->retry_after_s, 7);
  EXPECT_EQ(r->body, "later");
  req.url = Url("/missing");  // the same client (and connection) again
  r = client.Do(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->retry_after_s, -1);
}

TEST_F(HttpClientTest, TransportFailuresAreErrors) {
  HttpClient client;
  HttpRequest req;
  req.url = Url("/slow");
  req.timeout_ms = 300;
  Result<HttpResponse> r = client.Do(req);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();

  req.url = Url("/big");
  req.timeout_ms = 10'000;
  req.max_response_bytes = 1 << 20;
  r = client.Do(req);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().ToString();

  req.url = "ftp://127.0.0.1/x";
  r = client.Do(req);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();

  req.method = "PUT";
  req.url = Url("/ok");
  r = client.Do(req);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);

  TearDown();  // the server is gone: the port refuses
  pid_ = -1;
  req.method = "GET";
  r = client.Do(req);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
}

TEST_F(HttpClientTest, AStopRequestEndsACallThatWouldWaitForItsTimeout) {
  HttpClient client;
  std::stop_source stop;
  HttpRequest req;
  req.url = Url("/slow");
  req.timeout_ms = 60'000;
  req.stop = stop.get_token();
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    stop.request_stop();
  });
  const auto t0 = std::chrono::steady_clock::now();
  Result<HttpResponse> r = client.Do(req);
  const auto took = std::chrono::steady_clock::now() - t0;
  stopper.join();
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().ToString();
  EXPECT_LT(took, 3s);
  // Already stopped: no call at all.
  r = client.Do(req);
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
}

}  // namespace
}  // namespace strix::agents
