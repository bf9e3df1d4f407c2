// One-shot encoder + decoder: round trips of every kind and edge value, the choice of
// encoding, compression targets, Seek and bulk decoding.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "storage/chunk/appender.h"
#include "storage/chunk/decoder.h"
#include "storage/chunk/encoder.h"
#include "storage/chunk/format.h"
#include "storage/chunk/testing/series.h"

namespace strix::storage::chunk {
namespace {

using testing::MakeSeries;
using testing::Rng;
using testing::Series;
using testing::Shape;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();

std::string MustEncode(ValueKind kind, const Series& s, const EncodeOptions& o = {}) {
  std::string out;
  Status st = Encode(kind, s.ts, s.values, &out, o);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

// Decodes `chunk` three ways (bulk, iterator, batch decoder with odd batch sizes) and
// checks each against the samples, bit for bit.
void ExpectDecodesTo(std::string_view chunk, const Series& s) {
  std::vector<Timestamp> ts;
  std::vector<NumericValue> vals;
  Status st = DecodeNumeric(chunk, &ts, &vals);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(ts.size(), s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    ASSERT_EQ(ts[i], s.ts[i]) << "sample " << i;
    ASSERT_EQ(vals[i].u, s.values[i].u)
        << "sample " << i << " " << vals[i].f << " vs " << s.values[i].f;
  }
  Iterator it(chunk);
  size_t i = 0;
  while (it.Next()) {
    ASSERT_LT(i, s.size());
    ASSERT_EQ(it.timestamp(), s.ts[i]);
    ASSERT_EQ(it.value().u, s.values[i].u);
    ++i;
  }
  ASSERT_TRUE(it.status().ok()) << it.status().ToString();
  ASSERT_EQ(i, s.size());
  BatchDecoder d;
  ASSERT_TRUE(d.Init(chunk).ok());
  Timestamp t[7];
  NumericValue v[7];
  i = 0;
  while (size_t n = d.Decode(t, v, 1 + i % 7)) {
    for (size_t j = 0; j < n; ++j, ++i) {
      ASSERT_EQ(t[j], s.ts[i]);
      ASSERT_EQ(v[j].u, s.values[i].u);
    }
  }
  ASSERT_TRUE(d.status().ok()) << d.status().ToString();
  ASSERT_EQ(i, s.size());
}

// Sealed round trip, open (appender) round trip, and appender -> Reencode == Encode.
void ExpectRoundTrip(ValueKind kind, const Series& s) {
  const std::string sealed = MustEncode(kind, s);
  ExpectDecodesTo(sealed, s);
  auto h = ParseHeader(sealed);
  ASSERT_TRUE(h.ok());
  EXPECT_FALSE(h->open);
  EXPECT_EQ(h->count, s.size());
  EXPECT_EQ(h->first_ts, s.ts.front());
  EXPECT_EQ(h->last_ts, s.ts.back());
  EXPECT_EQ(h->kind, kind);

  Appender app(kind);
  for (size_t i = 0; i < s.size(); ++i) ASSERT_TRUE(app.Append(s.ts[i], s.values[i]).ok());
  ExpectDecodesTo(app.bytes(), s);
  std::string resealed;
  ASSERT_TRUE(Reencode(app.bytes(), &resealed).ok());
  EXPECT_EQ(resealed, sealed) << "appender then Reencode differs from one-shot Encode";
}

Series FromDoubles(const std::vector<double>& v, Timestamp start = 1000, int64_t step = 10000) {
  Series s;
  for (size_t i = 0; i < v.size(); ++i) s.Add(start + static_cast<int64_t>(i) * step, v[i]);
  return s;
}
Series FromInts(const std::vector<uint64_t>& v, Timestamp start = 1000, int64_t step = 10000) {
  Series s;
  for (size_t i = 0; i < v.size(); ++i) s.AddU(start + static_cast<int64_t>(i) * step, v[i]);
  return s;
}

Encoding EncodingOf(std::string_view chunk) {
  auto h = ParseHeader(chunk);
  EXPECT_TRUE(h.ok());
  return h.ok() ? h->encoding : Encoding::kInt;
}

TEST(ChunkRoundTrip, EveryShapeAndLengthRoundTrips) {
  for (Shape shape : {Shape::kWalk2, Shape::kByteGauge, Shape::kCounter, Shape::kConstant,
                      Shape::kSpiky, Shape::kFloat}) {
    for (size_t n : {1, 2, 3, 5, 64, 120, 129, 720, 2000}) {
      SCOPED_TRACE(std::string(testing::ShapeName(shape)) + " n=" + std::to_string(n));
      ExpectRoundTrip(testing::ShapeKind(shape), MakeSeries(shape, n, n * 31 + 7, n % 2 ? 5 : 0));
    }
  }
}

TEST(ChunkRoundTrip, SpecialFloatsRoundTripBitExactly) {
  const double denorm = std::numeric_limits<double>::denorm_min();
  double neg_nan;
  const uint64_t neg_nan_bits = 0xfff8000000000123ull;  // a NaN with sign and payload
  std::memcpy(&neg_nan, &neg_nan_bits, 8);
  const Series s = FromDoubles(
      {0.0, -0.0, std::nan(""), neg_nan, kInf, -kInf, denorm, -denorm,
       std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(),
       std::numeric_limits<double>::min(), 1.0 / 3.0, 0.1, 1e300, -1e-300, 0.0, 0.0, -0.0});
  ExpectRoundTrip(ValueKind::kGauge, s);
  ExpectRoundTrip(ValueKind::kAbsolute, s);
  EXPECT_EQ(EncodingOf(MustEncode(ValueKind::kGauge, s)), Encoding::kXor);
}

TEST(ChunkRoundTrip, NegativeZeroIsNotDecimal) {
  // -0.0 would decode as +0.0 through a mantissa; the chunk must fall back to XOR.
  const Series s = FromDoubles({1.5, -0.0, 2.25});
  const std::string c = MustEncode(ValueKind::kGauge, s);
  EXPECT_EQ(EncodingOf(c), Encoding::kXor);
  ExpectRoundTrip(ValueKind::kGauge, s);
}

TEST(ChunkRoundTrip, DecimalEdgeValues) {
  ExpectRoundTrip(ValueKind::kGauge, FromDoubles({0.1, 0.2, 0.3, 1e-22, 123456789.123}));
  ExpectRoundTrip(ValueKind::kGauge, FromDoubles({9007199254740992.0, -9007199254740992.0}));
  ExpectRoundTrip(ValueKind::kGauge, FromDoubles({8.9e18, -8.9e18, 0.0}));
  ExpectRoundTrip(ValueKind::kGauge, FromDoubles({1e-5, 2e-5, 1.23456789012345e-7}));
  const std::string c = MustEncode(ValueKind::kGauge, FromDoubles({0.1, 0.2, 0.3, 0.25}));
  EXPECT_EQ(EncodingOf(c), Encoding::kDecimal);
}

TEST(ChunkRoundTrip, Int64ExtremesRoundTrip) {
  std::vector<uint64_t> v;
  for (int64_t x : {kI64Min, kI64Max, int64_t{0}, int64_t{-1}, kI64Min, kI64Min + 1, kI64Max,
                    int64_t{1}, kI64Max - 1})
    v.push_back(static_cast<uint64_t>(x));
  ExpectRoundTrip(ValueKind::kDerive, FromInts(v));
  ExpectRoundTrip(ValueKind::kCounter64, FromInts({0, kU64Max, 0, kU64Max, 1, kU64Max - 1}));
}

TEST(ChunkRoundTrip, CounterWrapsAndResetsAreExact) {
  std::vector<uint64_t> c32, c64;
  uint64_t a = 0xffffff00u, b = kU64Max - 5000;
  for (int i = 0; i < 300; ++i) {
    c32.push_back(a);
    c64.push_back(b);
    a = (a + 37) & 0xffffffffu;  // wraps at 2^32
    b += 41;                     // wraps at 2^64
    if (i == 150) a = b = 3;     // device reboot
  }
  ExpectRoundTrip(ValueKind::kCounter32, FromInts(c32));
  ExpectRoundTrip(ValueKind::kCounter64, FromInts(c64));
  // Values above 2^53 that a float would round.
  ExpectRoundTrip(ValueKind::kCounter64,
                  FromInts({(1ull << 53) + 1, (1ull << 53) + 3, (1ull << 63) + 7, kU64Max}));
}

TEST(ChunkRoundTrip, IrregularHugeAndNegativeTimestamps) {
  Series s;
  Timestamp t = -5'000'000'000'000;
  Rng rng(5);
  for (int i = 0; i < 500; ++i) {
    s.Add(t, static_cast<double>(i % 17) / 4);
    const uint64_t kind = rng.Below(10);
    t += kind == 0   ? rng.Range(1, 3)
         : kind == 1 ? rng.Range(1, int64_t{1} << 40)
                     : 10000 + rng.Range(-400, 400);
  }
  ExpectRoundTrip(ValueKind::kGauge, s);
  // The whole int64 range in one chunk: deltas that overflow int64.
  Series x;
  x.Add(kI64Min, 1.0);
  x.Add(kI64Min + 1, 2.0);
  x.Add(0, 3.0);
  x.Add(kI64Max - 1, 4.0);
  x.Add(kI64Max, 5.0);
  ExpectRoundTrip(ValueKind::kGauge, x);
}

TEST(ChunkRoundTrip, RandomBitsOfEveryKindRoundTrip) {
  Rng rng(99);
  for (int round = 0; round < 200; ++round) {
    const size_t n = 1 + rng.Below(300);
    Series s;
    Timestamp t = rng.Range(-(int64_t{1} << 50), int64_t{1} << 50);
    const int mode = static_cast<int>(rng.Below(4));
    for (size_t i = 0; i < n; ++i) {
      uint64_t v = rng.Next();
      if (mode == 1) v >>= rng.Below(64);
      if (mode == 2) v = rng.Below(4);
      s.AddU(t, v);
      t += 1 + static_cast<int64_t>(mode == 3 ? rng.Below(uint64_t{1} << 40) : rng.Below(20000));
    }
    for (ValueKind k : {ValueKind::kGauge, ValueKind::kCounter32, ValueKind::kCounter64,
                        ValueKind::kDerive, ValueKind::kAbsolute}) {
      SCOPED_TRACE(round);
      ExpectRoundTrip(k, s);
    }
  }
}

TEST(ChunkRoundTrip, MaxSamplesFitAndOneMoreIsRejected) {
  Series s = MakeSeries(Shape::kWalk2, kMaxSamples, 3);
  ExpectRoundTrip(ValueKind::kGauge, s);
  s.Add(s.ts.back() + 10000, 1.0);
  std::string out;
  EXPECT_EQ(Encode(ValueKind::kGauge, s.ts, s.values, &out).code(), StatusCode::kInvalidArgument);
}

TEST(ChunkEncode, RejectsBadInputWithoutWriting) {
  std::string out = "keep";
  const Series s = FromDoubles({1.0, 2.0});
  Series dup = s;
  dup.ts[1] = dup.ts[0];
  Series back = s;
  back.ts[1] = back.ts[0] - 1;
  EXPECT_EQ(Encode(ValueKind::kGauge, dup.ts, dup.values, &out).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Encode(ValueKind::kGauge, back.ts, back.values, &out).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Encode(ValueKind::kGauge, {}, {}, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Encode(ValueKind::kState, s.ts, s.values, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Encode(ValueKind::kGauge, std::span(s.ts).first(1), s.values, &out).code(),
            StatusCode::kInvalidArgument);
  EncodeOptions dec;
  dec.float_encoding = EncodeOptions::Float::kDecimal;
  const Series nan = FromDoubles({1.0, std::nan("")});
  EXPECT_EQ(Encode(ValueKind::kGauge, nan.ts, nan.values, &out, dec).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(out, "keep");
}

TEST(ChunkEncode, AppendsToExistingBuffer) {
  const Series s = MakeSeries(Shape::kWalk2, 50, 1);
  std::string out = "prefix";
  ASSERT_TRUE(Encode(ValueKind::kGauge, s.ts, s.values, &out).ok());
  ASSERT_EQ(out.substr(0, 6), "prefix");
  ExpectDecodesTo(std::string_view(out).substr(6), s);
}

TEST(ChunkEncode, ForcedEncodingsRoundTrip) {
  const Series s = MakeSeries(Shape::kWalk2, 200, 11);
  for (auto f : {EncodeOptions::Float::kDecimal, EncodeOptions::Float::kXor}) {
    EncodeOptions o;
    o.float_encoding = f;
    const std::string c = MustEncode(ValueKind::kGauge, s, o);
    EXPECT_EQ(EncodingOf(c), f == EncodeOptions::Float::kXor ? Encoding::kXor : Encoding::kDecimal);
    ExpectDecodesTo(c, s);
  }
}

TEST(ChunkEncode, PicksTheSmallerFloatEncoding) {
  for (Shape shape : {Shape::kWalk2, Shape::kFloat, Shape::kSpiky, Shape::kByteGauge}) {
    const Series s = MakeSeries(shape, 240, 17);
    EncodeOptions xo, dxo;
    xo.float_encoding = EncodeOptions::Float::kXor;
    dxo.float_encoding = EncodeOptions::Float::kDecimal;
    const size_t best = MustEncode(ValueKind::kGauge, s).size();
    const size_t x = MustEncode(ValueKind::kGauge, s, xo).size();
    EXPECT_LE(best, x) << testing::ShapeName(shape);
    std::string dec;
    if (Encode(ValueKind::kGauge, s.ts, s.values, &dec, dxo).ok()) {
      EXPECT_LE(best, dec.size()) << testing::ShapeName(shape);
    }
  }
}

double BytesPerSample(Shape shape, size_t n, int64_t jitter = 0) {
  double total = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const Series s = MakeSeries(shape, n, seed, jitter);
    total += static_cast<double>(MustEncode(testing::ShapeKind(shape), s).size()) /
             static_cast<double>(n);
  }
  return total / 20;
}

TEST(ChunkSize, TwoDecimalRandomWalkCostsAtMostOneBytePerSample) {
  EXPECT_LE(BytesPerSample(Shape::kWalk2, 120), 1.0);
  EXPECT_LE(BytesPerSample(Shape::kWalk2, 720), 1.0);
  EXPECT_LE(BytesPerSample(Shape::kWalk2, 120, /*jitter=*/3), 1.0);
}

TEST(ChunkSize, ConstantsAndRegularTimestampsCostAlmostNothing) {
  // A constant at a regular interval: header only, no per-sample bits.
  const Series s = MakeSeries(Shape::kConstant, 720, 1);
  EXPECT_LE(MustEncode(ValueKind::kGauge, s).size(), 24u);
  // Constants with jittered timestamps: still at most ~2 bits per sample for the value.
  const Series j = MakeSeries(Shape::kConstant, 720, 1, 2);
  EXPECT_LE(MustEncode(ValueKind::kGauge, j).size(), 720u * 4 / 8 + 24);
}

TEST(ChunkSize, SteadyCountersCostAtMostTwoBytesPerSample) {
  // 10 KB/s with 1% noise per interval: about 1.5 bytes of entropy per sample.
  Rng rng(12);
  std::vector<uint64_t> c = {123456789};
  for (int i = 1; i < 720; ++i)
    c.push_back(c.back() + static_cast<uint64_t>(100000 * (1 + 0.01 * rng.Normal())));
  EXPECT_LE(static_cast<double>(MustEncode(ValueKind::kCounter64, FromInts(c)).size()) / 720, 2.0);
  EXPECT_LE(static_cast<double>(
                MustEncode(ValueKind::kCounter64, FromInts({c.begin(), c.begin() + 120})).size()) /
                120,
            2.0);
  // A perfectly steady rate is nearly free.
  std::vector<uint64_t> v;
  for (uint64_t i = 0; i < 720; ++i) v.push_back(1'000'000'000 + i * 12345);
  EXPECT_LE(MustEncode(ValueKind::kCounter64, FromInts(v)).size(), 32u);
}

TEST(ChunkSize, ByteGaugesUseTheCommonDivisor) {
  // Moves in whole KiB: the divisor 1024 removes ten bits per sample.
  EXPECT_LE(BytesPerSample(Shape::kByteGauge, 120), 1.0);
}

TEST(ChunkState, RoundTripsWithDictionaryAndRepeats) {
  testing::StateSeries s;
  const char* words[] = {"up", "down", "", "testing", "lowerLayerDown", "dormant"};
  Rng rng(4);
  Timestamp t = -100000;
  std::string cur = "up";
  for (int i = 0; i < 700; ++i) {
    if (rng.Below(10) == 0) cur = words[rng.Below(6)];
    if (i == 350) cur = std::string(kMaxStateBytes, 'x');
    if (i == 351) cur = std::string("\0bin\xff", 5);
    s.ts.push_back(t);
    s.values.push_back(cur);
    t += 1 + static_cast<int64_t>(rng.Below(60000));
  }
  for (size_t n : {size_t{1}, size_t{2}, size_t{100}, s.ts.size()}) {
    SCOPED_TRACE(n);
    const auto views = s.views();
    std::span<const Timestamp> ts(s.ts.data(), n);
    std::span<const std::string_view> vs(views.data(), n);
    std::string sealed;
    ASSERT_TRUE(EncodeState(ts, vs, &sealed).ok());
    Appender app(ValueKind::kState);
    for (size_t i = 0; i < n; ++i) ASSERT_TRUE(app.AppendState(ts[i], vs[i]).ok());
    for (std::string_view chunk : {std::string_view(sealed), app.bytes()}) {
      std::vector<Timestamp> gt;
      std::vector<std::string_view> gv;
      Status st = DecodeState(chunk, &gt, &gv);
      ASSERT_TRUE(st.ok()) << st.ToString();
      ASSERT_EQ(gt.size(), n);
      for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(gt[i], ts[i]);
        ASSERT_EQ(gv[i], vs[i]) << i;
      }
      Iterator it(chunk);
      size_t i = 0;
      while (it.Next()) {
        ASSERT_EQ(it.state(), vs[i]);
        ++i;
      }
      ASSERT_TRUE(it.status().ok());
      ASSERT_EQ(i, n);
    }
    std::string resealed;
    ASSERT_TRUE(Reencode(app.bytes(), &resealed).ok());
    EXPECT_EQ(resealed, sealed);
  }
}

TEST(ChunkState, UnchangedStateCostsNoValueBits) {
  std::vector<Timestamp> ts;
  std::vector<std::string_view> vs;
  for (int i = 0; i < 720; ++i) {
    ts.push_back(i * 10000);
    vs.push_back("ifOperStatus=up");
  }
  std::string out;
  ASSERT_TRUE(EncodeState(ts, vs, &out).ok());
  EXPECT_LE(out.size(), 32u);
}

TEST(ChunkState, RejectsTooLongStrings) {
  const std::string big(kMaxStateBytes + 1, 'a');
  std::vector<Timestamp> ts = {1};
  std::vector<std::string_view> vs = {big};
  std::string out;
  EXPECT_EQ(EncodeState(ts, vs, &out).code(), StatusCode::kInvalidArgument);
}

TEST(ChunkDecode, NumericDecodeOfStateChunkIsInvalidArgument) {
  std::vector<Timestamp> ts = {1};
  std::vector<std::string_view> vs = {"x"};
  std::string out;
  ASSERT_TRUE(EncodeState(ts, vs, &out).ok());
  std::vector<Timestamp> t;
  std::vector<NumericValue> v;
  EXPECT_EQ(DecodeNumeric(out, &t, &v).code(), StatusCode::kInvalidArgument);
  const std::string num = MustEncode(ValueKind::kGauge, FromDoubles({1}));
  std::vector<std::string_view> sv;
  EXPECT_EQ(DecodeState(num, &t, &sv).code(), StatusCode::kInvalidArgument);
}

TEST(ChunkDecode, BulkDecodeAppendsAndTrimsToRange) {
  const Series s = MakeSeries(Shape::kCounter, 500, 8);
  const std::string c = MustEncode(ValueKind::kCounter64, s);
  std::vector<Timestamp> ts = {42};
  std::vector<NumericValue> vals(1);
  ASSERT_TRUE(DecodeNumeric(c, &ts, &vals, s.ts[100], s.ts[199]).ok());
  ASSERT_EQ(ts.size(), 101u);
  EXPECT_EQ(ts[0], 42);
  for (size_t i = 0; i < 100; ++i) {
    EXPECT_EQ(ts[1 + i], s.ts[100 + i]);
    EXPECT_EQ(vals[1 + i].u, s.values[100 + i].u);
  }
  // Out of range: nothing appended.
  ASSERT_TRUE(DecodeNumeric(c, &ts, &vals, s.ts.back() + 1, kI64Max).ok());
  EXPECT_EQ(ts.size(), 101u);
  // Bounds between samples.
  ts.clear();
  vals.clear();
  ASSERT_TRUE(DecodeNumeric(c, &ts, &vals, s.ts[10] + 1, s.ts[20] - 1).ok());
  ASSERT_EQ(ts.size(), 9u);
  EXPECT_EQ(ts.front(), s.ts[11]);
  EXPECT_EQ(ts.back(), s.ts[19]);
}

TEST(ChunkDecode, DecodeIntoCallerArraysChecksCapacity) {
  const Series s = MakeSeries(Shape::kByteGauge, 300, 8);
  const std::string c = MustEncode(ValueKind::kGauge, s);
  std::vector<Timestamp> ts(300);
  std::vector<NumericValue> vals(300);
  EXPECT_EQ(DecodeNumericInto(c, ts.data(), vals.data(), 299).status().code(),
            StatusCode::kInvalidArgument);
  auto n = DecodeNumericInto(c, ts.data(), vals.data(), 300);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_EQ(*n, 300u);
  EXPECT_EQ(ts, s.ts);
  for (size_t i = 0; i < 300; ++i) EXPECT_EQ(vals[i].u, s.values[i].u);
  std::string bad = c.substr(0, c.size() - 1);
  EXPECT_TRUE(DecodeNumericInto(bad, ts.data(), vals.data(), 300).status().IsCorruption());
}

class ChunkSeek : public ::testing::TestWithParam<bool> {};

TEST_P(ChunkSeek, FindsFirstSampleAtOrAfter) {
  const Series s = MakeSeries(Shape::kWalk2, 1000, 21, 4);
  std::string chunk;
  Appender app(ValueKind::kGauge);
  if (GetParam()) {
    for (size_t i = 0; i < s.size(); ++i) ASSERT_TRUE(app.Append(s.ts[i], s.values[i]).ok());
  } else {
    chunk = MustEncode(ValueKind::kGauge, s);
  }
  const std::string_view c = GetParam() ? app.bytes() : std::string_view(chunk);
  // Before the start, exactly on samples, between samples, in later batches.
  for (size_t target :
       {size_t{0}, size_t{1}, size_t{127}, size_t{128}, size_t{129}, size_t{500}, size_t{999}}) {
    Iterator it(c);
    ASSERT_TRUE(it.Seek(s.ts[target]));
    EXPECT_EQ(it.timestamp(), s.ts[target]);
    EXPECT_EQ(it.value().u, s.values[target].u);
    Iterator between(c);
    ASSERT_TRUE(between.Seek(s.ts[target] - 1));
    EXPECT_EQ(between.timestamp(), s.ts[target]);
  }
  Iterator early(c);
  ASSERT_TRUE(early.Seek(kI64Min));
  EXPECT_EQ(early.timestamp(), s.ts[0]);
  Iterator late(c);
  EXPECT_FALSE(late.Seek(s.ts.back() + 1));
  EXPECT_FALSE(late.Next());
  EXPECT_TRUE(late.status().ok());
  // Seek never moves backwards, and Next continues after it.
  Iterator it(c);
  ASSERT_TRUE(it.Seek(s.ts[300]));
  ASSERT_TRUE(it.Seek(s.ts[10]));
  EXPECT_EQ(it.timestamp(), s.ts[300]);
  ASSERT_TRUE(it.Next());
  EXPECT_EQ(it.timestamp(), s.ts[301]);
  ASSERT_TRUE(it.Seek(s.ts[301]));
  EXPECT_EQ(it.timestamp(), s.ts[301]);
  size_t rest = 0;
  while (it.Next()) ++rest;
  EXPECT_EQ(rest, 1000u - 302);
  EXPECT_TRUE(it.status().ok());
}

INSTANTIATE_TEST_SUITE_P(SealedAndOpen, ChunkSeek, ::testing::Bool());

TEST(ChunkHeaderTest, ParseHeaderReportsRangeWithoutDecoding) {
  const Series s = MakeSeries(Shape::kByteGauge, 333, 2);
  const std::string c = MustEncode(ValueKind::kGauge, s);
  auto h = ParseHeader(c);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->count, 333u);
  EXPECT_EQ(h->first_ts, s.ts.front());
  EXPECT_EQ(h->last_ts, s.ts.back());
  EXPECT_EQ(static_cast<uint8_t>(c[0]), kMagicV1);
}

}  // namespace
}  // namespace strix::storage::chunk
