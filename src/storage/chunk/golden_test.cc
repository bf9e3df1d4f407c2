// Golden chunks: testdata/chunk/*.chunk hold committed encodings of fixed samples. Each
// must decode to exactly those samples, and the encoder (or appender) must reproduce it
// byte for byte, so an accidental format change fails here. After an intended change
// (docs/format/chunk.md first), regenerate with
//   STRIX_SOURCE_DIR=$PWD STRIX_UPDATE_GOLDEN=1
//       build/release/src/storage/chunk/storage_chunk_test --gtest_filter='*ChunkGolden*'
// The samples use integer arithmetic and exact IEEE divisions only (no libm), so they
// are the same on every platform.
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "core/env.h"
#include "storage/chunk/appender.h"
#include "storage/chunk/decoder.h"
#include "storage/chunk/encoder.h"
#include "storage/chunk/testing/series.h"

namespace strix::storage::chunk {
namespace {

using testing::Rng;
using testing::Series;

struct Golden {
  const char* file;
  ValueKind kind;
  bool open;  // written by the appender instead of the one-shot encoder
  std::function<Series()> numeric;
  std::function<testing::StateSeries()> state;
};

// 150 samples, 10 s apart with -2..+2 ms jitter; a 2-decimal walk.
Series DecimalWalk() {
  Rng rng(1);
  Series s;
  int64_t m = 4523;
  for (int i = 0; i < 150; ++i) {
    if (rng.Below(2)) m += rng.Range(-5, 5);
    s.Add(1700000000000 + i * 10000 + rng.Range(-2, 2), static_cast<double>(m) / 100.0);
  }
  return s;
}

// Values no decimal form holds: NaN, infinities, -0.0, denormals, thirds.
Series SpecialFloats() {
  Series s;
  const double denorm = std::numeric_limits<double>::denorm_min();
  const double v[] = {1.0 / 3.0,
                      2.0 / 3.0,
                      -0.0,
                      std::numeric_limits<double>::quiet_NaN(),
                      std::numeric_limits<double>::infinity(),
                      -std::numeric_limits<double>::infinity(),
                      denorm,
                      std::numeric_limits<double>::max(),
                      1e-300,
                      0.1,
                      0.1,
                      7.0 / 3.0};
  for (int i = 0; i < 12; ++i) s.Add(-86400000 + i * 60000, v[i]);
  return s;
}

// A 64-bit byte counter with varying rate, a wrap at 2^64 and a reset; irregular times.
Series Counter64() {
  Rng rng(2);
  Series s;
  uint64_t c = std::numeric_limits<uint64_t>::max() - 3'000'000;
  Timestamp t = 1700000000000;
  for (int i = 0; i < 200; ++i) {
    s.AddU(t, c);
    c += 50'000 + rng.Below(10'000);
    if (i == 150) c = 17;  // reboot
    t += rng.Below(20) == 0 ? 30000 : 10000 + rng.Range(-50, 50);
  }
  return s;
}

// A 32-bit interface counter wrapping at 2^32.
Series Counter32() {
  Series s;
  uint64_t c = 0xffff0000u;
  for (int i = 0; i < 100; ++i) {
    s.AddU(1000 + i * 15000, c);
    c = (c + 4099) & 0xffffffffu;
  }
  return s;
}

// Derive values at the int64 extremes; negative timestamps.
Series Derive() {
  Series s;
  const int64_t v[] = {std::numeric_limits<int64_t>::min(), -1, 0,  1,
                       std::numeric_limits<int64_t>::max(), 42, -42};
  for (int i = 0; i < 7; ++i) s.AddU(-1000000 + i * 1000, static_cast<uint64_t>(v[i]));
  return s;
}

// An absolute float chunk of one sample.
Series Single() {
  Series s;
  s.Add(123456789, 2.5);
  return s;
}

// Gauge for the appender: decimal, then a larger exponent, past the tuning point.
Series OpenGauge() {
  Rng rng(3);
  Series s;
  int64_t m = 200;
  for (int i = 0; i < 60; ++i) {
    m += rng.Range(-3, 3);
    s.Add(1700000000000 + i * 10000,
          i < 20 ? static_cast<double>(m) / 10.0 : static_cast<double>(m * 10 + i % 7) / 100.0);
  }
  return s;
}

testing::StateSeries States() {
  Rng rng(4);
  testing::StateSeries s;
  const char* words[] = {"up", "down", "testing", "dormant", ""};
  std::string cur = "up";
  for (int i = 0; i < 80; ++i) {
    if (rng.Below(5) == 0) cur = words[rng.Below(5)];
    s.ts.push_back(1700000000000 + i * 10000);
    s.values.push_back(cur);
  }
  return s;
}

void PrintTo(const Golden& g, std::ostream* os) { *os << g.file; }

const Golden kGoldens[] = {
    {"gauge_decimal.chunk", ValueKind::kGauge, false, DecimalWalk, nullptr},
    {"gauge_xor.chunk", ValueKind::kGauge, false, SpecialFloats, nullptr},
    {"counter64.chunk", ValueKind::kCounter64, false, Counter64, nullptr},
    {"counter32.chunk", ValueKind::kCounter32, false, Counter32, nullptr},
    {"derive.chunk", ValueKind::kDerive, false, Derive, nullptr},
    {"absolute_single.chunk", ValueKind::kAbsolute, false, Single, nullptr},
    {"state.chunk", ValueKind::kState, false, nullptr, States},
    {"open_gauge.chunk", ValueKind::kGauge, true, OpenGauge, nullptr},
    {"open_xor.chunk", ValueKind::kGauge, true, SpecialFloats, nullptr},
    {"open_counter64.chunk", ValueKind::kCounter64, true, Counter64, nullptr},
    {"open_state.chunk", ValueKind::kState, true, nullptr, States},
};

std::string GoldenPath(const char* file) {
  const char* src = std::getenv("STRIX_SOURCE_DIR");
  return JoinPath(src ? src : ".", std::string("testdata/chunk/") + file);
}

std::string EncodeGolden(const Golden& g) {
  std::string out;
  if (g.state) {
    const testing::StateSeries s = g.state();
    const auto views = s.views();
    if (!g.open) {
      EXPECT_TRUE(EncodeState(s.ts, views, &out).ok());
      return out;
    }
    Appender app(ValueKind::kState);
    for (size_t i = 0; i < s.ts.size(); ++i) EXPECT_TRUE(app.AppendState(s.ts[i], views[i]).ok());
    return std::string(app.bytes());
  }
  const Series s = g.numeric();
  if (!g.open) {
    EXPECT_TRUE(Encode(g.kind, s.ts, s.values, &out).ok());
    return out;
  }
  Appender app(g.kind);
  for (size_t i = 0; i < s.size(); ++i) EXPECT_TRUE(app.Append(s.ts[i], s.values[i]).ok());
  return std::string(app.bytes());
}

class ChunkGolden : public ::testing::TestWithParam<Golden> {};

TEST_P(ChunkGolden, DecodesToItsSamplesAndEncodesByteForByte) {
  const Golden& g = GetParam();
  ASSERT_NE(std::getenv("STRIX_SOURCE_DIR"), nullptr) << "run through ctest";
  const std::string path = GoldenPath(g.file);
  const std::string encoded = EncodeGolden(g);
  if (std::getenv("STRIX_UPDATE_GOLDEN") != nullptr) {
    ASSERT_TRUE(WriteFileAtomically(Env::Default(), path, encoded).ok());
  }
  auto file = ReadFileToString(Env::Default(), path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(*file, encoded) << g.file << ": the encoding changed; see docs/format/chunk.md";

  auto h = ParseHeader(*file);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->kind, g.kind);
  EXPECT_EQ(h->open, g.open);
  std::vector<Timestamp> ts;
  if (g.state) {
    const testing::StateSeries s = g.state();
    std::vector<std::string_view> vs;
    ASSERT_TRUE(DecodeState(*file, &ts, &vs).ok());
    ASSERT_EQ(ts, s.ts);
    ASSERT_EQ(vs, s.views());
    return;
  }
  const Series s = g.numeric();
  std::vector<NumericValue> vs;
  ASSERT_TRUE(DecodeNumeric(*file, &ts, &vs).ok());
  ASSERT_EQ(ts, s.ts);
  ASSERT_EQ(vs.size(), s.size());
  for (size_t i = 0; i < vs.size(); ++i) EXPECT_EQ(vs[i].u, s.values[i].u) << g.file << " " << i;
}

INSTANTIATE_TEST_SUITE_P(Files, ChunkGolden, ::testing::ValuesIn(kGoldens),
                         [](const ::testing::TestParamInfo<Golden>& info) {
                           std::string name = info.param.file;
                           name = name.substr(0, name.find('.'));
                           return name;
                         });

TEST(ChunkGoldenEncodings, CoverEveryEncodingAndLayout) {
  bool seen[2][5] = {};
  for (const Golden& g : kGoldens) {
    auto h = ParseHeader(EncodeGolden(g));
    ASSERT_TRUE(h.ok());
    seen[h->open][static_cast<int>(h->encoding)] = true;
  }
  for (int e = 1; e <= 4; ++e) {
    EXPECT_TRUE(seen[0][e]) << "no sealed golden for " << EncodingName(static_cast<Encoding>(e));
    EXPECT_TRUE(seen[1][e]) << "no open golden for " << EncodingName(static_cast<Encoding>(e));
  }
}

}  // namespace
}  // namespace strix::storage::chunk
