// The embedded engine: WAL + head + blocks behind the Storage interface
// (docs/architecture.md describes the write path, flush, compaction and recovery).
#include "storage/engine.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <thread>
#include <tuple>
#include <type_traits>
#include <unordered_map>

#include "core/log.h"
#include "storage/block/block.h"
#include "storage/chunk/decoder.h"
#include "storage/chunk/encoder.h"
#include "storage/chunk/format.h"
#include "storage/head/head.h"
#include "storage/head/wal_records.h"
#include "storage/rollup.h"
#include "storage/tier/plan.h"
#include "storage/tier/tier_chunk.h"
#include "storage/wal/wal.h"

namespace strix::storage {
namespace {

constexpr uint32_t kBlockChunkSamples = 1024;
constexpr size_t kCheckpointRecordBytes = 4 << 20;
constexpr int64_t kLookbackMs = 15 * 60 * 1000;
constexpr int64_t kDay = 86'400'000;
// Points per tier chunk (a day of 1m points fits in one).
constexpr size_t kTierChunkPoints = 2048;
// Decompressed pages a long scan keeps before clearing its cache between series.
constexpr size_t kScanCachePages = 256;

bool IsNaNBits(ValueKind kind, NumericValue v) { return IsFloatKind(kind) && std::isnan(v.f); }

// Samples of one series gathered from several sources, merged.
struct Run {
  uint64_t precedence;
  std::vector<Timestamp> ts;
  std::vector<NumericValue> raw;
  std::vector<std::string> states;
};

// Merges runs (each sorted, unique timestamps) into one; for a timestamp present in
// several runs the highest precedence wins.
void MergeRuns(std::vector<Run>& runs, bool state, Run* out) {
  out->ts.clear();
  out->raw.clear();
  out->states.clear();
  runs.erase(std::remove_if(runs.begin(), runs.end(), [](const Run& r) { return r.ts.empty(); }),
             runs.end());
  std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) {
    return a.ts.front() != b.ts.front() ? a.ts.front() < b.ts.front() : a.precedence < b.precedence;
  });
  bool disjoint = true;
  for (size_t i = 1; i < runs.size(); ++i)
    if (runs[i].ts.front() <= runs[i - 1].ts.back()) disjoint = false;
  if (disjoint && runs.size() == 1) {
    out->ts = std::move(runs[0].ts);
    out->raw = std::move(runs[0].raw);
    out->states = std::move(runs[0].states);
    return;
  }
  if (disjoint) {
    size_t total = 0;
    for (const auto& r : runs) total += r.ts.size();
    out->ts.reserve(total);
    if (!state) out->raw.reserve(total);
    for (auto& r : runs) {
      out->ts.insert(out->ts.end(), r.ts.begin(), r.ts.end());
      if (state) {
        for (auto& s : r.states) out->states.push_back(std::move(s));
      } else {
        out->raw.insert(out->raw.end(), r.raw.begin(), r.raw.end());
      }
    }
    return;
  }
  struct Item {
    Timestamp ts;
    uint64_t prec;
    uint32_t run;
    uint32_t idx;
  };
  std::vector<Item> items;
  for (uint32_t r = 0; r < runs.size(); ++r)
    for (uint32_t i = 0; i < runs[r].ts.size(); ++i)
      items.push_back({runs[r].ts[i], runs[r].precedence, r, i});
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.ts != b.ts ? a.ts < b.ts : a.prec < b.prec;
  });
  for (size_t i = 0; i < items.size(); ++i) {
    if (i + 1 < items.size() && items[i + 1].ts == items[i].ts) continue;  // a later one wins
    const Item& it = items[i];
    out->ts.push_back(it.ts);
    if (state) {
      out->states.push_back(std::move(runs[it.run].states[it.idx]));
    } else {
      out->raw.push_back(runs[it.run].raw[it.idx]);
    }
  }
}

