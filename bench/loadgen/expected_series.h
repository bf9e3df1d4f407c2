// The expected samples of single series of a Workload, for read-back checks (issue 5):
// strix-loadgen --print-series prints them, and the side-by-side benchmark compares what
// each server returns against them.
//
// A series is named on the command line as HOST_INDEX:METRIC, e.g. "7:cpu_user"; several
// are given comma-separated ("7:cpu_user,0:requests") or with the flag repeated. The JSON
// of one series is one line:
//
//   {"host":"host-00007","metric":"cpu_user","name":"node_cpu_user","type":"fixed2",
//    "timestamps_ms":[1700000000000,...],"values":[23.11,...]}
//
// (on one line, without spaces). `type` is the workload's value type: "fixed2" (two
// decimals), "int" or "unsigned" (a counter; it stays "unsigned" with --int-counters,
// which changes only the line-protocol suffix). `values` are JSON numbers with exactly the
// text the line protocol carries: "23.11", "12", "12.3" for two-decimal values, decimal
// integers otherwise. `name` is the series name Strix, VictoriaMetrics and Prometheus use
// (<measurement>_<metric>); InfluxDB stores the field `metric` of measurement
// <measurement> with the tag host=`host`.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/loadgen/workload.h"
#include "core/result.h"
#include "core/status.h"

namespace strix::bench {

struct SeriesRef {
  int host = 0;
  int metric = 0;  // index into kHostMetrics
  friend bool operator==(const SeriesRef&, const SeriesRef&) = default;
};

// Parses "HOST:METRIC[,HOST:METRIC...]" and appends to *refs. HOST is a host index (not
// checked against a host count here), METRIC a name of kHostMetrics.
Status ParseSeriesRefs(std::string_view text, std::vector<SeriesRef>* refs);

// The index of a metric in kHostMetrics, or -1.
int MetricIndex(std::string_view name);

// "fixed2", "int" or "unsigned".
std::string_view ValueTypeName(ValueType t);

struct ExpectedSeries {
  std::string host;    // "host-00007"
  std::string metric;  // "cpu_user"
  std::string name;    // "node_cpu_user"
  ValueType type = ValueType::kFixed2;
  std::vector<int64_t> timestamps_ms;
  std::vector<SampleValue> values;
  std::vector<std::string> texts;  // each value as the line protocol writes it (ValueText)
};

// Every sample of one series; InvalidArgument when the host or metric is out of range.
Result<ExpectedSeries> ExpectSeries(const Workload& workload, const SeriesRef& ref,
                                    std::string_view measurement);

// The JSON line of a series, ending in '\n'.
std::string ExpectedSeriesJson(const ExpectedSeries& s);

}  // namespace strix::bench
