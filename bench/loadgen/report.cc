// Summary and JSON renderings of a Report (see report.h). The JSON is written by a tiny
// writer here: the tool links no JSON library, and every value is a number, a boolean or
// a short string.
#include "bench/loadgen/report.h"

#include <fmt/format.h>

#include <cmath>
#include <vector>

namespace strix::bench {
namespace {

// The figures both renderings show, derived once.
struct Derived {
  double wall_s = 0;
  double samples_per_s = 0;
  double requests_per_s = 0;
  double body_mb_per_s = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
  double target_cpu_s = 0;
  double target_cpu_per_m = 0;  // CPU seconds per million acknowledged samples
  double target_cores = 0;      // average cores used during the run
  double settled_cpu_s = 0;
  double settled_cpu_per_m = 0;
  double self_cpu_s = 0;
  double other_busy_s = 0;  // machine busy time not spent by the target or the generator
};

Derived Derive(const Report& r) {
  Derived d;
  const SendResult& s = r.send;
  d.wall_s = static_cast<double>(s.wall_ns) / 1e9;
  if (d.wall_s > 0) {
    d.samples_per_s = static_cast<double>(s.samples_ok) / d.wall_s;
    d.requests_per_s = static_cast<double>(s.requests) / d.wall_s;
    d.body_mb_per_s = static_cast<double>(s.body_bytes_sent) / 1e6 / d.wall_s;
  }
  auto ms = [](int64_t ns) { return static_cast<double>(ns) / 1e6; };
  d.p50_ms = ms(NearestRank(s.latencies_ns, 0.50));
  d.p90_ms = ms(NearestRank(s.latencies_ns, 0.90));
  d.p99_ms = ms(NearestRank(s.latencies_ns, 0.99));
  d.max_ms = s.latencies_ns.empty() ? 0 : ms(s.latencies_ns.back());
  if (!s.latencies_ns.empty()) {
    double sum = 0;
    for (int64_t v : s.latencies_ns) sum += static_cast<double>(v);
    d.mean_ms = sum / static_cast<double>(s.latencies_ns.size()) / 1e6;
  }
  const double msamples = static_cast<double>(s.samples_ok) / 1e6;
  if (r.target) {
    d.target_cpu_s = r.target->cpu_after.total() - r.target->cpu_before.total();
    if (msamples > 0) d.target_cpu_per_m = d.target_cpu_s / msamples;
    if (d.wall_s > 0) d.target_cores = d.target_cpu_s / d.wall_s;
    if (r.target->cpu_settled) {
      d.settled_cpu_s = r.target->cpu_settled->total() - r.target->cpu_before.total();
      if (msamples > 0) d.settled_cpu_per_m = d.settled_cpu_s / msamples;
    }
  }
  d.self_cpu_s = r.self_cpu.total();
  if (r.machine_busy_seconds) {
    d.other_busy_s = std::max(0.0, *r.machine_busy_seconds - d.self_cpu_s - d.target_cpu_s);
  }
  return d;
}

std::string Human(double v) {
  if (v >= 1e9) return fmt::format("{:.2f} G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.2f} M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.1f} k", v / 1e3);
  return fmt::format("{:.0f}", v);
}

std::string Bytes(uint64_t b) {
  const double v = static_cast<double>(b);
  if (v >= 1 << 30) return fmt::format("{:.2f} GiB", v / (1 << 30));
  if (v >= 1 << 20) return fmt::format("{:.1f} MiB", v / (1 << 20));
  if (v >= 1 << 10) return fmt::format("{:.1f} KiB", v / (1 << 10));
  return fmt::format("{} B", b);
}

// Appends JSON values; the caller writes the punctuation through Key/Open/Close.
class JsonWriter {
 public:
  void Open(char c) {
    Separator();
    out_.push_back(c);
    first_.push_back(true);
  }
  void Close(char c) {
    first_.pop_back();
    out_.push_back(c);
  }
  void Key(std::string_view k) {
    Separator();
    String(k);
    out_.push_back(':');
    after_key_ = true;
  }
  void Value(std::string_view s) {
    Separator();
    String(s);
  }
  void Value(const char* s) { Value(std::string_view(s)); }
  void Value(bool b) {
    Separator();
    out_ += b ? "true" : "false";
  }
  void Value(double v) {
    Separator();
    if (!std::isfinite(v)) {
      out_ += "null";
    } else {
      out_ += fmt::format("{}", v);
    }
  }
  void Value(uint64_t v) {
    Separator();
    out_ += fmt::format("{}", v);
  }
  void Value(int64_t v) {
    Separator();
    out_ += fmt::format("{}", v);
  }
  void Value(int v) { Value(static_cast<int64_t>(v)); }
  void Null() {
    Separator();
    out_ += "null";
  }
  template <typename T>
  void Field(std::string_view k, const T& v) {
    Key(k);
    Value(v);
  }
  std::string Take() { return std::move(out_); }

