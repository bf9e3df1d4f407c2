// The embedded engine's maintenance: head flush, WAL checkpoint, compaction, tier
// building, retention and the background thread that runs them. See engine_impl.h.
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

// ---- flush, compaction, retention -----------------------------------------------------

Status Engine::Flush() {
  MutexLock l(&maint_mu_);
  return FlushLocked();
}

Status Engine::FlushLocked() {
  uint64_t first_segment;
  std::vector<head::FrozenSeries> frozen;
  {
    WriterLock gate(&append_gate_);
    STRIX_ASSIGN_OR_RETURN(first_segment, wal_->NextSegment());
    frozen = head_.Cut();
    frozen_min_ = std::min(frozen_min_.load(), head_min_.exchange(INT64_MAX));
  }
  last_flush_ms_ = clock_.NowMillis();
  // Group each series' samples by block window.
  struct WindowSeries {
    const Labels* labels;
    ValueKind kind;
    Run run;
  };
  std::map<Timestamp, std::vector<WindowSeries>> windows;
  head::SeriesSamples all;
  for (const auto& f : frozen) {
    STRIX_RETURN_IF_ERROR(head::MergeFrozen(f, &all));
    size_t i = 0;
    while (i < all.ts.size()) {
      Timestamp w = AlignDown(all.ts[i], opts_.block_window_ms);
      WindowSeries ws{&f.labels, f.kind, Run{0, {}, {}, {}}};
      while (i < all.ts.size() && all.ts[i] < w + opts_.block_window_ms) {
        ws.run.ts.push_back(all.ts[i]);
        if (f.kind == ValueKind::kState) {
          ws.run.states.push_back(std::move(all.states[i]));
        } else {
          ws.run.raw.push_back(NumericValue{.u = all.raw[i]});
        }
        ++i;
      }
      windows[w].push_back(std::move(ws));
    }
  }
  std::vector<std::string> chunks;
  std::vector<block::ChunkInput> inputs;
  for (auto& [w, list] : windows) {
    std::sort(list.begin(), list.end(),
              [](const WindowSeries& a, const WindowSeries& b) { return *a.labels < *b.labels; });
    block::BlockMeta meta;
    meta.seq = next_seq_++;
    meta.precedence = meta.seq;
    meta.resolution_ms = 0;
    meta.window_start = w;
    meta.window_end = w + opts_.block_window_ms;
    STRIX_ASSIGN_OR_RETURN(auto writer, block::BlockWriter::Create(env_, blocks_dir_, meta));
    for (const auto& ws : list) {
      STRIX_RETURN_IF_ERROR(EncodeChunks(ws.kind, ws.run, &chunks, &inputs));
      STRIX_RETURN_IF_ERROR(writer->AddSeries(*ws.labels, ws.kind, inputs));
    }
    STRIX_ASSIGN_OR_RETURN(block::BlockMeta done, writer->Finish());
    STRIX_ASSIGN_OR_RETURN(auto b, block::Block::Open(env_, blocks_dir_, done.seq));
    AddBlock(std::move(b));
    STRIX_LOG(kInfo, "storage: flushed head block", "block", done.seq, "window", w, "series",
              done.series, "samples", done.samples);
  }
  frozen_min_ = INT64_MAX;  // every cut sample is in a block now
  STRIX_RETURN_IF_ERROR(WriteCheckpoint(first_segment));
  WriterLock gate(&append_gate_);  // no append or reader holds a series pointer now
  head_.CollectGarbage(clock_.NowMillis() - 2 * opts_.head_flush_interval_ms);
  return Status::Ok();
}