// Encodes sorted samples into block chunks of at most kBlockChunkSamples.
Status EncodeChunks(ValueKind kind, const Run& r, std::vector<std::string>* chunks,
                    std::vector<block::ChunkInput>* inputs) {
  chunks->clear();
  inputs->clear();
  for (size_t start = 0; start < r.ts.size(); start += kBlockChunkSamples) {
    size_t n = std::min<size_t>(kBlockChunkSamples, r.ts.size() - start);
    std::string bytes;
    std::span<const Timestamp> ts(r.ts.data() + start, n);
    if (kind == ValueKind::kState) {
      std::vector<std::string_view> vals(r.states.begin() + start, r.states.begin() + start + n);
      STRIX_RETURN_IF_ERROR(chunk::EncodeState(ts, vals, &bytes));
    } else {
      std::span<const NumericValue> vals(r.raw.data() + start, n);
      STRIX_RETURN_IF_ERROR(chunk::Encode(kind, ts, vals, &bytes));
    }
    chunks->push_back(std::move(bytes));
    inputs->push_back(block::ChunkInput{ts.front(), ts.back(), static_cast<uint32_t>(n), {}});
  }
  for (size_t i = 0; i < chunks->size(); ++i) (*inputs)[i].bytes = (*chunks)[i];
  return Status::Ok();
}

// Tier points of one series from one block.
struct PointRun {
  uint64_t precedence = 0;
  std::vector<Timestamp> starts;
  std::vector<Aggregate> points;
};

// Merges point runs (each sorted) into one; for a bucket present in several runs the
// highest precedence wins.
void MergePoints(std::vector<PointRun>& runs, PointRun* out) {
  out->starts.clear();
  out->points.clear();
  runs.erase(
      std::remove_if(runs.begin(), runs.end(), [](const PointRun& r) { return r.starts.empty(); }),
      runs.end());
  if (runs.size() == 1) {
    *out = std::move(runs[0]);
    return;
  }
  std::sort(runs.begin(), runs.end(), [](const PointRun& a, const PointRun& b) {
    return a.starts.front() != b.starts.front() ? a.starts.front() < b.starts.front()
                                                : a.precedence < b.precedence;
  });
  bool disjoint = true;
  size_t total = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    total += runs[i].starts.size();
    if (i > 0 && runs[i].starts.front() <= runs[i - 1].starts.back()) disjoint = false;
  }
  if (disjoint) {  // the usual case: blocks of one tier hold disjoint windows
    out->starts.reserve(total);
    out->points.reserve(total);
    for (const auto& r : runs) {
      out->starts.insert(out->starts.end(), r.starts.begin(), r.starts.end());
      out->points.insert(out->points.end(), r.points.begin(), r.points.end());
    }
    return;
  }
  struct Item {
    Timestamp start;
    uint64_t prec;
    uint32_t run;
    uint32_t idx;
  };
  std::vector<Item> items;
  for (uint32_t r = 0; r < runs.size(); ++r)
    for (uint32_t i = 0; i < runs[r].starts.size(); ++i)
      items.push_back({runs[r].starts[i], runs[r].precedence, r, i});
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.start != b.start ? a.start < b.start : a.prec < b.prec;
  });
  for (size_t i = 0; i < items.size(); ++i) {
    if (i + 1 < items.size() && items[i + 1].start == items[i].start) continue;
    out->starts.push_back(items[i].start);
    out->points.push_back(runs[items[i].run].points[items[i].idx]);
  }
}

// Encodes tier points into tier chunks of at most kTierChunkPoints.
Status EncodeTierChunks(ValueKind kind, int64_t resolution_ms, const PointRun& r,
                        std::vector<std::string>* chunks, std::vector<block::ChunkInput>* inputs) {
  chunks->clear();
  inputs->clear();
  for (size_t start = 0; start < r.starts.size(); start += kTierChunkPoints) {
    size_t n = std::min(kTierChunkPoints, r.starts.size() - start);
    std::string bytes;
    STRIX_RETURN_IF_ERROR(tier::EncodeTierChunk(
        kind, resolution_ms, std::span<const Timestamp>(r.starts.data() + start, n),
        std::span<const Aggregate>(r.points.data() + start, n), &bytes));
    chunks->push_back(std::move(bytes));
    inputs->push_back(
        block::ChunkInput{r.starts[start], r.starts[start + n - 1], static_cast<uint32_t>(n), {}});
  }
  for (size_t i = 0; i < chunks->size(); ++i) (*inputs)[i].bytes = (*chunks)[i];
  return Status::Ok();
}

