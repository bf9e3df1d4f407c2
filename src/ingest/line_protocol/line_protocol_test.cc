// Tests of the line protocol parser: each value type and its kind, escapes in every
// position, precisions, errors with their line and column, name sanitising, limits, and a
// telegraf-like body whose values must come back bit for bit.
#include "ingest/line_protocol/line_protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "storage/labels.h"

// Counts heap allocations, to pin that a warmed-up parser allocates nothing per line.
namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

// Out of line, so that the compiler does not pair an inlined free() with a new-expression
// (g++ -Wmismatched-new-delete).
__attribute__((noinline)) void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  std::abort();  // tests do not handle exhaustion
}
__attribute__((noinline)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace strix::ingest {
namespace {

using storage::NumericValue;
using storage::Timestamp;
using storage::ValueKind;
using storage::WriteBatch;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1'700'000'000'123;

// One sample of the batch, flattened for comparisons.
struct Point {
  std::string series;  // Labels::ToString(), e.g. cpu_usage{host="a"}
  ValueKind kind;
  uint32_t tag;
  Timestamp ts;
  NumericValue value;
  std::string state;
};

std::vector<Point> Points(const WriteBatch& batch) {
  std::vector<Point> out;
  for (const auto& s : batch.series()) {
    auto labels = storage::Labels::FromEncoded(batch.EncodedLabels(s));
    EXPECT_TRUE(labels.ok()) << labels.status().ToString();
    if (!labels.ok()) continue;
    // Everything the parser emits must pass storage's own validation.
    EXPECT_TRUE(labels->ValidateSeries().ok())
        << labels->ValidateSeries().ToString() << " " << labels->ToString();
    uint32_t i = 0;
    for (const auto& sample : batch.samples(s)) {
      Point p{labels->ToString(), s.kind, batch.SampleTag(s, i++), sample.ts, sample.value, ""};
      if (s.kind == ValueKind::kState) p.state = std::string(batch.StateOf(sample));
      out.push_back(std::move(p));
    }
  }
  // The batch groups a series' samples (lines met again join the series started first);
  // line order is what the tests compare.
  std::stable_sort(out.begin(), out.end(),
                   [](const Point& a, const Point& b) { return a.tag < b.tag; });
  return out;
}

struct Parsed {
  Status status;
  ParseStats stats;
  WriteBatch batch;
  std::vector<Point> points;
  std::string FirstError() const {
    return stats.first_errors.empty() ? "" : stats.first_errors[0].ToString();
  }
};

Parsed ParseBody(std::string_view body, ParseOptions options = {}, int64_t now = kNow) {
  Parsed r;
  LineProtocolParser parser(options);
  r.status = parser.Parse(body, now, &r.batch, &r.stats);
  r.points = Points(r.batch);
  EXPECT_EQ(r.stats.samples, r.batch.sample_count());
  return r;
}

// Parses a one-line body that must be accepted; returns its points.
std::vector<Point> ParseGood(std::string_view line, ParseOptions options = {}) {
  Parsed r = ParseBody(line, options);
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.stats.rejected_lines, 0u) << line << ": " << r.FirstError();
  return r.points;
}

// Parses a one-line body that must be rejected; returns its error ("line 1, column ...").
std::string ParseBad(std::string_view line, ParseOptions options = {}) {
  Parsed r = ParseBody(line, options);
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.stats.lines, 1u) << line;
  EXPECT_EQ(r.stats.rejected_lines, 1u) << line;
  EXPECT_EQ(r.batch.sample_count(), 0u) << line;
  EXPECT_EQ(r.stats.first_errors.size(), 1u) << line;
  return r.FirstError();
}

uint64_t Bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}

// ---- value types -------------------------------------------------------------------

TEST(LineProtocol, FloatFieldBecomesGaugeAtTheGivenTime) {
  auto pts = ParseGood("cpu,host=a usage_idle=97.5 1700000000000000000");
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].series, "cpu_usage_idle{host=\"a\"}");
  EXPECT_EQ(pts[0].kind, ValueKind::kGauge);
  EXPECT_EQ(pts[0].ts, 1'700'000'000'000);
  EXPECT_EQ(pts[0].value.f, 97.5);
  EXPECT_EQ(pts[0].tag, 1u);
}

TEST(LineProtocol, U32SuffixMakesA32BitCounter) {
  auto pts = ParseGood("if,host=sw1 in=4294967295u32 1700000000000000000");
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].kind, ValueKind::kCounter32);
  EXPECT_EQ(pts[0].value.u, 4294967295u);
  EXPECT_NE(ParseBad("if in=4294967296u32").find("below 2^32"), std::string::npos);
  EXPECT_NE(ParseBad("if in=-3u32").find("negative"), std::string::npos);
  EXPECT_NE(ParseBad("if in=u32").find("invalid"), std::string::npos);
}

TEST(LineProtocol, FloatSpellingsParseToTheNearestDouble) {
  for (const char* v : {"1.5", "-2", "1e3", "1E3", "1.5e-3", "-1.5E+3", ".5", "1.", "0", "007",
                        "0.1", "123456789012345678901234567890", "2.2250738585072014e-308",
                        "4.9e-324", "1.7976931348623157e308", "-0.0"}) {
    auto pts = ParseGood(std::string("m x=") + v);
    ASSERT_EQ(pts.size(), 1u) << v;
    EXPECT_EQ(pts[0].kind, ValueKind::kGauge) << v;
    EXPECT_EQ(Bits(pts[0].value.f), Bits(std::strtod(v, nullptr))) << v;
  }
}