Status Engine::WriteCheckpoint(uint64_t first_segment) {
  std::vector<std::string> payloads;
  head::RecordBuilder b;
  size_t bytes = 0;
  for (head::MemSeries* s : head_.AllSeries()) {
    b.AddDef(s->ref, s->kind, s->labels.encoded());
    bytes += s->labels.encoded().size() + 12;
    if (bytes > kCheckpointRecordBytes) {
      payloads.emplace_back(b.Finish());
      b.Reset();
      bytes = 0;
    }
  }
  if (!b.empty()) payloads.emplace_back(b.Finish());
  std::vector<wal::Record> records;
  for (const auto& p : payloads) records.push_back(wal::Record{head::kSeriesRecord, p});
  return wal_->WriteCheckpoint(records, first_segment);
}

Status Engine::DeleteBlockFiles(const block::Block& b) {
  STRIX_RETURN_IF_ERROR(env_.RemoveFile(b.path()));
  std::string tomb = b.path().substr(0, b.path().size() - block::kBlockSuffix.size()) +
                     std::string(block::kTombSuffix);
  if (env_.FileExists(tomb)) STRIX_RETURN_IF_ERROR(env_.RemoveFile(tomb));
  return env_.SyncDir(blocks_dir_);
}

Status Engine::Compact() {
  MutexLock l(&maint_mu_);
  STRIX_RETURN_IF_ERROR(CompactLocked());
  STRIX_RETURN_IF_ERROR(BuildTiersLocked());
  STRIX_RETURN_IF_ERROR(CompactLocked());
  return RetentionLocked();
}

Status Engine::ReplaceBlocks(const std::vector<BlockPtr>& old, BlockPtr nb) {
  {
    WriterLock bl(&blocks_mu_);
    blocks_.erase(std::remove_if(blocks_.begin(), blocks_.end(),
                                 [&](const BlockPtr& b) {
                                   return std::find(old.begin(), old.end(), b) != old.end();
                                 }),
                  blocks_.end());
    blocks_.push_back(std::move(nb));
  }
  for (const BlockPtr& b : old) STRIX_RETURN_IF_ERROR(DeleteBlockFiles(*b));
  return Status::Ok();
}

Status Engine::CompactLocked() {
  const int64_t now = clock_.NowMillis();
  // Closed windows merge into one block each. Once a whole day is closed (late samples
  // included: the out-of-order window has passed), its blocks merge into one day block,
  // and coarse tiers (1h) merge closed days further into spans of about 1,440 points a
  // series, so long ranges touch few files.
  const int64_t grace = std::max(opts_.head_flush_interval_ms, opts_.out_of_order_window_ms);
  using Key = std::tuple<int64_t, Timestamp, Timestamp>;  // resolution, [start, end)
  std::map<Key, std::vector<BlockPtr>> groups;
  for (const BlockPtr& b : BlocksSnapshot()) {
    const auto& m = b->meta();
    if (std::find(resolutions_.begin(), resolutions_.end(), m.resolution_ms) == resolutions_.end())
      continue;  // a tier no longer configured: left as it is
    const int64_t len = m.window_end - m.window_start;
    Key key{m.resolution_ms, m.window_start, m.window_end};
    const int64_t span =
        m.resolution_ms == 0 ? kDay : std::max(kDay, AlignDown(m.resolution_ms * 1440, kDay));
    for (int64_t width : {span, kDay}) {
      Timestamp start = AlignDown(m.window_start, width);
      if (len < width && width % len == 0 && start + width + grace <= now) {
        key = Key{m.resolution_ms, start, start + width};
        break;
      }
    }
    groups[key].push_back(b);
  }
  for (auto& [key, list] : groups) {
    const auto& [res, w, w_end] = key;
    bool tombstoned = std::any_of(list.begin(), list.end(),
                                  [](const BlockPtr& b) { return b->has_tombstones(); });
    bool closed = w_end + opts_.head_flush_interval_ms <= now;
    if (!closed || (list.size() < 2 && !tombstoned)) continue;
    Status st = MergeBlocks(res, w, w_end, list);
    if (!st.ok()) {
      ++compactions_failed_;
      return st;
    }
  }
  return Status::Ok();
}

