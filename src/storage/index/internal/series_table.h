// SeriesTable: SeriesRef -> the series' labels as symbol ids, for MemPostings.
//
// Labels are stored as varint(pair count), then varint(name id), varint(value id) per pair
// in name order, in a pool of 64 KiB pages: 10-20 bytes for a typical series, no allocation
// per series. The map from ref to pool offset is an open-addressing table of two parallel
// arrays (uint64 ref, uint32 offset + 1), linear probing with backward-shift deletion, grown
// at 80% load: 12 bytes per slot. Removed entries leave garbage in the pool, which is
// compacted when it exceeds the live bytes.
//
// Thread-safety: none; MemPostings holds its lock around every call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace strix::storage::index::internal {

class SeriesTable {
 public:
  SeriesTable();
  // `ids` holds name, value, name, value, ...; false if ref is present.
  bool Insert(uint64_t ref, std::span<const uint32_t> ids);
  // Removes ref and returns its ids; false if absent.
  bool Erase(uint64_t ref, std::vector<uint32_t>* ids);
  // The encoded ids of ref (see the file comment), or false.
  bool Lookup(uint64_t ref, std::string_view* encoded) const;
  bool Contains(uint64_t ref) const { return FindSlot(ref) != kNone; }
  size_t size() const { return count_; }
  size_t MemoryBytes() const;

  // Decodes an encoding returned by Lookup.
  static void DecodeIds(std::string_view encoded, std::vector<uint32_t>* ids);
  // The value id of name_id in an encoding, or false.
  static bool FindValue(std::string_view encoded, uint32_t name_id, uint32_t* value_id);

 private:
  static constexpr uint64_t kNone = ~uint64_t{0};
  static constexpr size_t kPageBytes = 64 * 1024;

  uint64_t Home(uint64_t ref) const { return (ref * 0x9E3779B97F4A7C15ull) >> shift_; }
  uint64_t FindSlot(uint64_t ref) const;
  void Grow();
  // Appends an encoding to the pool; returns its offset.
  uint32_t PoolAppend(std::string_view bytes);
  std::string_view PoolEntry(uint32_t offset) const;
  void MaybeCompactPool();

  std::unique_ptr<uint64_t[]> refs_;
  std::unique_ptr<uint32_t[]> locs_;  // pool offset + 1; 0 marks an empty slot
  uint64_t capacity_ = 0;
  int shift_ = 64;
  size_t count_ = 0;

  std::vector<std::unique_ptr<char[]>> pages_;
  size_t page_used_ = 0;  // bytes used in the last page
  size_t live_bytes_ = 0;
  size_t garbage_bytes_ = 0;
};

}  // namespace strix::storage::index::internal
