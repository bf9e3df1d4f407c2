// Tests for the agent's line protocol codec: what Encode writes byte for byte, that Decode
// accepts and rejects what strixd does (docs/wire/line-protocol.md) with strixd's messages,
// and that Decode(Encode(p)) gives p back.
#include "agents/lineproto/lineproto.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace strix::agents::lineproto {
namespace {

Point Make(std::string m, std::vector<Tag> tags, std::vector<Field> fields, int64_t ts) {
  Point p;
  p.measurement = std::move(m);
  p.tags = std::move(tags);
  p.fields = std::move(fields);
  p.timestamp_ms = ts;
  return p;
}

std::string EncodeOne(const Point& p) {
  std::string out;
  Encode(p, &out);
  return out;
}

struct Decoded {
  std::vector<Point> points;
  DecodeStats stats;
};

Decoded DecodeText(std::string_view text, Precision precision = Precision::kNanoseconds,
                   int64_t now_ms = 777) {
  Decoded d;
  EXPECT_TRUE(Decode(text, now_ms, precision, &d.points, &d.stats).ok());
  return d;
}

// The single error of a text holding one bad line.
std::string ErrorOf(std::string_view text) {
  Decoded d = DecodeText(text);
  EXPECT_EQ(d.stats.rejected_lines, 1u) << text;
  EXPECT_TRUE(d.points.empty()) << text;
  return d.stats.first_errors.empty() ? "" : d.stats.first_errors[0];
}

// ---- Encode -----------------------------------------------------------------------------

TEST(LineprotoEncode, WritesEveryKindWithMillisecondTimestamp) {
  Point p = Make("cpu", {{"host", "web-1"}, {"cpu", "cpu0"}},
                 {{"usage", FieldValue::Gauge(97.5)},
                  {"bytes", FieldValue::Counter(18446744073709551615u)},
                  {"procs", FieldValue::Derive(-12)},
                  {"state", FieldValue::State("ok")}},
                 1700000000123);
  EXPECT_EQ(EncodeOne(p),
            "cpu,host=web-1,cpu=cpu0 usage=97.5,bytes=18446744073709551615u,procs=-12i,"
            "state=\"ok\" 1700000000123\n");
}

TEST(LineprotoEncode, Counter32IsWrittenWithTheU32SuffixAndDecodesBack) {
  Point p = Make("if", {{"ifName", "eth0"}},
                 {{"in", FieldValue::Counter32(4294967295u)}, {"out", FieldValue::Counter32(0)}},
                 1700000000123);
  const std::string text = EncodeOne(p);
  EXPECT_EQ(text, "if,ifName=eth0 in=4294967295u32,out=0u32 1700000000123\n");
  Decoded d = DecodeText(text, Precision::kMilliseconds);
  ASSERT_EQ(d.points.size(), 1u);
  EXPECT_EQ(d.points[0], p);
  EXPECT_NE(ErrorOf("if in=4294967296u32").find("below 2^32"), std::string::npos);
  EXPECT_NE(ErrorOf("if in=-1u32").find("negative"), std::string::npos);
}

TEST(LineprotoEncode, EscapesMeasurementTagsFieldKeysAndStrings) {
  Point p = Make("my meas,ure=x\\", {{"a b,c=d\\", "v a,l=u\\e"}},
                 {{"f k,e=y", FieldValue::State("say \"hi\" \\o/")}}, 5);
  EXPECT_EQ(EncodeOne(p),
            "my\\ meas\\,ure=x\\\\,a\\ b\\,c\\=d\\\\=v\\ a\\,l\\=u\\\\e "
            "f\\ k\\,e\\=y=\"say \\\"hi\\\" \\\\o/\" 5\n");
}

TEST(LineprotoEncode, FloatsAreShortestRoundTrip) {
  for (double v : {0.1, 1.0 / 3.0, 1e300, -2.5e-308, 5e-324, 123456789012345678.0, -0.0}) {
    std::string line = EncodeOne(Make("m", {}, {{"v", FieldValue::Gauge(v)}}, 0));
    Decoded d = DecodeText(line, Precision::kMilliseconds);
    ASSERT_EQ(d.points.size(), 1u) << line;
    EXPECT_EQ(d.points[0].fields[0].value.f, v) << line;
    EXPECT_EQ(std::signbit(d.points[0].fields[0].value.f), std::signbit(v)) << line;
  }
  EXPECT_EQ(EncodeOne(Make("m", {}, {{"v", FieldValue::Gauge(0.1)}}, 0)), "m v=0.1 0\n");
  EXPECT_EQ(EncodeOne(Make("m", {}, {{"v", FieldValue::Gauge(12)}}, 0)), "m v=12 0\n");
}

TEST(LineprotoEncode, NanAndInfinityFieldsAreLeftOut) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(
      EncodeOne(Make("m", {}, {{"a", FieldValue::Gauge(nan)}, {"b", FieldValue::Gauge(2)}}, 1)),
      "m b=2 1\n");
  // No field left: nothing at all.
  EXPECT_EQ(
      EncodeOne(Make("m", {}, {{"a", FieldValue::Gauge(nan)}, {"b", FieldValue::Gauge(-inf)}}, 1)),
      "");
  EXPECT_EQ(EncodeOne(Make("m", {{"t", "x"}}, {}, 1)), "");
}

