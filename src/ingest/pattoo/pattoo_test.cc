// Tests of the pattoo agent API (docs/wire/pattoo.md): the spec's verified payloads
// (testdata/pattoo/), every data type and value form, exact counters near 2^64, the
// answers pattoo gives (status, content type and body, byte for byte) for every error its
// receive route reports, the ingester's structure rules, labels and identity, routing, and
// the committed fuzz seeds (testdata/fuzz/pattoo/).
#include "ingest/pattoo/pattoo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/env.h"
#include "storage/labels.h"
#include "storage/write_batch.h"

namespace strix::ingest {
namespace {

using storage::Labels;
using storage::ValueKind;
using storage::WriteBatch;
using ::testing::HasSubstr;

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kReceive =
    "/pattoo/api/v1/agent/receive/cdc2fda05cf76067289a8de4a4a8b3885239073be1ae813489778886c4e90763";
constexpr std::string_view kHtml = "text/html; charset=utf-8";
constexpr std::string_view kNotFoundBody =
    "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<title>404 Not Found</title>\n"
    "<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the "
    "URL manually please check your spelling and try again.</p>\n";
constexpr std::string_view kInvalidFormatBody =
    "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<title>500 Internal Server "
    "Error</title>\n<h1>Internal Server Error</h1>\n<p>Invalid data format received.</p>\n";
constexpr std::string_view kInvalidDataBody =
    "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<title>500 Internal Server "
    "Error</title>\n<h1>Internal Server Error</h1>\n<p>Invalid JSON data received.</p>\n";
constexpr std::string_view kMethodNotAllowedBody =
    "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<title>405 Method Not "
    "Allowed</title>\n<h1>Method Not Allowed</h1>\n<p>The method is not allowed for the "
    "requested URL.</p>\n";

std::string SourceDir() {
  const char* d = std::getenv("STRIX_SOURCE_DIR");
  return d ? d : ".";
}

std::string ReadTestdata(const std::string& relative) {
  auto file = ReadFileToString(Env::Default(), JoinPath(SourceDir(), relative));
  EXPECT_TRUE(file.ok()) << relative << ": " << file.status().ToString()
                         << " (run through ctest, which sets STRIX_SOURCE_DIR)";
  return file.ok() ? *file : std::string();
}

// One series of a batch, decoded.
struct Row {
  std::string labels;  // Labels::ToString()
  ValueKind kind = ValueKind::kGauge;
  int64_t ts = 0;
  storage::NumericValue value{.u = 0};
  std::string state;
  uint32_t tag = 0;
};

std::vector<Row> Decode(const WriteBatch& batch) {
  std::vector<Row> rows;
  for (const auto& s : batch.series()) {
    auto labels = Labels::FromEncoded(batch.EncodedLabels(s));
    EXPECT_TRUE(labels.ok()) << labels.status().ToString();
    if (labels.ok()) {
      EXPECT_TRUE(labels->ValidateSeries().ok()) << labels->ValidateSeries().ToString();
    }
    for (const auto& sample : batch.samples(s)) {
      Row r;
      r.labels = labels.ok() ? labels->ToString() : "";
      r.kind = s.kind;
      r.ts = sample.ts;
      r.value = sample.value;
      if (s.kind == ValueKind::kState) r.state = std::string(batch.StateOf(sample));
      r.tag = s.tag;
      rows.push_back(r);
    }
  }
  return rows;
}

struct Parsed {
  Status status;
  PattooParseStats stats;
  std::vector<Row> rows;
};

Parsed Parse(std::string_view body, std::string_view source = "agent1") {
  PattooParser parser;
  WriteBatch batch;
  Parsed p;
  p.status = parser.Parse(body, source, &batch, &p.stats);
  p.rows = Decode(batch);
  EXPECT_EQ(p.stats.samples, batch.sample_count());
  EXPECT_EQ(p.stats.datapoints, p.stats.samples + p.stats.rejected);
  return p;
}

std::string FirstError(const Parsed& p) {
  return p.stats.first_errors.empty() ? std::string() : p.stats.first_errors[0].ToString();
}

// ---- building posts the way PattooShared does ------------------------------------------

// A datapoint: (key, raw JSON value) pairs in order. Keys are written between quotes as
// given (so they may hold JSON escapes).
using Dp = std::vector<std::pair<std::string, std::string>>;

// The agent metadata and identity pairs PattooShared adds, after `metadata`.
Dp Datapoint(std::string_view key_json, std::string_view type, std::string_view value,
             Dp metadata = {}, std::string_view ts = "1700000000000") {
  Dp d = std::move(metadata);
  d.emplace_back("pattoo_agent_polling_interval", "\"10000\"");
  d.emplace_back("pattoo_agent_hostname", "\"host1\"");
  d.emplace_back("pattoo_agent_id", "\"agent1\"");
  d.emplace_back("pattoo_agent_polled_target", "\"target1\"");
  d.emplace_back("pattoo_agent_program", "\"pattoo_agent_test\"");
  d.emplace_back("pattoo_key", std::string(key_json));
  d.emplace_back("pattoo_data_type", std::string(type));
  d.emplace_back("pattoo_value", std::string(value));
  d.emplace_back("pattoo_timestamp", std::string(ts));
  d.emplace_back("pattoo_checksum", "\"c0ffee\"");
  return d;
}

Dp Without(Dp d, std::string_view key) {
  Dp out;
  for (auto& kv : d) {
    if (kv.first != key) out.push_back(kv);
  }
  return out;
}

// key_value_pairs de-duplicated on (key, JSON value), ids dense in first-seen order.
std::string DatapointsJson(const std::vector<Dp>& dps) {
  std::map<std::pair<std::string, std::string>, int> ids;
  std::string kvp;
  std::string dpp = "[";
  for (size_t d = 0; d < dps.size(); ++d) {
    if (d) dpp += ", ";
    dpp += "[";
    for (size_t k = 0; k < dps[d].size(); ++k) {
      auto [it, inserted] = ids.emplace(dps[d][k], static_cast<int>(ids.size()));
      if (inserted) {
        if (!kvp.empty()) kvp += ", ";
        kvp += "\"" + std::to_string(it->second) + "\": [\"" + dps[d][k].first + "\", " +
               dps[d][k].second + "]";
      }
      if (k) dpp += ", ";
      dpp += std::to_string(it->second);
    }
    dpp += "]";
  }
  dpp += "]";
  return "{\"key_value_pairs\": {" + kvp + "}, \"datapoint_pairs\": " + dpp + "}";
}

std::string Post(const std::vector<Dp>& dps) {
  return "{\"pattoo_agent_timestamp\": 1700000000100, \"pattoo_agent_id\": \"agent1\", "
         "\"pattoo_agent_polling_interval\": 10000, \"pattoo_datapoints\": " +
         DatapointsJson(dps) + "}";
}

// The labels of a Datapoint() series with metric `metric` and extra labels.
std::string Expected(std::string_view metric,
                     std::vector<std::pair<std::string_view, std::string_view>> extra = {}) {
  std::vector<std::pair<std::string_view, std::string_view>> pairs = {
      {"__name__", metric},
      {"host", "target1"},
      {"pattoo_agent_hostname", "host1"},
      {"pattoo_agent_id", "agent1"},
      {"pattoo_agent_polled_target", "target1"},
      {"pattoo_agent_program", "pattoo_agent_test"},
      {"pattoo_checksum", "c0ffee"}};
  pairs.insert(pairs.end(), extra.begin(), extra.end());
  return Labels::FromPairs(pairs).ToString();
}

PattooApiResponse Receive(std::string_view body, WriteBatch* batch, PattooParseStats* stats,
                          std::string_view content_type = kJson,
                          std::string_view target = kReceive) {
  PattooAgentApi api;
  return api.Handle({"POST", target, content_type, body}, batch, stats);
}

PattooApiResponse Request(std::string_view method, std::string_view target) {
  PattooAgentApi api;
  WriteBatch batch;
  PattooParseStats stats;
  PattooApiResponse r = api.Handle({method, target, kJson, ""}, &batch, &stats);
  EXPECT_TRUE(batch.empty());
  return r;
}

// ---- the spec's verified payloads --------------------------------------------------------

TEST(PattooSpec, VerifiedLinuxPostBecomesCounterAndGaugeSeries) {
  Parsed p = Parse(ReadTestdata("testdata/pattoo/os_autonomousd_spec_1_3.json"));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.stats.verdict, PattooVerdict::kAccepted);
  EXPECT_TRUE(p.stats.post_error.ok()) << p.stats.post_error.ToString();
  EXPECT_EQ(p.stats.datapoints, 2u);
  EXPECT_EQ(p.stats.rejected, 0u) << FirstError(p);
  ASSERT_EQ(p.rows.size(), 2u);
  const std::string agent =
      "host=\"myhost.example.org\",pattoo_agent_hostname=\"myhost.example.org\",pattoo_agent_id="
      "\"cdc2fda05cf76067289a8de4a4a8b"
      "3885239073be1ae813489778886c4e90763\",pattoo_agent_polled_target=\"myhost.example.org\","
      "pattoo_agent_program=\"pattoo_agent_os_autonomousd\"";
  EXPECT_EQ(p.rows[0].labels,
            "disk_io_read_bytes{disk_partition=\"sda1\"," + agent +
                ",pattoo_checksum=\"053a8131c365201e742acda31aeccef3ddc6a8ba904d90e1c5309c0440448e"
                "b9\"}");
  EXPECT_EQ(p.rows[0].kind, ValueKind::kCounter64);
  EXPECT_EQ(p.rows[0].value.u, 522239488u);
  EXPECT_EQ(p.rows[0].ts, 1575789070000);
  EXPECT_EQ(p.rows[0].tag, 0u);
  EXPECT_EQ(p.rows[1].labels,
            "cpu_times_percent_user{" + agent +
                ",pattoo_checksum=\"e310a3482ea3db3dedc188a54917d20329621cecb97be52925c4f2d2af2ff6"
                "b1\"}");
  EXPECT_EQ(p.rows[1].kind, ValueKind::kGauge);
  EXPECT_EQ(p.rows[1].value.f, 2.7);
  EXPECT_EQ(p.rows[1].ts, 1575789070000);
  EXPECT_EQ(p.rows[1].tag, 1u);
}

TEST(PattooSpec, ModbusDocsPostBecomesTwoGaugesWithUnitLabel) {
  Parsed p = Parse(ReadTestdata("testdata/pattoo/modbustcpd_docs_1_3.json"));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.stats.rejected, 0u) << FirstError(p);
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[0].labels,
            "agent_modbustcpd_input_register_30386{host=\"foo.example.org\","
            "pattoo_agent_hostname=\"palisadoes\","
            "pattoo_agent_id=\"66cf7a8e560f75e23d557023ce591120abd094925bde6d97f09561b69b6ed3c4\","
            "pattoo_agent_polled_target=\"foo.example.org\",pattoo_agent_program=\"pattoo_agent_"
            "modbustcpd\",pattoo_checksum=\"8e160e806f80fefbb66877555dfd90dc8328b3879e04a3283315b"
            "5cbcbb2e773\",unit=\"000\"}");
  EXPECT_EQ(p.rows[0].kind, ValueKind::kGauge);
  EXPECT_EQ(p.rows[0].value.f, 732.0);
  EXPECT_EQ(p.rows[0].ts, 1578071455233);
  EXPECT_THAT(p.rows[1].labels, HasSubstr("agent_modbustcpd_input_register_30388{"));
  EXPECT_EQ(p.rows[1].value.f, 727.0);
  EXPECT_EQ(p.rows[1].ts, 1578071455238);
}

