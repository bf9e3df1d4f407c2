// Payload bodies: the line-protocol text of a small workload (golden), precisions, batch
// splitting, number formatting, gzip, pattoo checksums against the spec's verified vectors
// (pattoo.md §1.3, §1.5), and the shape of a pattoo post checked with a JSON parser.
#include "bench/loadgen/payload.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <zlib.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace strix::bench {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

Workload Make(int hosts, int64_t span_ms, uint64_t seed = 1) {
  WorkloadOptions o;
  o.seed = seed;
  o.hosts = hosts;
  o.start_ms = kStart;
  o.span_ms = span_ms;
  Result<Workload> w = Workload::Create(o);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return *w;
}

std::vector<Payload> Build(const Workload& w, const PayloadOptions& p) {
  Result<std::vector<Payload>> r = BuildPayloads(w, p);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<Payload>{};
}

std::string Gunzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[16384];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc == Z_OK);
  EXPECT_EQ(rc, Z_STREAM_END);
  inflateEnd(&zs);
  return out;
}

// Seed 1, hosts 2, two points at 10 s, precision s. Pins the field order, the number
// forms (Go-shortest floats, i and u suffixes) and the generator's values.
constexpr std::string_view kGoldenLineProtocol =
    "node,host=host-00000 cpu_user=23.11,cpu_system=6.4,load1=2.43,mem_used=4774969344i,"
    "disk_used=90116800512i,net_rx_bytes=1002698024390u,net_tx_bytes=189709241655u,"
    "requests=119597u,mem_total=68719476736i,latency_ms=3.15 1700000000\n"
    "node,host=host-00001 cpu_user=38.37,cpu_system=6.5,load1=2.55,mem_used=3828490240i,"
    "disk_used=77939441664i,net_rx_bytes=534090659653u,net_tx_bytes=979491522894u,"
    "requests=400949u,mem_total=68719476736i,latency_ms=3.82 1700000000\n"
    "node,host=host-00000 cpu_user=22.95,cpu_system=6.46,load1=2.48,mem_used=4775809024i,"
    "disk_used=90116988928i,net_rx_bytes=1002698298780u,net_tx_bytes=189709641807u,"
    "requests=119706u,mem_total=68719476736i,latency_ms=38.28 1700000010\n"
    "node,host=host-00001 cpu_user=38.44,cpu_system=6.4,load1=2.58,mem_used=3828559872i,"
    "disk_used=77939478528i,net_rx_bytes=534090882738u,net_tx_bytes=979491571497u,"
    "requests=401001u,mem_total=68719476736i,latency_ms=3.86 1700000010\n";

