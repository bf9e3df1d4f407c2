// TestHttpServer: a tiny HTTP/1.1 server on 127.0.0.1 (a free port) for the load
// generator's tests. It reads requests framed by Content-Length, records them, and writes
// back whatever raw answer the test's handler returns, so a test can produce 204s, 503s,
// chunked bodies, Connection: close, or a malformed answer. One thread per connection.
// Test-only: never linked into the tool.
//
// Thread-safety: the accessors may be called from any thread while the server runs.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/check.h"
#include "core/mutex.h"

namespace strix::bench::testing {

struct TestRequest {
  std::string method, target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  int connection = 0;  // 0-based index of the connection it came on
};

struct TestAnswer {
  std::string raw;           // bytes written back verbatim
  bool close_after = false;  // close the connection after writing
};

// Called for each request with its 0-based index among all requests.
using TestHandler = std::function<TestAnswer(const TestRequest&, uint64_t index)>;

inline TestAnswer NoContent() { return {"HTTP/1.1 204 No Content\r\n\r\n", false}; }

class TestHttpServer {
 public:
  explicit TestHttpServer(TestHandler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    STRIX_CHECK(listen_fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    STRIX_CHECK(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    STRIX_CHECK(::listen(listen_fd_, 64) == 0);
    socklen_t len = sizeof a;
    STRIX_CHECK(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~TestHttpServer() { Stop(); }
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  // Stops accepting, closes every connection and joins the threads.
  void Stop() {
    if (stopped_.exchange(true)) return;
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    ::close(listen_fd_);
    std::vector<std::thread> threads;
    std::vector<int> fds;
    {
      MutexLock l(&mu_);
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
      threads.swap(threads_);
      fds.swap(open_fds_);
    }
    for (std::thread& t : threads) t.join();
    for (int fd : fds) ::close(fd);
  }

  uint16_t port() const { return port_; }
  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::vector<TestRequest> Requests() const {
    MutexLock l(&mu_);
    return requests_;
  }
  int connections() const {
    MutexLock l(&mu_);
    return connections_;
  }

 private:
  void AcceptLoop() {
    for (;;) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;  // shut down
      MutexLock l(&mu_);
      const int id = connections_++;
      open_fds_.push_back(fd);
      threads_.emplace_back([this, fd, id] { Serve(fd, id); });
    }
  }

  void Serve(int fd, int id) {
    std::string buf;
    char chunk[65536];
    for (;;) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return;  // the descriptor is closed by Stop()
        buf.append(chunk, static_cast<size_t>(n));
      }
      TestRequest req;
      req.connection = id;
      const std::string head = buf.substr(0, end);
      buf.erase(0, end + 4);
      size_t eol = head.find("\r\n");
      const std::string line = head.substr(0, eol);
      const size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
      req.method = line.substr(0, sp1);
      req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      while (eol != std::string::npos) {
        const size_t start = eol + 2;
        eol = head.find("\r\n", start);
        std::string h = head.substr(start, eol == std::string::npos ? eol : eol - start);
        const size_t colon = h.find(':');
        if (colon == std::string::npos) continue;
        std::string name = h.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        req.headers[name] = h.substr(h.find_first_not_of(' ', colon + 1));
      }
      const auto cl = req.headers.find("content-length");
      const size_t length = cl == req.headers.end() ? 0 : std::stoul(cl->second);
      while (buf.size() < length) {
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return;
        buf.append(chunk, static_cast<size_t>(n));
      }
      req.body = buf.substr(0, length);
      buf.erase(0, length);
      uint64_t index;
      {
        MutexLock l(&mu_);
        index = requests_.size();
        requests_.push_back(req);
      }
      const TestAnswer a = handler_(req, index);
      size_t off = 0;
      while (off < a.raw.size()) {
        const ssize_t n = ::send(fd, a.raw.data() + off, a.raw.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return;
        off += static_cast<size_t>(n);
      }
      if (a.close_after) {
        ::shutdown(fd, SHUT_RDWR);
        return;
      }
    }
  }

  TestHandler handler_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
  std::thread acceptor_;
  mutable Mutex mu_;
  std::vector<TestRequest> requests_ STRIX_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ STRIX_GUARDED_BY(mu_);
  std::vector<int> open_fds_ STRIX_GUARDED_BY(mu_);
  int connections_ STRIX_GUARDED_BY(mu_) = 0;
};

}  // namespace strix::bench::testing
