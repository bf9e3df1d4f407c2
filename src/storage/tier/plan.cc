#include "storage/tier/plan.h"

#include <algorithm>
#include <limits>

#include "storage/aggregate.h"

namespace strix::storage::tier {
namespace {

bool Overlaps(const BlockExtent& b, Timestamp from, Timestamp to) {
  return b.window_start < to && from < b.window_end;
}

Timestamp AlignUp(Timestamp t, int64_t w) {
  Timestamp d = AlignDown(t, w);
  return d == t ? t : d + w;
}

// A tier block is stale when a block of `source_res` overlapping its window has a higher
// precedence (it received data after the tier block was built).
bool Stale(std::span<const BlockExtent> blocks, const BlockExtent& t, int64_t source_res) {
  for (const auto& s : blocks)
    if (s.resolution_ms == source_res && Overlaps(s, t.window_start, t.window_end) &&
        s.precedence > t.precedence)
      return true;
  return false;
}

}  // namespace

std::vector<Interval> Normalize(std::vector<Interval> v) {
  std::sort(v.begin(), v.end(),
            [](const Interval& a, const Interval& b) { return a.from < b.from; });
  std::vector<Interval> out;
  for (const auto& i : v) {
    if (i.to <= i.from) continue;
    if (!out.empty() && i.from <= out.back().to) {
      out.back().to = std::max(out.back().to, i.to);
    } else {
      out.push_back(i);
    }
  }
  return out;
}

std::vector<Interval> Intersect(const std::vector<Interval>& a, const std::vector<Interval>& b) {
  std::vector<Interval> out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    Timestamp lo = std::max(a[i].from, b[j].from);
    Timestamp hi = std::min(a[i].to, b[j].to);
    if (lo < hi) out.push_back({lo, hi});
    if (a[i].to < b[j].to) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

std::vector<Interval> Subtract(const std::vector<Interval>& a, const std::vector<Interval>& b) {
  std::vector<Interval> out;
  size_t j = 0;
  for (Interval cur : a) {
    while (j < b.size() && b[j].to <= cur.from) ++j;
    size_t k = j;
    while (k < b.size() && b[k].from < cur.to) {
      if (b[k].from > cur.from) out.push_back({cur.from, b[k].from});
      cur.from = std::max(cur.from, b[k].to);
      if (cur.from >= cur.to) break;
      ++k;
    }
    if (cur.from < cur.to) out.push_back(cur);
  }
  return out;
}

std::vector<BuildUnit> PlanTierBuild(std::span<const BlockExtent> blocks, int64_t source_res,
                                     int64_t tier_res, int64_t unit_ms, Timestamp closed_before) {
  // Windows the source blocks ask for, and the tier blocks touching them, joined into
  // connected groups.
  struct Item {
    Interval iv;
    bool tier;
    size_t index;
  };
  std::vector<Item> items;
  std::vector<Interval> wanted;
  for (const auto& b : blocks) {
    if (b.resolution_ms != source_res) continue;
    Interval u{AlignDown(b.window_start, unit_ms), AlignUp(b.window_end, unit_ms)};
    if (u.to > closed_before) continue;
    wanted.push_back(u);
  }
  // Merge overlapping windows (a day block and its 2h windows) but keep touching ones
  // apart, so a tier block never spans more than its sources' windows.
  std::sort(wanted.begin(), wanted.end(),
            [](const Interval& a, const Interval& b) { return a.from < b.from; });
  std::vector<Interval> merged;
  for (const auto& w : wanted) {
    if (!merged.empty() && w.from < merged.back().to) {
      merged.back().to = std::max(merged.back().to, w.to);
    } else {
      merged.push_back(w);
    }
  }
  wanted = std::move(merged);
  for (const auto& w : wanted) items.push_back({w, false, 0});
  for (size_t i = 0; i < blocks.size(); ++i) {
    const auto& b = blocks[i];
    if (b.resolution_ms != tier_res) continue;
    bool touches = std::any_of(wanted.begin(), wanted.end(),
                               [&](const Interval& w) { return Overlaps(b, w.from, w.to); });
    if (touches) items.push_back({{b.window_start, b.window_end}, true, i});
  }
  std::sort(items.begin(), items.end(),
            [](const Item& a, const Item& b) { return a.iv.from < b.iv.from; });
  std::vector<BuildUnit> out;
  size_t i = 0;
  while (i < items.size()) {
    Interval hull = items[i].iv;
    size_t j = i;
    while (j < items.size() && items[j].iv.from < hull.to) {
      hull.to = std::max(hull.to, items[j].iv.to);
      ++j;
    }
    std::vector<Interval> want, have;
    BuildUnit unit{hull, {}};
    bool stale = false;
    for (size_t k = i; k < j; ++k) {
      if (items[k].tier) {
        have.push_back(items[k].iv);
        unit.replace.push_back(items[k].index);
        stale |= Stale(blocks, blocks[items[k].index], source_res);
      } else {
        want.push_back(items[k].iv);
      }
    }
    bool covered = Subtract(Normalize(want), Normalize(have)).empty();
    if (stale || !covered) {
      std::sort(unit.replace.begin(), unit.replace.end());
      out.push_back(std::move(unit));
    }
    i = j;
  }
  return out;
}

SelectPlan PlanSelect(std::span<const int64_t> resolutions, std::span<const BlockExtent> blocks,
                      Timestamp head_min, int64_t step, Timestamp from, Timestamp read_from,
                      Timestamp to) {
  SelectPlan plan;
  // Dividing tiers, finest first (raw, index 0, always).
  std::vector<size_t> dividing;
  for (size_t t = 0; t < resolutions.size(); ++t)
    if (resolutions[t] == 0 || (step > 0 && step % resolutions[t] == 0)) dividing.push_back(t);
  for (size_t t : dividing) {
    if (resolutions[t] == 0) continue;
    plan.ladder.push_back(resolutions[t]);
    plan.ladder_tiers.push_back(t);
  }
  if (plan.ladder.empty() || plan.ladder.back() != step) {
    plan.ladder.push_back(step);
    plan.ladder_tiers.push_back(std::numeric_limits<size_t>::max());
  }

  // How far back each dividing tier reaches.
  constexpr Timestamp kNever = std::numeric_limits<Timestamp>::max();
  std::vector<Timestamp> oldest(resolutions.size(), kNever);
  for (const auto& b : blocks) {
    for (size_t t : dividing) {
      if (b.resolution_ms != resolutions[t]) continue;
      oldest[t] = std::min(oldest[t], t == 0 ? b.mint : b.window_start);
    }
  }
  oldest[0] = std::min(oldest[0], head_min);
  size_t chosen = dividing.front();
  bool chosen_covers = oldest[chosen] <= from;
  for (size_t t : dividing) {
    bool covers = oldest[t] <= from;
    if (covers) {
      chosen = t;  // coarser dividing tiers come later
      chosen_covers = true;
    } else if (!chosen_covers && oldest[t] <= oldest[chosen]) {
      chosen = t;
    }
  }
  plan.chosen = chosen;

  // Fresh coverage of each tier from `chosen` down; raw gets the rest.
  std::vector<Interval> rest = {{read_from, to}};
  for (auto it = dividing.rbegin(); it != dividing.rend(); ++it) {
    size_t t = *it;
    if (t > chosen || t == 0) continue;
    std::vector<Interval> fresh;
    for (const auto& b : blocks) {
      if (b.resolution_ms != resolutions[t] || b.window_end > head_min) continue;
      if (b.window_end <= read_from || b.window_start >= to) continue;
      if (Stale(blocks, b, 0)) continue;
      fresh.push_back({b.window_start, b.window_end});
    }
    // Only whole points inside the range: the raw path never sees samples past `to`.
    // But when no raw data is left for a range ending inside a bucket (it aged out), the
    // point holding `to` serves it whole rather than leaving the last bucket empty.
    Timestamp end = AlignDown(to, resolutions[t]);
    if (end < to && head_min >= to &&
        std::none_of(blocks.begin(), blocks.end(), [&](const BlockExtent& b) {
          return b.resolution_ms == 0 && Overlaps(b, end, to);
        }))
      end = to;
    const Interval usable{AlignUp(read_from, resolutions[t]), end};
    fresh = Intersect(Normalize(std::move(fresh)), {usable});
    for (const auto& iv : Intersect(rest, fresh)) plan.pieces.push_back({iv.from, iv.to, t});
    rest = Subtract(rest, fresh);
  }
  for (const auto& iv : rest) plan.pieces.push_back({iv.from, iv.to, 0});
  std::sort(plan.pieces.begin(), plan.pieces.end(),
            [](const Piece& a, const Piece& b) { return a.from < b.from; });
  return plan;
}

}  // namespace strix::storage::tier
