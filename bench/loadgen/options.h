// strix-loadgen's command line: every flag, its default, and how the URL and the
// line-protocol precision are reconciled. Parsed by hand: the tool links only strix_core
// and zlib. bench/README.md describes each flag for users.
//
// Thread-safety: pure functions.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/loadgen/expected_series.h"
#include "bench/loadgen/payload.h"
#include "bench/loadgen/sender.h"
#include "bench/loadgen/workload.h"
#include "core/result.h"
#include "core/status.h"

namespace strix::bench {

struct LoadgenOptions {
  WorkloadOptions workload;  // start_ms is filled from --start or DefaultStartMs
  PayloadOptions payload;
  bool precision_given = false;  // --precision was on the command line
  std::string url;               // --url as written
  SendOptions send;              // send.url is set by ResolveUrl
  pid_t pid = 0;                 // --pid: the target process to measure (0: none)
  int64_t cpu_settle_ms = 0;     // --cpu-settle: also read the target's CPU this long after
  std::string json_path;         // --json
  std::string name;              // --name: a label for the report (e.g. "victoria-metrics")
  bool dry_run = false;          // --dry-run: build and describe the payloads, send nothing
  int64_t dump = -1;             // --dump N: print the first N bodies, send nothing
  // --print-series HOST:METRIC[,...] (repeatable): print these series' expected samples
  // as JSON lines, send nothing.
  std::vector<SeriesRef> print_series;
  bool help = false;
};

// Parses the arguments after the program name. `now_ms` is used when --start is absent or
// "now". Does not look at the URL beyond storing it (see ResolveUrl).
Result<LoadgenOptions> ParseArgs(const std::vector<std::string_view>& args, int64_t now_ms);

// Parses the URL into options->send.url. An empty path becomes /write (line protocol),
// /pattoo/api/v1/agent/receive/{agent_id} (pattoo) or /api/v1/write (remote write). For
// line protocol the `precision` query parameter and --precision must agree: a URL without
// one gets --precision's (default s) appended; a URL with one sets the precision when
// --precision is absent; a URL precision other than s, ms or ns is an error. Remote write
// leaves the URL's query alone (its timestamps are always milliseconds). Also sets the
// Content-Type, the Content-Encoding and the format's own headers.
Status ResolveUrl(LoadgenOptions* options);

// "10s", "1h", "1d", "500ms", "2w", "90m"; a bare number is seconds. Milliseconds.
Result<int64_t> ParseDuration(std::string_view text);

std::string Usage();

}  // namespace strix::bench
