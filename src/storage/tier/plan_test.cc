#include "storage/tier/plan.h"

#include <gtest/gtest.h>

namespace strix::storage::tier {
namespace {

constexpr int64_t kMin = 60'000;
constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 86'400'000;
const std::vector<int64_t> kRes = {0, kMin, kHour};

BlockExtent Raw(Timestamp ws, Timestamp we, uint64_t prec) { return {0, ws, we, ws, prec}; }
BlockExtent Tier(int64_t res, Timestamp ws, Timestamp we, uint64_t prec) {
  return {res, ws, we, ws, prec};
}

TEST(Intervals, SubtractIntersectNormalize) {
  std::vector<Interval> a = {{0, 10}, {20, 30}};
  std::vector<Interval> b = {{5, 22}, {25, 26}};
  EXPECT_EQ(Subtract(a, b), (std::vector<Interval>{{0, 5}, {22, 25}, {26, 30}}));
  EXPECT_EQ(Intersect(a, b), (std::vector<Interval>{{5, 10}, {20, 22}, {25, 26}}));
  EXPECT_EQ(Normalize({{5, 7}, {0, 5}, {9, 9}, {8, 12}}), (std::vector<Interval>{{0, 7}, {8, 12}}));
  EXPECT_EQ(Subtract(a, {}), a);
  EXPECT_TRUE(Subtract(a, {{-5, 40}}).empty());
}

TEST(PlanTierBuild, BuildsClosedWindowsOnce) {
  std::vector<BlockExtent> blocks = {Raw(0, 2 * kHour, 1), Raw(2 * kHour, 4 * kHour, 2),
                                     Raw(4 * kHour, 6 * kHour, 3)};
  // The last window is not closed yet.
  auto units = PlanTierBuild(blocks, 0, kMin, 2 * kHour, 5 * kHour);
  ASSERT_EQ(units.size(), 2u);  // adjacent windows stay apart
  EXPECT_EQ(units[0].window, (Interval{0, 2 * kHour}));
  EXPECT_EQ(units[1].window, (Interval{2 * kHour, 4 * kHour}));
  EXPECT_TRUE(units[0].replace.empty());
  // Once built (precedence = the highest of its sources), nothing is left to do.
  blocks.push_back(Tier(kMin, 0, 2 * kHour, 1));
  blocks.push_back(Tier(kMin, 2 * kHour, 4 * kHour, 2));
  EXPECT_TRUE(PlanTierBuild(blocks, 0, kMin, 2 * kHour, 5 * kHour).empty());
  // Late data flushed into the first window makes it stale: rebuilt, replacing it.
  blocks.push_back(Raw(0, 2 * kHour, 4));
  units = PlanTierBuild(blocks, 0, kMin, 2 * kHour, 5 * kHour);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_EQ(units[0].window, (Interval{0, 2 * kHour}));
  EXPECT_EQ(units[0].replace, (std::vector<size_t>{3}));
}

TEST(PlanTierBuild, CoarseTierWaitsForItsWholeUnit) {
  // A 1d tier over 2h raw windows: the day is built once all of it is closed.
  std::vector<BlockExtent> blocks = {Raw(0, 2 * kHour, 1), Raw(22 * kHour, kDay, 2)};
  EXPECT_TRUE(PlanTierBuild(blocks, 0, kDay, kDay, kDay - 1).empty());
  auto units = PlanTierBuild(blocks, 0, kDay, kDay, kDay);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_EQ(units[0].window, (Interval{0, kDay}));
}

TEST(PlanTierBuild, GrowsToReplaceAWiderTierBlock) {
  // A compacted day block of the tier; late data in one of its windows.
  std::vector<BlockExtent> blocks = {Tier(kMin, 0, kDay, 5), Raw(0, kDay, 5),
                                     Raw(4 * kHour, 6 * kHour, 9)};
  auto units = PlanTierBuild(blocks, 0, kMin, 2 * kHour, 2 * kDay);
  ASSERT_EQ(units.size(), 1u);
  EXPECT_EQ(units[0].window, (Interval{0, kDay}));
  EXPECT_EQ(units[0].replace, (std::vector<size_t>{0}));
}

TEST(PlanSelect, PicksTheCoarsestCoveringTierAndStitchesRaw) {
  // 1m tier for [0, 10h), raw for [0, 12h) plus the head from 11h.
  std::vector<BlockExtent> blocks;
  for (int w = 0; w < 6; ++w) blocks.push_back(Raw(w * 2 * kHour, (w + 1) * 2 * kHour, w + 1));
  for (int w = 0; w < 5; ++w)
    blocks.push_back(Tier(kMin, w * 2 * kHour, (w + 1) * 2 * kHour, w + 1));
  auto plan = PlanSelect(kRes, blocks, 11 * kHour, 5 * kMin, kHour, kHour - 15 * kMin, 12 * kHour);
  EXPECT_EQ(plan.chosen, 1u);
  EXPECT_EQ(plan.ladder, (std::vector<int64_t>{kMin, 5 * kMin}));
  EXPECT_EQ(plan.pieces,
            (std::vector<Piece>{{kHour - 15 * kMin, 10 * kHour, 1}, {10 * kHour, 12 * kHour, 0}}));
  // A step the 1m tier does not divide: raw only.
  plan = PlanSelect(kRes, blocks, 11 * kHour, 90'500, kHour, kHour - 15 * kMin, 12 * kHour);
  EXPECT_EQ(plan.chosen, 0u);
  EXPECT_EQ(plan.pieces, (std::vector<Piece>{{kHour - 15 * kMin, 12 * kHour, 0}}));
  EXPECT_EQ(plan.ladder, (std::vector<int64_t>{90'500}));
  // An unaligned end: the last partial minute comes from raw.
  plan =
      PlanSelect(kRes, blocks, 11 * kHour, 5 * kMin, kHour, kHour - 15 * kMin, 5 * kHour + 30'000);
  EXPECT_EQ(plan.pieces, (std::vector<Piece>{{kHour - 15 * kMin, 5 * kHour, 1},
                                             {5 * kHour, 5 * kHour + 30'000, 0}}));
}

TEST(PlanSelect, StaleAndHeadCoveredWindowsGoToRaw) {
  std::vector<BlockExtent> blocks = {Raw(0, 2 * kHour, 1), Raw(2 * kHour, 4 * kHour, 2),
                                     Raw(2 * kHour, 4 * kHour, 7), Tier(kMin, 0, 2 * kHour, 1),
                                     Tier(kMin, 2 * kHour, 4 * kHour, 2)};
  auto plan = PlanSelect(kRes, blocks, INT64_MAX, kHour, 0, -kHour, 4 * kHour);
  EXPECT_EQ(plan.pieces,
            (std::vector<Piece>{{-kHour, 0, 0}, {0, 2 * kHour, 1}, {2 * kHour, 4 * kHour, 0}}));
  // A late sample at 1h still in the head: the first window is not usable either.
  plan = PlanSelect(kRes, blocks, kHour, kHour, 0, -kHour, 4 * kHour);
  EXPECT_EQ(plan.pieces, (std::vector<Piece>{{-kHour, 4 * kHour, 0}}));
}

TEST(PlanSelect, OldRangesUseTheTierThatStillHasThem) {
  // Raw kept for the last day only; 1m and 1h reach back 10 days.
  std::vector<BlockExtent> blocks = {Raw(9 * kDay, 10 * kDay, 50)};
  blocks.push_back(Tier(kMin, 0, 9 * kDay, 40));
  blocks.push_back(Tier(kHour, 0, 9 * kDay, 40));
  // Step 1h over days 1..10: the 1h tier covers and is the closest resolution.
  auto plan = PlanSelect(kRes, blocks, INT64_MAX, kHour, kDay, kDay - kHour, 10 * kDay);
  EXPECT_EQ(plan.chosen, 2u);
  EXPECT_EQ(plan.ladder, (std::vector<int64_t>{kMin, kHour}));
  EXPECT_EQ(plan.ladder_tiers, (std::vector<size_t>{1, 2}));
  EXPECT_EQ(plan.pieces,
            (std::vector<Piece>{{kDay - kHour, 9 * kDay, 2}, {9 * kDay, 10 * kDay, 0}}));
  // A range ending inside a bucket where no raw data is left: the whole point serves.
  plan = PlanSelect(kRes, blocks, INT64_MAX, kHour, kDay, kDay - kHour, 5 * kDay + 30 * kMin);
  EXPECT_EQ(plan.pieces, (std::vector<Piece>{{kDay - kHour, 5 * kDay + 30 * kMin, 2}}));
  // Step 5m: the 1m tier.
  plan = PlanSelect(kRes, blocks, INT64_MAX, 5 * kMin, kDay, kDay - 15 * kMin, 10 * kDay);
  EXPECT_EQ(plan.chosen, 1u);
  // Nothing reaches back to `from`: the tier reaching furthest.
  blocks = {Raw(9 * kDay, 10 * kDay, 50), Tier(kMin, 5 * kDay, 9 * kDay, 40)};
  plan = PlanSelect(kRes, blocks, INT64_MAX, kHour, kDay, kDay - kHour, 10 * kDay);
  EXPECT_EQ(plan.chosen, 1u);
}

}  // namespace
}  // namespace strix::storage::tier