TEST(LineprotoEncode, EmptyTagValuesAndEmptyKeysAreLeftOut) {
  EXPECT_EQ(EncodeOne(Make("m", {{"a", ""}, {"", "x"}, {"b", "1"}},
                           {{"", FieldValue::Gauge(1)}, {"v", FieldValue::Gauge(2)}}, 3)),
            "m,b=1 v=2 3\n");
  EXPECT_EQ(EncodeOne(Make("", {}, {{"v", FieldValue::Gauge(2)}}, 3)), "");
}

TEST(LineprotoEncode, LeadingHashOrTabInMeasurementCannotMakeAComment) {
  std::string line = EncodeOne(Make("#x", {}, {{"v", FieldValue::Gauge(1)}}, 3));
  EXPECT_EQ(line, "_x v=1 3\n");
  line = EncodeOne(Make("\tx", {}, {{"v", FieldValue::Gauge(1)}}, 3));
  EXPECT_EQ(line, "_x v=1 3\n");
  // A leading space is escaped instead and survives.
  Decoded d = DecodeText(EncodeOne(Make(" x", {}, {{"v", FieldValue::Gauge(1)}}, 3)),
                         Precision::kMilliseconds);
  ASSERT_EQ(d.points.size(), 1u);
  EXPECT_EQ(d.points[0].measurement, " x");
}

TEST(LineprotoEncode, NewlinesCannotBreakTheLine) {
  std::string line =
      EncodeOne(Make("a\nb", {{"k\ney", "v\nal"}}, {{"f\nk", FieldValue::State("two\nlines")}}, 1));
  EXPECT_EQ(line, "a_b,k_ey=v\\ al f_k=\"two lines\" 1\n");
}

TEST(LineprotoEncode, LongStringIsCutAtACharacterBoundary) {
  std::string s(kMaxStateBytes - 1, 'a');
  s += "é";  // 2 bytes: the last character would straddle the limit
  s += "zzz";
  std::string line = EncodeOne(Make("m", {}, {{"s", FieldValue::State(s)}}, 1));
  Decoded d = DecodeText(line, Precision::kMilliseconds);
  ASSERT_EQ(d.points.size(), 1u) << d.stats.first_errors[0];
  EXPECT_EQ(d.points[0].fields[0].value.s, std::string(kMaxStateBytes - 1, 'a'));
}

