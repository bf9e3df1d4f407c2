// HttpConnection on a non-blocking socket: every wait is a poll(2) bounded by the round
// trip's deadline. The read buffer holds bytes received but not yet consumed, so headers,
// chunk lines and bodies can straddle recv() boundaries.
#include "bench/loadgen/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace strix::bench {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kReadChunk = 64 * 1024;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Waits for `events` on fd until the deadline. OK when ready.
Status WaitFd(int fd, short events, int64_t deadline_ns, std::string_view what) {
  for (;;) {
    const int64_t left_ns = deadline_ns - NowNs();
    if (left_ns <= 0) return Status::DeadlineExceeded(fmt::format("http: timed out {}", what));
    pollfd p{fd, events, 0};
    const int ms = static_cast<int>(std::min<int64_t>((left_ns + 999'999) / 1'000'000, 1 << 30));
    const int rc = ::poll(&p, 1, ms);
    if (rc > 0) return Status::Ok();
    if (rc < 0 && errno != EINTR) return Status::FromErrno(errno, "poll");
  }
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool ContainsToken(std::string_view list, std::string_view token) {
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view t = list.substr(pos, comma - pos);
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    if (EqualsNoCase(t, token)) return true;
    pos = comma + 1;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string HttpUrl::HostHeader() const { return fmt::format("{}:{}", host, port); }

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme)
    return Status::InvalidArgument("url: only http:// URLs are supported", url);
  std::string_view rest = url.substr(kScheme.size());
  const size_t end = std::min(rest.find('/'), rest.find('?'));
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? "" : rest.substr(end);
  HttpUrl u;
  const size_t colon = authority.rfind(':');
  std::string_view host = authority.substr(0, colon);
  if (colon != std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc() || p != port.data() + port.size() || v == 0 || v > 65535)
      return Status::InvalidArgument("url: bad port", url);
    u.port = static_cast<uint16_t>(v);
  }
  if (host.empty()) return Status::InvalidArgument("url: missing host", url);
  u.host = std::string(host);
  const std::string numeric = host == "localhost" ? "127.0.0.1" : std::string(host);
  u.addr.sin_family = AF_INET;
  u.addr.sin_port = htons(u.port);
  if (::inet_pton(AF_INET, numeric.c_str(), &u.addr.sin_addr) != 1)
    return Status::InvalidArgument("url: the host must be a numeric IPv4 address or localhost",
                                   url);
  if (target.empty()) target = "/";
  u.target = target.front() == '?' ? "/" + std::string(target) : std::string(target);
  for (char c : u.target) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return Status::InvalidArgument("url: spaces and control bytes must be percent-encoded", url);
  }
  return u;
}

std::string_view QueryParam(std::string_view target, std::string_view name, bool* found) {
  *found = false;
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    const size_t eq = kv.find('=');
    if (kv.substr(0, eq) == name) {
      *found = true;
      return eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

HttpConnection::HttpConnection(const sockaddr_in& addr, int timeout_ms, size_t max_body_keep)
    : addr_(addr), timeout_ms_(timeout_ms), max_body_keep_(max_body_keep) {}

HttpConnection::~HttpConnection() { Close(); }

void HttpConnection::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  rbuf_.clear();
  rpos_ = 0;
}

Status HttpConnection::Connect() {
  if (fd_ >= 0) return Status::Ok();
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno(errno, "socket");
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_) != 0) {
    if (errno != EINPROGRESS) {
      Status st = Status::FromErrno(errno, "connect");
      ::close(fd);
      return st;
    }
    Status st = WaitFd(fd, POLLOUT, NowNs() + int64_t{timeout_ms_} * 1'000'000, "connecting");
    int err = 0;
    socklen_t len = sizeof err;
    if (st.ok() && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (st.ok() && err != 0) st = Status::FromErrno(err, "connect");
    if (!st.ok()) {
      ::close(fd);
      return st;
    }
  }
  fd_ = fd;
  ++connects_;
  rbuf_.clear();
  rpos_ = 0;
  return Status::Ok();
}

Status HttpConnection::WriteAll(std::string_view head, std::string_view body, int64_t deadline_ns) {
  iovec iov[2] = {{const_cast<char*>(head.data()), head.size()},
                  {const_cast<char*>(body.data()), body.size()}};
  int first = 0;
  const int count = body.empty() ? 1 : 2;
  while (first < count) {
    msghdr msg{};
    msg.msg_iov = iov + first;
    msg.msg_iovlen = static_cast<size_t>(count - first);
    const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        STRIX_RETURN_IF_ERROR(WaitFd(fd_, POLLOUT, deadline_ns, "sending the request"));
        continue;
      }
      return Status::FromErrno(errno, "send");
    }
    size_t left = static_cast<size_t>(n);
    while (first < count && left >= iov[first].iov_len) {
      left -= iov[first].iov_len;
      ++first;
    }
    if (first < count) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return Status::Ok();
}

