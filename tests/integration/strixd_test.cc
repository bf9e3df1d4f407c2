// strixd end to end: a real strixd process on 127.0.0.1 per test, driven over HTTP.
// Every ingest format reads back identical; bad input gets its documented 4xx while
// everything stored before stays; kill -9 during continuous ingest loses no acknowledged
// sample; SIGTERM stops in order within 5 s.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "core/testing/temp_dir.h"
#include "harness.h"

namespace strix::testing {
namespace {

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Gzip(const std::string& in) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string ReadSource(const std::string& rel) {
  std::ifstream f(std::string(std::getenv("STRIX_SOURCE_DIR")) + "/" + rel);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int RunCommand(const std::string& cmd, std::string* out = nullptr) {
  std::string text;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  char buf[512];
  while (std::fgets(buf, sizeof(buf), p) != nullptr) text += buf;
  const int rc = ::pclose(p);
  if (out != nullptr) *out = text;
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

class StrixdTest : public ::testing::Test {
 protected:
  void StartServer(const std::string& yaml = "") {
    server_ = std::make_unique<StrixdProcess>(dir_.path(), yaml);
    token_ = server_->CreateToken("ingest,read,admin");
    ASSERT_TRUE(token_.starts_with("strix_")) << token_;
    ASSERT_TRUE(server_->Start()) << server_->output();
  }
  std::vector<std::pair<std::string, std::string>> Auth(const std::string& t = "") {
    return {{"Authorization", "Bearer " + (t.empty() ? token_ : t)}};
  }
  HttpResult Get(const std::string& target) {
    return HttpCall(server_->port(), "GET", target, "", Auth());
  }
  HttpResult Write(const std::string& body, const std::string& precision = "s") {
    return HttpCall(server_->port(), "POST", "/write?precision=" + precision, body, Auth());
  }

  TempDir dir_;
  std::unique_ptr<StrixdProcess> server_;
  std::string token_;
};

TEST_F(StrixdTest, LineProtocolPlainAndGzipReadsBackExactly) {
  StartServer();
  const int64_t t = NowSeconds() - 60;
  HttpResult w = Write(
      "if,host=sw1,ifName=ge-0/0/1 in=18446744073709551615u,err=-2i,up=true,"
      "oper=\"up\",util=0.1 " +
      std::to_string(t) + "\n");
  ASSERT_EQ(w.status, 204) << w.body;
  HttpResult g = HttpCall(server_->port(), "POST", "/api/v2/write?precision=s&org=o&bucket=b",
                          Gzip("if,host=sw1,ifName=ge-0/0/1 util=0.2 " + std::to_string(t + 10)),
                          {{"Authorization", "Token " + token_}, {"Content-Encoding", "gzip"}});
  ASSERT_EQ(g.status, 204) << g.body;
  const std::string range = "&start=" + std::to_string(t - 1) + "&end=" + std::to_string(t + 11);
  HttpResult r = Get("/api/v1/select?match[]=if_in" + range);
  EXPECT_NE(r.body.find("\"kind\":\"counter64\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"values\":[18446744073709551615]"), std::string::npos) << r.body;
  r = Get("/api/v1/select?match[]=if_err" + range);
  EXPECT_NE(r.body.find("\"values\":[-2]"), std::string::npos) << r.body;
  r = Get("/api/v1/select?match[]=if_util" + range);
  EXPECT_NE(r.body.find("\"values\":[0.1,0.2]"), std::string::npos) << r.body;
  r = Get("/api/v1/select?match[]=if_oper" + range);
  EXPECT_NE(r.body.find("\"values\":[\"up\"]"), std::string::npos) << r.body;
  r = Get("/api/v1/select?match[]=if_up" + range);
  EXPECT_NE(r.body.find("\"values\":[1]"), std::string::npos) << r.body;
  r = Get("/api/v1/hosts");
  EXPECT_NE(r.body.find("\"host\":\"sw1\""), std::string::npos) << r.body;
}

TEST_F(StrixdTest, NakulosMetricsPostReadsBackThroughItsOwnEndpoints) {
  StartServer();
  const int64_t t = NowSeconds() - 120;
  HttpResult w = HttpCall(server_->port(), "POST", "/metrics",
                          R"({"hostname":"web1","client_id":"c-1","metrics":{"cpu_usage":)"
                          R"({"value":42.5,"timestamp":)" +
                              std::to_string(t) + R"(.5},"mem":70},"tags":{"role":"web"}})",
                          Auth());
  ASSERT_EQ(w.status, 200) << w.body;
  EXPECT_EQ(w.body, R"({"status": "received"})");
  HttpResult r = Get("/fetch/history/web1/cpu_usage?start=" + std::to_string(t) +
                     "&end=" + std::to_string(t + 1));
  EXPECT_EQ(r.body, "[[" + std::to_string(t) + ".0,null],[" + std::to_string(t) + ".5,42.5]]");
  // strixd lists itself too (its self-metrics host, once it stored them).
  r = Get("/fetch/hosts");
  EXPECT_NE(r.body.find(R"("web1":{"tags":{"role":"web"}})"), std::string::npos) << r.body;
  // Malformed JSON: 400 saying so, nothing else changes.
  w = HttpCall(server_->port(), "POST", "/metrics", R"({"hostname":"web1","metrics":)", Auth());
  EXPECT_EQ(w.status, 400);
  r = Get("/fetch/hosts");
  EXPECT_NE(r.body.find(R"("web1":{"tags":{"role":"web"}})"), std::string::npos) << r.body;
}

TEST_F(StrixdTest, PattooAgentPayloadsOfTheSpecOnTheOptInListener) {
  StartServer("pattoo:\n  enabled: true\n  port: 0\n");
  ASSERT_GT(server_->pattoo_port(), 0);
  const int64_t now_ms = NowSeconds() * 1000 - 30'000;
  for (const char* file : {"testdata/pattoo/os_autonomousd_spec_1_3.json",
                           "testdata/pattoo/modbustcpd_docs_1_3.json"}) {
    std::string body = ReadSource(file);
    ASSERT_FALSE(body.empty()) << file;
    // Move the spec's 2019 timestamps into the out-of-order window.
    for (const char* old : {"1575789070000", "1567019330000"}) {
      for (size_t at; (at = body.find(old)) != std::string::npos;) {
        body.replace(at, 13, std::to_string(now_ms));
      }
    }
    HttpResult r =
        HttpCall(server_->pattoo_port(), "POST", "/pattoo/api/v1/agent/receive/cdc2fda05cf7", body,
                 {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 200) << file << ": " << r.body;
    EXPECT_EQ(r.body, "OK");
  }
  HttpResult r = Get("/api/v1/latest?match[]=disk_io_read_bytes");
  EXPECT_NE(r.body.find("\"kind\":\"counter64\",\"ts\":" + std::to_string(now_ms) +
                        ",\"value\":522239488"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("\"host\":\"myhost.example.org\""), std::string::npos) << r.body;
  // pattoo's own answers to bad posts.
  r = HttpCall(server_->pattoo_port(), "POST", "/pattoo/api/v1/agent/receive/x", "{not json",
               {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 500);
  r = HttpCall(server_->pattoo_port(), "POST", "/pattoo/api/v1/agent/receive/x",
               R"({"pattoo_agent_id": "a", "pattoo_datapoints": {}})",
               {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 500) << r.body;  // wrong number of keys
  r = HttpCall(server_->pattoo_port(), "GET", "/pattoo/api/v1/agent/status");
  EXPECT_EQ(r.status, 200);
  // The pattoo listener serves nothing else, and the main one needs a token.
  EXPECT_EQ(HttpCall(server_->pattoo_port(), "GET", "/api/v1/labels").status, 404);
  EXPECT_EQ(HttpCall(server_->port(), "GET", "/api/v1/labels").status, 401);
}

TEST_F(StrixdTest, BadInputGetsItsErrorAndNothingStoredIsLost) {
  StartServer("listen:\n  port: 0\n  max_body_bytes: 1MiB\n");
  const int64_t t = NowSeconds() - 60;
  ASSERT_EQ(Write("keep,host=a v=1 " + std::to_string(t)).status, 204);

  HttpResult r = HttpCall(server_->port(), "POST", "/write", "keep,host=a v=2", {});
  EXPECT_EQ(r.status, 401);
  r = HttpCall(server_->port(), "POST", "/write", "keep,host=a v=2",
               Auth("strix_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"));
  EXPECT_EQ(r.status, 401);
  r = Write("keep,host=a v=oops " + std::to_string(t + 1) + "\nkeep,host=a v=2 " +
            std::to_string(t + 2));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("line 1, column"), std::string::npos) << r.body;
  r = Write("keep,host=\xff\xfe v=3 " + std::to_string(t + 3));  // invalid UTF-8
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("line 1"), std::string::npos) << r.body;
  r = Write(std::string(2 << 20, 'x'));  // 2 MiB > 1 MiB
  EXPECT_EQ(r.status, 413) << r.body;
  r = HttpCall(server_->port(), "POST", "/write?precision=s", Gzip(std::string(8 << 20, 'a')),
               {{"Authorization", "Bearer " + token_}, {"Content-Encoding", "gzip"}});
  EXPECT_EQ(r.status, 413) << r.body;  // a gzip bomb
  r = HttpCall(server_->port(), "POST", "/update_tags", "{\"hostname\": ", Auth());
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("not valid JSON"), std::string::npos) << r.body;
  r = Get("/no/such/path");
  EXPECT_EQ(r.status, 404);
  r = Get("/api/v1/select?match[]=keep_v&step=-1");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("'step'"), std::string::npos) << r.body;

  r = Get("/api/v1/select?match[]=keep_v&start=" + std::to_string(t - 1) +
          "&end=" + std::to_string(t + 5));
  EXPECT_NE(r.body.find("\"timestamps\":[" + std::to_string(t * 1000) + "," +
                        std::to_string((t + 2) * 1000) + "]"),
            std::string::npos)
      << r.body;
}

TEST_F(StrixdTest, TlsListenerServesTheApiToAnIndependentClient) {
  const std::string cert = dir_.Join("cert.pem");
  const std::string key = dir_.Join("key.pem");
  ASSERT_EQ(RunCommand("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 "
                       "-addext subjectAltName=IP:127.0.0.1 -keyout " +
                       key + " -out " + cert),
            0);
  StartServer("listen:\n  port: 0\n  tls: {cert: " + cert + ", key: " + key + "}\n");
  const std::string base = "https://127.0.0.1:" + std::to_string(server_->port());
  std::string out;
  // curl, not the test's own client: an independent TLS implementation.
  ASSERT_EQ(RunCommand("curl -sS --cacert " + cert + " -H 'Authorization: Bearer " + token_ +
                           "' --data-binary 'tls,host=a v=5 " + std::to_string(NowSeconds() - 60) +
                           "' -w '%{http_code}' '" + base + "/write?precision=s'",
                       &out),
            0)
      << out;
  EXPECT_EQ(out, "204");
  ASSERT_EQ(RunCommand("curl -sS --cacert " + cert + " -H 'Authorization: Bearer " + token_ +
                           "' '" + base + "/api/v1/latest?match[]=tls_v'",
                       &out),
            0);
  EXPECT_NE(out.find("\"value\":5"), std::string::npos) << out;
  // Plain HTTP on the TLS port gets nothing useful.
  EXPECT_NE(HttpCall(server_->port(), "GET", "/-/healthy", "", {}, 2000).status, 200);
}

TEST_F(StrixdTest, RevokedTokenStopsWorkingWhileTheServerRuns) {
  StartServer();
  std::string reader = server_->CreateToken("read");
  EXPECT_EQ(HttpCall(server_->port(), "GET", "/api/v1/labels", "", Auth(reader)).status, 200);
  const std::string id = reader.substr(6, reader.find('_', 6) - 6);
  std::string cmd = StrixToolPath() + " token revoke " + id + " --data-dir " + server_->data_dir() +
                    " > /dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(HttpCall(server_->port(), "GET", "/api/v1/labels", "", Auth(reader)).status, 401);
}

TEST_F(StrixdTest, SigtermStopsInOrderWithin5sAndTheDataSurvives) {
  StartServer();
  const int64_t t = NowSeconds() - 60;
  ASSERT_EQ(Write("persist,host=a v=7 " + std::to_string(t)).status, 204);
  long ms = 0;
  EXPECT_EQ(server_->Stop(&ms), 0);
  EXPECT_LT(ms, 5000);
  ASSERT_TRUE(server_->Start()) << server_->output();
  HttpResult r = Get("/api/v1/latest?match[]=persist_v");
  EXPECT_NE(r.body.find("\"value\":7"), std::string::npos) << r.body;
}

TEST_F(StrixdTest, SelfMetricsAreServedAndStored) {
  StartServer();
  EXPECT_EQ(Get("/api/v1/labels").status, 200);
  HttpResult r = Get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("# TYPE strix_wal_fsync_seconds histogram"), std::string::npos);
  EXPECT_NE(r.body.find("strix_http_responses_total{listener=\"api\""), std::string::npos);
  // Stored under the configured host every second.
  for (int i = 0; i < 50; ++i) {
    r = Get("/api/v1/latest?match[]=strix_ingest_queue_bytes{host=\"strix-test\"}");
    if (r.body.find("strix-test") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(r.body.find("strix-test"), std::string::npos) << r.body;
}

TEST(StrixdDaemon, StartStatusStopLikePattooDaemons) {
  TempDir dir;
  const std::string data = dir.Join("data");
  const std::string config = dir.Join("strixd.yaml");
  {
    std::ofstream f(config);
    f << "data_dir: " << data << "\nlisten:\n  port: 0\n";
  }
  const std::string bin = StrixdPath() + " --config " + config;
  std::string out;
  ASSERT_EQ(RunCommand(bin + " --start", &out), 0) << out;
  EXPECT_NE(out.find("started"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(bin + " --start", &out), 1) << out;  // already running
  EXPECT_NE(out.find("already running"), std::string::npos) << out;
  ASSERT_EQ(RunCommand(bin + " --status", &out), 0) << out;
  EXPECT_NE(out.find("strixd is running"), std::string::npos) << out;
  // The daemon logs to data_dir/strixd.log, its port included; it answers there.
  std::ifstream log(data + "/strixd.log");
  std::stringstream ss;
  ss << log.rdbuf();
  const std::string text = ss.str();
  const size_t at = text.find("listening on http://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << text;
  const int port = std::atoi(text.c_str() + at + 30);
  EXPECT_EQ(HttpCall(port, "GET", "/-/healthy").status, 200);
  ASSERT_EQ(RunCommand(bin + " --stop", &out), 0) << out;
  EXPECT_NE(out.find("stopped"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(bin + " --status", &out), 3) << out;
  EXPECT_NE(out.find("strixd is stopped"), std::string::npos) << out;
  EXPECT_EQ(HttpCall(port, "GET", "/-/healthy").status, 0);
}

// Writers post batches back to back; the server is killed with SIGKILL at a random moment;
// after a restart, every batch that got a 204 must be there, sample for sample.
TEST_F(StrixdTest, Kill9DuringContinuousIngestLosesNoAcknowledgedSample) {
  StartServer();
  const int64_t t0 = NowSeconds() - 3000;
  std::atomic<bool> stop{false};
  std::atomic<int> acked[2] = {0, 0};
  auto writer = [&](int w) {
    for (int b = 0; !stop.load(); ++b) {
      std::string body;
      for (int i = 0; i < 100; ++i) {
        body += "k9,host=w" + std::to_string(w) + ",s=" + std::to_string(i) +
                " v=" + std::to_string(b) + " " + std::to_string(t0 + b) + "\n";
      }
      HttpResult r = HttpCall(server_->port(), "POST", "/write?precision=s", body, Auth(), 5000);
      if (r.status != 204) return;  // the server is gone
      acked[w].store(b + 1);
    }
  };
  std::thread a(writer, 0), b(writer, 1);
  std::mt19937 rng(std::random_device{}());
  std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 700));
  server_->Kill();
  stop = true;
  a.join();
  b.join();
  ASSERT_GT(acked[0].load() + acked[1].load(), 0);
  ASSERT_TRUE(server_->Start()) << server_->output();
  for (int w = 0; w < 2; ++w) {
    const int n = acked[w].load();
    if (n == 0) continue;
    HttpResult r =
        Get("/api/v1/select?match[]=k9_v{host=\"w" + std::to_string(w) +
            "\",s=\"99\"}&start=" + std::to_string(t0) + "&end=" + std::to_string(t0 + n - 1));
    // n acknowledged batches: one sample each for this series, none missing.
    const size_t open = r.body.find("\"timestamps\":[");
    ASSERT_NE(open, std::string::npos) << r.body;
    const size_t close = r.body.find(']', open);
    std::string ts = r.body.substr(open + 14, close - open - 14);
    const size_t count =
        ts.empty() ? 0 : static_cast<size_t>(std::count(ts.begin(), ts.end(), ',') + 1);
    EXPECT_EQ(count, static_cast<size_t>(n)) << "writer " << w;
  }
}

}  // namespace
}  // namespace strix::testing
