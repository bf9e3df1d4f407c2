// LiveHub: the server side of GET /api/v1/stream (docs/api.md, "Live updates"). Each
// subscription is a select (selectors, step, fn, minmax) and a stream of server-sent
// events. One thread serves them all: every poll interval it checks whether storage took
// new samples, and if so runs each subscription's select over the points it has not sent
// yet and writes them as one `event: data`. With a step, the bucket holding the newest
// point sent is sent again when it changed (it grows until its end passes); raw streams
// send only newer samples. Each series keeps its own cursor, so a series that reports
// late is not skipped. Idle streams get a `: ping` comment every heartbeat interval, which
// also finds the clients that went away.
//
// Private to src/api. Thread-safety: Add() and size() may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/http.h"
#include "api/internal/api_impl.h"
#include "core/clock.h"
#include "core/mutex.h"
#include "storage/storage.h"

namespace strix::api {

struct LiveOptions {
  int64_t poll_interval_ms = 1'000;
  int64_t heartbeat_ms = 15'000;
  size_t max_streams = 1'000;
  // Streams one user or token may hold open at once.
  size_t max_streams_per_principal = 16;
  // An event holds series until about this many bytes; more makes several events.
  size_t max_event_bytes = 256 << 10;
  // A subscriber that is further behind than this many steps (or, raw, this much time)
  // gets only the newest part.
  int64_t max_catch_up_steps = 1'000;
  int64_t max_catch_up_raw_ms = 3'600'000;
};

struct LiveSubscription {
  std::vector<storage::Matchers> sets;
  storage::SelectRequest req;  // step_ms, fn, with_min_max, max_series
  // Set: counters (counter32, counter64, derive, absolute) are consolidated with this
  // function instead of req.fn, so one stream serves a page of gauges and rates.
  std::optional<storage::Consolidation> counter_fn;
  int64_t since_ms = 0;  // points after this (with a step: from its bucket on)
  // Who opened it ("session:<id>", "token:<id>"), for the per-principal limit.
  std::string principal;
  // Checked at every heartbeat: false (logged out, revoked, expired) ends the stream.
  std::function<bool()> still_allowed;
};

class LiveHub {
 public:
  using SelectFn = std::function<Result<SelectedSeries>(const std::vector<storage::Matchers>&,
                                                        storage::SelectRequest)>;
  LiveHub(storage::Storage* storage, Clock* clock, SelectFn select, LiveOptions options = {});
  // Stops the thread and closes every stream.
  ~LiveHub();
  LiveHub(const LiveHub&) = delete;
  LiveHub& operator=(const LiveHub&) = delete;

  // Starts serving `sub` on `writer`; false (nothing written) when max_streams, or
  // max_streams_per_principal of its principal, are open.
  bool Add(std::shared_ptr<StreamWriter> writer, LiveSubscription sub) STRIX_EXCLUDES(mu_);
  size_t size() const STRIX_EXCLUDES(mu_);
  size_t size_of(const std::string& principal) const STRIX_EXCLUDES(mu_);
  const LiveOptions& options() const { return opt_; }

 private:
  struct Sub {
    std::shared_ptr<StreamWriter> writer;
    LiveSubscription sub;
    // Per series (labels key): the newest point sent, and a hash of its value, min, max
    // and state (with a step, to resend the growing bucket only when it changed).
    std::unordered_map<std::string, std::pair<int64_t, uint64_t>> sent;
    int64_t last_write_ms = 0;
    bool fresh = true;  // not polled yet
  };
  void Run() STRIX_EXCLUDES(mu_);
  // Sends what is new for `s`; false when the stream is closed.
  bool Poll(Sub& s, int64_t now);
  void Release(const Sub& s) STRIX_EXCLUDES(mu_);

  storage::Storage* storage_;
  Clock* clock_;
  SelectFn select_;
  LiveOptions opt_;
  mutable Mutex mu_;
  CondVar cv_;
  bool stopping_ STRIX_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<Sub>> pending_ STRIX_GUARDED_BY(mu_);  // added, not yet polled
  size_t count_ STRIX_GUARDED_BY(mu_) = 0;
  std::unordered_map<std::string, size_t> per_principal_ STRIX_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Sub>> subs_;  // the thread's own
  std::thread thread_;
};

}  // namespace strix::api
