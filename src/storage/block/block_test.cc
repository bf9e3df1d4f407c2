#include "storage/block/block.h"

#include <gtest/gtest.h>

#include <random>

#include "core/testing/faulty_env.h"
#include "core/testing/temp_dir.h"
#include "storage/chunk/decoder.h"
#include "storage/chunk/encoder.h"

namespace strix::storage::block {
namespace {

using strix::testing::TempDir;

struct TestSeries {
  Labels labels;
  ValueKind kind;
  std::vector<std::string> chunks;
  std::vector<ChunkInput> inputs;
};

TestSeries MakeSeries(const std::string& host, int nchunks, int per_chunk, uint64_t seed) {
  TestSeries s{Labels{{"__name__", "cpu"}, {"host", host}}, ValueKind::kGauge, {}, {}};
  std::mt19937_64 rng(seed);
  double v = 50;
  Timestamp t = 1'000'000;
  for (int c = 0; c < nchunks; ++c) {
    std::vector<Timestamp> ts;
    std::vector<NumericValue> vals;
    for (int i = 0; i < per_chunk; ++i) {
      t += 10'000;
      v += static_cast<double>(static_cast<int>(rng() % 21) - 10) / 100;
      ts.push_back(t);
      vals.push_back(NumericValue{.f = v});
    }
    std::string bytes;
    EXPECT_TRUE(chunk::Encode(s.kind, ts, vals, &bytes).ok());
    s.chunks.push_back(std::move(bytes));
    s.inputs.push_back(ChunkInput{ts.front(), ts.back(), static_cast<uint32_t>(per_chunk), {}});
  }
  for (size_t i = 0; i < s.chunks.size(); ++i) s.inputs[i].bytes = s.chunks[i];
  return s;
}

BlockMeta Meta(uint64_t seq) {
  BlockMeta m;
  m.seq = seq;
  m.precedence = seq;
  m.window_start = 0;
  m.window_end = 7'200'000;
  return m;
}

Result<BlockMeta> Write(Env& env, const std::string& dir, uint64_t seq,
                        std::vector<TestSeries>& series) {
  STRIX_ASSIGN_OR_RETURN(auto w, BlockWriter::Create(env, dir, Meta(seq)));
  for (auto& s : series) STRIX_RETURN_IF_ERROR(w->AddSeries(s.labels, s.kind, s.inputs));
  return w->Finish();
}

std::vector<TestSeries> SomeSeries(int n) {
  std::vector<TestSeries> out;
  for (int i = 0; i < n; ++i)
    out.push_back(MakeSeries("host" + std::to_string(1000 + i), 3, 120, i));
  return out;
}

TEST(Block, WriteOpenReadBack) {
  TempDir dir;
  auto series = SomeSeries(50);
  auto meta = Write(Env::Default(), dir.path(), 7, series);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(meta->series, 50u);
  EXPECT_EQ(meta->chunks, 150u);
  EXPECT_EQ(meta->samples, 50u * 360);
  EXPECT_EQ(meta->mint, 1'010'000);
  EXPECT_FALSE(Env::Default().FileExists(dir.Join(BlockFileName(7) + ".tmp")));

  auto b = Block::Open(Env::Default(), dir.path(), 7);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ((*b)->meta().samples, meta->samples);
  EXPECT_GT((*b)->meta().pages, 1u);
  auto pos = (*b)->index().Select(std::vector<Matcher>{Matcher::Equal("host", "host1010")});
  ASSERT_TRUE(pos.ok());
  ASSERT_EQ(pos->size(), 1u);
  Labels l;
  ValueKind k;
  std::vector<ChunkRef> refs;
  ASSERT_TRUE((*b)->SeriesAt((*pos)[0], &l, &k, &refs).ok());
  EXPECT_EQ(l, series[10].labels);
  ASSERT_EQ(refs.size(), 3u);
  PageCache cache;
  for (size_t i = 0; i < refs.size(); ++i) {
    auto bytes = (*b)->ChunkBytes(refs[i], &cache);
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(*bytes, series[10].chunks[i]);
    EXPECT_EQ(refs[i].mint, series[10].inputs[i].mint);
    EXPECT_EQ(refs[i].maxt, series[10].inputs[i].maxt);
  }
  EXPECT_TRUE((*b)->Verify().ok());
}

TEST(Block, SeriesOutOfOrderIsRejected) {
  TempDir dir;
  auto series = SomeSeries(2);
  std::swap(series[0], series[1]);
  auto meta = Write(Env::Default(), dir.path(), 1, series);
  EXPECT_EQ(meta.status().code(), StatusCode::kInvalidArgument);
  // The abandoned temp file is removed.
  auto names = Env::Default().ListDir(dir.path());
  EXPECT_TRUE(names->empty());
}

TEST(Block, FileNames) {
  EXPECT_EQ(BlockFileName(0x17), "0000000000000017.blk");
  uint64_t seq;
  EXPECT_TRUE(ParseBlockFileName("00000000000000ff.blk", &seq));
  EXPECT_EQ(seq, 255u);
  EXPECT_FALSE(ParseBlockFileName("00000000000000ff.blk.tmp", &seq));
  EXPECT_FALSE(ParseBlockFileName("00000000000000fg.blk", &seq));
}

TEST(Block, MetaRoundTripAndCrc) {
  BlockMeta m = Meta(9);
  m.sources = {3, 4, 5};
  m.level = 2;
  m.mint = -5;
  std::string enc = EncodeMeta(m);
  BlockMeta d;
  ASSERT_TRUE(DecodeMeta(enc, &d).ok());
  EXPECT_EQ(d.sources, m.sources);
  EXPECT_EQ(d.mint, -5);
  enc[2] ^= 1;
  EXPECT_TRUE(DecodeMeta(enc, &d).IsCorruption());
}

TEST(Block, CorruptPageIsDetectedNotCrashed) {
  TempDir dir;
  auto series = SomeSeries(20);
  ASSERT_TRUE(Write(Env::Default(), dir.path(), 3, series).ok());
  std::string path = dir.Join(BlockFileName(3));
  std::string data = *ReadFileToString(Env::Default(), path);
  data[100] ^= 0x40;  // inside the first page
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), path, data).ok());
  auto b = Block::Open(Env::Default(), dir.path(), 3);
  ASSERT_TRUE(b.ok()) << b.status().ToString();  // page CRCs are checked on read
  Status v = (*b)->Verify();
  EXPECT_TRUE(v.IsCorruption()) << v.ToString();
  EXPECT_NE(v.context().find(BlockFileName(3)), std::string_view::npos);
}

