// Tier planning, pure functions over block extents (docs/format/tiers.md):
//   - PlanTierBuild: which windows of a tier to build, or rebuild, from the tier below.
//   - PlanSelect: which tier answers which part of a consolidated query.
//
// A tier block records, as its precedence, the highest precedence among the blocks it
// was built from. Raw blocks flushed later (late samples) have a higher precedence, so a
// tier block is stale when a block of the tier below overlapping its window has a higher
// precedence than it: the builder rebuilds it, and until then queries read that window
// from a finer tier or from raw data. Queries also skip tier windows that end after the
// oldest sample still in the head (not yet in any block).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "storage/model.h"

namespace strix::storage::tier {

// What planning needs to know of a block.
struct BlockExtent {
  int64_t resolution_ms = 0;  // 0 raw
  Timestamp window_start = 0;
  Timestamp window_end = 0;
  Timestamp mint = 0;  // oldest sample or point start in the block
  uint64_t precedence = 0;
};

// [from, to)
struct Interval {
  Timestamp from = 0;
  Timestamp to = 0;
  friend bool operator==(const Interval&, const Interval&) = default;
};

// One window to (re)build: [from, to) of the tier, replacing the tier blocks listed
// (indices into the `blocks` given to PlanTierBuild).
struct BuildUnit {
  Interval window;
  std::vector<size_t> replace;
};

// The windows of the tier of `tier_res` to build from blocks of `source_res`. A source
// block contributes the window [AlignDown(start, unit), AlignUp(end, unit)) once that
// window ends at or before `closed_before`; windows that overlap existing tier blocks
// grow to cover them (those blocks are replaced). A window is planned when the existing
// tier blocks do not cover it or are stale.
std::vector<BuildUnit> PlanTierBuild(std::span<const BlockExtent> blocks, int64_t source_res,
                                     int64_t tier_res, int64_t unit_ms, Timestamp closed_before);

// A part of a query's range and the tier (index into the resolutions) serving it.
struct Piece {
  Timestamp from = 0;
  Timestamp to = 0;
  size_t tier = 0;
  friend bool operator==(const Piece&, const Piece&) = default;
};

struct SelectPlan {
  size_t chosen = 0;                 // the tier serving the start of the range
  std::vector<Piece> pieces;         // sorted, disjoint, covering [read_from, to)
  std::vector<int64_t> ladder;       // Rollup widths: dividing tier resolutions, then step
  std::vector<size_t> ladder_tiers;  // tier index of each ladder width (the step: none)
};

// Plans a consolidated query (step > 0) over [from, to), reading from read_from (< from,
// for the sample before the range). `resolutions` are the configured tiers' (raw first,
// 0). Among the tiers whose resolution divides the step (raw always does), it picks the
// coarsest whose data reaches back to `from` (full coverage first, then the closest
// resolution, as rrdtool fetch does); if none reaches back that far, the one reaching
// back furthest. That tier serves the windows where it has fresh blocks; the gaps go to
// the next finer dividing tier, and so on; raw data (blocks and head) fills the rest.
// `head_min` is the oldest timestamp in the head (INT64_MAX when empty).
SelectPlan PlanSelect(std::span<const int64_t> resolutions, std::span<const BlockExtent> blocks,
                      Timestamp head_min, int64_t step, Timestamp from, Timestamp read_from,
                      Timestamp to);

// Sorted, disjoint intervals: a minus b.
std::vector<Interval> Subtract(const std::vector<Interval>& a, const std::vector<Interval>& b);
// Sorted, disjoint intervals: a intersected with b.
std::vector<Interval> Intersect(const std::vector<Interval>& a, const std::vector<Interval>& b);
// Sorts and merges overlapping or touching intervals.
std::vector<Interval> Normalize(std::vector<Interval> v);

}  // namespace strix::storage::tier