TEST(LineProtocol, FloatUnderflowBecomesZeroButOverflowIsRejected) {
  auto pts = ParseGood("m x=1e-400");
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].value.f, 0.0);
  EXPECT_THAT(ParseBad("m x=1e400"), HasSubstr("column 5: float field value out of range"));
  EXPECT_THAT(ParseBad("m x=-2e308"), HasSubstr("float field value out of range"));
}

TEST(LineProtocol, NanAndInfinityAreRejected) {
  for (const char* v : {"nan", "NaN", "inf", "-inf", "+inf", "Inf", "infinity", "-Infinity"}) {
    EXPECT_EQ(ParseBad(std::string("m x=") + v),
              "line 1, column 5: invalid field value: NaN and infinity are not accepted")
        << v;
  }
}

TEST(LineProtocol, MalformedNumbersAreRejectedWithTheGenericMessage) {
  const std::string expected =
      "line 1, column 5: invalid field value: expected a number, a quoted string, a boolean, or "
      "an integer with an i or u suffix";
  for (const char* v :
       {"1.2.3", "1e",  "1e+", "--1", "+1",   "1x",   "0x10", "1_000", "-",   ".",  "e5",
        "1,5",   "abc", "12I", "12U", "1.5i", "1e3u", "i",    "-u",    "tru", "yes"}) {
    std::string line = std::string("m x=") + v;
    if (std::string_view(v) == "1,5") {
      // "1" parses, then ",5" is a field without '='.
      EXPECT_THAT(ParseBad(line), HasSubstr("column 7: invalid field: expected '='")) << v;
      continue;
    }
    EXPECT_EQ(ParseBad(line), expected) << v;
  }
  EXPECT_EQ(ParseBad("m x="), expected);
  EXPECT_EQ(ParseBad("m x=,y=1"), expected);
}

TEST(LineProtocol, IntegerWithISuffixIsAnExactDerive) {
  auto pts = ParseGood(
      "m a=0i,b=-1i,c=9223372036854775807i,d=-9223372036854775808i,e=9007199254740993i,"
      "f=-9223372036854775807i");
  ASSERT_EQ(pts.size(), 6u);
  for (const auto& p : pts) EXPECT_EQ(p.kind, ValueKind::kDerive) << p.series;
  EXPECT_EQ(pts[0].value.i, 0);
  EXPECT_EQ(pts[1].value.i, -1);
  EXPECT_EQ(pts[2].value.i, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(pts[3].value.i, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(pts[4].value.i, 9007199254740993);  // 2^53 + 1: not a double
  EXPECT_EQ(pts[5].value.i, -9223372036854775807);
}

TEST(LineProtocol, IntegerOutsideInt64IsRejected) {
  EXPECT_THAT(ParseBad("m x=9223372036854775808i"),
              HasSubstr("column 5: integer field value out of range"));
  EXPECT_THAT(ParseBad("m x=-9223372036854775809i"), HasSubstr("integer field value out of range"));
  EXPECT_THAT(ParseBad("m x=99999999999999999999999i"),
              HasSubstr("integer field value out of range"));
}

TEST(LineProtocol, UnsignedWithUSuffixIsAnExactCounter64) {
  auto pts =
      ParseGood("m a=0u,b=18446744073709551615u,c=18446744073709551614u,d=9007199254740993u");
  ASSERT_EQ(pts.size(), 4u);
  for (const auto& p : pts) EXPECT_EQ(p.kind, ValueKind::kCounter64);
  EXPECT_EQ(pts[0].value.u, 0u);
  EXPECT_EQ(pts[1].value.u, 18446744073709551615ull);
  EXPECT_EQ(pts[2].value.u, 18446744073709551614ull);
  EXPECT_EQ(pts[3].value.u, 9007199254740993ull);
}

TEST(LineProtocol, UnsignedOutOfRangeOrNegativeIsRejected) {
  EXPECT_THAT(ParseBad("m x=18446744073709551616u"),
              HasSubstr("unsigned field value out of range"));
  EXPECT_THAT(ParseBad("m x=-1u"), HasSubstr("unsigned field value is negative"));
  EXPECT_THAT(ParseBad("m x=-0u"), HasSubstr("unsigned field value is negative"));
}

TEST(LineProtocol, EveryBooleanSpellingIsAGaugeOfZeroOrOne) {
  std::string line = "m ";
  const char* trues[] = {"t", "T", "true", "True", "TRUE"};
  const char* falses[] = {"f", "F", "false", "False", "FALSE"};
  for (int i = 0; i < 5; ++i) line += "t" + std::to_string(i) + "=" + trues[i] + ",";
  for (int i = 0; i < 5; ++i) line += "f" + std::to_string(i) + "=" + falses[i] + ",";
  line.pop_back();
  auto pts = ParseGood(line);
  ASSERT_EQ(pts.size(), 10u);
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(pts[i].kind, ValueKind::kGauge);
    EXPECT_EQ(pts[i].value.f, i < 5 ? 1.0 : 0.0) << pts[i].series;
  }
  for (const char* v : {"tRue", "truex", "TRue", "fals", "FALSe", "t1"})
    EXPECT_THAT(ParseBad(std::string("m x=") + v), HasSubstr("invalid field value")) << v;
}

TEST(LineProtocol, StringFieldIsAStateWithQuoteAndBackslashEscapes) {
  auto pts = ParseGood(R"(m s="a \"quoted\" value, with = and \\ and \n kept",n="" 5000000)");
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(pts[0].kind, ValueKind::kState);
  EXPECT_EQ(pts[0].state, R"(a "quoted" value, with = and \ and \n kept)");
  EXPECT_EQ(pts[0].ts, 5);
  EXPECT_EQ(pts[1].kind, ValueKind::kState);
  EXPECT_EQ(pts[1].state, "");
  // A string ending with an escaped backslash.
  pts = ParseGood(R"(m s="C:\\")");
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].state, "C:\\");
  pts = ParseGood("m s=\"h\xc3\xa9llo \xf0\x9f\x9a\x80\"");
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].state, "h\xc3\xa9llo \xf0\x9f\x9a\x80");
}