 private:
  void Separator() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_.empty()) {
      if (!first_.back()) out_.push_back(',');
      first_.back() = false;
    }
  }
  void String(std::string_view s) {
    out_.push_back('"');
    for (char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out_.push_back('\\');
        out_.push_back(c);
      } else if (u < 0x20) {
        out_ += fmt::format("\\u{:04x}", u);
      } else {
        out_.push_back(c);
      }
    }
    out_.push_back('"');
  }
  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

void WriteCpu(JsonWriter* w, std::string_view key, const ProcessCpu& c) {
  w->Key(key);
  w->Open('{');
  w->Field("user_seconds", c.user_seconds);
  w->Field("system_seconds", c.system_seconds);
  w->Close('}');
}

void WriteLoad(JsonWriter* w, std::string_view key, const std::optional<LoadAverage>& l) {
  w->Key(key);
  if (!l) {
    w->Null();
    return;
  }
  w->Open('[');
  w->Value(l->one);
  w->Value(l->five);
  w->Value(l->fifteen);
  w->Close(']');
}

}  // namespace

Report MakeReport(const LoadgenOptions& options, const Workload& workload,
                  const std::vector<Payload>& payloads, double build_seconds) {
  Report r;
  r.name = options.name;
  r.format = std::string(FormatName(options.payload.format));
  if (!options.url.empty()) {
    r.url = fmt::format("http://{}{}", options.send.url.HostHeader(), options.send.url.target);
  }
  r.workload = workload.options();
  r.points = workload.points();
  r.series = workload.series();
  r.workload_samples = workload.samples();
  r.payload = options.payload;
  r.totals = Totals(payloads);
  r.build_seconds = build_seconds;
  r.connections = options.send.connections;
  return r;
}