bool HttpConnection::Fill(int64_t deadline_ns, Status* st, bool* eof) {
  *eof = false;
  if (rpos_ == rbuf_.size()) {
    rbuf_.clear();
    rpos_ = 0;
  } else if (rpos_ > kReadChunk) {
    rbuf_.erase(0, rpos_);
    rpos_ = 0;
  }
  const size_t old = rbuf_.size();
  rbuf_.resize(old + kReadChunk);
  for (;;) {
    const ssize_t n = ::recv(fd_, rbuf_.data() + old, kReadChunk, 0);
    if (n > 0) {
      rbuf_.resize(old + static_cast<size_t>(n));
      return true;
    }
    if (n == 0) {
      rbuf_.resize(old);
      *eof = true;
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      *st = WaitFd(fd_, POLLIN, deadline_ns, "waiting for the answer");
      if (st->ok()) continue;
    } else {
      *st = Status::FromErrno(errno, "recv");
    }
    rbuf_.resize(old);
    return false;
  }
}

Status HttpConnection::ReadHeaders(int64_t deadline_ns, size_t* header_end) {
  for (;;) {
    // Headers are small (at most 64 KiB), so rescanning from rpos_ costs nothing.
    const size_t pos = rbuf_.find("\r\n\r\n", rpos_);
    if (pos != std::string::npos) {
      *header_end = pos + 4;
      return Status::Ok();
    }
    if (rbuf_.size() - rpos_ > kMaxHeaderBytes)
      return Status::ResourceExhausted("http: answer headers larger than 64 KiB");
    Status st;
    bool eof = false;
    if (!Fill(deadline_ns, &st, &eof)) {
      if (eof) {
        return Status::Unavailable(rbuf_.size() == rpos_
                                       ? "http: the server closed the connection without answering"
                                       : "http: the server closed the connection mid-headers");
      }
      return st;
    }
  }
}

void HttpConnection::Consume(HttpResponse* r, size_t n) {
  const size_t keep = std::min(n, max_body_keep_ - std::min(max_body_keep_, r->body.size()));
  r->body.append(rbuf_, rpos_, keep);
  r->body_bytes += n;
  rpos_ += n;
}

Status HttpConnection::ReadBody(HttpResponse* r, int64_t deadline_ns, bool chunked,
                                int64_t content_length, bool until_eof) {
  Status st;
  bool eof = false;
  auto need = [&](size_t n) -> Status {  // ensures n unconsumed bytes are buffered
    while (rbuf_.size() - rpos_ < n) {
      if (!Fill(deadline_ns, &st, &eof))
        return eof ? Status::Unavailable("http: the server closed the connection mid-body") : st;
    }
    return Status::Ok();
  };
  auto read_line = [&](std::string_view* line) -> Status {
    for (;;) {
      const size_t pos = rbuf_.find("\r\n", rpos_);
      if (pos != std::string::npos) {
        *line = std::string_view(rbuf_).substr(rpos_, pos - rpos_);
        return Status::Ok();
      }
      if (rbuf_.size() - rpos_ > kMaxHeaderBytes)
        return Status::ResourceExhausted("http: chunk line too long");
      STRIX_RETURN_IF_ERROR(need(rbuf_.size() - rpos_ + 1));
    }
  };
  if (until_eof) {
    for (;;) {
      Consume(r, rbuf_.size() - rpos_);
      if (!Fill(deadline_ns, &st, &eof)) return eof ? Status::Ok() : st;
    }
  }
  if (!chunked) {
    uint64_t left = static_cast<uint64_t>(content_length);
    while (left > 0) {
      STRIX_RETURN_IF_ERROR(need(1));
      const size_t take = static_cast<size_t>(std::min<uint64_t>(left, rbuf_.size() - rpos_));
      Consume(r, take);
      left -= take;
    }
    return Status::Ok();
  }
  for (;;) {
    std::string_view line;
    STRIX_RETURN_IF_ERROR(read_line(&line));
    std::string_view hex = Trim(line.substr(0, line.find(';')));
    uint64_t size = 0;
    auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), size, 16);
    if (hex.empty() || ec != std::errc() || p != hex.data() + hex.size())
      return Status::InvalidArgument("http: bad chunk size line", line);
    rpos_ += line.size() + 2;
    if (size == 0) {  // trailers, then a blank line
      for (;;) {
        STRIX_RETURN_IF_ERROR(read_line(&line));
        rpos_ += line.size() + 2;
        if (line.empty()) return Status::Ok();
      }
    }
    while (size > 0) {
      STRIX_RETURN_IF_ERROR(need(1));
      const size_t take = static_cast<size_t>(std::min<uint64_t>(size, rbuf_.size() - rpos_));
      Consume(r, take);
      size -= take;
    }
    STRIX_RETURN_IF_ERROR(need(2));
    if (rbuf_.compare(rpos_, 2, "\r\n") != 0)
      return Status::InvalidArgument("http: chunk not followed by CRLF");
    rpos_ += 2;
  }
}

