// The agent's scheduler (see scheduler.h).
#include "agents/agent/scheduler.h"

#include <condition_variable>
#include <mutex>

#include "core/log.h"

namespace strix::agents {

int64_t ScheduleOffset(std::string_view agent_id, int64_t interval_ms) {
  if (interval_ms <= 0) return 0;
  // FNV-1a: stable across builds and platforms, unlike std::hash.
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : agent_id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<int64_t>(h % static_cast<uint64_t>(interval_ms));
}

int64_t NextTick(int64_t now_ms, int64_t interval_ms, int64_t offset_ms) {
  int64_t base = now_ms - offset_ms;
  int64_t k = base >= 0 ? base / interval_ms : -((-base + interval_ms - 1) / interval_ms);
  int64_t t = k * interval_ms + offset_ms;
  while (t <= now_ms) t += interval_ms;
  return t;
}

Scheduler::Scheduler(Clock& clock, std::string agent_id, Sink sink)
    : clock_(clock), agent_id_(std::move(agent_id)), sink_(std::move(sink)) {}

Scheduler::~Scheduler() { Stop(); }

ScheduledInput* Scheduler::Add(std::string name, int64_t interval_ms, int64_t timeout_ms,
                               std::unique_ptr<Input> input) {
  auto in = std::make_unique<ScheduledInput>();
  in->name = std::move(name);
  in->interval_ms = interval_ms;
  in->timeout_ms = timeout_ms;
  in->input = std::move(input);
  inputs_.push_back(std::move(in));
  return inputs_.back().get();
}

void Scheduler::Start() {
  for (auto& in : inputs_) {
    ScheduledInput* p = in.get();
    threads_.emplace_back([this, p](std::stop_token st) { Loop(st, p); });
  }
}

void Scheduler::Stop() {
  for (auto& t : threads_) t.request_stop();
  threads_.clear();  // jthread joins
}

void Scheduler::Loop(std::stop_token stop, ScheduledInput* in) {
  std::mutex mu;
  std::condition_variable_any cv;
  const int64_t offset = ScheduleOffset(agent_id_ + "/" + in->name, in->interval_ms);
  int64_t tick = NextTick(clock_.NowMillis(), in->interval_ms, offset);
  bool failing = false;
  std::vector<Point> points;
  while (!stop.stop_requested()) {
    // Sleep until the tick (wall clock). Re-check: the wall clock may be stepped.
    for (;;) {
      const int64_t now = clock_.NowMillis();
      int64_t wait = tick - now;
      if (wait <= 0 || stop.stop_requested()) break;
      if (wait > in->interval_ms) {
        // The wall clock went back: waiting for the old tick would stall this input for as
        // long as the step. Take the next tick of the new time instead.
        STRIX_LOG(kWarn, "agent: wall clock stepped back; rescheduling", "input", in->name,
                  "step_ms", wait - in->interval_ms);
        tick = NextTick(now, in->interval_ms, offset);
        continue;
      }
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, stop, std::chrono::milliseconds(wait), [] { return false; });
    }
    if (stop.stop_requested()) break;
    CollectContext ctx;
    ctx.now_ms = tick;
    ctx.interval_ms = in->interval_ms;
    ctx.stop = stop;
    const int64_t start = clock_.MonotonicNanos();
    ctx.deadline_mono_ns = start + in->timeout_ms * 1'000'000;
    points.clear();
    in->stats.runs.fetch_add(1, std::memory_order_relaxed);
    Status st = in->input->Collect(ctx, &points);
    const int64_t took_ms = (clock_.MonotonicNanos() - start) / 1'000'000;
    in->stats.last_duration_ms.store(took_ms, std::memory_order_relaxed);
    if (stop.stop_requested() && !st.ok()) break;  // interrupted by shutdown: not a failure
    if (took_ms > in->timeout_ms) {
      in->stats.timeouts.fetch_add(1, std::memory_order_relaxed);
      STRIX_LOG(kWarn, "agent: input run exceeded its timeout; its points are dropped", "input",
                in->name, "took_ms", took_ms, "timeout_ms", in->timeout_ms);
      points.clear();
    }
    if (!st.ok()) {
      in->stats.failures.fetch_add(1, std::memory_order_relaxed);
      if (!failing) {
        STRIX_LOG(kWarn, "agent: input failed (logged once until it recovers)", "input", in->name,
                  "error", st.ToString());
      }
      failing = true;
    } else if (failing) {
      STRIX_LOG(kInfo, "agent: input recovered", "input", in->name);
      failing = false;
    }
    in->stats.last_points.store(points.size(), std::memory_order_relaxed);
    if (!points.empty()) sink_(*in, tick, points);
    const int64_t next = NextTick(clock_.NowMillis(), in->interval_ms, offset);
    const int64_t missed = (next - tick) / in->interval_ms - 1;
    if (missed > 0) {
      in->stats.skipped.fetch_add(static_cast<uint64_t>(missed), std::memory_order_relaxed);
      STRIX_LOG(kWarn, "agent: input overran its interval; rounds skipped", "input", in->name,
                "skipped", missed, "took_ms", took_ms);
    }
    tick = next;
  }
}

}  // namespace strix::agents
