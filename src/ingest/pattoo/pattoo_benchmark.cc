// pattoo agent post parsing throughput, in datapoints per second. Run:
//   build/release/src/ingest/pattoo/pattoo_benchmark
// BM_ParseAgentPost: a post shaped like pattoo_agent_linux_autonomousd's (spec 5.1): the
// six common metadata pairs on every datapoint, then per-disk, per-NIC or no extra
// metadata; FLOAT cpu percentages, INT memory figures, COUNTER64 disk/network counters
// (integers up to 2^48, and cumulative CPU seconds as floats); a distinct SHA-256 checksum
// and a creation timestamp per datapoint; pairs de-duplicated as PattooShared does.
// BM_ParseSnmpPost: pattoo_agent_snmpd-like, whose keys are OIDs (".1.3.6.1.2.1.2.2.1.10")
// that must be sanitised, so every name takes the copying path.
// One reused parser, a batch cleared and reused between iterations.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/check.h"
#include "ingest/pattoo/pattoo.h"
#include "storage/write_batch.h"

namespace strix::ingest {
namespace {

using Dp = std::vector<std::pair<std::string, std::string>>;  // key, raw JSON value

std::string Hex64(std::mt19937_64& rng) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 64; ++i) s.push_back(kHex[rng() % 16]);
  return s;
}

std::string Encode(const std::vector<Dp>& dps, const std::string& agent_id) {
  std::map<std::pair<std::string, std::string>, size_t> ids;
  std::string kvp;
  std::string dpp;
  for (const Dp& d : dps) {
    dpp += dpp.empty() ? "[" : ", [";
    for (size_t k = 0; k < d.size(); ++k) {
      auto [it, inserted] = ids.emplace(d[k], ids.size());
      if (inserted) {
        if (!kvp.empty()) kvp += ", ";
        kvp +=
            "\"" + std::to_string(it->second) + "\": [\"" + d[k].first + "\", " + d[k].second + "]";
      }
      dpp += (k ? ", " : "") + std::to_string(it->second);
    }
    dpp += "]";
  }
  return "{\"pattoo_agent_timestamp\": 1700000000000, \"pattoo_agent_id\": \"" + agent_id +
         "\", \"pattoo_agent_polling_interval\": 300000, \"pattoo_datapoints\": "
         "{\"key_value_pairs\": {" +
         kvp + "}, \"datapoint_pairs\": [" + dpp + "]}}";
}