std::string FormatSummary(const Report& r) {
  const Derived d = Derive(r);
  std::string out;
  auto line = [&](std::string s) {
    out += s;
    out.push_back('\n');
  };
  line(
      fmt::format("strix-loadgen{}: {} workload: {} hosts x {} metrics x {} points = {} samples "
                  "({} series, interval {} s, seed {})",
                  r.name.empty() ? "" : " [" + r.name + "]", r.format, r.workload.hosts,
                  kMetricsPerHost, r.points, r.workload_samples, r.series,
                  static_cast<double>(r.workload.interval_ms) / 1000.0, r.workload.seed));
  const PayloadTotals& t = r.totals;
  line(fmt::format(
      "payloads: {} bodies, {} lines, {} samples, {} raw ({:.1f} B/sample){}, "
      "built in {:.2f} s",
      t.payloads, t.lines, t.samples, Bytes(t.raw_bytes),
      t.samples ? static_cast<double>(t.raw_bytes) / static_cast<double>(t.samples) : 0.0,
      CompressionName(r.payload) == "none"
          ? std::string()
          : fmt::format(", {} {}", Bytes(t.body_bytes),
                        r.payload.format == Format::kRemoteWrite ? "snappy" : "gzipped"),
      r.build_seconds));
  if (!r.sent) return out;
  const SendResult& s = r.send;
  line(fmt::format("sent to {} over {} connections in {:.3f} s", r.url, r.connections, d.wall_s));
  line(fmt::format("  samples acknowledged: {} of {}  ->  {} samples/s", s.samples_ok, t.samples,
                   Human(d.samples_per_s)));
  line(
      fmt::format("  requests: {} ({:.1f}/s, {:.1f} MB/s of bodies), retries {}, connections "
                  "opened {}",
                  s.requests, d.requests_per_s, d.body_mb_per_s, s.retries, s.connects));
  std::string codes;
  for (const auto& [code, n] : s.status_counts)
    codes += fmt::format("{}{}: {}", codes.empty() ? "" : ", ",
                         code == 0 ? std::string("transport error") : std::to_string(code), n);
  line(fmt::format("  answers: {}", codes.empty() ? "none" : codes));
  line(fmt::format("  latency ms: p50 {:.2f}  p90 {:.2f}  p99 {:.2f}  max {:.2f}  mean {:.2f}",
                   d.p50_ms, d.p90_ms, d.p99_ms, d.max_ms, d.mean_ms));
  if (s.payloads_failed > 0 || s.payloads_unsent > 0) {
    line(fmt::format("  FAILED: {} payloads not acknowledged ({} samples), {} never sent{}",
                     s.payloads_failed, s.samples_failed, s.payloads_unsent,
                     s.stopped_early ? " (a connection could not be reopened)" : ""));
  }
  for (const std::string& e : s.error_reports) line("    " + e);
  if (r.target) {
    const TargetFigures& tg = *r.target;
    line(
        fmt::format("target pid {}: {:.2f} CPU s ({:.2f} cores)  ->  {:.3f} CPU s per million "
                    "samples",
                    tg.pid, d.target_cpu_s, d.target_cores, d.target_cpu_per_m));
    if (tg.cpu_settled) {
      line(fmt::format(
          "  with {:.1f} s settle after the run: {:.2f} CPU s  ->  {:.3f} CPU s per "
          "million samples",
          static_cast<double>(tg.cpu_settle_ms) / 1000.0, d.settled_cpu_s, d.settled_cpu_per_m));
    }
    line(fmt::format("  memory: peak RSS (VmHWM) {}, RSS now {}", Bytes(tg.memory_after.hwm_bytes),
                     Bytes(tg.memory_after.rss_bytes)));
  }
  std::string load = "n/a";
  if (r.load_before && r.load_after) {
    load = fmt::format("{:.2f} {:.2f} {:.2f} before, {:.2f} {:.2f} {:.2f} after",
                       r.load_before->one, r.load_before->five, r.load_before->fifteen,
                       r.load_after->one, r.load_after->five, r.load_after->fifteen);
  }
  line(fmt::format(
      "machine: load average {}; loadgen CPU {:.2f} s; other busy CPU {:.2f} s "
      "({:.2f} cores)",
      load, d.self_cpu_s, d.other_busy_s, d.wall_s > 0 ? d.other_busy_s / d.wall_s : 0.0));
  return out;
}

