// strix-loadgen --format remote-write against a real Prometheus: Debian's
// /usr/bin/prometheus (2.42), one fresh process per test with its own data directory, a
// config without scrape targets, --web.enable-remote-write-receiver, and
// --web.listen-address=127.0.0.1:0 (the port it bound is read back from its log, so no
// port is guessed). The built tool sends the workload; Prometheus' query API must then
// give back every series and every sample, with the values of ExpectSeries (what
// --print-series prints) to the last digit. Prometheus is stopped by its PID (SIGTERM,
// then SIGKILL after 10 s).
//
// A missing /usr/bin/prometheus fails the test: the package is in deps.txt. The variable
// STRIX_PROMETHEUS_PATH names another binary.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/loadgen/expected_series.h"
#include "bench/loadgen/http_client.h"
#include "bench/loadgen/workload.h"
#include "core/env.h"
#include "core/testing/temp_dir.h"

extern char** environ;

namespace strix::bench {
namespace {

// Debian's binary; $STRIX_PROMETHEUS_PATH may name another one.
std::string PrometheusPath() {
  const char* env = std::getenv("STRIX_PROMETHEUS_PATH");
  return env != nullptr && *env != '\0' ? env : STRIX_PROMETHEUS_PATH;
}

// The out-of-order window lets the receiver take a batch that arrives after a later one
// on another connection (bench/README.md: remote write to Prometheus).
constexpr std::string_view kConfig =
    "global:\n"
    "  scrape_interval: 1m\n"
    "  evaluation_interval: 1m\n"
    "storage:\n"
    "  tsdb:\n"
    "    out_of_order_time_window: 1h\n";

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

// Runs a program with stdout and stderr into `log_path`; returns its PID or -1.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

std::string ReadAll(const std::string& path) {
  return ReadFileToString(Env::Default(), path).value_or("");
}

// A Prometheus server process for one test.
class PrometheusProcess {
 public:
  explicit PrometheusProcess(const strix::testing::TempDir& dir)
      : log_path_(dir.Join("prometheus.log")) {
    const std::string config = dir.Join("prometheus.yml");
    STRIX_CHECK(WriteFileAtomically(Env::Default(), config, kConfig).ok());
    pid_ = Spawn({PrometheusPath(), "--config.file=" + config,
                  "--storage.tsdb.path=" + dir.Join("data"), "--web.listen-address=127.0.0.1:0",
                  "--web.enable-remote-write-receiver", "--log.level=info"},
                 log_path_);
  }
  ~PrometheusProcess() { Stop(); }
  PrometheusProcess(const PrometheusProcess&) = delete;
  PrometheusProcess& operator=(const PrometheusProcess&) = delete;

