// MemPostings: the label index of the in-memory head. It maps every label pair
// (name=value) to the sorted set of series refs carrying it, keeps each series' labels (as
// symbol ids), and answers Select(matchers) with the sorted refs of the matching series.
//
// Strings are interned once in a SymbolTable. Per series it stores its labels as varint
// symbol ids in a paged pool (~10-20 bytes) plus a 12-byte hash slot; per label pair a
// PostingsList (Roaring-style containers: ~2 bytes per ref, or a bitmap for dense lists).
// The head can therefore ask GetLabels(ref) instead of keeping its own copy of each
// series' labels. Stats() reports what every part costs: about 41 bytes per series for
// 1,000,000 node-exporter-like series (index_benchmark), of which 34 are the per-series
// labels table (hash slots at 12 bytes and 50-80% load, plus the pool).
//
// Select follows Prometheus semantics (storage/labels.h). A matcher that does not match ""
// is positive: the union of the postings of the values it accepts. A matcher that matches
// "" is negative: the union of the postings of the values it rejects is subtracted (so
// host="" keeps series without host). Positive sets are intersected smallest first; with no
// positive matcher the start is every series. After the first set, each further matcher
// filters the candidates by whichever is cheapest: probing its few postings lists, merging
// with their union, or looking up the candidates' own labels (for regexes that accept
// thousands of values).
//
// Thread-safety: every method may be called concurrently. Add and Remove take mu_
// exclusively; queries take it shared, so readers run in parallel and a writer waits for
// them. Returned string_views point into the symbol table and stay valid as long as the
// MemPostings lives (symbols are never freed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/mutex.h"
#include "core/status.h"
#include "core/thread_annotations.h"
#include "storage/index/postings_list.h"
#include "storage/index/symbol_table.h"
#include "storage/labels.h"
#include "storage/model.h"

namespace strix::storage::index {

namespace internal {
class SeriesTable;
}  // namespace internal

// How Select filters candidates by the second and later matchers. kAuto picks the cheapest
// by estimated cost; the others force one path (tests cover each).
enum class FilterStrategy : uint8_t { kAuto, kProbe, kMerge, kLabels };

// Bytes allocated by a MemPostings, by part (capacity, not size).
struct MemPostingsStats {
  size_t series = 0;
  size_t symbols = 0;
  size_t label_pairs = 0;     // distinct name=value pairs
  size_t symbol_bytes = 0;    // SymbolTable
  size_t postings_bytes = 0;  // postings lists, including the all-series list
  size_t map_bytes = 0;       // name -> value -> list maps (estimated node sizes)
  size_t series_bytes = 0;    // ref -> labels table and pool
  size_t total_bytes() const { return symbol_bytes + postings_bytes + map_bytes + series_bytes; }
};

class MemPostings {
 public:
  MemPostings();
  ~MemPostings();
  MemPostings(const MemPostings&) = delete;
  MemPostings& operator=(const MemPostings&) = delete;

  // Indexes a series. AlreadyExists if ref is indexed; InvalidArgument for an empty label
  // set or more than kMaxLabelsPerSeries labels. Labels are not otherwise validated here.
  Status Add(SeriesRef ref, const Labels& labels) STRIX_EXCLUDES(mu_);
  // Unindexes a series; false if it was not indexed.
  bool Remove(SeriesRef ref) STRIX_EXCLUDES(mu_);

  bool Contains(SeriesRef ref) const STRIX_EXCLUDES(mu_);
  size_t num_series() const STRIX_EXCLUDES(mu_);
  // The labels a series was added with; false if it is not indexed.
  bool GetLabels(SeriesRef ref, Labels* out) const STRIX_EXCLUDES(mu_);

  // Sorted refs of the series with name=value.
  std::vector<SeriesRef> Postings(std::string_view name, std::string_view value) const
      STRIX_EXCLUDES(mu_);
  // Sorted refs of every series.
  std::vector<SeriesRef> AllSeries() const STRIX_EXCLUDES(mu_);
  // Sorted label names, of all series or of those matching `matchers` (if any).
  std::vector<std::string_view> LabelNames(std::span<const Matcher> matchers = {}) const
      STRIX_EXCLUDES(mu_);
  // Sorted values of `name`, over all series or those matching `matchers` (if any).
  std::vector<std::string_view> LabelValues(std::string_view name,
                                            std::span<const Matcher> matchers = {}) const
      STRIX_EXCLUDES(mu_);
  // Sorted refs of the series matching every matcher (all series when there is none).
  std::vector<SeriesRef> Select(std::span<const Matcher> matchers) const STRIX_EXCLUDES(mu_);

  MemPostingsStats Stats() const STRIX_EXCLUDES(mu_);

  void set_filter_strategy_for_testing(FilterStrategy s) STRIX_EXCLUDES(mu_);

 private:
  struct ValueEntry {
    uint32_t sym;
    PostingsList list;
  };
  using ValueMap = std::map<std::string_view, ValueEntry, std::less<>>;
  struct NameEntry {
    uint32_t sym;
    ValueMap values;
  };
  struct Term;

  std::vector<SeriesRef> SelectLocked(std::span<const Matcher> matchers) const
      STRIX_REQUIRES_SHARED(mu_);
  // Builds the term of one matcher; false when it selects nothing at all.
  bool MakeTerm(const Matcher& m, Term* term, bool* skip) const STRIX_REQUIRES_SHARED(mu_);
  void Filter(std::vector<SeriesRef>* cands, const Term& t) const STRIX_REQUIRES_SHARED(mu_);

  SymbolTable symbols_;  // internally synchronised; written only under mu_ (exclusive)
  mutable SharedMutex mu_;
  std::map<std::string_view, NameEntry, std::less<>> names_ STRIX_GUARDED_BY(mu_);
  PostingsList all_ STRIX_GUARDED_BY(mu_);
  std::unique_ptr<internal::SeriesTable> series_ STRIX_PT_GUARDED_BY(mu_);
  FilterStrategy strategy_ STRIX_GUARDED_BY(mu_) = FilterStrategy::kAuto;
};

}  // namespace strix::storage::index
