// strix simulate: the value generator (Simulator) and the command that writes its samples
// to a running strixd. See simulate.h; the formulas are documented in docs/simulate.md,
// and any change here must change that page (tests elsewhere recompute the values).
#include "simulate.h"

#include <fmt/format.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <fstream>
#include <numbers>
#include <thread>
#include <utility>
#include <vector>

#include "agents/common/http_client.h"
#include "core/clock.h"
#include "core/json_string.h"
#include "core/mutex.h"

namespace strix::tools {
namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kHourMs = 3'600'000;
// The simulated hosts booted at 2020-01-01T00:00:00Z: counters count from there.
constexpr int64_t kBootMs = 1'577'836'800'000;
constexpr uint64_t kOnce = ~uint64_t{0};  // the draw index of per-host constants
constexpr int kCpus = 4;
constexpr double kTwoPi = 2 * std::numbers::pi;

// Index of each series in kSeries (the order of docs/simulate.md).
enum : int {
  kCpuUsage,
  kMemoryUsage,
  kDiskUsage,
  kNetworkIn,
  kNetworkOut,
  kCpuUser,
  kCpuSystem,
  kCpuIowait,
  kCpuIdle,
  kLoad1m,
  kMemTotal,
  kMemUsed,
  kMemAvailable,
  kNetRx,
  kNetTx,
  kDiskRead,
  kDiskWrite,
  kFsUsed,
  kFsTotal,
  kSeriesCount
};

constexpr SimKind G = SimKind::kGauge;
constexpr SimKind C = SimKind::kCounter;
constexpr std::string_view kFsTags = ",device=/dev/sda1,fstype=ext4,mountpoint=/";

constexpr std::array<SimSeries, kSeriesCount> kSeries{{
    {"cpu_usage", "cpu", "", "usage", G},
    {"memory_usage", "memory", "", "usage", G},
    {"disk_usage", "disk", "", "usage", G},
    {"network_in", "network", "", "in", G},
    {"network_out", "network", "", "out", G},
    {"linux_cpu_time_ms{cpu=\"total\",mode=\"user\"}", "linux_cpu", ",cpu=total,mode=user",
     "time_ms", C},
    {"linux_cpu_time_ms{cpu=\"total\",mode=\"system\"}", "linux_cpu", ",cpu=total,mode=system",
     "time_ms", C},
    {"linux_cpu_time_ms{cpu=\"total\",mode=\"iowait\"}", "linux_cpu", ",cpu=total,mode=iowait",
     "time_ms", C},
    {"linux_cpu_time_ms{cpu=\"total\",mode=\"idle\"}", "linux_cpu", ",cpu=total,mode=idle",
     "time_ms", C},
    {"linux_load_1m", "linux_load", "", "1m", G},
    {"linux_memory_total_bytes", "linux_memory", "", "total_bytes", G},
    {"linux_memory_used_bytes", "linux_memory", "", "used_bytes", G},
    {"linux_memory_available_bytes", "linux_memory", "", "available_bytes", G},
    {"linux_network_receive_bytes{interface=\"eth0\"}", "linux_network", ",interface=eth0",
     "receive_bytes", C},
    {"linux_network_transmit_bytes{interface=\"eth0\"}", "linux_network", ",interface=eth0",
     "transmit_bytes", C},
    {"linux_disk_read_bytes{device=\"sda\"}", "linux_disk", ",device=sda", "read_bytes", C},
    {"linux_disk_write_bytes{device=\"sda\"}", "linux_disk", ",device=sda", "write_bytes", C},
    {"linux_filesystem_used_bytes{device=\"/dev/sda1\",fstype=\"ext4\",mountpoint=\"/\"}",
     "linux_filesystem", kFsTags, "used_bytes", G},
    {"linux_filesystem_total_bytes{device=\"/dev/sda1\",fstype=\"ext4\",mountpoint=\"/\"}",
     "linux_filesystem", kFsTags, "total_bytes", G},
}};

// ---- the deterministic random numbers (docs/simulate.md, "Random numbers") -------------

// splitmix64's output function: a bijective 64-bit mixer.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// One stream per (seed, host, name): its draws are Unit(key, index).
uint64_t StreamKey(uint64_t seed, int host, std::string_view name) {
  return Mix(Mix(Mix(seed) ^ static_cast<uint64_t>(static_cast<int64_t>(host))) ^ Fnv1a64(name));
}

// Uniform in [0, 1): the top 53 bits of the mixed (key, index).
double Unit(uint64_t key, uint64_t index) {
  return static_cast<double>(Mix(key ^ Mix(index)) >> 11) * 0x1.0p-53;
}

double Uniform(uint64_t key, uint64_t index, double lo, double hi) {
  return lo + (hi - lo) * Unit(key, index);
}

int64_t FloorMod(int64_t a, int64_t m) {
  int64_t r = a % m;
  return r < 0 ? r + m : r;
}

int64_t FloorDiv(int64_t a, int64_t m) { return (a - FloorMod(a, m)) / m; }

double Round(double v, double scale) { return std::round(v * scale) / scale; }

double Clamp100(double v) { return std::clamp(v, 0.0, 100.0); }

// Fraction of the UTC day at ts, in [0, 1).
double DayFraction(int64_t ts) {
  return static_cast<double>(FloorMod(ts, kDayMs)) / static_cast<double>(kDayMs);
}

// A counter that grows at r * (1 + m * sin(2π day fraction)) per second since the boot,
// plus a jitter of up to half the smallest growth of one step (so it stays monotonic
// along the step's grid): floor(r * I(ts) + Unit(key, ts) * r * (1 - m) * step_s / 2).
uint64_t CycleCounter(uint64_t key, double r, double m, int64_t ts, int64_t step_ms) {
  if (ts < kBootMs) return 0;
  const int64_t e = ts - kBootMs;
  const double seconds = static_cast<double>(e) / 1000.0;
  const double integral =
      seconds +
      m * (static_cast<double>(kDayMs) / 1000.0) / kTwoPi *
          (1.0 - std::cos(kTwoPi * static_cast<double>(e % kDayMs) / static_cast<double>(kDayMs)));
  const double jitter = Unit(key, static_cast<uint64_t>(ts)) * 0.5 * r * (1.0 - m) *
                        static_cast<double>(step_ms) / 1000.0;
  return static_cast<uint64_t>(std::floor(r * integral + jitter));
}

// Per-host constants, drawn once (index kOnce) from streams named "param/<name>".
struct HostParams {
  double cpu_busy;   // mean busy % of the 4 CPUs, U(25, 55)
  double mem_total;  // bytes: 4, 8, 16 or 32 GiB
  double mem_base;   // mean memory use %, U(30, 60)
  double rx, tx;     // mean network bytes/s
  double rd, wr;     // mean disk bytes/s
  double fs_total;   // bytes: 32, 64, 128 or 256 GiB
};

HostParams ParamsOf(uint64_t seed, int host) {
  auto u = [&](std::string_view name) { return Unit(StreamKey(seed, host, name), kOnce); };
  auto pick4 = [&](std::string_view name, double first) {
    return first * std::ldexp(1.0, static_cast<int>(std::min(3.0, std::floor(4 * u(name)))));
  };
  HostParams p;
  p.cpu_busy = 25 + 30 * u("param/cpu_busy");
  p.mem_total = pick4("param/memory_total", 4.0 * (1 << 30));
  p.mem_base = 30 + 30 * u("param/memory_base");
  p.rx = 1e5 + 9e5 * u("param/network_receive");
  p.tx = 5e4 + 4.5e5 * u("param/network_transmit");
  p.rd = 2e4 + 1.8e5 * u("param/disk_read");
  p.wr = 5e4 + 4.5e5 * u("param/disk_write");
  p.fs_total = pick4("param/filesystem_total", 32.0 * (1 << 30));
  return p;
}

double PageFloor(double bytes) { return std::floor(bytes / 4096) * 4096; }

}  // namespace