TEST(LineProtocol, StringFieldErrors) {
  EXPECT_EQ(ParseBad(R"(m s="abc)"),
            "line 1, column 5: unterminated string field value: expected a closing double quote");
  EXPECT_EQ(ParseBad(R"(m s="abc\")"),
            "line 1, column 5: unterminated string field value: expected a closing double quote");
  EXPECT_THAT(ParseBad(R"(m s="abc"x)"),
              HasSubstr("column 10: unexpected text after a string field value"));
  EXPECT_THAT(ParseBad("m s=\"\xc3(\""), HasSubstr("column 5: string field value is not valid"));
  EXPECT_THAT(ParseBad("m s=\"\xed\xa0\x80\""), HasSubstr("not valid UTF-8"));  // surrogate
}

TEST(LineProtocol, StringFieldIsLimitedTo4096BytesAfterUnescaping) {
  std::string ok = "m s=\"" + std::string(4096, 'x') + "\"";
  auto pts = ParseGood(ok);
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].state.size(), 4096u);
  // 4096 escaped quotes are 8192 bytes on the wire but 4096 in the value.
  std::string escaped = "m s=\"";
  for (int i = 0; i < 4096; ++i) escaped += "\\\"";
  escaped += "\"";
  pts = ParseGood(escaped);
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].state, std::string(4096, '"'));
  EXPECT_THAT(ParseBad("m s=\"" + std::string(4097, 'x') + "\""),
              HasSubstr("column 5: string field value too long: 4097 bytes (limit 4096)"));
}

// ---- escapes -------------------------------------------------------------------------

TEST(LineProtocol, EscapedCommaAndSpaceInMeasurementDoNotEndIt) {
  // Unescaped, "cpu,host=a" would be a measurement and a tag.
  auto pts = ParseGood(R"(cpu\,host=a\ b x=1)");
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].series, "cpu_host_a_b_x");
  // \= is not an escape in a measurement: the backslash stays (and becomes '_').
  pts = ParseGood(R"(a\=b x=1)");
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].series, "a__b_x");
}

TEST(LineProtocol, EscapesInTagKeysAndValues) {
  auto pts = ParseGood(R"(m,my\ key\=x\,y=a\ b\,c\=d\\e,lit=a\b x=1)");
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].series, R"(m_x{lit="a\\b",my_key_x_y="a b,c=d\\e"})");
  // A doubled backslash before the space: the value ends with one backslash.
  pts = ParseGood(R"(m,k=v\\ x=1)");
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].series, R"(m_x{k="v\\"})");
  // An unescaped '=' in a tag value is kept.
  pts = ParseGood(R"(m,k=a=b x=1)");
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].series, R"(m_x{k="a=b"})");
}

TEST(LineProtocol, EscapesInFieldKeys) {
  auto pts = ParseGood(R"(m my\ field\=1\,2=3,b\\c=4)");
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(pts[0].series, "m_my_field_1_2");
  EXPECT_EQ(pts[0].value.f, 3.0);
  EXPECT_EQ(pts[1].series, "m_b_c");
}

// ---- timestamps ----------------------------------------------------------------------

TEST(LineProtocol, EveryPrecisionConvertsToMilliseconds) {
  struct Case {
    const char* name;
    const char* ts;
    Timestamp want;
  } cases[] = {
      {"", "1700000000123456789", 1700000000123},
      {"ns", "1700000000123456789", 1700000000123},
      {"n", "1700000000123999999", 1700000000123},
      {"us", "1700000000123456", 1700000000123},
      {"u", "1700000000123999", 1700000000123},
      {"ms", "1700000000123", 1700000000123},
      {"s", "1700000000", 1700000000000},
      {"m", "28333333", 1699999980000},
      {"h", "472222", 1699999200000},
      {"ns", "-1", -1},
      {"us", "-1001", -2},
      {"ns", "0", 0},
  };
  for (const auto& c : cases) {
    auto p = ParsePrecision(c.name);
    ASSERT_TRUE(p.ok()) << c.name;
    ParseOptions o;
    o.precision = *p;
    auto pts = ParseGood(std::string("m x=1 ") + c.ts, o);
    ASSERT_EQ(pts.size(), 1u) << c.name;
    EXPECT_EQ(pts[0].ts, c.want) << c.name << " " << c.ts;
  }
}