TEST(PattooSpec, VerifiedPostIsAnswered200OkAfterStoring) {
  WriteBatch batch;
  PattooParseStats stats;
  PattooApiResponse r =
      Receive(ReadTestdata("testdata/pattoo/os_autonomousd_spec_1_3.json"), &batch, &stats);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "OK");
  EXPECT_EQ(r.content_type, kHtml);
  EXPECT_EQ(r.allow, "");
  EXPECT_EQ(r.route, PattooRoute::kReceive);
  EXPECT_TRUE(r.store_batch);
  EXPECT_EQ(batch.sample_count(), 2u);
  EXPECT_EQ(stats.samples, 2u);
}

// ---- data types --------------------------------------------------------------------------

TEST(PattooTypes, IntAndFloatBecomeGaugesEvenWithFloatValueOnInt) {
  Parsed p = Parse(
      Post({Datapoint("\"memory_used\"", "99", "4096"), Datapoint("\"cpu_pct\"", "101", "2.5"),
            Datapoint("\"load_average_01min\"", "99", "0.75")}));
  ASSERT_EQ(p.rows.size(), 3u) << FirstError(p);
  EXPECT_EQ(p.rows[0].labels, Expected("memory_used"));
  EXPECT_EQ(p.rows[0].kind, ValueKind::kGauge);
  EXPECT_EQ(p.rows[0].value.f, 4096.0);
  EXPECT_EQ(p.rows[1].kind, ValueKind::kGauge);
  EXPECT_EQ(p.rows[1].value.f, 2.5);
  EXPECT_EQ(p.rows[2].value.f, 0.75);
  EXPECT_EQ(p.rows[2].ts, 1700000000000);
}

TEST(PattooTypes, Counter32AndCounter64BecomeCounterKinds) {
  Parsed p = Parse(Post({Datapoint("\"ifinoctets\"", "32", "4294967295"),
                         Datapoint("\"ifhcinoctets\"", "64", "123456789012")}));
  ASSERT_EQ(p.rows.size(), 2u) << FirstError(p);
  EXPECT_EQ(p.rows[0].kind, ValueKind::kCounter32);
  EXPECT_EQ(p.rows[0].value.u, 4294967295u);
  EXPECT_EQ(p.rows[1].kind, ValueKind::kCounter64);
  EXPECT_EQ(p.rows[1].value.u, 123456789012u);
}

TEST(PattooTypes, StringBecomesStateSeries) {
  Parsed p = Parse(Post({Datapoint("\"ifdescr\"", "2", "\"GigabitEthernet0/1\"")}));
  ASSERT_EQ(p.rows.size(), 1u) << FirstError(p);
  EXPECT_EQ(p.rows[0].kind, ValueKind::kState);
  EXPECT_EQ(p.rows[0].state, "GigabitEthernet0/1");
  EXPECT_EQ(p.rows[0].labels, Expected("ifdescr"));
}

TEST(PattooTypes, NullTypeIsRejectedAndNotStored) {
  Parsed p =
      Parse(Post({Datapoint("\"nosuchobject\"", "null", "\"\""), Datapoint("\"ok\"", "99", "1")}));
  ASSERT_TRUE(p.status.ok());
  EXPECT_EQ(p.stats.samples, 1u);
  EXPECT_EQ(p.stats.rejected, 1u);
  EXPECT_EQ(FirstError(p),
            "datapoint 0 (nosuchobject): pattoo_data_type is null (DATA_NONE): nothing to store");
}

TEST(PattooTypes, UnknownTypeCodesAreRejectedWithTheirValue) {
  Parsed p = Parse(Post({Datapoint("\"a\"", "7", "1"), Datapoint("\"b\"", "\"64\"", "1"),
                         Datapoint("\"c\"", "true", "1"), Datapoint("\"d\"", "64.5", "1")}));
  EXPECT_EQ(p.stats.samples, 0u);
  EXPECT_EQ(p.stats.rejected, 4u);
  ASSERT_EQ(p.stats.first_errors.size(), 4u);
  EXPECT_EQ(p.stats.first_errors[0].ToString(),
            "datapoint 0 (a): pattoo_data_type 7 is not 101, 99, 64, 32, 2 or null");
  EXPECT_THAT(p.stats.first_errors[1].message, HasSubstr("string \"64\""));
  EXPECT_THAT(p.stats.first_errors[2].message, HasSubstr("a boolean"));
  EXPECT_THAT(p.stats.first_errors[3].message, HasSubstr("64.5"));
}

TEST(PattooTypes, IntegralFloatTypeCodeIsAcceptedLikePythonEquality) {
  Parsed p = Parse(Post({Datapoint("\"x\"", "64.0", "5")}));
  ASSERT_EQ(p.rows.size(), 1u) << FirstError(p);
  EXPECT_EQ(p.rows[0].kind, ValueKind::kCounter64);
}

