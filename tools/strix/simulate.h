// strix simulate: fills a running strixd with deterministic test data through its public
// HTTP API only (POST /write in line protocol, POST /update_tags), as the Python system's
// simulator.py did through its database (spec A12). Simulator computes every value as a
// pure function of (seed, host, series, timestamp) and the run's grid (its step and first
// timestamp), so unit tests, integration tests and browser tests can compute what strixd
// must answer. docs/simulate.md has the formulas and the series list.
//
// Thread-safety: Simulator is immutable once made; its methods may be called from any
// thread. Simulate() starts its own sender threads and joins them before it returns.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace strix::tools {

enum class SimKind : uint8_t {
  kGauge,    // a float field: strixd stores a gauge
  kCounter,  // an unsigned field (`123u`): strixd stores a counter64
};

// One series of every simulated host. `key` is its selector without the host label, e.g.
// linux_cpu_time_ms{cpu="total",mode="user"} (label names sorted). On the wire it is the
// line protocol field `field` of measurement `measurement` with the tags `tags` (already
// escaped, each with its leading comma) plus host=<name>.
struct SimSeries {
  std::string_view key;
  std::string_view measurement;
  std::string_view tags;
  std::string_view field;
  SimKind kind;
};

// Every host's series, in a fixed order (docs/simulate.md, "Series").
std::span<const SimSeries> SimulatedSeries();
// The index of `key` in SimulatedSeries(), or -1.
int FindSimSeries(std::string_view key);

// The parameters that decide every sample (the host names and tags do not).
struct SimulationSpec {
  uint64_t seed = 1;
  // Length of the run: samples start at end_ms - days * 86,400,000 (rounded up to the
  // step's grid). More than 0; fractions allowed.
  double days = 7;
  // Samples per hour, 1 to 3600: the step is floor(3,600,000 / per_hour) ms.
  int per_hour = 60;
  // The run ends before this time (exclusive), after alignment down to the step.
  int64_t end_ms = 0;
};

class Simulator {
 public:
  // InvalidArgument when a field is out of range or the run would hold no sample.
  static Result<Simulator> Make(const SimulationSpec& spec);

  uint64_t seed() const { return seed_; }
  int64_t step_ms() const { return step_ms_; }
  // The first timestamp: the start of the run, for the elapsed days of the A12 formulas.
  int64_t first_ms() const { return first_ms_; }
  // The end (exclusive), a multiple of the step.
  int64_t end_ms() const { return end_ms_; }
  // Samples per series: (end - first) / step.
  int64_t samples_per_series() const { return (end_ms_ - first_ms_) / step_ms_; }

  // The value of SimulatedSeries()[series] for host index `host` at ts_ms. Defined for any
  // timestamp; the run writes the multiples of the step in [first_ms, end_ms). Counters
  // are monotonic along that grid. Gauge() of a counter and Counter() of a gauge are 0.
  double Gauge(int host, int series, int64_t ts_ms) const;
  uint64_t Counter(int host, int series, int64_t ts_ms) const;
  // Either kind as a double (counters are exact: they stay far below 2^53).
  double Value(int host, int series, int64_t ts_ms) const;

  // The A12 base U(20, 60) of one of the Python system's gauges (cpu_usage, memory_usage,
  // disk_usage, network_in, network_out) for a host; NaN for another name.
  double Base(int host, std::string_view metric) const;

 private:
  Simulator(uint64_t seed, int64_t step_ms, int64_t first_ms, int64_t end_ms)
      : seed_(seed), step_ms_(step_ms), first_ms_(first_ms), end_ms_(end_ms) {}
  double A12(int host, int series, int64_t ts_ms) const;

  uint64_t seed_;
  int64_t step_ms_;
  int64_t first_ms_;
  int64_t end_ms_;
};

// The value of the series named `key` (see SimSeries::key), or NaN when the spec is
// invalid or the key unknown. The same as Simulator::Make(spec)->Value(...).
double SimulatedValue(const SimulationSpec& spec, int host, std::string_view key, int64_t ts_ms);

// The host name of host index `i`: prefix + i.
std::string SimHostName(std::string_view prefix, int i);

// The command line of `strix simulate`.
struct SimulateOptions {
  std::string url = "http://127.0.0.1:8888";
  std::string token;       // --token; else --token-file; else $STRIX_TOKEN
  std::string token_file;  // first line of the file
  int hosts = 5;
  double days = 7;
  int per_hour = 60;
  uint64_t seed = 1;
  int64_t end_s = -1;  // -1: now
  std::string prefix = "host_";
  int connections = 2;     // requests in flight
  double body_mib = 16;    // uncompressed line protocol per request (gzipped on the wire)
  double timeout_s = 120;  // per request
};

// Runs the command: 0 when every sample was stored and every host tagged; 1 with a message
// on standard error otherwise (the server's error body included); 2 on a bad option.
int Simulate(const SimulateOptions& opts);

}  // namespace strix::tools