TEST(LineprotoEncode, MoreThanThousandFieldsAreSplitIntoLinesStrixdAccepts) {
  Point p = Make("m", {{"host", "a"}}, {}, 42);
  for (int i = 0; i < 2500; ++i)
    p.fields.push_back({"f" + std::to_string(i), FieldValue::Derive(i)});
  std::string text = EncodeOne(p);
  Decoded d = DecodeText(text, Precision::kMilliseconds);
  EXPECT_EQ(d.stats.rejected_lines, 0u);
  ASSERT_EQ(d.points.size(), 3u);
  EXPECT_EQ(d.points[0].fields.size(), kMaxFieldsPerLine);
  EXPECT_EQ(d.points[2].fields.size(), 500u);
  std::vector<Field> all;
  for (const Point& q : d.points) {
    EXPECT_EQ(q.measurement, "m");
    EXPECT_EQ(q.tags, p.tags);
    EXPECT_EQ(q.timestamp_ms, 42);
    all.insert(all.end(), q.fields.begin(), q.fields.end());
  }
  EXPECT_EQ(all, p.fields);
}

TEST(LineprotoEncode, LongLineIsSplitAndAFieldTooLongForAnyLineIsLeftOut) {
  Point p = Make("m", {}, {}, 1);
  for (int i = 0; i < 40; ++i)
    p.fields.push_back({"s" + std::to_string(i), FieldValue::State(std::string(4000, 'x'))});
  p.fields.push_back({std::string(70000, 'k'), FieldValue::Gauge(1)});  // alone > 64 KiB
  std::string text = EncodeOne(p);
  Decoded d = DecodeText(text, Precision::kMilliseconds);
  EXPECT_EQ(d.stats.rejected_lines, 0u);
  size_t fields = 0;
  for (const Point& q : d.points) fields += q.fields.size();
  EXPECT_EQ(fields, 40u);
  EXPECT_GE(d.points.size(), 3u);
}

TEST(LineprotoEncode, RoundTripThroughDecode) {
  Point p = Make("wéird, name", {{"t k", "v=1,2"}, {"z", "\\"}},
                 {{"g", FieldValue::Gauge(-1.25)},
                  {"c", FieldValue::Counter(0)},
                  {"d", FieldValue::Derive(std::numeric_limits<int64_t>::min())},
                  {"s", FieldValue::State("")},
                  {"e\\", FieldValue::State("a\\")}},
                 -5);
  Decoded d = DecodeText(EncodeOne(p), Precision::kMilliseconds);
  ASSERT_EQ(d.points.size(), 1u);
  EXPECT_EQ(d.points[0], p);
}

// ---- Decode: grammar --------------------------------------------------------------------

TEST(LineprotoDecode, ReadsEveryValueKindAndTheTimestamp) {
  Decoded d = DecodeText(
      "cpu,host=web-1,cpu=cpu0 usage_idle=97.5,procs=12i,n=9u,state=\"ok\",up=t,down=FALSE "
      "1700000000000000000\n");
  ASSERT_EQ(d.points.size(), 1u);
  const Point& p = d.points[0];
  EXPECT_EQ(p.measurement, "cpu");
  EXPECT_EQ(p.tags, (std::vector<Tag>{{"host", "web-1"}, {"cpu", "cpu0"}}));
  EXPECT_EQ(p.timestamp_ms, 1700000000000);
  ASSERT_EQ(p.fields.size(), 6u);
  EXPECT_EQ(p.fields[0], (Field{"usage_idle", FieldValue::Gauge(97.5)}));
  EXPECT_EQ(p.fields[1], (Field{"procs", FieldValue::Derive(12)}));
  EXPECT_EQ(p.fields[2], (Field{"n", FieldValue::Counter(9)}));
  EXPECT_EQ(p.fields[3], (Field{"state", FieldValue::State("ok")}));
  EXPECT_EQ(p.fields[4], (Field{"up", FieldValue::Gauge(1)}));
  EXPECT_EQ(p.fields[5], (Field{"down", FieldValue::Gauge(0)}));
  EXPECT_EQ(d.stats.lines, 1u);
  EXPECT_EQ(d.stats.points, 1u);
}

