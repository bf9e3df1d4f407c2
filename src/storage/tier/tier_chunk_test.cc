// Tier chunks: exact round trips of aggregates built from random samples of every numeric
// kind (counter wraps and resets included), the encoder's preconditions, the decoder's
// totality (truncation, bit flips, spliced columns), the committed seeds, and the
// compression figures for regular gauge and counter data.
#include "storage/tier/tier_chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/coding.h"
#include "core/env.h"
#include "storage/chunk/encoder.h"

namespace strix::storage::tier {
namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 3'600'000;
constexpr ValueKind kNumericKinds[] = {ValueKind::kGauge, ValueKind::kCounter32,
                                       ValueKind::kCounter64, ValueKind::kDerive,
                                       ValueKind::kAbsolute};

struct Points {
  ValueKind kind = ValueKind::kGauge;
  int64_t resolution = kMinute;
  std::vector<Timestamp> starts;
  std::vector<Aggregate> aggs;
};

struct Sample {
  Timestamp ts;
  NumericValue v;
};

// Random samples of `kind`, every ~10 s with jitter and the odd outage, starting at t0.
// Counters wrap (counter32 starts near 2^32, counter64 near 2^64) and reset.
std::vector<Sample> RandomSamples(ValueKind kind, std::mt19937_64& rng, size_t n, Timestamp t0,
                                  bool regular = false) {
  std::vector<Sample> out;
  Timestamp ts = t0;
  int64_t cents = static_cast<int64_t>(rng() % 10000) - 5000;
  uint64_t counter =
      kind == ValueKind::kCounter32 ? 0xffffffffull - 5'000'000 : ~uint64_t{0} - 50'000'000;
  int64_t derive = static_cast<int64_t>(rng() % 2000) - 1000;
  for (size_t i = 0; i < n; ++i) {
    if (regular) {
      ts += 10'000;
    } else {
      ts += 10'000 + static_cast<int64_t>(rng() % 401) - 200;
      if (rng() % 97 == 0) ts += static_cast<int64_t>(rng() % (3 * kHour));  // outage
    }
    NumericValue v{.u = 0};
    switch (kind) {
      case ValueKind::kGauge:
        cents += static_cast<int64_t>(rng() % 201) - 100;
        v.f = static_cast<double>(cents) / 100.0;
        break;
      case ValueKind::kAbsolute:
        v.f = (rng() % 3 == 0) ? std::ldexp(static_cast<double>(rng() >> 11), -40)
                               : static_cast<double>(rng() % 1000);
        break;
      case ValueKind::kCounter32:
        if (rng() % 150 == 0) {
          counter = rng() % 1000;  // device reboot: a reset
        } else {
          counter = (counter + rng() % 2'000'000) & 0xffffffffull;  // wraps at 2^32
        }
        v.u = counter;
        break;
      case ValueKind::kCounter64:
        if (rng() % 150 == 0) {
          counter = rng() % 1000;
        } else {
          counter += rng() % 20'000'000;  // wraps at 2^64
        }
        v.u = counter;
        break;
      case ValueKind::kDerive:
        derive += static_cast<int64_t>(rng() % 2'000'001) - 1'000'000;
        v.i = derive;
        break;
      case ValueKind::kState:
        break;
    }
    out.push_back({ts, v});
  }
  return out;
}

// Aggregates samples into buckets of `resolution` with Aggregate::Add.
Points Aggregated(ValueKind kind, int64_t resolution, const std::vector<Sample>& samples) {
  Points p;
  p.kind = kind;
  p.resolution = resolution;
  for (const Sample& s : samples) {
    const Timestamp start = AlignDown(s.ts, resolution);
    if (p.starts.empty() || p.starts.back() != start) {
      p.starts.push_back(start);
      p.aggs.emplace_back();
    }
    p.aggs.back().Add(kind, s.ts, s.v);
  }
  return p;
}

// Merges points into coarser buckets with Aggregate::Merge (1m -> 1h).
Points Merged(const Points& fine, int64_t resolution) {
  Points p;
  p.kind = fine.kind;
  p.resolution = resolution;
  for (size_t i = 0; i < fine.starts.size(); ++i) {
    const Timestamp start = AlignDown(fine.starts[i], resolution);
    if (p.starts.empty() || p.starts.back() != start) {
      p.starts.push_back(start);
      p.aggs.emplace_back();
    }
    p.aggs.back().Merge(fine.kind, fine.aggs[i]);
  }
  return p;
}

uint64_t Bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}

