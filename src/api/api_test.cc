// The API handler end to end in process: real storage, metadata store and ingest queue,
// requests handed to Api::Handle as the HTTP server would. (The real server over sockets
// is tested in tests/integration.)
#include "api/api.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "api/internal/api_impl.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/testing/temp_dir.h"
#include "storage/engine.h"

namespace strix::api {
namespace {

using testing::TempDir;

constexpr int64_t kNow = 1'795'300'600'000;  // a little after the spec's A15 samples

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::EngineOptions o;
    auto db = storage::OpenEmbedded(dir_.Join("storage"), o, Env::Default(), clock_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    storage_ = std::move(*db);
    meta::MetaStoreOptions mo;
    mo.clock = &clock_;
    auto m = meta::MetaStore::Open(dir_.Join("meta.db"), mo);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    meta_ = std::move(*m);
    queue_ = std::make_unique<ingest::IngestQueue>(storage_.get(), ingest::IngestQueueOptions{});
    ApiContext ctx{storage_.get(), meta_.get(), queue_.get(), &metrics_, &clock_};
    api_ = std::make_unique<Api>(ctx);
    pattoo_ = std::make_unique<PattooAgentListener>(ctx);
    ingest_token_ = Token("agent", {meta::Scope::kIngest});
    read_token_ = Token("viewer", {meta::Scope::kRead});
    admin_token_ = Token("admin", {meta::Scope::kAdmin});
  }
  void TearDown() override {
    queue_->Stop();
    ASSERT_TRUE(meta_->Close().ok());
    ASSERT_TRUE(storage_->Close().ok());
  }

  std::string Token(const char* name, meta::Scopes scopes) {
    auto t = meta_->CreateToken(name, scopes);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t->plaintext;
  }

  HttpResponse Call(HttpHandler& h, std::string method, std::string target, std::string body,
                    const std::string& token, std::string content_type = "") {
    HttpRequest req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.body = std::move(body);
    if (!token.empty()) req.headers.push_back({"authorization", "Bearer " + token});
    if (!content_type.empty()) req.headers.push_back({"content-type", content_type});
    std::promise<HttpResponse> p;
    h.Handle(std::move(req), [&p](HttpResponse r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }
  HttpResponse Get(std::string target, const std::string& token) {
    return Call(*api_, "GET", std::move(target), "", token);
  }
  HttpResponse Post(std::string target, std::string body, const std::string& token) {
    return Call(*api_, "POST", std::move(target), std::move(body), token);
  }

  TempDir dir_;
  ManualClock clock_{kNow};
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<meta::MetaStore> meta_;
  std::unique_ptr<ingest::IngestQueue> queue_;
  SelfMetrics metrics_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<PattooAgentListener> pattoo_;
  std::string ingest_token_, read_token_, admin_token_;
};

TEST_F(ApiTest, EveryEndpointNeedsATokenWithTheRightScope) {
  HttpResponse r = Post("/write", "cpu,host=a v=1 1795300000", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("missing token"), std::string::npos);
  r = Post("/write", "cpu,host=a v=1 1795300000", "strix_nope_nope");
  EXPECT_EQ(r.status, 401);
  r = Post("/write?precision=s", "cpu,host=a v=1 1795300000", read_token_);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("'ingest' scope"), std::string::npos) << r.body;
  r = Get("/api/v1/labels", ingest_token_);
  EXPECT_EQ(r.status, 403);
  r = Post("/update_tags", R"({"hostname":"a","tags":{}})", read_token_);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Get("/-/healthy", "").status, 200);
}

TEST_F(ApiTest, InfluxV1ClientsMaySendTheTokenAsBasicPasswordOrP) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/write?precision=s&u=x&p=" + ingest_token_;
  req.body = "cpu,host=a v=1 1795300000";
  std::promise<HttpResponse> p;
  api_->Handle(req, [&](HttpResponse r) { p.set_value(std::move(r)); });
  EXPECT_EQ(p.get_future().get().status, 204);
}

TEST_F(ApiTest, LineProtocolWriteReadsBackExactly) {
  HttpResponse w = Post("/write?precision=s",
                        "net,host=web1,if=eth0 rx=18446744073709551615u,pkts=-3i,up=true,"
                        "state=\"ok\" 1795300000\n"
                        "cpu,host=web1 usage=42.5 1795300010\n",
                        ingest_token_);
  ASSERT_EQ(w.status, 204) << w.body;
  HttpResponse r =
      Get("/api/v1/select?match[]=net_rx&start=1795299000&end=1795300100", read_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"kind\":\"counter64\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"timestamps\":[1795300000000],\"values\":[18446744073709551615]"),
            std::string::npos)
      << r.body;
  r = Get("/api/v1/select?match[]=net_pkts&start=1795299000&end=1795300100", read_token_);
  EXPECT_NE(r.body.find("\"values\":[-3]"), std::string::npos) << r.body;
  r = Get("/api/v1/latest?match[]={host=\"web1\"}", read_token_);
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"value\":\"ok\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"value\":42.5"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"value\":1}"), std::string::npos) << r.body;  // up=true -> 1
}

