// The embedded engine's read side: Select (raw and consolidated, with tier planning),
// Latest, Series, label names and values, and Delete. See engine_impl.h.
#include <algorithm>
#include <cstring>
#include <tuple>
#include <type_traits>

#include "core/log.h"
#include "storage/chunk/decoder.h"
#include "storage/chunk/encoder.h"
#include "storage/chunk/format.h"
#include "storage/engine_impl.h"
#include "storage/head/wal_records.h"

namespace strix::storage::internal {

// ---- reading --------------------------------------------------------------------------

Status Engine::ReadBlockSeries(const block::Block& b, uint32_t pos, Timestamp from, Timestamp to,
                               block::PageCache* cache, Gathered* g) {
  Labels labels;
  ValueKind kind;
  std::vector<block::ChunkRef> refs;
  STRIX_RETURN_IF_ERROR(b.SeriesAt(pos, &labels, &kind, &refs));
  if (g->runs.empty() && g->labels.empty()) {
    g->labels = labels;
    g->kind = kind;
  }
  if (kind != g->kind) return Status::Ok();  // a kind conflict across blocks: keep the first
  std::vector<block::Tombstone> tomb = b.TombstonesOf(pos);
  Run run{b.meta().precedence, {}, {}, {}};
  if (kind != ValueKind::kState) {
    size_t want = 0;
    for (const auto& r : refs) {
      if (r.maxt < from || r.mint >= to) continue;
      STRIX_ASSIGN_OR_RETURN(std::string_view bytes, b.ChunkBytes(r, cache));
      STRIX_ASSIGN_OR_RETURN(chunk::ChunkHeader h, chunk::ParseHeader(bytes));
      want += h.count;
    }
    run.ts.reserve(want);
    run.raw.reserve(want);
  }
  for (const auto& r : refs) {
    if (r.maxt < from || r.mint >= to) continue;
    STRIX_ASSIGN_OR_RETURN(std::string_view bytes, b.ChunkBytes(r, cache));
    if (kind == ValueKind::kState) {
      std::vector<std::string_view> vals;
      std::vector<Timestamp> ts;
      STRIX_RETURN_IF_ERROR(chunk::DecodeState(bytes, &ts, &vals, from, to - 1));
      run.ts.insert(run.ts.end(), ts.begin(), ts.end());
      for (auto v : vals) run.states.emplace_back(v);
    } else {
      // Decode straight into the run's arrays (no zero fill, no copy), then trim to range.
      STRIX_ASSIGN_OR_RETURN(chunk::ChunkHeader h, chunk::ParseHeader(bytes));
      size_t base = run.ts.size();
      run.ts.resize(base + h.count);
      run.raw.resize(base + h.count);
      STRIX_ASSIGN_OR_RETURN(size_t n, chunk::DecodeNumericInto(bytes, run.ts.data() + base,
                                                                run.raw.data() + base, h.count));
      run.ts.resize(base + n);
      run.raw.resize(base + n);
      if (r.mint < from || r.maxt >= to) {
        auto first = std::lower_bound(run.ts.begin() + base, run.ts.end(), from);
        auto last = std::lower_bound(first, run.ts.end(), to);
        size_t a = first - run.ts.begin(), b = last - run.ts.begin();
        run.ts.erase(run.ts.begin() + b, run.ts.end());
        run.raw.erase(run.raw.begin() + b, run.raw.end());
        run.ts.erase(run.ts.begin() + base, run.ts.begin() + a);
        run.raw.erase(run.raw.begin() + base, run.raw.begin() + a);
      }
    }
  }
  if (!tomb.empty()) {
    Run kept{run.precedence, {}, {}, {}};
    for (size_t i = 0; i < run.ts.size(); ++i) {
      bool dead = false;
      for (const auto& t : tomb) dead |= run.ts[i] >= t.from && run.ts[i] < t.to;
      if (dead) continue;
      kept.ts.push_back(run.ts[i]);
      if (kind == ValueKind::kState) {
        kept.states.push_back(std::move(run.states[i]));
      } else {
        kept.raw.push_back(run.raw[i]);
      }
    }
    run = std::move(kept);
  }
  if (!run.ts.empty()) g->runs.push_back(std::move(run));
  return Status::Ok();
}

Status Engine::ReadTierSeries(const block::Block& b, uint32_t pos, Timestamp from, Timestamp to,
                              block::PageCache* cache, PointRun* out, uint32_t fields,
                              const std::vector<block::ChunkRef>* refs) {
  std::vector<block::ChunkRef> own;
  if (refs == nullptr) {
    Labels labels;
    ValueKind kind;
    STRIX_RETURN_IF_ERROR(b.SeriesAt(pos, &labels, &kind, &own));
    refs = &own;
  }
  std::vector<block::Tombstone> tomb = b.TombstonesOf(pos);
  out->precedence = b.meta().precedence;
  thread_local std::vector<Timestamp> starts;
  thread_local std::vector<Aggregate> points;
  for (const auto& r : *refs) {
    if (r.maxt < from || r.mint >= to) continue;
    STRIX_ASSIGN_OR_RETURN(std::string_view bytes, b.ChunkBytes(r, cache));
    ValueKind k;
    int64_t res;
    STRIX_RETURN_IF_ERROR(tier::DecodeTierChunk(bytes, &k, &res, &starts, &points, fields)
                              .WithContext(b.path() + " series position " + std::to_string(pos)));
    if (res != b.meta().resolution_ms)
      return Status::Corruption("tier chunk resolution differs from its block's",
                                b.path() + " series position " + std::to_string(pos));
    size_t lo = std::lower_bound(starts.begin(), starts.end(), from) - starts.begin();
    size_t hi = std::lower_bound(starts.begin() + lo, starts.end(), to) - starts.begin();
    out->starts.reserve(out->starts.size() + (hi - lo));
    out->points.reserve(out->points.size() + (hi - lo));
    for (size_t i = lo; i < hi; ++i) {
      bool dead = false;
      for (const auto& t : tomb) dead |= starts[i] >= t.from && starts[i] < t.to;
      if (dead) continue;
      out->starts.push_back(starts[i]);
      out->points.push_back(points[i]);
    }
  }
  return Status::Ok();
}

Status Engine::Gather(const std::vector<BlockPtr>& blocks, const Matchers& matchers, Timestamp from,
                      Timestamp to, std::map<Labels, Gathered>* out) {
  block::PageCache cache;
  for (const BlockPtr& b : blocks) {
    if (b->meta().resolution_ms != 0) continue;
    if (b->meta().maxt < from || b->meta().mint >= to) continue;
    STRIX_ASSIGN_OR_RETURN(std::vector<uint32_t> pos, b->index().Select(matchers));
    for (uint32_t p : pos) {
      STRIX_ASSIGN_OR_RETURN(index::IndexSeriesEntry e, b->index().Series(p));
      Gathered& g = (*out)[e.labels];
      STRIX_RETURN_IF_ERROR(ReadBlockSeries(*b, p, from, to, &cache, &g));
    }
  }
  head::SeriesSamples hs;
  ReaderLock gate(&append_gate_);  // keeps series from being collected under us
  for (head::MemSeries* s : head_.Select(matchers)) {
    STRIX_RETURN_IF_ERROR(head_.Read(s, from, to, &hs));
    auto [it, inserted] = out->try_emplace(s->labels);
    Gathered& g = it->second;
    if (inserted || g.runs.empty()) {
      g.labels = s->labels;
      g.kind = s->kind;
    }
    if (g.kind != s->kind || hs.ts.empty()) continue;
    Run run{UINT64_MAX, std::move(hs.ts), {}, std::move(hs.states)};
    run.raw.reserve(hs.raw.size());
    for (uint64_t bits : hs.raw) run.raw.push_back(NumericValue{.u = bits});
    g.runs.push_back(std::move(run));
    hs.Clear();
  }
  return Status::Ok();
}

Result<std::vector<SeriesData>> Engine::Select(const SelectRequest& req) {
  if (req.to <= req.from) return Status::InvalidArgument("empty time range: to must be after from");
  if (req.step_ms < 0) return Status::InvalidArgument("negative step");
  if (req.step_ms > 0) return SelectConsolidated(req);
  // Where each matching series lives: raw blocks in time order, then the head.
  struct Source {
    const block::Block* block;
    uint32_t pos;
    ValueKind kind;
    std::vector<block::ChunkRef> refs;  // those overlapping the range
  };
  struct SeriesSources {
    std::vector<Source> blocks;
    bool in_head = false;
    ValueKind head_kind = ValueKind::kGauge;
    head::SeriesSamples head;
  };
  std::vector<BlockPtr> blocks;
  for (BlockPtr& b : BlocksSnapshot())
    if (b->meta().resolution_ms == 0 && b->meta().maxt >= req.from && b->meta().mint < req.to)
      blocks.push_back(std::move(b));
  std::sort(blocks.begin(), blocks.end(),
            [](const BlockPtr& x, const BlockPtr& y) { return x->meta().mint < y->meta().mint; });
  std::map<Labels, SeriesSources> found;
  Labels labels;
  ValueKind kind;
  std::vector<block::ChunkRef> refs;
  for (const BlockPtr& b : blocks) {
    STRIX_ASSIGN_OR_RETURN(std::vector<uint32_t> pos, b->index().Select(req.matchers));
    for (uint32_t p : pos) {
      STRIX_RETURN_IF_ERROR(b->SeriesAt(p, &labels, &kind, &refs));
      refs.erase(std::remove_if(refs.begin(), refs.end(),
                                [&](const block::ChunkRef& r) {
                                  return r.maxt < req.from || r.mint >= req.to;
                                }),
                 refs.end());
      if (refs.empty()) continue;
      found[labels].blocks.push_back({b.get(), p, kind, std::move(refs)});
      refs = {};
    }
  }
  {
    ReaderLock gate(&append_gate_);  // keeps series from being collected under us
    for (head::MemSeries* s : head_.Select(req.matchers)) {
      head::SeriesSamples hs;
      STRIX_RETURN_IF_ERROR(head_.Read(s, req.from, req.to, &hs));
      if (hs.ts.empty()) continue;
      SeriesSources& src = found[s->labels];
      src.in_head = true;
      src.head_kind = s->kind;
      src.head = std::move(hs);
    }
  }
  if (req.max_series > 0 && found.size() > req.max_series)
    return Status::ResourceExhausted("query matches more series than allowed",
                                     std::to_string(found.size()) + " series");

  std::vector<SeriesData> out;
  block::PageCache cache;
  Run merged;
  for (auto& [l, src] : found) {
    SeriesData d;
    d.labels = l;
    d.kind = src.blocks.empty() ? src.head_kind : src.blocks[0].kind;
    // The usual case: blocks that do not overlap in time, no deletions, head samples
    // after them. Their chunks decode straight into the answer, with no copy.
    bool direct = d.kind != ValueKind::kState;
    for (size_t i = 0; direct && i < src.blocks.size(); ++i) {
      const Source& x = src.blocks[i];
      direct = x.kind == d.kind && x.block->TombstonesOf(x.pos).empty() &&
               (i == 0 || x.refs.front().mint > src.blocks[i - 1].refs.back().maxt);
    }
    if (direct && src.in_head && !src.blocks.empty())
      direct = src.head_kind == d.kind && src.head.ts.front() > src.blocks.back().refs.back().maxt;
    if (direct) {
      size_t total = src.head.ts.size();
      for (const Source& x : src.blocks) {
        for (const auto& r : x.refs) {
          STRIX_ASSIGN_OR_RETURN(std::string_view bytes, x.block->ChunkBytes(r, &cache));
          STRIX_ASSIGN_OR_RETURN(chunk::ChunkHeader h, chunk::ParseHeader(bytes));
          total += h.count;
        }
      }
      d.timestamps.resize(total);
      d.raw.resize(total);
      size_t n = 0;
      for (const Source& x : src.blocks) {
        for (const auto& r : x.refs) {
          STRIX_ASSIGN_OR_RETURN(std::string_view bytes, x.block->ChunkBytes(r, &cache));
          STRIX_ASSIGN_OR_RETURN(chunk::ChunkHeader h, chunk::ParseHeader(bytes));
          STRIX_ASSIGN_OR_RETURN(
              size_t got,
              chunk::DecodeNumericInto(bytes, d.timestamps.data() + n, d.raw.data() + n, h.count));
          if (r.mint < req.from || r.maxt >= req.to) {  // trim to the range, in place
            Timestamp* t0 = d.timestamps.data() + n;
            size_t lo = std::lower_bound(t0, t0 + got, req.from) - t0;
            size_t hi = std::lower_bound(t0 + lo, t0 + got, req.to) - t0;
            std::memmove(t0, t0 + lo, (hi - lo) * sizeof(Timestamp));
            std::memmove(d.raw.data() + n, d.raw.data() + n + lo, (hi - lo) * sizeof(NumericValue));
            got = hi - lo;
          }
          n += got;
        }
      }
      for (size_t i = 0; i < src.head.ts.size(); ++i, ++n) {
        d.timestamps[n] = src.head.ts[i];
        d.raw[n].u = src.head.raw[i];
      }
      d.timestamps.resize(n);
      d.raw.resize(n);
      if (n > 0) out.push_back(std::move(d));
      continue;
    }
    // Otherwise merge: overlapping blocks (late data), tombstones, state series.
    Gathered g;
    for (const Source& x : src.blocks)
      STRIX_RETURN_IF_ERROR(ReadBlockSeries(*x.block, x.pos, req.from, req.to, &cache, &g));
    if (src.in_head && (g.runs.empty() || src.head_kind == g.kind)) {
      if (g.runs.empty()) g.kind = src.head_kind;
      Run run{UINT64_MAX, std::move(src.head.ts), {}, std::move(src.head.states)};
      run.raw.reserve(src.head.raw.size());
      for (uint64_t bits : src.head.raw) run.raw.push_back(NumericValue{.u = bits});
      g.runs.push_back(std::move(run));
    }
    MergeRuns(g.runs, g.kind == ValueKind::kState, &merged);
    if (merged.ts.empty()) continue;
    d.kind = g.kind;
    d.timestamps = std::move(merged.ts);
    if (g.kind == ValueKind::kState) {
      d.states = std::move(merged.states);
    } else {
      d.raw = std::move(merged.raw);
    }
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<SeriesData>> Engine::SelectConsolidated(const SelectRequest& req) {
  const int64_t step = req.step_ms;
  const Timestamp from = AlignDown(req.from, step);
  if ((req.to - from) / step > 11'000'000)
    return Status::InvalidArgument("too many steps in the range; use a larger step");
  // Read back far enough for the sample before the range (rates, increases), in whole
  // steps so every piece of the plan starts on a bucket boundary.
  const int64_t back = (std::max(step, kLookbackMs) + step - 1) / step * step;
  const Timestamp read_from = from - back;

  const std::vector<BlockPtr> blocks = BlocksSnapshot();
  const tier::SelectPlan plan =
      tier::PlanSelect(resolutions_, Extents(blocks), HeadMin(), step, from, read_from, req.to);
  // Only the tier point fields the function needs are decoded.
  uint32_t fields = tier::kFieldCount;
  switch (req.fn) {
    case Consolidation::kAvg:
    case Consolidation::kSum:
      fields |= tier::kFieldSum;
      break;
    case Consolidation::kMin:
      fields |= tier::kFieldMin;
      break;
    case Consolidation::kMax:
      fields |= tier::kFieldMax;
      break;
    case Consolidation::kFirst:
      fields |= tier::kFieldFirst;
      break;
    case Consolidation::kLast:
      fields |= tier::kFieldLast;
      break;
    case Consolidation::kCount:
      break;
    case Consolidation::kRate:
    case Consolidation::kIncrease:
      fields |= tier::kFieldFirst | tier::kFieldLast | tier::kFieldIncrease;
      break;
  }
  if (req.with_min_max) fields |= tier::kFieldMin | tier::kFieldMax;
  // These functions need count, sum, min and max only: the cheaper rollup.
  const bool basic = IsBasic(req.fn);
  std::map<Labels, Gathered> gathered;
  block::PageCache cache;
  Labels labels;
  ValueKind kind;
  std::vector<block::ChunkRef> refs;
  for (size_t piece_index = 0; piece_index < plan.pieces.size(); ++piece_index) {
    const tier::Piece& piece = plan.pieces[piece_index];
    if (piece.tier == 0) {
      STRIX_RETURN_IF_ERROR(Gather(blocks, req.matchers, piece.from, piece.to, &gathered));
      continue;
    }
    for (const BlockPtr& b : blocks) {
      if (b->meta().resolution_ms != resolutions_[piece.tier]) continue;
      if (!Overlaps(b->meta(), piece.from, piece.to)) continue;
      STRIX_ASSIGN_OR_RETURN(std::vector<uint32_t> pos, b->index().Select(req.matchers));
      for (uint32_t p : pos) {
        STRIX_RETURN_IF_ERROR(b->SeriesAt(p, &labels, &kind, &refs));
        auto [it, inserted] = gathered.try_emplace(labels);
        Gathered& g = it->second;
        if (inserted) {
          g.labels = labels;
          g.kind = kind;
        }
        if (g.kind != kind) continue;     // a kind conflict across blocks: keep the first
        if (kind == ValueKind::kState) {  // tiers keep state changes as they are
          STRIX_RETURN_IF_ERROR(ReadBlockSeries(*b, p, piece.from, piece.to, &cache, &g));
          continue;
        }
        g.tier_sources.push_back({b.get(), p, piece_index, std::move(refs)});
        refs = {};
      }
    }
  }
  if (req.max_series > 0 && gathered.size() > req.max_series)
    return Status::ResourceExhausted("query matches more series than allowed",
                                     std::to_string(gathered.size()) + " series");

  std::vector<SeriesData> out;
  Run merged;
  Rollup rollup(ValueKind::kGauge, plan.ladder);
  BasicRollup basic_rollup(ValueKind::kGauge, plan.ladder);
  for (auto& [labels, g] : gathered) {
    const bool state = g.kind == ValueKind::kState;
    MergeRuns(g.runs, state, &merged);
    SeriesData d;
    d.labels = labels;
    d.kind = g.kind;
    if (state) {  // the last state of each bucket
      for (size_t i = 0; i < merged.ts.size(); ++i) {
        if (merged.ts[i] < from) continue;
        Timestamp bucket = AlignDown(merged.ts[i], step);
        if (!d.timestamps.empty() && d.timestamps.back() == bucket) {
          d.states.back() = std::move(merged.states[i]);
        } else {
          d.timestamps.push_back(bucket);
          d.states.push_back(std::move(merged.states[i]));
        }
      }
      if (!d.timestamps.empty()) out.push_back(std::move(d));
      continue;
    }
    d.resolution_ms = resolutions_[plan.chosen];
    if (basic) {
      STRIX_RETURN_IF_ERROR(
          RollUpSeries(plan, req, from, fields, g, merged, &cache, &basic_rollup, &d));
    } else {
      STRIX_RETURN_IF_ERROR(RollUpSeries(plan, req, from, fields, g, merged, &cache, &rollup, &d));
    }
    if (!d.timestamps.empty()) out.push_back(std::move(d));
  }
  return out;
}

template <class A>
Status Engine::RollUpSeries(const tier::SelectPlan& plan, const SelectRequest& req, Timestamp from,
                            uint32_t fields, Gathered& g, const Run& merged,
                            block::PageCache* cache, RollupOf<A>* rollup, SeriesData* d) {
  constexpr bool kFull = std::is_same_v<A, Aggregate>;
  // Tier sources in piece order, and within a piece by window (a tier's blocks hold
  // disjoint windows).
  auto& srcs = g.tier_sources;
  std::sort(srcs.begin(), srcs.end(), [](const auto& x, const auto& y) {
    return x.piece != y.piece ? x.piece < y.piece
                              : x.block->meta().window_start < y.block->meta().window_start;
  });
  // Feed the pieces in time order, points straight from the decoded chunks; what lies
  // before `from` only provides the sample before the range (rates and increases).
  rollup->Reset(g.kind);
  Aggregate prev;
  bool have_prev = false;
  size_t raw_i = 0, src_i = 0;
  thread_local std::vector<Timestamp> starts;
  thread_local std::vector<Aggregate> points;
  thread_local tier::BasicColumns cols;
  for (size_t pi = 0; pi < plan.pieces.size(); ++pi) {
    const tier::Piece& piece = plan.pieces[pi];
    if (piece.tier == 0) {
      for (; raw_i < merged.ts.size() && merged.ts[raw_i] < piece.to; ++raw_i) {
        Timestamp t = merged.ts[raw_i];
        if (t < piece.from) continue;
        if (t < from) {
          if constexpr (kFull) {
            prev = Aggregate{};
            prev.Add(g.kind, t, merged.raw[raw_i]);
            have_prev = true;
          }
        } else {
          rollup->AddSample(t, merged.raw[raw_i]);
        }
      }
      continue;
    }
    const size_t level = std::find(plan.ladder_tiers.begin(), plan.ladder_tiers.end(), piece.tier) -
                         plan.ladder_tiers.begin();
    auto feed = [&](Timestamp start, const A& a) {
      if (start >= from) {
        rollup->AddPoint(level, start, a);
      } else if constexpr (kFull) {
        prev = a;
        have_prev = true;
      }
    };
    size_t first = src_i;
    while (src_i < srcs.size() && srcs[src_i].piece == pi) ++src_i;
    bool disjoint = true;
    for (size_t k = first + 1; k < src_i; ++k)
      disjoint &= srcs[k].block->meta().window_start >= srcs[k - 1].block->meta().window_end;
    if (!disjoint) {  // overlapping tier blocks (a rebuild in flight): merge them
      std::vector<PointRun> runs;
      for (size_t k = first; k < src_i; ++k) {
        runs.emplace_back();
        STRIX_RETURN_IF_ERROR(ReadTierSeries(*srcs[k].block, srcs[k].pos, piece.from, piece.to,
                                             cache, &runs.back(), fields, &srcs[k].refs));
      }
      PointRun mp;
      MergePoints(runs, &mp);
      for (size_t i = 0; i < mp.starts.size(); ++i) {
        const Aggregate& a = mp.points[i];
        if constexpr (kFull) {
          feed(mp.starts[i], a);
        } else {
          feed(mp.starts[i], BasicAggregate{a.count, a.sum, a.min, a.max});
        }
      }
      continue;
    }
    for (size_t k = first; k < src_i; ++k) {
      const auto& src = srcs[k];
      const std::vector<block::Tombstone> tomb = src.block->TombstonesOf(src.pos);
      auto dead = [&](Timestamp t) {
        for (const auto& x : tomb)
          if (t >= x.from && t < x.to) return true;
        return false;
      };
      for (const auto& r : src.refs) {
        if (r.maxt < piece.from || r.mint >= piece.to) continue;
        STRIX_ASSIGN_OR_RETURN(std::string_view bytes, src.block->ChunkBytes(r, cache));
        ValueKind k2;
        int64_t res;
        const std::vector<Timestamp>* st;
        if constexpr (kFull) {
          STRIX_RETURN_IF_ERROR(
              tier::DecodeTierChunk(bytes, &k2, &res, &starts, &points, fields)
                  .WithContext(src.block->path() + " series " + g.labels.ToString()));
          st = &starts;
        } else {
          STRIX_RETURN_IF_ERROR(
              tier::DecodeTierBasic(bytes, fields, &k2, &res, &cols)
                  .WithContext(src.block->path() + " series " + g.labels.ToString()));
          st = &cols.starts;
        }
        if (k2 != g.kind || res != resolutions_[piece.tier])
          return Status::Corruption("tier chunk kind or resolution differs from its block's",
                                    src.block->path() + " series " + g.labels.ToString());
        size_t i = std::lower_bound(st->begin(), st->end(), piece.from) - st->begin();
        const size_t n = st->size();
        const Timestamp* ts = st->data();
        if constexpr (kFull) {
          for (; i < n && ts[i] < piece.to; ++i)
            if (tomb.empty() || !dead(ts[i])) feed(ts[i], points[i]);
        } else {
          const uint64_t* count = cols.count.data();
          const double* sum = cols.sum.empty() ? nullptr : cols.sum.data();
          const double* min = cols.min.empty() ? nullptr : cols.min.data();
          const double* max = cols.max.empty() ? nullptr : cols.max.data();
          for (; i < n && ts[i] < piece.to; ++i) {
            if (!tomb.empty() && dead(ts[i])) continue;
            feed(ts[i],
                 BasicAggregate{count[i], sum ? sum[i] : 0, min ? min[i] : 0, max ? max[i] : 0});
          }
        }
      }
    }
  }
  rollup->Finish();
  const auto& bucket_starts = rollup->starts();
  const auto& buckets = rollup->outputs();
  d->timestamps.reserve(buckets.size());
  d->values.reserve(buckets.size());
  for (size_t k = 0; k < buckets.size(); ++k) {
    std::optional<double> v;
    if constexpr (kFull) {
      v = Finalize(g.kind, req.fn, buckets[k], have_prev ? &prev : nullptr);
      prev = buckets[k];
      have_prev = true;
    } else {
      v = FinalizeBasic(req.fn, buckets[k]);
    }
    if (!v) continue;
    d->timestamps.push_back(bucket_starts[k]);
    d->values.push_back(*v);
    if (req.with_min_max) {
      d->min.push_back(buckets[k].min);
      d->max.push_back(buckets[k].max);
    }
  }
  return Status::Ok();
}

std::vector<tier::BlockExtent> Engine::Extents(const std::vector<BlockPtr>& blocks) const {
  std::vector<tier::BlockExtent> out;
  out.reserve(blocks.size());
  for (const BlockPtr& b : blocks) {
    const auto& m = b->meta();
    out.push_back({m.resolution_ms, m.window_start, m.window_end, m.mint, m.precedence});
  }
  return out;
}

Result<std::vector<LatestSample>> Engine::Latest(const Matchers& matchers) {
  std::map<Labels, LatestSample> best;
  {
    ReaderLock gate(&append_gate_);
    for (head::MemSeries* s : head_.Select(matchers)) {
      LatestSample l;
      uint64_t raw;
      if (!head_.Latest(s, &l.ts, &raw, &l.state)) continue;
      l.labels = s->labels;
      l.kind = s->kind;
      l.value.u = raw;
      best.emplace(s->labels, std::move(l));
    }
  }
  block::PageCache cache;
  for (const BlockPtr& b : BlocksSnapshot()) {
    STRIX_ASSIGN_OR_RETURN(std::vector<uint32_t> pos, b->index().Select(matchers));
    for (uint32_t p : pos) {
      Labels labels;
      ValueKind kind;
      std::vector<block::ChunkRef> refs;
      STRIX_RETURN_IF_ERROR(b->SeriesAt(p, &labels, &kind, &refs));
      if (refs.empty()) continue;
      auto it = best.find(labels);
      if (it != best.end() && it->second.ts >= refs.back().maxt) continue;
      if (b->meta().resolution_ms > 0 && kind != ValueKind::kState) {
        // A series whose raw data aged out: the last sample of its newest tier point.
        PointRun pr;
        STRIX_RETURN_IF_ERROR(ReadTierSeries(*b, p, refs.back().mint, INT64_MAX, &cache, &pr));
        if (pr.points.empty()) continue;
        const Aggregate& a = pr.points.back();
        if (it != best.end() && it->second.ts >= a.last_ts) continue;
        LatestSample l;
        l.labels = labels;
        l.kind = kind;
        l.ts = a.last_ts;
        l.value = a.last;
        if (it == best.end()) {
          best.emplace(labels, std::move(l));
        } else {
          it->second = std::move(l);
        }
        continue;
      }
      Gathered g;
      STRIX_RETURN_IF_ERROR(
          ReadBlockSeries(*b, p, refs.back().mint, refs.back().maxt + 1, &cache, &g));
      if (g.runs.empty()) continue;
      Run& r = g.runs.back();
      LatestSample l;
      l.labels = labels;
      l.kind = kind;
      l.ts = r.ts.back();
      if (kind == ValueKind::kState) {
        l.state = r.states.back();
      } else {
        l.value = r.raw.back();
      }
      if (it == best.end()) {
        best.emplace(labels, std::move(l));
      } else if (l.ts > it->second.ts) {
        it->second = std::move(l);
      }
    }
  }
  std::vector<LatestSample> out;
  for (auto& [l, s] : best) out.push_back(std::move(s));
  return out;
}

Result<std::vector<SeriesInfo>> Engine::Series(const Matchers& matchers, Timestamp from,
                                               Timestamp to) {
  std::map<Labels, SeriesInfo> found;
  auto note = [&](const Labels& l, ValueKind k, Timestamp lo, Timestamp hi) {
    if (hi < from || lo >= to) return;
    auto [it, inserted] = found.try_emplace(l);
    if (inserted) {
      it->second = SeriesInfo{l, k, lo, hi};
    } else {
      it->second.first_ts = std::min(it->second.first_ts, lo);
      it->second.last_ts = std::max(it->second.last_ts, hi);
    }
  };
  // Tier blocks too: a series whose raw data has aged out still exists. (For a tier
  // chunk, mint and maxt are bucket starts.)
  for (const BlockPtr& b : BlocksSnapshot()) {
    if (b->meta().maxt < from || b->meta().mint >= to) continue;
    STRIX_ASSIGN_OR_RETURN(std::vector<uint32_t> pos, b->index().Select(matchers));
    for (uint32_t p : pos) {
      Labels labels;
      ValueKind kind;
      std::vector<block::ChunkRef> refs;
      STRIX_RETURN_IF_ERROR(b->SeriesAt(p, &labels, &kind, &refs));
      if (!refs.empty()) note(labels, kind, refs.front().mint, refs.back().maxt);
    }
  }
  ReaderLock gate(&append_gate_);
  for (head::MemSeries* s : head_.Select(matchers)) {
    Timestamp lo, hi;
    if (head_.Bounds(s, &lo, &hi)) note(s->labels, s->kind, lo, hi);
  }
  std::vector<SeriesInfo> out;
  for (auto& [l, i] : found) out.push_back(std::move(i));
  return out;
}

Result<std::vector<std::string>> Engine::LabelNames(const Matchers& matchers) {
  std::vector<std::string> out;
  for (auto n : head_.postings().LabelNames(matchers)) out.emplace_back(n);
  for (const BlockPtr& b : BlocksSnapshot()) {
    STRIX_ASSIGN_OR_RETURN(auto names, b->index().LabelNames(matchers));
    for (auto n : names) out.emplace_back(n);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::vector<std::string>> Engine::LabelValues(const std::string& name,
                                                     const Matchers& matchers) {
  std::vector<std::string> out;
  for (auto v : head_.postings().LabelValues(name, matchers)) out.emplace_back(v);
  for (const BlockPtr& b : BlocksSnapshot()) {
    STRIX_ASSIGN_OR_RETURN(auto values, b->index().LabelValues(name, matchers));
    for (auto v : values) out.emplace_back(v);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<uint64_t> Engine::Delete(const Matchers& matchers, Timestamp from, Timestamp to) {
  if (to <= from) return Status::InvalidArgument("empty time range: to must be after from");
  std::map<Labels, bool> affected;
  // Head: log the deletion first, so a replay applies it again.
  ReaderLock gate(&append_gate_);
  std::vector<head::MemSeries*> series = head_.Select(matchers);
  if (!series.empty()) {
    std::vector<SeriesRef> refs;
    for (auto* s : series) refs.push_back(s->ref);
    std::string payload = head::EncodeDelete(from, to, refs);
    STRIX_RETURN_IF_ERROR(wal_->Append(wal::Record{head::kDeleteRecord, payload}));
    for (auto* s : series) {
      Timestamp lo, hi;
      if (head_.Bounds(s, &lo, &hi) && hi >= from && lo < to) affected[s->labels] = true;
      STRIX_RETURN_IF_ERROR(head_.DeleteRange(s, from, to));
    }
  }
  for (const BlockPtr& b : BlocksSnapshot()) {
    if (b->meta().maxt < from || b->meta().mint >= to) continue;
    STRIX_ASSIGN_OR_RETURN(std::vector<uint32_t> pos, b->index().Select(matchers));
    std::vector<block::Tombstone> add;
    const int64_t res = b->meta().resolution_ms;
    for (uint32_t p : pos) {
      Labels labels;
      ValueKind kind;
      std::vector<block::ChunkRef> refs;
      STRIX_RETURN_IF_ERROR(b->SeriesAt(p, &labels, &kind, &refs));
      // A tier point summarises its whole bucket: every point whose bucket overlaps the
      // range goes (state series keep exact changes in tiers too).
      Timestamp lo = res > 0 && kind != ValueKind::kState ? AlignDown(from, res) : from;
      add.push_back(block::Tombstone{p, lo, to});
      affected[labels] = true;
    }
    if (!add.empty()) STRIX_RETURN_IF_ERROR(b->AddTombstones(add));
  }
  return static_cast<uint64_t>(affected.size());
}

}  // namespace strix::storage::internal