TEST(LineprotoDecode, IntegersStayExact) {
  Decoded d = DecodeText("m a=9007199254740993i,b=18446744073709551615u,c=-9223372036854775808i");
  ASSERT_EQ(d.points.size(), 1u);
  EXPECT_EQ(d.points[0].fields[0].value.i, 9007199254740993);
  EXPECT_EQ(d.points[0].fields[1].value.u, 18446744073709551615u);
  EXPECT_EQ(d.points[0].fields[2].value.i, std::numeric_limits<int64_t>::min());
}

TEST(LineprotoDecode, CommentsBlankLinesCrlfAndBlanksAreSkipped) {
  Decoded d = DecodeText("# comment\n\n  \t\r\n\t m v=1 5000000\r\n  # indented comment\nm v=2\n",
                         Precision::kNanoseconds, 99);
  ASSERT_EQ(d.points.size(), 2u);
  EXPECT_EQ(d.points[0].timestamp_ms, 5);
  EXPECT_EQ(d.points[1].timestamp_ms, 99);  // no timestamp: the default
  EXPECT_EQ(d.stats.lines, 2u);
  EXPECT_EQ(d.stats.rejected_lines, 0u);
}

TEST(LineprotoDecode, EscapesFollowTheTable) {
  Decoded d = DecodeText(
      "my\\ meas\\,ure\\=x,a\\ b\\=c=v\\\\,t=a\\b s=\"say \\\"hi\\\" \\\\o/\",f\\,k=1\n");
  ASSERT_EQ(d.points.size(), 1u) << d.stats.first_errors[0];
  const Point& p = d.points[0];
  EXPECT_EQ(p.measurement, "my meas,ure\\=x");  // \= is not an escape in a measurement
  EXPECT_EQ(p.tags, (std::vector<Tag>{{"a b=c", "v\\"}, {"t", "a\\b"}}));
  EXPECT_EQ(p.fields[0].value.s, "say \"hi\" \\o/");
  EXPECT_EQ(p.fields[1].key, "f,k");
}

TEST(LineprotoDecode, BackslashNInStringIsTwoBytes) {
  Decoded d = DecodeText("m s=\"a\\nb\"");
  ASSERT_EQ(d.points.size(), 1u);
  EXPECT_EQ(d.points[0].fields[0].value.s, "a\\nb");
}

TEST(LineprotoDecode, EmptyTagValueIsDroppedAndUnescapedEqualsKept) {
  Decoded d = DecodeText("m,host=,a=b=c v=1");
  ASSERT_EQ(d.points.size(), 1u);
  EXPECT_EQ(d.points[0].tags, (std::vector<Tag>{{"a", "b=c"}}));
}

TEST(LineprotoDecode, PrecisionsConvertAndFloorToMilliseconds) {
  struct Case {
    Precision p;
    const char* ts;
    int64_t ms;
  } cases[] = {
      {Precision::kNanoseconds, "-1", -1},  {Precision::kNanoseconds, "1999999", 1},
      {Precision::kMicroseconds, "-1", -1}, {Precision::kMicroseconds, "2500", 2},
      {Precision::kMilliseconds, "-7", -7}, {Precision::kSeconds, "3", 3000},
      {Precision::kMinutes, "2", 120000},   {Precision::kHours, "1", 3600000},
  };
  for (const Case& c : cases) {
    Decoded d = DecodeText(std::string("m v=1 ") + c.ts, c.p);
    ASSERT_EQ(d.points.size(), 1u) << c.ts;
    EXPECT_EQ(d.points[0].timestamp_ms, c.ms) << PrecisionName(c.p) << " " << c.ts;
  }
}

TEST(LineprotoDecode, BadLineIsSkippedCountedAndNamedWithGoodLinesAround) {
  Decoded d = DecodeText("m v=1\nm v=oops\n\nm v=3\n");
  ASSERT_EQ(d.points.size(), 2u);
  EXPECT_EQ(d.stats.lines, 3u);
  EXPECT_EQ(d.stats.rejected_lines, 1u);
  ASSERT_EQ(d.stats.first_errors.size(), 1u);
  EXPECT_EQ(d.stats.first_errors[0],
            "line 2, column 5: invalid field value: expected a number, a quoted string, a "
            "boolean, or an integer with an i or u suffix");
}

