// The command line of strix-loadgen (see options.h). Flags take "--flag value" or
// "--flag=value"; booleans take no value.
#include "bench/loadgen/options.h"

#include <fmt/format.h>

#include <charconv>
#include <limits>

#include "bench/loadgen/remote_write.h"

namespace strix::bench {
namespace {

template <typename T>
Result<T> ParseInteger(std::string_view flag, std::string_view text, T min, T max) {
  T v{};
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || v < min || v > max)
    return Status::InvalidArgument(
        fmt::format("{}: expected an integer from {} to {}, not \"{}\"", flag, min, max, text));
  return v;
}

}  // namespace

Result<int64_t> ParseDuration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::string_view unit = text.substr(digits);
  int64_t mult = 0;
  if (unit.empty() || unit == "s")
    mult = 1000;
  else if (unit == "ms")
    mult = 1;
  else if (unit == "m")
    mult = 60'000;
  else if (unit == "h")
    mult = 3'600'000;
  else if (unit == "d")
    mult = 86'400'000;
  else if (unit == "w")
    mult = 7 * int64_t{86'400'000};
  int64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + digits, n);
  if (digits == 0 || mult == 0 || ec != std::errc() ||
      n > std::numeric_limits<int64_t>::max() / mult)
    return Status::InvalidArgument(
        fmt::format("bad duration \"{}\": expected a number and ms, s, m, h, d or w", text));
  return n * mult;
}

std::string Usage() {
  return R"(strix-loadgen: an HTTP load generator for Strix and its peers (bench/README.md).

usage: strix-loadgen --url URL [options]      send the workload, report the figures
       strix-loadgen --dry-run [options]      build the payloads and describe them
       strix-loadgen --dump N [options]       print the first N bodies (uncompressed)
       strix-loadgen --print-series H:M,...   print series' expected samples as JSON lines

workload (the same options give the same samples):
  --hosts N            hosts, 10 series each (default 100)
  --span DUR           time covered, e.g. 1h, 1d (default 1h)
  --interval DUR       time between samples (default 10s)
  --start T            first timestamp, epoch seconds, or "now" (default: now - span,
                       rounded down to the hour)
  --seed N             seed of every series (default 1)
payload:
  --format F           lp (InfluxDB line protocol, default), pattoo (agent JSON) or
                       remote-write (Prometheus remote write 1.0: protobuf, snappy)
  --batch-lines N      line protocol, remote write: rows per request (default 5000)
  --precision P        line protocol: s, ms or ns (default s, or the URL's precision=)
  --measurement NAME   line protocol: the measurement (default node); series names are
                       NAME_<metric> (remote write, --print-series)
  --int-counters       line protocol: write counters as i, not u (InfluxDB 1.x)
  --pattoo-targets N   pattoo: hosts per agent post, 10 datapoints each (default 100)
  --gzip               gzip the bodies (Content-Encoding: gzip)
sending:
  --url URL            http://IPv4:PORT/path; path defaults to /write, for pattoo to
                       /pattoo/api/v1/agent/receive/{agent_id}, for remote write to
                       /api/v1/write
  --connections N      concurrent keep-alive connections (default 4)
  --header 'N: V'      an extra request header; repeatable
  --timeout DUR        per request (default 60s)
  --retries N          re-send a payload after 429, 503 or a transport error (default 0)
measuring:
  --pid P              the target's PID: CPU seconds, peak and current RSS from /proc
  --cpu-settle DUR     also read the target's CPU this long after the last answer
  --json FILE          write every figure as JSON
  --name TEXT          a label for the report (e.g. the target's name)
checking:
  --print-series H:M   print the expected samples of host index H's metric M (e.g.
                       7:cpu_user) as one JSON line, and exit; comma-separate or repeat
                       for more series
)";
}

