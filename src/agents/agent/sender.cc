// The agent's sender (see sender.h).
#include "agents/agent/sender.h"

#include <algorithm>

#include "agents/common/http_client.h"
#include "core/log.h"

namespace strix::agents {
namespace {
// A Retry-After beyond this is read as this: one answer must not park the agent for a day.
constexpr int64_t kMaxRetryAfterS = 300;
}  // namespace

int64_t BackoffMs(int failures, int64_t min_ms, int64_t max_ms) {
  if (failures <= 0) return 0;
  int64_t d = min_ms;
  for (int i = 1; i < failures && d < max_ms; ++i) d *= 2;
  return std::min(d, max_ms);
}

Sender::Sender(const ServerConfig& config, buffer::DiskBuffer* buffer, Clock& clock)
    : config_(config), buffer_(buffer), clock_(clock), rng_(std::random_device{}()) {}

Sender::~Sender() { Stop(); }

void Sender::Start() {
  thread_ = std::jthread([this](std::stop_token st) { Loop(st); });
}

void Sender::RequestStop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  cv_.notify_all();
}

void Sender::Stop() {
  if (!thread_.joinable()) return;
  RequestStop();
  thread_.join();
}

void Sender::Notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
  }
  cv_.notify_all();
}

void Sender::Wait(std::stop_token& stop, int64_t ms, bool wake_on_notify) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, stop, std::chrono::milliseconds(ms),
               [&] { return wake_on_notify && notified_; });
  notified_ = false;
}

Sender::Outcome Sender::Post(const buffer::Record& rec, std::stop_token stop,
                             int64_t* retry_after_ms, std::string* why, bool* config_problem) {
  // One client per sender thread keeps the connection alive between posts.
  thread_local HttpClient client;
  std::string base = config_.urls[url_index_ % config_.urls.size()];
  while (!base.empty() && base.back() == '/') base.pop_back();
  HttpRequest req;
  req.method = "POST";
  req.url = base + "/write?precision=ms";
  req.headers = {{"Authorization", "Bearer " + config_.token},
                 {"Content-Type", "text/plain; charset=utf-8"},
                 {"Content-Encoding", "gzip"}};
  req.body = rec.payload;
  req.timeout_ms = config_.timeout_ms;
  req.connect_timeout_ms = std::min<int64_t>(config_.timeout_ms, 5'000);
  req.max_response_bytes = 1 << 20;
  req.tls_verify = config_.tls_verify;
  req.ca_file = config_.ca_file;
  req.stop = stop;
  Result<HttpResponse> r = client.Do(req);
  if (!r.ok()) {
    *why = req.url + ": " + r.status().ToString();
    ++url_index_;  // try the next server
    return Outcome::kRetry;
  }
  const int code = r->status;
  if (code >= 200 && code < 300) return Outcome::kAcked;
  std::string body = r->body.substr(0, 300);
  if (code == 401 || code == 403 || code == 404 || code == 405) {
    // A token or URL to fix. Another server may take it meanwhile; the data is kept.
    *why =
        req.url + ": HTTP " + std::to_string(code) + " (check server.urls and the token): " + body;
    *config_problem = true;
    ++url_index_;
    return Outcome::kRetry;
  }
  if (code == 408 || code == 429 || code >= 500) {
    *why = req.url + ": HTTP " + std::to_string(code) + ": " + body;
    // Retry-After speaks for this server only: with another URL to try, go there now.
    if (config_.urls.size() == 1 && r->retry_after_s >= 0) {
      *retry_after_ms = std::min<int64_t>(r->retry_after_s, kMaxRetryAfterS) * 1000;
    }
    ++url_index_;
    return Outcome::kRetry;
  }
  // Only strixd's own partial-write answer (400 naming stored and rejected lines) or a
  // 413 is final. Anything else (a redirect, a proxy's 4xx) keeps the record: retry.
  const bool strixd_partial = code == 400 && r->body.find("stored_samples") != std::string::npos;
  if (!strixd_partial && code != 413) {
    *why = req.url + ": HTTP " + std::to_string(code) + " (not strixd's answer?): " + body;
    ++url_index_;
    return Outcome::kRetry;
  }
  STRIX_LOG(kWarn, "agent: strixd rejected (part of) a record; not resent", "url", req.url,
            "status", code, "seq", rec.seq, "answer", body);
  return Outcome::kRejected;
}

void Sender::Loop(std::stop_token stop) {
  int failures = 0;
  int64_t last_log_ns = 0;
  while (!stop.stop_requested()) {
    Result<std::optional<buffer::Record>> next = buffer_->Next();
    if (!next.ok()) {
      STRIX_LOG(kError, "agent: cannot read the buffer", "error", next.status().ToString());
      Wait(stop, 1000, false);
      continue;
    }
    if (!next->has_value()) {
      Wait(stop, 1000, true);
      continue;
    }
    const buffer::Record& rec = **next;
    int64_t retry_after_ms = -1;
    std::string why;
    bool config_problem = false;
    Outcome o = Post(rec, stop, &retry_after_ms, &why, &config_problem);
    if (o == Outcome::kRetry && stop.stop_requested()) break;  // it stays buffered
    if (o == Outcome::kRetry) {
      stats_.posts_failed.fetch_add(1, std::memory_order_relaxed);
      ++failures;
      // One line when an outage starts, then one a minute: the count is a self-metric.
      const int64_t now = clock_.MonotonicNanos();
      if (failures == 1 || now - last_log_ns >= 60'000'000'000LL) {
        if (config_problem) {
          STRIX_LOG(kError, "agent: strixd refuses this agent; data stays buffered", "error", why,
                    "failures_in_a_row", failures);
        } else {
          STRIX_LOG(kWarn, "agent: cannot deliver to strixd; data stays buffered", "error", why,
                    "failures_in_a_row", failures);
        }
        last_log_ns = now;
      }
      int64_t d = BackoffMs(failures, config_.backoff_min_ms, config_.backoff_max_ms);
      std::uniform_int_distribution<int64_t> jitter(d / 2, d);
      int64_t wait = std::max(jitter(rng_), retry_after_ms);
      Wait(stop, wait, false);
      continue;
    }
    if (failures > 0) {
      STRIX_LOG(kInfo, "agent: strixd reachable again; sending the backlog", "after_failures",
                failures);
    }
    failures = 0;
    if (o == Outcome::kRejected) {
      stats_.records_rejected.fetch_add(1, std::memory_order_relaxed);
    } else {
      stats_.posts_ok.fetch_add(1, std::memory_order_relaxed);
      stats_.bytes_sent.fetch_add(rec.payload.size(), std::memory_order_relaxed);
      stats_.last_ok_ms.store(clock_.NowMillis(), std::memory_order_relaxed);
    }
    Status st = buffer_->Ack(rec.seq);
    if (!st.ok()) STRIX_LOG(kError, "agent: cannot ack a record", "error", st.ToString());
  }
}

}  // namespace strix::agents