TEST(LineprotoDecode, KeepsOnlyTheFirstTenErrorsButCountsAll) {
  std::string text;
  for (int i = 0; i < 25; ++i) text += "bad\n";
  Decoded d = DecodeText(text);
  EXPECT_EQ(d.stats.rejected_lines, 25u);
  EXPECT_EQ(d.stats.first_errors.size(), kMaxErrorsKept);
}

TEST(LineprotoDecode, UnknownPrecisionValueFailsTheCall) {
  std::vector<Point> out;
  DecodeStats stats;
  Status s = Decode("m v=1", 0, static_cast<Precision>(17), &out, &stats);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(out.empty());
}

TEST(LineprotoPrecision, AcceptsInfluxNamesOnly) {
  EXPECT_EQ(*ParsePrecision(""), Precision::kNanoseconds);
  EXPECT_EQ(*ParsePrecision("n"), Precision::kNanoseconds);
  EXPECT_EQ(*ParsePrecision("us"), Precision::kMicroseconds);
  EXPECT_EQ(*ParsePrecision("ms"), Precision::kMilliseconds);
  EXPECT_EQ(*ParsePrecision("s"), Precision::kSeconds);
  EXPECT_EQ(*ParsePrecision("m"), Precision::kMinutes);
  EXPECT_EQ(*ParsePrecision("h"), Precision::kHours);
  Result<Precision> bad = ParsePrecision("MS");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "unknown precision \"MS\": expected ns, us, ms or s (or n, u, m, h)");
}

// ---- Decode: every error of docs/wire/line-protocol.md ---------------------------------

TEST(LineprotoDecodeErrors, StructureErrors) {
  EXPECT_EQ(ErrorOf(",t=1 v=1"),
            "line 1, column 1: missing measurement: a line must start with its name");
  EXPECT_EQ(ErrorOf("m"), "line 1, column 2: missing fields: expected a space, then field=value");
  EXPECT_EQ(ErrorOf("m,t=1"),
            "line 1, column 6: missing fields: expected a space, then field=value");
  EXPECT_EQ(ErrorOf("m, v=1"), "line 1, column 3: invalid tag: expected tag=value after ','");
  EXPECT_EQ(ErrorOf("m,t v=1"), "line 1, column 3: invalid tag: expected '=' after the tag key");
  EXPECT_EQ(ErrorOf("m,=x v=1"), "line 1, column 3: empty tag key");
  EXPECT_EQ(ErrorOf("m v=1,"), "line 1, column 7: invalid field: expected field=value");
  EXPECT_EQ(ErrorOf("m v=1,,w=2"), "line 1, column 7: invalid field: expected field=value");
  EXPECT_EQ(ErrorOf("m v"), "line 1, column 3: invalid field: expected '=' after the field key");
  EXPECT_EQ(ErrorOf("m =1"), "line 1, column 3: empty field key");
  EXPECT_EQ(ErrorOf("m v=1 12x"),
            "line 1, column 7: invalid timestamp: expected an integer (ns since the epoch)");
  EXPECT_EQ(ErrorOf("m v=1 12 13"), "line 1, column 10: unexpected text after the timestamp");
}

