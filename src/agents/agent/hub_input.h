// HubInput: polls a list of spokes each round and forwards their data under each spoke's
// own host identity. A spoke is a pattoo Linux spoke (pattoo's page,
// GET /pattoo-agent-linux/<interval seconds>, spec pattoo.md 1.11) or a strix-agent spoke
// (GET /strix/v1/points, line protocol). docs/wire/agent-spoke.md has both.
//
// Spokes are fetched in parallel (at most kMaxParallel at once), each with its own timeout
// (at most the round's time left): a spoke that does not answer in time, answers garbage
// or an error is a gap for that spoke and a counted failure, never a hang and never zeros.
// A stop request ends the fetches in flight.
//
// Thread-safety: Collect from one thread at a time; counters from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "agents/agent/agent_config.h"
#include "agents/common/input.h"
#include "core/clock.h"

namespace strix::agents {

class HubInput final : public Input {
 public:
  static constexpr size_t kMaxParallel = 16;
  explicit HubInput(HubOptions options, Clock& clock = Clock::Real());
  Status Collect(const CollectContext& ctx, std::vector<Point>* out) override;

  struct Counters {
    uint64_t polls = 0;
    uint64_t failures = 0;    // no answer in time, HTTP error, or an unreadable page
    uint64_t bad_points = 0;  // datapoints or lines skipped inside readable pages
  };
  Counters counters() const;
  // The URL polled for a target (exposed for tests and logs).
  static std::string TargetUrl(const HubTarget& t, int64_t interval_ms);

 private:
  struct TargetState {
    bool failing = false;
  };
  HubOptions options_;
  Clock& clock_;
  std::vector<TargetState> state_;
  std::atomic<uint64_t> polls_{0}, failures_{0}, bad_points_{0};
};

}  // namespace strix::agents