std::span<const SimSeries> SimulatedSeries() { return kSeries; }

int FindSimSeries(std::string_view key) {
  for (size_t i = 0; i < kSeries.size(); ++i) {
    if (kSeries[i].key == key) return static_cast<int>(i);
  }
  return -1;
}

std::string SimHostName(std::string_view prefix, int i) {
  return std::string(prefix) + std::to_string(i);
}

Result<Simulator> Simulator::Make(const SimulationSpec& spec) {
  if (spec.per_hour < 1 || spec.per_hour > 3600)
    return Status::InvalidArgument(
        fmt::format("per-hour must be 1 to 3600, not {}", spec.per_hour));
  if (!(spec.days > 0) || spec.days > 3650)
    return Status::InvalidArgument(
        fmt::format("days must be above 0 and at most 3650, not {}", spec.days));
  const int64_t step = kHourMs / spec.per_hour;
  const int64_t end = FloorDiv(spec.end_ms, step) * step;
  const int64_t start = end - static_cast<int64_t>(std::llround(spec.days * kDayMs));
  const int64_t first = -FloorDiv(-start, step) * step;  // rounded up to the grid
  if (first >= end) {
    return Status::InvalidArgument(
        fmt::format("{} days hold no sample at {} per hour", spec.days, spec.per_hour));
  }
  if (first < kBootMs + kDayMs) {
    // Counters start at the hosts' boot; a day later their jitter is far below their
    // growth, so idle time (the rest of the CPUs' time) stays monotonic.
    return Status::InvalidArgument(
        "the run must start after 2020-01-02T00:00:00Z (the simulated hosts boot on "
        "2020-01-01): use a later --end or fewer --days");
  }
  return Simulator(spec.seed, step, first, end);
}

