// Decoding damaged chunks: every truncation is Corruption, every single bit flip either
// decodes to a well-formed sample sequence or is Corruption, random bytes never crash,
// and hand-made inconsistencies are caught with a useful message. Run under
// address/undefined sanitizers (make asan) this also proves the decoder never reads
// outside the chunk.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/coding.h"
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

// One valid chunk of every encoding in both layouts.
std::vector<std::string> SampleChunks() {
  std::vector<std::string> out;
  for (Shape shape : {Shape::kWalk2, Shape::kCounter, Shape::kFloat, Shape::kConstant}) {
    for (size_t n : {1, 2, 40}) {
      const Series s = MakeSeries(shape, n, 11 + n, 2);
      std::string c;
      EXPECT_TRUE(Encode(testing::ShapeKind(shape), s.ts, s.values, &c).ok());
      out.push_back(c);
      Appender app(testing::ShapeKind(shape));
      for (size_t i = 0; i < n; ++i) EXPECT_TRUE(app.Append(s.ts[i], s.values[i]).ok());
      out.emplace_back(app.bytes());
    }
  }
  std::vector<Timestamp> ts;
  std::vector<std::string_view> vs;
  const char* states[] = {"up", "down", "up", "up", "testing", "down", "", "up"};
  for (int i = 0; i < 8; ++i) {
    ts.push_back(1000 + i * 10007);
    vs.push_back(states[i]);
  }
  std::string c;
  EXPECT_TRUE(EncodeState(ts, vs, &c).ok());
  out.push_back(c);
  Appender app(ValueKind::kState);
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(app.AppendState(ts[i], vs[i]).ok());
  out.emplace_back(app.bytes());
  return out;
}

// Decodes through every path. Returns the bulk status; checks that the paths agree and
// that whatever decodes is well formed.
Status DecodeEverything(std::string_view chunk) {
  auto h = ParseHeader(chunk);
  std::vector<Timestamp> ts;
  Status bulk;
  if (h.ok() && h->kind == ValueKind::kState) {
    std::vector<std::string_view> vs;
    bulk = DecodeState(chunk, &ts, &vs);
    if (bulk.ok()) {
      for (std::string_view v : vs) {
        EXPECT_GE(v.data(), chunk.data());
        EXPECT_LE(v.data() + v.size(), chunk.data() + chunk.size());
      }
    }
  } else {
    std::vector<NumericValue> vs;
    bulk = DecodeNumeric(chunk, &ts, &vs);
  }
  if (bulk.ok()) {
    EXPECT_TRUE(h.ok());
    EXPECT_EQ(ts.size(), h->count);
    for (size_t i = 1; i < ts.size(); ++i) EXPECT_LT(ts[i - 1], ts[i]);
    if (!ts.empty()) {
      EXPECT_EQ(ts.front(), h->first_ts);
      EXPECT_EQ(ts.back(), h->last_ts);
    }
  } else {
    EXPECT_TRUE(bulk.IsCorruption() || bulk.code() == StatusCode::kInvalidArgument)
        << bulk.ToString();
  }
  // The iterator agrees: the same samples, then the same verdict.
  Iterator it(chunk);
  size_t n = 0;
  while (it.Next()) {
    if (bulk.ok()) {
      EXPECT_LT(n, ts.size());
      if (n < ts.size()) {
        EXPECT_EQ(it.timestamp(), ts[n]);
      }
    }
    ++n;
  }
  EXPECT_EQ(it.status().ok(), bulk.ok() || bulk.code() == StatusCode::kInvalidArgument);
  if (bulk.ok()) {
    EXPECT_EQ(n, ts.size());
  }
  // Seek must not crash either.
  Iterator seek(chunk);
  seek.Seek(h.ok() ? h->first_ts / 2 + h->last_ts / 2 : 0);
  return bulk;
}

TEST(ChunkCorruption, EveryTruncationIsCorruption) {
  for (const std::string& chunk : SampleChunks()) {
    ASSERT_TRUE(DecodeEverything(chunk).ok());
    for (size_t len = 0; len < chunk.size(); ++len) {
      const std::string cut = chunk.substr(0, len);
      const Status s = DecodeEverything(cut);
      EXPECT_TRUE(s.IsCorruption())
          << "length " << len << " of " << chunk.size() << ": " << s.ToString();
    }
  }
}