Status Engine::MergeBlocks(int64_t resolution_ms, Timestamp w, Timestamp w_end,
                           const std::vector<BlockPtr>& list) {
  block::BlockMeta meta;
  meta.seq = next_seq_++;
  meta.resolution_ms = resolution_ms;
  meta.window_start = w;
  meta.window_end = w_end;
  for (const BlockPtr& b : list) {
    meta.precedence = std::max(meta.precedence, b->meta().precedence);
    meta.level = std::max(meta.level, b->meta().level + 1);
    meta.sources.push_back(b->meta().seq);
  }
  STRIX_ASSIGN_OR_RETURN(auto writer, block::BlockWriter::Create(env_, blocks_dir_, meta));
  block::PageCache cache;
  Run merged;
  PointRun points;
  std::vector<std::string> chunks;
  std::vector<block::ChunkInput> inputs;
  STRIX_RETURN_IF_ERROR(
      ForEachSeries(list, [&](const Labels& labels, std::span<const Holder> holders) -> Status {
        if (cache.size() > kScanCachePages) cache.Clear();
        Labels l;
        ValueKind kind;
        std::vector<block::ChunkRef> refs;
        STRIX_RETURN_IF_ERROR(holders[0].first->SeriesAt(holders[0].second, &l, &kind, &refs));
        if (resolution_ms == 0 || kind == ValueKind::kState) {
          Gathered g;
          for (const Holder& h : holders)
            STRIX_RETURN_IF_ERROR(
                ReadBlockSeries(*h.first, h.second, INT64_MIN, INT64_MAX, &cache, &g));
          MergeRuns(g.runs, g.kind == ValueKind::kState, &merged);
          if (merged.ts.empty()) return Status::Ok();
          STRIX_RETURN_IF_ERROR(EncodeChunks(g.kind, merged, &chunks, &inputs));
          return writer->AddSeries(labels, g.kind, inputs);
        }
        std::vector<PointRun> runs;
        for (const Holder& h : holders) {
          ValueKind k;
          STRIX_RETURN_IF_ERROR(h.first->SeriesAt(h.second, &l, &k, &refs));
          if (k != kind) continue;
          runs.emplace_back();
          STRIX_RETURN_IF_ERROR(
              ReadTierSeries(*h.first, h.second, INT64_MIN, INT64_MAX, &cache, &runs.back()));
        }
        MergePoints(runs, &points);
        if (points.starts.empty()) return Status::Ok();
        STRIX_RETURN_IF_ERROR(EncodeTierChunks(kind, resolution_ms, points, &chunks, &inputs));
        return writer->AddSeries(labels, kind, inputs);
      }));
  STRIX_ASSIGN_OR_RETURN(block::BlockMeta done, writer->Finish());
  STRIX_ASSIGN_OR_RETURN(auto nb, block::Block::Open(env_, blocks_dir_, done.seq));
  STRIX_RETURN_IF_ERROR(ReplaceBlocks(list, std::move(nb)));
  ++compactions_;
  STRIX_LOG(kInfo, "storage: compacted window", "resolution_ms", resolution_ms, "window", w,
            "sources", list.size(), "block", done.seq, "samples", done.samples);
  return Status::Ok();
}

Status Engine::BuildTiersLocked() {
  const Timestamp closed_before = clock_.NowMillis() - opts_.head_flush_interval_ms;
  for (size_t t = 1; t < resolutions_.size(); ++t) {
    std::vector<BlockPtr> blocks = BlocksSnapshot();
    std::vector<tier::BuildUnit> units = tier::PlanTierBuild(
        Extents(blocks), resolutions_[t - 1], resolutions_[t], TierWindow(t), closed_before);
    for (const auto& u : units) STRIX_RETURN_IF_ERROR(BuildTierUnit(t, u, blocks));
  }
  return Status::Ok();
}