// Where a series lives among the blocks of a scan: (block, index position).
using Holder = std::pair<const block::Block*, uint32_t>;

// Visits the series of `blocks` in label order (each block's index is sorted), giving
// every block position that holds it. Memory: one series at a time.
Status ForEachSeries(const std::vector<std::shared_ptr<block::Block>>& blocks,
                     const std::function<Status(const Labels&, std::span<const Holder>)>& fn) {
  struct Cursor {
    const block::Block* b;
    uint32_t pos;
    uint32_t n;
    Labels labels;
  };
  std::vector<Cursor> cur;
  auto load = [](Cursor& c) -> Status {
    if (c.pos >= c.n) return Status::Ok();
    STRIX_ASSIGN_OR_RETURN(index::IndexSeriesEntry e, c.b->index().Series(c.pos));
    c.labels = std::move(e.labels);
    return Status::Ok();
  };
  for (const auto& b : blocks) {
    Cursor c{b.get(), 0, static_cast<uint32_t>(b->index().num_series()), {}};
    STRIX_RETURN_IF_ERROR(load(c));
    if (c.n > 0) cur.push_back(std::move(c));
  }
  std::vector<Holder> holders;
  while (true) {
    const Labels* min = nullptr;
    for (const auto& c : cur)
      if (c.pos < c.n && (min == nullptr || c.labels < *min)) min = &c.labels;
    if (min == nullptr) return Status::Ok();
    Labels key = *min;
    holders.clear();
    for (auto& c : cur) {
      if (c.pos < c.n && c.labels == key) {
        holders.push_back({c.b, c.pos});
        ++c.pos;
        STRIX_RETURN_IF_ERROR(load(c));
      }
    }
    STRIX_RETURN_IF_ERROR(fn(key, holders));
  }
}