TEST(Block, EveryTruncationFailsToOpen) {
  TempDir dir;
  auto series = SomeSeries(3);
  ASSERT_TRUE(Write(Env::Default(), dir.path(), 4, series).ok());
  std::string path = dir.Join(BlockFileName(4));
  std::string data = *ReadFileToString(Env::Default(), path);
  for (size_t n = 0; n < data.size(); n += 7) {
    ASSERT_TRUE(WriteFileAtomically(Env::Default(), path, data.substr(0, n)).ok());
    EXPECT_FALSE(Block::Open(Env::Default(), dir.path(), 4).ok()) << n;
  }
}

TEST(Block, TombstonesPersist) {
  TempDir dir;
  auto series = SomeSeries(3);
  ASSERT_TRUE(Write(Env::Default(), dir.path(), 5, series).ok());
  {
    auto b = Block::Open(Env::Default(), dir.path(), 5);
    ASSERT_TRUE(b.ok());
    EXPECT_FALSE((*b)->has_tombstones());
    ASSERT_TRUE((*b)->AddTombstones({{1, 100, 200}, {0, 5, 6}}).ok());
    ASSERT_TRUE((*b)->AddTombstones({{1, 10, 20}}).ok());
  }
  auto b = Block::Open(Env::Default(), dir.path(), 5);
  ASSERT_TRUE(b.ok());
  auto t = (*b)->TombstonesOf(1);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].from, 10);
  EXPECT_EQ(t[1].to, 200);
  EXPECT_EQ((*b)->TombstonesOf(2).size(), 0u);
}

TEST(Block, CrashBeforePublishLeavesNoBlock) {
  TempDir dir;
  auto series = SomeSeries(5);
  // Count the syncs of a clean write, then crash at each one.
  uint64_t syncs;
  {
    TempDir probe;
    strix::testing::FaultyEnv env(Env::Default());
    ASSERT_TRUE(Write(env, probe.path(), 1, series).ok());
    syncs = env.SyncCount();
  }
  ASSERT_GE(syncs, 2u);
  for (uint64_t k = 1; k <= syncs; ++k) {
    TempDir d;
    strix::testing::FaultyEnv env(Env::Default(), k);
    env.CrashAtSync(k);
    auto m = Write(env, d.path(), 1, series);
    ASSERT_TRUE(env.SimulateCrash(strix::testing::CrashMode::kMixed).ok());
    auto b = Block::Open(env, d.path(), 1);
    if (m.ok()) {
      ASSERT_TRUE(b.ok()) << "acknowledged block lost at sync " << k;
      EXPECT_TRUE((*b)->Verify().ok());
    } else {
      // Either absent, or (if the rename reached disk) complete and valid.
      if (b.ok()) {
        EXPECT_TRUE((*b)->Verify().ok());
      }
    }
  }
}

}  // namespace
}  // namespace strix::storage::block
