// strix-loadgen: builds the deterministic workload's payloads, then (outside the clock)
// connects, reads the target's /proc counters, sends every payload over N keep-alive
// connections, reads the counters again and reports. bench/README.md is the user guide.
// --print-series, --dump and --dry-run send nothing: they print expected samples, bodies,
// or the payloads' counts and sizes.
//
// Exit status: 0 when every payload was answered 2xx (or nothing was to be sent), 1 when
// some were not, 2 for a usage or setup error.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "bench/loadgen/expected_series.h"
#include "bench/loadgen/options.h"
#include "bench/loadgen/payload.h"
#include "bench/loadgen/procfs.h"
#include "bench/loadgen/remote_write.h"
#include "bench/loadgen/report.h"
#include "bench/loadgen/sender.h"
#include "bench/loadgen/workload.h"
#include "core/clock.h"
#include "core/log.h"

namespace strix::bench {
namespace {

Status WriteFile(const std::string& path, std::string_view text) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return Status::FromErrno(errno, "fopen", path);
  const size_t n = std::fwrite(text.data(), 1, text.size(), f);
  const int err = std::ferror(f) ? errno : 0;
  if (std::fclose(f) != 0 || n != text.size())
    return Status::FromErrno(err ? err : errno, "write", path);
  return Status::Ok();
}

template <typename T>
std::optional<T> Optional(Result<T> r, std::string_view what) {
  if (r.ok()) return std::move(r).value();
  STRIX_LOG(kWarn, "loadgen: reading /proc failed", "what", what, "status", r.status());
  return std::nullopt;
}

int Run(int argc, char** argv) {
  Clock& clock = Clock::Real();
  std::vector<std::string_view> args(argv + 1, argv + argc);
  Result<LoadgenOptions> parsed = ParseArgs(args, clock.NowMillis());
  if (!parsed.ok()) {
    fmt::print(stderr, "strix-loadgen: {}\n", parsed.status().message());
    return 2;
  }
  LoadgenOptions o = std::move(parsed).value();
  if (o.help) {
    fmt::print("{}", Usage());
    return 0;
  }
  if (!o.url.empty()) {
    if (Status st = ResolveUrl(&o); !st.ok()) {
      fmt::print(stderr, "strix-loadgen: {}\n", st.ToString());
      return 2;
    }
  }
  Result<Workload> workload = Workload::Create(o.workload);
  if (!workload.ok()) {
    fmt::print(stderr, "strix-loadgen: {}\n", workload.status().ToString());
    return 2;
  }
  if (!o.print_series.empty()) {
    for (const SeriesRef& ref : o.print_series) {
      Result<ExpectedSeries> s = ExpectSeries(*workload, ref, o.payload.measurement);
      if (!s.ok()) {
        fmt::print(stderr, "strix-loadgen: {}\n", s.status().ToString());
        return 2;
      }
      const std::string line = ExpectedSeriesJson(*s);
      std::fwrite(line.data(), 1, line.size(), stdout);
    }
    return std::fflush(stdout) == 0 ? 0 : 2;
  }
  PayloadOptions popts = o.payload;
  if (o.dump >= 0) popts.gzip = false;  // a dump is for reading
  const int64_t build_start = clock.MonotonicNanos();
  Result<std::vector<Payload>> built = BuildPayloads(*workload, popts);
  if (!built.ok()) {
    fmt::print(stderr, "strix-loadgen: {}\n", built.status().ToString());
    return 2;
  }
  const double build_seconds = static_cast<double>(clock.MonotonicNanos() - build_start) / 1e9;
  const std::vector<Payload>& payloads = *built;

  if (o.dump >= 0) {
    const size_t n = std::min<size_t>(static_cast<size_t>(o.dump), payloads.size());
    for (size_t i = 0; i < n; ++i) {
      if (popts.format == Format::kRemoteWrite) {
        // The WriteRequest protobuf as is, binary (`protoc --decode_raw` reads it).
        Result<std::string> raw = SnappyUncompress(payloads[i].body);
        if (!raw.ok()) {
          fmt::print(stderr, "strix-loadgen: {}\n", raw.status().ToString());
          return 2;
        }
        std::fwrite(raw->data(), 1, raw->size(), stdout);
        continue;
      }
      const std::string& b = payloads[i].body;
      std::fwrite(b.data(), 1, b.size(), stdout);
      if (b.empty() || b.back() != '\n') std::fputc('\n', stdout);
    }
    return 0;
  }

  Report report = MakeReport(o, *workload, payloads, build_seconds);
  if (!o.dry_run) {
    Result<std::unique_ptr<LoadSender>> sender = LoadSender::Connect(o.send);
    if (!sender.ok()) {
      fmt::print(stderr, "strix-loadgen: {}\n", sender.status().ToString());
      return 2;
    }
    if (o.pid > 0) {
      TargetFigures t;
      t.pid = o.pid;
      t.cpu_settle_ms = o.cpu_settle_ms;
      report.target = t;
    }
    ProcessCpu self_before;
    std::optional<MachineCpu> machine_before, machine_after;
    bool target_ok = true;
    auto at_start = [&] {
      report.load_before = Optional(ReadLoadAverage(), "loadavg");
      machine_before = Optional(ReadMachineCpu(), "stat");
      self_before = SelfCpu();
      if (report.target) {
        Result<ProcessCpu> c = ReadProcessCpu(o.pid);
        if (c.ok()) {
          report.target->cpu_before = *c;
        } else {
          fmt::print(stderr, "strix-loadgen: --pid {}: {}\n", o.pid, c.status().ToString());
          target_ok = false;
        }
      }
    };
    auto at_end = [&] {
      if (report.target && target_ok) {
        Result<ProcessCpu> c = ReadProcessCpu(o.pid);
        Result<ProcessMemory> m = ReadProcessMemory(o.pid);
        if (c.ok() && m.ok()) {
          report.target->cpu_after = *c;
          report.target->memory_after = *m;
        } else {
          target_ok = false;
          fmt::print(stderr, "strix-loadgen: --pid {} after the run: {}\n", o.pid,
                     (c.ok() ? m.status() : c.status()).ToString());
        }
      }
      const ProcessCpu self_after = SelfCpu();
      report.self_cpu.user_seconds = self_after.user_seconds - self_before.user_seconds;
      report.self_cpu.system_seconds = self_after.system_seconds - self_before.system_seconds;
      machine_after = Optional(ReadMachineCpu(), "stat");
      report.load_after = Optional(ReadLoadAverage(), "loadavg");
    };
    report.send = (*sender)->Send(payloads, at_start, at_end);
    report.sent = true;
    if (machine_before && machine_after)
      report.machine_busy_seconds = machine_after->busy_seconds - machine_before->busy_seconds;
    if (!target_ok) report.target.reset();
    if (report.target && o.cpu_settle_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(o.cpu_settle_ms));
      Result<ProcessCpu> c = ReadProcessCpu(o.pid);
      if (c.ok()) report.target->cpu_settled = *c;
    }
  }
  fmt::print("{}", FormatSummary(report));
  std::fflush(stdout);
  if (!o.json_path.empty()) {
    if (Status st = WriteFile(o.json_path, FormatJson(report)); !st.ok()) {
      fmt::print(stderr, "strix-loadgen: {}\n", st.ToString());
      return 2;
    }
  }
  if (!report.sent) return 0;
  const SendResult& s = report.send;
  return s.payloads_failed == 0 && s.payloads_unsent == 0 ? 0 : 1;
}

}  // namespace
}  // namespace strix::bench

int main(int argc, char** argv) { return strix::bench::Run(argc, argv); }
