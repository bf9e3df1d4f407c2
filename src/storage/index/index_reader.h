// IndexReader: queries the index of an immutable block (docs/format/index.md) in place,
// over a byte span: usually a file mapped with Env::MapReadOnly, which the reader can own.
//
// Open checks the header, the TOC and its CRC, the section bounds and (unless
// verify_checksums is off) every section's CRC32C, then decodes the small structures
// eagerly: the symbol table (one string_view per symbol), the series index and the label
// table (names, and per name its sorted value records with postings offsets). Series
// entries and postings lists are decoded on use, with bounds checks. Whatever the bytes,
// the reader never reads outside the span, never allocates more than the span's size
// justifies, and reports damage as Status::Corruption with the section and offset. Verify()
// checks everything else (each series entry, each postings list, their agreement).
//
// Series are identified by their position (0 .. num_series()-1) in label order.
// Select has the semantics of MemPostings::Select (storage/labels.h).
//
// Thread-safety: immutable after Open; const methods may be called concurrently.
// string_views returned point into the span and live as long as it does.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/result.h"
#include "core/status.h"
#include "storage/index/mem_postings.h"
#include "storage/labels.h"

namespace strix::storage::index {

struct IndexReaderOptions {
  // Verify every section's CRC32C at Open (reads the whole file once). When off, damage is
  // still detected as far as the structure goes, and Verify() checks the CRCs.
  bool verify_checksums = true;
};

struct IndexSeriesEntry {
  Labels labels;
  std::string_view payload;  // points into the index bytes
};

class IndexReader {
 public:
  // The span must outlive the reader.
  static Result<std::unique_ptr<IndexReader>> Open(std::string_view data,
                                                   const IndexReaderOptions& options = {});
  // Owns the mapping (non-null).
  static Result<std::unique_ptr<IndexReader>> Open(std::unique_ptr<ReadOnlyRegion> region,
                                                   const IndexReaderOptions& options = {});
  ~IndexReader();

  uint32_t num_series() const { return num_series_; }
  uint32_t num_symbols() const { return static_cast<uint32_t>(symbols_.size()); }
  // OutOfRange past num_symbols().
  Result<std::string_view> Symbol(uint32_t ref) const;

  // The series at a position (OutOfRange past num_series()).
  Result<IndexSeriesEntry> Series(uint32_t pos) const;
  // Sorted positions of the series with name=value (empty if none).
  Result<std::vector<uint32_t>> Postings(std::string_view name, std::string_view value) const;
  // Sorted label names (of the series matching `matchers`, if any).
  Result<std::vector<std::string_view>> LabelNames(std::span<const Matcher> matchers = {}) const;
  // Sorted values of `name` (among the series matching `matchers`, if any).
  Result<std::vector<std::string_view>> LabelValues(std::string_view name,
                                                    std::span<const Matcher> matchers = {}) const;
  // Sorted positions of the series matching every matcher (all when there is none).
  Result<std::vector<uint32_t>> Select(std::span<const Matcher> matchers) const;

  // Deep check: CRCs, every series entry (valid refs, sorted names, series in strictly
  // increasing label order) and every postings list, and that the postings are exactly
  // the label pairs of the series. Reads the whole index; O(size) memory.
  Status Verify() const;

  // kProbe is treated as kMerge here.
  void set_filter_strategy_for_testing(FilterStrategy s) { strategy_ = s; }

 private:
  struct NameInfo {
    uint32_t name_ref;
    uint32_t num_values;
    size_t records;  // offset of its value records in the label table body
  };
  struct Term;

  IndexReader() = default;
  Status Init(const IndexReaderOptions& options);
  Status Corrupt(std::string_view what, int section, uint64_t offset) const;

  // Binary search of the sorted symbols.
  uint32_t FindSymbol(std::string_view s) const;
  const NameInfo* FindName(std::string_view name) const;
  // The i-th value record of a name.
  void Record(const NameInfo& n, uint32_t i, uint32_t* value_ref, uint64_t* offset) const;
  // Byte range [begin, end) of the postings list of record i of name n.
  void ListExtent(const NameInfo& n, uint32_t i, uint64_t* begin, uint64_t* end) const;
  Status ListCount(uint64_t begin, uint64_t end, uint64_t* count) const;
  Status DecodeList(uint64_t begin, uint64_t end, std::vector<uint32_t>* out) const;
  // The bytes of series entry `pos` (after its length), and its offset in the section.
  Status SeriesEntryBytes(uint32_t pos, std::string_view* entry, uint64_t* offset) const;
  // Parses label refs of an entry; `payload` gets the rest.
  Status ParseEntry(std::string_view entry, uint64_t offset, std::vector<uint32_t>* refs,
                    std::string_view* payload) const;
  Status SelectImpl(std::span<const Matcher> matchers, std::vector<uint32_t>* out) const;
  Status MakeTerm(const Matcher& m, Term* t, bool* none, bool* skip) const;
  Status Materialize(const Term& t, std::vector<uint32_t>* out) const;
  Status Filter(std::vector<uint32_t>* cands, const Term& t) const;

  std::unique_ptr<ReadOnlyRegion> region_;
  std::string_view data_;
  std::string_view sections_[5];  // bodies, without CRCs
  uint64_t section_starts_[5] = {};
  std::vector<std::string_view> symbols_;
  uint32_t num_series_ = 0;
  uint32_t group_ = 1;
  uint32_t num_groups_ = 0;
  std::vector<NameInfo> names_;
  uint64_t num_records_ = 0;
  size_t records_start_ = 0;  // in the label table body
  FilterStrategy strategy_ = FilterStrategy::kAuto;
};

}  // namespace strix::storage::index
