// Prometheus remote write 1.0 bodies for a Workload: a `prometheus.WriteRequest` protobuf,
// encoded here by hand (no libprotobuf), compressed with snappy's block format (libsnappy),
// POSTed with Content-Encoding: snappy, Content-Type: application/x-protobuf and
// X-Prometheus-Remote-Write-Version: 0.1.0. Built in full before any clock starts, like the
// other formats (payload.h), and shared by strix-loadgen and the side-by-side benchmark.
//
// The messages (prompb/types.proto, remote.proto), as written here:
//
//   WriteRequest { repeated TimeSeries timeseries = 1; }                  tag 0x0a, length
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }  0x0a / 0x12
//   Label        { string name = 1; string value = 2; }                   0x0a / 0x12
//   Sample       { double value = 1; int64 timestamp = 2; }               0x09 / 0x10
//
// A double is 8 bytes little-endian (wire type 1); an int64 is a plain varint of its two's
// complement (not zigzag), so a negative timestamp takes ten bytes. Field 3 of
// WriteRequest (metadata) is not sent.
//
// Batching is the line protocol's: a body carries `batch_lines` rows (a row is one host's
// ten values at one point), so a body has the same samples as the line-protocol body of the
// same index. Inside a body the rows are grouped by host (ascending), and each of the
// host's ten metrics becomes one TimeSeries whose samples are in time order. The line
// `node,host=host-00000 cpu_user=23.11,...` becomes the series
// {__name__="node_cpu_user", host="host-00000"}: labels sorted by name, as Prometheus
// requires. Values are doubles: two-decimal values are hundredths / 100.0 (the double
// nearest to their text), integers and counters (below 2^53) are exact.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bench/loadgen/payload.h"
#include "bench/loadgen/workload.h"
#include "core/result.h"

namespace strix::bench {

// The request headers a remote-write body needs besides Content-Length.
inline constexpr std::string_view kRemoteWriteContentType = "application/x-protobuf";
inline constexpr std::string_view kRemoteWriteContentEncoding = "snappy";
inline constexpr std::string_view kRemoteWriteVersionHeader =
    "X-Prometheus-Remote-Write-Version: 0.1.0";
// The receiver's path when the URL has none (Prometheus, VictoriaMetrics).
inline constexpr std::string_view kRemoteWriteDefaultPath = "/api/v1/write";

struct PromLabel {
  std::string_view name, value;
};

struct PromSample {
  double value = 0;
  int64_t timestamp_ms = 0;
};

// Every body of the workload, in send order (options.format must be kRemoteWrite).
Result<std::vector<Payload>> BuildRemoteWritePayloads(const Workload& workload,
                                                      const PayloadOptions& options);

// Pieces, exposed for tests.

// Appends one TimeSeries as a field 1 of WriteRequest (tag, length, message). The labels
// must already be sorted by name.
void AppendTimeSeries(std::span<const PromLabel> labels, std::span<const PromSample> samples,
                      std::string* out);
// The series name of a metric: "<measurement>_<metric>", e.g. "node_cpu_user".
std::string PromSeriesName(std::string_view measurement, std::string_view metric);
// snappy block format (not the framed stream format) of data, through libsnappy.
Result<std::string> SnappyCompress(std::string_view data);
// The inverse, for tests and checks; InvalidArgument when data is not a valid block.
Result<std::string> SnappyUncompress(std::string_view data);

}  // namespace strix::bench