TEST_F(ApiTest, PartlyInvalidWriteStoresTheValidLinesAndNamesTheBadOnes) {
  HttpResponse w = Post("/write?precision=s",
                        "cpu,host=a v=1 1795300000\n"
                        "cpu,host=a v= 1795300010\n"
                        "cpu,host=a v=3 1795300020\n"
                        "bad line\n",
                        ingest_token_);
  ASSERT_EQ(w.status, 400);
  EXPECT_NE(w.body.find("2 of 4 lines rejected"), std::string::npos) << w.body;
  EXPECT_NE(w.body.find("line 2, column"), std::string::npos) << w.body;
  EXPECT_NE(w.body.find("line 4, column"), std::string::npos) << w.body;
  HttpResponse r = Get("/api/v1/select?match[]=cpu_v&start=1795299000&end=1795300100", read_token_);
  EXPECT_NE(r.body.find("\"timestamps\":[1795300000000,1795300020000]"), std::string::npos)
      << r.body;
}

TEST_F(ApiTest, U32CountersAreStoredAsCounter32AndTheirRateKnowsTheWrap) {
  ASSERT_EQ(Post("/write?precision=s",
                 "if,host=sw1 in=4294967290u32 1795296000\nif,host=sw1 in=5u32 1795296010\n",
                 ingest_token_)
                .status,
            204);
  HttpResponse r = Get(
      "/api/v1/select?match[]=if_in&start=1795296000&end=1795296019&step=10s&fn=rate", read_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"kind\":\"counter32\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"values\":[1.1]"), std::string::npos)
      << "(2^32 - 4294967290 + 5) / 10 s: " << r.body;
}

TEST_F(ApiTest, ConsolidatedSelectAndSeriesAndLabels) {
  std::string body;
  for (int i = 0; i < 60; ++i)
    body += "m,host=h1 v=" + std::to_string(i) + " " + std::to_string(1795296000 + i * 10) + "\n";
  ASSERT_EQ(Post("/write?precision=s", body, ingest_token_).status, 204);
  HttpResponse r =
      Get("/api/v1/select?match[]=m_v&start=1795296000&end=1795296599&step=5m&fn=max&minmax=1",
          read_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"values\":[29,59]"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"min\":[0,30]"), std::string::npos) << r.body;
  // A band around a rate or a count would be on the scale of the values: none.
  r = Get("/api/v1/select?match[]=m_v&start=1795296000&end=1795296599&step=5m&fn=count&minmax=1",
          read_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"values\":[30,30]"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("\"min\""), std::string::npos) << r.body;
  r = Get("/api/v1/select?match[]=m_v&step=5m&fn=median", read_token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("'fn'"), std::string::npos);
  r = Get("/api/v1/series?match[]={host=\"h1\"}", read_token_);
  EXPECT_NE(r.body.find("\"labels\":{\"__name__\":\"m_v\",\"host\":\"h1\"}"), std::string::npos)
      << r.body;
  r = Get("/api/v1/labels", read_token_);
  EXPECT_EQ(r.body, "{\"status\":\"success\",\"data\":[\"__name__\",\"host\"]}\n");
  r = Get("/api/v1/label/host/values", read_token_);
  EXPECT_EQ(r.body, "{\"status\":\"success\",\"data\":[\"h1\"]}\n");
  r = Get("/api/v1/select?start=x", read_token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("match[]"), std::string::npos);
  r = Get("/api/v1/select?match[]=m_v&start=yesterday", read_token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("'start'"), std::string::npos) << r.body;
}

TEST_F(ApiTest, UnknownPathIs404WrongMethodIs405WithAllow) {
  HttpResponse r = Get("/nope", read_token_);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("/nope"), std::string::npos);
  r = Call(*api_, "DELETE", "/write", "", ingest_token_);
  EXPECT_EQ(r.status, 405);
  ASSERT_FALSE(r.headers.empty());
  EXPECT_EQ(r.headers[0].value, "POST");
}

