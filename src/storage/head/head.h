// Head: the in-memory, not yet flushed part of the embedded engine. It holds every active
// series: its labels (indexed in MemPostings), its open chunk (chunk::Appender), the
// chunks sealed since the last flush, and a buffer of late samples (older than or equal
// to the series' newest timestamp) that arrived out of order.
//
// The engine calls Apply* only after the WAL record holding the samples is durable, so
// the head never shows data that a crash could lose. Samples of one Apply call must be
// in strictly increasing timestamp order (the engine sorts each batch's samples).
//
// Duplicates: a sample equal to the series' newest sample (same timestamp, same value)
// is a no-op and counted. A sample at or before the newest timestamp otherwise goes to
// the late buffer; when the head is read or cut, a late sample replaces a chunk sample
// with the same timestamp, and among late samples with one timestamp the last to
// arrive wins ("last write wins").
//
// Thread-safety: all methods may be called concurrently. Series lookup and creation take
// series_mu_ (shared / exclusive); a series' data is guarded by one of kStripes mutexes
// chosen by its ref. Cut() must be called with appends excluded by the caller (the
// engine's append gate), so that a cut and the WAL segment boundary agree.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/mutex.h"
#include "core/result.h"
#include "storage/chunk/appender.h"
#include "storage/index/mem_postings.h"
#include "storage/labels.h"
#include "storage/model.h"

namespace strix::storage::head {

// 16 bytes: a series may buffer many (concurrent writers deliver interleaved time ranges).
struct LateSample {
  Timestamp ts;
  uint64_t raw;  // numeric value bits; for a state series, the index of its late_states string
};

// One series in the head. Fields after `labels` are guarded by the series' stripe lock.
struct MemSeries {
  MemSeries(SeriesRef r, ValueKind k, Labels l, uint64_t h)
      : ref(r), kind(k), hash(h), labels(std::move(l)), open(k) {}
  const SeriesRef ref;
  const ValueKind kind;
  const uint64_t hash;
  const Labels labels;
  MemSeries* next_same_hash = nullptr;  // guarded by Head::series_mu_
  // Set once a WAL record defining this series is durable.
  std::atomic<bool> logged{false};

  chunk::Appender open;
  std::vector<std::string> sealed;       // sealed chunks since the last cut, in time order
  std::vector<LateSample> late;          // in arrival order
  std::vector<std::string> late_states;  // the strings of a state series' late samples
  // Newest sample ever applied (survives cuts, so order checks continue across flushes).
  Timestamp last_ts = INT64_MIN;
  uint64_t last_raw = 0;
  std::string last_state;
  // Oldest sample timestamp currently in the head data; INT64_MAX when none.
  Timestamp min_ts = INT64_MAX;
  // Wall-clock time of the last Apply (for garbage collection of idle series).
  int64_t last_apply_ms = 0;
  bool has_data() const { return open.count() > 0 || !sealed.empty() || !late.empty(); }
};

// Samples of one series read from the head, merged and sorted, unique timestamps.
struct SeriesSamples {
  std::vector<Timestamp> ts;
  std::vector<uint64_t> raw;        // numeric kinds
  std::vector<std::string> states;  // state kind
  void Clear() {
    ts.clear();
    raw.clear();
    states.clear();
  }
};

// A series' data taken out of the head by Cut(), to be written to blocks.
struct FrozenSeries {
  Labels labels;
  ValueKind kind;
  std::vector<std::string> chunks;  // open layout or sealed, in time order
  std::vector<LateSample> late;
  std::vector<std::string> late_states;
};

struct HeadOptions {
  // Samples per head chunk before it is sealed (re-encoded to the compact layout).
  uint32_t chunk_samples = 240;
};

struct ApplyStats {
  uint64_t applied = 0;
  uint64_t duplicates = 0;
  uint64_t late = 0;
};

struct HeadStats {
  uint64_t series = 0;
  uint64_t samples = 0;  // in chunks and late buffers
  uint64_t late_samples = 0;
  uint64_t bytes = 0;  // series objects, chunks, late buffers, postings
  Timestamp min_ts = INT64_MAX;
};

// Decodes a cut series into merged, sorted samples (late samples applied).
Status MergeFrozen(const FrozenSeries& f, SeriesSamples* out);

class Head {
 public:
  static constexpr size_t kStripes = 1024;