// ---- counters ----------------------------------------------------------------------------

TEST(PattooCounter64, MaximumValueStaysExact) {
  Parsed p = Parse(Post({Datapoint("\"c\"", "64", "18446744073709551615"),
                         Datapoint("\"d\"", "64", "18446744073709551614")}));
  ASSERT_EQ(p.rows.size(), 2u) << FirstError(p);
  EXPECT_EQ(p.rows[0].value.u, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(p.rows[1].value.u, std::numeric_limits<uint64_t>::max() - 1);
}

TEST(PattooCounter64, ValuesAsStringsStayExactNearTwoTo64) {
  Parsed p = Parse(Post({Datapoint("\"c\"", "64", "\"18446744073709551615\""),
                         Datapoint("\"d\"", "64", "\" 18_446_744_073_709_551_614 \""),
                         Datapoint("\"e\"", "64", "\"+9007199254740993\"")}));
  ASSERT_EQ(p.rows.size(), 3u) << FirstError(p);
  EXPECT_EQ(p.rows[0].value.u, 18446744073709551615u);
  EXPECT_EQ(p.rows[1].value.u, 18446744073709551614u);
  EXPECT_EQ(p.rows[2].value.u, 9007199254740993u);
}

TEST(PattooCounter64, AboveTwoTo53StaysExactNotRoundedThroughDouble) {
  Parsed p = Parse(Post({Datapoint("\"c\"", "64", "9007199254740993")}));
  ASSERT_EQ(p.rows.size(), 1u) << FirstError(p);
  EXPECT_EQ(p.rows[0].value.u, 9007199254740993u);
}

TEST(PattooCounter64, TwoTo64IsRejectedAsOutOfRangeButThePostIsAccepted) {
  Parsed p = Parse(Post({Datapoint("\"a\"", "64", "18446744073709551616"),
                         Datapoint("\"b\"", "64", "\"18446744073709551616\""),
                         Datapoint("\"c\"", "64", "1.8446744073709552e19"),
                         Datapoint("\"d\"", "32", "123456789012345678901234567890")}));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();  // Python reads big integers
  EXPECT_EQ(p.stats.samples, 0u);
  ASSERT_EQ(p.stats.first_errors.size(), 4u);
  EXPECT_EQ(p.stats.first_errors[0].message,
            "pattoo_value string \"18446744073709551616\" is out of range for a 64-bit counter");
  for (const auto& e : p.stats.first_errors) EXPECT_THAT(e.message, HasSubstr("out of range"));
}

TEST(PattooCounters, NegativeValuesAreRejectedNotWrapped) {
  Parsed p = Parse(Post({Datapoint("\"a\"", "64", "-1"), Datapoint("\"b\"", "32", "-0.5"),
                         Datapoint("\"c\"", "64", "\"-3\""), Datapoint("\"z\"", "64", "-0")}));
  EXPECT_EQ(p.stats.rejected, 3u);
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0].value.u, 0u);  // -0 is zero
  EXPECT_EQ(p.stats.first_errors[0].message, "pattoo_value -1 is negative: counters are >= 0");
}

TEST(PattooCounters, FractionalValuesAreTruncatedAndCounted) {
  // The linux agent posts cpu_times_* (seconds) as COUNTER64 floats.
  Parsed p = Parse(Post({Datapoint("\"cpu_times_user\"", "64", "12345.67"),
                         Datapoint("\"cpu_times_idle\"", "64", "\"99.5\"")}));
  ASSERT_EQ(p.rows.size(), 2u) << FirstError(p);
  EXPECT_EQ(p.rows[0].value.u, 12345u);
  EXPECT_EQ(p.rows[1].value.u, 99u);
  EXPECT_EQ(p.stats.truncated_counters, 2u);
}

TEST(PattooCounters, IntegralFloatsFromSnmpAgentAreExact) {
  Parsed p = Parse(Post({Datapoint("\"ifinoctets\"", "32", "98765432.0"),
                         Datapoint("\"ifhcinoctets\"", "64", "1e15")}));
  ASSERT_EQ(p.rows.size(), 2u) << FirstError(p);
  EXPECT_EQ(p.rows[0].value.u, 98765432u);
  EXPECT_EQ(p.rows[1].value.u, 1000000000000000u);
  EXPECT_EQ(p.stats.truncated_counters, 0u);
}

// ---- values ------------------------------------------------------------------------------

TEST(PattooValues, NumericStringsAreReadLikePythonFloat) {
  Parsed p =
      Parse(Post({Datapoint("\"a\"", "101", "\" 1_000.5 \""), Datapoint("\"b\"", "101", "\"1e3\""),
                  Datapoint("\"c\"", "99", "\"+2\""), Datapoint("\"d\"", "99", "\"-.5\""),
                  Datapoint("\"e\"", "101", "\"7.\"")}));
  ASSERT_EQ(p.rows.size(), 5u) << FirstError(p);
  EXPECT_EQ(p.rows[0].value.f, 1000.5);
  EXPECT_EQ(p.rows[1].value.f, 1000.0);
  EXPECT_EQ(p.rows[2].value.f, 2.0);
  EXPECT_EQ(p.rows[3].value.f, -0.5);
  EXPECT_EQ(p.rows[4].value.f, 7.0);
}

TEST(PattooValues, NonNumericStringsAreRejectedNotStoredAsZero) {
  Parsed p = Parse(Post({Datapoint("\"a\"", "101", "\"abc\""), Datapoint("\"b\"", "99", "\"\""),
                         Datapoint("\"c\"", "64", "\"0x10\""), Datapoint("\"d\"", "99", "\"1__0\""),
                         Datapoint("\"e\"", "99", "\"_1\""), Datapoint("\"f\"", "99", "\"1e\"")}));
  EXPECT_EQ(p.stats.samples, 0u);
  EXPECT_EQ(p.stats.rejected, 6u);
  EXPECT_EQ(FirstError(p), "datapoint 0 (a): pattoo_value string \"abc\" is not a number");
  for (const auto& e : p.stats.first_errors) EXPECT_THAT(e.message, HasSubstr("is not a number"));
}

TEST(PattooValues, NaNAndInfinityLiteralsAreValidJsonButRejectedValues) {
  // Python's json reads NaN, Infinity and -Infinity, so pattoo answers 200 for them.
  Parsed p = Parse(Post({Datapoint("\"a\"", "101", "NaN"), Datapoint("\"b\"", "101", "Infinity"),
                         Datapoint("\"c\"", "64", "-Infinity"), Datapoint("\"d\"", "99", "\"nan\""),
                         Datapoint("\"e\"", "99", "\"-inf\""), Datapoint("\"ok\"", "99", "1")}));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.stats.samples, 1u);
  EXPECT_EQ(p.stats.rejected, 5u);
  EXPECT_EQ(p.stats.first_errors[0].message, "pattoo_value string \"NaN\" is not finite");
  for (const auto& e : p.stats.first_errors) EXPECT_THAT(e.message, HasSubstr("is not finite"));
}

TEST(PattooValues, FloatBeyondDoubleRangeIsValidJsonButOutOfRange) {
  Parsed p = Parse(Post({Datapoint("\"a\"", "101", "1e400"), Datapoint("\"b\"", "99", "-1e400"),
                         Datapoint("\"c\"", "101", "1e-400")}));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.stats.rejected, 2u);
  EXPECT_THAT(FirstError(p), HasSubstr("out of range"));
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0].value.f, 0.0);  // underflow is 0, as in Python
}

TEST(PattooValues, BooleanNullAndContainerValuesAreRejected) {
  Parsed p = Parse(Post({Datapoint("\"a\"", "99", "true"), Datapoint("\"b\"", "99", "null"),
                         Datapoint("\"c\"", "64", "[1]"), Datapoint("\"d\"", "101", "{}")}));
  EXPECT_EQ(p.stats.samples, 0u);
  ASSERT_EQ(p.stats.first_errors.size(), 4u);
  EXPECT_EQ(p.stats.first_errors[0].message, "pattoo_value a boolean is not a number");
  EXPECT_EQ(p.stats.first_errors[1].message, "pattoo_value null is not a number");
  EXPECT_EQ(p.stats.first_errors[2].message, "pattoo_value an array is not a number");
}

