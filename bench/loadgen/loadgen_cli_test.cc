// The built strix-loadgen binary, run as a user would: --dry-run and --dump send nothing,
// a full run against TestHttpServer (with this test process as the --pid target) exits 0
// and writes JSON whose counts match what the server received, and a server answering
// 503 makes it exit 1. Usage errors exit 2. Remote write arrives with its headers and
// decodes (test_remote_write_decoder.h); --print-series prints what the library expects.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "bench/loadgen/expected_series.h"
#include "bench/loadgen/test_http_server.h"
#include "bench/loadgen/test_remote_write_decoder.h"
#include "core/env.h"
#include "core/testing/temp_dir.h"

extern char** environ;

namespace strix::bench {
namespace {

using testing::NoContent;
using testing::TestAnswer;
using testing::TestHttpServer;
using testing::TestRequest;

struct ToolRun {
  int exit_code = -1;
  std::string out;
};

// Runs the tool with `args`, stdout and stderr into one file (or stdout only).
ToolRun RunTool(const std::vector<std::string>& args, bool merge_stderr = true) {
  strix::testing::TempDir dir;
  const std::string out_path = dir.Join("out.txt");
  std::vector<char*> argv;
  std::string path = STRIX_LOADGEN_PATH;
  argv.push_back(path.data());
  std::vector<std::string> copy = args;
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (merge_stderr) posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = 0;
  ToolRun r;
  const int rc = posix_spawn(&pid, path.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return r;
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFileToString(Env::Default(), out_path).value_or("");
  return r;
}

TEST(LoadgenCli, DryRunDescribesThePayloads) {
  const ToolRun r =
      RunTool({"--dry-run", "--hosts", "10", "--span", "1h", "--start", "1700000000"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("10 hosts x 10 metrics x 360 points = 36000 samples"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("payloads: 1 bodies, 3600 lines, 36000 samples"), std::string::npos)
      << r.out;
}

TEST(LoadgenCli, DumpPrintsTheFirstBodies) {
  const ToolRun r = RunTool({"--dump", "2", "--hosts", "3", "--span", "1m", "--batch-lines", "4",
                             "--start", "1700000000", "--gzip"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  size_t lines = 0;
  for (char c : r.out) lines += c == '\n';
  EXPECT_EQ(lines, 8u) << r.out;  // two bodies of four lines, uncompressed
  EXPECT_TRUE(r.out.starts_with("node,host=host-00000 cpu_user=")) << r.out;
  EXPECT_NE(r.out.find(" 1700000000\nnode,host=host-00001 "), std::string::npos) << r.out;
}

TEST(LoadgenCli, SendsAndWritesJson) {
  TestHttpServer s([](const TestRequest&, uint64_t) { return NoContent(); });
  strix::testing::TempDir dir;
  const std::string json_path = dir.Join("report.json");
  const ToolRun r =
      RunTool({"--url", s.Url("/write"), "--hosts", "20", "--span", "10m", "--batch-lines", "50",
               "--connections", "3", "--pid", std::to_string(::getpid()), "--json", json_path,
               "--name", "test-server", "--header", "Authorization: Bearer abc"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("samples acknowledged: 12000 of 12000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("target pid "), std::string::npos) << r.out;

  const auto reqs = s.Requests();
  EXPECT_EQ(reqs.size(), 24u);  // 20 hosts x 60 points / 50 lines
  for (const TestRequest& q : reqs) {
    EXPECT_EQ(q.target, "/write?precision=s");
    EXPECT_EQ(q.headers.at("authorization"), "Bearer abc");
  }

  Result<std::string> json = ReadFileToString(Env::Default(), json_path);
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(*json).get(doc), simdjson::SUCCESS) << *json;
  uint64_t n = 0;
  ASSERT_EQ(doc.at_pointer("/send/samples_ok").get_uint64().get(n), simdjson::SUCCESS);
  EXPECT_EQ(n, 12'000u);
  ASSERT_EQ(doc.at_pointer("/send/requests").get_uint64().get(n), simdjson::SUCCESS);
  EXPECT_EQ(n, 24u);
  ASSERT_EQ(doc.at_pointer("/send/status_counts/204").get_uint64().get(n), simdjson::SUCCESS);
  EXPECT_EQ(n, 24u);
  int64_t pid = 0;
  ASSERT_EQ(doc.at_pointer("/target/pid").get_int64().get(pid), simdjson::SUCCESS);
  EXPECT_EQ(pid, ::getpid());
  ASSERT_EQ(doc.at_pointer("/target/peak_rss_bytes").get_uint64().get(n), simdjson::SUCCESS);
  EXPECT_GT(n, 0u);
  std::string_view name;
  ASSERT_EQ(doc.at_pointer("/name").get_string().get(name), simdjson::SUCCESS);
  EXPECT_EQ(name, "test-server");
}

TEST(LoadgenCli, Non2xxAnswersExitOne) {
  TestHttpServer s([](const TestRequest&, uint64_t) {
    return TestAnswer{"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy"};
  });
  const ToolRun r = RunTool({"--url", s.Url("/write"), "--hosts", "2", "--span", "1m"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("503: 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("HTTP 503 Service Unavailable: busy"), std::string::npos) << r.out;
}

TEST(LoadgenCli, UsageErrorsExitTwo) {
  EXPECT_EQ(RunTool({"--hosts", "0", "--dry-run"}).exit_code, 2);
  EXPECT_EQ(RunTool({"--url", "http://example.com/"}).exit_code, 2);
  const ToolRun help = RunTool({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: strix-loadgen"), std::string::npos);
}

TEST(LoadgenCli, PrintSeriesPrintsTheExpectedSamples) {
  const ToolRun r = RunTool(
      {"--print-series", "2:cpu_user,0:requests", "--print-series", "1:mem_total", "--hosts", "3",
       "--span", "2m", "--start", "1700000000", "--seed", "5", "--measurement", "host"},
      /*merge_stderr=*/false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  WorkloadOptions wo;
  wo.hosts = 3;
  wo.span_ms = 120'000;
  wo.start_ms = 1'700'000'000'000;
  wo.seed = 5;
  const Workload w = Workload::Create(wo).value();
  std::string want;
  for (SeriesRef ref : {SeriesRef{2, 0}, SeriesRef{0, 7}, SeriesRef{1, 8}})
    want += ExpectedSeriesJson(ExpectSeries(w, ref, "host").value());
  EXPECT_EQ(r.out, want);
  EXPECT_TRUE(
      r.out.starts_with(R"({"host":"host-00002","metric":"cpu_user","name":"host_cpu_user",)"
                        R"("type":"fixed2","timestamps_ms":[1700000000000,1700000010000,)"))
      << r.out;

  const ToolRun bad = RunTool({"--print-series", "3:cpu_user", "--hosts", "3"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("out of range"), std::string::npos) << bad.out;
}

std::vector<testing::DecodedSeries> DecodeBody(const std::string& body) {
  std::string raw, error;
  EXPECT_TRUE(testing::SnappyBlockDecode(body, &raw, &error)) << error;
  std::vector<testing::DecodedSeries> series;
  EXPECT_TRUE(testing::DecodeWriteRequest(raw, &series, &error)) << error;
  return series;
}

TEST(LoadgenCli, RemoteWriteSendsSnappyProtobufWithItsHeaders) {
  TestHttpServer s([](const TestRequest&, uint64_t) { return NoContent(); });
  strix::testing::TempDir dir;
  const std::string json_path = dir.Join("report.json");
  const ToolRun r = RunTool({"--url", s.Url("/api/v1/write"), "--format", "remote-write", "--hosts",
                             "3", "--span", "1m", "--batch-lines", "5", "--connections", "1",
                             "--start", "1700000000", "--json", json_path});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("samples acknowledged: 180 of 180"), std::string::npos) << r.out;
  const auto reqs = s.Requests();
  ASSERT_EQ(reqs.size(), 4u);  // 18 rows in batches of 5
  uint64_t samples = 0;
  std::set<std::string> names;
  for (const TestRequest& q : reqs) {
    EXPECT_EQ(q.method, "POST");
    EXPECT_EQ(q.target, "/api/v1/write");
    EXPECT_EQ(q.headers.at("content-type"), "application/x-protobuf");
    EXPECT_EQ(q.headers.at("content-encoding"), "snappy");
    EXPECT_EQ(q.headers.at("x-prometheus-remote-write-version"), "0.1.0");
    EXPECT_EQ(q.headers.at("user-agent"), "strix-loadgen");
    for (const testing::DecodedSeries& d : DecodeBody(q.body)) {
      samples += d.samples.size();
      names.insert(d.labels.at(0).second);
      for (const auto& [v, ts] : d.samples) {
        EXPECT_GE(ts, 1'700'000'000'000);
        EXPECT_LT(ts, 1'700'000'060'000);
      }
    }
  }
  EXPECT_EQ(samples, 180u);
  EXPECT_EQ(names.size(), 10u);
  EXPECT_TRUE(names.contains("node_cpu_user")) << r.out;

  Result<std::string> json = ReadFileToString(Env::Default(), json_path);
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(*json).get(doc), simdjson::SUCCESS) << *json;
  std::string_view text;
  ASSERT_EQ(doc.at_pointer("/format").get_string().get(text), simdjson::SUCCESS);
  EXPECT_EQ(text, "remote-write");
  ASSERT_EQ(doc.at_pointer("/payloads/compression").get_string().get(text), simdjson::SUCCESS);
  EXPECT_EQ(text, "snappy");
  ASSERT_EQ(doc.at_pointer("/url").get_string().get(text), simdjson::SUCCESS);
  EXPECT_TRUE(text.ends_with("/api/v1/write")) << text;
  uint64_t n = 0, body_bytes = 0;
  ASSERT_EQ(doc.at_pointer("/payloads/samples").get_uint64().get(n), simdjson::SUCCESS);
  EXPECT_EQ(n, 180u);
  ASSERT_EQ(doc.at_pointer("/payloads/body_bytes").get_uint64().get(body_bytes), simdjson::SUCCESS);
  ASSERT_EQ(doc.at_pointer("/send/body_bytes_sent").get_uint64().get(n), simdjson::SUCCESS);
  EXPECT_EQ(n, body_bytes);
  uint64_t received = 0;
  for (const TestRequest& q : reqs) received += q.body.size();
  EXPECT_EQ(received, body_bytes);
}

TEST(LoadgenCli, RemoteWriteDryRunAndDump) {
  strix::testing::TempDir dir;
  const std::string json_path = dir.Join("dry.json");
  const ToolRun r =
      RunTool({"--dry-run", "--format", "remote-write", "--hosts", "10", "--span", "1h", "--start",
               "1700000000", "--batch-lines", "1000", "--json", json_path});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("remote-write workload: 10 hosts x 10 metrics x 360 points = 36000"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("payloads: 4 bodies, 3600 lines, 36000 samples"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(" snappy, built in"), std::string::npos) << r.out;
  Result<std::string> json = ReadFileToString(Env::Default(), json_path);
  ASSERT_TRUE(json.ok());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(*json).get(doc), simdjson::SUCCESS) << *json;
  uint64_t raw = 0, body = 0, lines = 0;
  ASSERT_EQ(doc.at_pointer("/payloads/raw_bytes").get_uint64().get(raw), simdjson::SUCCESS);
  ASSERT_EQ(doc.at_pointer("/payloads/body_bytes").get_uint64().get(body), simdjson::SUCCESS);
  ASSERT_EQ(doc.at_pointer("/payloads/batch_lines").get_uint64().get(lines), simdjson::SUCCESS);
  EXPECT_LT(body, raw);
  EXPECT_EQ(lines, 1000u);
  bool sent = true;
  ASSERT_EQ(doc.at_pointer("/sent").get_bool().get(sent), simdjson::SUCCESS);
  EXPECT_FALSE(sent);

  // --dump writes the WriteRequest protobuf itself, uncompressed.
  const ToolRun dump = RunTool({"--dump", "1", "--format", "remote-write", "--hosts", "2", "--span",
                                "30s", "--start", "1700000000"},
                               /*merge_stderr=*/false);
  ASSERT_EQ(dump.exit_code, 0);
  std::vector<testing::DecodedSeries> series;
  std::string error;
  ASSERT_TRUE(testing::DecodeWriteRequest(dump.out, &series, &error)) << error;
  ASSERT_EQ(series.size(), 20u);
  EXPECT_EQ(series[0].labels.at(0).second, "node_cpu_user");
  EXPECT_EQ(series[0].labels.at(1).second, "host-00000");
  ASSERT_EQ(series[0].samples.size(), 3u);
  EXPECT_EQ(series[0].samples[0].first, 23.11);
  EXPECT_EQ(series[0].samples[1].first, 22.95);
}

}  // namespace
}  // namespace strix::bench
