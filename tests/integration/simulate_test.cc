// strix simulate against a real strixd: the tool posts 3 hosts x 1 day x 12 per hour with a
// fixed --end; every sample read back through /api/v1/select equals what the generator
// (tools/strix/simulate.h) computes, counters are stored as counter64, the hosts carry
// their tags, a second run changes nothing, and failures exit non-zero with the server's
// answer.
#include "simulate.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "core/testing/temp_dir.h"
#include "harness.h"

namespace strix::testing {
namespace {

using tools::FindSimSeries;
using tools::SimKind;
using tools::SimulatedSeries;
using tools::Simulator;

int RunTool(const std::string& args, std::string* out) {
  FILE* p = ::popen((StrixToolPath() + " " + args + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  char buf[512];
  out->clear();
  while (std::fgets(buf, sizeof(buf), p) != nullptr) *out += buf;
  const int rc = ::pclose(p);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-') {
      out += c;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    }
  }
  return out;
}

struct Series {
  std::string kind;
  std::map<std::string, std::string> labels;
  std::vector<int64_t> ts;
  std::vector<double> values;  // counters read as uint64 first (exact below 2^53)
};

class SimulateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A day of history needs an out-of-order window of more than a day.
    server_ = std::make_unique<StrixdProcess>(dir_.path(), "storage:\n  out_of_order_window: 3d\n");
    token_ = server_->CreateToken("ingest,admin");
    ASSERT_TRUE(token_.starts_with("strix_")) << token_;
    ASSERT_TRUE(server_->Start()) << server_->output();
    const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    end_s_ = now_s / 3600 * 3600;
  }

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  std::string SimulateArgs() const {
    return "simulate --url " + Url() + " --hosts 3 --days 1 --per-hour 12 --seed 5 --prefix sim_" +
           " --end " + std::to_string(end_s_);
  }