std::string FormatJson(const Report& r) {
  const Derived d = Derive(r);
  JsonWriter w;
  w.Open('{');
  w.Field("tool", "strix-loadgen");
  w.Field("name", r.name);
  w.Field("format", r.format);
  w.Field("url", r.url);

  w.Key("workload");
  w.Open('{');
  w.Field("seed", static_cast<uint64_t>(r.workload.seed));
  w.Field("hosts", r.workload.hosts);
  w.Field("metrics_per_host", kMetricsPerHost);
  w.Field("series", r.series);
  w.Field("points_per_series", r.points);
  w.Field("samples", r.workload_samples);
  w.Field("start_ms", r.workload.start_ms);
  w.Field("span_ms", r.workload.span_ms);
  w.Field("interval_ms", r.workload.interval_ms);
  w.Close('}');

  w.Key("payloads");
  w.Open('{');
  w.Field("count", r.totals.payloads);
  w.Field("lines", r.totals.lines);
  w.Field("samples", r.totals.samples);
  w.Field("raw_bytes", r.totals.raw_bytes);
  w.Field("body_bytes", r.totals.body_bytes);
  w.Field("gzip", r.payload.gzip);
  w.Field("compression", CompressionName(r.payload));
  switch (r.payload.format) {
    case Format::kLineProtocol:
      w.Field("batch_lines", r.payload.batch_lines);
      w.Field("precision", TimePrecisionName(r.payload.precision));
      w.Field("measurement", r.payload.measurement);
      w.Field("int_counters", r.payload.int_counters);
      break;
    case Format::kRemoteWrite:
      w.Field("batch_lines", r.payload.batch_lines);
      w.Field("measurement", r.payload.measurement);
      break;
    case Format::kPattoo:
      w.Field("pattoo_targets", r.payload.pattoo_targets);
      break;
  }
  w.Field("build_seconds", r.build_seconds);
  w.Close('}');

  w.Field("sent", r.sent);
  if (r.sent) {
    const SendResult& s = r.send;
    w.Key("send");
    w.Open('{');
    w.Field("connections", r.connections);
    w.Field("wall_seconds", d.wall_s);
    w.Field("samples_ok", s.samples_ok);
    w.Field("samples_failed", s.samples_failed);
    w.Field("samples_per_second", d.samples_per_s);
    w.Field("requests", s.requests);
    w.Field("requests_per_second", d.requests_per_s);
    w.Field("payloads_ok", s.payloads_ok);
    w.Field("payloads_failed", s.payloads_failed);
    w.Field("payloads_unsent", s.payloads_unsent);
    w.Field("retries", s.retries);
    w.Field("connects", s.connects);
    w.Field("bytes_sent", s.bytes_sent);
    w.Field("body_bytes_sent", s.body_bytes_sent);
    w.Field("stopped_early", s.stopped_early);
    w.Key("status_counts");
    w.Open('{');
    for (const auto& [code, n] : s.status_counts) w.Field(std::to_string(code), n);
    w.Close('}');
    w.Key("error_reports");
    w.Open('[');
    for (const std::string& e : s.error_reports) w.Value(e);
    w.Close(']');
    w.Key("latency_ms");
    w.Open('{');
    w.Field("count", static_cast<uint64_t>(s.latencies_ns.size()));
    w.Field("p50", d.p50_ms);
    w.Field("p90", d.p90_ms);
    w.Field("p99", d.p99_ms);
    w.Field("max", d.max_ms);
    w.Field("mean", d.mean_ms);
    w.Close('}');
    w.Close('}');

    w.Key("target");
    if (r.target) {
      const TargetFigures& t = *r.target;
      w.Open('{');
      w.Field("pid", static_cast<int64_t>(t.pid));
      WriteCpu(&w, "cpu_before", t.cpu_before);
      WriteCpu(&w, "cpu_after", t.cpu_after);
      w.Field("cpu_seconds", d.target_cpu_s);
      w.Field("cpu_seconds_per_million_samples", d.target_cpu_per_m);
      w.Field("cores", d.target_cores);
      w.Field("cpu_settle_ms", t.cpu_settle_ms);
      if (t.cpu_settled) {
        w.Field("cpu_seconds_settled", d.settled_cpu_s);
        w.Field("cpu_seconds_per_million_samples_settled", d.settled_cpu_per_m);
      }
      w.Field("peak_rss_bytes", t.memory_after.hwm_bytes);
      w.Field("rss_bytes", t.memory_after.rss_bytes);
      w.Close('}');
    } else {
      w.Null();
    }

    w.Key("machine");
    w.Open('{');
    WriteLoad(&w, "loadavg_before", r.load_before);
    WriteLoad(&w, "loadavg_after", r.load_after);
    w.Field("loadgen_cpu_seconds", d.self_cpu_s);
    w.Key("busy_cpu_seconds");
    if (r.machine_busy_seconds) {
      w.Value(*r.machine_busy_seconds);
    } else {
      w.Null();
    }
    w.Field("other_busy_cpu_seconds", d.other_busy_s);
    w.Close('}');
  }
  w.Close('}');
  std::string out = w.Take();
  out.push_back('\n');
  return out;
}

}  // namespace strix::bench