double Simulator::Base(int host, std::string_view metric) const {
  const int i = FindSimSeries(metric);
  if (i < kCpuUsage || i > kNetworkOut) return std::nan("");
  return Uniform(StreamKey(seed_, host, kSeries[i].key), kOnce, 20, 60);
}

// The Python system's five gauges (spec A12), in the UTC hour h of the sample and the
// days elapsed since the first sample.
double Simulator::A12(int host, int series, int64_t ts) const {
  const uint64_t key = StreamKey(seed_, host, kSeries[series].key);
  const double base = Uniform(key, kOnce, 20, 60);
  const double h = static_cast<double>(FloorMod(ts, kDayMs) / kHourMs);
  const double wave = std::sin(kTwoPi * h / 24);
  const double elapsed_days = static_cast<double>(ts - first_ms_) / static_cast<double>(kDayMs);
  const uint64_t idx = static_cast<uint64_t>(ts);
  double v = 0;
  switch (series) {
    case kCpuUsage:
      v = base + 20 * wave + Uniform(key, idx, -5, 5);
      break;
    case kMemoryUsage:
      v = std::fmod(base + elapsed_days, 100.0);
      break;
    case kDiskUsage:
      v = std::min(base + elapsed_days / 10, 100.0);
      break;
    default:  // network_in, network_out
      v = base + 30 * wave + Uniform(key, idx, -10, 10);
      break;
  }
  return Round(Clamp100(v), 1000);
}

double Simulator::Gauge(int host, int series, int64_t ts) const {
  if (series < 0 || series >= kSeriesCount || kSeries[series].kind != SimKind::kGauge) return 0;
  if (series <= kNetworkOut) return A12(host, series, ts);
  const HostParams p = ParamsOf(seed_, host);
  const double wave = std::sin(kTwoPi * DayFraction(ts));
  const uint64_t key = StreamKey(seed_, host, kSeries[series].key);
  const uint64_t idx = static_cast<uint64_t>(ts);
  switch (series) {
    case kLoad1m: {
      const double busy = p.cpu_busy + 20 * wave;
      return Round(std::max(0.0, kCpus * busy / 100 + Uniform(key, idx, -0.25, 0.25)), 100);
    }
    case kMemTotal:
      return p.mem_total;
    case kMemUsed:
    case kMemAvailable: {
      const uint64_t used_key = StreamKey(seed_, host, kSeries[kMemUsed].key);
      const double pct = p.mem_base + 10 * wave + Uniform(used_key, idx, -2, 2);
      const double used = PageFloor(p.mem_total * pct / 100);
      return series == kMemUsed ? used : p.mem_total - used - p.mem_total / 16;
    }
    case kFsUsed:
      return PageFloor(p.fs_total * A12(host, kDiskUsage, ts) / 100);
    case kFsTotal:
      return p.fs_total;
    default:
      return 0;
  }
}

