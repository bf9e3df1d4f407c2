// Request bodies for a Workload, built in full before any clock starts: InfluxDB line
// protocol (POST /write), pattoo agent posts (POST /pattoo/api/v1/agent/receive/<id>),
// optionally gzipped, and Prometheus remote write (POST /api/v1/write, snappy-compressed
// protobuf; remote_write.h). Shared by strix-loadgen and the side-by-side benchmark
// (issue 5).
//
// Line protocol: one line per Row (one host's ten fields at one time), in the workload's
// time order, `batch_lines` lines per body, the Telegraf shape:
//
//   node,host=host-00000 cpu_user=23.5,...,mem_used=1849344000i,net_rx_bytes=77911u,... 1700000000
//
// Fields: two-decimal values are floats in Go's shortest form (12, 12.3, 12.34, as
// Telegraf writes them), byte gauges and constants are `i` integers, counters `u` (or `i`
// with int_counters, for servers such as InfluxDB 1.x that reject `u`).
// The timestamp is in the chosen precision (the `precision` URL parameter must match).
//
// pattoo: the hosts are polled by agents of `pattoo_targets` hosts each (agent k polls
// hosts k*T .. k*T+T-1); one body is one agent's poll at one point, as pattoo-shared 0.0.98
// builds it (pattoo.md §1.2-1.5): the four top-level keys, key_value_pairs de-duplicated in
// first-seen order, datapoint pairs in PattooShared's order, real sha256 checksums, and
// Python's json.dumps separators (", " and ": "). Data types: walks and spiky series are
// FLOAT (101), byte gauges and constants INT (99), counters COUNTER64 (64).
//
// Thread-safety: pure functions; Payload is a value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/loadgen/workload.h"
#include "core/result.h"
#include "core/status.h"

namespace strix::bench {

enum class Format : uint8_t { kLineProtocol, kPattoo, kRemoteWrite };
// "lp" (or "line-protocol", "influx"), "pattoo" and "remote-write" (or "prw").
Result<Format> ParseFormat(std::string_view name);
std::string_view FormatName(Format f);  // "line-protocol", "pattoo", "remote-write"

// Unit of line-protocol timestamps, and the value of the `precision` URL parameter.
enum class TimePrecision : uint8_t { kSeconds, kMilliseconds, kNanoseconds };
// "s", "ms", "ns"; anything else is InvalidArgument. (Sub-second precisions write the
// same instants: every workload timestamp is a whole number of milliseconds, and with
// "s" the interval and start should be whole seconds, or times are truncated.)
Result<TimePrecision> ParseTimePrecision(std::string_view name);
std::string_view TimePrecisionName(TimePrecision p);

// pattoo data type codes (pattoo.md §1.6).
inline constexpr int kPattooFloat = 101;
inline constexpr int kPattooInt = 99;
inline constexpr int kPattooCounter64 = 64;
int PattooDataType(const MetricSpec& m);

struct PayloadOptions {
  Format format = Format::kLineProtocol;
  // Line protocol and remote write: lines (rows) per body; the last body may hold fewer.
  int batch_lines = 5000;
  // Line protocol: unit of the timestamps.
  TimePrecision precision = TimePrecision::kSeconds;
  // Line protocol: the measurement; series are named <measurement>_<field> by Strix and
  // VictoriaMetrics, and remote write sends them under that name.
  std::string measurement = "node";
  // Line protocol: write the counters (ValueType::kUnsigned) as `i` integers instead of
  // `u`, for InfluxDB 1.x, which rejects `u`. The values are the same (they fit in int64).
  bool int_counters = false;
  // pattoo: hosts (polled targets) per agent, so datapoints per post = 10 x this.
  int pattoo_targets = 100;
  // pattoo: the agent program name (pattoo_agent_program).
  std::string pattoo_program = "pattoo_agent_strix_loadgen";
  // Gzip every body (sent with Content-Encoding: gzip). Not with remote write, whose
  // bodies are always snappy-compressed.
  bool gzip = false;

  Status Validate() const;
};

struct Payload {
  std::string body;        // as sent: gzipped when PayloadOptions::gzip; remote write: snappy
  std::string agent_id;    // pattoo: the posting agent's id (the URL's {agent_id}); else ""
  uint64_t samples = 0;    // samples in the body
  uint64_t lines = 0;      // line protocol and remote write: rows; pattoo: datapoints
  uint64_t raw_bytes = 0;  // body size before gzip (remote write: the protobuf before snappy)
};

// How the bodies of a format and options are compressed on the wire: "none", "gzip" or
// "snappy" (remote write).
std::string_view CompressionName(const PayloadOptions& options);

struct PayloadTotals {
  uint64_t payloads = 0, samples = 0, lines = 0, raw_bytes = 0, body_bytes = 0;
};
PayloadTotals Totals(const std::vector<Payload>& payloads);

// Every body of the workload, in send order.
Result<std::vector<Payload>> BuildPayloads(const Workload& workload, const PayloadOptions& options);

// Pieces, exposed for tests and for other benchmark drivers.

// Appends one line (with its '\n') for `row`.
void AppendLineProtocol(const Row& row, const PayloadOptions& options, std::string* out);
// The text of one value as the line protocol writes it, without a type suffix: two
// decimals in the shortest form ("23.11", "12", "12.3"), integers in decimal.
std::string ValueText(const SampleValue& v);
// Appends ValueText(v).
void AppendValueText(const SampleValue& v, std::string* out);
// Two-decimal value given in hundredths, Go/Telegraf style: 1200 -> "12", 1230 -> "12.3",
// 1234 -> "12.34", -5 -> "-0.05".
void AppendFixed2Shortest(int64_t hundredths, std::string* out);
// Same value as Python's float repr: 1200 -> "12.0", 1230 -> "12.3", 1234 -> "12.34".
void AppendFixed2Python(int64_t hundredths, std::string* out);

// The agent id of agent k: sha256 hex of "strix-loadgen seed=<seed> agent=<k>".
std::string PattooAgentId(uint64_t seed, int agent);
// "loadgen-agent-00003": the pattoo_agent_hostname of agent k.
std::string PattooAgentHostname(int agent);
// pattoo_checksum as pattoo-shared computes it (pattoo.md §1.5): sha256 of key + data type,
// then chained over each checksum-relevant metadata pair in order (agent-supplied metadata
// first, then pattoo_agent_hostname, _id, _polled_target, _program).
std::string PattooChecksum(std::string_view key, int data_type,
                           const std::vector<std::pair<std::string, std::string>>& metadata);

// gzip (RFC 1952) of data at zlib's default level.
Result<std::string> Gzip(std::string_view data);

}  // namespace strix::bench