TEST(PattooValues, StringDatapointNeedsAStringWithinTheStateLimit) {
  const std::string long_state = "\"" + std::string(kPattooMaxStateBytes + 1, 'x') + "\"";
  const std::string max_state = "\"" + std::string(kPattooMaxStateBytes, 'y') + "\"";
  Parsed p = Parse(Post({Datapoint("\"a\"", "2", "5"), Datapoint("\"b\"", "2", long_state),
                         Datapoint("\"c\"", "2", max_state)}));
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0].state.size(), kPattooMaxStateBytes);
  ASSERT_EQ(p.stats.first_errors.size(), 2u);
  EXPECT_EQ(p.stats.first_errors[0].message,
            "pattoo_value 5 of a STRING datapoint is not a string");
  EXPECT_EQ(p.stats.first_errors[1].message,
            "pattoo_value too long for a state: 4097 bytes (limit 4096)");
}

// ---- timestamps --------------------------------------------------------------------------

TEST(PattooTimestamps, MillisecondsAreStoredAsSentPerDatapoint) {
  Parsed p = Parse(Post({Datapoint("\"a\"", "99", "1", {}, "1575789070000"),
                         Datapoint("\"b\"", "99", "1", {}, "1575789070001.0"),
                         Datapoint("\"c\"", "99", "1", {}, "-5")}));
  ASSERT_EQ(p.rows.size(), 3u) << FirstError(p);
  EXPECT_EQ(p.rows[0].ts, 1575789070000);
  EXPECT_EQ(p.rows[1].ts, 1575789070001);
  EXPECT_EQ(p.rows[2].ts, -5);  // plausibility is storage's business
}

TEST(PattooTimestamps, FractionalStringAndHugeTimestampsAreRejected) {
  Parsed p = Parse(Post({Datapoint("\"a\"", "99", "1", {}, "1575789070000.5"),
                         Datapoint("\"b\"", "99", "1", {}, "\"1575789070000\""),
                         Datapoint("\"c\"", "99", "1", {}, "9223372036854775808"),
                         Datapoint("\"d\"", "99", "1", {}, "null")}));
  EXPECT_EQ(p.stats.samples, 0u);
  ASSERT_EQ(p.stats.first_errors.size(), 4u);
  EXPECT_EQ(p.stats.first_errors[0].message,
            "pattoo_timestamp 1575789070000.5 is not an integer number of milliseconds in the "
            "int64 range");
}

// ---- labels and identity -----------------------------------------------------------------

TEST(PattooLabels, KeysAreSanitisedIntoMetricNames) {
  Parsed p = Parse(Post({Datapoint("\".1.3.6.1.2.1.2.2.1.10\"", "32", "1"),
                         Datapoint("\"ns=1;s=[opcua_server_1]temp.pv\"", "99", "1"),
                         Datapoint("\"temp\\u00e9rature\"", "99", "1"),
                         Datapoint("\"3\"", "99", "1"), Datapoint("\"k8s:pods\"", "99", "1")}));
  ASSERT_EQ(p.rows.size(), 5u) << FirstError(p);
  EXPECT_EQ(p.rows[0].labels, Expected("_1_3_6_1_2_1_2_2_1_10"));
  EXPECT_EQ(p.rows[1].labels, Expected("ns_1_s__opcua_server_1_temp_pv"));
  EXPECT_EQ(p.rows[2].labels, Expected("temp_rature"));  // one '_' per character
  EXPECT_EQ(p.rows[3].labels, Expected("_3"));
  EXPECT_EQ(p.rows[4].labels, Expected("k8s:pods"));
}

TEST(PattooLabels, MetadataBecomesLabelsAndNonStringValuesAreSkipped) {
  Parsed p = Parse(Post({Datapoint(
      "\"x\"", "99", "1",
      {{"opcua server", "\"10.0.0.1\""}, {"cpus", "8"}, {"oid", "\".1.3.6.1.2.1.2.2.1.10.1\""}})}));
  ASSERT_EQ(p.rows.size(), 1u) << FirstError(p);
  EXPECT_EQ(p.rows[0].labels,
            Expected("x", {{"opcua_server", "10.0.0.1"}, {"oid", ".1.3.6.1.2.1.2.2.1.10.1"}}));
}

TEST(PattooLabels, PollingIntervalAndPattooMetadataAreNotLabels) {
  Dp d = Datapoint("\"x\"", "99", "1", {{"pattoo_metadata", "\"ignored\""}});
  Parsed p = Parse(Post({d}));
  ASSERT_EQ(p.rows.size(), 1u) << FirstError(p);
  EXPECT_EQ(p.rows[0].labels, Expected("x"));
}

TEST(PattooLabels, EmptyValuesGiveNoLabel) {
  Dp d = Datapoint("\"x\"", "99", "1", {{"ifalias", "\"\""}});
  for (auto& kv : d) {
    if (kv.first == "pattoo_agent_polled_target") kv.second = "\"\"";
  }
  Parsed p = Parse(Post({d}));
  ASSERT_EQ(p.rows.size(), 1u) << FirstError(p);
  EXPECT_EQ(p.rows[0].labels,
            "x{pattoo_agent_hostname=\"host1\",pattoo_agent_id=\"agent1\",pattoo_agent_program="
            "\"pattoo_agent_test\",pattoo_checksum=\"c0ffee\"}");
}

TEST(PattooLabels, MetadataKeysEqualAfterSanitisingRejectTheDatapoint) {
  Parsed p = Parse(Post({Datapoint("\"x\"", "99", "1", {{"a-b", "\"1\""}, {"a_b", "\"2\""}}),
                         Datapoint("\"y\"", "99", "1", {{"pattoo-checksum", "\"1\""}}),
                         Datapoint("\"z\"", "99", "1", {{"__name__", "\"1\""}})}));
  EXPECT_EQ(p.stats.samples, 0u);
  ASSERT_EQ(p.stats.first_errors.size(), 3u);
  EXPECT_EQ(p.stats.first_errors[0].message,
            "metadata key \"a_b\" gives label name \"a_b\", which is already used (after "
            "replacing characters)");
  EXPECT_THAT(p.stats.first_errors[1].message, HasSubstr("\"pattoo_checksum\""));
  EXPECT_THAT(p.stats.first_errors[2].message, HasSubstr("\"__name__\""));
}

TEST(PattooLabels, RepeatedKeyInADatapointLastPairWinsAsInAPythonDict) {
  Dp d = Datapoint("\"x\"", "99", "1", {{"unit", "\"001\""}});
  d.emplace_back("pattoo_value", "2");
  d.emplace_back("unit", "\"002\"");
  Parsed p = Parse(Post({d}));
  ASSERT_EQ(p.rows.size(), 1u) << FirstError(p);
  EXPECT_EQ(p.rows[0].value.f, 2.0);
  EXPECT_EQ(p.rows[0].labels, Expected("x", {{"unit", "002"}}));
}

TEST(PattooLabels, AgentFieldsAndChecksumMustBeStrings) {
  Dp d = Datapoint("\"x\"", "99", "1");
  for (auto& kv : d) {
    if (kv.first == "pattoo_agent_id") kv.second = "42";
  }
  Dp e = Datapoint("\"y\"", "99", "1");
  for (auto& kv : e) {
    if (kv.first == "pattoo_checksum") kv.second = "null";
  }
  Parsed p = Parse(Post({d, e, Datapoint("5", "99", "1")}));
  EXPECT_EQ(p.stats.samples, 0u);
  ASSERT_EQ(p.stats.first_errors.size(), 3u);
  EXPECT_EQ(p.stats.first_errors[0].message, "pattoo_agent_id 42 is not a string");
  EXPECT_EQ(p.stats.first_errors[1].message, "pattoo_checksum null is not a string");
  EXPECT_EQ(p.stats.first_errors[2].ToString(), "datapoint 2: pattoo_key 5 is not a string");
}

