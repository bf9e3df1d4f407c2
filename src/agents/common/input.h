// Input: one source of points in strix-agent (linux, script, hub, later SNMP, Modbus,
// ...). The scheduler (agent/scheduler.h) calls Collect on the input's own thread once per
// interval, aligned to wall-clock multiples.
//
// Rules every input keeps:
//  - A value that cannot be read is absent (a gap), never 0. Problems are counted and
//    logged once per kind, not once per round.
//  - Collect returns by the context's deadline. Blocking calls use the time left as their
//    timeout; child processes are killed when it passes. A run that ends late is counted
//    by the scheduler and its points are discarded.
//  - Counters are sent as counters (ValueKind::kCounter), never as pre-computed rates.
//
// Thread-safety: Collect is called from one thread at a time.
#pragma once

#include <cstdint>
#include <stop_token>
#include <string>
#include <vector>

#include "agents/common/point.h"
#include "core/status.h"

namespace strix::agents {

struct CollectContext {
  int64_t now_ms = 0;            // the round's timestamp (the aligned tick), ms since epoch
  int64_t deadline_mono_ns = 0;  // Clock::MonotonicNanos() by which Collect must return
  int64_t interval_ms = 0;       // the input's interval
  std::stop_token stop;          // set when the agent shuts down: return promptly
};

class Input {
 public:
  virtual ~Input() = default;
  // Appends this round's points to `out`. Every point's timestamp_ms should be ctx.now_ms
  // unless the source carries its own time (a script printing timestamps, a spoke page).
  // A non-OK status means the whole round failed (a gap); partial data may still be in
  // `out` and is sent.
  virtual Status Collect(const CollectContext& ctx, std::vector<Point>* out) = 0;
};

}  // namespace strix::agents
