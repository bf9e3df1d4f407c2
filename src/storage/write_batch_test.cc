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