TEST(LineProtocol, UnknownPrecisionIsInvalidArgumentNamingIt) {
  auto p = ParsePrecision("minutes");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("\"minutes\""));
  EXPECT_FALSE(ParsePrecision("NS").ok());
  EXPECT_FALSE(ParsePrecision("rfc3339").ok());
  EXPECT_EQ(PrecisionName(*ParsePrecision("u")), "us");
}

TEST(LineProtocol, InvalidOptionsFailTheWholeCallAndParseNothing) {
  ParseOptions o;
  o.max_fields_per_line = 0;
  Parsed r = ParseBody("m x=1", o);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.batch.sample_count(), 0u);
  o = ParseOptions();
  o.max_line_bytes = 0;
  EXPECT_EQ(ParseBody("m x=1", o).status.code(), StatusCode::kInvalidArgument);
  o = ParseOptions();
  o.precision = static_cast<Precision>(42);
  EXPECT_EQ(ParseBody("m x=1", o).status.code(), StatusCode::kInvalidArgument);
}

TEST(LineProtocol, MissingTimestampUsesNow) {
  auto pts = ParseGood("m x=1,y=2i   ");
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(pts[0].ts, kNow);
  EXPECT_EQ(pts[1].ts, kNow);
}

TEST(LineProtocol, SubMillisecondPartsAreDroppedSoCloseNanosecondsShareATimestamp) {
  auto r = ParseBody("m x=1 1000000001\nm x=2 1000999999\n");
  ASSERT_EQ(r.points.size(), 2u);
  EXPECT_EQ(r.points[0].ts, 1000);
  EXPECT_EQ(r.points[1].ts, 1000);
}

TEST(LineProtocol, TimestampErrors) {
  EXPECT_EQ(ParseBad("m x=1 12a"),
            "line 1, column 7: invalid timestamp: expected an integer (ns since the epoch)");
  EXPECT_THAT(ParseBad("m x=1 1.5"), HasSubstr("column 7: invalid timestamp"));
  EXPECT_THAT(ParseBad("m x=1 -"), HasSubstr("invalid timestamp"));
  EXPECT_THAT(ParseBad("m x=1 9223372036854775808"), HasSubstr("column 7: timestamp out of range"));
  EXPECT_THAT(ParseBad("m x=1 -9223372036854775809"), HasSubstr("timestamp out of range"));
  EXPECT_THAT(ParseBad("m x=1 123 456"),
              HasSubstr("column 11: unexpected text after the timestamp"));
  // In range as ns, but not as ms once multiplied.
  ParseOptions s;
  s.precision = Precision::kSeconds;
  EXPECT_THAT(ParseBad("m x=1 9223372036854776", s), HasSubstr("timestamp out of range"));
  auto pts = ParseGood("m x=1 9223372036854775", s);
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].ts, 9223372036854775000);
  // The extremes of int64 nanoseconds are fine.
  pts = ParseGood("m x=1 -9223372036854775808");
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].ts, -9223372036855);
}

// ---- lines, errors, columns ----------------------------------------------------------

TEST(LineProtocol, BadLinesAreReportedWithLineAndColumnAndGoodLinesAreKept) {
  std::string body =
      "cpu,host=a usage=1 1000000000\n"           // 1: ok
      "# a comment\n"                             // 2
      "\n"                                        // 3
      "cpu,host=b usage=abc 1000000000\n"         // 4: bad value at column 18
      "mem,host=a used=5i,free=7i 1000000000\n"   // 5: ok, 2 samples
      "disk,host=a free=1 notatime\n"             // 6: bad timestamp at column 20
      "cpu,host=server01,region=eu value=oops\n"  // 7: bad value at column 35
      "net,host=a bytes=1u\n";                    // 8: ok, no timestamp
  Parsed r = ParseBody(body);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.stats.lines, 6u);
  EXPECT_EQ(r.stats.rejected_lines, 3u);
  EXPECT_EQ(r.stats.samples, 4u);
  ASSERT_EQ(r.stats.first_errors.size(), 3u);
  EXPECT_EQ(r.stats.first_errors[0].line, 4u);
  EXPECT_EQ(r.stats.first_errors[0].column, 18u);
  EXPECT_EQ(r.stats.first_errors[0].ToString(),
            "line 4, column 18: invalid field value: expected a number, a quoted string, a "
            "boolean, or an integer with an i or u suffix");
  EXPECT_EQ(r.stats.first_errors[1].line, 6u);
  EXPECT_EQ(r.stats.first_errors[1].column, 20u);
  EXPECT_EQ(r.stats.first_errors[2].line, 7u);
  EXPECT_EQ(r.stats.first_errors[2].column, 35u);
  ASSERT_EQ(r.points.size(), 4u);
  EXPECT_EQ(r.points[0].series, "cpu_usage{host=\"a\"}");
  EXPECT_EQ(r.points[0].tag, 1u);
  EXPECT_EQ(r.points[1].series, "mem_used{host=\"a\"}");
  EXPECT_EQ(r.points[1].tag, 5u);
  EXPECT_EQ(r.points[2].series, "mem_free{host=\"a\"}");
  EXPECT_EQ(r.points[3].series, "net_bytes{host=\"a\"}");
  EXPECT_EQ(r.points[3].tag, 8u);
  EXPECT_EQ(r.points[3].ts, kNow);
}