void ExpectSame(const Aggregate& want, const Aggregate& got, size_t i) {
  SCOPED_TRACE(::testing::Message() << "point " << i);
  EXPECT_EQ(got.count, want.count);
  EXPECT_EQ(Bits(got.sum), Bits(want.sum));
  EXPECT_EQ(Bits(got.min), Bits(want.min));
  EXPECT_EQ(Bits(got.max), Bits(want.max));
  EXPECT_EQ(got.first_ts, want.first_ts);
  EXPECT_EQ(got.last_ts, want.last_ts);
  EXPECT_EQ(got.first.u, want.first.u);
  EXPECT_EQ(got.last.u, want.last.u);
  EXPECT_EQ(got.increase.u, want.increase.u);
  EXPECT_EQ(got.covered_ms, want.covered_ms);
  EXPECT_EQ(got.resets, want.resets);
  EXPECT_EQ(got.wraps, want.wraps);
}

std::string MustEncode(const Points& p) {
  std::string out;
  Status st = EncodeTierChunk(p.kind, p.resolution, p.starts, p.aggs, &out);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

void ExpectRoundTrip(const Points& p) {
  const std::string bytes = MustEncode(p);
  ValueKind kind;
  int64_t res = 0;
  std::vector<Timestamp> starts;
  std::vector<Aggregate> aggs;
  Status st = DecodeTierChunk(bytes, &kind, &res, &starts, &aggs);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(kind, p.kind);
  EXPECT_EQ(res, p.resolution);
  EXPECT_EQ(starts, p.starts);
  ASSERT_EQ(aggs.size(), p.aggs.size());
  for (size_t i = 0; i < aggs.size(); ++i) ExpectSame(p.aggs[i], aggs[i], i);
}

Status Decode(std::string_view bytes) {
  ValueKind kind;
  int64_t res = 0;
  std::vector<Timestamp> starts;
  std::vector<Aggregate> aggs;
  return DecodeTierChunk(bytes, &kind, &res, &starts, &aggs);
}

Points RandomPoints(ValueKind kind, uint64_t seed, size_t samples = 600) {
  std::mt19937_64 rng(seed);
  const int64_t resolutions[] = {kMinute, 5 * kMinute, kHour};
  return Aggregated(kind, resolutions[seed % 3],
                    RandomSamples(kind, rng, samples, 1'700'000'000'000));
}

TEST(TierChunk, RandomAggregatesOfEveryKindRoundTripExactly) {
  for (ValueKind kind : kNumericKinds) {
    for (uint64_t seed = 1; seed <= 12; ++seed) {
      SCOPED_TRACE(::testing::Message() << ValueKindName(kind) << " seed " << seed);
      ExpectRoundTrip(RandomPoints(kind, seed));
    }
  }
}

TEST(TierChunk, DecodingSelectedFieldsGivesThoseFieldsExactly) {
  for (ValueKind kind : kNumericKinds) {
    const Points p = RandomPoints(kind, 5);
    const std::string bytes = MustEncode(p);
    for (uint32_t fields : {kFieldSum, kFieldMin | kFieldMax, kFieldFirst | kFieldLast,
                            kFieldIncrease, kFieldResetsWraps}) {
      SCOPED_TRACE(::testing::Message() << ValueKindName(kind) << " fields " << fields);
      ValueKind k;
      int64_t res;
      std::vector<Timestamp> starts;
      std::vector<Aggregate> aggs;
      ASSERT_TRUE(DecodeTierChunk(bytes, &k, &res, &starts, &aggs, fields).ok());
      ASSERT_EQ(starts, p.starts);
      for (size_t i = 0; i < aggs.size(); ++i) {
        const Aggregate& a = aggs[i];
        const Aggregate& w = p.aggs[i];
        ASSERT_EQ(a.count, w.count);
        if (fields & kFieldSum) {
          ASSERT_EQ(std::bit_cast<uint64_t>(a.sum), std::bit_cast<uint64_t>(w.sum));
        }
        if (fields & kFieldMin) {
          ASSERT_EQ(std::bit_cast<uint64_t>(a.min), std::bit_cast<uint64_t>(w.min));
        }
        if (fields & kFieldMax) {
          ASSERT_EQ(std::bit_cast<uint64_t>(a.max), std::bit_cast<uint64_t>(w.max));
        }
        if (fields & kFieldFirst) {
          ASSERT_EQ(a.first.u, w.first.u);
          ASSERT_EQ(a.first_ts, w.first_ts);
        }
        if (fields & kFieldLast) {
          ASSERT_EQ(a.last.u, w.last.u);
          ASSERT_EQ(a.last_ts, w.last_ts);
        }
        if (fields & kFieldIncrease) {
          ASSERT_EQ(a.increase.u, w.increase.u);
        }
        if (fields & kFieldResetsWraps) {
          ASSERT_EQ(a.resets, w.resets);
          ASSERT_EQ(a.wraps, w.wraps);
        }
        if (!(fields & kFieldSum)) {
          ASSERT_EQ(a.sum, 0);  // not decoded
        }
      }
    }
  }
}

TEST(TierChunk, MergedHourPointsRoundTripExactly) {
  for (ValueKind kind : kNumericKinds) {
    SCOPED_TRACE(ValueKindName(kind));
    std::mt19937_64 rng(7);
    const Points minute =
        Aggregated(kind, kMinute, RandomSamples(kind, rng, 5000, 1'700'000'000'000));
    ExpectRoundTrip(Merged(minute, kHour));
  }
}

TEST(TierChunk, CounterWrapsAndResetsSurviveTheRoundTrip) {
  for (ValueKind kind : {ValueKind::kCounter32, ValueKind::kCounter64}) {
    SCOPED_TRACE(ValueKindName(kind));
    std::mt19937_64 rng(3);
    const Points p =
        Merged(Aggregated(kind, kMinute, RandomSamples(kind, rng, 3000, 1'700'000'000'000)), kHour);
    uint64_t wraps = 0, resets = 0;
    for (const Aggregate& a : p.aggs) {
      wraps += a.wraps;
      resets += a.resets;
    }
    ASSERT_GT(wraps, 0u) << "the data must exercise wraps";
    ASSERT_GT(resets, 0u) << "the data must exercise resets";
    ExpectRoundTrip(p);
  }
}

TEST(TierChunk, SinglePointAndNegativeTimestampsRoundTrip) {
  Points p;
  p.kind = ValueKind::kDerive;
  p.resolution = kMinute;
  Aggregate a;
  a.Add(p.kind, -90'000, NumericValue{.i = std::numeric_limits<int64_t>::min()});
  p.starts = {-120'000};
  p.aggs = {a};
  ExpectRoundTrip(p);

  // Doubles that are not decimal: -0.0, infinities, denormals, NaN payloads.
  Points g;
  g.kind = ValueKind::kGauge;
  g.resolution = 1;
  const double odd[] = {-0.0, std::numeric_limits<double>::infinity(), 5e-324,
                        std::numeric_limits<double>::quiet_NaN(), 1e300};
  for (int i = 0; i < 5; ++i) {
    Aggregate b;
    b.Add(g.kind, i, NumericValue{.f = odd[i]});
    g.starts.push_back(i);
    g.aggs.push_back(b);
  }
  ExpectRoundTrip(g);
}

TEST(TierChunk, EncoderRejectsPointsItCouldNotGiveBack) {
  const Points good = RandomPoints(ValueKind::kCounter32, 3, 60);
  ASSERT_GE(good.aggs.size(), 3u);
  auto expect_invalid = [](const Points& p, const char* what) {
    std::string out = "keep";
    Status st = EncodeTierChunk(p.kind, p.resolution, p.starts, p.aggs, &out);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << what << ": " << st.ToString();
    EXPECT_EQ(out, "keep") << what;
  };
  Points p = good;
  p.starts[1] += 1;
  expect_invalid(p, "unaligned start");
  p = good;
  p.starts[1] = p.starts[0];
  expect_invalid(p, "repeated start");
  p = good;
  p.aggs[2] = Aggregate{};
  expect_invalid(p, "empty point");
  p = good;
  p.aggs[0].covered_ms += 1;
  expect_invalid(p, "covered_ms mismatch");
  p = good;
  p.aggs[0].last_ts = p.starts[0] + p.resolution;
  p.aggs[0].covered_ms = p.aggs[0].last_ts - p.aggs[0].first_ts;
  expect_invalid(p, "last_ts in the next bucket");
  p = good;
  p.aggs.pop_back();
  expect_invalid(p, "size mismatch");
  p = good;
  p.resolution = 0;
  expect_invalid(p, "zero resolution");
  p = good;
  p.kind = ValueKind::kState;
  expect_invalid(p, "state kind");
  p = good;
  p.starts.clear();
  p.aggs.clear();
  expect_invalid(p, "no points");
  Points gauge = RandomPoints(ValueKind::kGauge, 3, 60);
  gauge.aggs[0].wraps = 1;
  expect_invalid(gauge, "wraps on a gauge");
}

TEST(TierChunk, TruncationAtEveryByteIsCorruption) {
  for (ValueKind kind : kNumericKinds) {
    const std::string bytes = MustEncode(RandomPoints(kind, 11, 200));
    for (size_t n = 0; n < bytes.size(); ++n) {
      Status st = Decode(std::string_view(bytes).substr(0, n));
      ASSERT_TRUE(st.IsCorruption())
          << ValueKindName(kind) << " cut at " << n << ": " << st.ToString();
    }
    EXPECT_TRUE(Decode(bytes + '\0').IsCorruption()) << "trailing byte";
  }
}

TEST(TierChunk, RandomBitFlipsNeverCrashAndDecodedPointsReencode) {
  std::mt19937_64 rng(99);
  size_t decoded = 0, failed = 0;
  for (ValueKind kind : kNumericKinds) {
    const std::string bytes = MustEncode(RandomPoints(kind, 21, 300));
    for (int trial = 0; trial < 3000; ++trial) {
      std::string bad = bytes;
      const int flips = 1 + static_cast<int>(rng() % 3);
      for (int f = 0; f < flips; ++f)
        bad[rng() % bad.size()] ^= static_cast<char>(1u << (rng() % 8));
      ValueKind k;
      int64_t res = 0;
      std::vector<Timestamp> starts;
      std::vector<Aggregate> aggs;
      Status st = DecodeTierChunk(bad, &k, &res, &starts, &aggs);
      if (!st.ok()) {
        ASSERT_TRUE(st.IsCorruption()) << st.ToString();
        ++failed;
        continue;
      }
      ++decoded;  // a flip inside a value: the points must still be encodable
      std::string again;
      ASSERT_TRUE(EncodeTierChunk(k, res, starts, aggs, &again).ok());
    }
  }
  EXPECT_GT(failed, 0u);
  std::printf("bit flips: %zu decoded (value bits), %zu corruption\n", decoded, failed);
}

// Builds a tier chunk by hand from a header and column chunks.
std::string Assemble(ValueKind kind, int64_t res, uint32_t n,
                     const std::vector<std::string>& cols) {
  std::string out;
  out.push_back(static_cast<char>(kTierChunkMagic));
  out.push_back(static_cast<char>(kTierChunkVersion));
  out.push_back(static_cast<char>(kind));
  PutVarint64(&out, static_cast<uint64_t>(res));
  PutVarint32(&out, n);
  for (const std::string& c : cols) {
    out.push_back('\0');  // plain mode
    PutLengthPrefixed(&out, c);
  }
  return out;
}

std::string Column(ValueKind kind, const std::vector<Timestamp>& ts, std::vector<uint64_t> raw) {
  std::vector<NumericValue> v(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) v[i].u = raw[i];
  std::string out;
  EXPECT_TRUE(chunk::Encode(kind, ts, v, &out).ok());
  return out;
}

TEST(TierChunk, ColumnsThatDisagreeAreCorruption) {
  const std::vector<Timestamp> ts = {0, kMinute, 2 * kMinute};
  const std::string ones = Column(ValueKind::kCounter64, ts, {1, 1, 1});
  const std::string zeros = Column(ValueKind::kCounter64, ts, {0, 0, 0});
  const std::string fzero = Column(ValueKind::kGauge, ts, {0, 0, 0});
  // count, first_ts, last_ts, sum, min, max, first, last, increase
  std::vector<std::string> cols = {ones, zeros, zeros, fzero, fzero, fzero, fzero, fzero, fzero};
  ASSERT_TRUE(Decode(Assemble(ValueKind::kGauge, kMinute, 3, cols)).ok());

  EXPECT_TRUE(Decode(Assemble(ValueKind::kGauge, kMinute, 2, cols)).IsCorruption())
      << "header count";
  auto with = [&](size_t i, std::string c) {
    std::vector<std::string> v = cols;
    v[i] = std::move(c);
    return Decode(Assemble(ValueKind::kGauge, kMinute, 3, v));
  };
  EXPECT_TRUE(
      with(4, Column(ValueKind::kGauge, {0, kMinute, 3 * kMinute}, {0, 0, 0})).IsCorruption())
      << "timestamps differ";
  EXPECT_TRUE(with(4, Column(ValueKind::kGauge, {0, kMinute}, {0, 0})).IsCorruption())
      << "count differs";
  EXPECT_TRUE(with(4, zeros).IsCorruption()) << "wrong column kind";
  EXPECT_TRUE(with(0, zeros).IsCorruption()) << "empty point";
  EXPECT_TRUE(with(1, Column(ValueKind::kCounter64, ts, {0, kMinute, 0})).IsCorruption())
      << "first_ts outside its bucket";
  EXPECT_TRUE(with(2, Column(ValueKind::kCounter64, ts, {0, 0, 0})).ok());
  std::vector<std::string> firsts = cols;
  firsts[1] = Column(ValueKind::kCounter64, ts, {5, 5, 5});
  EXPECT_TRUE(Decode(Assemble(ValueKind::kGauge, kMinute, 3, firsts)).IsCorruption())
      << "last_ts before first_ts";
  const std::vector<Timestamp> odd = {0, 1000, 2000};
  std::vector<std::string> unaligned;
  for (const std::string& c : cols) unaligned.push_back(c);
  for (size_t i = 0; i < 3; ++i) unaligned[i] = Column(ValueKind::kCounter64, odd, {i == 0, 0, 0});
  for (size_t i = 3; i < 9; ++i) unaligned[i] = Column(ValueKind::kGauge, odd, {0, 0, 0});
  unaligned[0] = Column(ValueKind::kCounter64, odd, {1, 1, 1});
  EXPECT_TRUE(Decode(Assemble(ValueKind::kGauge, kMinute, 3, unaligned)).IsCorruption())
      << "bucket starts not multiples of the resolution";
  std::string bad_mode = Assemble(ValueKind::kGauge, kMinute, 3, cols);
  const size_t mode_at = 3 + VarintLength(kMinute) + VarintLength(3);
  ASSERT_EQ(bad_mode[mode_at], '\0');
  for (char mode : {'\1', '\2', '\3'}) {
    bad_mode[mode_at] = mode;  // split or relative on the count column, or unknown
    EXPECT_TRUE(Decode(bad_mode).IsCorruption()) << "mode " << int{mode} << " on count";
  }
  cols.pop_back();
  EXPECT_TRUE(Decode(Assemble(ValueKind::kGauge, kMinute, 3, cols)).IsCorruption())
      << "missing column";
  EXPECT_TRUE(Decode(Assemble(ValueKind::kState, kMinute, 3, cols)).IsCorruption()) << "state";
  EXPECT_TRUE(Decode(Assemble(ValueKind::kGauge, 0, 3, cols)).IsCorruption()) << "resolution";
}

// The committed fuzz seeds: the valid ones decode and re-encode byte for byte, the others
// are errors. STRIX_UPDATE_FUZZ_SEEDS=1 (through ctest) rewrites them.
TEST(TierChunk, CommittedSeedsDecodeAsExpected) {
  const char* src = std::getenv("STRIX_SOURCE_DIR");
  ASSERT_NE(src, nullptr) << "run through ctest";
  struct Seed {
    const char* name;
    ValueKind kind;
    uint64_t seed;
    size_t samples;
  };
  const Seed seeds[] = {{"valid-gauge", ValueKind::kGauge, 1, 400},
                        {"valid-counter32", ValueKind::kCounter32, 2, 400},
                        {"valid-counter64", ValueKind::kCounter64, 3, 400},
                        {"valid-derive", ValueKind::kDerive, 4, 400},
                        {"valid-absolute", ValueKind::kAbsolute, 5, 400}};
  const std::string dir = JoinPath(src, "testdata/fuzz/tier_chunk");
  const bool update = std::getenv("STRIX_UPDATE_FUZZ_SEEDS") != nullptr;
  for (const Seed& s : seeds) {
    SCOPED_TRACE(s.name);
    const std::string bytes = MustEncode(RandomPoints(s.kind, s.seed, s.samples));
    if (update) {
      ASSERT_TRUE(WriteFileAtomically(Env::Default(), JoinPath(dir, s.name), bytes).ok());
      ASSERT_TRUE(WriteFileAtomically(Env::Default(),
                                      JoinPath(dir, std::string("truncated-") + s.name),
                                      bytes.substr(0, bytes.size() * 2 / 3))
                      .ok());
    }
    auto file = ReadFileToString(Env::Default(), JoinPath(dir, s.name));
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    EXPECT_EQ(*file, bytes) << "the encoding changed; see docs/format/tier_chunk.md";
    auto cut = ReadFileToString(Env::Default(), JoinPath(dir, std::string("truncated-") + s.name));
    ASSERT_TRUE(cut.ok()) << cut.status().ToString();
    EXPECT_TRUE(Decode(*cut).IsCorruption());
  }
  if (update) {
    ASSERT_TRUE(WriteFileAtomically(Env::Default(), JoinPath(dir, "garbage-text"),
                                    "tier chunk? no, just text\n")
                    .ok());
    std::string header_only;
    header_only.push_back(static_cast<char>(kTierChunkMagic));
    header_only.push_back(static_cast<char>(kTierChunkVersion));
    header_only.push_back(static_cast<char>(ValueKind::kCounter64));
    PutVarint64(&header_only, kMinute);
    PutVarint32(&header_only, kMaxTierPoints);
    header_only.append("\x05\xc1\x13\x00\x00\x00", 6);
    ASSERT_TRUE(
        WriteFileAtomically(Env::Default(), JoinPath(dir, "garbage-max-count"), header_only).ok());
  }
  for (const char* g : {"garbage-text", "garbage-max-count"}) {
    auto file = ReadFileToString(Env::Default(), JoinPath(dir, g));
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    EXPECT_TRUE(Decode(*file).IsCorruption()) << g;
  }
}

// Bytes per point on regular data: a 10 s gauge random walk with two decimals and a
// 10 s byte counter, aggregated at 1 minute, in windows of 2 h and 1 day.
TEST(TierChunk, BytesPerPointOnRegularData) {
  struct Case {
    ValueKind kind;
    const char* what;
    double limit;
  };
  for (const Case c : {Case{ValueKind::kGauge, "gauge random walk, 2 decimals", 14.0},
                       Case{ValueKind::kCounter64, "counter64 (bytes, ~1 kB/s)", 14.0}}) {
    for (size_t points : {size_t{120}, size_t{1440}}) {
      std::mt19937_64 rng(42);
      std::vector<Sample> samples;
      const Timestamp t0 = 1'700'000'000'000 - 1'700'000'000'000 % kMinute - 7'000;
      if (c.kind == ValueKind::kGauge) {
        samples = RandomSamples(c.kind, rng, points * 6, t0, /*regular=*/true);
      } else {
        uint64_t counter = 123'456'789;
        for (size_t i = 0; i < points * 6; ++i) {
          counter += 10'000 + rng() % 1000;
          samples.push_back(
              {t0 + static_cast<Timestamp>(i + 1) * 10'000, NumericValue{.u = counter}});
        }
      }
      const Points p = Aggregated(c.kind, kMinute, samples);
      ASSERT_EQ(p.aggs.size(), points);
      const std::string bytes = MustEncode(p);
      const double bpp = static_cast<double>(bytes.size()) / static_cast<double>(points);
      std::printf("%-32s %5zu points: %6zu bytes, %.2f bytes/point; columns:", c.what, points,
                  bytes.size(), bpp);
      std::string_view in(bytes);
      in.remove_prefix(3);
      uint64_t res = 0;
      uint32_t n = 0;
      ASSERT_TRUE(GetVarint64(&in, &res) && GetVarint32(&in, &n));
      std::string_view col;
      while (!in.empty()) {
        const bool split = in[0] == 1;
        in.remove_prefix(1);
        ASSERT_TRUE(GetLengthPrefixed(&in, &col));
        std::printf(" %zu", col.size());
        if (split) {
          ASSERT_TRUE(GetLengthPrefixed(&in, &col));
          std::printf("+%zu", col.size());
        }
      }
      std::printf("\n");
      RecordProperty(std::string(ValueKindName(c.kind)) + "_" + std::to_string(points) +
                         "_bytes_per_point_x100",
                     static_cast<int>(bpp * 100));
      EXPECT_LT(bpp, c.limit) << "compression regressed";
      ExpectRoundTrip(p);
    }
  }
}

}  // namespace
}  // namespace strix::storage::tier