uint64_t Simulator::Counter(int host, int series, int64_t ts) const {
  if (series < 0 || series >= kSeriesCount || kSeries[series].kind != SimKind::kCounter) return 0;
  const HostParams p = ParamsOf(seed_, host);
  auto cycle = [&](int s, double r, double m) {
    return CycleCounter(StreamKey(seed_, host, kSeries[s].key), r, m, ts, step_ms_);
  };
  // CPU: busy % = cpu_busy + 20 sin(2π day fraction) = cpu_busy * (1 + m sin(...)); the
  // busy time splits 72/20/8 into user/system/iowait, idle is the rest of 4 CPUs' time.
  const double m = 20 / p.cpu_busy;
  auto mode = [&](int s, double share) {
    return cycle(s, kCpus * 1000.0 * share * p.cpu_busy / 100, m);
  };
  switch (series) {
    case kCpuUser:
      return mode(kCpuUser, 0.72);
    case kCpuSystem:
      return mode(kCpuSystem, 0.20);
    case kCpuIowait:
      return mode(kCpuIowait, 0.08);
    case kCpuIdle: {
      if (ts < kBootMs) return 0;
      const uint64_t total = static_cast<uint64_t>(ts - kBootMs) * kCpus;
      const uint64_t busy = mode(kCpuUser, 0.72) + mode(kCpuSystem, 0.20) + mode(kCpuIowait, 0.08);
      return total > busy ? total - busy : 0;
    }
    case kNetRx:
      return cycle(kNetRx, p.rx, 0.6);
    case kNetTx:
      return cycle(kNetTx, p.tx, 0.6);
    case kDiskRead:
      return cycle(kDiskRead, p.rd, 0.5);
    case kDiskWrite:
      return cycle(kDiskWrite, p.wr, 0.5);
    default:
      return 0;
  }
}

double Simulator::Value(int host, int series, int64_t ts) const {
  if (series < 0 || series >= kSeriesCount) return std::nan("");
  if (kSeries[series].kind == SimKind::kCounter)
    return static_cast<double>(Counter(host, series, ts));
  return Gauge(host, series, ts);
}

double SimulatedValue(const SimulationSpec& spec, int host, std::string_view key, int64_t ts_ms) {
  Result<Simulator> s = Simulator::Make(spec);
  const int i = FindSimSeries(key);
  if (!s.ok() || i < 0) return std::nan("");
  return s->Value(host, i, ts_ms);
}

// ---- the command ------------------------------------------------------------------------