bool Overlaps(const block::BlockMeta& m, Timestamp from, Timestamp to) {
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

// ---- open and recovery ----------------------------------------------------------------

Status Engine::Open() {
  STRIX_RETURN_IF_ERROR(ValidateEngineOptions(opts_));
  for (const auto& t : opts_.tiers) resolutions_.push_back(t.resolution_ms);
  STRIX_RETURN_IF_ERROR(env_.CreateDirs(blocks_dir_));
  STRIX_ASSIGN_OR_RETURN(lock_, env_.LockFile(JoinPath(dir_, "LOCK")));
  STRIX_RETURN_IF_ERROR(LoadBlocks());
  wal::WalOptions wo;
  wo.segment_bytes = opts_.wal_segment_bytes;
  wo.sync_interval_ms = static_cast<int>(opts_.wal_sync_interval_ms);
  wo.on_corruption = opts_.wal_on_corruption == WalCorruptionPolicy::kFail
                         ? wal::CorruptionPolicy::kFail
                         : wal::CorruptionPolicy::kTruncate;
  wo.clock = &clock_;
  STRIX_ASSIGN_OR_RETURN(wal_,
                         wal::Wal::Open(env_, JoinPath(dir_, "wal"), wo,
                                        [this](const wal::RecordView& r) { return Replay(r); }));
  int64_t now = clock_.NowMillis();
  last_flush_ms_ = now;
  rate_start_ms_ = now;
  bg_ = std::jthread([this](std::stop_token st) { BackgroundLoop(st); });
  return Status::Ok();
}

Status Engine::LoadBlocks() {
  STRIX_ASSIGN_OR_RETURN(std::vector<std::string> names, env_.ListDir(blocks_dir_));
  std::vector<BlockPtr> loaded;
  uint64_t max_seq = 0;
  for (const auto& n : names) {
    uint64_t seq;
    if (n.size() > 4 && n.substr(n.size() - 4) == ".tmp") {
      STRIX_LOG(kInfo, "storage: removing unfinished file", "file", n);
      STRIX_RETURN_IF_ERROR(env_.RemoveFile(JoinPath(blocks_dir_, n)));
      continue;
    }
    if (!block::ParseBlockFileName(n, &seq)) continue;
    max_seq = std::max(max_seq, seq);
    auto b = block::Block::Open(env_, blocks_dir_, seq);
    if (!b.ok()) {
      STRIX_LOG(kError, "storage: block is unreadable, moving it aside", "block", n, "error",
                b.status());
      std::string corrupt = JoinPath(blocks_dir_, "corrupt");
      STRIX_RETURN_IF_ERROR(env_.CreateDirs(corrupt));
      STRIX_RETURN_IF_ERROR(env_.RenameFile(JoinPath(blocks_dir_, n), JoinPath(corrupt, n)));
      continue;
    }
    loaded.push_back(std::move(b).value());
  }
  // A compacted block supersedes its sources; a crash may have left them behind.
  std::vector<uint64_t> superseded;
  for (const auto& b : loaded)
    for (uint64_t s : b->meta().sources) superseded.push_back(s);
  std::vector<BlockPtr> keep;
  for (auto& b : loaded) {
    if (std::find(superseded.begin(), superseded.end(), b->meta().seq) != superseded.end()) {
      STRIX_LOG(kInfo, "storage: removing block replaced by compaction", "block", b->meta().seq);
      STRIX_RETURN_IF_ERROR(DeleteBlockFiles(*b));
      continue;
    }
    keep.push_back(std::move(b));
  }
  next_seq_ = max_seq + 1;
  WriterLock l(&blocks_mu_);
  blocks_ = std::move(keep);
  return Status::Ok();
}

Status Engine::Replay(const wal::RecordView& rec) {
  int64_t now = clock_.NowMillis();
  if (rec.type == head::kSeriesRecord || rec.type == head::kSamplesRecord) {
    head::SamplesVisitor v;
    v.on_def = [&](const head::SeriesDef& d) -> Status {
      auto labels = Labels::FromEncoded(d.labels);
      if (!labels.ok())
        return Status::Corruption("wal: bad series labels", labels.status().ToString());
      bool created;
      head::MemSeries* s = head_.GetOrCreate(*labels, d.kind, d.ref, &created);
      if (s == nullptr) return Status::Corruption("wal: series ref reused", std::to_string(d.ref));
      s->logged = true;
      return Status::Ok();
    };
    v.kind_of = [&](SeriesRef ref, ValueKind* k) {
      head::MemSeries* s = head_.GetByRef(ref);
      if (s == nullptr) return false;
      *k = s->kind;
      return true;
    };
    v.on_numeric = [&](SeriesRef ref, Timestamp ts, uint64_t raw) {
      head::MemSeries* s = head_.GetByRef(ref);
      NoteHeadSample(ts);
      head_.ApplyNumeric(s, std::span<const Timestamp>(&ts, 1), std::span<const uint64_t>(&raw, 1),
                         now);
    };
    v.on_state = [&](SeriesRef ref, Timestamp ts, std::string_view st) {
      head::MemSeries* s = head_.GetByRef(ref);
      NoteHeadSample(ts);
      head_.ApplyState(s, std::span<const Timestamp>(&ts, 1),
                       std::span<const std::string_view>(&st, 1), now);
    };
    auto skipped = head::DecodeSamples(rec.payload, rec.type == head::kSeriesRecord, v);
    if (!skipped.ok())
      return skipped.status().WithContext("wal segment " + std::to_string(rec.segment));
    if (*skipped > 0) {
      STRIX_LOG(kWarn, "wal: samples of undefined series skipped", "segment", rec.segment,
                "samples", *skipped);
    }
    return Status::Ok();
  }
  if (rec.type == head::kDeleteRecord) {
    Timestamp from, to;
    std::vector<SeriesRef> refs;
    STRIX_RETURN_IF_ERROR(head::DecodeDelete(rec.payload, &from, &to, &refs));
    for (SeriesRef r : refs)
      if (head::MemSeries* s = head_.GetByRef(r))
        STRIX_RETURN_IF_ERROR(head_.DeleteRange(s, from, to));
    return Status::Ok();
  }
  STRIX_LOG(kWarn, "wal: unknown record type skipped", "type", static_cast<int>(rec.type),
            "segment", rec.segment);
  return Status::Ok();
}

// ---- append ---------------------------------------------------------------------------

namespace {

// Canonical labels of a batch series: the hash, and whether the batch encoding is
// already canonical (no empty values, no repeated names).
bool CanonicalHash(std::string_view enc, uint64_t* hash) {
  StableHasher h;
  EncodedLabelsIterator it(enc);
  std::string_view n, v, prev;
  bool first = true;
  while (it.Next(&n, &v)) {
    if (v.empty() || (!first && n == prev)) return false;
    h.Update(n);
    h.Update('\xff');
    h.Update(v);
    h.Update('\xff');
    prev = n;
    first = false;
  }
  if (!it.done()) return false;
  *hash = h.Digest();
  return true;
}

// One series of a batch, ready for the head: its samples are [begin, begin + count) of
// the append's shared arrays (no allocation per series).
struct PendingSeries {
  head::MemSeries* series;
  size_t begin;   // into the timestamps
  size_t vbegin;  // into the numeric values, or the states for a state series
  size_t count;
};

void Reject(AppendResult* r, uint32_t tag, uint32_t idx, Status why) {
  ++r->rejected;
  if (r->first_rejections.size() < AppendResult::kMaxReportedRejections)
    r->first_rejections.push_back(Rejection{tag, idx, std::move(why)});
}

}  // namespace

Result<AppendResult> Engine::Append(const WriteBatch& batch) {
  if (closed_) return Status::FailedPrecondition("storage is closed");
  AppendResult res;
  const int64_t now = clock_.NowMillis();
  const Timestamp min_ts = now - opts_.out_of_order_window_ms;
  const Timestamp max_ts = now + opts_.future_tolerance_ms;

  ReaderLock gate(&append_gate_);
  // Scratch reused by this thread's appends.
  thread_local std::vector<PendingSeries> pending;
  thread_local std::vector<Timestamp> p_ts;
  thread_local std::vector<uint64_t> p_raw;
  thread_local std::vector<std::string_view> p_states;
  thread_local std::vector<head::MemSeries*> new_defs;
  thread_local std::vector<uint32_t> order;
  pending.clear();
  p_ts.clear();
  p_raw.clear();
  p_states.clear();
  new_defs.clear();
  pending.reserve(batch.series_count());
  for (const WriteBatch::Series& bs : batch.series()) {
    auto samples = batch.samples(bs);
    if (samples.empty()) continue;
    std::string_view enc = batch.EncodedLabels(bs);
    head::MemSeries* s = nullptr;
    uint64_t hash;
    if (CanonicalHash(enc, &hash)) s = head_.Find(hash, enc);
    if (s == nullptr) {
      auto labels = Labels::FromEncoded(enc);
      Status valid = labels.ok() ? labels->ValidateSeries() : labels.status();
      if (!valid.ok()) {
        for (uint32_t i = 0; i < samples.size(); ++i) Reject(&res, bs.tag, i, valid);
        continue;
      }
      bool created;
      s = head_.GetOrCreate(*labels, bs.kind, 0, &created);
    }
    if (s->kind != bs.kind) {
      Status why = Status::InvalidArgument(std::string("series already exists as ") +
                                               std::string(ValueKindName(s->kind)) + ", not " +
                                               std::string(ValueKindName(bs.kind)),
                                           s->labels.ToString());
      for (uint32_t i = 0; i < samples.size(); ++i) Reject(&res, bs.tag, i, why);
      continue;
    }
    // Valid samples in timestamp order; within the batch the last of a timestamp wins.
    order.clear();
    for (uint32_t i = 0; i < samples.size(); ++i) {
      const auto& smp = samples[i];
      if (smp.ts < min_ts) {
        Reject(&res, bs.tag, i,
               Status::OutOfRange("sample older than the out-of-order window",
                                  "timestamp " + std::to_string(smp.ts)));
      } else if (smp.ts > max_ts) {
        Reject(&res, bs.tag, i,
               Status::OutOfRange("sample timestamp too far in the future",
                                  "timestamp " + std::to_string(smp.ts)));
      } else if (IsNaNBits(bs.kind, smp.value)) {
        Reject(&res, bs.tag, i, Status::InvalidArgument("value is not a number"));
      } else if (bs.kind == ValueKind::kState &&
                 batch.StateOf(smp).size() > chunk::kMaxStateBytes) {
        Reject(&res, bs.tag, i, Status::InvalidArgument("state string longer than 4096 bytes"));
      } else {
        order.push_back(i);
      }
    }
    if (order.empty()) continue;
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return samples[a].ts < samples[b].ts; });
    PendingSeries p{s, p_ts.size(), bs.kind == ValueKind::kState ? p_states.size() : p_raw.size(),
                    0};
    for (size_t k = 0; k < order.size(); ++k) {
      if (k + 1 < order.size() && samples[order[k + 1]].ts == samples[order[k]].ts) {
        ++res.duplicates;  // superseded within the batch
        ++res.accepted;
        continue;
      }
      const auto& smp = samples[order[k]];
      p_ts.push_back(smp.ts);
      if (bs.kind == ValueKind::kState) {
        p_states.push_back(batch.StateOf(smp));
      } else {
        p_raw.push_back(smp.value.u);
      }
    }
    p.count = p_ts.size() - p.begin;
    if (!s->logged.load(std::memory_order_acquire)) new_defs.push_back(s);
    pending.push_back(p);
  }

  if (!pending.empty()) {
    thread_local head::RecordBuilder builder;
    builder.Reset();
    std::sort(new_defs.begin(), new_defs.end());
    new_defs.erase(std::unique(new_defs.begin(), new_defs.end()), new_defs.end());
    for (head::MemSeries* s : new_defs) builder.AddDef(s->ref, s->kind, s->labels.encoded());
    // A series may appear twice in one batch: log each occurrence as its own group.
    auto states_of = [&](const PendingSeries& p) {
      return std::span<const std::string_view>(p_states.data() + p.vbegin, p.count);
    };
    for (const auto& p : pending) {
      builder.StartSeries(p.series->ref, static_cast<uint32_t>(p.count));
      for (size_t i = 0; i < p.count; ++i) {
        if (p.series->kind == ValueKind::kState) {
          builder.AddState(p_ts[p.begin + i], states_of(p)[i]);
        } else {
          builder.AddNumeric(p_ts[p.begin + i], p_raw[p.vbegin + i]);
        }
      }
    }
    wal::Record rec{head::kSamplesRecord, builder.Finish()};
    STRIX_RETURN_IF_ERROR(wal_->Append(rec));
    for (head::MemSeries* s : new_defs) s->logged.store(true, std::memory_order_release);
    for (const auto& p : pending) {
      std::span<const Timestamp> ts(p_ts.data() + p.begin, p.count);
      NoteHeadSample(ts.front());
      head::ApplyStats st =
          p.series->kind == ValueKind::kState
              ? head_.ApplyState(p.series, ts, states_of(p), now)
              : head_.ApplyNumeric(
                    p.series, ts, std::span<const uint64_t>(p_raw.data() + p.vbegin, p.count), now);
      res.accepted += p.count;
      res.duplicates += st.duplicates;
      late_ += st.late;
    }
  }
  appended_ += res.accepted;
  rejected_ += res.rejected;
  return res;
}

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

