// Internals of the embedded engine (OpenEmbedded, engine.h), shared by its translation
// units: engine.cc (open, recovery, append, stats), engine_read.cc (select, latest,
// series, labels, delete) and engine_maintenance.cc (flush, compaction, tier building,
// retention, the background thread). Not part of any API: include only from those.
#pragma once

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/mutex.h"
#include "storage/block/block.h"
#include "storage/engine.h"
#include "storage/head/head.h"
#include "storage/rollup.h"
#include "storage/tier/plan.h"
#include "storage/tier/tier_chunk.h"
#include "storage/wal/wal.h"

namespace strix::storage::internal {

constexpr uint32_t kBlockChunkSamples = 1024;
constexpr size_t kCheckpointRecordBytes = 4 << 20;
constexpr int64_t kLookbackMs = 15 * 60 * 1000;
constexpr int64_t kDay = 86'400'000;
// Points per tier chunk (a day of 1m points fits in one).
constexpr size_t kTierChunkPoints = 2048;
// Decompressed pages a long scan keeps before clearing its cache between series.
constexpr size_t kScanCachePages = 256;

inline bool IsNaNBits(ValueKind kind, NumericValue v) {
  return IsFloatKind(kind) && std::isnan(v.f);
}

// Samples of one series gathered from several sources, merged.
struct Run {
  uint64_t precedence;
  std::vector<Timestamp> ts;
  std::vector<NumericValue> raw;
  std::vector<std::string> states;
};

// Merges runs (each sorted, unique timestamps) into one; for a timestamp present in
// several runs the highest precedence wins.
void MergeRuns(std::vector<Run>& runs, bool state, Run* out);

// Encodes sorted samples into block chunks of at most kBlockChunkSamples.
Status EncodeChunks(ValueKind kind, const Run& r, std::vector<std::string>* chunks,
                    std::vector<block::ChunkInput>* inputs);

// Tier points of one series from one block.
struct PointRun {
  uint64_t precedence = 0;
  std::vector<Timestamp> starts;
  std::vector<Aggregate> points;
};

// Merges point runs (each sorted) into one; for a bucket present in several runs the
// highest precedence wins.
void MergePoints(std::vector<PointRun>& runs, PointRun* out);

// Encodes tier points into tier chunks of at most kTierChunkPoints.
Status EncodeTierChunks(ValueKind kind, int64_t resolution_ms, const PointRun& r,
                        std::vector<std::string>* chunks, std::vector<block::ChunkInput>* inputs);

// Where a series lives among the blocks of a scan: (block, index position).
using Holder = std::pair<const block::Block*, uint32_t>;

// Visits the series of `blocks` in label order (each block's index is sorted), giving
// every block position that holds it. Memory: one series at a time.
Status ForEachSeries(const std::vector<std::shared_ptr<block::Block>>& blocks,
                     const std::function<Status(const Labels&, std::span<const Holder>)>& fn);

inline bool Overlaps(const block::BlockMeta& m, Timestamp from, Timestamp to) {
  return m.window_start < to && from < m.window_end;
}

class Engine final : public Storage {
 public:
  Engine(std::string dir, const EngineOptions& opts, Env& env, Clock& clock)
      : dir_(std::move(dir)),
        blocks_dir_(JoinPath(dir_, "blocks")),
        opts_(opts),
        env_(env),
        clock_(clock) {}

  ~Engine() override { Close().IgnoreError(); }

  Status Open();

  Result<AppendResult> Append(const WriteBatch& batch) override;
  Result<std::vector<SeriesData>> Select(const SelectRequest& req) override;
  Result<std::vector<LatestSample>> Latest(const Matchers& matchers) override;
  Result<std::vector<SeriesInfo>> Series(const Matchers& matchers, Timestamp from,
                                         Timestamp to) override;
  Result<std::vector<std::string>> LabelNames(const Matchers& matchers) override;
  Result<std::vector<std::string>> LabelValues(const std::string& name,
                                               const Matchers& matchers) override;
  Result<uint64_t> Delete(const Matchers& matchers, Timestamp from, Timestamp to) override;
  StorageStats Stats() override;
  Status Flush() override;
  Status Compact() override;
  Status Close() override;

 private:
  using BlockPtr = std::shared_ptr<block::Block>;

