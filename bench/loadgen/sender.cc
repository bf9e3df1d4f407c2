// LoadSender (see sender.h): heads are built before the clock; each thread keeps its own
// counters and latencies and they are merged after the join, so the only shared state
// while sending is the payload cursor (an atomic) and the list of error reports (a mutex,
// touched only on failures).
#include "bench/loadgen/sender.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <latch>
#include <thread>

#include "core/clock.h"
#include "core/mutex.h"

namespace strix::bench {
namespace {

struct ThreadStats {
  int64_t last_answer_ns = 0;
  uint64_t requests = 0, payloads_ok = 0, payloads_failed = 0, samples_ok = 0, samples_failed = 0;
  uint64_t body_bytes_sent = 0, bytes_sent = 0, retries = 0;
  std::map<int, uint64_t> status_counts;
  std::vector<int64_t> latencies_ns;
  bool stopped = false;
};

class ErrorReports {
 public:
  explicit ErrorReports(size_t max) : max_(max) {}
  void Add(std::string text) {
    MutexLock l(&mu_);
    if (reports_.size() < max_) reports_.push_back(std::move(text));
  }
  std::vector<std::string> Take() {
    MutexLock l(&mu_);
    return std::move(reports_);
  }

 private:
  const size_t max_;
  Mutex mu_;
  std::vector<std::string> reports_ STRIX_GUARDED_BY(mu_);
};

std::string Printable(std::string_view body, size_t max) {
  std::string out;
  for (char c : body.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : (c == '\n' ? ' ' : '?'));
  }
  if (body.size() > max) out += "...";
  return out;
}

bool HeaderNamed(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) !=
        std::tolower(static_cast<unsigned char>(name[i])))
      return false;
  }
  return true;
}

}  // namespace

Status SendOptions::Validate() const {
  if (connections < 1 || connections > 1024)
    return Status::InvalidArgument("send: connections must be 1 to 1024");
  if (timeout_ms < 1) return Status::InvalidArgument("send: the timeout must be positive");
  if (retries < 0) return Status::InvalidArgument("send: retries must not be negative");
  for (const std::string& h : headers) {
    const size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0 || h.find_first_of("\r\n") != std::string::npos)
      return Status::InvalidArgument("send: a header must be \"Name: value\" on one line", h);
    for (char c : std::string_view(h).substr(0, colon)) {
      if (c <= ' ' || c >= 0x7f)
        return Status::InvalidArgument("send: bad character in a header name", h);
    }
  }
  return Status::Ok();
}

int64_t NearestRank(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double rank = std::ceil(q * static_cast<double>(sorted.size()));
  const size_t i = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return sorted[std::min(i, sorted.size() - 1)];
}

LoadSender::LoadSender(const SendOptions& options) : options_(options) {}
LoadSender::~LoadSender() = default;

Result<std::unique_ptr<LoadSender>> LoadSender::Connect(const SendOptions& options) {
  STRIX_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<LoadSender> s(new LoadSender(options));
  for (int i = 0; i < options.connections; ++i) {
    auto c = std::make_unique<HttpConnection>(options.url.addr, options.timeout_ms);
    Status st = c->Connect();
    if (!st.ok()) return st.WithContext(options.url.HostHeader());
    s->conns_.push_back(std::move(c));
  }
  return s;
}

std::string LoadSender::BuildHead(const Payload& p) const {
  std::string target = options_.url.target;
  const size_t at = target.find("{agent_id}");
  if (at != std::string::npos) target.replace(at, 10, p.agent_id);
  std::string head =
      fmt::format("POST {} HTTP/1.1\r\nHost: {}\r\n", target, options_.url.HostHeader());
  auto user_has = [&](std::string_view name) {
    for (const std::string& h : options_.headers) {
      if (HeaderNamed(h, name)) return true;
    }
    return false;
  };
  if (!user_has("User-Agent")) head += "User-Agent: strix-loadgen\r\n";
  if (!user_has("Content-Type")) head += fmt::format("Content-Type: {}\r\n", options_.content_type);
  if (!options_.content_encoding.empty())
    head += fmt::format("Content-Encoding: {}\r\n", options_.content_encoding);
  for (const std::string& h : options_.format_headers) {
    if (!user_has(std::string_view(h).substr(0, h.find(':')))) head += h + "\r\n";
  }
  for (const std::string& h : options_.headers) head += h + "\r\n";
  head += fmt::format("Content-Length: {}\r\n\r\n", p.body.size());
  return head;
}