TEST(LineProtocol, ALineIsAllOrNothing) {
  Parsed r = ParseBody("m a=1,b=2,c=bad,d=4\nm e=5");
  EXPECT_EQ(r.stats.rejected_lines, 1u);
  ASSERT_EQ(r.points.size(), 1u);
  EXPECT_EQ(r.points[0].series, "m_e");
  EXPECT_EQ(r.points[0].tag, 2u);
}

TEST(LineProtocol, ErrorsBeyondMaxErrorsAreCountedButNotKept) {
  std::string body;
  for (int i = 0; i < 25; ++i) body += "m x=bad\nm x=1\n";
  Parsed r = ParseBody(body);
  EXPECT_EQ(r.stats.lines, 50u);
  EXPECT_EQ(r.stats.rejected_lines, 25u);
  EXPECT_EQ(r.stats.samples, 25u);
  ASSERT_EQ(r.stats.first_errors.size(), 10u);
  EXPECT_EQ(r.stats.first_errors[9].line, 19u);
  ParseOptions o;
  o.max_errors = 0;
  r = ParseBody(body, o);
  EXPECT_EQ(r.stats.rejected_lines, 25u);
  EXPECT_TRUE(r.stats.first_errors.empty());
}

// A line met again later in the body (same series key, same field keys and kinds) adds its
// samples to the batch series started the first time, each sample keeping its own line
// number. Other fields, another kind, or the tags in another order start new batch series
// (storage merges series with equal labels).
TEST(LineProtocol, ALineSeenAgainInTheBodyAddsToTheSameBatchSeries) {
  Parsed r = ParseBody(
      "cpu,host=a idle=1,user=2 1000\n"
      "cpu,host=b idle=3 1000\n"
      "cpu,host=a idle=4,user=5 2000\n"
      "cpu,host=a idle=6i 3000\n"
      "cpu,host=b idle=7 2000\n"
      "cpu,host=a idle=8 4000\n"
      "cpu,host=a,z=1 idle=9 4000\n"
      "cpu,z=1,host=a idle=10 5000\n"
      "cpu,host=a idle=11 5000\n",
      ParseOptions{.precision = Precision::kMilliseconds});
  ASSERT_TRUE(r.status.ok());
  EXPECT_TRUE(r.batch.sealed());
  EXPECT_EQ(r.stats.samples, 11u);
  ASSERT_EQ(r.batch.series_count(), 7u);
  auto tags_and_ts = [&](size_t series) {
    std::vector<std::pair<uint32_t, Timestamp>> out;
    const auto& s = r.batch.series()[series];
    uint32_t i = 0;
    for (const auto& smp : r.batch.samples(s)) out.emplace_back(r.batch.SampleTag(s, i++), smp.ts);
    return out;
  };
  using V = std::vector<std::pair<uint32_t, Timestamp>>;
  EXPECT_EQ(tags_and_ts(0), (V{{1, 1000}, {3, 2000}}));  // cpu_idle{host="a"}, cpu_user
  EXPECT_EQ(tags_and_ts(1), (V{{1, 1000}, {3, 2000}}));
  EXPECT_EQ(tags_and_ts(2), (V{{2, 1000}, {5, 2000}}));  // cpu_idle{host="b"}
  EXPECT_EQ(tags_and_ts(3), (V{{4, 3000}}));             // the derive
  EXPECT_EQ(r.batch.series()[3].kind, ValueKind::kDerive);
  EXPECT_EQ(tags_and_ts(4), (V{{6, 4000}, {9, 5000}}));  // cpu_idle{host="a"} alone
  EXPECT_EQ(tags_and_ts(5), (V{{7, 4000}}));
  EXPECT_EQ(tags_and_ts(6), (V{{8, 5000}}));
  EXPECT_EQ(r.batch.EncodedLabels(r.batch.series()[0]), r.batch.EncodedLabels(r.batch.series()[4]));
  EXPECT_EQ(r.batch.EncodedLabels(r.batch.series()[5]), r.batch.EncodedLabels(r.batch.series()[6]));
  EXPECT_EQ(r.batch.samples(r.batch.series()[1])[1].value.f, 5.0);
  EXPECT_EQ(r.batch.samples(r.batch.series()[2])[1].value.f, 7.0);
  EXPECT_EQ(r.batch.samples(r.batch.series()[4])[1].value.f, 11.0);
}

// A rejected line leaves no trace in the remembered series, and a later good line of the
// same series is added where the first one went.
TEST(LineProtocol, RememberedSeriesSurviveABadLineInBetween) {
  Parsed r = ParseBody(
      "m,h=x v=1 1000\n"
      "m,h=x v=oops 2000\n"
      "m,h=x v=3 3000\n",
      ParseOptions{.precision = Precision::kMilliseconds});
  EXPECT_EQ(r.stats.rejected_lines, 1u);
  ASSERT_EQ(r.batch.series_count(), 1u);
  ASSERT_EQ(r.points.size(), 2u);
  EXPECT_EQ(r.points[1].tag, 3u);
  EXPECT_EQ(r.points[1].value.f, 3.0);
}

TEST(LineProtocol, CrLfLineEndingsAndAFinalLineWithoutNewline) {
  Parsed r = ParseBody("a x=1 1000000\r\n\r\n# c\r\nb y=\"s\" 2000000\r\nc z=3i 3000000");
  EXPECT_EQ(r.stats.rejected_lines, 0u) << r.FirstError();
  ASSERT_EQ(r.points.size(), 3u);
  EXPECT_EQ(r.points[0].series, "a_x");
  EXPECT_EQ(r.points[0].ts, 1);
  EXPECT_EQ(r.points[1].state, "s");
  EXPECT_EQ(r.points[1].tag, 4u);
  EXPECT_EQ(r.points[2].value.i, 3);
  EXPECT_EQ(r.points[2].tag, 5u);
}