Result<LoadgenOptions> ParseArgs(const std::vector<std::string_view>& args, int64_t now_ms) {
  LoadgenOptions o;
  std::string_view start = "";
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::string_view value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto flag = [&](std::string_view name) { return arg == name; };
    auto take = [&]() -> Result<std::string_view> {
      if (has_value) return value;
      if (i + 1 >= args.size())
        return Status::InvalidArgument(fmt::format("{} needs a value", arg));
      return args[++i];
    };
    auto boolean = [&]() -> Status {
      if (has_value) return Status::InvalidArgument(fmt::format("{} takes no value", arg));
      return Status::Ok();
    };
    if (flag("--help") || flag("-h")) {
      o.help = true;
    } else if (flag("--dry-run")) {
      STRIX_RETURN_IF_ERROR(boolean());
      o.dry_run = true;
    } else if (flag("--gzip")) {
      STRIX_RETURN_IF_ERROR(boolean());
      o.payload.gzip = true;
    } else if (flag("--int-counters")) {
      STRIX_RETURN_IF_ERROR(boolean());
      o.payload.int_counters = true;
    } else if (flag("--print-series")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      STRIX_RETURN_IF_ERROR(ParseSeriesRefs(v, &o.print_series));
    } else if (flag("--url")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      o.url = std::string(v);
    } else if (flag("--format")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      STRIX_ASSIGN_OR_RETURN(o.payload.format, ParseFormat(v));
    } else if (flag("--hosts")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      STRIX_ASSIGN_OR_RETURN(o.workload.hosts, ParseInteger<int>(arg, v, 1, 10'000'000));
    } else if (flag("--span")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      STRIX_ASSIGN_OR_RETURN(o.workload.span_ms, ParseDuration(v));
    } else if (flag("--interval")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      STRIX_ASSIGN_OR_RETURN(o.workload.interval_ms, ParseDuration(v));
    } else if (flag("--start")) {
      STRIX_ASSIGN_OR_RETURN(start, take());
    } else if (flag("--seed")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      STRIX_ASSIGN_OR_RETURN(
          o.workload.seed, ParseInteger<uint64_t>(arg, v, 0, std::numeric_limits<uint64_t>::max()));
    } else if (flag("--batch-lines")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      STRIX_ASSIGN_OR_RETURN(o.payload.batch_lines, ParseInteger<int>(arg, v, 1, 100'000'000));
    } else if (flag("--pattoo-targets")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      STRIX_ASSIGN_OR_RETURN(o.payload.pattoo_targets, ParseInteger<int>(arg, v, 1, 10'000'000));
    } else if (flag("--precision")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      STRIX_ASSIGN_OR_RETURN(o.payload.precision, ParseTimePrecision(v));
      o.precision_given = true;
    } else if (flag("--measurement")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      o.payload.measurement = std::string(v);
    } else if (flag("--connections")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      STRIX_ASSIGN_OR_RETURN(o.send.connections, ParseInteger<int>(arg, v, 1, 1024));
    } else if (flag("--header")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      o.send.headers.emplace_back(v);
    } else if (flag("--timeout")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      STRIX_ASSIGN_OR_RETURN(int64_t ms, ParseDuration(v));
      if (ms < 1 || ms > 86'400'000)
        return Status::InvalidArgument("--timeout: expected 1ms to 1d");
      o.send.timeout_ms = static_cast<int>(ms);
    } else if (flag("--retries")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      STRIX_ASSIGN_OR_RETURN(o.send.retries, ParseInteger<int>(arg, v, 0, 1000));
    } else if (flag("--pid")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      STRIX_ASSIGN_OR_RETURN(o.pid,
                             ParseInteger<pid_t>(arg, v, 1, std::numeric_limits<pid_t>::max()));
    } else if (flag("--cpu-settle")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      STRIX_ASSIGN_OR_RETURN(o.cpu_settle_ms, ParseDuration(v));
    } else if (flag("--json")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      o.json_path = std::string(v);
    } else if (flag("--name")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      o.name = std::string(v);
    } else if (flag("--dump")) {
      STRIX_ASSIGN_OR_RETURN(std::string_view v, take());
      STRIX_ASSIGN_OR_RETURN(o.dump, ParseInteger<int64_t>(arg, v, 0, int64_t{1} << 40));
    } else {
      return Status::InvalidArgument(fmt::format("unknown argument \"{}\" (see --help)", args[i]));
    }
  }
  if (start.empty() || start == "now") {
    o.workload.start_ms = DefaultStartMs(now_ms, o.workload.span_ms);
  } else {
    STRIX_ASSIGN_OR_RETURN(int64_t secs, ParseInteger<int64_t>("--start", start, 0, 9'000'000'000));
    o.workload.start_ms = secs * 1000;
  }
  if (o.help) return o;
  STRIX_RETURN_IF_ERROR(o.workload.Validate());
  STRIX_RETURN_IF_ERROR(o.payload.Validate());
  STRIX_RETURN_IF_ERROR(o.send.Validate());
  if (o.pid == 0 && o.cpu_settle_ms > 0) return Status::InvalidArgument("--cpu-settle needs --pid");
  for (const SeriesRef& s : o.print_series) {
    if (s.host >= o.workload.hosts)
      return Status::InvalidArgument(fmt::format(
          "--print-series: host index {} is out of range (--hosts {})", s.host, o.workload.hosts));
  }
  if (o.url.empty() && !o.dry_run && o.dump < 0 && o.print_series.empty())
    return Status::InvalidArgument(
        "--url is required (or --dry-run, --dump N or --print-series H:M)");
  return o;
}

Status ResolveUrl(LoadgenOptions* o) {
  STRIX_ASSIGN_OR_RETURN(o->send.url, ParseHttpUrl(o->url));
  HttpUrl& u = o->send.url;
  o->send.content_encoding = o->payload.gzip ? "gzip" : "";
  o->send.format_headers.clear();
  if (o->payload.format == Format::kRemoteWrite) {
    if (u.target == "/") u.target = std::string(kRemoteWriteDefaultPath);
    o->send.content_type = std::string(kRemoteWriteContentType);
    o->send.content_encoding = std::string(kRemoteWriteContentEncoding);
    o->send.format_headers.emplace_back(kRemoteWriteVersionHeader);
    return Status::Ok();
  }
  const bool pattoo = o->payload.format == Format::kPattoo;
  if (u.target == "/") u.target = pattoo ? "/pattoo/api/v1/agent/receive/{agent_id}" : "/write";
  o->send.content_type = pattoo ? "application/json" : "text/plain; charset=utf-8";
  if (pattoo) return Status::Ok();
  bool found = false;
  std::string_view p = QueryParam(u.target, "precision", &found);
  if (!found) {
    u.target += u.target.find('?') == std::string::npos ? "?" : "&";
    u.target += "precision=";
    u.target += TimePrecisionName(o->payload.precision);
    return Status::Ok();
  }
  Result<TimePrecision> url_precision = ParseTimePrecision(p);
  if (!url_precision.ok())
    return Status::InvalidArgument("the URL's precision must be s, ms or ns", o->url);
  if (o->precision_given && *url_precision != o->payload.precision)
    return Status::InvalidArgument(
        fmt::format("--precision {} disagrees with the URL's precision={}",
                    TimePrecisionName(o->payload.precision), p));
  o->payload.precision = *url_precision;
  return Status::Ok();
}

}  // namespace strix::bench
