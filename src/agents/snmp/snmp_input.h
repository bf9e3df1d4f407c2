// SnmpInput: the strix-agent input that polls SNMP agents (docs/agents/snmp.md). Each
// round it polls every (group, target) at once through the Poller (snmp_poller.h) and
// appends, per target, one point with the scalars (tag `target`) and one point per row
// index of the walked columns (tags `target` and `index`, e.g. "3" or "1.4.192.0.2.1");
// measurement `snmp` or the group's own, one field per configured OID name.
//
// Failures are gaps, never zeros. A target that fails (timeout, auth, deadline) gives no
// point; an OID the agent does not have (noSuchObject/noSuchInstance, or noSuchName in
// v1) or whose value cannot be represented is absent from its point. Each failure is
// counted (counters()) and logged once per kind and target (STRIX_LOG warn, with the
// reason: "no answer — wrong community or unreachable", "authentication failure for user
// 'x': wrong auth password ...") until the target has a clean round, which logs
// "recovered" once. An absent OID is logged once per OID and target.
//
// Thread-safety: Collect is called from one thread at a time (the Input contract);
// counters() may be called from any thread at any time.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agents/common/input.h"
#include "agents/snmp/snmp_config.h"
#include "agents/snmp/snmp_poller.h"

namespace strix::agents::snmp {

struct SnmpCounters {
  uint64_t rounds = 0;        // Collect calls
  uint64_t requests = 0;      // PDUs sent (not counting net-snmp's retransmissions)
  uint64_t targets_ok = 0;    // target polls that answered
  uint64_t timeouts = 0;      // target polls with no answer
  uint64_t auth_errors = 0;   // v3 REPORTs (unknown user, wrong password, ...)
  uint64_t other_errors = 0;  // unresolvable names, protocol errors, send failures
  uint64_t deadline = 0;      // target polls cut by the round's deadline (or stop)
  uint64_t partial = 0;       // failed target polls (timeout, deadline) whose answers so far
                              // were sent
  uint64_t varbinds = 0;      // varbinds received
  uint64_t gaps = 0;          // values absent from a point (absent OID, not representable)
  uint64_t points = 0;        // points appended
};

class SnmpInput final : public Input {
 public:
  // `input_name` names the input in logs ("switches").
  SnmpInput(SnmpOptions options, std::string input_name);
  ~SnmpInput() override;
  SnmpInput(const SnmpInput&) = delete;
  SnmpInput& operator=(const SnmpInput&) = delete;

  // Polls every target. OK whatever the agents did (failures are gaps and counts);
  // Cancelled when ctx.stop was requested; DeadlineExceeded when some target was cut by
  // the deadline. A target that timed out or was cut by the deadline after answering
  // some requests gives what it answered (the rest are gaps).
  Status Collect(const CollectContext& ctx, std::vector<Point>* out) override;

  SnmpCounters counters() const;

 private:
  struct Job;

  const SnmpOptions options_;
  const std::string name_;
  Poller poller_;
  std::vector<Job> jobs_;
  std::vector<PollRequest> requests_;
  std::vector<PollResult> results_;

  std::atomic<uint64_t> rounds_{0}, requests_n_{0}, targets_ok_{0}, timeouts_{0}, auth_errors_{0},
      other_errors_{0}, deadline_{0}, partial_{0}, varbinds_{0}, gaps_{0}, points_{0};
};

}  // namespace strix::agents::snmp
