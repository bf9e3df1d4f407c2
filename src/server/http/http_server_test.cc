// Tests of HttpServer on real sockets (127.0.0.1, ephemeral ports) with independent
// clients: the curl command-line tool for ordinary requests, keep-alive reuse, gzip
// bodies both ways, Expect: 100-continue and TLS (a self-signed certificate made by the
// openssl tool), and raw POSIX sockets for what curl will not send: oversized headers and
// bodies, a gzip bomb, a slow client, malformed requests, pipelining, Connection: close,
// HTTP/1.0. Also: a handler answering later from another thread, Stop() draining or
// cutting an in-flight handler, the connection limit, idle timeouts, Start() errors, and
// that no rejected request ever reaches the handler. Streamed responses: chunk order and
// framing (raw sockets and curl, plain and TLS), keep-alive after the stream, a client
// going away, a client that does not read (buffer limit, write timeout), Stop(), idle
// streams, HEAD and HTTP/1.0, and writers that outlive the server.
#include "server/http/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/env.h"
#include "core/mutex.h"
#include "core/testing/temp_dir.h"
#include "server/http/gzip.h"

namespace strix::server::http {
namespace {

using namespace std::chrono_literals;  // NOLINT
using ::strix::testing::TempDir;
using Clock = std::chrono::steady_clock;

int64_t MillisSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// Polls `cond` every 5 ms for up to `timeout`.
template <typename Cond>
bool WaitFor(Cond cond, std::chrono::milliseconds timeout = 3000ms) {
  const auto deadline = Clock::now() + timeout;
  while (!cond()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

struct CommandResult {
  int exit_code = -1;
  std::string out;
};

// Runs `cmd` with /bin/sh and collects its standard output.
CommandResult RunShell(const std::string& cmd) {
  CommandResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// curl with no proxy, a hard time limit and quiet progress.
std::string Curl() { return "curl -sS --noproxy '*' --max-time 10 "; }

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string Text(size_t n) {
  std::string s;
  for (size_t i = 0; s.size() < n; ++i) s += "line " + std::to_string(i) + " of the body\n";
  s.resize(n);
  return s;
}

// The chunks /stream?n=N writes.
std::string Event(int i) { return "data: event " + std::to_string(i) + "\n\n"; }

// Routes: /hello, /echo (the body back, octet-stream), /json?n=N (N bytes of JSON),
// /slow?ms=N (answers from another thread after N ms), /twice (responds twice),
// /stream (a streamed text/event-stream: the writer is kept for the test, see writer()),
// /stream?n=N (likewise, and a thread writes Event(0..N-1), then closes).
class TestHandler : public api::HttpHandler {
 public:
  ~TestHandler() override {
    std::vector<std::thread> threads;
    {
      MutexLock lock(&mu_);
      threads.swap(threads_);
    }
    for (std::thread& t : threads) t.join();
  }

  void Handle(api::HttpRequest req, api::Respond respond) override {
    calls_.fetch_add(1);
    const std::string path(req.path());
    const std::string query(req.query());
    {
      MutexLock lock(&mu_);
      calls_at_.emplace_back(path, Clock::now());
      last_ = req;
    }
    if (path == "/hello") {
      api::HttpResponse r;
      r.content_type = "text/plain";
      r.body = "hello\n";
      respond(std::move(r));
    } else if (path == "/echo") {
      api::HttpResponse r;
      r.content_type = "application/octet-stream";
      r.Header("X-Method", req.method).Header("X-Tls", req.tls ? "1" : "0");
      r.Header("X-Remote-Set", req.remote.rfind("127.0.0.1:", 0) == 0 ? "1" : "0");
      r.body = std::move(req.body);
      respond(std::move(r));
    } else if (path == "/json") {
      const size_t n = std::stoul(query.substr(2));
      api::HttpResponse r;
      r.body = "[";
      while (r.body.size() + 10 < n) r.body += "12345.5,";
      r.body += "0" + std::string(n - r.body.size() - 2, ' ') + "]";  // exactly n bytes
      respond(std::move(r));
    } else if (path == "/slow") {
      const int ms = std::stoi(query.substr(3));
      MutexLock lock(&mu_);
      threads_.emplace_back([this, ms, respond = std::move(respond)] {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        {
          MutexLock lock(&mu_);
          slow_responded_at_ = Clock::now();
        }
        api::HttpResponse r;
        r.content_type = "text/plain";
        r.body = "slow\n";
        respond(std::move(r));
      });
    } else if (path == "/stream") {
      const int n = query.empty() ? -1 : std::stoi(query.substr(2));
      api::HttpResponse r;
      r.content_type = "text/event-stream";
      r.Header("Cache-Control", "no-cache");
      r.stream_open = [this, n](std::shared_ptr<api::StreamWriter> w) {
        MutexLock lock(&mu_);
        writers_.push_back(w);
        if (n < 0) return;
        threads_.emplace_back([this, n, w] {
          int ok = 0;
          for (int i = 0; i < n; ++i) ok += w->Write(Event(i)) ? 1 : 0;
          w->Close();
          MutexLock lock(&mu_);
          producer_writes_ok_ = ok;
        });
      };
      respond(std::move(r));
    } else if (path == "/twice") {
      api::HttpResponse a;
      a.body = "\"first\"";
      respond(a);
      api::HttpResponse b;
      b.body = "\"second\"";
      respond(b);
    } else {
      respond(api::ErrorResponse(404, "no route for " + path));
    }
  }

  int calls() const { return calls_.load(); }
  api::HttpRequest last() {
    MutexLock lock(&mu_);
    return last_;
  }
  // When the handler was first called for `path`.
  std::optional<Clock::time_point> CalledAt(const std::string& path) {
    MutexLock lock(&mu_);
    for (const auto& [p, t] : calls_at_) {
      if (p == path) return t;
    }
    return std::nullopt;
  }
  std::optional<Clock::time_point> SlowRespondedAt() {
    MutexLock lock(&mu_);
    return slow_responded_at_;
  }
  // How many streams were opened (stream_open calls), and the i-th writer.
  size_t streams() {
    MutexLock lock(&mu_);
    return writers_.size();
  }
  std::shared_ptr<api::StreamWriter> writer(size_t i = 0) {
    MutexLock lock(&mu_);
    return i < writers_.size() ? writers_[i] : nullptr;
  }
  // The successful writes of the last /stream?n=N producer to finish, or -1.
  int producer_writes_ok() {
    MutexLock lock(&mu_);
    return producer_writes_ok_;
  }

 private:
  std::atomic<int> calls_{0};
  Mutex mu_;
  std::vector<std::thread> threads_ STRIX_GUARDED_BY(mu_);
  std::vector<std::pair<std::string, Clock::time_point>> calls_at_ STRIX_GUARDED_BY(mu_);
  api::HttpRequest last_ STRIX_GUARDED_BY(mu_);
  std::optional<Clock::time_point> slow_responded_at_ STRIX_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<api::StreamWriter>> writers_ STRIX_GUARDED_BY(mu_);
  int producer_writes_ok_ STRIX_GUARDED_BY(mu_) = -1;
};

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::vector<std::string> chunks;  // a chunked body, chunk by chunk (body: them joined)
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// A plain TCP client for requests curl will not send.
class RawClient {
 public:
  // `rcvbuf` > 0: a small receive buffer, set before connecting (a client that reads slowly
  // then holds up the server's writes early).
  explicit RawClient(uint16_t port, std::chrono::milliseconds timeout = 5000ms, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawClient() { Close(); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One response (a HEAD response has no body); nullopt on EOF, error or timeout. A
  // chunked body is decoded.
  std::optional<RawResponse> Read(bool head = false) {
    std::optional<RawResponse> r = ReadHead();
    if (!r || head) return r;
    if (r->header("transfer-encoding") == "chunked") {
      for (;;) {
        std::optional<std::string> chunk = ReadChunk();
        if (!chunk) return std::nullopt;
        if (chunk->empty()) return r;
        r->body += *chunk;
        r->chunks.push_back(std::move(*chunk));
      }
    }
    const size_t length =
        r->headers.count("content-length") == 0 ? 0 : std::stoul(r->headers["content-length"]);
    while (buf_.size() < length) {
      if (!Fill()) return std::nullopt;
    }
    r->body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }

  // The next chunk of a chunked body: its data, or "" for the last chunk (its empty
  // trailer consumed too); nullopt on EOF, error, timeout or bad framing.
  std::optional<std::string> ReadChunk() {
    size_t eol;
    while ((eol = buf_.find("\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    size_t size = 0;
    for (size_t i = 0; i < eol; ++i) {
      const char c = buf_[i];
      const int digit = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
      if (digit < 0 || i >= 15) return std::nullopt;  // no extensions are sent
      size = size * 16 + static_cast<size_t>(digit);
    }
    if (eol == 0) return std::nullopt;
    while (buf_.size() < eol + 2 + size + 2) {
      if (!Fill()) return std::nullopt;
    }
    if (buf_.compare(eol + 2 + size, 2, "\r\n") != 0) return std::nullopt;
    std::string data = buf_.substr(eol + 2, size);
    buf_.erase(0, eol + 2 + size + 2);
    return data;
  }

  // Everything until the server closes the connection (a body delimited by the close).
  std::string ReadToClose() {
    while (Fill()) {
    }
    std::string all = std::move(buf_);
    buf_.clear();
    return all;
  }

  // The status line and header fields of a response.
  std::optional<RawResponse> ReadHead() {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    RawResponse r;
    const std::string head_text = buf_.substr(0, end + 2);
    buf_.erase(0, end + 4);
    size_t line_end = head_text.find("\r\n");
    const std::string status_line = head_text.substr(0, line_end);
    if (status_line.rfind("HTTP/1.1 ", 0) != 0) return std::nullopt;
    r.status = std::stoi(status_line.substr(9, 3));
    size_t pos = line_end + 2;
    while (pos < head_text.size()) {
      line_end = head_text.find("\r\n", pos);
      const std::string line = head_text.substr(pos, line_end - pos);
      pos = line_end + 2;
      const size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = line.substr(colon + 2);
    }
    return r;
  }

  // True if the server closes the connection (EOF or reset) before the receive timeout;
  // bytes received meanwhile are discarded.
  bool WaitClosed() {
    char tmp[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  bool Fill() {
    char tmp[65536];
    const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

std::string Get(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra) + "\r\n";
}

class HttpServerTest : public ::testing::Test {
 protected:
  // Starts the server on an ephemeral port with two workers.
  void StartServer(HttpServerOptions options = {}) {
    options.port = 0;
    if (options.threads == 0) options.threads = 2;
    auto started = HttpServer::Start(options, &handler_);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    server_ = std::move(started).value();
    ASSERT_NE(server_->port(), 0);
  }
  std::string Url(std::string_view target) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(target);
  }
  uint16_t port() const { return server_->port(); }

  TestHandler handler_;  // declared first: outlives the server
  std::unique_ptr<HttpServer> server_;
};

// ---- Ordinary requests with curl ----

TEST_F(HttpServerTest, CurlGetsTheHandlersAnswer) {
  StartServer();
  CommandResult r = RunShell(Curl() + "-i " + Url("/hello?x=1"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(Contains(r.out, "HTTP/1.1 200 OK\r\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "Server: strix\r\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "Content-Type: text/plain\r\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "Content-Length: 6\r\n")) << r.out;
  EXPECT_TRUE(r.out.size() >= 6 && r.out.substr(r.out.size() - 6) == "hello\n") << r.out;
  EXPECT_EQ(handler_.calls(), 1);
  const api::HttpRequest last = handler_.last();
  EXPECT_EQ(last.target, "/hello?x=1");
  EXPECT_TRUE(Contains(last.header("user-agent"), "curl/")) << last.header("user-agent");
  EXPECT_FALSE(last.tls);
}

TEST_F(HttpServerTest, CurlReusesTheKeepAliveConnection) {
  StartServer();
  CommandResult r = RunShell(Curl() + "-o /dev/null -o /dev/null -w '%{num_connects}\\n' " +
                             Url("/hello") + " " + Url("/json?n=100"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "1\n0\n");
  EXPECT_EQ(handler_.calls(), 2);
  EXPECT_EQ(server_->stats().connections_accepted, 1u);
}

TEST_F(HttpServerTest, CurlGzipBodyReachesTheHandlerDecoded) {
  StartServer();
  TempDir dir;
  const std::string plain = Text(200000);
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), dir.Join("body"), plain).ok());
  ASSERT_EQ(RunShell("gzip -c " + dir.Join("body") + " > " + dir.Join("body.gz")).exit_code, 0);
  CommandResult r = RunShell(Curl() + "--data-binary @" + dir.Join("body.gz") +
                             " -H 'Content-Encoding: gzip' -H 'Content-Type: text/plain' -o " +
                             dir.Join("out") + " -w '%{http_code}' " + Url("/echo"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "200");
  auto echoed = ReadFileToString(Env::Default(), dir.Join("out"));
  ASSERT_TRUE(echoed.ok());
  EXPECT_EQ(*echoed, plain);
  EXPECT_EQ(handler_.last().header("content-encoding"), "");
}

TEST_F(HttpServerTest, CurlUnknownContentEncodingIs415WithoutTheHandler) {
  StartServer();
  CommandResult r = RunShell(
      Curl() + "--data-binary abc -H 'Content-Encoding: br' -w ' %{http_code}' " + Url("/echo"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(Contains(r.out, "\"errorType\":\"unsupported_media_type\"")) << r.out;
  EXPECT_TRUE(Contains(r.out, " 415")) << r.out;
  EXPECT_EQ(handler_.calls(), 0);
}

TEST_F(HttpServerTest, CurlGetsGzipResponsesOnlyWhenItAsks) {
  StartServer();
  TempDir dir;
  CommandResult gz = RunShell(Curl() + "--compressed -D " + dir.Join("h") + " -o " + dir.Join("b") +
                              " " + Url("/json?n=5000"));
  ASSERT_EQ(gz.exit_code, 0) << gz.out;
  auto headers = ReadFileToString(Env::Default(), dir.Join("h"));
  auto body = ReadFileToString(Env::Default(), dir.Join("b"));
  ASSERT_TRUE(headers.ok() && body.ok());
  EXPECT_TRUE(Contains(*headers, "Content-Encoding: gzip\r\n")) << *headers;
  EXPECT_TRUE(Contains(*headers, "Vary: Accept-Encoding\r\n")) << *headers;
  EXPECT_EQ(body->size(), 5000u);  // curl decoded it
  EXPECT_EQ(body->substr(0, 8), "[12345.5");

  CommandResult plain =
      RunShell(Curl() + "-D " + dir.Join("h2") + " -o /dev/null " + Url("/json?n=5000"));
  ASSERT_EQ(plain.exit_code, 0);
  auto headers2 = ReadFileToString(Env::Default(), dir.Join("h2"));
  ASSERT_TRUE(headers2.ok());
  EXPECT_FALSE(Contains(*headers2, "Content-Encoding")) << *headers2;
  EXPECT_TRUE(Contains(*headers2, "Content-Length: 5000\r\n")) << *headers2;
}

// ---- Expect: 100-continue ----

TEST_F(HttpServerTest, CurlExpectContinueGetsTheInterim100AtOnce) {
  StartServer();
  TempDir dir;
  // curl 7.88 sends Expect: 100-continue by itself for bodies of 1 MiB or more.
  const std::string plain = Text(3 << 20);
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), dir.Join("body"), plain).ok());
  // Without a 100, curl would wait --expect100-timeout (3 s) before sending the body.
  CommandResult r =
      RunShell(Curl() + "-v --expect100-timeout 3 --data-binary @" + dir.Join("body") + " -o " +
               dir.Join("out") + " -w 'time=%{time_total}\\n' " + Url("/echo") + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(Contains(r.out, "> Expect: 100-continue")) << r.out;
  EXPECT_TRUE(Contains(r.out, "< HTTP/1.1 100 Continue")) << r.out;
  const double seconds = std::stod(r.out.substr(r.out.rfind("time=") + 5));
  EXPECT_LT(seconds, 2.0);
  auto echoed = ReadFileToString(Env::Default(), dir.Join("out"));
  ASSERT_TRUE(echoed.ok());
  EXPECT_EQ(*echoed, plain);
}

TEST_F(HttpServerTest, CurlExpectWithTooLargeBodyGets413InsteadOf100) {
  HttpServerOptions o;
  o.max_body_bytes = 10000;
  StartServer(o);
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), dir.Join("body"), Text(2 << 20)).ok());
  CommandResult r =
      RunShell(Curl() + "-v --expect100-timeout 3 --data-binary @" + dir.Join("body") +
               " -w 'code=%{http_code} time=%{time_total}\\n' " + Url("/echo") + " 2>&1");
  EXPECT_TRUE(Contains(r.out, "> Expect: 100-continue")) << r.out;
  EXPECT_TRUE(Contains(r.out, "code=413")) << r.out;
  EXPECT_FALSE(Contains(r.out, "100 Continue\r")) << r.out;
  EXPECT_TRUE(Contains(r.out, "request body of 2097152 bytes exceeds the limit of 10000 bytes"))
      << r.out;
  const double seconds = std::stod(r.out.substr(r.out.rfind("time=") + 5));
  EXPECT_LT(seconds, 2.0);
  EXPECT_EQ(handler_.calls(), 0);
}

// ---- TLS ----

// A self-signed certificate for localhost and 127.0.0.1, made by the openssl tool.
void MakeCertificate(const TempDir& dir, std::string* cert, std::string* key) {
  *cert = dir.Join("cert.pem");
  *key = dir.Join("key.pem");
  CommandResult gen = RunShell(
      "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
      *key + " -out " + *cert + " 2>&1");
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
}

TEST_F(HttpServerTest, CurlOverTlsWithASelfSignedCertificate) {
  TempDir dir;
  std::string cert;
  std::string key;
  ASSERT_NO_FATAL_FAILURE(MakeCertificate(dir, &cert, &key));
  HttpServerOptions o;
  o.tls_cert_file = cert;
  o.tls_key_file = key;
  StartServer(o);
  const std::string p = std::to_string(port());
  const std::string base = "https://localhost:" + p;
  CommandResult r = RunShell(Curl() + "--cacert " + cert + " --resolve localhost:" + p +
                             ":127.0.0.1 -D - -o /dev/null -o /dev/null -w '%{num_connects}\\n' " +
                             base + "/hello " + base + "/echo");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // One connection for both (keep-alive over TLS too), and the handler saw TLS.
  EXPECT_TRUE(Contains(r.out, "\r\n\r\n1\nHTTP/1.1 200 OK\r\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "X-Tls: 1\r\n")) << r.out;
  EXPECT_TRUE(r.out.size() > 6 && r.out.substr(r.out.size() - 6) == "\r\n\r\n0\n")
      << ::testing::PrintToString(r.out.substr(r.out.size() - 12));
  EXPECT_EQ(handler_.calls(), 2);
  EXPECT_TRUE(handler_.last().tls);

  // Plain HTTP to the TLS listener gets nothing, and never reaches the handler.
  CommandResult plain = RunShell(Curl() + "http://127.0.0.1:" + p + "/hello 2>/dev/null");
  EXPECT_NE(plain.exit_code, 0);
  EXPECT_EQ(handler_.calls(), 2);
  EXPECT_TRUE(WaitFor([&] { return server_->stats().tls_handshake_failures >= 1; }));
}

TEST_F(HttpServerTest, TlsHandshakeAndSlowTlsRequestsAreBoundedByTheReadTimeout) {
  TempDir dir;
  HttpServerOptions o;
  ASSERT_NO_FATAL_FAILURE(MakeCertificate(dir, &o.tls_cert_file, &o.tls_key_file));
  o.read_timeout = 300ms;
  StartServer(o);
  // A TCP client that never starts the handshake is closed.
  const auto t0 = Clock::now();
  RawClient silent(port());
  EXPECT_TRUE(silent.WaitClosed());
  EXPECT_GE(MillisSince(t0), 250);
  EXPECT_LT(MillisSince(t0), 2000);
  // A TLS client that sends half a header gets its 408 over TLS.
  CommandResult r = RunShell(
      "(printf 'GET /hello HTTP/1.1\\r\\nHost: t\\r\\n'; sleep 1) | "
      "openssl s_client -quiet -connect 127.0.0.1:" +
      std::to_string(port()) + " 2>/dev/null");
  EXPECT_TRUE(Contains(r.out, "HTTP/1.1 408 Request Timeout\r\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "\"errorType\":\"timeout\"")) << r.out;
  EXPECT_TRUE(WaitFor([&] { return server_->stats().read_timeouts == 2; }));
  EXPECT_EQ(handler_.calls(), 0);
}

// ---- Rejections, with raw sockets ----

TEST_F(HttpServerTest, OversizedHeaderIs431AndClosed) {
  StartServer();
  RawClient c(port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send(Get("/hello", "X-Big: " + std::string(20000, 'a') + "\r\n")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_EQ(r->header("content-type"), "application/json");
  EXPECT_EQ(r->body,
            api::ErrorResponse(431, "request header exceeds the limit of 16384 bytes").body);
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_EQ(handler_.calls(), 0);
}

TEST_F(HttpServerTest, DeclaredBodyOverTheLimitIs413EvenWhileTheClientSendsIt) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  StartServer(o);
  RawClient c(port());
  // The client sends the whole body without waiting; the lingering close lets it read
  // the 413 instead of a reset.
  ASSERT_TRUE(c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 200000\r\n\r\n"));
  c.Send(std::string(200000, 'x'));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(Contains(r->body, "\"errorType\":\"too_large\"")) << r->body;
  EXPECT_TRUE(Contains(r->body, "request body of 200000 bytes exceeds the limit of 1000 bytes"));
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_EQ(handler_.calls(), 0);
}

TEST_F(HttpServerTest, ChunkedBodyOverTheLimitIs413) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  StartServer(o);
  RawClient c(port());
  std::string req = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 5; ++i) req += "190\r\n" + std::string(400, 'y') + "\r\n";
  ASSERT_TRUE(c.Send(req));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(handler_.calls(), 0);
}

TEST_F(HttpServerTest, GzipBombIs413) {
  HttpServerOptions o;
  o.max_body_bytes = 1 << 20;
  StartServer(o);
  const std::string bomb = Gzip(std::string(16 << 20, '\0'), 9);  // 16 MiB in ~16 KiB
  ASSERT_LT(bomb.size(), o.max_body_bytes);
  RawClient c(port());
  ASSERT_TRUE(
      c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Encoding: gzip\r\nContent-Length: " +
             std::to_string(bomb.size()) + "\r\n\r\n" + bomb));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(Contains(r->body, "decompressed request body exceeds the limit of 1048576 bytes"))
      << r->body;
  EXPECT_EQ(handler_.calls(), 0);
}

TEST_F(HttpServerTest, CorruptGzipBodyIs400NamingTheProblem) {
  StartServer();
  std::string packed = Gzip(Text(3000), 6);
  packed[packed.size() / 2] ^= 0x5a;
  RawClient c(port());
  ASSERT_TRUE(
      c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Encoding: gzip\r\nContent-Length: " +
             std::to_string(packed.size()) + "\r\n\r\n" + packed));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(Contains(r->body, "bad gzip request body")) << r->body;
  EXPECT_EQ(handler_.calls(), 0);
}

TEST_F(HttpServerTest, SlowClientGets408WithinTheReadTimeout) {
  HttpServerOptions o;
  o.read_timeout = 300ms;
  StartServer(o);
  const auto t0 = Clock::now();
  RawClient slow(port());
  RawClient silent(port());
  ASSERT_TRUE(slow.Send("GET /hello HTTP/1.1\r\nHost: t\r\n"));  // half a header, then nothing
  auto r = slow.Read();
  const int64_t ms = MillisSince(t0);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 408);
  EXPECT_TRUE(Contains(r->body, "\"errorType\":\"timeout\"")) << r->body;
  EXPECT_GE(ms, 250);
  EXPECT_LT(ms, 2000);
  EXPECT_TRUE(slow.WaitClosed());
  // A client that sends nothing at all is closed without an answer.
  EXPECT_FALSE(silent.Read().has_value());
  EXPECT_TRUE(WaitFor([&] { return server_->stats().read_timeouts == 2; }));
  EXPECT_EQ(handler_.calls(), 0);
}

TEST_F(HttpServerTest, MalformedRequestLineIs400AndClosed) {
  StartServer();
  RawClient c(port());
  ASSERT_TRUE(c.Send("THIS IS NOT HTTP\r\n\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(Contains(r->body, "malformed HTTP request: ")) << r->body;
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_EQ(handler_.calls(), 0);
}

// ---- Connections ----

TEST_F(HttpServerTest, PipelinedAndSequentialRequestsShareOneConnection) {
  StartServer();
  RawClient c(port());
  std::string three;
  for (std::string body : {"one", "two!", "three"}) {
    three += "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n\r\n" + body;
  }
  ASSERT_TRUE(c.Send(three));
  for (std::string body : {"one", "two!", "three"}) {
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, body);
    EXPECT_EQ(r->header("connection"), "");
  }
  ASSERT_TRUE(c.Send(Get("/hello")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "hello\n");
  EXPECT_EQ(server_->stats().connections_accepted, 1u);
  EXPECT_EQ(handler_.calls(), 4);
}

TEST_F(HttpServerTest, HandlerAnswersLaterFromAnotherThreadAndTheNextRequestWaits) {
  StartServer();
  RawClient c(port());
  const auto t0 = Clock::now();
  ASSERT_TRUE(c.Send(Get("/slow?ms=200") + Get("/hello")));  // pipelined
  auto first = c.Read();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->body, "slow\n");
  EXPECT_GE(MillisSince(t0), 190);
  auto second = c.Read();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->body, "hello\n");
  // The second request reached the handler only after the first was answered.
  auto responded = handler_.SlowRespondedAt();
  auto hello = handler_.CalledAt("/hello");
  ASSERT_TRUE(responded && hello);
  EXPECT_GE(*hello, *responded);
}

TEST_F(HttpServerTest, SecondRespondIsIgnored) {
  StartServer();
  RawClient c(port());
  ASSERT_TRUE(c.Send(Get("/twice")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "\"first\"");
  ASSERT_TRUE(c.Send(Get("/hello")));
  auto next = c.Read();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->body, "hello\n");
}

TEST_F(HttpServerTest, ConnectionCloseAndHttp10AreHonoured) {
  StartServer();
  {
    RawClient c(port());
    ASSERT_TRUE(c.Send(Get("/hello", "Connection: close\r\n")));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.WaitClosed());
  }
  {
    RawClient c(port());
    ASSERT_TRUE(c.Send("GET /hello HTTP/1.0\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.WaitClosed());
  }
  {
    RawClient c(port());
    ASSERT_TRUE(c.Send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->header("connection"), "keep-alive");
    ASSERT_TRUE(c.Send("GET /hello HTTP/1.0\r\n\r\n"));
    EXPECT_TRUE(c.Read().has_value());
    EXPECT_TRUE(c.WaitClosed());
  }
  EXPECT_EQ(handler_.calls(), 4);
}

TEST_F(HttpServerTest, HeadGetsHeadersOnly) {
  StartServer();
  RawClient c(port());
  ASSERT_TRUE(c.Send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto r = c.Read(/*head=*/true);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-length"), "6");
  ASSERT_TRUE(c.Send(Get("/hello")));  // the framing is intact: no body was sent
  auto next = c.Read();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->body, "hello\n");
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionsAreClosed) {
  HttpServerOptions o;
  o.idle_timeout = 200ms;
  StartServer(o);
  RawClient c(port());
  ASSERT_TRUE(c.Send(Get("/hello")));
  ASSERT_TRUE(c.Read().has_value());
  const auto t0 = Clock::now();
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_GE(MillisSince(t0), 150);
  EXPECT_TRUE(WaitFor([&] { return server_->stats().idle_timeouts == 1; }));
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitAreClosedAndCounted) {
  HttpServerOptions o;
  o.max_connections = 2;
  StartServer(o);
  RawClient a(port());
  RawClient b(port());
  ASSERT_TRUE(WaitFor([&] { return server_->stats().connections_open == 2; }));
  RawClient refused(port());
  EXPECT_TRUE(refused.WaitClosed());
  EXPECT_TRUE(WaitFor([&] { return server_->stats().connections_refused == 1; }));
  ASSERT_TRUE(a.Send(Get("/hello")));
  auto r = a.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, StatsCountRequestsResponsesAndBytes) {
  StartServer();
  RawClient c(port());
  ASSERT_TRUE(c.Send(Get("/hello") + Get("/hello") + Get("/nowhere")));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.Read().has_value());
  ASSERT_TRUE(WaitFor([&] { return server_->stats().ResponsesWith(404) == 1; }));
  const HttpServerStats s = server_->stats();
  EXPECT_EQ(s.requests, 3u);
  EXPECT_EQ(s.ResponsesWith(200), 2u);
  EXPECT_EQ(s.responses.size(), 2u);
  EXPECT_EQ(s.bytes_read, 3 * Get("/hello").size() + 2);  // "/nowhere" is 2 bytes longer
  EXPECT_GT(s.bytes_written, 0u);
  EXPECT_EQ(s.connections_open, 1u);
  bool found = false;
  for (const HttpServerStats::Metric& m : s.Metrics()) {
    if (m.name == "requests_total") found = m.value == 3 && !m.gauge;
    if (m.name == "connections_open") {
      EXPECT_TRUE(m.gauge);
    }
  }
  EXPECT_TRUE(found);
}

// ---- Stop ----

TEST_F(HttpServerTest, StopDrainsAnInFlightHandlerAndClosesIdleConnections) {
  StartServer();
  RawClient idle(port());
  ASSERT_TRUE(idle.Send(Get("/hello")));
  ASSERT_TRUE(idle.Read().has_value());
  RawClient busy(port());
  ASSERT_TRUE(busy.Send(Get("/slow?ms=400")));
  ASSERT_TRUE(WaitFor([&] { return handler_.calls() == 2; }));

  const auto t0 = Clock::now();
  server_->Stop(3000ms);
  const int64_t ms = MillisSince(t0);
  EXPECT_GE(ms, 300);
  EXPECT_LT(ms, 2500);
  auto r = busy.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slow\n");
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(busy.WaitClosed());
  EXPECT_TRUE(idle.WaitClosed());
  RawClient late(port());
  EXPECT_FALSE(late.connected());
  server_->Stop(0ms);  // idempotent
}

TEST_F(HttpServerTest, StopCutsAHandlerThatOutlivesTheDrain) {
  StartServer();
  RawClient busy(port());
  ASSERT_TRUE(busy.Send(Get("/slow?ms=1000")));
  ASSERT_TRUE(WaitFor([&] { return handler_.calls() == 1; }));
  const auto t0 = Clock::now();
  server_->Stop(100ms);
  EXPECT_LT(MillisSince(t0), 900);
  EXPECT_FALSE(handler_.SlowRespondedAt().has_value());  // Stop did not wait for it
  EXPECT_FALSE(busy.Read().has_value());                 // closed without an answer
  // The late respond() lands after the server is gone; it must be ignored safely (the
  // connection it holds keeps what it needs alive).
  server_.reset();
  ASSERT_TRUE(WaitFor([&] { return handler_.SlowRespondedAt().has_value(); }));
}

// ---- Streamed responses ----

// Waits until the handler has opened `n` streams and returns the last writer.
std::shared_ptr<api::StreamWriter> AwaitWriter(TestHandler& handler, size_t n = 1,
                                               std::chrono::milliseconds timeout = 3000ms) {
  if (!WaitFor([&] { return handler.streams() >= n; }, timeout)) return nullptr;
  return handler.writer(n - 1);
}

TEST_F(HttpServerTest, StreamChunksFromAnotherThreadArriveInOrderThenKeepAliveGoesOn) {
  StartServer();
  RawClient c(port());
  // Accepting gzip changes nothing: a stream is never compressed.
  ASSERT_TRUE(c.Send(Get("/stream?n=1000", "Accept-Encoding: gzip\r\n")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("transfer-encoding"), "chunked");
  EXPECT_EQ(r->header("content-type"), "text/event-stream");
  EXPECT_EQ(r->header("cache-control"), "no-cache");
  EXPECT_EQ(r->header("content-length"), "");
  EXPECT_EQ(r->header("content-encoding"), "");
  EXPECT_EQ(r->header("connection"), "");
  ASSERT_EQ(r->chunks.size(), 1000u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(r->chunks[static_cast<size_t>(i)], Event(i)) << i;
  EXPECT_TRUE(WaitFor([&] { return handler_.producer_writes_ok() == 1000; }));

  // Close() ended the body; the same connection serves the next request.
  ASSERT_TRUE(c.Send(Get("/hello")));
  auto next = c.Read();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->body, "hello\n");
  ASSERT_TRUE(WaitFor([&] { return server_->stats().ResponsesWith(200) == 2; }));
  const HttpServerStats s = server_->stats();
  EXPECT_EQ(s.connections_accepted, 1u);
  EXPECT_EQ(s.streams_opened, 1u);
  EXPECT_EQ(s.streams_open, 0u);
  bool opened = false;
  bool open_gauge = false;
  for (const HttpServerStats::Metric& m : s.Metrics()) {
    if (m.name == "streams_opened_total") opened = m.value == 1 && !m.gauge;
    if (m.name == "streams_open") open_gauge = m.value == 0 && m.gauge;
  }
  EXPECT_TRUE(opened);
  EXPECT_TRUE(open_gauge);
}

TEST_F(HttpServerTest, CurlDecodesTheStreamAndSeesEachChunkOnTheWire) {
  StartServer();
  std::string want;
  for (int i = 0; i < 50; ++i) want += Event(i);
  CommandResult r = RunShell(Curl() + "-N --compressed " + Url("/stream?n=50"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, want);
  // --raw: the chunk framing as sent, one chunk per Write().
  CommandResult raw = RunShell(Curl() + "-N --raw " + Url("/stream?n=2"));
  ASSERT_EQ(raw.exit_code, 0) << raw.out;
  EXPECT_EQ(raw.out, "f\r\n" + Event(0) + "\r\nf\r\n" + Event(1) + "\r\n0\r\n\r\n");
}

TEST_F(HttpServerTest, ChunksWrittenAtAnyTimeAreSentAtOnce) {
  StartServer();
  RawClient c(port());
  ASSERT_TRUE(c.Send(Get("/stream")));
  auto head = c.ReadHead();
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  auto w = AwaitWriter(handler_);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(server_->stats().streams_open, 1u);
  EXPECT_TRUE(w->Write("one"));
  EXPECT_EQ(c.ReadChunk(), "one");
  EXPECT_TRUE(w->Write(""));  // ignored: it would end the body
  EXPECT_TRUE(w->Write("two"));
  EXPECT_EQ(c.ReadChunk(), "two");
  w->Close();
  w->Close();  // idempotent
  EXPECT_TRUE(w->closed());
  EXPECT_FALSE(w->Write("late"));
  EXPECT_EQ(c.ReadChunk(), "");
  EXPECT_TRUE(WaitFor([&] { return server_->stats().streams_open == 0; }));
}

TEST_F(HttpServerTest, ClientGoingAwayClosesTheWriterWithoutAWrite) {
  StartServer();
  RawClient c(port());
  ASSERT_TRUE(c.Send(Get("/stream")));
  ASSERT_TRUE(c.ReadHead().has_value());
  auto w = AwaitWriter(handler_);
  ASSERT_NE(w, nullptr);
  EXPECT_FALSE(w->closed());
  const auto t0 = Clock::now();
  c.Close();
  EXPECT_TRUE(WaitFor([&] { return w->closed(); }, 2000ms));
  EXPECT_LT(MillisSince(t0), 1000);
  EXPECT_FALSE(w->Write("nobody listens"));
  EXPECT_TRUE(WaitFor([&] { return server_->stats().connections_open == 0; }));
  EXPECT_EQ(server_->stats().streams_open, 0u);
}

TEST_F(HttpServerTest, ClientThatNeverReadsIsCutAtTheStreamBufferLimit) {
  HttpServerOptions o;
  o.max_stream_buffer_bytes = 64 << 10;
  StartServer(o);
  RawClient c(port(), 5000ms, /*rcvbuf=*/4096);
  ASSERT_TRUE(c.Send(Get("/stream")));
  auto w = AwaitWriter(handler_);
  ASSERT_NE(w, nullptr);
  // The socket buffers take a few MiB at most; then the queue fills to the limit.
  const std::string chunk(4096, 'x');
  size_t accepted = 0;
  while (accepted < 4096 && w->Write(chunk)) ++accepted;
  EXPECT_LT(accepted, 4096u) << "Write() never failed";
  EXPECT_TRUE(w->closed());
  EXPECT_TRUE(WaitFor([&] { return server_->stats().connections_open == 0; }));
  const HttpServerStats s = server_->stats();
  EXPECT_EQ(s.stream_overflows, 1u);
  EXPECT_EQ(s.streams_open, 0u);
  EXPECT_EQ(s.write_timeouts, 0u);
}

TEST_F(HttpServerTest, ClientThatNeverReadsIsCutAfterTheWriteTimeout) {
  HttpServerOptions o;
  o.write_timeout = 300ms;
  o.max_stream_buffer_bytes = 64 << 20;  // not the limit that acts here
  StartServer(o);
  RawClient c(port(), 5000ms, /*rcvbuf=*/4096);
  ASSERT_TRUE(c.Send(Get("/stream")));
  auto w = AwaitWriter(handler_);
  ASSERT_NE(w, nullptr);
  // More than the socket buffers hold, less than the stream buffer limit.
  const std::string chunk(16 << 10, 'y');
  for (int i = 0; i < 1024 && w->Write(chunk); ++i) {
  }
  const auto t0 = Clock::now();
  EXPECT_TRUE(WaitFor([&] { return w->closed(); }, 3000ms));
  EXPECT_LT(MillisSince(t0), 2000);
  EXPECT_TRUE(WaitFor([&] { return server_->stats().write_timeouts == 1; }));
  EXPECT_EQ(server_->stats().stream_overflows, 0u);
  EXPECT_EQ(server_->stats().streams_open, 0u);
}

TEST_F(HttpServerTest, IdleStreamOutlivesTheIdleAndReadTimeouts) {
  HttpServerOptions o;
  o.idle_timeout = 100ms;
  o.read_timeout = 100ms;
  StartServer(o);
  RawClient c(port());
  ASSERT_TRUE(c.Send(Get("/stream")));
  ASSERT_TRUE(c.ReadHead().has_value());
  auto w = AwaitWriter(handler_);
  ASSERT_NE(w, nullptr);
  // Nothing to wait for but time itself: four idle timeouts pass with the stream silent.
  std::this_thread::sleep_for(400ms);
  EXPECT_FALSE(w->closed());
  EXPECT_TRUE(w->Write("still here"));
  EXPECT_EQ(c.ReadChunk(), "still here");
  const HttpServerStats s = server_->stats();
  EXPECT_EQ(s.idle_timeouts, 0u);
  EXPECT_EQ(s.read_timeouts, 0u);
  // After the stream the idle timeout applies again.
  w->Close();
  EXPECT_EQ(c.ReadChunk(), "");
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_TRUE(WaitFor([&] { return server_->stats().idle_timeouts == 1; }));
}

TEST_F(HttpServerTest, StopClosesOpenStreamsAndReturnsPromptly) {
  StartServer();
  RawClient c(port());
  ASSERT_TRUE(c.Send(Get("/stream")));
  ASSERT_TRUE(c.ReadHead().has_value());
  auto w = AwaitWriter(handler_);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->Write("before stop"));
  EXPECT_EQ(c.ReadChunk(), "before stop");
  const auto t0 = Clock::now();
  server_->Stop(5000ms);
  EXPECT_LT(MillisSince(t0), 1000);
  EXPECT_TRUE(w->closed());
  EXPECT_FALSE(w->Write("after stop"));
  // The body was ended properly, then the connection closed.
  EXPECT_EQ(c.ReadChunk(), "");
  EXPECT_TRUE(c.WaitClosed());
  EXPECT_EQ(server_->stats().streams_open, 0u);
}

TEST_F(HttpServerTest, WritersOutliveTheServerSafely) {
  StartServer();
  RawClient idle(port());
  ASSERT_TRUE(idle.Send(Get("/stream")));
  auto w = AwaitWriter(handler_);
  ASSERT_NE(w, nullptr);
  // A producer writing flat out while the server is cut down and destroyed.
  std::atomic<bool> stopped{false};
  std::thread producer([&] {
    while (w->Write("tick")) {
    }
    stopped.store(true);
  });
  RawClient busy(port());
  ASSERT_TRUE(busy.Send(Get("/stream")));
  auto w2 = AwaitWriter(handler_, 2);
  ASSERT_NE(w2, nullptr);
  server_->Stop(0ms);
  server_.reset();
  producer.join();
  EXPECT_TRUE(stopped.load());
  EXPECT_TRUE(w->closed());
  EXPECT_TRUE(w2->closed());
  EXPECT_FALSE(w2->Write("server gone"));
  w2->Close();
}

TEST_F(HttpServerTest, HeadOfAStreamIsHeadersOnlyWithAClosedWriter) {
  StartServer();
  RawClient c(port());
  ASSERT_TRUE(c.Send("HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto r = c.Read(/*head=*/true);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("transfer-encoding"), "chunked");
  auto w = AwaitWriter(handler_);
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(w->closed());
  EXPECT_FALSE(w->Write("x"));
  ASSERT_TRUE(c.Send(Get("/hello")));  // no body was sent: the framing is intact
  auto next = c.Read();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->body, "hello\n");
  EXPECT_EQ(server_->stats().streams_opened, 0u);
}

TEST_F(HttpServerTest, Http10StreamIsRawAndEndsWithTheConnection) {
  StartServer();
  RawClient c(port());
  ASSERT_TRUE(c.Send("GET /stream?n=3 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto r = c.ReadHead();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->header("transfer-encoding"), "");
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_EQ(c.ReadToClose(), Event(0) + Event(1) + Event(2));
}

TEST_F(HttpServerTest, PipelinedRequestWaitsForTheStreamToEnd) {
  StartServer();
  RawClient c(port());
  ASSERT_TRUE(c.Send(Get("/stream") + Get("/hello")));
  ASSERT_TRUE(c.ReadHead().has_value());
  auto w = AwaitWriter(handler_);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->Write("first"));
  EXPECT_EQ(c.ReadChunk(), "first");
  EXPECT_EQ(handler_.calls(), 1);  // /hello is held back while the stream is open
  w->Close();
  EXPECT_EQ(c.ReadChunk(), "");
  auto next = c.Read();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->body, "hello\n");
}

TEST_F(HttpServerTest, CurlStreamOverTls) {
  TempDir dir;
  HttpServerOptions o;
  ASSERT_NO_FATAL_FAILURE(MakeCertificate(dir, &o.tls_cert_file, &o.tls_key_file));
  StartServer(o);
  const std::string p = std::to_string(port());
  std::string want;
  for (int i = 0; i < 200; ++i) want += Event(i);
  // Two streams on one connection: the TLS session goes on after the first.
  CommandResult r = RunShell(Curl() + "-N --cacert " + o.tls_cert_file +
                             " --resolve localhost:" + p + ":127.0.0.1 https://localhost:" + p +
                             "/stream?n=200 https://localhost:" + p + "/stream?n=200");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, want + want);
  EXPECT_EQ(server_->stats().connections_accepted, 1u);
  EXPECT_EQ(server_->stats().streams_opened, 2u);
}

TEST_F(HttpServerTest, TlsClientGoingAwayClosesTheWriter) {
  TempDir dir;
  HttpServerOptions o;
  ASSERT_NO_FATAL_FAILURE(MakeCertificate(dir, &o.tls_cert_file, &o.tls_key_file));
  StartServer(o);
  // openssl s_client sends the request from its stdin, and ends (closing the connection)
  // when the test closes that stdin.
  FILE* client = ::popen(("timeout 20 openssl s_client -quiet -no_ign_eof -connect 127.0.0.1:" +
                          std::to_string(port()) + " >/dev/null 2>&1")
                             .c_str(),
                         "w");
  ASSERT_NE(client, nullptr);
  const std::string req = Get("/stream");
  ASSERT_EQ(std::fwrite(req.data(), 1, req.size(), client), req.size());
  std::fflush(client);
  auto w = AwaitWriter(handler_, 1, 10000ms);  // the handshake comes first
  const bool wrote = w != nullptr && w->Write("hello over tls");
  ::pclose(client);  // s_client exits
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(wrote);
  EXPECT_TRUE(WaitFor([&] { return w->closed(); }, 2000ms));
  EXPECT_EQ(server_->stats().streams_open, 0u);
}

// ---- Start errors ----

TEST_F(HttpServerTest, StartReportsAnAddressInUse) {
  StartServer();
  HttpServerOptions o;
  o.port = port();
  auto second = HttpServer::Start(o, &handler_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  const std::string text = second.status().ToString();
  EXPECT_TRUE(Contains(text, "cannot bind the api listener on 127.0.0.1:" + std::to_string(port())))
      << text;
  EXPECT_TRUE(Contains(text, "in use")) << text;
}

TEST(HttpServerStart, RejectsBadTlsAndAddressOptions) {
  TestHandler handler;
  HttpServerOptions o;
  o.port = 0;
  o.tls_cert_file = "/nonexistent/cert.pem";
  auto one = HttpServer::Start(o, &handler);
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(one.status().ToString(), "tls_cert_file set alone"));

  o.tls_key_file = "/nonexistent/key.pem";
  auto missing = HttpServer::Start(o, &handler);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(missing.status().ToString(), "/nonexistent/cert.pem"))
      << missing.status().ToString();

  TempDir dir;
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), dir.Join("junk.pem"), "not a certificate").ok());
  o.tls_cert_file = dir.Join("junk.pem");
  o.tls_key_file = dir.Join("junk.pem");
  auto junk = HttpServer::Start(o, &handler);
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(junk.status().ToString(), dir.Join("junk.pem"))) << junk.status().ToString();

  HttpServerOptions bad_address;
  bad_address.address = "not-an-ip";
  auto bad = HttpServer::Start(bad_address, &handler);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status().ToString(), "not-an-ip"));
}

}  // namespace
}  // namespace strix::server::http
