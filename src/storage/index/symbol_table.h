// SymbolTable: interns strings (label names and values) to dense uint32 ids 0, 1, 2, ...
// in the order they are first seen. The head's postings and series labels hold ids instead
// of strings, so each distinct string is stored once.
//
// Memory: each symbol is a varint length and its bytes in a 64 KiB arena block (no
// std::string, no per-symbol allocation), one 8-byte pointer in pages of 4096 such pointers
// (id -> bytes), and one 8-byte slot (32 bits of hash, the id) in an open-addressing hash
// table kept at most 3/4 full. Growing the hash table (or the small page directory)
// retires the old one instead of freeing it, since readers may still be probing it; that
// at most doubles the table. About 40-60 bytes plus the string per symbol; the arena and
// pages never move. Symbols are never removed: the table lives as long as its owner.
//
// Thread-safety: Find, Get and size may be called from any number of threads, concurrently
// with Intern, without locks: arrays are published with release stores and read with
// acquire loads. Intern takes write_mu_, so concurrent writers are serialised. A string_view
// returned by Get stays valid for the table's lifetime. An id may be passed to Get only
// after the Intern that returned it happened-before (through any synchronisation).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/mutex.h"
#include "core/thread_annotations.h"

namespace strix::storage::index {

class SymbolTable {
 public:
  static constexpr uint32_t kNotFound = 0xffffffffu;
  // Ids run from 0 to kMaxSymbols - 1.
  static constexpr uint32_t kMaxSymbols = 0xfffffffeu;

  SymbolTable();
  ~SymbolTable();
  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;

  // The id of s, interned if new. Aborts past kMaxSymbols (4 billion strings).
  uint32_t Intern(std::string_view s) STRIX_EXCLUDES(write_mu_);
  // The id of s, or kNotFound. Never inserts.
  uint32_t Find(std::string_view s) const;
  // The string of an id returned by Intern (id < size()).
  std::string_view Get(uint32_t id) const {
    const char* const* page = dir_.load(std::memory_order_acquire)[id / kPageIds];
    return Decode(page[id % kPageIds]);
  }
  uint32_t size() const { return size_.load(std::memory_order_acquire); }
  // Bytes allocated: arena blocks, pages, directory and hash table, including retired ones.
  size_t MemoryBytes() const STRIX_EXCLUDES(write_mu_);

 private:
  static constexpr uint32_t kPageIds = 4096;

  struct Table {
    explicit Table(uint64_t capacity);
    uint64_t mask;
    std::unique_ptr<std::atomic<uint64_t>[]> slots;  // 0 = empty, else hash32 << 32 | (id + 1)
  };

  static std::string_view Decode(const char* p);
  static uint64_t Hash(std::string_view s);
  uint32_t FindWithHash(std::string_view s, uint64_t h) const;
  const char* Store(std::string_view s) STRIX_REQUIRES(write_mu_);
  void InsertSlot(Table* t, uint64_t h, uint32_t id) STRIX_REQUIRES(write_mu_);

  // id -> varint length + bytes, through a directory of pages.
  std::atomic<const char* const* const*> dir_;
  std::atomic<uint32_t> size_{0};
  std::atomic<Table*> table_;

  mutable Mutex write_mu_;
  std::vector<std::unique_ptr<const char*[]>> pages_ STRIX_GUARDED_BY(write_mu_);
  // The current directory and table are the last elements; earlier ones are retired.
  std::vector<std::unique_ptr<const char* const*[]>> dirs_ STRIX_GUARDED_BY(write_mu_);
  size_t dir_capacity_ STRIX_GUARDED_BY(write_mu_) = 0;
  size_t dir_bytes_ STRIX_GUARDED_BY(write_mu_) = 0;
  std::vector<std::unique_ptr<Table>> tables_ STRIX_GUARDED_BY(write_mu_);
  size_t table_bytes_ STRIX_GUARDED_BY(write_mu_) = 0;
  std::vector<std::unique_ptr<char[]>> blocks_ STRIX_GUARDED_BY(write_mu_);
  size_t block_bytes_ STRIX_GUARDED_BY(write_mu_) = 0;
  char* block_pos_ STRIX_GUARDED_BY(write_mu_) = nullptr;
  char* block_end_ STRIX_GUARDED_BY(write_mu_) = nullptr;
};

}  // namespace strix::storage::index