  // Waits for the port in the log, then for /-/ready; an error says why not.
  Status WaitReady() {
    if (pid_ < 0) return Status::Internal("posix_spawn of prometheus failed");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    constexpr std::string_view kListening = "msg=\"Listening on\" address=127.0.0.1:";
    while (port_ == 0) {
      const std::string log = ReadAll(log_path_);
      if (const size_t at = log.find(kListening); at != std::string::npos)
        port_ = std::atoi(log.c_str() + at + kListening.size());
      if (port_ == 0) {
        if (Exited()) return Status::Internal("prometheus exited early", Log());
        if (std::chrono::steady_clock::now() > deadline)
          return Status::DeadlineExceeded("prometheus did not log its port", Log());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    for (;;) {
      Result<HttpResponse> r = Get("/-/ready");
      if (r.ok() && r->status == 200) return Status::Ok();
      if (Exited()) return Status::Internal("prometheus exited early", Log());
      if (std::chrono::steady_clock::now() > deadline)
        return Status::DeadlineExceeded("prometheus did not become ready", Log());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  pid_t pid() const { return pid_; }
  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::string Log() const { return ReadAll(log_path_); }

  Result<HttpResponse> Get(const std::string& target) {
    STRIX_ASSIGN_OR_RETURN(HttpUrl url, ParseHttpUrl(Url("/")));
    HttpConnection conn(url.addr, 10'000, 64 << 20);
    const std::string head = "GET " + target + " HTTP/1.1\r\nHost: " + url.HostHeader() +
                             "\r\nConnection: close\r\n\r\n";
    return conn.RoundTrip(head, "");
  }

  // Runs an instant query at `time_s`; the parsed "data" member, or an error.
  Status Query(const std::string& promql, int64_t time_s, simdjson::dom::parser* parser,
               simdjson::dom::element* data) {
    STRIX_ASSIGN_OR_RETURN(HttpResponse r, Get("/api/v1/query?query=" + UrlEncode(promql) +
                                               "&time=" + std::to_string(time_s)));
    if (r.status != 200)
      return Status::Internal("query " + promql + ": HTTP " + std::to_string(r.status), r.body);
    body_ = r.body;
    simdjson::dom::element doc;
    if (parser->parse(body_).get(doc) != simdjson::SUCCESS || doc["data"].get(*data))
      return Status::Internal("query " + promql + ": not JSON", r.body);
    return Status::Ok();
  }

 private:
  bool Exited() {
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return true;
    }
    return false;
  }
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 1000; ++i) {
      if (Exited()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string body_;  // the last query's answer (the parser's elements point into it)
};

struct ToolRun {
  int exit_code = -1;
  std::string out;
};

ToolRun RunLoadgen(const std::vector<std::string>& args, const strix::testing::TempDir& dir) {
  std::vector<std::string> argv = {STRIX_LOADGEN_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string out = dir.Join("loadgen.out");
  ToolRun r;
  const pid_t pid = Spawn(argv, out);
  if (pid < 0) return r;
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadAll(out);
  return r;
}

#define ASSERT_OK(expr)                                                \
  do {                                                                 \
    const Status assert_ok_status = (expr);                            \
    ASSERT_TRUE(assert_ok_status.ok()) << assert_ok_status.ToString(); \
  } while (0)

// The sample value of an instant vector element.
std::string VectorValue(simdjson::dom::element e) {
  std::string_view v;
  if (e["value"].at(1).get_string().get(v) != simdjson::SUCCESS) return "?";
  return std::string(v);
}

class PrometheusRemoteWrite : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::access(PrometheusPath().c_str(), X_OK), 0)
        << PrometheusPath() << " is missing: install the Debian package prometheus (deps.txt)";
    prometheus_ = std::make_unique<PrometheusProcess>(dir_);
    const Status st = prometheus_->WaitReady();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  strix::testing::TempDir dir_;
  std::unique_ptr<PrometheusProcess> prometheus_;
};

TEST_F(PrometheusRemoteWrite, EverySampleIsStoredWithItsExactValue) {
  // 4 hosts x 10 metrics x 60 points, starting on a minute 30 to 31 minutes ago; batches of
  // 7 rows cut across hosts and points, and 2 connections may deliver them out of order.
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  const int64_t start_s = (now_s - 1800) / 60 * 60;
  WorkloadOptions wo;
  wo.hosts = 4;
  wo.span_ms = 600'000;
  wo.start_ms = start_s * 1000;
  const Workload w = Workload::Create(wo).value();
  ASSERT_EQ(w.samples(), 2400u);

  const ToolRun run = RunLoadgen(
      {"--url", prometheus_->Url("/api/v1/write"), "--format", "remote-write", "--hosts", "4",
       "--span", "10m", "--start", std::to_string(start_s), "--batch-lines", "7", "--connections",
       "2", "--pid", std::to_string(prometheus_->pid()), "--name", "prometheus"},
      dir_);
  ASSERT_EQ(run.exit_code, 0) << run.out << "\n" << prometheus_->Log();
  EXPECT_NE(run.out.find("samples acknowledged: 2400 of 2400"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("answers: 204: 35"), std::string::npos) << run.out;  // 240 rows / 7

  const int64_t at_s = w.TimestampMs(w.points() - 1) / 1000;  // the last point
  simdjson::dom::parser parser;
  simdjson::dom::element data;
  uint64_t n = 0;

  // Series in total (every series has a sample at the last point), and samples per
  // metric (an *_over_time over several metric names would drop the names and collide).
  ASSERT_OK(prometheus_->Query(R"(count({__name__=~"node_.+"}))", at_s, &parser, &data));
  EXPECT_EQ(VectorValue(data["result"].at(0)), "40");
  for (const MetricSpec& m : kHostMetrics) {
    const std::string q = "sum(count_over_time(node_" + std::string(m.name) + "[15m]))";
    ASSERT_OK(prometheus_->Query(q, at_s, &parser, &data));
    EXPECT_EQ(VectorValue(data["result"].at(0)), "240") << q;
  }

  // Points per series, one answer per host.
  ASSERT_OK(prometheus_->Query("count_over_time(node_cpu_user[15m])", at_s, &parser, &data));
  simdjson::dom::array result;
  ASSERT_EQ(data["result"].get_array().get(result), simdjson::SUCCESS);
  EXPECT_EQ(result.size(), 4u);
  for (simdjson::dom::element e : result) {
    std::string_view host;
    EXPECT_EQ(e["metric"]["host"].get_string().get(host), simdjson::SUCCESS);
    EXPECT_TRUE(host.starts_with("host-0000")) << host;
    EXPECT_EQ(VectorValue(e), "60") << host;
    ++n;
  }
  EXPECT_EQ(n, 4u);

  // Raw samples of two hosts' ten series: timestamps, and values printed by Prometheus
  // (shortest round-trip text) equal to the line protocol's text.
  for (int host : {0, 3}) {
    const std::string sel =
        R"({__name__=~"node_.+",host=")" + Workload::HostName(host) + R"("}[15m])";
    ASSERT_OK(prometheus_->Query(sel, at_s, &parser, &data));
    ASSERT_EQ(data["result"].get_array().get(result), simdjson::SUCCESS);
    ASSERT_EQ(result.size(), static_cast<size_t>(kMetricsPerHost));
    for (simdjson::dom::element e : result) {
      std::string_view name;
      ASSERT_EQ(e["metric"]["__name__"].get_string().get(name), simdjson::SUCCESS);
      const int metric = MetricIndex(name.substr(5));
      ASSERT_GE(metric, 0) << name;
      const ExpectedSeries want = ExpectSeries(w, {host, metric}, "node").value();
      EXPECT_EQ(name, want.name);
      simdjson::dom::array values;
      ASSERT_EQ(e["values"].get_array().get(values), simdjson::SUCCESS);
      ASSERT_EQ(values.size(), want.texts.size()) << name;
      size_t i = 0;
      for (simdjson::dom::element v : values) {
        double ts = 0;
        std::string_view text;
        ASSERT_EQ(v.at(0).get_double().get(ts), simdjson::SUCCESS);
        ASSERT_EQ(v.at(1).get_string().get(text), simdjson::SUCCESS);
        EXPECT_EQ(std::llround(ts * 1000), want.timestamps_ms[i]) << name << " point " << i;
        EXPECT_EQ(text, want.texts[i]) << name << " point " << i;
        ++i;
      }
    }
  }
}

}  // namespace
}  // namespace strix::bench
