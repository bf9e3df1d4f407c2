// Poller throughput (BM_PollRound): one polling round of T targets x 20 OIDs (7 system scalars and
// 13 fixed values from snmpd.conf `override` lines, one GET PDU per target) against 10 local Debian
// snmpd processes, the targets spread over them (1,000 targets = 100 target entries per snmpd). v2c
// and v3 authPriv (SHA-256 + AES-128). The goal of the issue: 1,000 targets within a 60 s interval
// on a 2-core machine. Reports ms per round (real time), plus targets/s and varbinds/s; a round in
// which any target failed is an error.
//
// make microbench (all Google Benchmarks), or: build/release/src/agents/snmp/snmp_poller_benchmark
// The agents share the machine with the poller, so the figure includes their CPU time.
// BM_IfMibRound: the same for the IF-MIB input (below).
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "agents/snmp/snmp_ifmib.h"
#include "agents/snmp/snmp_poller.h"
#include "agents/snmp/testing/snmpd.h"

namespace strix::agents::snmp {
namespace {

constexpr int kAgents = 10;
constexpr int kFixedValues = 13;

const testing::SnmpdUser& User() {
  static const testing::SnmpdUser u = {"bench", AuthProtocol::kSha256, "bench-auth-pass",
                                       PrivProtocol::kAes128, "bench-priv-pass"};
  return u;
}

// Started once, on first use; killed by their destructors when the program exits.
std::vector<std::unique_ptr<testing::SnmpdProcess>>* Agents(std::string* error) {
  static std::vector<std::unique_ptr<testing::SnmpdProcess>> storage;
  auto* agents = &storage;
  static std::string start_error;
  if (agents->empty() && start_error.empty()) {
    for (int i = 0; i < kAgents; ++i) {
      testing::SnmpdOptions o;
      o.users = {User()};
      for (int k = 1; k <= kFixedValues; ++k) {
        o.extra_config.push_back("override .1.3.6.1.4.1.99999." + std::to_string(k) +
                                 ".0 counter " + std::to_string(1000 * k));
      }
      auto r = testing::SnmpdProcess::Start(std::move(o));
      if (!r.ok()) {
        start_error = r.status().ToString();
        break;
      }
      agents->push_back(std::move(*r));
    }
  }
  *error = start_error;
  return agents;
}

std::vector<Oid> TwentyOids() {
  std::vector<Oid> oids;
  for (uint32_t k : {1, 2, 3, 4, 5, 6, 7}) oids.push_back({1, 3, 6, 1, 2, 1, 1, k, 0});
  for (uint32_t k = 1; k <= kFixedValues; ++k) oids.push_back({1, 3, 6, 1, 4, 1, 99999, k, 0});
  return oids;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void BM_PollRound(benchmark::State& state, bool v3, int targets) {
  std::string error;
  auto* agents = Agents(&error);
  if (!error.empty()) {
    state.SkipWithError(("snmpd: " + error).c_str());
    return;
  }
  std::vector<TargetSpec> specs;
  for (int i = 0; i < targets; ++i) {
    const testing::SnmpdProcess& a = *(*agents)[i % agents->size()];
    specs.push_back(v3 ? a.V3Target(User()) : a.V2cTarget());
    specs.back().timeout_ms = 5'000;
    specs.back().retries = 1;
  }
  const std::vector<Oid> oids = TwentyOids();
  std::vector<PollRequest> reqs(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    reqs[i].target = &specs[i];
    reqs[i].gets = oids;
  }
  Poller poller;
  std::vector<PollResult> out;
  auto round = [&]() -> bool {
    poller.Poll(reqs, NowNs() + 60'000'000'000, std::stop_token(), &out);
    for (const PollResult& r : out) {
      if (r.error != PollError::kNone) {
        state.SkipWithError(("a target failed: " + r.message).c_str());
        return false;
      }
    }
    return true;
  };
  // The first round learns the v3 engine IDs (a discovery request per agent address).
  if (!round()) return;
  for (auto _ : state) {
    if (!round()) return;
  }
  state.counters["targets_per_s"] = benchmark::Counter(
      static_cast<double>(targets) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["varbinds_per_s"] = benchmark::Counter(
      static_cast<double>(targets) * oids.size() * state.iterations(), benchmark::Counter::kIsRate);
}

// The IF-MIB input's round (27 columns walked per target with GETBULK, joined into one
// point per interface) over T v2c targets; the agents' interfaces are the machine's.
void BM_IfMibRound(benchmark::State& state, int targets) {
  std::string error;
  auto* agents = Agents(&error);
  if (!error.empty()) {
    state.SkipWithError(("snmpd: " + error).c_str());
    return;
  }
  SnmpIfMibOptions o;
  for (int i = 0; i < targets; ++i) {
    o.targets.push_back((*agents)[i % agents->size()]->V2cTarget());
    o.targets.back().timeout_ms = 5'000;
    o.targets.back().retries = 1;
  }
  SnmpIfMibInput in(std::move(o), "bench");
  std::vector<Point> out;
  uint64_t points = 0;
  for (auto _ : state) {
    out.clear();
    CollectContext ctx;
    ctx.now_ms = 1'700'000'000'000;
    ctx.interval_ms = 60'000;
    ctx.deadline_mono_ns = NowNs() + 60'000'000'000;
    Status st = in.Collect(ctx, &out);
    if (!st.ok() || in.counters().failures != 0) {
      state.SkipWithError(("round failed: " + st.ToString()).c_str());
      return;
    }
    points += out.size();
  }
  state.counters["targets_per_s"] = benchmark::Counter(
      static_cast<double>(targets) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["interfaces_per_round"] =
      static_cast<double>(points) / static_cast<double>(state.iterations());
}

[[maybe_unused]] const bool kRegistered = [] {
  for (int targets : {10, 1000}) {
    const std::string name = "BM_IfMibRound/v2c/" + std::to_string(targets);
    benchmark::RegisterBenchmark(name.c_str(), BM_IfMibRound, targets)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  for (bool v3 : {false, true}) {
    for (int targets : {10, 1000}) {
      const std::string name =
          std::string("BM_PollRound/") + (v3 ? "v3" : "v2c") + "/" + std::to_string(targets);
      benchmark::RegisterBenchmark(name.c_str(), BM_PollRound, v3, targets)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  return true;
}();

}  // namespace
}  // namespace strix::agents::snmp

BENCHMARK_MAIN();