SendResult LoadSender::Send(const std::vector<Payload>& payloads,
                            const std::function<void()>& at_start,
                            const std::function<void()>& at_end) {
  std::vector<std::string> heads;
  heads.reserve(payloads.size());
  for (const Payload& p : payloads) heads.push_back(BuildHead(p));

  Clock& clock = Clock::Real();
  std::atomic<size_t> cursor{0};
  std::latch go(1);
  ErrorReports errors(options_.max_error_reports);
  std::vector<ThreadStats> stats(conns_.size());
  int64_t start_ns = 0;

  auto worker = [&](size_t t) {
    HttpConnection& conn = *conns_[t];
    ThreadStats& st = stats[t];
    go.wait();
    for (;;) {
      const size_t i = cursor.fetch_add(1, std::memory_order_relaxed);
      if (i >= payloads.size()) break;
      const Payload& p = payloads[i];
      bool done = false;
      for (int attempt = 0; !done; ++attempt) {
        if (!conn.connected()) {
          Status cs = conn.Connect();
          if (!cs.ok()) {
            errors.Add(fmt::format("payload {}: reconnecting failed: {}", i, cs.ToString()));
            ++st.status_counts[0];
            ++st.payloads_failed;
            st.samples_failed += p.samples;
            st.stopped = true;
            return;
          }
        }
        ++st.requests;
        st.bytes_sent += heads[i].size() + p.body.size();
        st.body_bytes_sent += p.body.size();
        const int64_t t0 = clock.MonotonicNanos();
        Result<HttpResponse> r = conn.RoundTrip(heads[i], p.body);
        const int64_t t1 = clock.MonotonicNanos();
        st.last_answer_ns = t1;
        int retry_after_ms = 100;
        bool retryable;
        std::string report;
        if (r.ok()) {
          st.latencies_ns.push_back(t1 - t0);
          ++st.status_counts[r->status];
          if (r->status >= 200 && r->status < 300) {
            ++st.payloads_ok;
            st.samples_ok += p.samples;
            done = true;
            break;
          }
          retryable = r->status == 429 || r->status == 503;
          if (retryable && !r->retry_after.empty()) {
            int secs = 0;
            auto [q, ec] = std::from_chars(r->retry_after.data(),
                                           r->retry_after.data() + r->retry_after.size(), secs);
            if (ec == std::errc() && secs >= 0) retry_after_ms = std::min(secs, 10) * 1000;
          }
          report = fmt::format("payload {}: HTTP {} {}: {}", i, r->status, r->reason,
                               Printable(r->body, 300));
        } else {
          ++st.status_counts[0];
          retryable = true;
          report = fmt::format("payload {}: {}", i, r.status().ToString());
        }
        if (retryable && attempt < options_.retries) {
          ++st.retries;
          errors.Add(report + " (retrying)");
          std::this_thread::sleep_for(std::chrono::milliseconds(retry_after_ms));
          continue;
        }
        errors.Add(std::move(report));
        ++st.payloads_failed;
        st.samples_failed += p.samples;
        done = true;
      }
    }
  };

  std::vector<std::thread> threads;
  threads.reserve(conns_.size());
  for (size_t t = 0; t < conns_.size(); ++t) threads.emplace_back(worker, t);
  if (at_start) at_start();
  start_ns = clock.MonotonicNanos();
  go.count_down();
  for (std::thread& th : threads) th.join();

  SendResult res;
  int64_t end_ns = start_ns;
  for (ThreadStats& st : stats) {
    end_ns = std::max(end_ns, st.last_answer_ns);
    res.requests += st.requests;
    res.payloads_ok += st.payloads_ok;
    res.payloads_failed += st.payloads_failed;
    res.samples_ok += st.samples_ok;
    res.samples_failed += st.samples_failed;
    res.body_bytes_sent += st.body_bytes_sent;
    res.bytes_sent += st.bytes_sent;
    res.retries += st.retries;
    res.stopped_early |= st.stopped;
    for (const auto& [code, n] : st.status_counts) res.status_counts[code] += n;
    res.latencies_ns.insert(res.latencies_ns.end(), st.latencies_ns.begin(), st.latencies_ns.end());
  }
  if (at_end) at_end();
  res.wall_ns = end_ns - start_ns;
  const size_t taken = std::min(cursor.load(), payloads.size());
  res.payloads_unsent = payloads.size() - taken;
  for (size_t i = taken; i < payloads.size(); ++i) res.samples_failed += payloads[i].samples;
  for (const auto& c : conns_) res.connects += c->connects();
  res.error_reports = errors.Take();
  std::sort(res.latencies_ns.begin(), res.latencies_ns.end());
  return res;
}

}  // namespace strix::bench