Result<HttpResponse> HttpConnection::RoundTrip(std::string_view head, std::string_view body,
                                               bool head_request) {
  const int64_t deadline_ns = NowNs() + int64_t{timeout_ms_} * 1'000'000;
  auto fail = [this](Status st) -> Status {
    Close();
    return st;
  };
  Status st = Connect();
  if (!st.ok()) return fail(std::move(st));
  st = WriteAll(head, body, deadline_ns);
  if (!st.ok()) return fail(std::move(st));

  HttpResponse r;
  bool http10 = false;
  bool chunked = false;
  int64_t content_length = -1;
  bool keep_alive_header = false;
  for (;;) {  // skips 1xx interim answers
    size_t header_end = 0;
    st = ReadHeaders(deadline_ns, &header_end);
    if (!st.ok()) return fail(std::move(st));
    std::string_view headers(rbuf_.data() + rpos_, header_end - rpos_ - 2);
    rpos_ = header_end;
    size_t eol = headers.find("\r\n");
    std::string_view status_line = headers.substr(0, eol);
    // "HTTP/1.1 204 No Content"
    if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ')
      return fail(Status::InvalidArgument("http: bad status line", status_line));
    http10 = status_line[7] == '0';
    int code = 0;
    auto [p, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, code);
    if (ec != std::errc() || p != status_line.data() + 12 || code < 100 || code > 999)
      return fail(Status::InvalidArgument("http: bad status code", status_line));
    r = HttpResponse();
    r.status = code;
    r.reason = std::string(Trim(status_line.substr(12)));
    chunked = false;
    content_length = -1;
    keep_alive_header = false;
    while (eol != std::string_view::npos) {
      const size_t start = eol + 2;
      eol = headers.find("\r\n", start);
      std::string_view line =
          headers.substr(start, eol == std::string_view::npos ? eol : eol - start);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view name = Trim(line.substr(0, colon));
      std::string_view value = Trim(line.substr(colon + 1));
      if (EqualsNoCase(name, "content-length")) {
        int64_t v = 0;
        auto [q, ec2] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (ec2 != std::errc() || q != value.data() + value.size() || v < 0)
          return fail(Status::InvalidArgument("http: bad Content-Length", value));
        content_length = v;
      } else if (EqualsNoCase(name, "transfer-encoding")) {
        chunked = ContainsToken(value, "chunked");
      } else if (EqualsNoCase(name, "connection")) {
        if (ContainsToken(value, "close")) r.close = true;
        if (ContainsToken(value, "keep-alive")) keep_alive_header = true;
      } else if (EqualsNoCase(name, "retry-after")) {
        r.retry_after = std::string(value);
      }
    }
    if (code >= 200 || code == 101) break;
  }
  if (http10 && !keep_alive_header) r.close = true;
  const bool no_body = head_request || r.status == 204 || r.status == 304 || r.status < 200;
  if (!no_body) {
    const bool until_eof = !chunked && content_length < 0;
    if (until_eof) r.close = true;
    st = ReadBody(&r, deadline_ns, chunked, content_length, until_eof);
    if (!st.ok()) return fail(std::move(st));
  }
  if (r.close) Close();
  return r;
}

}  // namespace strix::bench