TEST(LineProtocol, CommentsAndBlankLinesAreNotCountedButKeepLineNumbers) {
  Parsed r = ParseBody("# header\n   \n\t\n  # indented comment\n\nm x=1\n");
  EXPECT_EQ(r.stats.lines, 1u);
  ASSERT_EQ(r.points.size(), 1u);
  EXPECT_EQ(r.points[0].tag, 6u);
  EXPECT_EQ(ParseBody("").stats.lines, 0u);
  EXPECT_EQ(ParseBody("\n\n\n").stats.lines, 0u);
}

TEST(LineProtocol, LeadingTrailingAndRepeatedSpacesAreAccepted) {
  auto pts = ParseGood("  \tm,host=a   x=1,y=2    1000000  \t");
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(pts[1].series, "m_y{host=\"a\"}");
  EXPECT_EQ(pts[1].ts, 1);
}

TEST(LineProtocol, StructuralErrorsNameTheProblemAndColumn) {
  EXPECT_EQ(ParseBad("cpu"),
            "line 1, column 4: missing fields: expected a space, then field=value");
  EXPECT_THAT(ParseBad("cpu,host=a"), HasSubstr("column 11: missing fields"));
  EXPECT_THAT(ParseBad("cpu   "), HasSubstr("missing fields"));
  EXPECT_EQ(ParseBad(",host=a x=1"),
            "line 1, column 1: missing measurement: a line must start with its name");
  EXPECT_EQ(ParseBad("m,=a x=1"), "line 1, column 3: empty tag key");
  EXPECT_EQ(ParseBad("m,host x=1"),
            "line 1, column 3: invalid tag: expected '=' after the tag key");
  EXPECT_EQ(ParseBad("m,host=a, x=1"),
            "line 1, column 10: invalid tag: expected tag=value after ','");
  EXPECT_EQ(ParseBad("m =1"), "line 1, column 3: empty field key");
  EXPECT_EQ(ParseBad("m x"), "line 1, column 3: invalid field: expected '=' after the field key");
  EXPECT_EQ(ParseBad("m x=1,"), "line 1, column 7: invalid field: expected field=value");
  EXPECT_EQ(ParseBad("m x=1,,y=2"), "line 1, column 7: invalid field: expected field=value");
  EXPECT_THAT(ParseBad("m x=1 y=2"), HasSubstr("column 7: invalid timestamp"));
}

// ---- names ---------------------------------------------------------------------------

TEST(LineProtocol, InvalidNameCharactersBecomeUnderscores) {
  auto pts = ParseGood("cpu-load,host-name=a,dc.zone=b,a:b=c load.1m=1,ns:ok=2");
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(pts[0].series, R"(cpu_load_load_1m{a_b="c",dc_zone="b",host_name="a"})");
  EXPECT_EQ(pts[1].series, R"(cpu_load_ns:ok{a_b="c",dc_zone="b",host_name="a"})");
}

TEST(LineProtocol, NamesStartingWithADigitGetALeadingUnderscore) {
  auto pts = ParseGood("1wire,2nd=x 3temp=1");
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].series, R"(_1wire_3temp{_2nd="x"})");
}

TEST(LineProtocol, OneUnderscorePerNonAsciiCharacter) {
  auto pts = ParseGood("temp\xc3\xa9rature,r\xc3\xa9gion=\xc3\x8ele x\xf0\x9f\x9a\x80=1");
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].series, "temp_rature_x_{r_gion=\"\xc3\x8ele\"}");
}

TEST(LineProtocol, InvalidUtf8IsRejected) {
  EXPECT_EQ(ParseBad("m,host=\xff x=1"), "line 1, column 8: tag value is not valid UTF-8");
  EXPECT_EQ(ParseBad("m,host=a\xc3 x=1"), "line 1, column 8: tag value is not valid UTF-8");
  EXPECT_EQ(ParseBad("m,ho\xffst=a x=1"), "line 1, column 3: tag key is not valid UTF-8");
  EXPECT_EQ(ParseBad("m\xc0\xaf x=1"), "line 1, column 1: measurement is not valid UTF-8");
  EXPECT_EQ(ParseBad("m x\x80=1"), "line 1, column 3: field key is not valid UTF-8");
}

TEST(LineProtocol, NameTagIsRejectedEvenWhenSanitisingProducesIt) {
  EXPECT_EQ(ParseBad("m,__name__=x v=1"),
            "line 1, column 3: tag key __name__ is reserved for the metric name");
  EXPECT_THAT(ParseBad("m,a=b,--name--=x v=1"),
              HasSubstr("column 7: tag key __name__ is reserved"));
  EXPECT_THAT(ParseBad("m,__name__= v=1"), HasSubstr("tag key __name__ is reserved"));
}

TEST(LineProtocol, DuplicateTagKeysAreRejectedAlsoAfterSanitising) {
  EXPECT_EQ(ParseBad("m,host=a,host=b x=1"),
            "line 1, column 10: duplicate tag key \"host\" (after replacing characters)");
  EXPECT_THAT(ParseBad("m,a_b=1,a-b=2 x=1"), HasSubstr("column 9: duplicate tag key \"a_b\""));
}

