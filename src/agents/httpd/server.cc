// Server (server.h): a poll() loop over non-blocking sockets on one std::jthread.
//
// A connection goes through three states:
//   kReading   collecting the request head (deadline: accept + read_timeout_ms)
//   kWriting   sending head + body with sendmsg (deadline: answer + write_timeout_ms)
//   kDraining  our side shut down; reading and discarding until EOF (deadline: linger_ms)
// then it is closed. Deadlines are absolute (monotonic); poll() sleeps until the nearest
// one, so a silent client costs nothing but its slot until then.
#include "agents/httpd/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <stop_token>
#include <vector>

#include "core/check.h"
#include "core/clock.h"
#include "core/log.h"

namespace strix::agents::httpd {
namespace {

constexpr size_t kDrainLimitBytes = 64 * 1024;  // discarded after the answer, at most
constexpr int64_t kAcceptPauseMs = 100;         // after EMFILE and the like

int64_t NowNs() { return Clock::Real().MonotonicNanos(); }

void CloseFd(int* fd) {
  if (*fd >= 0) {
    ::close(*fd);
    *fd = -1;
  }
}

}  // namespace

Status ServerOptions::Validate() const {
  if (port < 0 || port > 65535) return Status::InvalidArgument("httpd: port must be 0 to 65535");
  if (max_connections < 1) return Status::InvalidArgument("httpd: max_connections must be >= 1");
  if (read_timeout_ms < 1 || write_timeout_ms < 1 || linger_ms < 0) {
    return Status::InvalidArgument("httpd: timeouts must be positive");
  }
  if (max_head_bytes < 64 || max_head_bytes > (1u << 20)) {
    return Status::InvalidArgument("httpd: max_head_bytes must be 64 bytes to 1 MiB");
  }
  if (backlog < 1) return Status::InvalidArgument("httpd: backlog must be >= 1");
  return Status::Ok();
}

struct Server::Loop {
  enum class State { kReading, kWriting, kDraining };
  struct Conn {
    int fd = -1;
    State state = State::kReading;
    int64_t deadline_ns = 0;
    std::string in;             // the request head so far (at most max_head_bytes + 1)
    size_t checked = 0;         // bytes of the request line already checked for junk
    size_t line_start = 0;      // where the line being checked starts
    bool line_checked = false;  // the whole request line was checked
    std::string out_head;       // status line and header fields
    std::string out_body;       // empty for HEAD
    size_t sent = 0;            // bytes of out_head + out_body sent
    size_t drained = 0;         // bytes discarded while draining
  };

  Server* server;
  const ServerOptions& opt;
  std::vector<std::unique_ptr<Conn>> conns;
  std::vector<pollfd> fds;
  int64_t accept_paused_until_ns = 0;
  bool logged_accept_error = false;

  Loop(Server* s) : server(s), opt(s->options_) {}

  ~Loop() {
    for (auto& c : conns) CloseFd(&c->fd);
  }