TEST(LineprotoDecodeErrors, ValueErrors) {
  EXPECT_EQ(ErrorOf("m v=nan"),
            "line 1, column 5: invalid field value: NaN and infinity are not accepted");
  EXPECT_EQ(ErrorOf("m v=-Infinity"),
            "line 1, column 5: invalid field value: NaN and infinity are not accepted");
  EXPECT_EQ(ErrorOf("m v=1e400"),
            "line 1, column 5: float field value out of range: its magnitude exceeds the "
            "largest double (about 1.8e308)");
  EXPECT_EQ(ErrorOf("m v=9223372036854775808i"),
            "line 1, column 5: integer field value out of range: an i value must fit in a "
            "signed 64-bit integer");
  EXPECT_EQ(ErrorOf("m v=18446744073709551616u"),
            "line 1, column 5: unsigned field value out of range: a u value must fit in an "
            "unsigned 64-bit integer");
  EXPECT_EQ(ErrorOf("m v=-1u"),
            "line 1, column 5: unsigned field value is negative: a u value must be >= 0");
  EXPECT_EQ(ErrorOf("m v=\"abc"),
            "line 1, column 5: unterminated string field value: expected a closing double quote");
  EXPECT_EQ(ErrorOf("m v=\"abc\"x"),
            "line 1, column 10: unexpected text after a string field value: expected ',', a "
            "space or the end of the line");
  EXPECT_EQ(ErrorOf("m v=tru"),
            "line 1, column 5: invalid field value: expected a number, a quoted string, a "
            "boolean, or an integer with an i or u suffix");
  EXPECT_EQ(ErrorOf("m v=1.5i"),
            "line 1, column 5: invalid field value: expected a number, a quoted string, a "
            "boolean, or an integer with an i or u suffix");
  EXPECT_EQ(ErrorOf("m v=1 9223372036854775808"),
            "line 1, column 7: timestamp out of range: it must fit in a signed 64-bit integer");
  Decoded d = DecodeText("m v=1 9223372036854776", Precision::kSeconds);
  ASSERT_EQ(d.stats.first_errors.size(), 1u);
  EXPECT_EQ(d.stats.first_errors[0],
            "line 1, column 7: timestamp out of range: 9223372036854776 s does not fit in a "
            "signed 64-bit number of milliseconds");
  // A tiny float becomes 0.
  d = DecodeText("m v=1e-400");
  ASSERT_EQ(d.points.size(), 1u);
  EXPECT_EQ(d.points[0].fields[0].value.f, 0.0);
}

TEST(LineprotoDecodeErrors, Utf8AndNames) {
  EXPECT_EQ(ErrorOf("m\xff v=1"), "line 1, column 1: measurement is not valid UTF-8");
  EXPECT_EQ(ErrorOf("m,k\xc0\x80=v v=1"), "line 1, column 3: tag key is not valid UTF-8");
  EXPECT_EQ(ErrorOf("m,k=\xed\xa0\x80 v=1"), "line 1, column 5: tag value is not valid UTF-8");
  EXPECT_EQ(ErrorOf("m \xfe=1"), "line 1, column 3: field key is not valid UTF-8");
  EXPECT_EQ(ErrorOf("m s=\"\xf4\x90\x80\x80\""),
            "line 1, column 5: string field value is not valid UTF-8");
  EXPECT_EQ(ErrorOf("m,__name__=x v=1"),
            "line 1, column 3: tag key __name__ is reserved for the metric name");
  EXPECT_EQ(ErrorOf("m,__name-_=x v=1"),
            "line 1, column 3: tag key __name__ is reserved for the metric name");
  EXPECT_EQ(ErrorOf("m,a-b=1,a_b=2 v=1"),
            "line 1, column 9: duplicate tag key \"a_b\" (after replacing characters)");
  // The same key with an empty value first is no duplicate: the empty tag is dropped.
  EXPECT_EQ(DecodeText("m,a=,a=2 v=1").points.size(), 1u);
}