TEST(PattooLabels, LabelLimitsRejectTheDatapointWithTheReason) {
  Dp many;
  for (int i = 0; i < 65; ++i) many.emplace_back("m" + std::to_string(i), "\"v\"");
  Parsed p =
      Parse(Post({Datapoint("\"a\"", "99", "1", {{std::string(129, 'k'), "\"v\""}}),
                  Datapoint("\"b\"", "99", "1", {{"big", "\"" + std::string(4097, 'v') + "\""}}),
                  Datapoint("\"c\"", "99", "1", many), Datapoint("\"\"", "99", "1"),
                  Datapoint("\"" + std::string(4097, 'n') + "\"", "99", "1")}));
  EXPECT_EQ(p.stats.samples, 0u);
  ASSERT_EQ(p.stats.first_errors.size(), 5u);
  EXPECT_THAT(p.stats.first_errors[0].message,
              HasSubstr("too long: label names are limited to 128 bytes"));
  EXPECT_EQ(p.stats.first_errors[1].message,
            "metadata \"big\" value too long: 4097 bytes (limit 4096)");
  EXPECT_EQ(p.stats.first_errors[2].message, "too many metadata keys: more than 64");
  EXPECT_EQ(p.stats.first_errors[3].message, "pattoo_key is empty");
  EXPECT_EQ(p.stats.first_errors[4].message,
            "pattoo_key too long: the metric name is limited to 4096 bytes");
}

TEST(PattooLabels, FiftySevenMetadataLabelsFitTheSeriesLimit) {
  // __name__, host and the five agent labels leave 57 of the 64.
  Dp meta;
  for (int i = 0; i < 57; ++i) meta.emplace_back("m" + std::to_string(i), "\"v\"");
  Parsed p = Parse(Post({Datapoint("\"a\"", "99", "1", meta)}));
  EXPECT_EQ(p.stats.samples, 1u) << FirstError(p);
  meta.emplace_back("m57", "\"v\"");
  p = Parse(Post({Datapoint("\"a\"", "99", "1", meta)}));
  EXPECT_EQ(FirstError(p), "datapoint 0 (a): too many labels: 65 (limit 64)");
}

// ---- the ingester's structure rules ------------------------------------------------------

TEST(PattooStructure, MissingRequiredKeysRejectOnlyThatDatapoint) {
  Parsed p = Parse(Post({Without(Without(Datapoint("\"a\"", "99", "1"), "pattoo_timestamp"),
                                 "pattoo_agent_polling_interval"),
                         Datapoint("\"b\"", "99", "1")}));
  ASSERT_TRUE(p.status.ok());
  EXPECT_EQ(p.stats.samples, 1u);
  EXPECT_EQ(FirstError(p),
            "datapoint 0 (a): missing pattoo_timestamp, pattoo_agent_polling_interval");
}

// Replaces the pattoo_datapoints object of a Post() with `datapoints` (raw JSON).
std::string WithDatapoints(std::string_view datapoints) {
  return "{\"pattoo_agent_timestamp\": 1700000000100, \"pattoo_agent_id\": \"agent1\", "
         "\"pattoo_agent_polling_interval\": 10000, \"pattoo_datapoints\": " +
         std::string(datapoints) + "}";
}

TEST(PattooStructure, UnresolvedPairIdDropsTheWholePostButPattooStillAnswers200) {
  // One valid datapoint, then one whose id 99 names no pair: pattoo's ingester drops the
  // whole file, the valid datapoint included.
  const std::string one = DatapointsJson({Datapoint("\"a\"", "99", "1")});
  const std::string bad = one.substr(0, one.rfind("]]}")) + "], [0, 99]]}";
  Parsed p = Parse(WithDatapoints(bad));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.stats.verdict, PattooVerdict::kAccepted);
  EXPECT_EQ(p.stats.post_error.message(),
            "pattoo: post dropped: pair id not found in key_value_pairs");
  EXPECT_EQ(p.stats.post_error.context(), "datapoint 1, id 99");
  EXPECT_EQ(p.stats.samples, 0u);
  EXPECT_TRUE(p.rows.empty());

  WriteBatch batch;
  PattooParseStats stats;
  PattooApiResponse r = Receive(WithDatapoints(bad), &batch, &stats);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "OK");
  EXPECT_TRUE(r.store_batch);
  EXPECT_TRUE(batch.empty());
}

TEST(PattooStructure, NonPairEntryDropsThePostOnlyWhenReferenced) {
  const std::string ok_pairs =
      "\"0\": [\"pattoo_key\", \"a\"], \"1\": [\"pattoo_data_type\", 99], \"2\": "
      "[\"pattoo_value\", 1], \"3\": [\"pattoo_timestamp\", 5], \"4\": [\"pattoo_checksum\", "
      "\"c\"], \"5\": [\"pattoo_agent_id\", \"i\"], \"6\": [\"pattoo_agent_polled_target\", "
      "\"t\"], \"7\": [\"pattoo_agent_program\", \"p\"], \"8\": [\"pattoo_agent_hostname\", "
      "\"h\"], \"9\": [\"pattoo_agent_polling_interval\", \"1\"], \"10\": [\"x\", \"y\", \"z\"]";
  Parsed p = Parse(WithDatapoints("{\"key_value_pairs\": {" + ok_pairs +
                                  "}, \"datapoint_pairs\": [[0,1,2,3,4,5,6,7,8,9]]}"));
  EXPECT_TRUE(p.stats.post_error.ok()) << p.stats.post_error.ToString();
  EXPECT_EQ(p.stats.samples, 1u) << FirstError(p);
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0].labels,
            "a{host=\"t\",pattoo_agent_hostname=\"h\",pattoo_agent_id=\"i\","
            "pattoo_agent_polled_target=\"t\",pattoo_agent_program=\"p\",pattoo_checksum=\"c\"}");

  p = Parse(WithDatapoints("{\"key_value_pairs\": {" + ok_pairs +
                           "}, \"datapoint_pairs\": [[0,1,2,3,4,5,6,7,8,9,10]]}"));
  EXPECT_EQ(p.stats.post_error.message(),
            "pattoo: post dropped: key_value_pairs entry is not a [key, value] array");
  EXPECT_EQ(p.stats.samples, 0u);
}

TEST(PattooStructure, PairIdsResolveThroughPythonStr) {
  // str(3) == "3", str("4") == "4", str(True) == "True", str(None) == "None",
  // str(-1) == "-1"; a float id (str(1.0) == "1.0") resolves to nothing.
  const std::string pairs =
      "\"0\": [\"pattoo_key\", \"a\"], \"1\": [\"pattoo_data_type\", 99], \"2\": "
      "[\"pattoo_value\", 1], \"3\": [\"pattoo_timestamp\", 5], \"4\": [\"pattoo_checksum\", "
      "\"c\"], \"True\": [\"pattoo_agent_id\", \"i\"], \"None\": "
      "[\"pattoo_agent_polled_target\", \"t\"], \"-1\": [\"pattoo_agent_program\", \"p\"], "
      "\"007\": [\"pattoo_agent_hostname\", \"h\"], \"12345678901\": "
      "[\"pattoo_agent_polling_interval\", \"1\"]";
  Parsed p = Parse(WithDatapoints("{\"key_value_pairs\": {" + pairs +
                                  "}, \"datapoint_pairs\": [[0, \"1\", 2, 3, \"4\", true, null, "
                                  "-1, \"007\", 12345678901]]}"));
  EXPECT_TRUE(p.stats.post_error.ok()) << p.stats.post_error.ToString();
  EXPECT_EQ(p.stats.samples, 1u) << FirstError(p);

  p = Parse(
      WithDatapoints("{\"key_value_pairs\": {" + pairs + "}, \"datapoint_pairs\": [[0, 1.0]]}"));
  EXPECT_EQ(p.stats.post_error.context(), "datapoint 0, id 1");
  p = Parse(WithDatapoints("{\"key_value_pairs\": {" + pairs +
                           "}, \"datapoint_pairs\": [[0, 7]]}"));  // "7" != "007"
  EXPECT_EQ(p.stats.post_error.message(),
            "pattoo: post dropped: pair id not found in key_value_pairs");
}

