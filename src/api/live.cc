// LiveHub and GET /api/v1/stream: see internal/live.h and docs/api.md ("Live updates").
#include "api/internal/live.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <utility>

#include "api/json.h"
#include "core/log.h"

namespace strix::api {

namespace {

constexpr int64_t kMaxStreamStepMs = 366LL * 86'400'000;
constexpr size_t kMaxStreamSeries = 2'000;

int64_t AlignDown(int64_t t, int64_t step) {
  int64_t r = t % step;
  if (r < 0) r += step;
  return t - r;
}

bool IsCounterKind(storage::ValueKind k) {
  return storage::IsCounter(k) || k == storage::ValueKind::kDerive ||
         k == storage::ValueKind::kAbsolute;
}

// A hash of the newest point's value, min, max and state: a changed bucket resends.
uint64_t LastPointHash(const storage::SeriesData& d) {
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  auto mix = [&h](uint64_t v) { h = (h ^ v) * 0x100000001b3ULL; };
  if (!d.values.empty()) mix(std::bit_cast<uint64_t>(d.values.back()));
  if (!d.min.empty()) mix(std::bit_cast<uint64_t>(d.min.back()));
  if (!d.max.empty()) mix(std::bit_cast<uint64_t>(d.max.back()));
  if (!d.states.empty()) mix(std::hash<std::string>()(d.states.back()));
  return h;
}

// Drops the first `n` points of every column of `d`.
void DropFront(storage::SeriesData& d, size_t n) {
  auto drop = [n](auto& v) {
    if (!v.empty()) v.erase(v.begin(), v.begin() + static_cast<ptrdiff_t>(std::min(n, v.size())));
  };
  drop(d.timestamps);
  drop(d.raw);
  drop(d.values);
  drop(d.min);
  drop(d.max);
  drop(d.states);
}

}  // namespace

LiveHub::LiveHub(storage::Storage* storage, Clock* clock, SelectFn select, LiveOptions options)
    : storage_(storage), clock_(clock), select_(std::move(select)), opt_(options) {
  thread_ = std::thread([this] { Run(); });
}

LiveHub::~LiveHub() {
  {
    MutexLock l(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  thread_.join();
}

bool LiveHub::Add(std::shared_ptr<StreamWriter> writer, LiveSubscription sub) {
  auto s = std::make_unique<Sub>();
  s->writer = std::move(writer);
  s->sub = std::move(sub);
  {
    MutexLock l(&mu_);
    if (stopping_ || count_ >= opt_.max_streams) return false;
    size_t& mine = per_principal_[s->sub.principal];
    if (mine >= opt_.max_streams_per_principal) return false;
    ++mine;
    ++count_;
    pending_.push_back(std::move(s));
  }
  cv_.Signal();
  return true;
}

size_t LiveHub::size() const {
  MutexLock l(&mu_);
  return count_;
}

size_t LiveHub::size_of(const std::string& principal) const {
  MutexLock l(&mu_);
  auto it = per_principal_.find(principal);
  return it == per_principal_.end() ? 0 : it->second;
}

void LiveHub::Release(const Sub& s) {
  MutexLock l(&mu_);
  --count_;
  auto it = per_principal_.find(s.sub.principal);
  if (it != per_principal_.end() && --it->second == 0) per_principal_.erase(it);
}

void LiveHub::Run() {
  uint64_t last_appended = UINT64_MAX;
  for (;;) {
    bool tick = true;  // the poll interval passed (else: woken early by a new stream)
    {
      MutexLock l(&mu_);
      if (!stopping_ && pending_.empty()) {
        tick = !cv_.WaitFor(&mu_, std::chrono::milliseconds(opt_.poll_interval_ms));
      } else {
        tick = false;
      }
      if (stopping_) break;
      for (auto& p : pending_) subs_.push_back(std::move(p));
      pending_.clear();
    }
    if (subs_.empty()) continue;
    const int64_t now = clock_->NowMillis();
    bool changed = false;
    if (tick) {
      const uint64_t appended = storage_->Stats().samples_appended;
      changed = appended != last_appended;
      last_appended = appended;
    }
    for (auto it = subs_.begin(); it != subs_.end();) {
      Sub& s = **it;
      bool open = !s.writer->closed();
      if (s.fresh) s.last_write_ms = now;  // the stream's first line was just written
      // New streams are served at once; the others only on the poll interval's tick, so
      // opening streams in a loop cannot make every stream poll again.
      if (open && (s.fresh || (tick && changed))) open = Poll(s, now);
      s.fresh = false;
      if (open && tick && now - s.last_write_ms >= opt_.heartbeat_ms) {
        if (s.sub.still_allowed && !s.sub.still_allowed()) {
          s.writer->Write(
              "event: error\ndata: {\"error\":\"not authorized any more: log in again\"}\n\n");
          open = false;
        } else {
          open = s.writer->Write(": ping\n\n");
          s.last_write_ms = now;
        }
      }
      if (open) {
        ++it;
      } else {
        s.writer->Close();
        Release(s);
        it = subs_.erase(it);
      }
    }
  }
  std::vector<std::unique_ptr<Sub>> rest;
  {
    MutexLock l(&mu_);
    rest = std::move(pending_);
    count_ = 0;
    per_principal_.clear();
  }
  for (auto& s : subs_) s->writer->Close();
  for (auto& s : rest) s->writer->Close();
  subs_.clear();
}

bool LiveHub::Poll(Sub& s, int64_t now) {
  storage::SelectRequest req = s.sub.req;
  const int64_t step = req.step_ms;
  int64_t lower = s.sub.since_ms;
  lower = std::max(
      lower, step > 0 ? now - step * opt_.max_catch_up_steps : now - opt_.max_catch_up_raw_ms);
  req.from = step > 0 ? AlignDown(lower, step) : lower + 1;
  req.to = now + 1;
  if (req.from >= req.to) return true;
  Result<SelectedSeries> got = select_(s.sub.sets, req);
  if (!got.ok()) {
    STRIX_LOG(kWarn, "api: live stream query failed", "error", got.status().ToString());
    return true;  // a later poll may succeed
  }
  SelectedSeries& series = *got;
  if (s.sub.counter_fn && step > 0 && *s.sub.counter_fn != req.fn) {
    // Counters again with their own function; each series keeps the answer of its kind.
    storage::SelectRequest creq = req;
    creq.fn = *s.sub.counter_fn;
    creq.with_min_max = false;  // no band around a rate (see ParseSelectOptions)
    Result<SelectedSeries> counters = select_(s.sub.sets, creq);
    if (!counters.ok()) {
      STRIX_LOG(kWarn, "api: live stream query failed", "error", counters.status().ToString());
      return true;
    }
    std::erase_if(series, [](const auto& kv) { return IsCounterKind(kv.second.kind); });
    for (auto& [key, d] : *counters) {
      if (IsCounterKind(d.kind)) series[key] = std::move(d);
    }
  }
  int64_t min_cursor = INT64_MAX;
  for (auto it = series.begin(); it != series.end();) {
    storage::SeriesData& d = it->second;
    auto sent = s.sent.find(it->first);
    size_t first = 0;
    if (step > 0) {
      const int64_t keep_from = sent != s.sent.end() ? sent->second.first : AlignDown(lower, step);
      while (first < d.timestamps.size() && d.timestamps[first] < keep_from) ++first;
    } else {
      const int64_t after = sent != s.sent.end() ? sent->second.first : lower;
      while (first < d.timestamps.size() && d.timestamps[first] <= after) ++first;
    }
    DropFront(d, first);
    if (d.timestamps.empty()) {
      if (sent != s.sent.end()) min_cursor = std::min(min_cursor, sent->second.first);
      it = series.erase(it);
      continue;
    }
    const uint64_t bits = LastPointHash(d);
    if (step > 0 && sent != s.sent.end() && d.timestamps.size() == 1 &&
        d.timestamps[0] == sent->second.first && bits == sent->second.second) {
      min_cursor = std::min(min_cursor, sent->second.first);
      it = series.erase(it);  // the newest bucket did not change
      continue;
    }
    s.sent[it->first] = {d.timestamps.back(), bits};
    min_cursor = std::min(min_cursor, d.timestamps.back());
    ++it;
  }
  // New series start where the slowest known one is; the window never grows unbounded.
  if (min_cursor != INT64_MAX) s.sub.since_ms = std::max(s.sub.since_ms, min_cursor);
  if (series.empty()) return true;
  // Events of at most about max_event_bytes: a catch-up over many series must not make
  // one chunk larger than the server's stream buffer.
  s.last_write_ms = now;
  while (!series.empty()) {
    SelectedSeries batch;
    size_t estimate = 0;
    while (!series.empty() && (batch.empty() || estimate < opt_.max_event_bytes)) {
      auto node = series.extract(series.begin());
      estimate += 64 + node.mapped().timestamps.size() * 40;
      batch.insert(std::move(node));
    }
    std::string event = "event: data\ndata: ";
    JsonWriter w(&event);
    WriteSelectData(w, req, batch);
    event.append("\n\n");
    if (!s.writer->Write(std::move(event))) return false;
  }
  return true;
}

// ---- GET /api/v1/stream ---------------------------------------------------------------------

HttpResponse Api::Impl::V1Stream(const QueryParams& q, const Caller& caller) {
  auto sets = ParseMatchParams(q, /*optional=*/false);
  if (!sets.ok()) return ErrorResponse(400, sets.status().message());
  LiveSubscription sub;
  if (std::optional<HttpResponse> bad = ParseSelectOptions(q, &sub.req)) return std::move(*bad);
  if (sub.req.step_ms < 0 || sub.req.step_ms > kMaxStreamStepMs) {
    return BadParam("step", "a live stream's step is at most 366d");
  }
  if (auto cf = q.Get("counter_fn")) {
    Result<storage::Consolidation> fn = storage::ParseConsolidation(*cf);
    if (!fn.ok()) return BadParam("counter_fn", fn.status().message());
    sub.counter_fn = *fn;
  }
  // A live chart shows few series; the hub keeps a cursor for each.
  sub.req.max_series = std::min<size_t>(ctx.max_series_per_query, kMaxStreamSeries);
  const int64_t now = NowMs();
  sub.since_ms = now;
  if (auto since = q.Get("since")) {
    int64_t ms = 0;
    auto [p, ec] = std::from_chars(since->data(), since->data() + since->size(), ms);
    if (ec != std::errc() || p != since->data() + since->size()) {
      return BadParam("since", "expected milliseconds since the epoch, as answers give them");
    }
    // Within [now - the catch-up window, now]: never a scan of all history.
    const int64_t window = sub.req.step_ms > 0
                               ? sub.req.step_ms * live->options().max_catch_up_steps
                               : live->options().max_catch_up_raw_ms;
    sub.since_ms = std::clamp(ms, now - window, now);
  }
  sub.sets = std::move(*sets);
  if (caller.session) {
    sub.principal = "session:" + caller.session->id;
    sub.still_allowed = [meta = ctx.meta, cookie = caller.credential] {
      return meta->VerifySession(cookie).ok();
    };
  } else {
    sub.principal = "token:" + caller.principal.id;
    sub.still_allowed = [meta = ctx.meta, token = caller.credential] {
      Result<meta::Principal> p = meta->VerifyToken(token);
      return p.ok() && p->Allows(meta::Scope::kRead);
    };
  }
  const LiveOptions& lo = live->options();
  if (live->size() >= lo.max_streams ||
      live->size_of(sub.principal) >= lo.max_streams_per_principal) {
    HttpResponse r = ErrorResponse(
        503, fmt::format("too many live streams open (at most {}, {} per user or token)",
                         lo.max_streams, lo.max_streams_per_principal));
    r.Header("retry-after", "5");
    return r;
  }
  HttpResponse r;
  r.content_type = "text/event-stream; charset=utf-8";
  r.Header("cache-control", "no-cache");
  r.Header("x-accel-buffering", "no");  // reverse proxies: do not buffer the events
  LiveHub* hub = live.get();
  r.stream_open = [hub, sub = std::move(sub)](std::shared_ptr<StreamWriter> w) mutable {
    if (!w->Write("retry: 3000\n\n")) return;
    if (!hub->Add(w, std::move(sub))) {
      w->Write("event: error\ndata: {\"error\":\"too many live streams\"}\n\n");
      w->Close();
    }
  };
  return r;
}

}  // namespace strix::api
