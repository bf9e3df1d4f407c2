// The command line: defaults, every flag in both spellings, errors that name the flag,
// durations, and how the URL's path and precision parameter are settled.
#include "bench/loadgen/options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace strix::bench {
namespace {

constexpr int64_t kNow = 1'700'000'123'456;

Result<LoadgenOptions> Parse(std::vector<std::string_view> args) { return ParseArgs(args, kNow); }

TEST(LoadgenOptions, Defaults) {
  Result<LoadgenOptions> o = Parse({"--url", "http://127.0.0.1:8428"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->workload.hosts, 100);
  EXPECT_EQ(o->workload.span_ms, 3'600'000);
  EXPECT_EQ(o->workload.interval_ms, 10'000);
  EXPECT_EQ(o->workload.seed, 1u);
  EXPECT_EQ(o->workload.start_ms, DefaultStartMs(kNow, 3'600'000));
  EXPECT_EQ(o->payload.format, Format::kLineProtocol);
  EXPECT_EQ(o->payload.batch_lines, 5000);
  EXPECT_EQ(o->payload.precision, TimePrecision::kSeconds);
  EXPECT_FALSE(o->payload.gzip);
  EXPECT_EQ(o->send.connections, 4);
  EXPECT_EQ(o->send.timeout_ms, 60'000);
  EXPECT_EQ(o->send.retries, 0);
  EXPECT_EQ(o->pid, 0);
  EXPECT_FALSE(o->dry_run);
  EXPECT_EQ(o->dump, -1);
}

TEST(LoadgenOptions, EveryFlag) {
  Result<LoadgenOptions> o = Parse({"--url=http://127.0.0.1:1/x",
                                    "--format",
                                    "pattoo",
                                    "--hosts",
                                    "7",
                                    "--span=1d",
                                    "--interval",
                                    "30s",
                                    "--start",
                                    "1700000000",
                                    "--seed",
                                    "99",
                                    "--batch-lines",
                                    "100",
                                    "--pattoo-targets=5",
                                    "--precision",
                                    "ms",
                                    "--measurement",
                                    "m1",
                                    "--gzip",
                                    "--connections",
                                    "8",
                                    "--header",
                                    "Authorization: Bearer a",
                                    "--header=X-B: c",
                                    "--timeout",
                                    "5s",
                                    "--retries",
                                    "3",
                                    "--pid",
                                    "1234",
                                    "--cpu-settle",
                                    "2s",
                                    "--json",
                                    "/tmp/x.json",
                                    "--name",
                                    "vm",
                                    "--dry-run",
                                    "--dump",
                                    "2"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->url, "http://127.0.0.1:1/x");
  EXPECT_EQ(o->payload.format, Format::kPattoo);
  EXPECT_EQ(o->workload.hosts, 7);
  EXPECT_EQ(o->workload.span_ms, 86'400'000);
  EXPECT_EQ(o->workload.interval_ms, 30'000);
  EXPECT_EQ(o->workload.start_ms, 1'700'000'000'000);
  EXPECT_EQ(o->workload.seed, 99u);
  EXPECT_EQ(o->payload.batch_lines, 100);
  EXPECT_EQ(o->payload.pattoo_targets, 5);
  EXPECT_EQ(o->payload.precision, TimePrecision::kMilliseconds);
  EXPECT_TRUE(o->precision_given);
  EXPECT_EQ(o->payload.measurement, "m1");
  EXPECT_TRUE(o->payload.gzip);
  EXPECT_EQ(o->send.connections, 8);
  EXPECT_EQ(o->send.headers, (std::vector<std::string>{"Authorization: Bearer a", "X-B: c"}));
  EXPECT_EQ(o->send.timeout_ms, 5000);
  EXPECT_EQ(o->send.retries, 3);
  EXPECT_EQ(o->pid, 1234);
  EXPECT_EQ(o->cpu_settle_ms, 2000);
  EXPECT_EQ(o->json_path, "/tmp/x.json");
  EXPECT_EQ(o->name, "vm");
  EXPECT_TRUE(o->dry_run);
  EXPECT_EQ(o->dump, 2);
}

TEST(LoadgenOptions, ErrorsNameTheProblem) {
  auto err = [](std::vector<std::string_view> args) {
    Result<LoadgenOptions> o = Parse(args);
    EXPECT_FALSE(o.ok());
    return o.ok() ? std::string() : std::string(o.status().message());
  };
  EXPECT_NE(err({"--frobnicate"}).find("unknown argument \"--frobnicate\""), std::string::npos);
  EXPECT_NE(err({"--url"}).find("--url needs a value"), std::string::npos);
  EXPECT_NE(err({"--url", "http://x", "--hosts", "0"}).find("--hosts"), std::string::npos);
  EXPECT_NE(err({"--url", "http://x", "--hosts", "12x"}).find("--hosts"), std::string::npos);
  EXPECT_NE(err({"--url", "http://x", "--span", "1y"}).find("bad duration"), std::string::npos);
  EXPECT_NE(err({"--url", "http://x", "--format", "json"}).find("unknown format"),
            std::string::npos);
  EXPECT_NE(err({"--url", "http://x", "--precision", "us"}).find("unknown precision"),
            std::string::npos);
  EXPECT_NE(err({"--url", "http://x", "--gzip=yes"}).find("takes no value"), std::string::npos);
  EXPECT_NE(err({"--url", "http://x", "--cpu-settle", "1s"}).find("--pid"), std::string::npos);
  EXPECT_NE(err({"--hosts", "3"}).find("--url is required"), std::string::npos);
  EXPECT_NE(err({"--url", "http://x", "--header", "bad"}).find("Name: value"), std::string::npos);
  EXPECT_TRUE(Parse({"--dry-run"}).ok());
  EXPECT_TRUE(Parse({"--dump", "1"}).ok());
  EXPECT_TRUE(Parse({"--help"})->help);
}

TEST(LoadgenOptions, Durations) {
  EXPECT_EQ(ParseDuration("10s").value(), 10'000);
  EXPECT_EQ(ParseDuration("10").value(), 10'000);
  EXPECT_EQ(ParseDuration("250ms").value(), 250);
  EXPECT_EQ(ParseDuration("90m").value(), 5'400'000);
  EXPECT_EQ(ParseDuration("1h").value(), 3'600'000);
  EXPECT_EQ(ParseDuration("1d").value(), 86'400'000);
  EXPECT_EQ(ParseDuration("2w").value(), 1'209'600'000);
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("h").ok());
  EXPECT_FALSE(ParseDuration("1.5h").ok());
  EXPECT_FALSE(ParseDuration("-1s").ok());
  EXPECT_FALSE(ParseDuration("99999999999999999d").ok());
}

std::string Target(std::vector<std::string_view> args, Status* st = nullptr) {
  Result<LoadgenOptions> o = Parse(args);
  EXPECT_TRUE(o.ok()) << o.status().ToString();
  Status s = ResolveUrl(&*o);
  if (st != nullptr) *st = s;
  return o->send.url.target;
}

TEST(LoadgenOptions, UrlPathAndPrecisionAreSettled) {
  EXPECT_EQ(Target({"--url", "http://127.0.0.1:8428"}), "/write?precision=s");
  EXPECT_EQ(Target({"--url", "http://127.0.0.1:8428/api/v2/write?bucket=b", "--precision", "ns"}),
            "/api/v2/write?bucket=b&precision=ns");
  EXPECT_EQ(Target({"--url", "http://127.0.0.1:20201", "--format", "pattoo"}),
            "/pattoo/api/v1/agent/receive/{agent_id}");

  // The URL's precision is taken when --precision is absent.
  Result<LoadgenOptions> o = Parse({"--url", "http://127.0.0.1:1/write?precision=ms"});
  ASSERT_TRUE(ResolveUrl(&*o).ok());
  EXPECT_EQ(o->payload.precision, TimePrecision::kMilliseconds);
  EXPECT_EQ(o->send.url.target, "/write?precision=ms");
  EXPECT_EQ(o->send.content_type, "text/plain; charset=utf-8");

  o = Parse({"--url", "http://127.0.0.1:1/write?precision=ms", "--precision", "s"});
  Status st = ResolveUrl(&*o);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("disagrees"), std::string_view::npos);
  o = Parse({"--url", "http://127.0.0.1:1/write?precision=us"});
  EXPECT_FALSE(ResolveUrl(&*o).ok());
  o = Parse({"--url", "https://127.0.0.1:1/write"});
  EXPECT_FALSE(ResolveUrl(&*o).ok());

  o = Parse({"--url", "http://127.0.0.1:1", "--format", "pattoo", "--gzip"});
  ASSERT_TRUE(ResolveUrl(&*o).ok());
  EXPECT_EQ(o->send.content_type, "application/json");
  EXPECT_EQ(o->send.content_encoding, "gzip");
}

TEST(LoadgenOptions, RemoteWriteUrlAndHeaders) {
  Result<LoadgenOptions> o = Parse({"--url", "http://127.0.0.1:9090", "--format", "remote-write"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  ASSERT_TRUE(ResolveUrl(&*o).ok());
  EXPECT_EQ(o->send.url.target, "/api/v1/write");  // no precision= appended
  EXPECT_EQ(o->send.content_type, "application/x-protobuf");
  EXPECT_EQ(o->send.content_encoding, "snappy");
  EXPECT_EQ(o->send.format_headers,
            (std::vector<std::string>{"X-Prometheus-Remote-Write-Version: 0.1.0"}));

  o = Parse({"--url", "http://127.0.0.1:8428/api/v1/write?extra_label=a", "--format", "prw"});
  ASSERT_TRUE(ResolveUrl(&*o).ok());
  EXPECT_EQ(o->send.url.target, "/api/v1/write?extra_label=a");

  o = Parse({"--url", "http://127.0.0.1:1", "--format", "remote-write", "--gzip"});
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("--gzip"), std::string_view::npos);

  // Line protocol carries no remote-write header.
  o = Parse({"--url", "http://127.0.0.1:1"});
  ASSERT_TRUE(ResolveUrl(&*o).ok());
  EXPECT_TRUE(o->send.format_headers.empty());
  EXPECT_EQ(o->send.content_encoding, "");
}

TEST(LoadgenOptions, IntCountersAndPrintSeries) {
  Result<LoadgenOptions> o = Parse({"--hosts", "8", "--int-counters", "--print-series",
                                    "7:cpu_user,0:requests", "--print-series=3:latency_ms"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();  // --url is not needed
  EXPECT_TRUE(o->payload.int_counters);
  EXPECT_EQ(o->print_series, (std::vector<SeriesRef>{{7, 0}, {0, 7}, {3, 9}}));
  EXPECT_FALSE(Parse({"--dry-run"})->payload.int_counters);

  o = Parse({"--print-series", "8:cpu_user", "--hosts", "8"});
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("out of range"), std::string_view::npos);
  o = Parse({"--print-series", "1:cpu"});
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("unknown metric"), std::string_view::npos);
  EXPECT_FALSE(Parse({"--dry-run", "--int-counters=1"}).ok());
}

}  // namespace
}  // namespace strix::bench
