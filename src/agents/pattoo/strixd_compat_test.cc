// Cross-check of the hub's decoder against strixd: the same pattoo page, once posted to
// strixd's pattoo agent API (ingest/pattoo, PattooParser) and once decoded by DecodePage,
// sent as line protocol and parsed by strixd's line protocol parser (ingest/line_protocol),
// must give the same series (metric name and labels), values and timestamps, and the same
// number of skipped datapoints. The only known difference, Counter32 (strixd's pattoo API
// keeps the counter32 kind, a Point has counter64 only), is normalised before comparing.
// This test links strixd's parsers (and through them storage's WriteBatch); the agent
// itself does not. It includes ingest headers only (agents -> ingest, as
// scripts/check-layering.sh allows) and reads the batch's label encoding itself.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "agents/pattoo/decode.h"
#include "agents/pattoo/encode.h"
#include "core/env.h"
#include "ingest/line_protocol/line_protocol.h"
#include "ingest/pattoo/pattoo.h"

namespace strix::agents::pattoo {
namespace {

constexpr int64_t kNow = 1700000000000;

std::string ReadTestdata(const std::string& relative) {
  const char* dir = std::getenv("STRIX_SOURCE_DIR");
  auto file = ReadFileToString(Env::Default(), JoinPath(dir ? dir : ".", relative));
  EXPECT_TRUE(file.ok()) << relative << ": " << file.status().ToString();
  return file.ok() ? *file : std::string();
}

// A test-local line protocol writer (the agent's own lives elsewhere).
void AppendEscaped(std::string* out, std::string_view s, std::string_view special) {
  for (char c : s) {
    if (special.find(c) != std::string_view::npos) out->push_back('\\');
    out->push_back(c);
  }
}
std::string ToLineProtocol(const std::vector<Point>& points) {
  std::string out;
  for (const Point& p : points) {
    AppendEscaped(&out, p.measurement, ", \\");
    for (const auto& [k, v] : p.tags) {
      out.push_back(',');
      AppendEscaped(&out, k, ",= \\");
      out.push_back('=');
      AppendEscaped(&out, v, ",= \\");
    }
    out.push_back(' ');
    for (size_t i = 0; i < p.fields.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendEscaped(&out, p.fields[i].key, ",= \\");
      out.push_back('=');
      const FieldValue& v = p.fields[i].value;
      switch (v.kind) {
        case ValueKind::kGauge:
          AppendPythonFloat(&out, v.f);
          break;
        case ValueKind::kCounter:
          out += std::to_string(v.u) + "u";
          break;
        case ValueKind::kDerive:
          out += std::to_string(v.i) + "i";
          break;
        case ValueKind::kState:
          out.push_back('"');
          AppendEscaped(&out, v.s, "\"\\");
          out.push_back('"');
          break;
      }
    }
    out += " " + std::to_string(p.timestamp_ms) + "\n";
  }
  return out;
}

// The labels of a series as `name{a="x",b="y"}`, from WriteBatch's encoding: for each
// label in name order, varint name length, name, varint value length, value.
std::string LabelsText(std::string_view enc) {
  auto varint = [&enc]() {
    uint64_t v = 0;
    for (int shift = 0; !enc.empty() && shift < 64; shift += 7) {
      unsigned char b = static_cast<unsigned char>(enc[0]);
      enc.remove_prefix(1);
      v |= uint64_t{b & 0x7fu} << shift;
      if (b < 0x80) break;
    }
    return v;
  };
  auto take = [&enc](uint64_t n) {
    std::string_view s = enc.substr(0, n);
    enc.remove_prefix(s.size());
    return s;
  };
  std::string name, rest;
  while (!enc.empty()) {
    std::string_view k = take(varint());
    std::string_view v = take(varint());
    if (k == "__name__") {
      name = v;
    } else {
      rest += fmt::format("{}{}=\"{}\"", rest.empty() ? "" : ",", k, v);
    }
  }
  return name + "{" + rest + "}";
}

// One sample of a batch as comparable text.
std::set<std::string> Samples(const storage::WriteBatch& batch) {
  std::set<std::string> out;
  for (const auto& s : batch.series()) {
    std::string labels = LabelsText(batch.EncodedLabels(s));
    storage::ValueKind kind =
        s.kind == storage::ValueKind::kCounter32 ? storage::ValueKind::kCounter64 : s.kind;
    for (const auto& x : batch.samples(s)) {
      std::string value;
      switch (kind) {
        case storage::ValueKind::kGauge:
          value = fmt::format("gauge {}", x.value.f);  // shortest round-trip text
          break;
        case storage::ValueKind::kState:
          value = "state " + std::string(batch.StateOf(x));
          break;
        default:
          value = fmt::format("kind {} {}", static_cast<int>(kind), x.value.u);
      }
      out.insert(labels + " " + value + " @" + std::to_string(x.ts));
    }
  }
  return out;
}

void ExpectSameSeries(const std::string& page, size_t want_samples) {
  storage::WriteBatch strixd;
  ingest::PattooParser pattoo_api;
  ingest::PattooParseStats api_stats;
  ASSERT_TRUE(pattoo_api.Parse(page, "hub", &strixd, &api_stats).ok());
  ASSERT_TRUE(api_stats.post_error.ok()) << api_stats.post_error.ToString();

  std::vector<Point> points;
  DecodeStats stats;
  ASSERT_TRUE(DecodePage(page, kNow, &points, &stats).ok());
  EXPECT_EQ(stats.datapoints, api_stats.datapoints);
  EXPECT_EQ(stats.skipped, api_stats.rejected) << stats.first_error.ToString();
  EXPECT_EQ(stats.truncated_counters, api_stats.truncated_counters);

  std::string lp = ToLineProtocol(points);
  storage::WriteBatch relayed;
  ingest::ParseOptions options;
  options.precision = ingest::Precision::kMilliseconds;
  ingest::LineProtocolParser parser(options);
  ingest::ParseStats lp_stats;
  ASSERT_TRUE(parser.Parse(lp, kNow, &relayed, &lp_stats).ok());
  EXPECT_EQ(lp_stats.rejected_lines, 0u)
      << (lp_stats.first_errors.empty() ? "" : lp_stats.first_errors[0].ToString()) << "\n"
      << lp;

  std::set<std::string> a = Samples(strixd);
  std::set<std::string> b = Samples(relayed);
  EXPECT_EQ(a.size(), want_samples);
  EXPECT_EQ(a, b) << lp;
}

TEST(PattooStrixdCompat, SpecSection13PageGivesTheSameSeriesBothWays) {
  ExpectSameSeries(ReadTestdata("testdata/pattoo/os_autonomousd_spec_1_3.json"), 2);
}

TEST(PattooStrixdCompat, ModbusDocsPageGivesTheSameSeriesBothWays) {
  ExpectSameSeries(ReadTestdata("testdata/pattoo/modbustcpd_docs_1_3.json"), 2);
}

TEST(PattooStrixdCompat, EncodedSpokePageGivesTheSameSeriesBothWays) {
  PostInfo info;
  info.agent_id = NewAgentId();
  info.agent_program = "pattoo_agent_linux_spoked";
  info.agent_hostname = "spoke one.example.org";  // a space, escaped in line protocol
  info.polled_target = "spoke one.example.org";
  info.polling_interval_ms = 10000;
  info.timestamp_ms = kNow;
  std::vector<PattooDatapoint> dps;
  auto add = [&](std::string key, int type, PattooValue v, std::vector<PattooMetadata> m) {
    PattooDatapoint dp;
    dp.key = std::move(key);
    dp.data_type = type;
    dp.value = std::move(v);
    dp.timestamp_ms = kNow - 5;
    dp.metadata = std::move(m);
    dps.push_back(std::move(dp));
  };
  PattooValue i;
  i.i = 18;
  PattooValue f;
  f.type = PattooValue::Type::kFloat;
  f.f = 0.1 + 0.2;
  PattooValue frac;
  frac.type = PattooValue::Type::kFloat;
  frac.f = 12345.67;
  PattooValue s;
  s.type = PattooValue::Type::kString;
  s.s = "say \"hi\" \\o/, a=b";
  std::vector<PattooMetadata> common = {{"release", "6.1.0 #1 SMP", false},
                                        {"processor", "x86_64", true},
                                        {"hostname", "spoke,one", true}};
  add("cpu_times_percent_user", kPattooFloat, f, common);
  add("cpu_times_user", kPattooCounter64, frac, common);
  add("memory_total", kPattooInt, i, common);
  add("uptime", kPattooInt, i, common);  // no inner '_': measurement uptime, field value
  add("if_oper_status", kPattooString, s, {{"ifalias", "uplink=1", true}});
  add(".1.3.6.1.2.1.2.2.1.10", kPattooCounter32, i, {{"ifdescr", "eth0", true}});
  add("température_ext", kPattooFloat, f, {{"région", "Île-de-France", true}});
  std::string page = EncodePost(info, dps);
  // "uptime" is the documented exception: strixd's pattoo API names it uptime, the relayed
  // line protocol uptime_value. Compare it separately.
  storage::WriteBatch direct;
  ingest::PattooParser api;
  ingest::PattooParseStats st;
  ASSERT_TRUE(api.Parse(page, "hub", &direct, &st).ok());
  std::vector<Point> points;
  DecodeStats stats;
  ASSERT_TRUE(DecodePage(page, kNow, &points, &stats).ok());
  ASSERT_EQ(points.size(), 7u);
  EXPECT_EQ(points[3].measurement, "uptime");
  EXPECT_EQ(points[3].fields[0].key, "value");
  dps.erase(dps.begin() + 3);
  ExpectSameSeries(EncodePost(info, dps), 6);
}

TEST(PattooStrixdCompat, SkippedDatapointsAreTheSameBothWays) {
  std::string page = R"({"pattoo_agent_id":"x","pattoo_agent_polling_interval":1,
    "pattoo_agent_timestamp":1,"pattoo_datapoints":{"key_value_pairs":{
      "0":["pattoo_agent_polling_interval","10000"],"1":["pattoo_agent_hostname","h"],
      "2":["pattoo_agent_id","i"],"3":["pattoo_agent_polled_target","t"],
      "4":["pattoo_agent_program","p"],"5":["pattoo_checksum","c"],
      "6":["pattoo_timestamp",1575789070000],
      "10":["pattoo_key","a_b"],"11":["pattoo_data_type",64],"12":["pattoo_value",-1],
      "13":["pattoo_data_type",null],"14":["pattoo_value","x"],"15":["pattoo_data_type",99],
      "16":["host","h2"],"17":["a-b","1"],"18":["a_b","2"],"19":["pattoo_value"," 1_5.5 "],
      "20":["pattoo_data_type",32],"21":["pattoo_value",7.9],"22":["pattoo_value",18446744073709551615]
    },"datapoint_pairs":[
      [0,1,2,3,4,5,6,10,11,12],[0,1,2,3,4,5,6,10,13,12],[0,1,2,3,4,5,6,10,15,14],
      [0,1,2,3,4,5,6,10,15,16,19],[0,1,2,3,4,5,6,10,15,17,18,19],
      [0,1,2,3,4,5,6,10,15,19],[0,1,2,3,4,5,6,10,20,21],[0,1,2,3,4,5,6,10,11,22]
    ]}})";
  ExpectSameSeries(page, 3);
}

}  // namespace
}  // namespace strix::agents::pattoo