TEST(PattooStructure, WrongShapesOfPattooDatapointsDropThePost) {
  const std::pair<std::string, std::string> cases[] = {
      {"[]", "pattoo_datapoints is not an object"},
      {"{\"key_value_pairs\": {}}", "pattoo_datapoints needs key_value_pairs and datapoint_pairs"},
      {"{\"key_value_pairs\": {}, \"datapoint_pairs\": [], \"x\": 1}",
       "unexpected key in pattoo_datapoints"},
      {"{\"key_value_pairs\": [], \"datapoint_pairs\": []}", "key_value_pairs is not an object"},
      {"{\"key_value_pairs\": {}, \"datapoint_pairs\": {}}", "datapoint_pairs is not an array"},
      {"{\"key_value_pairs\": {}, \"datapoint_pairs\": [5]}",
       "datapoint is not an array of pair ids"},
  };
  for (const auto& [json, message] : cases) {
    SCOPED_TRACE(json);
    Parsed p = Parse(WithDatapoints(json));
    EXPECT_TRUE(p.status.ok()) << p.status.ToString();
    EXPECT_EQ(p.stats.post_error.message(), "pattoo: post dropped: " + message);
    EXPECT_EQ(p.stats.datapoints, 0u);
  }
  // Empty is fine: nothing to store, nothing wrong.
  Parsed p = Parse(WithDatapoints("{\"datapoint_pairs\": [], \"key_value_pairs\": {}}"));
  EXPECT_TRUE(p.stats.post_error.ok());
  EXPECT_EQ(p.stats.datapoints, 0u);
}

TEST(PattooStructure, RepeatedKeysInKeyValuePairsAndPattooDatapointsLastWins) {
  const std::string body = WithDatapoints(
      "{\"datapoint_pairs\": [[9]], \"key_value_pairs\": {\"0\": [\"pattoo_key\", \"old\"], "
      "\"1\": [\"pattoo_data_type\", 99], \"2\": [\"pattoo_value\", 1], \"3\": "
      "[\"pattoo_timestamp\", 5], \"4\": [\"pattoo_checksum\", \"c\"], \"5\": "
      "[\"pattoo_agent_id\", \"i\"], \"6\": [\"pattoo_agent_polled_target\", \"t\"], \"7\": "
      "[\"pattoo_agent_program\", \"p\"], \"8\": [\"pattoo_agent_hostname\", \"h\"], \"9\": "
      "[\"pattoo_agent_polling_interval\", \"1\"], \"0\": [\"pattoo_key\", \"new\"]}, "
      "\"datapoint_pairs\": [[0,1,2,3,4,5,6,7,8,9]]}");
  Parsed p = Parse(body);
  EXPECT_TRUE(p.stats.post_error.ok()) << p.stats.post_error.ToString();
  ASSERT_EQ(p.rows.size(), 1u) << FirstError(p);
  EXPECT_THAT(p.rows[0].labels, ::testing::StartsWith("new{"));
}

TEST(PattooStructure, NonStringPairKeyRejectsTheDatapoint) {
  std::string dps = DatapointsJson({Datapoint("\"y\"", "99", "1")});
  dps.insert(dps.find('{', 1) + 1, "\"10\": [5, \"v\"], ");
  dps.replace(dps.rfind("]]}"), 3, ", 10]]}");
  Parsed p = Parse(WithDatapoints(dps));
  EXPECT_TRUE(p.stats.post_error.ok()) << p.stats.post_error.ToString();
  EXPECT_EQ(FirstError(p), "datapoint 0 (y): a pair key is not a string");
}

// ---- the receive route's verdicts and answers ------------------------------------------

void ExpectAnswer(std::string_view body, int status, std::string_view answer,
                  PattooVerdict verdict) {
  SCOPED_TRACE(std::string(body.substr(0, 80)));
  WriteBatch batch;
  PattooParseStats stats;
  PattooApiResponse r = Receive(body, &batch, &stats);
  EXPECT_EQ(r.status, status);
  EXPECT_EQ(r.body, answer);
  EXPECT_EQ(r.content_type, kHtml);
  EXPECT_EQ(stats.verdict, verdict);
  EXPECT_EQ(r.store_batch, verdict == PattooVerdict::kAccepted);
  if (verdict != PattooVerdict::kAccepted) {
    EXPECT_TRUE(batch.empty());
    EXPECT_FALSE(stats.post_error.ok());
  }
}

TEST(PattooReceive, MalformedJsonAnswers500InvalidDataFormat) {
  const std::string good = Post({Datapoint("\"a\"", "99", "1")});
  for (std::string_view body :
       {std::string_view(good).substr(0, good.size() - 1), std::string_view("{\"a\": 1,}"),
        std::string_view(""), std::string_view("   "), std::string_view("{'a': 1}"),
        std::string_view("{\"a\" 1}"), std::string_view("[1 2]"), std::string_view("nul"),
        std::string_view("{\"a\": 01}"), std::string_view("{\"a\": \"\x01\"}"),
        std::string_view("{\"a\": 1} x"), std::string_view("+1"), std::string_view("-NaN"),
        std::string_view("{\"a\": \"\\x\"}")}) {
    ExpectAnswer(body, 500, kInvalidFormatBody, PattooVerdict::kNotJson);
  }
}

TEST(PattooReceive, InvalidUtf8Answers500InvalidDataFormat) {
  std::string body = Post({Datapoint("\"a\"", "99", "1", {{"m", "\"\xff\xfe\""}})});
  ExpectAnswer(body, 500, kInvalidFormatBody, PattooVerdict::kNotJson);
  body = Post({Datapoint("\"a\xc3\"", "99", "1")});
  ExpectAnswer(body, 500, kInvalidFormatBody, PattooVerdict::kNotJson);
}

TEST(PattooReceive, ArrayOrScalarBodyAnswers404) {
  for (std::string_view body : {"[]", "[1, 2, 3]", "\"OK\"", "42", "null", "true", "NaN"}) {
    ExpectAnswer(body, 404, kNotFoundBody, PattooVerdict::kNotAnObject);
  }
}

TEST(PattooReceive, WrongTopLevelKeysAnswer500InvalidJsonData) {
  const std::string dp = DatapointsJson({Datapoint("\"a\"", "99", "1")});
  const std::string three =
      "{\"pattoo_agent_timestamp\": 1, \"pattoo_agent_id\": \"a\", "
      "\"pattoo_datapoints\": " +
      dp + "}";
  const std::string five =
      "{\"pattoo_agent_timestamp\": 1, \"pattoo_agent_id\": \"a\", "
      "\"pattoo_agent_polling_interval\": 1, \"extra\": 0, "
      "\"pattoo_datapoints\": " +
      dp + "}";
  const std::string renamed =
      "{\"pattoo_agent_timestamp\": 1, \"agent_id\": \"a\", "
      "\"pattoo_agent_polling_interval\": 1, \"pattoo_datapoints\": " +
      dp + "}";
  for (const std::string& body : {three, five, renamed, std::string("{}")}) {
    ExpectAnswer(body, 500, kInvalidDataBody, PattooVerdict::kWrongKeys);
  }
}

TEST(PattooReceive, RepeatedTopLevelKeysCountOnceLikeAPythonDict) {
  // Five members, four distinct keys: len(dict) == 4, so pattoo accepts; the last
  // pattoo_datapoints wins.
  const std::string body =
      "{\"pattoo_agent_timestamp\": 1, \"pattoo_agent_id\": \"a\", "
      "\"pattoo_agent_polling_interval\": 1, \"pattoo_datapoints\": {}, "
      "\"pattoo_datapoints\": " +
      DatapointsJson({Datapoint("\"a\"", "99", "1")}) + "}";
  ExpectAnswer(body, 200, "OK", PattooVerdict::kAccepted);
  Parsed p = Parse(body);
  EXPECT_EQ(p.stats.samples, 1u);
}

TEST(PattooReceive, ByteOrderMarkIsSkippedLikeFlask) {
  const std::string body = "\xEF\xBB\xBF" + Post({Datapoint("\"a\"", "99", "1")});
  ExpectAnswer(body, 200, "OK", PattooVerdict::kAccepted);
  EXPECT_EQ(Parse(body).stats.samples, 1u);
}