TEST(ChunkCorruption, EveryBitFlipDecodesCleanlyOrIsCorruption) {
  size_t caught = 0, total = 0;
  for (const std::string& chunk : SampleChunks()) {
    for (size_t bit = 0; bit < chunk.size() * 8; ++bit) {
      std::string bad = chunk;
      bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
      const Status s = DecodeEverything(bad);  // checks well-formedness when OK
      caught += !s.ok();
      ++total;
    }
  }
  // Not a guarantee (there is no checksum), but most damage must be noticed.
  EXPECT_GT(caught * 4, total) << caught << " of " << total;
  std::printf("bit flips caught: %zu of %zu\n", caught, total);
}

TEST(ChunkCorruption, AppendedGarbageIsCorruption) {
  for (const std::string& chunk : SampleChunks()) {
    EXPECT_TRUE(DecodeEverything(chunk + std::string(1, '\0')).IsCorruption());
    EXPECT_TRUE(DecodeEverything(chunk + "garbage").IsCorruption());
  }
}

TEST(ChunkCorruption, RandomBytesNeverCrash) {
  Rng rng(1234);
  for (int i = 0; i < 20000; ++i) {
    std::string junk(rng.Below(64), '\0');
    for (char& c : junk) c = static_cast<char>(rng.Next());
    // Mostly plausible headers, so that the stream decoders get exercised.
    if (junk.size() >= 2 && rng.Below(4) != 0) {
      junk[0] = static_cast<char>(kMagicV1);
      const uint8_t enc = static_cast<uint8_t>(1 + rng.Below(4));
      const uint8_t kind = enc == 1 ? 2 + static_cast<uint8_t>(rng.Below(3)) : enc == 4 ? 6 : 1;
      junk[1] = static_cast<char>((rng.Below(2) ? kOpenFlag : 0) | (enc << 4) | kind);
    }
    DecodeEverything(junk).IgnoreError();
  }
}

std::string Sealed(const Series& s, ValueKind kind = ValueKind::kGauge) {
  std::string c;
  EXPECT_TRUE(Encode(kind, s.ts, s.values, &c).ok());
  return c;
}

void ExpectCorruption(std::string_view chunk, std::string_view message_part) {
  const Status s = DecodeEverything(chunk);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(message_part), std::string_view::npos) << s.ToString();
}

TEST(ChunkCorruption, HeaderInconsistenciesAreNamed) {
  Series s;
  s.Add(1000, 1.5);
  s.Add(2000, 2.5);
  const std::string good = Sealed(s);
  ASSERT_TRUE(DecodeEverything(good).ok());

  ExpectCorruption("", "shorter");
  std::string bad = good;
  bad[0] = static_cast<char>(0xC2);
  ExpectCorruption(bad, "magic");
  bad = good;
  bad[1] = static_cast<char>((2 << 4) | 7);
  ExpectCorruption(bad, "kind");
  bad = good;
  bad[1] = static_cast<char>((5 << 4) | 1);
  ExpectCorruption(bad, "encoding");
  bad = good;
  bad[1] = static_cast<char>((1 << 4) | 1);  // int encoding for a gauge
  ExpectCorruption(bad, "does not fit");

  // count 0, count above the limit
  std::string h = good.substr(0, 2);
  PutVarint64(&h, 0);
  ExpectCorruption(h + good.substr(3), "no samples");
  h = good.substr(0, 2);
  PutVarint64(&h, kMaxSamples + 1);
  ExpectCorruption(h + good.substr(3), "limit");
  // A span too short for the count: 2 samples within 0 ms.
  h = good.substr(0, 3);
  PutVarsint64(&h, 1000);
  PutVarint64(&h, 0);
  ExpectCorruption(h, "span");
}

TEST(ChunkCorruption, HugeCountInTinyChunkFailsFast) {
  // A sealed header claiming the maximum count with all-zero-width streams would decode
  // to 65535 samples; with a span that cannot hold them it is rejected before any work.
  std::string c;
  c.push_back(static_cast<char>(kMagicV1));
  c.push_back(static_cast<char>((1 << 4) | 3));
  PutVarint64(&c, kMaxSamples);
  PutVarsint64(&c, 0);
  PutVarint64(&c, 10);
  ExpectCorruption(c, "span");
}