TEST(LineprotoDecodeErrors, Limits) {
  std::string line = "m v=\"" + std::string(kMaxLineBytes, 'x') + "\"";
  EXPECT_EQ(ErrorOf(line), "line 1, column 65537: line too long: 65542 bytes (limit 65536)");

  std::string fields = "m ";
  for (size_t i = 0; i <= kMaxFieldsPerLine; ++i)
    fields += (i ? ",f" : "f") + std::to_string(i) + "=1";
  EXPECT_EQ(ErrorOf(fields), "line 1, column 6893: too many fields: more than 1000");
  fields.resize(fields.rfind(','));  // exactly 1000: accepted
  EXPECT_EQ(DecodeText(fields).points.size(), 1u);

  std::string tags = "m";
  for (size_t i = 0; i <= kMaxTags; ++i) tags += ",t" + std::to_string(i) + "=v";
  EXPECT_NE(ErrorOf(tags + " v=1").find("too many tags: more than 63"), std::string::npos);
  tags.resize(tags.rfind(','));
  EXPECT_EQ(DecodeText(tags + " v=1").points.size(), 1u);

  EXPECT_EQ(ErrorOf("m," + std::string(129, 'k') + "=v v=1"),
            "line 1, column 3: tag key too long: 129 bytes (limit 128)");
  EXPECT_EQ(DecodeText("m," + std::string(128, 'k') + "=v v=1").points.size(), 1u);
  EXPECT_EQ(ErrorOf("m,k=" + std::string(4097, 'v') + " v=1"),
            "line 1, column 5: tag value too long: 4097 bytes (limit 4096)");
  EXPECT_EQ(ErrorOf(std::string(4095, 'm') + " v=1"),
            "line 1, column 1: measurement too long: 4095 bytes (the metric name is limited to "
            "4096)");
  EXPECT_EQ(ErrorOf(std::string(4000, 'm') + " " + std::string(96, 'k') + "=1"),
            "line 1, column 4002: metric name too long: 4097 bytes (limit 4096)");
  EXPECT_EQ(DecodeText(std::string(4000, 'm') + " " + std::string(95, 'k') + "=1").points.size(),
            1u);
  std::string big = "m";
  for (int i = 0; i < 4; ++i) big += ",k" + std::to_string(i) + "=" + std::string(4096, 'v');
  // 4 x (1 + 2 + 2 + 4096) for the tags, 1 + 8 + 1 + 3 for __name__="m_v".
  EXPECT_EQ(ErrorOf(big + " v=1"),
            "line 1, column 16403: labels too large: 16417 encoded bytes (limit 16384)");
  EXPECT_EQ(ErrorOf("m s=\"" + std::string(4097, 's') + "\""),
            "line 1, column 5: string field value too long: 4097 bytes (limit 4096)");
  EXPECT_EQ(DecodeText("m s=\"" + std::string(4096, 's') + "\"").points.size(), 1u);
}

TEST(LineprotoDecodeErrors, ColumnsCountLeadingBlanks) {
  EXPECT_EQ(ErrorOf("  m v=x"),
            "line 1, column 7: invalid field value: expected a number, a quoted string, a "
            "boolean, or an integer with an i or u suffix");
}

// ---- Name sanitising --------------------------------------------------------------------

TEST(LineprotoSanitize, FollowsTheDocTable) {
  EXPECT_EQ(SanitizeMetricName("cpu-load"), "cpu_load");
  EXPECT_EQ(SanitizeLabelName("host-name"), "host_name");
  EXPECT_EQ(SanitizeMetricName("1wire"), "_1wire");
  EXPECT_EQ(SanitizeLabelName("2nd"), "_2nd");
  EXPECT_EQ(SanitizeMetricName("température"), "temp_rature");
  EXPECT_EQ(SanitizeMetricName("k8s:pods"), "k8s:pods");
  EXPECT_EQ(SanitizeLabelName("a:b"), "a_b");
  EXPECT_EQ(SanitizeMetricName("a..b"), "a__b");      // runs are not collapsed
  EXPECT_EQ(SanitizeMetricName("a\xff\xfe"), "a__");  // invalid bytes: one '_' each
  EXPECT_EQ(SanitizeMetricName(""), "");
}

TEST(LineprotoUtf8, RejectsOverlongsSurrogatesAndTruncation) {
  EXPECT_TRUE(IsValidUtf8("héllo \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));
}

}  // namespace
}  // namespace strix::agents::lineproto