  Status LoadBlocks();
  Status Replay(const wal::RecordView& rec);
  std::vector<BlockPtr> BlocksSnapshot() const {
    ReaderLock l(&blocks_mu_);
    return blocks_;
  }
  void AddBlock(BlockPtr b) {
    WriterLock l(&blocks_mu_);
    blocks_.push_back(std::move(b));
  }
  // Reads the merged raw samples of every series matching `matchers` in [from, to).
  struct Gathered {
    Labels labels;
    ValueKind kind;
    std::vector<Run> runs;
    // Consolidated queries: where the series' tier points are, read when it is rolled up.
    struct TierSource {
      const block::Block* block;
      uint32_t pos;
      size_t piece;  // index into the plan's pieces
      std::vector<block::ChunkRef> refs;
    };
    std::vector<TierSource> tier_sources;
  };
  Status Gather(const std::vector<BlockPtr>& blocks, const Matchers& matchers, Timestamp from,
                Timestamp to, std::map<Labels, Gathered>* out);
  Status ReadBlockSeries(const block::Block& b, uint32_t pos, Timestamp from, Timestamp to,
                         block::PageCache* cache, Gathered* g);
  // Points with bucket starts in [from, to) of a numeric series of a tier block.
  // `fields`: tier::kField* to decode; `refs`: the series' chunk refs if already read.
  Status ReadTierSeries(const block::Block& b, uint32_t pos, Timestamp from, Timestamp to,
                        block::PageCache* cache, PointRun* out, uint32_t fields = tier::kAllFields,
                        const std::vector<block::ChunkRef>* refs = nullptr);
  Result<std::vector<SeriesData>> SelectConsolidated(const SelectRequest& req);
  // Rolls one numeric series up through the plan's pieces into d's buckets. A is
  // Aggregate, or BasicAggregate for avg, sum, count, min and max.
  template <class A>
  Status RollUpSeries(const tier::SelectPlan& plan, const SelectRequest& req, Timestamp from,
                      uint32_t fields, Gathered& g, const Run& merged, block::PageCache* cache,
                      RollupOf<A>* rollup, SeriesData* d);

  // The oldest timestamp in the head, or of head data being flushed (INT64_MAX: none).
  Timestamp HeadMin() const { return std::min(head_min_.load(), frozen_min_.load()); }
  void NoteHeadSample(Timestamp ts) {
    Timestamp cur = head_min_.load(std::memory_order_relaxed);
    while (ts < cur && !head_min_.compare_exchange_weak(cur, ts)) {
    }
  }
  std::vector<tier::BlockExtent> Extents(const std::vector<BlockPtr>& blocks) const;
  // Replaces `old` blocks with `nb` in the list (one step for readers), then deletes
  // their files.
  Status ReplaceBlocks(const std::vector<BlockPtr>& old, BlockPtr nb);
  // Merges `list` (blocks of one resolution) into one block with window [w, w_end).
  Status MergeBlocks(int64_t resolution_ms, Timestamp w, Timestamp w_end,
                     const std::vector<BlockPtr>& list) STRIX_REQUIRES(maint_mu_);
  Status BuildTiersLocked() STRIX_REQUIRES(maint_mu_);
  Status BuildTierUnit(size_t tier, const tier::BuildUnit& unit,
                       const std::vector<BlockPtr>& blocks) STRIX_REQUIRES(maint_mu_);
  // Window of a tier's blocks: the raw block window or the tier resolution if larger;
  // a day for hourly and coarser tiers that divide a day, so that a chunk holds at least
  // 24 points rather than 2 (the 1h points of today come from the 1m tier meanwhile).
  int64_t TierWindow(size_t tier) const {
    const int64_t res = opts_.tiers[tier].resolution_ms;
    int64_t w = std::max(opts_.block_window_ms, res);
    if (res >= 3'600'000 && kDay % res == 0 && w < kDay && kDay % w == 0) w = kDay;
    return w;
  }

  Status FlushLocked() STRIX_REQUIRES(maint_mu_);
  Status CompactLocked() STRIX_REQUIRES(maint_mu_);
  Status RetentionLocked() STRIX_REQUIRES(maint_mu_);
  Status WriteCheckpoint(uint64_t first_segment) STRIX_REQUIRES(maint_mu_);
  Status DeleteBlockFiles(const block::Block& b);
  void BackgroundLoop(std::stop_token stop);

  const std::string dir_;
  const std::string blocks_dir_;
  const EngineOptions opts_;
  Env& env_;
  Clock& clock_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<wal::Wal> wal_;
  head::Head head_;
  // Appends hold it shared from series lookup to head application; a flush's cut holds
  // it exclusively, so the WAL segment boundary and the cut agree.
  SharedMutex append_gate_;
  Mutex maint_mu_;  // one flush/compaction/retention at a time
  mutable SharedMutex blocks_mu_;
  std::vector<BlockPtr> blocks_ STRIX_GUARDED_BY(blocks_mu_);
  std::vector<int64_t> resolutions_;  // of opts_.tiers, raw first
  std::atomic<int64_t> head_min_{INT64_MAX};
  std::atomic<int64_t> frozen_min_{INT64_MAX};
  std::atomic<uint64_t> tier_builds_{0};
  std::atomic<uint64_t> next_seq_{1};
  std::atomic<int64_t> last_flush_ms_{0};
  std::atomic<bool> closed_{false};
  Status bg_error_;  // last background failure, logged

  std::mutex bg_mu_;
  std::condition_variable_any bg_cv_;
  std::jthread bg_;

  std::atomic<uint64_t> appended_{0};
  std::atomic<uint64_t> rejected_{0};
  std::atomic<uint64_t> late_{0};
  std::atomic<uint64_t> compactions_{0};
  std::atomic<uint64_t> compactions_failed_{0};
  // Ingest rate: samples counted since rate_start_ms_.
  std::atomic<int64_t> rate_start_ms_{0};
  std::atomic<uint64_t> rate_base_{0};
  std::atomic<double> rate_{0};
};

}  // namespace strix::storage::internal
