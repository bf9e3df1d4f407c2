// Immutable block files (docs/format/block.md): BlockWriter streams chunks of series in
// label order into pages (zstd when it pays), then writes the index, the meta section and
// the footer, and publishes the file atomically (temp file, fdatasync, rename, directory
// fsync). Block opens a published file through an mmap and answers index queries and
// chunk reads. Tombstones (deleted ranges) live beside a block in <seq>.tomb.
//
// Thread-safety: a BlockWriter belongs to one thread. A Block is immutable except for its
// tombstones, which are guarded by an internal mutex; all const methods may be called
// concurrently. A PageCache belongs to one reader (one query).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/mutex.h"
#include "core/result.h"
#include "storage/index/index_reader.h"
#include "storage/labels.h"
#include "storage/model.h"

namespace strix::storage::block {

inline constexpr std::string_view kBlockSuffix = ".blk";
inline constexpr std::string_view kTombSuffix = ".tomb";
inline constexpr size_t kTargetPageBytes = 64 * 1024;

struct BlockMeta {
  uint64_t seq = 0;
  uint64_t precedence = 0;  // higher wins a duplicate timestamp
  int64_t resolution_ms = 0;
  Timestamp window_start = 0;
  Timestamp window_end = 0;
  Timestamp mint = 0;
  Timestamp maxt = 0;
  uint64_t series = 0;
  uint64_t chunks = 0;
  uint64_t samples = 0;
  uint64_t pages = 0;
  uint32_t level = 0;
  std::vector<uint64_t> sources;
};

std::string BlockFileName(uint64_t seq);  // "0000000000000017.blk"
// Parses a block file name; false for anything else (temp files included).
bool ParseBlockFileName(std::string_view name, uint64_t* seq);

struct ChunkRef {
  Timestamp mint = 0;
  Timestamp maxt = 0;
  uint32_t page = 0;
  uint32_t offset = 0;
  uint32_t length = 0;
};

// A chunk given to the writer.
struct ChunkInput {
  Timestamp mint = 0;
  Timestamp maxt = 0;
  uint32_t samples = 0;
  std::string_view bytes;
};

class BlockWriter {
 public:
  // Starts <dir>/<seq>.blk.tmp. meta.seq, precedence, resolution, window and level and
  // sources must be set; the counts and mint/maxt are computed.
  static Result<std::unique_ptr<BlockWriter>> Create(Env& env, const std::string& dir,
                                                     const BlockMeta& meta);
  ~BlockWriter();  // removes the temp file unless Finish succeeded

  // Series must come in strictly increasing label order, each with its chunks in time
  // order (non-overlapping). A series without chunks is skipped.
  Status AddSeries(const Labels& labels, ValueKind kind, const std::vector<ChunkInput>& chunks);
  // Writes index, meta and footer, syncs, renames and syncs the directory.
  // Returns the final meta.
  Result<BlockMeta> Finish();
  uint64_t series() const { return meta_.series; }

 private:
  BlockWriter(Env& env, std::string dir, const BlockMeta& meta);
  Status FlushPage();
  Status Write(std::string_view bytes);

  Env& env_;
  std::string dir_;
  std::string tmp_path_;
  BlockMeta meta_;
  std::unique_ptr<WritableFile> file_;
  uint64_t offset_ = 0;
  std::string page_;
  std::string scratch_;
  Labels last_;
  bool finished_ = false;
  // (labels, payload) of every series, for the index at Finish.
  std::vector<std::pair<Labels, std::string>> entries_;
};

// Decompressed pages of one block, kept for the duration of one query.
class PageCache {
 public:
  std::string* Slot(uint64_t block_seq, uint32_t page, bool* fresh) {
    auto [it, inserted] = pages_.try_emplace({block_seq, page});
    *fresh = inserted;
    return &it->second;
  }
  // Pages held; Clear() drops them (chunk bytes returned earlier become invalid). Long
  // scans (compaction, tier builds) clear between series to bound memory.
  size_t size() const { return pages_.size(); }
  void Clear() { pages_.clear(); }

 private:
  std::map<std::pair<uint64_t, uint32_t>, std::string> pages_;
};

struct Tombstone {
  uint32_t series = 0;  // position in the block's index
  Timestamp from = 0;   // [from, to)
  Timestamp to = 0;
};

class Block {
 public:
  static Result<std::unique_ptr<Block>> Open(Env& env, const std::string& dir, uint64_t seq);
  ~Block();

  const BlockMeta& meta() const { return meta_; }
  const index::IndexReader& index() const { return *index_; }
  std::string path() const;
  uint64_t file_bytes() const { return data_.size(); }

  // Labels, kind and chunk refs of the series at an index position.
  Status SeriesAt(uint32_t pos, Labels* labels, ValueKind* kind,
                  std::vector<ChunkRef>* chunks) const;
  // The bytes of a chunk; for a compressed page they live in `cache`.
  Result<std::string_view> ChunkBytes(const ChunkRef& ref, PageCache* cache) const;

  // Deleted ranges of a series position (sorted by from).
  std::vector<Tombstone> TombstonesOf(uint32_t pos) const;
  bool has_tombstones() const;
  // Adds ranges (durably: the .tomb file is rewritten atomically).
  Status AddTombstones(const std::vector<Tombstone>& add);

  // Checks every page CRC, decodes every chunk and verifies the index.
  Status Verify() const;

 private:
  Block(Env& env, std::string dir) : env_(env), dir_(std::move(dir)) {}
  Status Init(uint64_t seq);
  Result<std::string_view> Page(uint32_t page, PageCache* cache) const;
  Status LoadTombstones();

  Env& env_;
  std::string dir_;
  std::unique_ptr<ReadOnlyRegion> region_;
  std::string_view data_;
  std::string_view pages_;
  std::vector<uint64_t> page_offsets_;  // offset of each page within pages_
  BlockMeta meta_;
  std::unique_ptr<index::IndexReader> index_;
  mutable Mutex tomb_mu_;
  std::vector<Tombstone> tombstones_ STRIX_GUARDED_BY(tomb_mu_);  // sorted by (series, from)
};

// Encodes and decodes the meta section (exposed for dump and tests).
std::string EncodeMeta(const BlockMeta& m);
Status DecodeMeta(std::string_view in, BlockMeta* m);

}  // namespace strix::storage::block