  std::vector<Series> Select(const std::string& selector) {
    const std::string target = "/api/v1/select?start=" + std::to_string(end_s_ - 2 * 86400) +
                               "&end=" + std::to_string(end_s_) + "&match[]=" + UrlEncode(selector);
    HttpResult r =
        HttpCall(server_->port(), "GET", target, "", {{"Authorization", "Bearer " + token_}});
    std::vector<Series> out;
    if (r.status != 200) {
      ADD_FAILURE() << selector << ": HTTP " << r.status << " " << r.body;
      return out;
    }
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    simdjson::dom::array series;
    if (parser.parse(r.body).get(doc) || doc["data"]["series"].get(series)) {
      ADD_FAILURE() << "bad answer: " << r.body;
      return out;
    }
    for (simdjson::dom::element s : series) {
      Series x;
      std::string_view kind;
      if (s["kind"].get(kind) == simdjson::SUCCESS) x.kind = std::string(kind);
      simdjson::dom::object labels;
      if (s["labels"].get(labels) == simdjson::SUCCESS) {
        for (auto [k, v] : labels) {
          std::string_view sv;
          if (v.get(sv) == simdjson::SUCCESS) x.labels[std::string(k)] = std::string(sv);
        }
      }
      simdjson::dom::array ts, vs;
      if (s["timestamps"].get(ts) || s["values"].get(vs)) continue;
      for (simdjson::dom::element t : ts) {
        int64_t v = -1;
        if (t.get(v) != simdjson::SUCCESS) v = -1;
        x.ts.push_back(v);
      }
      for (simdjson::dom::element v : vs) {
        uint64_t u;
        double d;
        if (v.get(u) == simdjson::SUCCESS) {
          x.values.push_back(static_cast<double>(u));
        } else if (v.get(d) == simdjson::SUCCESS) {
          x.values.push_back(d);
        } else {
          x.values.push_back(-1);
        }
      }
      out.push_back(std::move(x));
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<StrixdProcess> server_;
  std::string token_;
  int64_t end_s_ = 0;
};

TEST_F(SimulateTest, StoredSamplesEqualTheGeneratorsAndHostsCarryTheirTags) {
  std::string out;
  ASSERT_EQ(RunTool(SimulateArgs() + " --token " + token_, &out), 0) << out;
  EXPECT_NE(out.find("hosts: 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("series: 57\n"), std::string::npos) << out;
  EXPECT_NE(out.find("samples: 16416\n"), std::string::npos) << out;  // 3 x 19 x 288
  EXPECT_NE(out.find("samples/s: "), std::string::npos) << out;

  auto sim = Simulator::Make({5, 1, 12, end_s_ * 1000});
  ASSERT_TRUE(sim.ok());
  ASSERT_EQ(sim->samples_per_series(), 288);

  // Every series of every host: its kind, 288 samples on the grid, the generator's values.
  for (int host = 0; host < 3; ++host) {
    const std::string name = "sim_" + std::to_string(host);
    std::vector<Series> all = Select("{host=\"" + name + "\"}");
    ASSERT_EQ(all.size(), SimulatedSeries().size()) << name;
    for (const Series& s : all) {
      // Rebuild the generator's key: the name, then the other labels (sorted by the map).
      std::string key = s.labels.at("__name__");
      std::string labels;
      for (const auto& [k, v] : s.labels) {
        if (k == "__name__" || k == "host") continue;
        labels += (labels.empty() ? "" : ",") + k + "=\"" + v + "\"";
      }
      if (!labels.empty()) key += "{" + labels + "}";
      const int i = FindSimSeries(key);
      ASSERT_GE(i, 0) << key;
      EXPECT_EQ(s.kind, SimulatedSeries()[i].kind == SimKind::kCounter ? "counter64" : "gauge")
          << key;
      ASSERT_EQ(s.ts.size(), 288u) << key;
      ASSERT_EQ(s.values.size(), 288u) << key;
      for (size_t k = 0; k < s.ts.size(); ++k) {
        ASSERT_EQ(s.ts[k], sim->first_ms() + static_cast<int64_t>(k) * sim->step_ms()) << key;
        ASSERT_EQ(s.values[k], sim->Value(host, i, s.ts[k])) << key << " at " << s.ts[k];
      }
    }
  }

  // The hosts and their tags.
  HttpResult hosts = HttpCall(server_->port(), "GET", "/api/v1/hosts?q=sim_", "",
                              {{"Authorization", "Bearer " + token_}});
  ASSERT_EQ(hosts.status, 200) << hosts.body;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array list;
  ASSERT_FALSE(parser.parse(hosts.body).get(doc) || doc["data"].get(list)) << hosts.body;
  std::map<std::string, std::map<std::string, std::string>> tags;
  for (simdjson::dom::element h : list) {
    std::string_view name;
    simdjson::dom::object t;
    ASSERT_FALSE(h["host"].get(name) || h["tags"].get(t)) << hosts.body;
    for (auto [k, v] : t) {
      std::string_view sv;
      if (v.get(sv) == simdjson::SUCCESS) tags[std::string(name)][std::string(k)] = std::string(sv);
    }
  }
  ASSERT_EQ(tags.size(), 3u) << hosts.body;
  EXPECT_EQ(tags["sim_1"]["alias"], "Alias for sim_1");
  EXPECT_EQ(tags["sim_1"]["location"], "Test Location");
  EXPECT_EQ(tags["sim_0"]["role"], "web_server");
  EXPECT_EQ(tags["sim_1"]["role"], "database");
  EXPECT_EQ(tags["sim_2"]["role"], "cache");

  // A second run writes the same samples: duplicates, nothing changes.
  ASSERT_EQ(RunTool(SimulateArgs() + " --token " + token_, &out), 0) << out;
  std::vector<Series> cpu = Select("cpu_usage");
  ASSERT_EQ(cpu.size(), 3u);
  for (const Series& s : cpu) EXPECT_EQ(s.ts.size(), 288u);
}

TEST_F(SimulateTest, FailuresExitNonZeroWithTheServersAnswer) {
  std::string out;
  // An unknown token: strixd's 401, before anything is generated.
  EXPECT_EQ(RunTool(SimulateArgs() + " --token strix_bogus", &out), 1) << out;
  EXPECT_NE(out.find("401"), std::string::npos) << out;
  // A token without admin cannot set tags: refused up front.
  const std::string ingest_only = server_->CreateToken("ingest");
  EXPECT_EQ(RunTool(SimulateArgs() + " --token " + ingest_only, &out), 1) << out;
  EXPECT_NE(out.find("403"), std::string::npos) << out;
  // Older than the out-of-order window (3 days): the server's 400 and a hint.
  EXPECT_EQ(RunTool("simulate --url " + Url() + " --hosts 1 --days 5 --per-hour 1 --end " +
                        std::to_string(end_s_) + " --token " + token_,
                    &out),
            1)
      << out;
  EXPECT_NE(out.find("answered HTTP 400"), std::string::npos) << out;
  EXPECT_NE(out.find("out_of_order_window"), std::string::npos) << out;
  // No strixd there.
  server_->Stop();
  EXPECT_EQ(RunTool(SimulateArgs() + " --token " + token_, &out), 1) << out;
  EXPECT_NE(out.find("cannot reach strixd"), std::string::npos) << out;
  // No token at all: a usage error.
  EXPECT_EQ(RunTool("simulate --url " + Url() + " < /dev/null", &out), 2) << out;
  EXPECT_NE(out.find("no token"), std::string::npos) << out;
}

}  // namespace
}  // namespace strix::testing