TEST(LineProtocolPayload, GoldenTextOfASmallWorkload) {
  PayloadOptions p;
  const std::vector<Payload> out = Build(Make(2, 20'000), p);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].body, kGoldenLineProtocol);
  EXPECT_EQ(out[0].lines, 4u);
  EXPECT_EQ(out[0].samples, 40u);
  EXPECT_EQ(out[0].raw_bytes, out[0].body.size());
  EXPECT_EQ(out[0].agent_id, "");
}

TEST(LineProtocolPayload, TimestampsFollowThePrecision) {
  const Workload w = Make(1, 10'000);
  PayloadOptions p;
  p.precision = TimePrecision::kMilliseconds;
  EXPECT_TRUE(Build(w, p)[0].body.ends_with(" 1700000000000\n"));
  p.precision = TimePrecision::kNanoseconds;
  EXPECT_TRUE(Build(w, p)[0].body.ends_with(" 1700000000000000000\n"));
  p.precision = TimePrecision::kSeconds;
  EXPECT_TRUE(Build(w, p)[0].body.ends_with(" 1700000000\n"));
}

TEST(LineProtocolPayload, SecondsPrecisionNeedsWholeSeconds) {
  WorkloadOptions o;
  o.start_ms = kStart + 500;
  o.hosts = 1;
  PayloadOptions p;
  EXPECT_FALSE(BuildPayloads(*Workload::Create(o), p).ok());
  p.precision = TimePrecision::kMilliseconds;
  EXPECT_TRUE(BuildPayloads(*Workload::Create(o), p).ok());
  o.start_ms = kStart;
  o.interval_ms = 1500;
  p.precision = TimePrecision::kSeconds;
  EXPECT_FALSE(BuildPayloads(*Workload::Create(o), p).ok());
}

TEST(LineProtocolPayload, BatchesHoldBatchLinesInTimeOrder) {
  const Workload w = Make(3, 60'000);  // 6 points x 3 hosts = 18 lines
  PayloadOptions p;
  p.batch_lines = 4;
  const std::vector<Payload> out = Build(w, p);
  ASSERT_EQ(out.size(), 5u);
  std::string all;
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].lines, i + 1 < out.size() ? 4u : 2u);
    EXPECT_EQ(out[i].samples, out[i].lines * 10);
    size_t newlines = 0;
    for (char c : out[i].body) newlines += c == '\n';
    EXPECT_EQ(newlines, out[i].lines);
    all += out[i].body;
  }
  p.batch_lines = 1000;
  EXPECT_EQ(Build(w, p).at(0).body, all);  // splitting only cuts, never reorders
}

// InfluxDB 1.x rejects `u`: with int_counters the counters carry `i` and the same digits,
// and nothing else in the body changes.
TEST(LineProtocolPayload, IntCountersWriteTheSameValuesAsI) {
  PayloadOptions p;
  p.int_counters = true;
  const std::vector<Payload> out = Build(Make(2, 20'000), p);
  ASSERT_EQ(out.size(), 1u);
  std::string want(kGoldenLineProtocol);
  for (std::string_view field : {"net_rx_bytes=", "net_tx_bytes=", "requests="}) {
    for (size_t at = want.find(field); at != std::string::npos; at = want.find(field, at + 1)) {
      const size_t u = want.find('u', at + field.size());
      ASSERT_NE(u, std::string::npos);
      want[u] = 'i';
    }
  }
  EXPECT_EQ(out[0].body, want);
  EXPECT_EQ(out[0].body.find("u,"), std::string::npos);
  EXPECT_NE(out[0].body.find(",net_rx_bytes=1002698024390i,"), std::string::npos);
  EXPECT_NE(out[0].body.find(",requests=401001i,"), std::string::npos);
  EXPECT_NE(out[0].body.find(",mem_used=4774969344i,"), std::string::npos);  // gauges stay i
}

TEST(LineProtocolPayload, MeasurementMustBeAPlainName) {
  PayloadOptions p;
  p.measurement = "my node";
  EXPECT_FALSE(p.Validate().ok());
  p.measurement = "telegraf_node2";
  EXPECT_TRUE(p.Validate().ok());
  p.batch_lines = 0;
  EXPECT_FALSE(p.Validate().ok());
}

TEST(LoadgenPayload, FixedTwoDecimalForms) {
  auto go = [](int64_t v) {
    std::string s;
    AppendFixed2Shortest(v, &s);
    return s;
  };
  auto py = [](int64_t v) {
    std::string s;
    AppendFixed2Python(v, &s);
    return s;
  };
  EXPECT_EQ(go(1200), "12");
  EXPECT_EQ(go(1230), "12.3");
  EXPECT_EQ(go(1234), "12.34");
  EXPECT_EQ(go(5), "0.05");
  EXPECT_EQ(go(0), "0");
  EXPECT_EQ(go(-5), "-0.05");
  EXPECT_EQ(go(-1230), "-12.3");
  EXPECT_EQ(py(1200), "12.0");
  EXPECT_EQ(py(1230), "12.3");
  EXPECT_EQ(py(1234), "12.34");
  EXPECT_EQ(py(0), "0.0");
  EXPECT_EQ(py(-100), "-1.0");
}

TEST(LoadgenPayload, GzipRoundTrips) {
  const Workload w = Make(20, 600'000);
  PayloadOptions p;
  p.batch_lines = 50;
  const std::vector<Payload> plain = Build(w, p);
  p.gzip = true;
  const std::vector<Payload> zipped = Build(w, p);
  ASSERT_EQ(plain.size(), zipped.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_EQ(zipped[i].raw_bytes, plain[i].body.size());
    EXPECT_LT(zipped[i].body.size(), plain[i].body.size());
    EXPECT_EQ(Gunzip(zipped[i].body), plain[i].body);
  }
}

// pattoo.md §1.5 golden vectors, re-verified there with PattooShared 0.0.98.
TEST(PattooPayload, ChecksumsMatchTheSpecVectors) {
  EXPECT_EQ(PattooChecksum("testing", 99, {{"_testing", "_testing"}}),
            "306353a04200e3b889b18c6f78dd8e56a63a287218ec8424e22d31b4b961a905");
  const std::string id = "cdc2fda05cf76067289a8de4a4a8b3885239073be1ae813489778886c4e90763";
  const std::vector<std::pair<std::string, std::string>> agent = {
      {"pattoo_agent_hostname", "myhost.example.org"},
      {"pattoo_agent_id", id},
      {"pattoo_agent_polled_target", "myhost.example.org"},
      {"pattoo_agent_program", "pattoo_agent_os_autonomousd"}};
  std::vector<std::pair<std::string, std::string>> with_disk = {{"disk_partition", "sda1"}};
  with_disk.insert(with_disk.end(), agent.begin(), agent.end());
  EXPECT_EQ(PattooChecksum("disk_io_read_bytes", 64, with_disk),
            "053a8131c365201e742acda31aeccef3ddc6a8ba904d90e1c5309c0440448eb9");
  EXPECT_EQ(PattooChecksum("cpu_times_percent_user", 101, agent),
            "e310a3482ea3db3dedc188a54917d20329621cecb97be52925c4f2d2af2ff6b1");
}

TEST(PattooPayload, OnePostPerAgentPerPoint) {
  const Workload w = Make(250, 20'000);  // 2 points
  PayloadOptions p;
  p.format = Format::kPattoo;
  p.pattoo_targets = 100;  // agents of 100, 100 and 50 hosts
  const std::vector<Payload> out = Build(w, p);
  ASSERT_EQ(out.size(), 6u);
  const uint64_t want[] = {1000, 1000, 500, 1000, 1000, 500};
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].samples, want[i]) << i;
    EXPECT_EQ(out[i].lines, want[i]) << i;
    EXPECT_EQ(out[i].agent_id, PattooAgentId(1, static_cast<int>(i % 3)));
  }
  EXPECT_EQ(Totals(out).samples, w.samples());
  EXPECT_EQ(out[0].agent_id.size(), 64u);
  EXPECT_NE(out[0].agent_id, out[1].agent_id);
}

// Reads one post with simdjson and checks it against pattoo.md §1.2-1.5.
TEST(PattooPayload, PostHasPattoosShape) {
  const Workload w = Make(3, 10'000, 7);  // one point
  PayloadOptions p;
  p.format = Format::kPattoo;
  p.pattoo_targets = 2;  // agent 0 polls hosts 0, 1; agent 1 polls host 2
  const std::vector<Payload> out = Build(w, p);
  ASSERT_EQ(out.size(), 2u);
  const Payload& post = out[0];
  EXPECT_TRUE(post.body.starts_with(
      "{\"pattoo_agent_timestamp\": 1700000000000, \"pattoo_agent_id\": \"" + post.agent_id +
      "\", \"pattoo_agent_polling_interval\": 10000, \"pattoo_datapoints\": {\"key_value_pairs\": "
      "{\"0\": [\"pattoo_agent_polling_interval\", \"10000\"], \"1\": [\"pattoo_agent_hostname\", "
      "\"loadgen-agent-00000\"], \"2\": [\"pattoo_agent_id\", \"" +
      post.agent_id +
      "\"], \"3\": [\"pattoo_agent_polled_target\", \"host-00000\"], \"4\": "
      "[\"pattoo_agent_program\", \"pattoo_agent_strix_loadgen\"], \"5\": "
      "[\"pattoo_key\", \"cpu_user\"], \"6\": [\"pattoo_data_type\", 101], "))
      << post.body.substr(0, 600);

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(post.body).get(doc), simdjson::SUCCESS);
  simdjson::dom::object top;
  ASSERT_EQ(doc.get_object().get(top), simdjson::SUCCESS);
  std::vector<std::string> keys;
  for (auto kv : top) keys.emplace_back(kv.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"pattoo_agent_timestamp", "pattoo_agent_id",
                                            "pattoo_agent_polling_interval", "pattoo_datapoints"}));
  int64_t ts = 0, interval = 0;
  std::string_view agent_id;
  ASSERT_EQ(top["pattoo_agent_timestamp"].get_int64().get(ts), simdjson::SUCCESS);
  ASSERT_EQ(top["pattoo_agent_polling_interval"].get_int64().get(interval), simdjson::SUCCESS);
  ASSERT_EQ(top["pattoo_agent_id"].get_string().get(agent_id), simdjson::SUCCESS);
  EXPECT_EQ(ts, kStart);
  EXPECT_EQ(interval, 10'000);
  EXPECT_EQ(agent_id, post.agent_id);

  simdjson::dom::object dps, kvp;
  simdjson::dom::array pairs;
  ASSERT_EQ(top["pattoo_datapoints"].get_object().get(dps), simdjson::SUCCESS);
  EXPECT_EQ(dps.size(), 2u);
  ASSERT_EQ(dps["key_value_pairs"].get_object().get(kvp), simdjson::SUCCESS);
  ASSERT_EQ(dps["datapoint_pairs"].get_array().get(pairs), simdjson::SUCCESS);

  // Ids are dense "0".."n-1" in order, each a 2-element [key, value]; no pair twice.
  std::vector<simdjson::dom::array> by_id;
  std::set<std::string> distinct;
  for (auto kv : kvp) {
    EXPECT_EQ(kv.key, std::to_string(by_id.size()));
    simdjson::dom::array pair;
    ASSERT_EQ(kv.value.get_array().get(pair), simdjson::SUCCESS);
    ASSERT_EQ(pair.size(), 2u);
    by_id.push_back(pair);
    EXPECT_TRUE(distinct.insert(simdjson::minify(pair)).second) << simdjson::minify(pair);
  }

  const std::vector<std::string> order = {"pattoo_agent_polling_interval",
                                          "pattoo_agent_hostname",
                                          "pattoo_agent_id",
                                          "pattoo_agent_polled_target",
                                          "pattoo_agent_program",
                                          "pattoo_key",
                                          "pattoo_data_type",
                                          "pattoo_value",
                                          "pattoo_timestamp",
                                          "pattoo_checksum"};
  ASSERT_EQ(pairs.size(), 20u);  // 2 hosts x 10 metrics
  size_t d = 0;
  for (simdjson::dom::element dp : pairs) {
    simdjson::dom::array ids;
    ASSERT_EQ(dp.get_array().get(ids), simdjson::SUCCESS);
    std::map<std::string, simdjson::dom::element> fields;
    std::vector<std::string> names;
    for (simdjson::dom::element id : ids) {
      uint64_t i = 0;
      ASSERT_EQ(id.get_uint64().get(i), simdjson::SUCCESS);
      ASSERT_LT(i, by_id.size());
      std::string_view k;
      ASSERT_EQ(by_id[i].at(0).get_string().get(k), simdjson::SUCCESS);
      names.emplace_back(k);
      fields[std::string(k)] = by_id[i].at(1);
    }
    EXPECT_EQ(names, order);
    const MetricSpec& spec = kHostMetrics[d % kMetricsPerHost];
    const std::string host = Workload::HostName(static_cast<int>(d / kMetricsPerHost));
    std::string_view s;
    ASSERT_EQ(fields["pattoo_agent_polling_interval"].get_string().get(s), simdjson::SUCCESS);
    EXPECT_EQ(s, "10000");  // a string inside datapoints, an integer at the top
    ASSERT_EQ(fields["pattoo_agent_polled_target"].get_string().get(s), simdjson::SUCCESS);
    EXPECT_EQ(s, host);
    ASSERT_EQ(fields["pattoo_key"].get_string().get(s), simdjson::SUCCESS);
    EXPECT_EQ(s, spec.name);
    int64_t type = 0, t = 0;
    ASSERT_EQ(fields["pattoo_data_type"].get_int64().get(type), simdjson::SUCCESS);
    EXPECT_EQ(type, PattooDataType(spec));
    ASSERT_EQ(fields["pattoo_timestamp"].get_int64().get(t), simdjson::SUCCESS);
    EXPECT_EQ(t, kStart);
    const simdjson::dom::element value = fields["pattoo_value"];
    if (spec.type == ValueType::kFixed2) {
      EXPECT_TRUE(value.is_double()) << spec.name;  // 12.0, not 12
    } else {
      EXPECT_TRUE(value.is_int64() || value.is_uint64()) << spec.name;
    }
    ASSERT_EQ(fields["pattoo_checksum"].get_string().get(s), simdjson::SUCCESS);
    EXPECT_EQ(s, PattooChecksum(spec.name, static_cast<int>(type),
                                {{"pattoo_agent_hostname", "loadgen-agent-00000"},
                                 {"pattoo_agent_id", post.agent_id},
                                 {"pattoo_agent_polled_target", host},
                                 {"pattoo_agent_program", "pattoo_agent_strix_loadgen"}}));
    ++d;
  }
}

}  // namespace
}  // namespace strix::bench
