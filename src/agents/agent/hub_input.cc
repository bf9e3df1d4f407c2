// The hub input (see hub_input.h).
#include "agents/agent/hub_input.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "agents/common/http_client.h"
#include "agents/lineproto/lineproto.h"
#include "agents/pattoo/decode.h"
#include "agents/pattoo/encode.h"
#include "core/log.h"

namespace strix::agents {

HubInput::HubInput(HubOptions options, Clock& clock)
    : options_(std::move(options)), clock_(clock), state_(options_.targets.size()) {}

std::string HubInput::TargetUrl(const HubTarget& t, int64_t interval_ms) {
  std::string host = t.address;
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  std::string url = (t.tls ? "https://" : "http://") + host + ":" + std::to_string(t.port);
  if (t.format == HubTarget::Format::kPattoo) {
    int64_t seconds = std::max<int64_t>(1, interval_ms / 1000);
    return url + "/pattoo-agent-linux/" + std::to_string(seconds);
  }
  return url + "/strix/v1/points";
}

HubInput::Counters HubInput::counters() const {
  Counters c;
  c.polls = polls_.load(std::memory_order_relaxed);
  c.failures = failures_.load(std::memory_order_relaxed);
  c.bad_points = bad_points_.load(std::memory_order_relaxed);
  return c;
}

Status HubInput::Collect(const CollectContext& ctx, std::vector<Point>* out) {
  const size_t n = options_.targets.size();
  std::vector<std::vector<Point>> results(n);
  std::vector<Status> errors(n);
  std::vector<uint64_t> bad(n, 0);
  auto fetch = [&](size_t i, HttpClient& client) {
    const HubTarget& t = options_.targets[i];
    // Each fetch gets the spoke timeout, cut to the round's time left when it starts: a
    // late spoke is a gap for that spoke, while the others' data still makes the round.
    const int64_t left_ms = (ctx.deadline_mono_ns - clock_.MonotonicNanos()) / 1'000'000 - 50;
    const int64_t timeout = std::min(options_.timeout_ms, left_ms);
    HttpRequest req;
    req.url = TargetUrl(t, ctx.interval_ms);
    if (timeout < 100) {
      errors[i] =
          Status::DeadlineExceeded("hub: no time left in the round for this spoke", req.url);
      return;
    }
    req.timeout_ms = timeout;
    req.connect_timeout_ms = std::min<int64_t>(timeout, 3'000);
    req.max_response_bytes = 32 << 20;
    req.stop = ctx.stop;
    if (!t.token.empty()) req.headers.push_back({"Authorization", "Bearer " + t.token});
    Result<HttpResponse> r = client.Do(req);
    if (!r.ok()) {
      errors[i] = r.status();
      return;
    }
    if (r->status != 200) {
      errors[i] = Status::Unavailable("spoke answered HTTP " + std::to_string(r->status), req.url);
      return;
    }
    if (t.format == HubTarget::Format::kPattoo) {
      pattoo::DecodeStats stats;
      Status st = pattoo::DecodePage(r->body, ctx.now_ms, &results[i], &stats);
      bad[i] = stats.skipped;
      if (!st.ok()) errors[i] = Status(st.code(), st.message(), req.url);
    } else {
      lineproto::DecodeStats stats;
      Status st = lineproto::Decode(r->body, ctx.now_ms, lineproto::Precision::kMilliseconds,
                                    &results[i], &stats);
      bad[i] = stats.rejected_lines;
      if (!st.ok()) errors[i] = Status(st.code(), st.message(), req.url);
    }
  };
  {
    // Up to kMaxParallel short-lived workers take the spokes in turn: a slow spoke costs
    // only its own timeout, and a long target list does not mean as many threads.
    std::atomic<size_t> next{0};
    auto worker = [&] {
      HttpClient client;  // spokes on one worker share its connection cache
      for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fetch(i, client);
    };
    std::vector<std::jthread> threads;
    const size_t workers = std::min(n, kMaxParallel);
    threads.reserve(workers);
    for (size_t w = 0; w < workers; ++w) threads.emplace_back(worker);
  }
  size_t failed = 0;
  for (size_t i = 0; i < n; ++i) {
    polls_.fetch_add(1, std::memory_order_relaxed);
    bad_points_.fetch_add(bad[i], std::memory_order_relaxed);
    const HubTarget& t = options_.targets[i];
    if (!errors[i].ok()) {
      ++failed;
      failures_.fetch_add(1, std::memory_order_relaxed);
      if (!state_[i].failing) {
        STRIX_LOG(kWarn, "hub: spoke gives no data (a gap; logged once until it recovers)", "spoke",
                  t.address + ":" + std::to_string(t.port), "error", errors[i].ToString());
      }
      state_[i].failing = true;
      continue;
    }
    if (state_[i].failing) {
      STRIX_LOG(kInfo, "hub: spoke answers again", "spoke",
                t.address + ":" + std::to_string(t.port));
      state_[i].failing = false;
    }
    for (Point& p : results[i]) out->push_back(std::move(p));
  }
  if (n > 0 && failed == n) return Status::Unavailable("hub: no spoke answered");
  return Status::Ok();
}

}  // namespace strix::agents
