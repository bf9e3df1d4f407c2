// Appender: the open chunk is decodable after every sample, out-of-order samples are
// rejected, float series move between decimal exponents and XOR without losing a bit,
// the object stays small and memory grows tightly.
#include "storage/chunk/appender.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/coding.h"
#include "storage/chunk/decoder.h"
#include "storage/chunk/encoder.h"
#include "storage/chunk/testing/series.h"

namespace strix::storage::chunk {
namespace {

using testing::MakeSeries;
using testing::Series;
using testing::Shape;

NumericValue F(double f) {
  NumericValue v;
  v.f = f;
  return v;
}
NumericValue U(uint64_t u) {
  NumericValue v;
  v.u = u;
  return v;
}

// Every prefix of the appender's chunk decodes to the samples appended so far.
void ExpectPrefixDecodes(const Appender& app, const Series& s, size_t n) {
  std::vector<Timestamp> ts;
  std::vector<NumericValue> vals;
  Status st = DecodeNumeric(app.bytes(), &ts, &vals);
  ASSERT_TRUE(st.ok()) << st.ToString() << " after " << n << " samples";
  ASSERT_EQ(ts.size(), n);
  for (size_t i = 0; i < n; ++i) {
    ASSERT_EQ(ts[i], s.ts[i]) << i;
    ASSERT_EQ(vals[i].u, s.values[i].u) << i << ": " << vals[i].f << " vs " << s.values[i].f;
  }
}

TEST(Appender, ObjectIsAtMost48Bytes) { EXPECT_LE(sizeof(Appender), 48u); }

TEST(Appender, EmptyAppenderHasNoBytes) {
  Appender app(ValueKind::kGauge);
  EXPECT_TRUE(app.bytes().empty());
  EXPECT_EQ(app.count(), 0u);
  EXPECT_EQ(app.MemoryUsage(), sizeof(Appender));
}

TEST(Appender, ChunkDecodesAfterEverySample) {
  for (Shape shape : {Shape::kWalk2, Shape::kCounter, Shape::kFloat, Shape::kSpiky}) {
    SCOPED_TRACE(testing::ShapeName(shape));
    const Series s = MakeSeries(shape, 300, 5, 3);
    Appender app(testing::ShapeKind(shape));
    for (size_t i = 0; i < s.size(); ++i) {
      ASSERT_TRUE(app.Append(s.ts[i], s.values[i]).ok());
      ASSERT_EQ(app.count(), i + 1);
      ASSERT_EQ(app.last_timestamp(), s.ts[i]);
      ExpectPrefixDecodes(app, s, i + 1);
    }
    EXPECT_EQ(app.first_timestamp(), s.ts[0]);
    auto h = ParseHeader(app.bytes());
    ASSERT_TRUE(h.ok());
    EXPECT_TRUE(h->open);
  }
}

TEST(Appender, RejectsOutOfOrderAndDuplicateTimestamps) {
  Appender app(ValueKind::kCounter64);
  ASSERT_TRUE(app.Append(1000, U(1)).ok());
  ASSERT_TRUE(app.Append(2000, U(2)).ok());
  const std::string before(app.bytes());
  EXPECT_EQ(app.Append(2000, U(3)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(app.Append(1500, U(3)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(app.Append(-5, U(3)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(app.bytes()), before);
  EXPECT_EQ(app.count(), 2u);
  EXPECT_TRUE(app.Append(2001, U(3)).ok());
}

TEST(Appender, RejectsValuesOfTheWrongShape) {
  Appender num(ValueKind::kGauge);
  EXPECT_EQ(num.AppendState(1, "up").code(), StatusCode::kInvalidArgument);
  Appender st(ValueKind::kState);
  EXPECT_EQ(st.Append(1, F(1.0)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.AppendState(1, std::string(kMaxStateBytes + 1, 'x')).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(st.AppendState(1, std::string(kMaxStateBytes, 'x')).ok());
  EXPECT_EQ(st.AppendState(1, "dup").code(), StatusCode::kInvalidArgument);
}

TEST(Appender, FullChunkIsResourceExhausted) {
  Appender app(ValueKind::kDerive);
  for (uint32_t i = 0; i < kMaxSamples; ++i) {
    ASSERT_TRUE(app.Append(i, U(i * 3)).ok()) << i;
  }
  EXPECT_EQ(app.Append(kMaxSamples, U(0)).code(), StatusCode::kResourceExhausted);
  Series s;
  for (uint32_t i = 0; i < kMaxSamples; ++i) s.AddU(i, i * 3);
  ExpectPrefixDecodes(app, s, kMaxSamples);
}

TEST(Appender, DecimalExponentGrowsAndFallsBackToXor) {
  Series s;
  const double values[] = {3.0, 4.0, 4.5, 4.25, 4.125, 1e-9, 7.0, -0.0, 7.5, NAN, 1.0};
  Appender app(ValueKind::kGauge);
  Timestamp t = 1000;
  for (double v : values) {
    s.Add(t, v);
    ASSERT_TRUE(app.Append(t, F(v)).ok());
    ExpectPrefixDecodes(app, s, s.size());
    t += 10000;
    if (v == 4.125) {
      EXPECT_EQ(app.encoding(), Encoding::kDecimal);
    }
  }
  EXPECT_EQ(app.encoding(), Encoding::kXor);  // -0.0 and NaN are not decimal
}

TEST(Appender, MantissaOverflowFallsBackToXor) {
  Appender app(ValueKind::kGauge);
  Series s;
  s.Add(1, 9e15);
  s.Add(2, 0.5);  // 9e15 * 10 no longer fits a mantissa exactly
  for (size_t i = 0; i < s.size(); ++i) ASSERT_TRUE(app.Append(s.ts[i], s.values[i]).ok());
  ExpectPrefixDecodes(app, s, 2);
}

TEST(Appender, CounterWrapsResetsAndExtremesAreExact) {
  Series s;
  const uint64_t vals[] = {0xfffffff0u, 0xfffffffeu, 5, 40, 0, std::numeric_limits<uint64_t>::max(),
                           0,           1ull << 63,  12};
  Timestamp t = std::numeric_limits<Timestamp>::min();
  for (uint64_t v : vals) {
    s.AddU(t, v);
    t += int64_t{1} << 60;  // gaps that overflow a signed delta of delta
  }
  for (ValueKind k : {ValueKind::kCounter32, ValueKind::kCounter64, ValueKind::kDerive}) {
    Appender app(k);
    for (size_t i = 0; i < s.size(); ++i) ASSERT_TRUE(app.Append(s.ts[i], s.values[i]).ok());
    ExpectPrefixDecodes(app, s, s.size());
  }
}

TEST(Appender, ResealsToTheOneShotEncoding) {
  for (Shape shape : {Shape::kWalk2, Shape::kByteGauge, Shape::kCounter, Shape::kConstant,
                      Shape::kSpiky, Shape::kFloat}) {
    const Series s = MakeSeries(shape, 240, 77, 1);
    Appender app(testing::ShapeKind(shape));
    for (size_t i = 0; i < s.size(); ++i) ASSERT_TRUE(app.Append(s.ts[i], s.values[i]).ok());
    std::string sealed, oneshot;
    ASSERT_TRUE(Reencode(app.bytes(), &sealed).ok());
    ASSERT_TRUE(Encode(testing::ShapeKind(shape), s.ts, s.values, &oneshot).ok());
    EXPECT_EQ(sealed, oneshot) << testing::ShapeName(shape);
    EXPECT_LE(sealed.size(), app.bytes().size()) << testing::ShapeName(shape);
  }
}

TEST(Appender, TuningPicksNarrowerTimestampBuckets) {
  // Timestamps jittering by +-2 ms: delta-of-delta within +-8, 5 bits after zigzag, so
  // the default 7-bit bucket is too wide and the tuned scheme re-encodes smaller.
  const Series s = MakeSeries(Shape::kWalk2, 120, 9, 2);
  Appender app(ValueKind::kGauge);
  std::string before;
  for (size_t i = 0; i < s.size(); ++i) {
    ASSERT_TRUE(app.Append(s.ts[i], s.values[i]).ok());
    if (i + 2 == Appender::kTuneSamples) before = std::string(app.bytes());
    if (i + 1 == Appender::kTuneSamples) {
      const std::string after(app.bytes());
      EXPECT_NE(after.substr(kOpenTsWidthsOffset, 4), before.substr(kOpenTsWidthsOffset, 4));
      EXPECT_LE(after.size(), before.size());
    }
  }
  ExpectPrefixDecodes(app, s, s.size());
}

TEST(Appender, DivisorsShrinkWhenAStepNoLongerDivides) {
  // Whole-KiB memory gauge with second-resolution timestamps: after tuning both streams
  // use a divisor; then a timestamp and a value that break them re-encode correctly.
  Series s;
  testing::Rng rng(6);
  int64_t bytes = int64_t{8} << 30;
  Timestamp t = 1700000000000;
  for (int i = 0; i < 100; ++i) {
    s.Add(t, static_cast<double>(bytes));
    bytes += rng.Range(-8, 8) * 1024;
    t += 10000 + rng.Range(-1, 1) * 1000;
  }
  Appender app(ValueKind::kGauge);
  for (size_t i = 0; i < s.size(); ++i) ASSERT_TRUE(app.Append(s.ts[i], s.values[i]).ok());
  const std::string tuned(app.bytes());
  EXPECT_GT(DecodeFixed32(tuned.data() + kOpenTsDivisorOffset), 1u);
  EXPECT_GE(DecodeFixed32(tuned.data() + kOpenValueDivisorOffset), 1024u);
  // Without divisors: ~14 timestamp and ~17 value bits a sample (3.9 bytes); with them
  // 5 and 7 bits, plus the header and start-up residuals over 100 samples.
  EXPECT_LT(static_cast<double>(tuned.size()) / 100, 2.0);
  s.Add(t + 7, static_cast<double>(bytes + 3));  // divides neither
  ASSERT_TRUE(app.Append(s.ts.back(), s.values.back()).ok());
  EXPECT_EQ(DecodeFixed32(app.bytes().data() + kOpenTsDivisorOffset), 1u);
  EXPECT_EQ(DecodeFixed32(app.bytes().data() + kOpenValueDivisorOffset), 1u);
  ExpectPrefixDecodes(app, s, s.size());
  std::string sealed, oneshot;
  ASSERT_TRUE(Reencode(app.bytes(), &sealed).ok());
  ASSERT_TRUE(Encode(ValueKind::kGauge, s.ts, s.values, &oneshot).ok());
  EXPECT_EQ(sealed, oneshot);
}

TEST(Appender, StateTimestampDivisorShrinks) {
  Appender app(ValueKind::kState);
  std::vector<Timestamp> ts;
  for (int i = 0; i < 40; ++i) ts.push_back(1000 * i * 10 + (i % 3) * 1000);
  ts.push_back(ts.back() + 10001);
  for (size_t i = 0; i < ts.size(); ++i)
    ASSERT_TRUE(app.AppendState(ts[i], i % 5 ? "up" : "down").ok());
  std::vector<Timestamp> got;
  std::vector<std::string_view> vs;
  ASSERT_TRUE(DecodeState(app.bytes(), &got, &vs).ok());
  EXPECT_EQ(got, ts);
  for (size_t i = 0; i < ts.size(); ++i) EXPECT_EQ(vs[i], i % 5 ? "up" : "down");
}

TEST(Appender, MemoryStaysTight) {
  // 120 samples of a 2-decimal walk: chunk bytes plus at most 25% growth slack, 16-byte
  // rounding and the 8 bytes the bit writer needs, plus the object.
  const Series s = MakeSeries(Shape::kWalk2, 120, 3);
  Appender app(ValueKind::kGauge);
  for (size_t i = 0; i < s.size(); ++i) ASSERT_TRUE(app.Append(s.ts[i], s.values[i]).ok());
  const size_t bytes = app.bytes().size();
  EXPECT_LE(app.MemoryUsage(), sizeof(Appender) + bytes * 5 / 4 + 16 + 8 + 144 / 8 + 1);
  EXPECT_LE(app.MemoryUsage(), 256u) << "a 2-decimal walk of 120 samples fits 256 bytes";
  app.ShrinkToFit();
  EXPECT_EQ(app.MemoryUsage(), sizeof(Appender) + bytes + 8);
  ExpectPrefixDecodes(app, s, s.size());
  // Appending after a shrink still works.
  ASSERT_TRUE(app.Append(s.ts.back() + 10000, F(1.5)).ok());
}

TEST(Appender, MoveTransfersTheChunk) {
  Appender a(ValueKind::kCounter64);
  ASSERT_TRUE(a.Append(1, U(10)).ok());
  ASSERT_TRUE(a.Append(2, U(20)).ok());
  const std::string bytes(a.bytes());
  Appender b(std::move(a));
  EXPECT_EQ(std::string(b.bytes()), bytes);
  EXPECT_TRUE(a.bytes().empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  Appender c(ValueKind::kGauge);
  c = std::move(b);
  EXPECT_EQ(std::string(c.bytes()), bytes);
  ASSERT_TRUE(c.Append(3, U(30)).ok());
  EXPECT_EQ(c.count(), 3u);
}

TEST(Appender, ResetForgetsSamples) {
  Appender app(ValueKind::kGauge);
  ASSERT_TRUE(app.Append(5, F(1)).ok());
  app.Reset();
  EXPECT_EQ(app.count(), 0u);
  EXPECT_TRUE(app.bytes().empty());
  ASSERT_TRUE(app.Append(1, F(2)).ok());  // earlier timestamps are fine after a reset
  EXPECT_EQ(app.first_timestamp(), 1);
}

TEST(Appender, StateFlappingUsesTheBackReference) {
  Appender flap(ValueKind::kState), fresh(ValueKind::kState);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(flap.AppendState(i * 10000, i % 2 ? "down" : "up").ok());
    ASSERT_TRUE(fresh.AppendState(i * 10000, "state-" + std::to_string(i)).ok());
  }
  // Flapping between two strings costs bits, not repeated strings.
  EXPECT_LT(flap.bytes().size(), 24u + 200 * 3 / 8 + 16);
  std::vector<Timestamp> ts;
  std::vector<std::string_view> vs;
  ASSERT_TRUE(DecodeState(flap.bytes(), &ts, &vs).ok());
  ASSERT_EQ(vs.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(vs[i], i % 2 ? "down" : "up");
  ts.clear();
  vs.clear();
  ASSERT_TRUE(DecodeState(fresh.bytes(), &ts, &vs).ok());
  for (int i = 0; i < 200; ++i) EXPECT_EQ(vs[i], "state-" + std::to_string(i));
}

TEST(Appender, StateValueViewingItsOwnBufferIsSafe) {
  Appender app(ValueKind::kState);
  ASSERT_TRUE(app.AppendState(1, std::string(100, 'a')).ok());
  for (int i = 2; i < 100; ++i) {
    Iterator it(app.bytes());
    ASSERT_TRUE(it.Next());
    const std::string_view own = it.state();  // points into the appender's buffer
    ASSERT_TRUE(app.AppendState(i, i % 2 ? std::string_view("b") : own.substr(0, 50)).ok());
  }
  std::vector<Timestamp> ts;
  std::vector<std::string_view> vs;
  ASSERT_TRUE(DecodeState(app.bytes(), &ts, &vs).ok());
  ASSERT_EQ(vs.size(), 99u);
  EXPECT_EQ(vs[1], std::string(50, 'a'));
  EXPECT_EQ(vs[2], "b");
}

}  // namespace
}  // namespace strix::storage::chunk