std::string LinuxPost(int datapoints) {
  std::mt19937_64 rng(7);
  const std::string agent_id = Hex64(rng);
  const Dp common = {{"release", "\"6.1.0-18-amd64\""},
                     {"version", "\"#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)\""},
                     {"processor", "\"x86_64\""},
                     {"type", "\"Linux\""},
                     {"cpus", "\"16\""},
                     {"hostname", "\"web-07.dc1.example.org\""}};
  const Dp agent = {{"pattoo_agent_polling_interval", "\"300000\""},
                    {"pattoo_agent_hostname", "\"web-07.dc1.example.org\""},
                    {"pattoo_agent_id", "\"" + agent_id + "\""},
                    {"pattoo_agent_polled_target", "\"web-07.dc1.example.org\""},
                    {"pattoo_agent_program", "\"pattoo_agent_linux_autonomousd\""}};
  std::vector<Dp> dps;
  int64_t ts = 1'700'000'000'000;
  for (int i = 0; i < datapoints; ++i) {
    Dp d = common;
    std::string key;
    std::string type;
    std::string value;
    switch (i % 10) {
      case 0:
      case 1:
      case 2:  // 30% cpu percentages
        key = "cpu_times_percent_field" + std::to_string(i % 97);
        type = "101";
        value = std::to_string(static_cast<double>(rng() % 10000) / 100.0);
        break;
      case 3:
      case 4:  // 20% memory
        key = "memory_field" + std::to_string(i % 89);
        type = "99";
        value = std::to_string(rng() % 64'000'000'000);
        break;
      case 5:
      case 6:  // 20% disk counters
        key = "disk_io_field" + std::to_string(i % 9);
        d.emplace_back("disk_partition", "\"nvme" + std::to_string(i % 83) + "n1\"");
        type = "64";
        value = std::to_string(rng() % (uint64_t{1} << 48));
        break;
      case 7:
      case 8:  // 20% network counters
        key = "network_io_field" + std::to_string(i % 8);
        d.emplace_back("network_io_interface", "\"eth" + std::to_string(i % 79) + "\"");
        type = "64";
        value = std::to_string(rng() % (uint64_t{1} << 48));
        break;
      default:  // 10% cumulative cpu seconds
        key = "cpu_times_field" + std::to_string(i % 101);
        type = "64";
        value = std::to_string(static_cast<double>(rng() % 100'000'000) / 100.0);
    }
    d.insert(d.end(), agent.begin(), agent.end());
    d.emplace_back("pattoo_key", "\"" + key + "\"");
    d.emplace_back("pattoo_data_type", type);
    d.emplace_back("pattoo_value", value);
    d.emplace_back("pattoo_timestamp", std::to_string(ts + i / 50));
    d.emplace_back("pattoo_checksum", "\"" + Hex64(rng) + "\"");
    dps.push_back(std::move(d));
  }
  return Encode(dps, agent_id);
}

std::string SnmpPost(int datapoints) {
  std::mt19937_64 rng(11);
  const std::string agent_id = Hex64(rng);
  const Dp agent = {{"pattoo_agent_polling_interval", "\"300000\""},
                    {"pattoo_agent_hostname", "\"poller-1.example.org\""},
                    {"pattoo_agent_id", "\"" + agent_id + "\""},
                    {"pattoo_agent_polled_target", "\"core-sw-3.example.org\""},
                    {"pattoo_agent_program", "\"pattoo_agent_snmpd\""}};
  std::vector<Dp> dps;
  for (int i = 0; i < datapoints; ++i) {
    const int column = 10 + i % 12;
    const int index = 1 + i / 12;
    const std::string oid = ".1.3.6.1.2.1.2.2.1." + std::to_string(column);
    Dp d = {{"oid", "\"" + oid + "." + std::to_string(index) + "\""}};
    d.insert(d.end(), agent.begin(), agent.end());
    d.emplace_back("pattoo_key", "\"" + oid + "\"");
    d.emplace_back("pattoo_data_type", "32");
    d.emplace_back("pattoo_value", std::to_string(rng() % (uint64_t{1} << 32)) + ".0");
    d.emplace_back("pattoo_timestamp", std::to_string(1'700'000'000'000 + i / 100));
    d.emplace_back("pattoo_checksum", "\"" + Hex64(rng) + "\"");
    dps.push_back(std::move(d));
  }
  return Encode(dps, agent_id);
}

void Run(benchmark::State& state, const std::string& body, int datapoints) {
  PattooParser parser;
  storage::WriteBatch batch;
  PattooParseStats stats;
  for (auto _ : state) {
    batch.Clear();
    Status s = parser.Parse(body, "agent", &batch, &stats);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(batch);
  }
  STRIX_CHECK(stats.samples == static_cast<uint64_t>(datapoints));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * datapoints);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["body_bytes_per_datapoint"] =
      static_cast<double>(body.size()) / static_cast<double>(datapoints);
}

void BM_ParseAgentPost(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Run(state, LinuxPost(n), n);
}
BENCHMARK(BM_ParseAgentPost)->Arg(500)->Arg(5000);

void BM_ParseSnmpPost(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Run(state, SnmpPost(n), n);
}
BENCHMARK(BM_ParseSnmpPost)->Arg(5000);

}  // namespace
}  // namespace strix::ingest

BENCHMARK_MAIN();
