// Scheduler: runs each input on its own thread, once per interval, at wall-clock
// multiples of the interval shifted by a per-agent offset (so a fleet of agents does not
// fire at the same instant), with a timeout on every run.
//
// A round's points go to the sink with the tick as their time. A run that ends after its
// timeout is counted and its points discarded. A run that overruns its interval does not
// queue the rounds it missed: the next run is at the first tick after it ended, and the
// rounds in between are counted as skipped. Ticks are computed from the wall clock each
// time, so nothing drifts.
//
// Thread-safety: Add before Start; Stats from any thread; Start/Stop from one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "agents/common/input.h"
#include "core/clock.h"

namespace strix::agents {

// The per-agent phase of an interval: a stable hash of the agent id, modulo the interval.
int64_t ScheduleOffset(std::string_view agent_id, int64_t interval_ms);
// The first tick strictly after now: t > now with t = k * interval + offset.
int64_t NextTick(int64_t now_ms, int64_t interval_ms, int64_t offset_ms);

struct InputRunStats {
  std::atomic<uint64_t> runs{0};      // rounds started
  std::atomic<uint64_t> failures{0};  // rounds whose Collect returned an error
  std::atomic<uint64_t> timeouts{0};  // rounds that ended after their timeout (points dropped)
  std::atomic<uint64_t> skipped{0};   // ticks missed because a run overran its interval
  std::atomic<int64_t> last_duration_ms{-1};
  std::atomic<uint64_t> last_points{0};
};

struct ScheduledInput {
  std::string name;
  int64_t interval_ms = 0;
  int64_t timeout_ms = 0;
  std::unique_ptr<Input> input;
  InputRunStats stats;
};

class Scheduler {
 public:
  // Called from the input's thread after each good round.
  using Sink = std::function<void(const ScheduledInput&, int64_t tick_ms, std::vector<Point>&)>;

  Scheduler(Clock& clock, std::string agent_id, Sink sink);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Returns the entry (stable address) so its stats can be read later.
  ScheduledInput* Add(std::string name, int64_t interval_ms, int64_t timeout_ms,
                      std::unique_ptr<Input> input);
  void Start();
  // Asks every input thread to stop (their CollectContext::stop fires) and joins them.
  void Stop();

  const std::vector<std::unique_ptr<ScheduledInput>>& inputs() const { return inputs_; }

 private:
  void Loop(std::stop_token stop, ScheduledInput* in);

  Clock& clock_;
  const std::string agent_id_;
  Sink sink_;
  std::vector<std::unique_ptr<ScheduledInput>> inputs_;
  std::vector<std::jthread> threads_;
};

}  // namespace strix::agents