  explicit Head(const HeadOptions& options = {});
  ~Head();
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  // The series with these canonical labels (encoding and Labels::Hash()), or nullptr.
  MemSeries* Find(uint64_t hash, std::string_view encoded) const STRIX_EXCLUDES(series_mu_);
  // Find() for many series under one acquisition of the lock: out[i] for (hashes[i],
  // encoded[i]); entries with valid[i] == 0 (no hash) get nullptr.
  void FindMany(std::span<const uint64_t> hashes, std::span<const std::string_view> encoded,
                std::span<const uint8_t> valid, MemSeries** out) const STRIX_EXCLUDES(series_mu_);
  MemSeries* GetByRef(SeriesRef ref) const STRIX_EXCLUDES(series_mu_);
  // Creates a series (labels must be valid), or returns the one with these labels if it
  // exists already (then *created is false and its kind may differ: the caller checks).
  // ref 0 assigns the next ref; a given ref (WAL replay) is used as is, and if the
  // labels exist under another ref, `ref` becomes an alias of that series.
  MemSeries* GetOrCreate(const Labels& labels, ValueKind kind, SeriesRef ref, bool* created)
      STRIX_EXCLUDES(series_mu_);

  // Applies samples (timestamps strictly increasing). now_ms: wall clock, for GC.
  ApplyStats ApplyNumeric(MemSeries* s, std::span<const Timestamp> ts,
                          std::span<const uint64_t> raw, int64_t now_ms);
  ApplyStats ApplyState(MemSeries* s, std::span<const Timestamp> ts,
                        std::span<const std::string_view> values, int64_t now_ms);

  // Merged samples of s in [from, to).
  Status Read(MemSeries* s, Timestamp from, Timestamp to, SeriesSamples* out);
  // The newest sample; false if the series never had one.
  bool Latest(MemSeries* s, Timestamp* ts, uint64_t* raw, std::string* state);

  // Series matching the matchers (sorted by ref).
  std::vector<MemSeries*> Select(std::span<const Matcher> matchers) const;
  const index::MemPostings& postings() const { return postings_; }

  // Removes the samples of s in [from, to) from the head.
  Status DeleteRange(MemSeries* s, Timestamp from, Timestamp to);

  // Oldest and newest timestamp of s's data in the head; false when it holds none.
  bool Bounds(MemSeries* s, Timestamp* min_ts, Timestamp* max_ts);

  // Takes every series' data out of the head (see the thread-safety note).
  std::vector<FrozenSeries> Cut();
  // Drops series that hold no data and had no sample applied since idle_before_ms.
  size_t CollectGarbage(int64_t idle_before_ms) STRIX_EXCLUDES(series_mu_);
  // Every series (for checkpoints): ref, kind, labels.
  std::vector<MemSeries*> AllSeries() const STRIX_EXCLUDES(series_mu_);

  HeadStats Stats() const;
  SeriesRef next_ref() const { return next_ref_.load(); }

 private:
  Mutex& StripeOf(SeriesRef ref) const { return stripes_[ref % kStripes]; }
  void AppendNumericLocked(MemSeries* s, Timestamp ts, uint64_t raw, ApplyStats* st);
  void SealLocked(MemSeries* s);

  const HeadOptions options_;
  mutable SharedMutex series_mu_;
  std::unordered_map<uint64_t, MemSeries*> by_hash_ STRIX_GUARDED_BY(series_mu_);
  std::unordered_map<SeriesRef, std::unique_ptr<MemSeries>> by_ref_ STRIX_GUARDED_BY(series_mu_);
  // WAL replay: refs that named a series now known under another ref.
  std::unordered_map<SeriesRef, SeriesRef> aliases_ STRIX_GUARDED_BY(series_mu_);
  std::atomic<SeriesRef> next_ref_{1};
  index::MemPostings postings_;
  mutable std::array<Mutex, kStripes> stripes_;
};

}  // namespace strix::storage::head