  void Run(std::stop_token stop) {
    char drain[64];
    while (!stop.stop_requested()) {
      int64_t now = NowNs();
      ExpireDeadlines(now);
      // Poll set: wake pipe, listener (unless paused), then every connection.
      fds.clear();
      fds.push_back({server->wake_fds_[0], POLLIN, 0});
      bool accepting = now >= accept_paused_until_ns;
      fds.push_back({accepting ? server->listen_fd_ : -1, POLLIN, 0});
      int64_t next = accepting ? INT64_MAX : accept_paused_until_ns;
      for (auto& c : conns) {
        short events = c->state == State::kWriting ? POLLOUT : POLLIN;
        fds.push_back({c->fd, events, 0});
        next = std::min(next, c->deadline_ns);
      }
      int timeout_ms = -1;
      if (next != INT64_MAX) {
        int64_t wait = (next - now + 999'999) / 1'000'000;
        timeout_ms = static_cast<int>(std::clamp<int64_t>(wait, 0, 60'000));
      }
      int n = ::poll(fds.data(), fds.size(), timeout_ms);
      if (n < 0) {
        if (errno == EINTR) continue;
        STRIX_LOG(kError, "httpd: poll failed", "errno", std::strerror(errno));
        return;
      }
      if (fds[0].revents != 0) {
        while (::read(server->wake_fds_[0], drain, sizeof drain) > 0) {
        }
      }
      // Connections first (their indices in fds are stable until Accept adds more).
      size_t count = conns.size();
      for (size_t i = 0; i < count; ++i) {
        if (fds[i + 2].revents != 0) Service(conns[i].get());
      }
      if (accepting && fds[1].revents != 0) Accept();
      conns.erase(std::remove_if(conns.begin(), conns.end(),
                                 [](const std::unique_ptr<Conn>& c) { return c->fd < 0; }),
                  conns.end());
    }
  }

  void ExpireDeadlines(int64_t now) {
    for (auto& c : conns) {
      if (c->fd < 0 || now < c->deadline_ns) continue;
      if (c->state == State::kReading) {
        server->stats_.timeouts.fetch_add(1, std::memory_order_relaxed);
        if (!c->in.empty()) {
          // Best effort: tell a client that sent something why it is closed.
          std::string msg = FormatResponseHead(TextResponse(408), 0, {}, {});
          (void)::send(c->fd, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        }
      } else if (c->state == State::kWriting) {
        server->stats_.timeouts.fetch_add(1, std::memory_order_relaxed);
      }
      CloseFd(&c->fd);
    }
    conns.erase(std::remove_if(conns.begin(), conns.end(),
                               [](const std::unique_ptr<Conn>& c) { return c->fd < 0; }),
                conns.end());
  }

  void Accept() {
    while (true) {
      int fd = ::accept4(server->listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
        // EMFILE, ENFILE, ENOBUFS, ENOMEM: stop accepting for a moment, or poll() spins.
        if (!logged_accept_error) {
          STRIX_LOG(kWarn, "httpd: accept failed, pausing", "errno", std::strerror(errno));
          logged_accept_error = true;
        }
        accept_paused_until_ns = NowNs() + kAcceptPauseMs * 1'000'000;
        return;
      }
      if (conns.size() >= opt.max_connections) {
        server->stats_.rejected.fetch_add(1, std::memory_order_relaxed);
        Response r = TextResponse(503);
        r.headers.emplace_back("Retry-After", "1");
        std::string msg = FormatResponseHead(r, r.body.size(), {}, opt.server_name) + r.body;
        (void)::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        ::close(fd);
        continue;
      }
      int one = 1;
      (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      server->stats_.connections.fetch_add(1, std::memory_order_relaxed);
      auto c = std::make_unique<Conn>();
      c->fd = fd;
      c->deadline_ns = NowNs() + opt.read_timeout_ms * 1'000'000;
      conns.push_back(std::move(c));
    }
  }

  void Service(Conn* c) {
    switch (c->state) {
      case State::kReading:
        return Read(c);
      case State::kWriting:
        return Write(c);
      case State::kDraining:
        return Drain(c);
    }
  }

  void Read(Conn* c) {
    char buf[4096];
    while (c->fd >= 0 && c->state == State::kReading) {
      size_t room = opt.max_head_bytes + 1 - c->in.size();
      ssize_t n = ::recv(c->fd, buf, std::min(room, sizeof buf), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) CloseFd(&c->fd);
        return;
      }
      if (n == 0) {  // the client left before finishing its request
        CloseFd(&c->fd);
        return;
      }
      c->in.append(buf, static_cast<size_t>(n));
      // Junk in the request line (binary, TLS) is answered at once, not at the timeout.
      while (!c->line_checked) {
        size_t line_end = c->in.find('\n', c->checked);
        size_t stop = line_end == std::string::npos ? c->in.size() : line_end;
        for (size_t i = c->checked; i < stop; ++i) {
          unsigned char u = static_cast<unsigned char>(c->in[i]);
          if ((u < 0x20 && u != '\r') || u >= 0x7f) {
            return ServerAnswer(c, 400, "http: invalid byte in the request line");
          }
        }
        c->checked = stop;
        if (line_end == std::string::npos) break;
        // Empty lines before the request line are allowed: check the next line too.
        bool blank = c->in.find_first_not_of('\r', c->line_start) >= line_end;
        c->line_checked = !blank;
        c->checked = c->line_start = line_end + 1;
      }
      size_t end = FindHeadEnd(c->in);
      if (end != std::string::npos && end <= opt.max_head_bytes) {
        return Answer(c, std::string_view(c->in).substr(0, end));
      }
      if (c->in.size() > opt.max_head_bytes) {
        if (c->in.find('\n') == std::string::npos) {
          return ServerAnswer(c, 414, "the request line is too long");
        }
        return ServerAnswer(c, 431, "the request head is too large");
      }
    }
  }

  void Answer(Conn* c, std::string_view head) {
    Result<Request> req = ParseRequestHead(head);
    if (!req.ok()) {
      return ServerAnswer(c, StatusForParseError(req.status()), req.status().ToString());
    }
    if (req->method != "GET" && req->method != "HEAD") {
      Response r = TextResponse(405);
      r.headers.emplace_back("Allow", "GET, HEAD");
      server->stats_.bad_requests.fetch_add(1, std::memory_order_relaxed);
      return Send(c, std::move(r), false);
    }
    if (req->content_length > 0 || req->transfer_encoding) {
      return ServerAnswer(c, 400, "a request body is not expected");
    }
    server->stats_.requests.fetch_add(1, std::memory_order_relaxed);
    Response r = server->handler_(*req);
    Send(c, std::move(r), req->method == "HEAD");
  }

  void ServerAnswer(Conn* c, int status, std::string_view detail) {
    server->stats_.bad_requests.fetch_add(1, std::memory_order_relaxed);
    Send(c, TextResponse(status, detail), false);
  }

  void Send(Conn* c, Response r, bool head_only) {
    c->out_head =
        FormatResponseHead(r, r.body.size(), HttpDate(std::time(nullptr)), opt.server_name);
    if (!head_only) c->out_body = std::move(r.body);
    c->in.clear();
    c->in.shrink_to_fit();
    c->state = State::kWriting;
    c->deadline_ns = NowNs() + opt.write_timeout_ms * 1'000'000;
    Write(c);
  }

  void Write(Conn* c) {
    while (true) {
      size_t total = c->out_head.size() + c->out_body.size();
      if (c->sent == total) break;
      iovec iov[2];
      int cnt = 0;
      if (c->sent < c->out_head.size()) {
        iov[cnt++] = {c->out_head.data() + c->sent, c->out_head.size() - c->sent};
        if (!c->out_body.empty()) iov[cnt++] = {c->out_body.data(), c->out_body.size()};
      } else {
        size_t off = c->sent - c->out_head.size();
        iov[cnt++] = {c->out_body.data() + off, c->out_body.size() - off};
      }
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = static_cast<size_t>(cnt);
      ssize_t n = ::sendmsg(c->fd, &msg, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // poll for POLLOUT
        CloseFd(&c->fd);
        return;
      }
      c->sent += static_cast<size_t>(n);
    }
    // All sent: shut our side, then read until the client closes (bounded).
    std::string().swap(c->out_head);
    std::string().swap(c->out_body);
    ::shutdown(c->fd, SHUT_WR);
    c->state = State::kDraining;
    c->deadline_ns = NowNs() + opt.linger_ms * 1'000'000;
    Drain(c);
  }

  void Drain(Conn* c) {
    char buf[4096];
    while (true) {
      ssize_t n = ::recv(c->fd, buf, sizeof buf, 0);
      if (n > 0) {
        c->drained += static_cast<size_t>(n);
        if (c->drained > kDrainLimitBytes) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      break;  // EOF or an error
    }
    CloseFd(&c->fd);
  }
};

Server::Server(ServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {
  STRIX_CHECK_MSG(handler_ != nullptr, "httpd: a Server needs a handler");
}

Server::~Server() { Stop(); }

Status Server::Start() {
  if (thread_.joinable()) return Status::FailedPrecondition("httpd: server already started");
  STRIX_RETURN_IF_ERROR(options_.Validate());
  std::string addr = options_.address;
  if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']') {
    addr = addr.substr(1, addr.size() - 2);
  }
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (::inet_pton(AF_INET, addr.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(options_.port));
    len = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, addr.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(options_.port));
    len = sizeof(sockaddr_in6);
  } else {
    return Status::InvalidArgument("httpd: bind address is not an IPv4 or IPv6 literal",
                                   options_.address);
  }
  std::string where = options_.address + ":" + std::to_string(options_.port);
  int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno(errno, "socket", where);
  int one = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    int err = errno;
    ::close(fd);
    return Status::FromErrno(err, "bind", where);
  }
  if (::listen(fd, options_.backlog) != 0) {
    int err = errno;
    ::close(fd);
    return Status::FromErrno(err, "listen", where);
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen) != 0) {
    int err = errno;
    ::close(fd);
    return Status::FromErrno(err, "getsockname", where);
  }
  int port = bound.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port)
                                        : ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  if (::pipe2(wake_fds_, O_NONBLOCK | O_CLOEXEC) != 0) {
    int err = errno;
    ::close(fd);
    return Status::FromErrno(err, "pipe2", where);
  }
  listen_fd_ = fd;
  port_.store(port, std::memory_order_release);
  thread_ = std::jthread([this](std::stop_token stop) {
    // Stop() requests the stop; this callback wakes poll() through the pipe.
    std::stop_callback wake(stop, [this] { (void)!::write(wake_fds_[1], "x", 1); });
    Loop loop(this);
    loop.Run(stop);
  });
  STRIX_LOG(kInfo, "httpd: listening", "address", options_.address, "port", port);
  return Status::Ok();
}

void Server::Stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  CloseFd(&listen_fd_);
  CloseFd(&wake_fds_[0]);
  CloseFd(&wake_fds_[1]);
}

ServerStats Server::stats() const {
  ServerStats s;
  s.connections = stats_.connections.load(std::memory_order_relaxed);
  s.requests = stats_.requests.load(std::memory_order_relaxed);
  s.bad_requests = stats_.bad_requests.load(std::memory_order_relaxed);
  s.timeouts = stats_.timeouts.load(std::memory_order_relaxed);
  s.rejected = stats_.rejected.load(std::memory_order_relaxed);
  return s;
}

}  // namespace strix::agents::httpd