TEST(ChunkCorruption, OpenHeaderInconsistencies) {
  Appender app(ValueKind::kCounter64);
  NumericValue v;
  v.u = 5;
  ASSERT_TRUE(app.Append(100, v).ok());
  v.u = 9;
  ASSERT_TRUE(app.Append(200, v).ok());
  const std::string good(app.bytes());
  ASSERT_TRUE(DecodeEverything(good).ok());
  std::string bad = good;
  bad[kOpenTsWidthsOffset + 1] = 0;  // widths no longer increasing
  ExpectCorruption(bad, "widths");
  bad = good;
  bad[kOpenValueOrderOffset] = 3;
  ExpectCorruption(bad, "order");
  bad = good;
  bad[kOpenExponentOffset] = 1;  // an exponent on an integer chunk
  ExpectCorruption(bad, "exponent");
  bad = good;
  bad[kOpenLastTsOffset] = 99;  // last timestamp before the first
  ExpectCorruption(bad, "last");
  bad = good;
  bad[kOpenLastTsOffset] = static_cast<char>(201);  // last differs from the stream
  ExpectCorruption(bad, "last timestamp differs");
  bad = good;
  std::memset(&bad[kOpenValueDivisorOffset], 0, 4);
  ExpectCorruption(bad, "divisor");
  bad = good;
  std::memset(&bad[kOpenTsDivisorOffset], 0, 4);
  ExpectCorruption(bad, "divisor");
  bad = good;
  bad[kOpenCountOffset] = 3;  // one more sample than the stream holds
  EXPECT_TRUE(DecodeEverything(bad).IsCorruption());
}

TEST(ChunkCorruption, NonIncreasingTimestampsInTheStreamAreCaught) {
  // Build a sealed chunk whose timestamp stream (order 1, offset base 0 = zero deltas)
  // says "no time passes": strictly increasing fails.
  std::string c;
  c.push_back(static_cast<char>(kMagicV1));
  c.push_back(static_cast<char>((1 << 4) | 3));  // int, counter64
  PutVarint64(&c, 3);                            // count
  PutVarsint64(&c, 1000);                        // first ts
  PutVarint64(&c, 2);                            // span
  IntParams tp;
  tp.order = 1;
  tp.offset = true;
  tp.base = 0;
  tp.k = 1;
  tp.widths[0] = 0;
  PutIntParams(&c, tp, false);
  PutVarint64(&c, 0);  // ts bytes
  IntParams vp;
  vp.order = 1;
  vp.k = 1;
  vp.x0 = 7;
  PutIntParams(&c, vp, true);
  ExpectCorruption(c, "strictly increasing");
}

TEST(ChunkCorruption, TrailingBytesAndPaddingAreCaught) {
  const Series s = MakeSeries(Shape::kWalk2, 50, 4, 3);
  const std::string good = Sealed(s);
  ASSERT_TRUE(DecodeEverything(good).ok());
  ExpectCorruption(good + "x", "left after");
  // A state chunk "a", "b" at a regular interval: no timestamp bytes, and the value
  // stream is '0' (index 0) then '1' (changed; the only other string needs no index
  // bits), so its one byte is 0x40 and its six low bits are padding.
  std::vector<Timestamp> ts = {0, 10000};
  std::vector<std::string_view> vs = {"a", "b"};
  std::string c;
  ASSERT_TRUE(EncodeState(ts, vs, &c).ok());
  ASSERT_EQ(static_cast<uint8_t>(c.back()), 0x40);
  ASSERT_TRUE(DecodeEverything(c).ok());
  for (int bit = 0; bit < 6; ++bit) {
    std::string bad = c;
    bad.back() = static_cast<char>(bad.back() | (1 << bit));
    ExpectCorruption(bad, "padding");
  }
}

TEST(ChunkCorruption, StateDictionaryAndIndexErrors) {
  std::vector<Timestamp> ts = {1, 2, 3};
  std::vector<std::string_view> vs = {"a", "b", "c"};
  std::string good;
  ASSERT_TRUE(EncodeState(ts, vs, &good).ok());
  ASSERT_TRUE(DecodeEverything(good).ok());
  // Dictionary size larger than the count.
  std::string c;
  c.push_back(static_cast<char>(kMagicV1));
  c.push_back(static_cast<char>((4 << 4) | 6));
  PutVarint64(&c, 1);
  PutVarsint64(&c, 5);
  PutVarint64(&c, 0);
  PutVarint64(&c, 2);
  ExpectCorruption(c, "dictionary size");
  // A string longer than the limit.
  c.resize(c.size() - 1);
  PutVarint64(&c, 1);
  PutVarint64(&c, kMaxStateBytes + 1);
  c.append(kMaxStateBytes + 1, 'x');
  ExpectCorruption(c, "dictionary string");
}

}  // namespace
}  // namespace strix::storage::chunk