Status Engine::BuildTierUnit(size_t t, const tier::BuildUnit& unit,
                             const std::vector<BlockPtr>& blocks) {
  const int64_t src_res = resolutions_[t - 1];
  const int64_t res = resolutions_[t];
  const Timestamp from = unit.window.from, to = unit.window.to;
  std::vector<BlockPtr> src, replaced;
  block::BlockMeta meta;
  for (const BlockPtr& b : blocks) {
    if (b->meta().resolution_ms != src_res || !Overlaps(b->meta(), from, to)) continue;
    src.push_back(b);
    meta.precedence = std::max(meta.precedence, b->meta().precedence);
  }
  for (size_t i : unit.replace) {
    replaced.push_back(blocks[i]);
    meta.sources.push_back(blocks[i]->meta().seq);
  }
  meta.seq = next_seq_++;
  meta.resolution_ms = res;
  meta.window_start = from;
  meta.window_end = to;
  STRIX_ASSIGN_OR_RETURN(auto writer, block::BlockWriter::Create(env_, blocks_dir_, meta));
  // Points are built through the whole ladder from raw (or from the tier below, whose
  // points came through the same ladder), exactly as queries roll raw data up.
  Rollup rollup(ValueKind::kGauge,
                std::vector<int64_t>(resolutions_.begin() + 1, resolutions_.begin() + t + 1));
  block::PageCache cache;
  Run merged;
  PointRun points;
  std::vector<std::string> chunks;
  std::vector<block::ChunkInput> inputs;
  STRIX_RETURN_IF_ERROR(
      ForEachSeries(src, [&](const Labels& labels, std::span<const Holder> holders) -> Status {
        if (cache.size() > kScanCachePages) cache.Clear();
        Labels l;
        ValueKind kind;
        std::vector<block::ChunkRef> refs;
        STRIX_RETURN_IF_ERROR(holders[0].first->SeriesAt(holders[0].second, &l, &kind, &refs));
        if (src_res == 0 || kind == ValueKind::kState) {
          Gathered g;
          for (const Holder& h : holders)
            STRIX_RETURN_IF_ERROR(ReadBlockSeries(*h.first, h.second, from, to, &cache, &g));
          kind = g.kind;
          MergeRuns(g.runs, kind == ValueKind::kState, &merged);
          if (merged.ts.empty()) return Status::Ok();
          if (kind == ValueKind::kState) {  // state series keep their changes in every tier
            STRIX_RETURN_IF_ERROR(EncodeChunks(kind, merged, &chunks, &inputs));
            return writer->AddSeries(labels, kind, inputs);
          }
          rollup.Reset(kind);
          for (size_t i = 0; i < merged.ts.size(); ++i)
            rollup.AddSample(merged.ts[i], merged.raw[i]);
        } else {
          std::vector<PointRun> runs;
          for (const Holder& h : holders) {
            ValueKind k;
            STRIX_RETURN_IF_ERROR(h.first->SeriesAt(h.second, &l, &k, &refs));
            if (k != kind) continue;
            runs.emplace_back();
            STRIX_RETURN_IF_ERROR(
                ReadTierSeries(*h.first, h.second, from, to, &cache, &runs.back()));
          }
          MergePoints(runs, &points);
          if (points.starts.empty()) return Status::Ok();
          rollup.Reset(kind);
          for (size_t i = 0; i < points.starts.size(); ++i)
            rollup.AddPoint(t - 2, points.starts[i], points.points[i]);
        }
        rollup.Finish();
        points.starts = std::move(rollup.starts());
        points.points = std::move(rollup.outputs());
        rollup.starts().clear();
        rollup.outputs().clear();
        if (points.starts.empty()) return Status::Ok();
        STRIX_RETURN_IF_ERROR(EncodeTierChunks(kind, res, points, &chunks, &inputs));
        return writer->AddSeries(labels, kind, inputs);
      }));
  STRIX_ASSIGN_OR_RETURN(block::BlockMeta done, writer->Finish());
  STRIX_ASSIGN_OR_RETURN(auto nb, block::Block::Open(env_, blocks_dir_, done.seq));
  STRIX_RETURN_IF_ERROR(ReplaceBlocks(replaced, std::move(nb)));
  ++tier_builds_;
  STRIX_LOG(kInfo, "storage: built tier window", "tier", opts_.tiers[t].name, "window", from, "end",
            to, "block", done.seq, "replaced", replaced.size(), "points", done.samples);
  return Status::Ok();
}