TEST(LineProtocol, EmptyTagValuesAreDropped) {
  auto pts = ParseGood("m,host=,dc=x,z= v=1");
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].series, R"(m_v{dc="x"})");
  // An empty value does not count as a duplicate.
  pts = ParseGood("m,host=,host=a v=1");
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].series, R"(m_v{host="a"})");
}

TEST(LineProtocol, TagsInAnyOrderGiveTheSameSeries) {
  Parsed r = ParseBody("m,b=2,a=1,c=3 x=1\nm,c=3,a=1,b=2 x=2");
  ASSERT_EQ(r.points.size(), 2u);
  EXPECT_EQ(r.points[0].series, r.points[1].series);
  EXPECT_EQ(r.batch.EncodedLabels(r.batch.series()[0]), r.batch.EncodedLabels(r.batch.series()[1]));
}

// ---- limits --------------------------------------------------------------------------

TEST(LineProtocol, LineLongerThanTheLimitIsRejected) {
  ParseOptions o;
  o.max_line_bytes = 16;
  EXPECT_EQ(ParseGood("m x=1 1000000000", o).size(), 1u);  // exactly 16 bytes
  EXPECT_EQ(ParseBad("m x=1 10000000000", o),
            "line 1, column 17: line too long: 17 bytes (limit 16)");
  // The \r of \r\n does not count.
  EXPECT_EQ(ParseGood("m x=1 1000000000\r\n", o).size(), 1u);
  // The default is 64 KiB.
  std::string line = "m ";
  for (int i = 0; i < 17; ++i)
    line += "s" + std::to_string(i) + "=\"" + std::string(4000, 'x') + "\",";
  line.pop_back();
  ASSERT_GT(line.size(), 65536u);
  EXPECT_THAT(ParseBad(line), HasSubstr("line too long"));
}

TEST(LineProtocol, MoreThanTheMaximumNumberOfFieldsIsRejected) {
  std::string line = "m ";
  for (int i = 0; i < 1000; ++i) line += "f" + std::to_string(i) + "=" + std::to_string(i) + ",";
  line.pop_back();
  auto pts = ParseGood(line);
  ASSERT_EQ(pts.size(), 1000u);
  EXPECT_EQ(pts[999].value.f, 999.0);
  line += ",f1000=1";
  EXPECT_THAT(ParseBad(line), HasSubstr("too many fields: more than 1000"));
}

TEST(LineProtocol, TooManyTagsOrTooLongNamesAreRejected) {
  std::string line = "m";
  for (int i = 0; i < 63; ++i) line += ",t" + std::to_string(i) + "=v";
  EXPECT_EQ(ParseGood(line + " x=1").size(), 1u);
  EXPECT_THAT(ParseBad(line + ",t63=v x=1"), HasSubstr("too many tags: more than 63"));
  EXPECT_THAT(ParseBad("m," + std::string(129, 'k') + "=v x=1"),
              HasSubstr("column 3: tag key too long: 129 bytes (limit 128)"));
  EXPECT_EQ(ParseGood("m," + std::string(128, 'k') + "=v x=1").size(), 1u);
  EXPECT_THAT(ParseBad("m,k=" + std::string(4097, 'v') + " x=1"),
              HasSubstr("column 5: tag value too long"));
  EXPECT_THAT(ParseBad(std::string(4096, 'm') + " x=1"), HasSubstr("measurement too long"));
  EXPECT_THAT(ParseBad("m " + std::string(4095, 'f') + "=1"), HasSubstr("metric name too long"));
  EXPECT_EQ(ParseGood("m " + std::string(4094, 'f') + "=1").size(), 1u);
  // Within every per-label cap, but over the 16 KiB of encoded labels.
  std::string wide = "m";
  for (int i = 0; i < 5; ++i) wide += ",t" + std::to_string(i) + "=" + std::string(4000, 'v');
  EXPECT_THAT(ParseBad(wide + " x=1"), HasSubstr("labels too large"));
}

// ---- round trip of a realistic body --------------------------------------------------

struct Expected {
  std::string series;
  ValueKind kind;
  NumericValue value;
  std::string state;
  Timestamp ts;
};

std::string Fmt17(double d) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

