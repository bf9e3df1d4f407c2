// The embedded engine: WAL + head + blocks behind the Storage interface
// (docs/architecture.md describes the write path, flush, compaction and recovery). This
// file: shared helpers, open and recovery, append, stats, close. Reading is in
// engine_read.cc, flush/compaction/tiers/retention in engine_maintenance.cc.
#include "storage/engine.h"

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

namespace strix::storage {
namespace internal {

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
  if (!batch.sealed())
    return Status::FailedPrecondition("write batch not sealed (WriteBatch::Seal)");
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
  // Look every series up under one acquisition of the head's lock (concurrent appenders
  // would otherwise contend on it once per series).
  thread_local std::vector<uint64_t> hashes;
  thread_local std::vector<std::string_view> encs;
  thread_local std::vector<uint8_t> hashed;
  thread_local std::vector<head::MemSeries*> found;
  const auto all_series = batch.series();
  hashes.resize(all_series.size());
  encs.resize(all_series.size());
  hashed.resize(all_series.size());
  found.resize(all_series.size());
  for (size_t i = 0; i < all_series.size(); ++i) {
    encs[i] = batch.EncodedLabels(all_series[i]);
    hashed[i] = all_series[i].sample_count > 0 && CanonicalHash(encs[i], &hashes[i]);
  }
  head_.FindMany(hashes, encs, hashed, found.data());
  for (size_t si = 0; si < all_series.size(); ++si) {
    const WriteBatch::Series& bs = all_series[si];
    auto samples = batch.samples(bs);
    if (samples.empty()) continue;
    std::string_view enc = encs[si];
    head::MemSeries* s = found[si];
    if (s == nullptr) {
      auto labels = Labels::FromEncoded(enc);
      Status valid = labels.ok() ? labels->ValidateSeries() : labels.status();
      if (!valid.ok()) {
        for (uint32_t i = 0; i < samples.size(); ++i)
          Reject(&res, batch.SampleTag(bs, i), i, valid);
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
      for (uint32_t i = 0; i < samples.size(); ++i) Reject(&res, batch.SampleTag(bs, i), i, why);
      continue;
    }
    // Valid samples in timestamp order; within the batch the last of a timestamp wins.
    order.clear();
    for (uint32_t i = 0; i < samples.size(); ++i) {
      const auto& smp = samples[i];
      if (smp.ts < min_ts) {
        Reject(&res, batch.SampleTag(bs, i), i,
               Status::OutOfRange("sample older than the out-of-order window",
                                  "timestamp " + std::to_string(smp.ts)));
      } else if (smp.ts > max_ts) {
        Reject(&res, batch.SampleTag(bs, i), i,
               Status::OutOfRange("sample timestamp too far in the future",
                                  "timestamp " + std::to_string(smp.ts)));
      } else if (IsNaNBits(bs.kind, smp.value)) {
        Reject(&res, batch.SampleTag(bs, i), i, Status::InvalidArgument("value is not a number"));
      } else if (bs.kind == ValueKind::kState &&
                 batch.StateOf(smp).size() > chunk::kMaxStateBytes) {
        Reject(&res, batch.SampleTag(bs, i), i,
               Status::InvalidArgument("state string longer than 4096 bytes"));
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
    // Shared counters and the head's minimum are updated once per batch, not per series:
    // concurrent appenders would otherwise bounce their cache lines on every series. The
    // minimum is noted before the samples land, as it was per series.
    Timestamp batch_min = INT64_MAX;
    for (const auto& p : pending) batch_min = std::min(batch_min, p_ts[p.begin]);
    if (batch_min != INT64_MAX) NoteHeadSample(batch_min);
    uint64_t late = 0;
    for (const auto& p : pending) {
      std::span<const Timestamp> ts(p_ts.data() + p.begin, p.count);
      head::ApplyStats st =
          p.series->kind == ValueKind::kState
              ? head_.ApplyState(p.series, ts, states_of(p), now)
              : head_.ApplyNumeric(
                    p.series, ts, std::span<const uint64_t>(p_raw.data() + p.vbegin, p.count), now);
      res.accepted += p.count;
      res.duplicates += st.duplicates;
      late += st.late;
    }
    if (late != 0) late_.fetch_add(late, std::memory_order_relaxed);
  }
  appended_ += res.accepted;
  rejected_ += res.rejected;
  return res;
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
  st.wal_fsync_bounds_us.assign(wal::kFsyncBucketBoundsUs.begin(), wal::kFsyncBucketBoundsUs.end());
  st.wal_fsync_counts.assign(wm.fsync_latency_us.begin(), wm.fsync_latency_us.end());
  st.wal_fsync_sum_us = wm.fsync_latency_sum_us;
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

}  // namespace internal

Result<std::unique_ptr<Storage>> OpenEmbedded(const std::string& dir, const EngineOptions& opts,
                                              Env& env, Clock& clock) {
  auto e = std::make_unique<internal::Engine>(dir, opts, env, clock);
  STRIX_RETURN_IF_ERROR(e->Open());
  return std::unique_ptr<Storage>(std::move(e));
}

}  // namespace strix::storage
