// The built strix-loadgen binary, run as a user would: --dry-run and --dump send nothing,
// a full run against TestHttpServer (with this test process as the --pid target) exits 0
// and writes JSON whose counts match what the server received, and a server answering
// 503 makes it exit 1. Usage errors exit 2.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "bench/loadgen/test_http_server.h"
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

// Runs the tool with `args`, stdout and stderr into one file.
ToolRun RunTool(const std::vector<std::string>& args) {
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
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
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

}  // namespace
}  // namespace strix::bench