TEST(LineProtocol, TelegrafLikeBodyRoundTripsBitExactly) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> pct(0, 100);
  std::string body;
  std::vector<Expected> want;
  const int64_t t0 = 1'700'000'000'000'000'000;
  for (int i = 0; i < 600; ++i) {
    int64_t ts_ns = t0 + int64_t{i} * 10'000'000'000 + 123'456;
    Timestamp ts = ts_ns / 1'000'000;
    std::string host = "web-" + std::to_string(i % 7) + ".example.com";
    std::string labels_cpu = "{cpu=\"cpu" + std::to_string(i % 4) + "\",host=\"" + host + "\"}";
    // cpu: 10 floats with 17 significant digits.
    body += "cpu,cpu=cpu" + std::to_string(i % 4) + ",host=" + host + " ";
    const char* cpu_fields[] = {"usage_user",  "usage_system",    "usage_idle",  "usage_iowait",
                                "usage_nice",  "usage_irq",       "usage_steal", "usage_softirq",
                                "usage_guest", "usage_guest_nice"};
    for (int f = 0; f < 10; ++f) {
      double v = pct(rng);
      if (f == 9) v = -v * 1e-300;  // tiny negative
      body += std::string(cpu_fields[f]) + "=" + Fmt17(v) + (f < 9 ? "," : " ");
      want.push_back({std::string("cpu_") + cpu_fields[f] + labels_cpu, ValueKind::kGauge,
                      NumericValue{.f = v}, "", ts});
    }
    body += std::to_string(ts_ns) + "\n";
    // mem: integers near the ends of int64 and uint64, a boolean, a string.
    int64_t big = std::numeric_limits<int64_t>::max() - static_cast<int64_t>(rng() % 1000);
    int64_t small = std::numeric_limits<int64_t>::min() + static_cast<int64_t>(rng() % 1000);
    uint64_t ubig = std::numeric_limits<uint64_t>::max() - rng() % 1000;
    std::string labels_host = "{host=\"" + host + "\"}";
    body += "mem,host=" + host + " used=" + std::to_string(big) +
            "i,delta=" + std::to_string(small) + "i,total=" + std::to_string(ubig) +
            "u,swapping=" + (i % 2 ? "true" : "F") + ",status=\"ok \\\"" + std::to_string(i) +
            "\\\"\" " + std::to_string(ts_ns) + "\n";
    want.push_back({"mem_used" + labels_host, ValueKind::kDerive, NumericValue{.i = big}, "", ts});
    want.push_back(
        {"mem_delta" + labels_host, ValueKind::kDerive, NumericValue{.i = small}, "", ts});
    want.push_back(
        {"mem_total" + labels_host, ValueKind::kCounter64, NumericValue{.u = ubig}, "", ts});
    want.push_back({"mem_swapping" + labels_host, ValueKind::kGauge,
                    NumericValue{.f = i % 2 ? 1.0 : 0.0}, "", ts});
    want.push_back({"mem_status" + labels_host, ValueKind::kState, NumericValue{.u = 0},
                    "ok \"" + std::to_string(i) + "\"", ts});
    // disk: a tag value with escaped spaces and commas, unsigned counters.
    uint64_t free = rng();
    body += "disk,host=" + host + ",path=/mnt/my\\ disk\\,1 free=" + std::to_string(free) +
            "u,inodes_used=" + std::to_string(i) + "i\n";
    std::string labels_disk = "{host=\"" + host + "\",path=\"/mnt/my disk,1\"}";
    want.push_back(
        {"disk_free" + labels_disk, ValueKind::kCounter64, NumericValue{.u = free}, "", kNow});
    want.push_back({"disk_inodes_used" + labels_disk, ValueKind::kDerive,
                    NumericValue{.i = int64_t{i}}, "", kNow});
  }
  Parsed r = ParseBody(body);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.stats.lines, 1800u);
  EXPECT_EQ(r.stats.rejected_lines, 0u) << r.FirstError();
  ASSERT_EQ(r.points.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const Point& got = r.points[i];
    SCOPED_TRACE(want[i].series);
    EXPECT_EQ(got.series, want[i].series);
    EXPECT_EQ(got.kind, want[i].kind);
    EXPECT_EQ(got.ts, want[i].ts);
    if (want[i].kind == ValueKind::kState) {
      EXPECT_EQ(got.state, want[i].state);
    } else {
      EXPECT_EQ(got.value.u, want[i].value.u);  // all 64 bits
    }
  }

  // The same parser and a cleared batch give the same bytes again (scratch reuse).
  LineProtocolParser parser;
  WriteBatch b1, b2;
  ParseStats s1, s2;
  ASSERT_TRUE(parser.Parse(body, kNow, &b1, &s1).ok());
  ASSERT_TRUE(parser.Parse(body, kNow, &b2, &s2).ok());
  ASSERT_EQ(b1.series_count(), b2.series_count());
  for (size_t i = 0; i < b1.series_count(); ++i)
    EXPECT_EQ(b1.EncodedLabels(b1.series()[i]), b2.EncodedLabels(b2.series()[i]));
}

TEST(LineProtocol, WarmParserAndReusedBatchAllocateNothing) {
  std::string body;
  for (int i = 0; i < 200; ++i) {
    body += "cpu,host=web-" + std::to_string(i % 5) + ",rack=r\\ 1,zone-id=a" +
            " usage_idle=97.5,procs=" + std::to_string(i) + "i,bytes=" + std::to_string(i * 7) +
            "u,ok=true,state=\"up \\\"x\\\"\",t\\ x=1 " + std::to_string(i) + "000000\n";
    body += "# comment\n\n";
  }
  LineProtocolParser parser;
  WriteBatch batch;
  ParseStats stats;
  uint64_t cold = g_allocations.load();
  ASSERT_TRUE(parser.Parse(body, kNow, &batch, &stats).ok());  // warm up
  EXPECT_GT(g_allocations.load() - cold, 0u);                  // the counter works
  ASSERT_EQ(stats.rejected_lines, 0u) << stats.first_errors[0].ToString();
  ASSERT_EQ(stats.samples, 1200u);
  batch.Clear();
  uint64_t before = g_allocations.load();
  ASSERT_TRUE(parser.Parse(body, kNow, &batch, &stats).ok());
  uint64_t allocations = g_allocations.load() - before;
  EXPECT_EQ(stats.samples, 1200u);
  EXPECT_EQ(allocations, 0u);
}

}  // namespace
}  // namespace strix::ingest
