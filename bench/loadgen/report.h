// The figures of one strix-loadgen run and their two renderings: a human summary and a
// JSON document (every figure, for issue 5's tables). Derived figures (samples per
// second, CPU seconds per million samples, latency quantiles) are computed here, once,
// so both renderings agree.
//
// Thread-safety: a Report is a value; the functions are pure.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "bench/loadgen/options.h"
#include "bench/loadgen/payload.h"
#include "bench/loadgen/procfs.h"
#include "bench/loadgen/sender.h"

namespace strix::bench {

struct TargetFigures {
  pid_t pid = 0;
  ProcessCpu cpu_before, cpu_after;
  std::optional<ProcessCpu> cpu_settled;  // read cpu_settle_ms after the last answer
  int64_t cpu_settle_ms = 0;
  ProcessMemory memory_after;
};

struct Report {
  std::string name;
  std::string format;  // "line-protocol", "pattoo" or "remote-write"
  std::string url;     // scheme, host, port and target as sent ({agent_id} left in)
  WorkloadOptions workload;
  int64_t points = 0;
  uint64_t series = 0;
  uint64_t workload_samples = 0;
  PayloadOptions payload;
  PayloadTotals totals;
  double build_seconds = 0;  // building the payloads (before the clock)

  bool sent = false;  // false for --dry-run
  int connections = 0;
  SendResult send;
  std::optional<TargetFigures> target;
  ProcessCpu self_cpu;  // the load generator's CPU during the run
  std::optional<LoadAverage> load_before, load_after;
  std::optional<double> machine_busy_seconds;  // all CPUs busy during the run
};

// Builds the report's fixed part from the options and payloads.
Report MakeReport(const LoadgenOptions& options, const Workload& workload,
                  const std::vector<Payload>& payloads, double build_seconds);

// The human summary, several lines, each ending in '\n'.
std::string FormatSummary(const Report& r);
// The JSON document (one object, ending in '\n').
std::string FormatJson(const Report& r);

}  // namespace strix::bench
