#include "storage/head/wal_records.h"

#include <gtest/gtest.h>

#include <map>

namespace strix::storage::head {
namespace {

struct Collected {
  std::vector<SeriesDef> defs;
  std::vector<std::string> def_labels;
  std::map<SeriesRef, ValueKind> kinds;
  std::vector<std::tuple<SeriesRef, Timestamp, uint64_t>> numeric;
  std::vector<std::tuple<SeriesRef, Timestamp, std::string>> states;
};

SamplesVisitor Visitor(Collected* c) {
  SamplesVisitor v;
  v.on_def = [c](const SeriesDef& d) {
    c->defs.push_back(d);
    c->def_labels.emplace_back(d.labels);
    c->kinds[d.ref] = d.kind;
    return Status::Ok();
  };
  v.kind_of = [c](SeriesRef r, ValueKind* k) {
    auto it = c->kinds.find(r);
    if (it == c->kinds.end()) return false;
    *k = it->second;
    return true;
  };
  v.on_numeric = [c](SeriesRef r, Timestamp t, uint64_t b) { c->numeric.emplace_back(r, t, b); };
  v.on_state = [c](SeriesRef r, Timestamp t, std::string_view s) {
    c->states.emplace_back(r, t, std::string(s));
  };
  return v;
}

std::string Sample() {
  RecordBuilder b;
  b.AddDef(7, ValueKind::kGauge, "labels-of-7");
  b.AddDef(9, ValueKind::kState, "labels-of-9");
  b.StartSeries(7, 3);
  b.AddNumeric(-5, 1);
  b.AddNumeric(1000, 2);
  b.AddNumeric(1'000'000'000'000, 0xffffffffffffffffull);
  b.StartSeries(9, 2);
  b.AddState(10, "up");
  b.AddState(20, "");
  return std::string(b.Finish());
}

TEST(WalRecords, SamplesRoundTrip) {
  std::string payload = Sample();
  Collected c;
  auto skipped = DecodeSamples(payload, false, Visitor(&c));
  ASSERT_TRUE(skipped.ok()) << skipped.status().ToString();
  EXPECT_EQ(*skipped, 0u);
  ASSERT_EQ(c.defs.size(), 2u);
  EXPECT_EQ(c.def_labels[1], "labels-of-9");
  ASSERT_EQ(c.numeric.size(), 3u);
  EXPECT_EQ(c.numeric[0], std::make_tuple(SeriesRef{7}, Timestamp{-5}, uint64_t{1}));
  EXPECT_EQ(std::get<1>(c.numeric[2]), 1'000'000'000'000);
  EXPECT_EQ(std::get<2>(c.numeric[2]), 0xffffffffffffffffull);
  ASSERT_EQ(c.states.size(), 2u);
  EXPECT_EQ(std::get<2>(c.states[0]), "up");
  EXPECT_EQ(std::get<2>(c.states[1]), "");
}

TEST(WalRecords, SamplesOfUnknownSeriesAreSkippedAndCounted) {
  RecordBuilder b;
  b.StartSeries(42, 2);
  b.AddNumeric(1, 1);
  b.AddNumeric(2, 2);
  Collected c;
  auto skipped = DecodeSamples(b.Finish(), false, Visitor(&c));
  ASSERT_TRUE(skipped.ok());
  EXPECT_EQ(*skipped, 2u);
  EXPECT_TRUE(c.numeric.empty());
}

TEST(WalRecords, EveryTruncationIsCorruptionNotACrash) {
  std::string payload = Sample();
  for (size_t n = 0; n < payload.size(); ++n) {
    Collected c;
    auto r = DecodeSamples(std::string_view(payload).substr(0, n), false, Visitor(&c));
    EXPECT_FALSE(r.ok()) << "prefix " << n;
  }
  std::string extra = payload + "x";
  Collected c;
  EXPECT_TRUE(DecodeSamples(extra, false, Visitor(&c)).status().IsCorruption());
}

TEST(WalRecords, NonIncreasingTimestampsAreCorruption) {
  std::string payload = Sample();
  // Find the series 7 timestamp delta (1005) and make it zero by rebuilding by hand.
  RecordBuilder b;
  b.AddDef(1, ValueKind::kGauge, "x");
  b.StartSeries(1, 2);
  b.AddNumeric(5, 0);
  b.AddNumeric(5, 0);  // delta 0
  Collected c;
  EXPECT_TRUE(DecodeSamples(b.Finish(), false, Visitor(&c)).status().IsCorruption());
}

TEST(WalRecords, DeleteRoundTrip) {
  std::string p = EncodeDelete(-10, 5000, {1, 2, 300});
  Timestamp from, to;
  std::vector<SeriesRef> refs;
  ASSERT_TRUE(DecodeDelete(p, &from, &to, &refs).ok());
  EXPECT_EQ(from, -10);
  EXPECT_EQ(to, 5000);
  EXPECT_EQ(refs, (std::vector<SeriesRef>{1, 2, 300}));
  EXPECT_FALSE(DecodeDelete(p.substr(0, p.size() - 1), &from, &to, &refs).ok());
}

}  // namespace
}  // namespace strix::storage::head