// Spec §A8's vector: start=1795300000, end=1795300500.
TEST_F(ApiTest, FetchHistoryFollowsTheSpecVectorAndHostsAndTags) {
  ASSERT_EQ(Post("/write?precision=ms",
                 "cpu_usage,host=web1 value=42.5 1795300000500\n"
                 "cpu_usage,host=web1 value=95 1795300200000\n"
                 "cpu_usage,host=web1 value=80 1795300260000\n"
                 "cpu_usage,host=web1 value=99 1795300350000\n"
                 "cpu_usage,host=web1 value=97 1795300400000\n"
                 "cpu_usage,host=web1 value=96 1795300401000\n",
                 ingest_token_)
                .status,
            204);
  // Line protocol names the series cpu_usage_value; the Python system's own POST /metrics
  // names it after the metric. Query the stored name.
  HttpResponse r =
      Get("/fetch/history/web1/cpu_usage_value?start=1795300000&end=1795300500", read_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body,
            "[[1795300000.0,null],[1795300000.5,42.5],[1795300060.5,null],[1795300120.5,null],"
            "[1795300180.5,null],[1795300200.0,95.0],[1795300260.0,80.0],[1795300320.0,null],"
            "[1795300350.0,99.0],[1795300400.0,97.0],[1795300401.0,96.0],[1795300461.0,null]]");
  // With a limit: time buckets with averages (not every n-th entry).
  r = Get("/fetch/history/web1/cpu_usage_value?start=1795300000&end=1795300500&limit=5",
          read_token_);
  EXPECT_EQ(r.body,
            "[[1795300000.0,42.5],[1795300100.0,null],[1795300200.0,87.5],"
            "[1795300300.0,99.0],[1795300400.0,96.5]]");
  r = Get("/fetch/hosts", read_token_);
  EXPECT_EQ(r.body, R"({"web1":{"tags":{}}})");
  r = Post("/update_tags", R"({"hostname":"web1","tags":{"role":"web","env":"prod"}})",
           admin_token_);
  EXPECT_EQ(r.status, 200) << r.body;
  r = Post("/update_tags", R"({"hostname":"db1"})", admin_token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"error":"Both hostname and tags are required"})");
  r = Post("/update_tags", R"({"hostname":"nohost","tags":{}})", admin_token_);
  EXPECT_EQ(r.status, 404);
  r = Get("/fetch/latest", read_token_);
  EXPECT_EQ(r.body,
            R"({"web1":{"metrics":{"cpu_usage_value":96.0},"tags":{"env":"prod","role":"web"}}})");
  r = Get("/fetch/metrics_for_host?hostname=web1", read_token_);
  EXPECT_EQ(r.body, R"(["cpu_usage_value"])");
  r = Get("/fetch/metrics_for_host", read_token_);
  EXPECT_EQ(r.status, 400);
  r = Get("/api/v1/hosts", read_token_);
  EXPECT_NE(r.body.find("\"host\":\"web1\",\"tags\":{\"env\":\"prod\",\"role\":\"web\"}"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("\"series\":1"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"status\":\"up\""), std::string::npos) << r.body;

  r = Post(
      "/delete_metrics",
      R"({"hostname":"web1","metric_name":"cpu_usage_value","start_time":1795300200,"end_time":1795300260})",
      admin_token_);
  EXPECT_EQ(r.status, 200) << r.body;
  r = Get("/api/v1/select?match[]=cpu_usage_value&start=1795300000&end=1795300500", read_token_);
  EXPECT_NE(r.body.find("\"timestamps\":[1795300000500,1795300350000,1795300400000,1795300401000]"),
            std::string::npos)
      << r.body;
  r = Post("/remove_host", R"({"hostname":"web1"})", admin_token_);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Get("/fetch/hosts", read_token_).body, "{}");
  r = Get("/api/v1/select?match[]=cpu_usage_value&start=1795300000&end=1795300500", read_token_);
  EXPECT_EQ(r.body.find("timestamps"), std::string::npos) << r.body;
  EXPECT_EQ(Get("/aggregate", admin_token_).status, 200);
  EXPECT_EQ(Post("/aggregate", "", admin_token_).status, 200);
}

// POST /api/v1/admin/flush moves the head into blocks (benchmarks measure bytes on disk
// after it); it needs the admin scope, and the samples read back the same afterwards.
TEST_F(ApiTest, AdminFlushPersistsTheHeadAndKeepsTheSamples) {
  HttpResponse r = Post("/write?precision=s",
                        "cpu,host=a v=1.5 1795300000\ncpu,host=a v=2.5 1795300010", ingest_token_);
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(Post("/api/v1/admin/flush", "", read_token_).status, 403);
  EXPECT_EQ(Get("/api/v1/admin/flush", admin_token_).status, 405);
  ASSERT_EQ(storage_->Stats().tiers.at(0).blocks, 0u);
  r = Post("/api/v1/admin/flush", "", admin_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"disk_bytes\":"), std::string::npos) << r.body;
  EXPECT_GE(storage_->Stats().tiers.at(0).blocks, 1u);
  EXPECT_EQ(storage_->Stats().head_samples, 0u);
  r = Get("/api/v1/select?match[]=cpu_v&start=1795299990&end=1795300020", read_token_);
  EXPECT_NE(r.body.find("\"values\":[1.5,2.5]"), std::string::npos) << r.body;
}

// The spec's A15 posts, through the Python system's own ingest route.
TEST_F(ApiTest, NakulosPostsAsInTheSpecAndTagsChangeOnlyWhenSent) {
  HttpResponse r =
      Post("/metrics",
           R"({"hostname":"web1","client_id":"c-1","metrics":{"cpu_usage":{"value":42.5,)"
           R"("timestamp":1795300000.5},"mem":{"value":70,"timestamp":1795300000.5}},)"
           R"("tags":{"role":"web","env":"prod"}})",
           ingest_token_);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"status": "received"})");
  // No timestamp: the server's time; no tags: the host keeps its tags.
  r = Post("/metrics", R"({"hostname":"web1","metrics":{"cpu_usage":91}})", ingest_token_);
  EXPECT_EQ(r.status, 200) << r.body;
  r = Post("/metrics", R"({"metrics":{}})", ingest_token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("hostname"), std::string::npos) << r.body;
  r = Post("/metrics", R"({"hostname":"web1","metrics":{"bad":null,"disk used %":12}})",
           ingest_token_);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("metrics.bad"), std::string::npos) << r.body;
  EXPECT_EQ(Get("/fetch/hosts", read_token_).body,
            R"({"web1":{"tags":{"env":"prod","role":"web"}}})");
  EXPECT_EQ(Get("/fetch/latest", read_token_).body,
            R"({"web1":{"metrics":{"cpu_usage":91.0,"disk used %":12.0,"mem":70.0},)"
            R"("tags":{"env":"prod","role":"web"}}})");
  EXPECT_EQ(Get("/fetch/metrics_for_host?hostname=web1", read_token_).body,
            R"(["cpu_usage","disk used %","mem"])");
  r = Get("/fetch/history/web1/disk%20used%20%25?start=" + std::to_string(kNow / 1000 - 30) +
              "&end=" + std::to_string(kNow / 1000 + 30),
          read_token_);
  EXPECT_NE(r.body.find("[" + std::to_string(kNow / 1000) + ".0,12.0]"), std::string::npos)
      << r.body;
  r = Get("/fetch/history/web1/mem?start=1795300000&end=1795300001", read_token_);
  EXPECT_EQ(r.body, "[[1795300000.0,null],[1795300000.5,70.0]]");
}