TEST(PattooReceive, LoneSurrogateEscapeIsAcceptedAndBecomesReplacementCharacter) {
  const std::string body =
      Post({Datapoint("\"a\"", "99", "1", {{"ifalias", "\"x\\ud800y\""}, {"m", "\"\\udc00\""}}),
            Datapoint("\"b\"", "99", "1", {{"pair", "\"\\ud83d\\ude00\""}})});
  ExpectAnswer(body, 200, "OK", PattooVerdict::kAccepted);
  Parsed p = Parse(body);
  ASSERT_EQ(p.rows.size(), 2u) << FirstError(p);
  EXPECT_EQ(p.rows[0].labels,
            Expected("a", {{"ifalias", "x\xEF\xBF\xBDy"}, {"m", "\xEF\xBF\xBD"}}));
  EXPECT_EQ(p.rows[1].labels, Expected("b", {{"pair", "\xF0\x9F\x98\x80"}}));
}

TEST(PattooReceive, LiteralsPythonRejectsStayInvalidAfterRewriting) {
  for (std::string_view body : {"{NaN: 1}", "[1 NaN]", "{\"a\": NaN NaN}", "[nan]", "[-NaN]",
                                "[Infinity1]", "{\"a\": 1e400 1}", "[018446744073709551616]"}) {
    ExpectAnswer(body, 500, kInvalidFormatBody, PattooVerdict::kNotJson);
  }
  ExpectAnswer("[NaN, Infinity, -Infinity, 1e999, 99999999999999999999999]", 404, kNotFoundBody,
               PattooVerdict::kNotAnObject);
}

TEST(PattooReceive, BigIntegerAgentTimestampIsAccepted) {
  std::string body = Post({Datapoint("\"a\"", "99", "1")});
  body.replace(body.find("1700000000100"), 13, "123456789012345678901234567890");
  ExpectAnswer(body, 200, "OK", PattooVerdict::kAccepted);
}

TEST(PattooReceive, CacheFileNamePattooCannotCreateAnswers500InvalidJsonData) {
  std::string slash = Post({Datapoint("\"a\"", "99", "1")});
  slash.replace(slash.find("1700000000100"), 13, "\"2020/01/01\"");
  ExpectAnswer(slash, 500, kInvalidDataBody, PattooVerdict::kBadCacheName);
  std::string nul = Post({Datapoint("\"a\"", "99", "1")});
  nul.replace(nul.find("1700000000100"), 13, "\"a\\u0000b\"");
  ExpectAnswer(nul, 500, kInvalidDataBody, PattooVerdict::kBadCacheName);
  std::string nested = Post({Datapoint("\"a\"", "99", "1")});
  nested.replace(nested.find("1700000000100"), 13, "{\"x\": [\"a/b\"]}");
  ExpectAnswer(nested, 500, kInvalidDataBody, PattooVerdict::kBadCacheName);

  // 255 bytes is the limit for "<timestamp>_<source>_<6 digits>.json".
  const std::string ok = Post({Datapoint("\"a\"", "99", "1")});
  WriteBatch batch;
  PattooParseStats stats;
  PattooParser parser;
  EXPECT_TRUE(parser.Parse(ok, std::string(255 - 20 - 13, 's'), &batch, &stats).ok());
  std::string long_ts = ok;
  long_ts.replace(long_ts.find("1700000000100"), 13, "\"" + std::string(243, 't') + "\"");
  EXPECT_FALSE(parser.Parse(long_ts, "", &batch, &stats).ok());
  EXPECT_EQ(stats.verdict, PattooVerdict::kBadCacheName);
  std::string max_ts = ok;
  max_ts.replace(max_ts.find("1700000000100"), 13, "\"" + std::string(242, 't') + "\"");
  EXPECT_TRUE(parser.Parse(max_ts, "", &batch, &stats).ok());

  PattooAgentApi api;
  const std::string target = "/pattoo/api/v1/agent/receive/" + std::string(230, 's');
  PattooApiResponse r = api.Handle({"POST", target, kJson, ok}, &batch, &stats);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, kInvalidDataBody);
  r = api.Handle({"POST", "/pattoo/api/v1/agent/receive/a%00b", kJson, ok}, &batch, &stats);
  EXPECT_EQ(r.status, 500);
}

TEST(PattooReceive, DeeplyNestedBodyAnswers500LikePythonsRecursionLimit) {
  const std::string body = std::string(5000, '[') + std::string(5000, ']');
  ExpectAnswer(body, 500, kInvalidFormatBody, PattooVerdict::kNotJson);
}

// ---- routing -----------------------------------------------------------------------------

TEST(PattooApi, StatusAnswersOperationalForGetAndHead) {
  for (std::string_view method : {"GET", "HEAD", "get"}) {
    PattooApiResponse r = Request(method, "/pattoo/api/v1/agent/status");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "The Pattoo Agent API is Operational.\n");
    EXPECT_EQ(r.content_type, kHtml);
    EXPECT_EQ(r.route, PattooRoute::kStatus);
    EXPECT_FALSE(r.store_batch);
  }
}

TEST(PattooApi, UnknownPathsAnswer404WithWerkzeugBody) {
  for (std::string_view target :
       {"/", "/pattoo/api/v1/agent", "/pattoo/api/v1/agent/", "/pattoo/api/v1/agent/status/",
        "/pattoo/api/v1/agent/receive", "/pattoo/api/v1/agent/receive/",
        "/pattoo/api/v1/agent/receive/a/b", "/pattoo/api/v1/agent/receive/a%2Fb",
        "/pattoo/api/v1/web/graphql", "/pattoo/api/v1/agentx/status",
        "/PATTOO/api/v1/agent/status"}) {
    SCOPED_TRACE(target);
    PattooApiResponse r = Request("POST", target);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body, kNotFoundBody);
    EXPECT_EQ(r.content_type, kHtml);
    EXPECT_EQ(r.route, PattooRoute::kNotFound);
  }
}

TEST(PattooApi, WrongMethodAnswers405WithAllowHeader) {
  PattooApiResponse r = Request("GET", "/pattoo/api/v1/agent/receive/abc");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body, kMethodNotAllowedBody);
  EXPECT_EQ(r.allow, "OPTIONS, POST");
  EXPECT_EQ(r.route, PattooRoute::kMethodNotAllowed);
  r = Request("HEAD", "/pattoo/api/v1/agent/receive/abc");
  EXPECT_EQ(r.status, 405);
  r = Request("POST", "/pattoo/api/v1/agent/status");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "GET, HEAD, OPTIONS");
  EXPECT_EQ(r.body, kMethodNotAllowedBody);
}

TEST(PattooApi, OptionsAnswers200WithAllowAndNoBody) {
  PattooApiResponse r = Request("OPTIONS", "/pattoo/api/v1/agent/receive/abc");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.allow, "OPTIONS, POST");
  EXPECT_EQ(r.route, PattooRoute::kOptions);
  r = Request("OPTIONS", "/pattoo/api/v1/agent/status");
  EXPECT_EQ(r.allow, "GET, HEAD, OPTIONS");
  EXPECT_EQ(Request("OPTIONS", "/nowhere").status, 404);
}

TEST(PattooApi, EncryptedFlowRoutesAreUnsupportedAndAnswer404) {
  for (std::string_view target : {"/pattoo/api/v1/agent/key", "/pattoo/api/v1/agent/validation",
                                  "/pattoo/api/v1/agent/encrypted"}) {
    for (std::string_view method : {"POST", "GET"}) {
      PattooApiResponse r = Request(method, target);
      EXPECT_EQ(r.status, 404);
      EXPECT_EQ(r.body, kNotFoundBody);
      EXPECT_EQ(r.route, PattooRoute::kEncrypted);
    }
  }
}

