// IndexWriter: writes the index of an immutable block (docs/format/index.md): a sorted
// symbol table, the series (labels as symbol refs plus an opaque per-series payload, which
// the block layer uses for chunk references), delta-varint postings of series positions per
// label pair, a label name -> values table and a table of contents, each section followed
// by its CRC32C.
//
// Usage: Create() with every string the series will use (sorted, unique), AddSeries() in
// strictly increasing label order, Finish(). Series are streamed to the file as they come;
// only the postings (4 bytes per label of each series) are held in memory until Finish().
// The writer neither syncs nor closes the file. BuildIndex() does all of it in memory.
//
// The output depends only on the input: the same series give the same bytes (the golden
// file test relies on it).
//
// Thread-safety: none; one thread uses a writer.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/env.h"
#include "core/result.h"
#include "core/status.h"
#include "storage/index/symbol_table.h"
#include "storage/labels.h"

namespace strix::storage::index {

// A WritableFile that appends to a string, for writing an index to memory.
class StringFile : public WritableFile {
 public:
  Status Append(std::string_view data) override;
  Status Sync() override { return Status::Ok(); }
  Status Close() override;
  uint64_t Size() const override { return data_.size(); }
  const std::string& data() const { return data_; }
  std::string Release() { return std::move(data_); }

 private:
  std::string data_;
  bool closed_ = false;
};

class IndexWriter {
 public:
  // `symbols`: every label name and value the series will use, sorted by bytes, without
  // duplicates (extra symbols are allowed). InvalidArgument otherwise. Writes the header
  // and the symbol table.
  static Result<std::unique_ptr<IndexWriter>> Create(WritableFile* out,
                                                     std::span<const std::string_view> symbols);
  ~IndexWriter();

  // Appends a series with its payload. Labels must be non-empty, strictly greater than the
  // previous series' labels, and made of known symbols (InvalidArgument otherwise). At most
  // 2^32 - 1 series.
  Status AddSeries(const Labels& labels, std::string_view payload);
  // Writes the remaining sections and the TOC. The writer is unusable afterwards.
  Status Finish();

  uint32_t num_series() const { return num_series_; }
  uint64_t bytes_written() const { return offset_; }

 private:
  explicit IndexWriter(WritableFile* out) : out_(out) {}
  // Appends to the current section (or the header/TOC when crc is false).
  Status Write(std::string_view bytes, bool crc = true);
  Status StartSection(int section);
  Status EndSection();
  Status Flush();

  WritableFile* out_;
  Status error_;  // sticky
  bool finished_ = false;
  std::string buf_;
  uint64_t offset_ = 0;                   // bytes written, including buf_
  uint32_t crc_ = 0;                      // of the current section so far
  uint64_t section_offsets_[5 + 1] = {};  // the 5 sections, then the TOC

  SymbolTable symbols_;  // ids are positions in the sorted table: refs
  uint32_t num_series_ = 0;
  uint64_t series_start_ = 0;
  std::vector<uint64_t> group_offsets_;  // of every kSeriesGroup-th series, in the section
  Labels last_;
  // (name ref << 32 | value ref) -> series positions.
  std::unordered_map<uint64_t, std::vector<uint32_t>> postings_;
};

// A series for BuildIndex.
struct IndexSeries {
  Labels labels;
  std::string payload;
};

// Builds a whole index in memory: sorts a copy of the series by labels and collects the
// symbols. InvalidArgument for duplicate or empty label sets.
Result<std::string> BuildIndex(std::span<const IndexSeries> series);

}  // namespace strix::storage::index