namespace {

using agents::HttpClient;
using agents::HttpRequest;
using agents::HttpResponse;

struct Target {
  std::string base;  // http://host:port, without a trailing slash
  std::string auth;  // "Bearer <token>"
  int64_t timeout_ms;
};

// One request; the first line of a transport failure names the URL.
Result<HttpResponse> Call(HttpClient& client, const Target& t, const std::string& path,
                          std::string_view body, bool gzip) {
  HttpRequest req;
  req.method = "POST";
  req.url = t.base + path;
  req.headers = {{"Authorization", t.auth}};
  if (gzip) {
    req.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    req.headers.emplace_back("Content-Encoding", "gzip");
  } else {
    req.headers.emplace_back("Content-Type", "application/json");
  }
  req.body = body;
  req.timeout_ms = t.timeout_ms;
  Result<HttpResponse> r = client.Do(req);
  if (!r.ok()) {
    return Status(r.status().code(), fmt::format("cannot reach strixd at {}: {} (is it running?)",
                                                 t.base, r.status().ToString()));
  }
  return r;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

Status HttpError(std::string_view what, const HttpResponse& r) {
  std::string msg = fmt::format("{} answered HTTP {}: {}", what, r.status, Trim(r.body));
  if (r.status == 401) msg += "\nhint: the token is unknown, revoked or expired";
  if (r.status == 403) msg += "\nhint: the token needs the scopes ingest and admin";
  if (r.body.find("out-of-order window") != std::string::npos) {
    msg +=
        "\nhint: strixd refuses samples older than storage.out_of_order_window (default 24h);"
        " to load N days, start it with out_of_order_window of more than N days (at most 30d)";
  }
  if (r.status == 413) msg += "\nhint: use a smaller --body-mib";
  return Status::Aborted(msg);
}

// gzip (RFC 1952) at level 1: the line protocol compresses about 8:1 even so, and the
// faster level leaves the CPU to strixd.
std::string Gzip(std::string_view in) {
  z_stream z{};
  deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Posts gzipped bodies from `connections` threads, each with its own HttpClient (one
// connection, kept alive). 503 is retried after its Retry-After; any other failure stops
// every thread and is what Finish() returns.
class Sender {
 public:
  Sender(const Target& target, int connections) : target_(target) {
    for (int i = 0; i < connections; ++i) threads_.emplace_back([this] { Run(); });
  }
  ~Sender() { Finish().IgnoreError(); }

  // Blocks while every thread is busy and one body waits. False once a request failed.
  bool Push(std::string body) STRIX_EXCLUDES(mu_) {
    MutexLock l(&mu_);
    while (error_.ok() && queue_.size() >= threads_.size()) cv_.Wait(&mu_);
    if (!error_.ok()) return false;
    queue_.push_back(std::move(body));
    cv_.SignalAll();
    return true;
  }

  // Waits until every body is stored (or a request failed); joins the threads.
  Status Finish() STRIX_EXCLUDES(mu_) {
    {
      MutexLock l(&mu_);
      closed_ = true;
      cv_.SignalAll();
    }
    threads_.clear();  // joins
    MutexLock l(&mu_);
    return error_;
  }

  uint64_t requests() const { return requests_.load(); }
  uint64_t retries() const { return retries_.load(); }

 private:
  void Run() STRIX_EXCLUDES(mu_) {
    HttpClient client;
    for (;;) {
      std::string body;
      {
        MutexLock l(&mu_);
        while (error_.ok() && queue_.empty() && !closed_) cv_.Wait(&mu_);
        if (!error_.ok() || queue_.empty()) return;
        body = std::move(queue_.front());
        queue_.pop_front();
        cv_.SignalAll();
      }
      Status st = Post(client, body);
      if (!st.ok()) {
        MutexLock l(&mu_);
        if (error_.ok()) error_ = std::move(st);
        cv_.SignalAll();
        return;
      }
    }
  }

  bool Failed() STRIX_EXCLUDES(mu_) {
    MutexLock l(&mu_);
    return !error_.ok();
  }

  Status Post(HttpClient& client, const std::string& body) {
    constexpr int kMaxRetries = 300;
    for (int attempt = 0;; ++attempt) {
      STRIX_ASSIGN_OR_RETURN(HttpResponse r, Call(client, target_, "/write?precision=ms", body,
                                                  /*gzip=*/true));
      ++requests_;
      if (r.status == 204 || r.status == 200) return Status::Ok();
      if (r.status != 503 || attempt == kMaxRetries) return HttpError("POST /write", r);
      ++retries_;
      // strixd is behind (its ingest queue is full): wait as it asks, unless another
      // request failed meanwhile.
      const int64_t wait_ms = 1000 * std::clamp<int64_t>(r.retry_after_s, 1, 60);
      for (int64_t waited = 0; waited < wait_ms; waited += 100) {
        if (Failed()) return Status::Cancelled("another request failed");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }

  const Target target_;
  Mutex mu_;
  CondVar cv_;
  std::deque<std::string> queue_ STRIX_GUARDED_BY(mu_);
  bool closed_ STRIX_GUARDED_BY(mu_) = false;
  Status error_ STRIX_GUARDED_BY(mu_);
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> retries_{0};
  std::vector<std::jthread> threads_;  // last: joined first at destruction
};

// A line protocol tag value: ',', '=', ' ' and '\' escaped.
std::string EscapeTag(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == ',' || c == '=' || c == ' ' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

template <typename T>
void AppendNumber(std::string* out, T v) {
  char buf[40];
  char* end = fmt::format_to(buf, "{}", v);
  out->append(buf, end);
}

// Consecutive series of one measurement and tag set: one line.
struct Group {
  int first, count;
};

std::vector<Group> Groups() {
  std::vector<Group> g;
  for (int i = 0; i < kSeriesCount; ++i) {
    if (!g.empty() && kSeries[i].measurement == kSeries[g.back().first].measurement &&
        kSeries[i].tags == kSeries[g.back().first].tags) {
      ++g.back().count;
    } else {
      g.push_back({i, 1});
    }
  }
  return g;
}

// Every series of one host at one timestamp, as line protocol.
void AppendRow(const Simulator& sim, const std::vector<Group>& groups, int host,
               std::string_view host_tag, int64_t ts, std::string* out) {
  for (const Group& g : groups) {
    const SimSeries& head = kSeries[g.first];
    out->append(head.measurement);
    out->append(",host=");
    out->append(host_tag);
    out->append(head.tags);
    out->push_back(' ');
    for (int i = g.first; i < g.first + g.count; ++i) {
      if (i != g.first) out->push_back(',');
      out->append(kSeries[i].field);
      out->push_back('=');
      if (kSeries[i].kind == SimKind::kCounter) {
        AppendNumber(out, sim.Counter(host, i, ts));
        out->push_back('u');
      } else {
        AppendNumber(out, sim.Gauge(host, i, ts));
      }
    }
    out->push_back(' ');
    AppendNumber(out, ts);
    out->push_back('\n');
  }
}

std::string Rfc3339(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(FloorDiv(ms, 1000));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "strix simulate: %s\n", std::string(s.message()).c_str());
  return 1;
}

Result<std::string> ResolveToken(const SimulateOptions& o) {
  if (!o.token.empty()) return o.token;
  if (!o.token_file.empty()) {
    std::ifstream f(o.token_file);
    std::string line;
    if (!f || !std::getline(f, line)) {
      return Status::InvalidArgument(fmt::format("cannot read a token from {}", o.token_file));
    }
    line = Trim(line);
    if (line.empty()) return Status::InvalidArgument(fmt::format("{} is empty", o.token_file));
    return line;
  }
  if (const char* env = std::getenv("STRIX_TOKEN"); env != nullptr && *env != '\0') {
    return std::string(env);
  }
  return Status::InvalidArgument(
      "no token: pass --token, --token-file or set STRIX_TOKEN (make one with "
      "`strix token create --name simulate --scope ingest,admin`)");
}

}  // namespace

int Simulate(const SimulateOptions& o) {
  if (o.hosts < 1 || o.hosts > 1'000'000) {
    std::fprintf(stderr, "strix simulate: --hosts must be 1 to 1000000\n");
    return 2;
  }
  if (o.connections < 1 || o.connections > 16 || !(o.body_mib > 0) || o.body_mib > 60 ||
      !(o.timeout_s > 0)) {
    std::fprintf(stderr,
                 "strix simulate: --connections must be 1 to 16, --body-mib above 0 and at "
                 "most 60, --timeout above 0\n");
    return 2;
  }
  Result<std::string> token = ResolveToken(o);
  if (!token.ok()) {
    std::fprintf(stderr, "strix simulate: %s\n", std::string(token.status().message()).c_str());
    return 2;
  }
  const int64_t end_ms = o.end_s >= 0 ? o.end_s * 1000 : Clock::Real().NowMillis();
  Result<Simulator> made = Simulator::Make({o.seed, o.days, o.per_hour, end_ms});
  if (!made.ok()) {
    std::fprintf(stderr, "strix simulate: %s\n", std::string(made.status().message()).c_str());
    return 2;
  }
  const Simulator& sim = *made;
  Target target{o.url, "Bearer " + *token, static_cast<int64_t>(o.timeout_s * 1000)};
  while (!target.base.empty() && target.base.back() == '/') target.base.pop_back();

  HttpClient::GlobalInit();
  HttpClient client;
  // Fail fast, before generating anything, on a wrong URL or a token without the scopes:
  // an empty write needs ingest (204), an empty tag update needs admin (then 400).
  {
    Result<HttpResponse> w = Call(client, target, "/write?precision=ms", "", true);
    if (!w.ok()) return Fail(w.status());
    if (w->status != 204) return Fail(HttpError("POST /write", *w));
    Result<HttpResponse> t = Call(client, target, "/update_tags", "{}", false);
    if (!t.ok()) return Fail(t.status());
    if (t->status == 401 || t->status == 403 || t->status >= 500)
      return Fail(HttpError("POST /update_tags", *t));
  }

  std::vector<std::string> host_tags;
  for (int h = 0; h < o.hosts; ++h) host_tags.push_back(EscapeTag(SimHostName(o.prefix, h)));
  const std::vector<Group> groups = Groups();
  const size_t limit = static_cast<size_t>(o.body_mib * (1 << 20));
  const auto t0 = std::chrono::steady_clock::now();
  uint64_t raw_bytes = 0, gz_bytes = 0, requests = 0, retries = 0;
  Status failed;
  {
    Sender sender(target, o.connections);
    std::string body;
    body.reserve(limit + (64 << 10));
    auto flush = [&]() {
      raw_bytes += body.size();
      std::string gz = Gzip(body);
      gz_bytes += gz.size();
      body.clear();
      return sender.Push(std::move(gz));
    };
    bool ok = true;
    for (int64_t ts = sim.first_ms(); ok && ts < sim.end_ms(); ts += sim.step_ms()) {
      for (int h = 0; ok && h < o.hosts; ++h) {
        AppendRow(sim, groups, h, host_tags[h], ts, &body);
        if (body.size() >= limit) ok = flush();
      }
    }
    if (ok && !body.empty()) flush();
    failed = sender.Finish();
    requests = sender.requests();
    retries = sender.retries();
  }
  if (!failed.ok()) return Fail(failed);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Tags, now that every host exists (strixd records a host at its first sample).
  static constexpr std::array<std::string_view, 4> kRoles{"web_server", "database", "cache",
                                                          "worker"};
  for (int h = 0; h < o.hosts; ++h) {
    const std::string name = SimHostName(o.prefix, h);
    std::string json = "{\"hostname\":";
    AppendJsonString(&json, name);
    json += ",\"tags\":{\"alias\":";
    AppendJsonString(&json, "Alias for " + name);
    json += ",\"location\":\"Test Location\",\"role\":";
    AppendJsonString(&json, kRoles[h % kRoles.size()]);
    json += "}}";
    Result<HttpResponse> r = Call(client, target, "/update_tags", json, false);
    if (!r.ok()) return Fail(r.status());
    if (r->status != 200) return Fail(HttpError("POST /update_tags " + name, *r));
  }

  const uint64_t series = static_cast<uint64_t>(o.hosts) * kSeriesCount;
  const uint64_t samples = series * static_cast<uint64_t>(sim.samples_per_series());
  std::printf("hosts: %d\nseries: %" PRIu64 "\nsamples: %" PRIu64
              "\nfrom: %s\nto: %s (exclusive)\nstep: %.3f s\n"
              "seconds: %.2f\nsamples/s: %.0f\nline protocol: %.1f MiB (%.1f MiB gzipped)\n"
              "requests: %" PRIu64 " (%" PRIu64 " retried after 503)\n",
              o.hosts, series, samples, Rfc3339(sim.first_ms()).c_str(),
              Rfc3339(sim.end_ms()).c_str(), static_cast<double>(sim.step_ms()) / 1000, seconds,
              static_cast<double>(samples) / std::max(seconds, 1e-9),
              static_cast<double>(raw_bytes) / (1 << 20), static_cast<double>(gz_bytes) / (1 << 20),
              requests, retries);
  return 0;
}

}  // namespace strix::tools
