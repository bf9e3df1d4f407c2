#include "storage/write_batch.h"

#include <gtest/gtest.h>

namespace strix::storage {
namespace {

std::vector<std::pair<std::string, std::string>> Decode(std::string_view enc) {
  std::vector<std::pair<std::string, std::string>> out;
  EncodedLabelsIterator it(enc);
  std::string_view n, v;
  while (it.Next(&n, &v)) out.emplace_back(n, v);
  return out;
}

TEST(WriteBatch, SortsLabelsAndGroupsSamplesPerSeries) {
  WriteBatch b;
  b.StartSeries(ValueKind::kGauge, {{"host", "a"}, {"__name__", "cpu"}, {"cpu", "0"}}, 7);
  b.AddGauge(1000, 1.5);
  b.AddGauge(2000, 2.5);
  b.StartSeries(ValueKind::kCounter64, {{"__name__", "bytes"}}, 8);
  b.AddCounter(1000, 18446744073709551615ull);
  b.StartSeries(ValueKind::kState, {{"__name__", "ifOperStatus"}});
  b.AddState(1000, "up");
  b.AddState(2000, "down with spaces");
  ASSERT_EQ(b.series_count(), 3u);
  EXPECT_EQ(b.sample_count(), 5u);
  const auto& s0 = b.series()[0];
  EXPECT_EQ(s0.tag, 7u);
  EXPECT_EQ(Decode(b.EncodedLabels(s0)), (std::vector<std::pair<std::string, std::string>>{
                                             {"__name__", "cpu"}, {"cpu", "0"}, {"host", "a"}}));
  ASSERT_EQ(b.samples(s0).size(), 2u);
  EXPECT_EQ(b.samples(s0)[1].value.f, 2.5);
  EXPECT_EQ(b.samples(b.series()[1])[0].value.u, 18446744073709551615ull);
  auto st = b.samples(b.series()[2]);
  EXPECT_EQ(b.StateOf(st[0]), "up");
  EXPECT_EQ(b.StateOf(st[1]), "down with spaces");
}

// Samples added to earlier series are set aside until Seal() regroups them behind their
// series' others, in the order they were added, each with its own tag.
TEST(WriteBatch, SealRegroupsSamplesAddedToEarlierSeries) {
  WriteBatch b;
  const uint32_t a = b.StartSeries(ValueKind::kGauge, {{"__name__", "a"}}, 1);
  b.AddGauge(1000, 1);
  const uint32_t s = b.StartSeries(ValueKind::kState, {{"__name__", "s"}}, 2);
  b.AddState(1000, "up");
  const uint32_t c = b.StartSeries(ValueKind::kCounter64, {{"__name__", "c"}}, 3);
  b.AddCounter(1000, 10);
  EXPECT_TRUE(b.sealed());
  b.AddNumericTo(a, 2000, NumericValue{.f = 2}, 4);
  b.AddStateTo(s, 2000, "down", 5);
  b.AddNumericTo(c, 2000, NumericValue{.u = 20}, 6);  // the last series, but another tag
  b.AddNumericTo(a, 3000, NumericValue{.f = 3}, 7);
  EXPECT_FALSE(b.sealed());
  EXPECT_EQ(b.sample_count(), 7u);
  b.Seal();
  EXPECT_TRUE(b.sealed());
  EXPECT_EQ(b.sample_count(), 7u);
  const auto& sa = b.series()[a];
  ASSERT_EQ(b.samples(sa).size(), 3u);
  EXPECT_EQ(b.samples(sa)[0].ts, 1000);
  EXPECT_EQ(b.samples(sa)[1].value.f, 2.0);
  EXPECT_EQ(b.samples(sa)[2].value.f, 3.0);
  EXPECT_EQ(b.SampleTag(sa, 0), 1u);
  EXPECT_EQ(b.SampleTag(sa, 1), 4u);
  EXPECT_EQ(b.SampleTag(sa, 2), 7u);
  const auto& ss = b.series()[s];
  ASSERT_EQ(b.samples(ss).size(), 2u);
  EXPECT_EQ(b.StateOf(b.samples(ss)[0]), "up");
  EXPECT_EQ(b.StateOf(b.samples(ss)[1]), "down");
  EXPECT_EQ(b.SampleTag(ss, 1), 5u);
  const auto& sc = b.series()[c];
  ASSERT_EQ(b.samples(sc).size(), 2u);
  EXPECT_EQ(b.samples(sc)[1].value.u, 20u);
  EXPECT_EQ(b.SampleTag(sc, 0), 3u);
  EXPECT_EQ(b.SampleTag(sc, 1), 6u);
  // Adding after a Seal and sealing again keeps every tag.
  const uint32_t d = b.StartSeries(ValueKind::kGauge, {{"__name__", "d"}}, 8);
  b.AddGauge(1000, 9);
  b.AddNumericTo(a, 4000, NumericValue{.f = 4}, 9);
  b.Seal();
  EXPECT_EQ(b.SampleTag(b.series()[a], 3), 9u);
  EXPECT_EQ(b.SampleTag(b.series()[d], 0), 8u);
  EXPECT_EQ(b.SampleTag(b.series()[c], 1), 6u);
  b.Clear();
  EXPECT_TRUE(b.empty());
  EXPECT_TRUE(b.sealed());
}

// A batch whose samples all went to the series last started stays sealed throughout.
TEST(WriteBatch, AddingToTheLastSeriesWithItsTagNeedsNoSeal) {
  WriteBatch b;
  const uint32_t a = b.StartSeries(ValueKind::kGauge, {{"__name__", "a"}}, 1);
  b.AddGauge(1000, 1);
  b.AddNumericTo(a, 2000, NumericValue{.f = 2}, 1);
  EXPECT_TRUE(b.sealed());
  EXPECT_EQ(b.samples(b.series()[a]).size(), 2u);
}

TEST(WriteBatch, ClearKeepsNothingVisible) {
  WriteBatch b;
  b.StartSeries(ValueKind::kGauge, {{"__name__", "x"}});
  b.AddGauge(1, 1);
  EXPECT_GT(b.ByteSize(), 0u);
  b.Clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.series_count(), 0u);
  EXPECT_EQ(b.ByteSize(), 0u);
}

TEST(EncodedLabelsIterator, StopsOnMalformedBytes) {
  std::string bad =
      "\x05"
      "ab";  // claims 5 bytes, has 2
  EncodedLabelsIterator it(bad);
  std::string_view n, v;
  EXPECT_FALSE(it.Next(&n, &v));
  EXPECT_TRUE(it.done());
}

}  // namespace
}  // namespace strix::storage