StorageStats Engine::Stats() {
  StorageStats st;
  head::HeadStats hs = head_.Stats();
  st.series = hs.series;
  st.head_samples = hs.samples;
  st.head_bytes = hs.bytes;
  wal::WalMetrics wm = wal_->Metrics();
  st.wal_bytes = wm.size_on_disk;
  st.wal_segments = wm.segments;
  st.disk_budget_bytes = opts_.disk_budget_bytes;
  st.samples_appended = appended_;
  st.samples_rejected = rejected_;
  st.out_of_order_samples = late_;
  st.compactions = compactions_;
  st.compactions_failed = compactions_failed_;
  st.ingest_samples_per_second = rate_;
  std::vector<BlockPtr> blocks = BlocksSnapshot();
  st.disk_bytes = st.wal_bytes;
  for (const auto& t : opts_.tiers) {
    TierStats ts;
    ts.name = t.name;
    ts.resolution_ms = t.resolution_ms;
    ts.retention_ms = t.retention_ms;
    ts.oldest = INT64_MAX;
    ts.newest = INT64_MIN;
    for (const BlockPtr& b : blocks) {
      if (b->meta().resolution_ms != t.resolution_ms) continue;
      ++ts.blocks;
      ts.bytes += b->file_bytes();
      ts.samples += b->meta().samples;
      ts.oldest = std::min(ts.oldest, b->meta().mint);
      ts.newest = std::max(ts.newest, b->meta().maxt);
    }
    if (ts.blocks == 0) ts.oldest = ts.newest = 0;
    st.disk_bytes += ts.bytes;
    st.tiers.push_back(ts);
  }
  // Forecast: bytes per day each tier grows at the current ingest rate, against its
  // retention and (shared in proportion to growth) the disk budget.
  double raw_bps = 0;
  if (!st.tiers.empty() && st.tiers[0].samples > 0)
    raw_bps = static_cast<double>(st.tiers[0].bytes) / static_cast<double>(st.tiers[0].samples);
  std::vector<double> per_day(st.tiers.size(), 0);
  double total_per_day = 0;
  for (size_t i = 0; i < st.tiers.size(); ++i) {
    auto& t = st.tiers[i];
    double samples_per_day = rate_ * 86400.0;
    double bps = raw_bps > 0 ? raw_bps : 1.0;
    if (t.resolution_ms > 0) {
      // One point per series per resolution step; a point costs about as much as
      // several raw samples (its columns).
      samples_per_day =
          static_cast<double>(st.series) * 86'400'000.0 / static_cast<double>(t.resolution_ms);
      bps = (t.samples > 0 ? static_cast<double>(t.bytes) / static_cast<double>(t.samples)
                           : 6.0 * bps);
    }
    per_day[i] = samples_per_day * bps;
    total_per_day += per_day[i];
  }
  for (size_t i = 0; i < st.tiers.size(); ++i) {
    auto& t = st.tiers[i];
    double retention_days =
        t.retention_ms > 0 ? static_cast<double>(t.retention_ms) / 86'400'000.0 : 1e9;
    double days = retention_days;
    if (opts_.disk_budget_bytes > 0 && per_day[i] > 0 && total_per_day > 0) {
      double share = static_cast<double>(opts_.disk_budget_bytes) * per_day[i] / total_per_day;
      days = std::min(days, share / per_day[i]);
    }
    t.forecast_days = (per_day[i] > 0 || t.retention_ms > 0) ? days : 0;
  }
  return st;
}

Status Engine::Close() {
  if (closed_.exchange(true)) return Status::Ok();
  if (bg_.joinable()) {
    bg_.request_stop();
    bg_cv_.notify_all();
    bg_.join();
  }
  Status s;
  if (wal_) s = wal_->Close();
  lock_.reset();
  return s;
}

}  // namespace

Result<std::unique_ptr<Storage>> OpenEmbedded(const std::string& dir, const EngineOptions& opts,
                                              Env& env, Clock& clock) {
  auto e = std::make_unique<Engine>(dir, opts, env, clock);
  STRIX_RETURN_IF_ERROR(e->Open());
  return std::unique_ptr<Storage>(std::move(e));
}

}  // namespace strix::storage
