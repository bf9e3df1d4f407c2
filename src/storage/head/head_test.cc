#include "storage/head/head.h"

#include <gtest/gtest.h>

#include <cstring>

namespace strix::storage::head {
namespace {

uint64_t Bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}

MemSeries* Make(Head& h, const Labels& l, ValueKind k = ValueKind::kGauge) {
  bool created;
  MemSeries* s = h.GetOrCreate(l, k, 0, &created);
  EXPECT_TRUE(created);
  return s;
}

void Put(Head& h, MemSeries* s, std::vector<Timestamp> ts, std::vector<uint64_t> raw,
         ApplyStats* st = nullptr) {
  ApplyStats a = h.ApplyNumeric(s, ts, raw, 0);
  if (st) *st = a;
}

TEST(Head, FindByCanonicalLabelsAndRef) {
  Head h;
  Labels l{{"__name__", "cpu"}, {"host", "a"}};
  MemSeries* s = Make(h, l);
  EXPECT_EQ(h.Find(l.Hash(), l.encoded()), s);
  EXPECT_EQ(h.GetByRef(s->ref), s);
  Labels other{{"__name__", "cpu"}, {"host", "b"}};
  EXPECT_EQ(h.Find(other.Hash(), other.encoded()), nullptr);
  bool created;
  EXPECT_EQ(h.GetOrCreate(l, ValueKind::kGauge, 0, &created), s);
  EXPECT_FALSE(created);
}

TEST(Head, InOrderSamplesReadBack) {
  Head h(HeadOptions{.chunk_samples = 16});
  MemSeries* s = Make(h, Labels{{"__name__", "g"}});
  std::vector<Timestamp> ts;
  std::vector<uint64_t> raw;
  for (int i = 0; i < 100; ++i) {
    ts.push_back(1000 + i * 10'000);
    raw.push_back(Bits(i * 0.25));
  }
  Put(h, s, ts, raw);
  EXPECT_GE(s->sealed.size(), 5u);  // sealed every 16 samples
  SeriesSamples out;
  ASSERT_TRUE(h.Read(s, INT64_MIN, INT64_MAX, &out).ok());
  EXPECT_EQ(out.ts, ts);
  EXPECT_EQ(out.raw, raw);
  ASSERT_TRUE(h.Read(s, 1000 + 10 * 10'000, 1000 + 20 * 10'000, &out).ok());
  ASSERT_EQ(out.ts.size(), 10u);
  EXPECT_EQ(out.ts.front(), 1000 + 10 * 10'000);
}

TEST(Head, RepeatOfNewestSampleIsANoOp) {
  Head h;
  MemSeries* s = Make(h, Labels{{"__name__", "g"}});
  Put(h, s, {10, 20}, {Bits(1), Bits(2)});
  ApplyStats st;
  Put(h, s, {20}, {Bits(2)}, &st);
  EXPECT_EQ(st.duplicates, 1u);
  EXPECT_EQ(st.applied, 0u);
  SeriesSamples out;
  ASSERT_TRUE(h.Read(s, INT64_MIN, INT64_MAX, &out).ok());
  EXPECT_EQ(out.ts.size(), 2u);
}

TEST(Head, LateSamplesMergeInOrderAndLastWriteWins) {
  Head h;
  MemSeries* s = Make(h, Labels{{"__name__", "g"}});
  Put(h, s, {10, 30, 50}, {Bits(1), Bits(3), Bits(5)});
  ApplyStats st;
  Put(h, s, {20, 40}, {Bits(2), Bits(4)}, &st);  // out of order
  EXPECT_EQ(st.late, 2u);
  Put(h, s, {30}, {Bits(33)});   // overrides the chunk's 30
  Put(h, s, {30}, {Bits(333)});  // and again: the last arrival wins
  SeriesSamples out;
  ASSERT_TRUE(h.Read(s, INT64_MIN, INT64_MAX, &out).ok());
  EXPECT_EQ(out.ts, (std::vector<Timestamp>{10, 20, 30, 40, 50}));
  EXPECT_EQ(out.raw, (std::vector<uint64_t>{Bits(1), Bits(2), Bits(333), Bits(4), Bits(5)}));
  Timestamp t;
  uint64_t raw;
  ASSERT_TRUE(h.Latest(s, &t, &raw, nullptr));
  EXPECT_EQ(t, 50);
  EXPECT_EQ(raw, Bits(5));
}

TEST(Head, StateSeriesReadBack) {
  Head h;
  MemSeries* s = Make(h, Labels{{"__name__", "ifOperStatus"}}, ValueKind::kState);
  std::vector<Timestamp> ts = {1, 2, 3};
  std::vector<std::string_view> v = {"up", "up", "down"};
  h.ApplyState(s, ts, v, 0);
  std::vector<Timestamp> late_ts = {2};
  std::vector<std::string_view> late_v = {"testing"};
  h.ApplyState(s, late_ts, late_v, 0);
  SeriesSamples out;
  ASSERT_TRUE(h.Read(s, INT64_MIN, INT64_MAX, &out).ok());
  EXPECT_EQ(out.states, (std::vector<std::string>{"up", "testing", "down"}));
}

TEST(Head, CutTakesTheDataAndKeepsOrdering) {
  Head h;
  MemSeries* s = Make(h, Labels{{"__name__", "g"}});
  MemSeries* idle = Make(h, Labels{{"__name__", "idle"}});
  Put(h, s, {10, 20}, {Bits(1), Bits(2)});
  Put(h, s, {15}, {Bits(1.5)});
  std::vector<FrozenSeries> cut = h.Cut();
  ASSERT_EQ(cut.size(), 1u);  // the idle series has nothing to flush
  EXPECT_EQ(cut[0].labels.MetricName(), "g");
  EXPECT_EQ(cut[0].chunks.size(), 1u);
  EXPECT_EQ(cut[0].late.size(), 1u);
  EXPECT_FALSE(s->has_data());
  // After the cut, a sample older than the newest one is still late, not a new chunk.
  ApplyStats st;
  Put(h, s, {18}, {Bits(1.8)}, &st);
  EXPECT_EQ(st.late, 1u);
  Put(h, s, {25}, {Bits(2.5)}, &st);
  EXPECT_EQ(s->open.count(), 1u);
  (void)idle;
}

TEST(Head, GarbageCollectionDropsIdleEmptySeriesOnly) {
  Head h;
  MemSeries* busy = Make(h, Labels{{"__name__", "busy"}});
  MemSeries* idle = Make(h, Labels{{"__name__", "idle"}});
  h.ApplyNumeric(busy, std::vector<Timestamp>{1}, std::vector<uint64_t>{1}, 100);
  h.ApplyNumeric(idle, std::vector<Timestamp>{1}, std::vector<uint64_t>{1}, 100);
  h.Cut();
  h.ApplyNumeric(busy, std::vector<Timestamp>{2}, std::vector<uint64_t>{2}, 500);
  Labels idle_labels = idle->labels;
  EXPECT_EQ(h.CollectGarbage(200), 1u);
  EXPECT_EQ(h.Find(idle_labels.Hash(), idle_labels.encoded()), nullptr);
  EXPECT_EQ(h.Stats().series, 1u);
  EXPECT_EQ(h.Select(std::vector<Matcher>{Matcher::Equal("__name__", "idle")}).size(), 0u);
  EXPECT_EQ(h.Select(std::vector<Matcher>{Matcher::Equal("__name__", "busy")}).size(), 1u);
}

TEST(Head, ReplayedRefIsKeptAndADuplicateDefinitionBecomesAnAlias) {
  Head h;
  Labels l{{"__name__", "g"}};
  bool created;
  MemSeries* s = h.GetOrCreate(l, ValueKind::kGauge, 42, &created);
  ASSERT_TRUE(created);
  EXPECT_EQ(s->ref, 42u);
  EXPECT_GE(h.next_ref(), 43u);
  EXPECT_EQ(h.GetOrCreate(l, ValueKind::kGauge, 50, &created), s);
  EXPECT_FALSE(created);
  EXPECT_EQ(h.GetByRef(50), s);
}

TEST(Head, DeleteRangeRemovesOnlyThatRange) {
  Head h(HeadOptions{.chunk_samples = 4});
  MemSeries* s = Make(h, Labels{{"__name__", "g"}});
  std::vector<Timestamp> ts;
  std::vector<uint64_t> raw;
  for (int i = 0; i < 10; ++i) {
    ts.push_back(i * 10);
    raw.push_back(Bits(i));
  }
  Put(h, s, ts, raw);
  ASSERT_TRUE(h.DeleteRange(s, 20, 50).ok());
  SeriesSamples out;
  ASSERT_TRUE(h.Read(s, INT64_MIN, INT64_MAX, &out).ok());
  EXPECT_EQ(out.ts, (std::vector<Timestamp>{0, 10, 50, 60, 70, 80, 90}));
}

TEST(Head, CounterValuesStayExact) {
  Head h;
  MemSeries* s = Make(h, Labels{{"__name__", "c"}}, ValueKind::kCounter64);
  Put(h, s, {1, 2, 3}, {18446744073709551615ull, 0, 9007199254740993ull});
  SeriesSamples out;
  ASSERT_TRUE(h.Read(s, INT64_MIN, INT64_MAX, &out).ok());
  EXPECT_EQ(out.raw, (std::vector<uint64_t>{18446744073709551615ull, 0, 9007199254740993ull}));
}

}  // namespace
}  // namespace strix::storage::head
