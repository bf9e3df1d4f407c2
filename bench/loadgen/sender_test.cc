// LoadSender end to end against TestHttpServer on 127.0.0.1: every payload arrives once
// with the right headers over N keep-alive connections; 503s and transport errors are
// counted by code with their bodies; retries honour Retry-After; Connection: close is
// survived; a vanished server stops the run without hanging.
#include "bench/loadgen/sender.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "bench/loadgen/test_http_server.h"

namespace strix::bench {
namespace {

using testing::NoContent;
using testing::TestAnswer;
using testing::TestHttpServer;
using testing::TestRequest;

std::vector<Payload> LineProtocolPayloads(int hosts, int64_t span_ms, int batch_lines) {
  WorkloadOptions o;
  o.hosts = hosts;
  o.span_ms = span_ms;
  o.start_ms = 1'700'000'000'000;
  PayloadOptions p;
  p.batch_lines = batch_lines;
  return BuildPayloads(*Workload::Create(o), p).value();
}

SendOptions Options(const TestHttpServer& s, std::string_view target, int connections) {
  SendOptions o;
  o.url = ParseHttpUrl(s.Url(target)).value();
  o.connections = connections;
  o.timeout_ms = 10'000;
  return o;
}

TEST(LoadSender, SendsEveryPayloadOnceOverKeepAliveConnections) {
  TestHttpServer s([](const TestRequest&, uint64_t) { return NoContent(); });
  const std::vector<Payload> payloads = LineProtocolPayloads(37, 600'000, 20);  // 2220 lines
  ASSERT_EQ(payloads.size(), 111u);
  SendOptions o = Options(s, "/write?precision=s", 4);
  o.headers = {"Authorization: Bearer t0ken"};
  auto sender = LoadSender::Connect(o);
  ASSERT_TRUE(sender.ok()) << sender.status().ToString();
  bool started = false, ended = false;
  const SendResult r = (*sender)->Send(
      payloads, [&] { started = true; }, [&] { ended = started; });
  EXPECT_TRUE(started);
  EXPECT_TRUE(ended);

  uint64_t samples = 0, body_bytes = 0;
  std::multiset<std::string> sent;
  for (const Payload& p : payloads) {
    samples += p.samples;
    body_bytes += p.body.size();
    sent.insert(p.body);
  }
  EXPECT_EQ(r.requests, payloads.size());
  EXPECT_EQ(r.payloads_ok, payloads.size());
  EXPECT_EQ(r.payloads_failed, 0u);
  EXPECT_EQ(r.payloads_unsent, 0u);
  EXPECT_EQ(r.samples_ok, samples);
  EXPECT_EQ(r.samples_failed, 0u);
  EXPECT_EQ(r.body_bytes_sent, body_bytes);
  EXPECT_GT(r.bytes_sent, body_bytes);
  EXPECT_EQ(r.connects, 4u);  // keep-alive: no reconnects
  EXPECT_EQ(r.status_counts, (std::map<int, uint64_t>{{204, payloads.size()}}));
  EXPECT_EQ(r.latencies_ns.size(), payloads.size());
  EXPECT_TRUE(std::is_sorted(r.latencies_ns.begin(), r.latencies_ns.end()));
  EXPECT_GT(r.wall_ns, 0);
  EXPECT_TRUE(r.error_reports.empty());

  const std::vector<TestRequest> reqs = s.Requests();
  EXPECT_EQ(s.connections(), 4);
  std::multiset<std::string> got;
  uint64_t server_bytes = 0;
  for (const TestRequest& q : reqs) {
    got.insert(q.body);
    server_bytes += q.body.size();
    EXPECT_EQ(q.method, "POST");
    EXPECT_EQ(q.target, "/write?precision=s");
    EXPECT_EQ(q.headers.at("host"), "127.0.0.1:" + std::to_string(s.port()));
    EXPECT_EQ(q.headers.at("authorization"), "Bearer t0ken");
    EXPECT_EQ(q.headers.at("content-type"), "text/plain; charset=utf-8");
    EXPECT_EQ(q.headers.at("user-agent"), "strix-loadgen");
    EXPECT_EQ(q.headers.count("content-encoding"), 0u);
  }
  EXPECT_EQ(got, sent);
  EXPECT_EQ(server_bytes, body_bytes);
}

TEST(LoadSender, CountsNon2xxAnswersByCodeAndKeepsTheirBodies) {
  TestHttpServer s([](const TestRequest&, uint64_t i) {
    if (i % 3 == 0)
      return TestAnswer{
          "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 11\r\n\r\noverloaded\n"};
    return NoContent();
  });
  const std::vector<Payload> payloads = LineProtocolPayloads(10, 600'000, 10);  // 60 payloads
  SendOptions o = Options(s, "/write", 2);
  o.max_error_reports = 3;
  auto sender = LoadSender::Connect(o);
  ASSERT_TRUE(sender.ok());
  const SendResult r = (*sender)->Send(payloads);
  EXPECT_EQ(r.requests, 60u);
  EXPECT_EQ(r.status_counts, (std::map<int, uint64_t>{{204, 40}, {503, 20}}));
  EXPECT_EQ(r.payloads_ok, 40u);
  EXPECT_EQ(r.payloads_failed, 20u);
  EXPECT_EQ(r.samples_ok, 40u * 100);
  EXPECT_EQ(r.samples_failed, 20u * 100);
  EXPECT_EQ(r.retries, 0u);
  ASSERT_EQ(r.error_reports.size(), 3u);
  for (const std::string& e : r.error_reports) {
    EXPECT_NE(e.find("HTTP 503 Service Unavailable: overloaded"), std::string::npos) << e;
  }
  EXPECT_EQ(r.latencies_ns.size(), 60u);  // a 503 is an answer: its latency counts
}

TEST(LoadSender, RetriesAfter503UntilAccepted) {
  std::atomic<int> refused{0};
  Mutex mu;
  std::set<std::string> seen;
  TestHttpServer s([&](const TestRequest& req, uint64_t) {
    MutexLock l(&mu);
    if (seen.insert(req.body).second) {  // first time this body is seen: push back
      ++refused;
      return TestAnswer{
          "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n"};
    }
    return NoContent();
  });
  const std::vector<Payload> payloads = LineProtocolPayloads(5, 300'000, 15);  // 10 payloads
  SendOptions o = Options(s, "/write", 3);
  o.retries = 2;
  auto sender = LoadSender::Connect(o);
  ASSERT_TRUE(sender.ok());
  const SendResult r = (*sender)->Send(payloads);
  EXPECT_EQ(r.payloads_ok, payloads.size());
  EXPECT_EQ(r.payloads_failed, 0u);
  EXPECT_EQ(r.retries, payloads.size());
  EXPECT_EQ(r.requests, 2 * payloads.size());
  EXPECT_EQ(r.status_counts, (std::map<int, uint64_t>{{204, 10}, {503, 10}}));
  EXPECT_EQ(refused.load(), 10);
}

TEST(LoadSender, SurvivesConnectionClose) {
  TestHttpServer s([](const TestRequest&, uint64_t) {
    return TestAnswer{"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", true};
  });
  const std::vector<Payload> payloads = LineProtocolPayloads(4, 300'000, 12);  // 10 payloads
  auto sender = LoadSender::Connect(Options(s, "/write", 2));
  ASSERT_TRUE(sender.ok());
  const SendResult r = (*sender)->Send(payloads);
  EXPECT_EQ(r.payloads_ok, 10u);
  // 2 at start, then one before every request but each thread's first: 10 (11 if one
  // thread happened to send nothing).
  EXPECT_GE(r.connects, 10u);
  EXPECT_LE(r.connects, 11u);
  EXPECT_EQ(static_cast<uint64_t>(s.connections()), r.connects);
}

TEST(LoadSender, SubstitutesTheAgentIdAndSendsJson) {
  TestHttpServer s([](const TestRequest&, uint64_t) {
    return TestAnswer{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"};
  });
  WorkloadOptions w;
  w.hosts = 5;
  w.span_ms = 20'000;
  w.start_ms = 1'700'000'000'000;
  PayloadOptions p;
  p.format = Format::kPattoo;
  p.pattoo_targets = 2;
  p.gzip = true;
  const std::vector<Payload> payloads = BuildPayloads(*Workload::Create(w), p).value();
  ASSERT_EQ(payloads.size(), 6u);
  SendOptions o = Options(s, "/pattoo/api/v1/agent/receive/{agent_id}", 1);
  o.content_type = "application/json";
  o.content_encoding = "gzip";
  auto sender = LoadSender::Connect(o);
  ASSERT_TRUE(sender.ok());
  const SendResult r = (*sender)->Send(payloads);
  EXPECT_EQ(r.payloads_ok, 6u);
  const auto reqs = s.Requests();
  ASSERT_EQ(reqs.size(), 6u);
  for (size_t i = 0; i < reqs.size(); ++i) {  // one connection: arrival order is send order
    EXPECT_EQ(reqs[i].target, "/pattoo/api/v1/agent/receive/" + payloads[i].agent_id);
    EXPECT_EQ(reqs[i].headers.at("content-type"), "application/json");
    EXPECT_EQ(reqs[i].headers.at("content-encoding"), "gzip");
    EXPECT_EQ(reqs[i].body, payloads[i].body);
  }
}

TEST(LoadSender, StopsWhenTheServerIsGone) {
  auto server =
      std::make_unique<TestHttpServer>([](const TestRequest&, uint64_t) { return NoContent(); });
  const std::vector<Payload> payloads = LineProtocolPayloads(10, 600'000, 10);  // 60 payloads
  auto sender = LoadSender::Connect(Options(*server, "/write", 2));
  ASSERT_TRUE(sender.ok());
  server.reset();  // closes the listener and both connections
  const SendResult r = (*sender)->Send(payloads);
  EXPECT_TRUE(r.stopped_early);
  EXPECT_EQ(r.payloads_ok, 0u);
  EXPECT_EQ(r.payloads_failed + r.payloads_unsent, payloads.size());
  EXPECT_EQ(r.samples_failed, 60u * 100);
  EXPECT_GE(r.status_counts.at(0), 2u);
  EXPECT_FALSE(r.error_reports.empty());
}

TEST(LoadSender, RejectsBadOptions) {
  SendOptions o;
  o.connections = 0;
  EXPECT_FALSE(o.Validate().ok());
  o.connections = 1;
  o.headers = {"no colon"};
  EXPECT_FALSE(o.Validate().ok());
  o.headers = {"X-A: b\r\nX-Injected: c"};
  EXPECT_FALSE(o.Validate().ok());
  o.headers = {"X-A: b"};
  EXPECT_TRUE(o.Validate().ok());
}

TEST(LoadgenNearestRank, Quantiles) {
  std::vector<int64_t> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i);
  EXPECT_EQ(NearestRank(v, 0.5), 50);
  EXPECT_EQ(NearestRank(v, 0.9), 90);
  EXPECT_EQ(NearestRank(v, 0.99), 99);
  EXPECT_EQ(NearestRank(v, 1.0), 100);
  EXPECT_EQ(NearestRank({7}, 0.99), 7);
  EXPECT_EQ(NearestRank({}, 0.5), 0);
  EXPECT_EQ(NearestRank({1, 2, 3}, 0.5), 2);
}

}  // namespace
}  // namespace strix::bench