Status Engine::RetentionLocked() {
  const int64_t now = clock_.NowMillis();
  std::vector<BlockPtr> drop;
  std::vector<BlockPtr> all = BlocksSnapshot();
  for (const BlockPtr& b : all) {
    for (const auto& t : opts_.tiers) {
      if (t.resolution_ms != b->meta().resolution_ms || t.retention_ms == 0) continue;
      if (b->meta().window_end <= now - t.retention_ms) drop.push_back(b);
    }
  }
  if (opts_.disk_budget_bytes > 0) {
    uint64_t used = wal_->Metrics().size_on_disk;
    for (const BlockPtr& b : all) used += b->file_bytes();
    // Oldest first within the finest tier, then the next tier.
    std::vector<BlockPtr> order = all;
    std::sort(order.begin(), order.end(), [](const BlockPtr& a, const BlockPtr& b) {
      return a->meta().resolution_ms != b->meta().resolution_ms
                 ? a->meta().resolution_ms < b->meta().resolution_ms
                 : a->meta().window_start < b->meta().window_start;
    });
    for (const BlockPtr& b : drop) used -= b->file_bytes();
    for (const BlockPtr& b : order) {
      if (used <= opts_.disk_budget_bytes) break;
      if (std::find(drop.begin(), drop.end(), b) != drop.end()) continue;
      drop.push_back(b);
      used -= b->file_bytes();
    }
  }
  if (drop.empty()) return Status::Ok();
  {
    WriterLock bl(&blocks_mu_);
    blocks_.erase(std::remove_if(blocks_.begin(), blocks_.end(),
                                 [&](const BlockPtr& b) {
                                   return std::find(drop.begin(), drop.end(), b) != drop.end();
                                 }),
                  blocks_.end());
  }
  for (const BlockPtr& b : drop) {
    STRIX_LOG(kInfo, "storage: retention removed block", "block", b->meta().seq, "window",
              b->meta().window_start);
    STRIX_RETURN_IF_ERROR(DeleteBlockFiles(*b));
  }
  return Status::Ok();
}

void Engine::BackgroundLoop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    {
      std::unique_lock<std::mutex> l(bg_mu_);
      bg_cv_.wait_for(l, stop, std::chrono::milliseconds(opts_.background_interval_ms),
                      [] { return false; });
    }
    if (stop.stop_requested()) break;
    int64_t now = clock_.NowMillis();
    // Ingest rate over the last interval.
    int64_t since = now - rate_start_ms_.load();
    if (since >= 10'000) {
      uint64_t n = appended_.load();
      rate_ = static_cast<double>(n - rate_base_.load()) * 1000.0 / static_cast<double>(since);
      rate_base_ = n;
      rate_start_ms_ = now;
    }
    MutexLock l(&maint_mu_);
    Status s;
    head::HeadStats hs = head_.Stats();
    if (hs.samples > 0 && (now - last_flush_ms_ >= opts_.head_flush_interval_ms ||
                           hs.bytes >= opts_.head_max_bytes)) {
      s = FlushLocked();
    }
    if (s.ok()) s = CompactLocked();
    if (s.ok()) s = BuildTiersLocked();
    if (s.ok()) s = RetentionLocked();
    if (!s.ok()) {
      STRIX_LOG(kError, "storage: background work failed", "error", s);
      bg_error_ = s;
    }
  }
}

}  // namespace strix::storage::internal