TEST(PattooApi, NonJsonContentTypeAnswers404BecauseFlaskGivesNone) {
  const std::string body = Post({Datapoint("\"a\"", "99", "1")});
  for (std::string_view ct : {"", "text/plain", "application/x-www-form-urlencoded",
                              "application/jsonx", "application/+json"}) {
    SCOPED_TRACE(ct);
    WriteBatch batch;
    PattooParseStats stats;
    PattooApiResponse r = Receive(body, &batch, &stats, ct);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body, kNotFoundBody);
    EXPECT_FALSE(r.store_batch);
    EXPECT_TRUE(batch.empty());
    EXPECT_EQ(stats.verdict, PattooVerdict::kNotAnObject);
  }
  for (std::string_view ct : {"application/json", "Application/JSON; charset=utf-8",
                              " application/json ;x=y", "application/vnd.pattoo+json"}) {
    SCOPED_TRACE(ct);
    WriteBatch batch;
    PattooParseStats stats;
    EXPECT_EQ(Receive(body, &batch, &stats, ct).status, 200);
    EXPECT_EQ(batch.sample_count(), 1u);
  }
}

TEST(PattooApi, PathIsPercentDecodedAndQueryIgnored) {
  EXPECT_EQ(Request("GET", "/pattoo/api/v1/agent/stat%75s").status, 200);
  EXPECT_EQ(Request("GET", "/pattoo/api/v1/agent/status?x=1").status, 200);
  EXPECT_EQ(Request("GET", "/pattoo/api/v1/agent/status%").status, 404);
  const std::string body = Post({Datapoint("\"a\"", "99", "1")});
  WriteBatch batch;
  PattooParseStats stats;
  EXPECT_EQ(
      Receive(body, &batch, &stats, kJson, "/pattoo/api/v1/agent/receive/my%20agent?x=y").status,
      200);
}

TEST(PattooApi, MethodIsMatchedCaseInsensitively) {
  const std::string body = Post({Datapoint("\"a\"", "99", "1")});
  PattooAgentApi api;
  WriteBatch batch;
  PattooParseStats stats;
  EXPECT_EQ(api.Handle({"post", kReceive, kJson, body}, &batch, &stats).status, 200);
}

TEST(PattooApi, StorageFailureAnswers500InvalidJsonDataSoTheAgentRetries) {
  PattooApiResponse r = PattooAgentApi::StorageFailureResponse();
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, kInvalidDataBody);
  EXPECT_EQ(r.content_type, kHtml);
  EXPECT_FALSE(r.store_batch);
}

TEST(PattooApi, NonReceiveRoutesResetStatsAndLeaveTheBatchAlone) {
  PattooAgentApi api;
  WriteBatch batch;
  PattooParseStats stats;
  ASSERT_EQ(
      api.Handle({"POST", kReceive, kJson, Post({Datapoint("\"a\"", "99", "1")})}, &batch, &stats)
          .status,
      200);
  ASSERT_EQ(stats.samples, 1u);
  api.Handle({"GET", "/pattoo/api/v1/agent/status", "", ""}, &batch, &stats);
  EXPECT_EQ(stats.samples, 0u);
  EXPECT_EQ(batch.sample_count(), 1u);
}

// ---- the parser as a reusable object -----------------------------------------------------

TEST(PattooParser, WarmParserAppendsAndGivesTheSameResult) {
  PattooParser parser;
  WriteBatch batch;
  PattooParseStats stats;
  const std::string body = ReadTestdata("testdata/pattoo/os_autonomousd_spec_1_3.json");
  ASSERT_TRUE(parser.Parse(body, "a", &batch, &stats).ok());
  ASSERT_TRUE(parser.Parse("[", "a", &batch, &stats).ok() == false);
  ASSERT_TRUE(parser.Parse(body, "a", &batch, &stats).ok());
  ASSERT_EQ(batch.series_count(), 4u);
  auto rows = Decode(batch);
  EXPECT_EQ(rows[0].labels, rows[2].labels);
  EXPECT_EQ(rows[1].labels, rows[3].labels);
  EXPECT_EQ(rows[1].value.f, rows[3].value.f);
}

TEST(PattooParser, MaxErrorsCapsKeptErrorsButEveryRejectionIsCounted) {
  std::vector<Dp> dps;
  for (int i = 0; i < 30; ++i) dps.push_back(Datapoint("\"x\"", "99", "\"bad\""));
  PattooParseOptions options;
  options.max_errors = 3;
  PattooParser parser(options);
  WriteBatch batch;
  PattooParseStats stats;
  ASSERT_TRUE(parser.Parse(Post(dps), "", &batch, &stats).ok());
  EXPECT_EQ(stats.rejected, 30u);
  EXPECT_EQ(stats.first_errors.size(), 3u);
  EXPECT_EQ(stats.first_errors[2].datapoint, 2u);
}

TEST(PattooParser, LargePostReleasesBuffersAndStillParsesNextPost) {
  std::vector<Dp> dps;
  for (int i = 0; i < 60000; ++i) {
    dps.push_back(Datapoint("\"k" + std::to_string(i) + "\"", "99", std::to_string(i),
                            {{"pad", "\"" + std::to_string(i) + std::string(300, 'p') + "\""}}));
  }
  const std::string big = Post(dps);
  ASSERT_GT(big.size(), size_t{16} << 20);
  PattooParser parser;
  WriteBatch batch;
  PattooParseStats stats;
  ASSERT_TRUE(parser.Parse(big, "", &batch, &stats).ok());
  EXPECT_EQ(stats.samples, 60000u)
      << (stats.first_errors.empty() ? "" : stats.first_errors[0].ToString());
  batch.Clear();
  ASSERT_TRUE(parser.Parse(Post({Datapoint("\"a\"", "99", "1")}), "", &batch, &stats).ok());
  EXPECT_EQ(stats.samples, 1u);
}

// ---- committed fuzz seeds ------------------------------------------------------------------

TEST(PattooFuzzSeeds, CommittedSeedsParseAsExpected) {
  struct Seed {
    const char* name;
    PattooVerdict verdict;
    uint64_t samples;
    uint64_t rejected;
    bool post_error;
  };
  const Seed seeds[] = {
      {"spec-os-autonomousd.json", PattooVerdict::kAccepted, 2, 0, false},
      {"spec-modbustcpd-docs.json", PattooVerdict::kAccepted, 2, 0, false},
      {"valid-all-types.json", PattooVerdict::kAccepted, 5, 1, false},
      {"valid-counter64-max.json", PattooVerdict::kAccepted, 2, 1, false},
      {"valid-nan-infinity.json", PattooVerdict::kAccepted, 1, 3, false},
      {"valid-lone-surrogate-bom.json", PattooVerdict::kAccepted, 1, 0, false},
      {"valid-duplicate-keys.json", PattooVerdict::kAccepted, 1, 0, false},
      {"valid-string-ids.json", PattooVerdict::kAccepted, 1, 0, false},
      {"valid-sanitised-names.json", PattooVerdict::kAccepted, 2, 1, false},
      {"dropped-unresolved-id.json", PattooVerdict::kAccepted, 0, 0, true},
      {"dropped-not-a-pair.json", PattooVerdict::kAccepted, 0, 0, true},
      {"missing-field.json", PattooVerdict::kAccepted, 1, 1, false},
      {"wrong-keys.json", PattooVerdict::kWrongKeys, 0, 0, true},
      {"bad-cache-name.json", PattooVerdict::kBadCacheName, 0, 0, true},
      {"not-object.json", PattooVerdict::kNotAnObject, 0, 0, true},
      {"not-json-truncated.json", PattooVerdict::kNotJson, 0, 0, true},
      {"not-json-invalid-utf8.json", PattooVerdict::kNotJson, 0, 0, true},
      {"not-json-nan-key.json", PattooVerdict::kNotJson, 0, 0, true},
      {"garbage.txt", PattooVerdict::kNotJson, 0, 0, true},
  };
  for (const Seed& s : seeds) {
    SCOPED_TRACE(s.name);
    Parsed p = Parse(ReadTestdata(std::string("testdata/fuzz/pattoo/") + s.name), "agent");
    EXPECT_EQ(p.stats.verdict, s.verdict) << p.status.ToString();
    EXPECT_EQ(p.stats.samples, s.samples) << FirstError(p);
    EXPECT_EQ(p.stats.rejected, s.rejected) << FirstError(p);
    EXPECT_EQ(!p.stats.post_error.ok(), s.post_error) << p.stats.post_error.ToString();
  }
}

}  // namespace
}  // namespace strix::ingest