TEST_F(ApiTest, PattooChartDataGivesCounterRatesOnTheGridWithoutResetSpikes) {
  const int64_t base = kNow / 1000 - 50;
  std::string body;
  const std::pair<int, int> points[] = {{0, 1000}, {10, 2000}, {20, 3000}, {40, 5000}, {50, 5}};
  for (auto [dt, v] : points) {
    body +=
        "disk_io,host=h,pattoo_agent_id=a,pattoo_agent_polled_target=h,pattoo_checksum=c "
        "read=" +
        std::to_string(v) + "u " + std::to_string(base + dt) + "\n";
  }
  ASSERT_EQ(Post("/write?precision=s", body, ingest_token_).status, 204);
  const uint64_t idx = PattooDatapointIdx(storage::Labels{
      {"pattoo_agent_id", "a"}, {"pattoo_agent_polled_target", "h"}, {"pattoo_checksum", "c"}});
  HttpResponse r =
      Get("/pattoo/api/v1/web/rest/data/" + std::to_string(idx) + "?secondsago=50", read_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto at = [&](int dt) { return std::to_string((base + dt) * 1000); };
  EXPECT_EQ(r.body, "[{\"timestamp\":" + at(0) + ",\"value\":null},{\"timestamp\":" + at(10) +
                        ",\"value\":100},{\"timestamp\":" + at(20) +
                        ",\"value\":100},{\"timestamp\":" + at(30) +
                        ",\"value\":null},{\"timestamp\":" + at(40) +
                        ",\"value\":null},{\"timestamp\":" + at(50) + ",\"value\":null}]");
  EXPECT_EQ(Get("/pattoo/api/v1/web/rest/data/12345", read_token_).body, "[]");
  EXPECT_EQ(Get("/pattoo/api/v1/web/rest/data/x", read_token_).status, 400);
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST_F(ApiTest, PattooListenerStoresTheSpecPayloadWithoutAToken) {
  const char* src = std::getenv("STRIX_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  std::string body = ReadFile(std::string(src) + "/testdata/pattoo/os_autonomousd_spec_1_3.json");
  ASSERT_FALSE(body.empty());
  // The spec's post is from 2019: move its sample time to a minute ago, or storage would
  // refuse the samples as older than the out-of-order window (pattoo says OK either way).
  const std::string ts = std::to_string(kNow - 60'000);
  for (size_t at; (at = body.find("1575789070000")) != std::string::npos;) body.replace(at, 13, ts);
  HttpResponse r =
      Call(*pattoo_, "POST", "/pattoo/api/v1/agent/receive/abc", body, "", "application/json");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "OK");
  r = Call(*pattoo_, "GET", "/pattoo/api/v1/agent/status", "", "");
  EXPECT_EQ(r.status, 200);
  r = Call(*pattoo_, "POST", "/pattoo/api/v1/agent/receive/abc", "{bad", "", "application/json");
  EXPECT_EQ(r.status, 500);
  r =
      Get("/api/v1/"
          "latest?match[]={pattoo_checksum="
          "\"053a8131c365201e742acda31aeccef3ddc6a8ba904d90e1c5309c0440448eb9\"}",
          read_token_);
  EXPECT_NE(r.body.find("\"kind\":\"counter64\",\"ts\":" + ts + ",\"value\":522239488"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(Get("/fetch/hosts", read_token_).body, R"({"myhost.example.org":{"tags":{}}})");
}

TEST_F(ApiTest, SelfMetricsCountIngestAndAuthFailures) {
  ASSERT_EQ(Post("/write?precision=s", "cpu,host=a v=1 1795300000", ingest_token_).status, 204);
  Post("/write", "x", "");
  HttpResponse r = Get("/metrics", read_token_);
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("strix_api_samples_ingested_total 1\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("strix_api_auth_failures_total 1\n"), std::string::npos) << r.body;
}

// ---- live updates ------------------------------------------------------------------------

// Collects what the stream writes, as the HTTP server would send it.
class CollectingWriter : public StreamWriter {
 public:
  bool Write(std::string chunk) override {
    std::lock_guard<std::mutex> l(mu_);
    if (closed_) return false;
    text_ += chunk;
    cv_.notify_all();
    return true;
  }
  void Close() override {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  bool closed() const override {
    std::lock_guard<std::mutex> l(mu_);
    return closed_;
  }
  // Waits until the text holds `needle`; returns the text.
  std::string WaitFor(std::string_view needle) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait_for(l, std::chrono::seconds(10),
                 [&] { return text_.find(needle) != std::string::npos || closed_; });
    return text_;
  }
  std::string text() const {
    std::lock_guard<std::mutex> l(mu_);
    return text_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;
  bool closed_ = false;
};

TEST_F(ApiTest, LiveStreamSendsOnlyNewPointsAndReplacesTheGrowingBucket) {
  // ManualClock: now = kNow. Raw stream of cpu since a sample already stored.
  const int64_t t0 = kNow - 30'000;
  ASSERT_EQ(Post("/write?precision=ms", fmt::format("cpu,host=a v=1 {}", t0), ingest_token_).status,
            204);
  HttpResponse r = Get(fmt::format("/api/v1/stream?match[]=cpu_v&since={}", t0), read_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/event-stream; charset=utf-8");
  ASSERT_TRUE(r.stream_open);
  auto raw = std::make_shared<CollectingWriter>();
  r.stream_open(raw);
  // A second stream with a 10 s step over the same series.
  HttpResponse r2 =
      Get(fmt::format("/api/v1/stream?match[]=cpu_v&since={}&step=10s&fn=max", t0), read_token_);
  ASSERT_TRUE(r2.stream_open);
  auto stepped = std::make_shared<CollectingWriter>();
  r2.stream_open(stepped);
  // The stepped stream sends the bucket of `since` at once; the raw one nothing yet.
  std::string st = stepped->WaitFor("event: data");
  EXPECT_NE(st.find(fmt::format("\"timestamps\":[{}],\"values\":[1]", t0 - t0 % 10'000)),
            std::string::npos)
      << st;
  EXPECT_EQ(raw->text(), "retry: 3000\n\n");

  ASSERT_EQ(Post("/write?precision=ms", fmt::format("cpu,host=a v=7 {}", t0 + 1'000), ingest_token_)
                .status,
            204);
  std::string txt = raw->WaitFor("event: data");
  EXPECT_NE(txt.find(fmt::format("\"timestamps\":[{}],\"values\":[7]", t0 + 1'000)),
            std::string::npos)
      << txt;
  EXPECT_EQ(txt.find(fmt::format("{},", t0)), std::string::npos) << "the old point is not resent";
  st = stepped->WaitFor("\"values\":[7]");
  EXPECT_NE(st.find(fmt::format("\"timestamps\":[{}],\"values\":[7]", t0 - t0 % 10'000)),
            std::string::npos)
      << "the same bucket again, grown: " << st;

  // A client that goes away is dropped by the hub.
  raw->Close();
  stepped->Close();
  HttpResponse bad = Get("/api/v1/stream?match[]=cpu_v&since=yesterday", read_token_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("'since'"), std::string::npos);
  EXPECT_EQ(Get("/api/v1/stream?match[]=cpu_v", ingest_token_).status, 403);
}

TEST_F(ApiTest, OneLiveStreamServesGaugesAndCountersAsRates) {
  const int64_t t0 = kNow - kNow % 10'000 - 30'000;
  std::string body;
  for (int i = 0; i < 3; ++i) {
    body += fmt::format("net,host=a rx={}u {}\n", 100 * (i + 1), t0 + i * 10'000);
    body += fmt::format("cpu,host=a v=5 {}\n", t0 + i * 10'000);
  }
  ASSERT_EQ(Post("/write?precision=ms", body, ingest_token_).status, 204);
  HttpResponse r = Get(fmt::format("/api/v1/stream?match[]=net_rx&match[]=cpu_v&since={}&step=10s"
                                   "&fn=avg&counter_fn=rate",
                                   t0),
                       read_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto w = std::make_shared<CollectingWriter>();
  r.stream_open(w);
  const std::string text = w->WaitFor("net_rx");
  const size_t net = text.find("\"__name__\":\"net_rx\"");
  const size_t cpu = text.find("\"__name__\":\"cpu_v\"");
  ASSERT_NE(net, std::string::npos) << text;
  ASSERT_NE(cpu, std::string::npos) << text;
  const std::string net_part = text.substr(net, text.find("}", text.find("\"values\"", net)) - net);
  EXPECT_NE(net_part.find("\"values\":[10,10]"), std::string::npos)
      << "the counter as a per-second rate: " << net_part;
  EXPECT_NE(text.find("\"values\":[5,5,5]", cpu), std::string::npos) << text;
  EXPECT_EQ(Get("/api/v1/stream?match[]=cpu_v&counter_fn=median", read_token_).status, 400);
  w->Close();
}

// ---- browser sessions -----------------------------------------------------------------

struct Session {
  std::string cookie;  // "strix_session=<value>"
  std::string csrf;
};

class ApiSessionTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    for (auto [name, role] :
         {std::pair{"ann", meta::Role::kAdmin}, std::pair{"ed", meta::Role::kEditor},
          std::pair{"vic", meta::Role::kViewer}}) {
      ASSERT_TRUE(meta_->CreateUser(name, role, std::string("password-") + name).ok());
    }
    // A host to edit.
    ASSERT_EQ(Post("/write?precision=s", "cpu,host=web1 v=1 1795300000", ingest_token_).status,
              204);
  }

  HttpResponse Request(std::string method, std::string target, std::string body,
                       const std::vector<HttpHeader>& headers,
                       std::string remote = "10.0.0.1:5555") {
    HttpRequest req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.body = std::move(body);
    req.headers = headers;
    req.remote = std::move(remote);
    std::promise<HttpResponse> p;
    api_->Handle(std::move(req), [&p](HttpResponse r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }
  HttpResponse Login(const std::string& user, const std::string& pw,
                     std::string remote = "10.0.0.1:5555") {
    return Request("POST", "/api/v1/login",
                   R"({"user":")" + user + R"(","password":")" + pw + R"("})",
                   {{"content-type", "application/json"}}, std::move(remote));
  }
  static std::string HeaderOf(const HttpResponse& r, std::string_view name) {
    for (const HttpHeader& h : r.headers)
      if (h.name == name) return h.value;
    return "";
  }
  Session LoginAs(const std::string& user) {
    HttpResponse r = Login(user, "password-" + user);
    EXPECT_EQ(r.status, 200) << r.body;
    Session s;
    std::string set = HeaderOf(r, "set-cookie");
    s.cookie = set.substr(0, set.find(';'));
    const size_t at = r.body.find("\"csrf\":\"");
    EXPECT_NE(at, std::string::npos) << r.body;
    s.csrf = r.body.substr(at + 8, 64);
    return s;
  }
  HttpResponse As(const Session& s, std::string method, std::string target, std::string body = "",
                  bool with_csrf = true) {
    std::vector<HttpHeader> h{{"cookie", "theme=dark; " + s.cookie}};
    if (with_csrf) h.push_back({"x-csrf-token", s.csrf});
    return Request(std::move(method), std::move(target), std::move(body), h);
  }
};

TEST_F(ApiSessionTest, LoginSetsAnHttpOnlyStrictCookieThatAuthenticatesReads) {
  HttpResponse r = Login("ed", "password-ed");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string set = HeaderOf(r, "set-cookie");
  EXPECT_TRUE(set.starts_with("strix_session=strix_")) << set;
  EXPECT_NE(set.find("; HttpOnly"), std::string::npos) << set;
  EXPECT_NE(set.find("; SameSite=Strict"), std::string::npos) << set;
  EXPECT_NE(set.find("; Max-Age=43200"), std::string::npos) << set;
  EXPECT_EQ(set.find("Secure"), std::string::npos) << "plain HTTP: no Secure flag";
  EXPECT_EQ(HeaderOf(r, "cache-control"), "no-store");
  EXPECT_NE(r.body.find(R"("user":"ed","role":"editor")"), std::string::npos) << r.body;

  Session s = LoginAs("ed");
  HttpResponse me = As(s, "GET", "/api/v1/me", "", false);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_NE(me.body.find(R"("auth":"session","user":"ed","role":"editor","csrf":")" + s.csrf),
            std::string::npos)
      << me.body;
  EXPECT_EQ(As(s, "GET", "/api/v1/hosts", "", false).status, 200);
}

TEST_F(ApiSessionTest, LoginOverTlsMarksTheCookieSecure) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/login";
  req.body = R"({"user":"vic","password":"password-vic"})";
  req.headers.push_back({"content-type", "application/json"});
  req.remote = "10.0.0.1:1";
  req.tls = true;
  std::promise<HttpResponse> p;
  api_->Handle(std::move(req), [&p](HttpResponse r) { p.set_value(std::move(r)); });
  HttpResponse r = p.get_future().get();
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(HeaderOf(r, "set-cookie").find("; Secure"), std::string::npos);
}

TEST_F(ApiSessionTest, BehindATlsProxyTheCookieCanBeMarkedSecure) {
  ApiContext ctx{storage_.get(), meta_.get(), queue_.get(), nullptr, &clock_};
  ctx.secure_cookie = true;
  api_ = std::make_unique<Api>(ctx);
  HttpResponse r = Login("vic", "password-vic");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(HeaderOf(r, "set-cookie").find("; Secure"), std::string::npos);
}

TEST_F(ApiSessionTest, WrongPasswordAndUnknownUserGetTheSameAnswer) {
  HttpResponse a = Login("ed", "wrong");
  HttpResponse b = Login("nobody", "wrong");
  EXPECT_EQ(a.status, 401);
  EXPECT_EQ(b.status, 401);
  EXPECT_EQ(a.body, b.body);
  EXPECT_NE(a.body.find("invalid user name or password"), std::string::npos) << a.body;
  EXPECT_TRUE(HeaderOf(a, "set-cookie").empty());
  EXPECT_EQ(Login("ed", "").status, 400);
  EXPECT_EQ(
      Request("POST", "/api/v1/login", "user=ed&password=x", {{"content-type", "application/json"}})
          .status,
      400);
  // A cross-site form can send text/plain but not JSON: refused before any check.
  EXPECT_EQ(Request("POST", "/api/v1/login", R"({"user":"ed","password":"password-ed"})",
                    {{"content-type", "text/plain"}})
                .status,
            415);
  EXPECT_EQ(Request("POST", "/api/v1/login", std::string(5000, ' '),
                    {{"content-type", "application/json"}})
                .status,
            413);
}

TEST_F(ApiSessionTest, RepeatedFailuresOfAUserAreRefusedUncheckedUntilTheDelayPasses) {
  // Five free failures, from different addresses so that only the user's key counts.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Login("ed", "wrong", fmt::format("10.0.1.{}:1", i)).status, 401);
  }
  // Even the right password is refused without a check while the delay (1 s) runs.
  HttpResponse r = Login("ed", "password-ed", "10.0.2.2:1");
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(HeaderOf(r, "retry-after"), "1");
  clock_.Advance(1'000);
  EXPECT_EQ(Login("ed", "wrong", "10.0.2.1:1").status, 401);  // 6th failure: 2 s now
  r = Login("ed", "password-ed", "10.0.2.2:1");
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(HeaderOf(r, "retry-after"), "2");
  EXPECT_NE(r.body.find("too many failed logins"), std::string::npos) << r.body;
  // Other users are not affected.
  EXPECT_EQ(Login("vic", "password-vic", "10.0.2.3:1").status, 200);
  clock_.Advance(2'000);
  EXPECT_EQ(Login("ed", "password-ed", "10.0.2.4:1").status, 200);
  // A success clears the user's count.
  EXPECT_EQ(Login("ed", "wrong", "10.0.2.5:1").status, 401);
  EXPECT_EQ(Login("ed", "password-ed", "10.0.2.6:1").status, 200);
}

TEST_F(ApiSessionTest, ParallelGuessesGetNoMoreThanTheFreeAttempts) {
  // Twelve guesses at once, from twelve addresses: each counts from its start, so only
  // the five free ones are checked; the others are refused unchecked.
  std::vector<std::future<HttpResponse>> answers;
  std::vector<std::shared_ptr<std::promise<HttpResponse>>> promises;
  for (int i = 0; i < 12; ++i) {
    HttpRequest req;
    req.method = "POST";
    req.target = "/api/v1/login";
    req.body = R"({"user":"ed","password":"wrong-guess"})";
    req.headers.push_back({"content-type", "application/json"});
    req.remote = fmt::format("10.7.0.{}:1", i);
    auto p = std::make_shared<std::promise<HttpResponse>>();
    answers.push_back(p->get_future());
    api_->Handle(std::move(req), [p](HttpResponse r) { p->set_value(std::move(r)); });
    promises.push_back(std::move(p));
  }
  int checked = 0, throttled = 0;
  for (auto& f : answers) {
    const int status = f.get().status;
    checked += status == 401;
    throttled += status == 429;
  }
  EXPECT_EQ(checked, 5);
  EXPECT_EQ(throttled, 7);
}

TEST_F(ApiSessionTest, OneAddressGuessingManyUsersIsSlowedDown) {
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(Login(fmt::format("u{}", i), "x", "10.9.9.9:1").status, 401);
  EXPECT_EQ(Login("vic", "password-vic", "10.9.9.9:3").status, 429);
  EXPECT_EQ(Login("vic", "password-vic", "10.9.9.8:3").status, 200);
}

TEST_F(ApiSessionTest, WritesWithASessionNeedTheCsrfValue) {
  Session s = LoginAs("ed");
  const std::string tags = R"({"role":"web","dc":"fra"})";
  HttpResponse r = As(s, "PUT", "/api/v1/hosts/web1/tags", tags, /*with_csrf=*/false);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("X-CSRF-Token"), std::string::npos) << r.body;
  Session wrong = s;
  wrong.csrf[0] = wrong.csrf[0] == 'a' ? 'b' : 'a';
  EXPECT_EQ(As(wrong, "PUT", "/api/v1/hosts/web1/tags", tags).status, 403);
  r = As(s, "PUT", "/api/v1/hosts/web1/tags", tags);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("host":"web1","tags":{"dc":"fra","role":"web"})"), std::string::npos)
      << r.body;
  auto host = meta_->GetHost("web1");
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(host->tags.at("dc"), "fra");
}

TEST_F(ApiSessionTest, RolesAreEnforcedByTheServer) {
  Session vic = LoginAs("vic"), ed = LoginAs("ed"), ann = LoginAs("ann");
  const std::string tags = R"({"role":"db"})";
  HttpResponse r = As(vic, "PUT", "/api/v1/hosts/web1/tags", tags);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("user 'vic' (viewer) may not edit"), std::string::npos) << r.body;
  EXPECT_EQ(meta_->GetHost("web1")->tags.count("role"), 0u);
  EXPECT_EQ(As(ed, "PUT", "/api/v1/hosts/web1/tags", tags).status, 200);
  EXPECT_EQ(As(ann, "PUT", "/api/v1/hosts/web1/tags", tags).status, 200);
  // Admin endpoints: admins only.
  EXPECT_EQ(As(ed, "POST", "/api/v1/admin/flush").status, 403);
  EXPECT_EQ(As(ann, "POST", "/api/v1/admin/flush").status, 200);
  // Sessions never ingest.
  r = As(ann, "POST", "/write?precision=s", "cpu,host=web1 v=2 1795300001");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("ingest token"), std::string::npos) << r.body;
  // Unknown host: 404 naming it.
  r = As(ed, "PUT", "/api/v1/hosts/nope/tags", tags);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("'nope'"), std::string::npos);
  // A role change holds from the next request (the role is read at every verification).
  ASSERT_TRUE(meta_->SetUserRole("ed", meta::Role::kViewer).ok());
  EXPECT_EQ(As(ed, "PUT", "/api/v1/hosts/web1/tags", tags).status, 403);
}

TEST_F(ApiSessionTest, TokensEditWithAdminScopeOnly) {
  EXPECT_EQ(Call(*api_, "PUT", "/api/v1/hosts/web1/tags", R"({"a":"b"})", read_token_).status, 403);
  EXPECT_EQ(Call(*api_, "PUT", "/api/v1/hosts/web1/tags", R"({"a":"b"})", admin_token_).status,
            200);
  HttpResponse r = Call(*api_, "PUT", "/api/v1/hosts/web1/tags", R"({"a":1})", admin_token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("tag 'a'"), std::string::npos) << r.body;
  r = Get("/api/v1/me", read_token_);
  EXPECT_NE(r.body.find(R"({"auth":"token","token":"viewer","scopes":"read"})"), std::string::npos)
      << r.body;
}

TEST_F(ApiSessionTest, LogoutEndsTheSessionAndClearsTheCookie) {
  Session s = LoginAs("vic");
  EXPECT_EQ(As(s, "POST", "/api/v1/logout", "", /*with_csrf=*/false).status, 403);
  HttpResponse r = As(s, "POST", "/api/v1/logout");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(HeaderOf(r, "set-cookie").find("strix_session=; Path=/; Max-Age=0"), std::string::npos);
  r = As(s, "GET", "/api/v1/me");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("invalid session"), std::string::npos) << r.body;
  // Without any credentials the answer says how to get some.
  r = Request("GET", "/api/v1/me", "", {});
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("POST /api/v1/login"), std::string::npos) << r.body;
}

TEST_F(ApiSessionTest, ExpiredSessionsAreRefused) {
  Session s = LoginAs("vic");
  clock_.Advance(12 * 3600 * 1000 + 1);
  HttpResponse r = As(s, "GET", "/api/v1/hosts");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("session expired"), std::string::npos) << r.body;
}

TEST_F(ApiSessionTest, ALiveStreamEndsWhenItsSessionEnds) {
  ApiContext ctx{storage_.get(), meta_.get(), queue_.get(), nullptr, &clock_};
  ctx.live_poll_ms = 50;
  ctx.live_heartbeat_ms = 100;
  api_ = std::make_unique<Api>(ctx);
  Session s = LoginAs("vic");
  HttpResponse r = As(s, "GET", "/api/v1/stream?match[]=cpu_v");
  ASSERT_EQ(r.status, 200) << r.body;
  auto w = std::make_shared<CollectingWriter>();
  r.stream_open(w);
  // The hub's times come from the (manual) clock: move it on until the text shows up.
  auto advance_until = [&](std::string_view needle) {
    for (int i = 0; i < 200 && w->text().find(needle) == std::string::npos; ++i) {
      clock_.Advance(100);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return w->text();
  };
  EXPECT_NE(advance_until(": ping").find(": ping"), std::string::npos);
  ASSERT_EQ(As(s, "POST", "/api/v1/logout").status, 200);
  const std::string text = advance_until("not authorized any more");
  EXPECT_NE(text.find("event: error"), std::string::npos) << text;
  EXPECT_TRUE(w->closed());
  // Per user: at most 16 streams.
  Session t = LoginAs("ed");
  std::vector<std::shared_ptr<CollectingWriter>> open;
  for (int i = 0; i < 16; ++i) {
    HttpResponse ok = As(t, "GET", "/api/v1/stream?match[]=cpu_v");
    ASSERT_EQ(ok.status, 200);
    open.push_back(std::make_shared<CollectingWriter>());
    ok.stream_open(open.back());
  }
  for (int i = 0; i < 100 && api_ != nullptr; ++i) {
    HttpResponse more = As(t, "GET", "/api/v1/stream?match[]=cpu_v");
    if (more.status == 503) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the hub takes them in
    ASSERT_LT(i, 99) << "the 17th stream of one user was accepted";
  }
  EXPECT_EQ(As(LoginAs("ann"), "GET", "/api/v1/stream?match[]=cpu_v").status, 200)
      << "another user is not affected";
}

TEST_F(ApiTest, WebFilesAreServedFromWebDirWithoutTraversal) {
  ASSERT_TRUE(Env::Default().CreateDirs(dir_.Join("web/assets")).ok());
  std::ofstream(dir_.Join("web/index.html")) << "<!doctype html><title>Strix</title>";
  std::ofstream(dir_.Join("web/assets/app-1234.js")) << "console.log(1)";
  std::ofstream(dir_.Join("secret.txt")) << "no";
  ApiContext ctx{storage_.get(), meta_.get(), queue_.get(), nullptr, &clock_};
  ctx.web_dir = dir_.Join("web");
  Api api(ctx);
  HttpResponse r = Call(api, "GET", "/", "", "");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(r.body, "<!doctype html><title>Strix</title>");
  bool csp = false;
  for (const HttpHeader& h : r.headers) csp |= h.name == "content-security-policy";
  EXPECT_TRUE(csp);
  r = Call(api, "GET", "/assets/app-1234.js", "", "");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Call(api, "GET", "/assets/..%2fsecret.txt", "", "").status, 404);
  EXPECT_EQ(Call(api, "GET", "/assets/../../secret.txt", "", "").status, 404);
  EXPECT_EQ(Call(api, "GET", "/assets/.hidden", "", "").status, 404);
  EXPECT_EQ(Call(api, "GET", "/assets/missing.js", "", "").status, 404);
  // Without web_dir, / still answers (it says how to get the UI).
  r = Get("/", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("web.dir"), std::string::npos);
}

}  // namespace
}  // namespace strix::api
