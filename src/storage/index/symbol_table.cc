// SymbolTable: arena-backed string interning with lock-free lookups (see symbol_table.h).
#include "storage/index/symbol_table.h"

#include <cstring>

#include "core/check.h"
#include "core/coding.h"
#include "storage/labels.h"

namespace strix::storage::index {

namespace {
constexpr size_t kBlockBytes = 64 * 1024;
constexpr size_t kInitialDir = 4;
constexpr uint64_t kInitialSlots = 128;
}  // namespace

SymbolTable::Table::Table(uint64_t capacity)
    : mask(capacity - 1), slots(new std::atomic<uint64_t>[capacity]) {
  for (uint64_t i = 0; i < capacity; ++i) slots[i].store(0, std::memory_order_relaxed);
}

SymbolTable::SymbolTable() {
  MutexLock l(&write_mu_);
  dirs_.emplace_back(new const char* const*[kInitialDir]());
  dir_capacity_ = kInitialDir;
  dir_bytes_ = kInitialDir * sizeof(void*);
  dir_.store(dirs_.back().get(), std::memory_order_release);
  tables_.push_back(std::make_unique<Table>(kInitialSlots));
  table_bytes_ = kInitialSlots * sizeof(uint64_t);
  table_.store(tables_.back().get(), std::memory_order_release);
}

SymbolTable::~SymbolTable() = default;

std::string_view SymbolTable::Decode(const char* p) {
  // The arena holds our own encoding: a varint length, then the bytes.
  uint64_t len = 0;
  int shift = 0;
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  while (*u & 0x80) {
    len |= static_cast<uint64_t>(*u & 0x7f) << shift;
    shift += 7;
    ++u;
  }
  len |= static_cast<uint64_t>(*u) << shift;
  ++u;
  return std::string_view(reinterpret_cast<const char*>(u), len);
}

uint64_t SymbolTable::Hash(std::string_view s) { return StableHash64(s); }

uint32_t SymbolTable::Find(std::string_view s) const { return FindWithHash(s, Hash(s)); }

uint32_t SymbolTable::FindWithHash(std::string_view s, uint64_t h) const {
  const Table* t = table_.load(std::memory_order_acquire);
  uint64_t tag = h >> 32;
  for (uint64_t i = h & t->mask;; i = (i + 1) & t->mask) {
    uint64_t slot = t->slots[i].load(std::memory_order_acquire);
    if (slot == 0) return kNotFound;
    if ((slot >> 32) == tag) {
      uint32_t id = static_cast<uint32_t>(slot) - 1;
      if (Get(id) == s) return id;
    }
  }
}

const char* SymbolTable::Store(std::string_view s) {
  size_t need = static_cast<size_t>(VarintLength(s.size())) + s.size();
  char* dst;
  if (need > kBlockBytes / 4) {
    blocks_.emplace_back(new char[need]);
    block_bytes_ += need;
    dst = blocks_.back().get();
  } else {
    if (block_pos_ == nullptr || static_cast<size_t>(block_end_ - block_pos_) < need) {
      blocks_.emplace_back(new char[kBlockBytes]);
      block_bytes_ += kBlockBytes;
      block_pos_ = blocks_.back().get();
      block_end_ = block_pos_ + kBlockBytes;
    }
    dst = block_pos_;
    block_pos_ += need;
  }
  char* p = EncodeVarint64(dst, s.size());
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return dst;
}

void SymbolTable::InsertSlot(Table* t, uint64_t h, uint32_t id) {
  uint64_t slot = ((h >> 32) << 32) | (static_cast<uint64_t>(id) + 1);
  for (uint64_t i = h & t->mask;; i = (i + 1) & t->mask) {
    if (t->slots[i].load(std::memory_order_relaxed) == 0) {
      t->slots[i].store(slot, std::memory_order_release);
      return;
    }
  }
}

uint32_t SymbolTable::Intern(std::string_view s) {
  uint64_t h = Hash(s);
  MutexLock l(&write_mu_);
  uint32_t found = FindWithHash(s, h);
  if (found != kNotFound) return found;
  uint32_t id = size_.load(std::memory_order_relaxed);
  STRIX_CHECK_MSG(id < kMaxSymbols, "symbol table full");
  const char* bytes = Store(s);

  // Publication order matters to lock-free readers: the bytes and their page entry, then
  // the hash slot (Find may return the id from then on), then size (ids below it are
  // findable).
  if (id % kPageIds == 0) {
    size_t page = id / kPageIds;
    if (page == dir_capacity_) {
      size_t cap = dir_capacity_ * 2;
      std::unique_ptr<const char* const*[]> grown(new const char* const*[cap]());
      for (size_t i = 0; i < dir_capacity_; ++i) grown[i] = dirs_.back()[i];
      dirs_.push_back(std::move(grown));
      dir_capacity_ = cap;
      dir_bytes_ += cap * sizeof(void*);
    }
    pages_.emplace_back(new const char*[kPageIds]);
    dirs_.back()[page] = pages_.back().get();
    dir_.store(dirs_.back().get(), std::memory_order_release);
  }
  pages_.back()[id % kPageIds] = bytes;

  Table* t = tables_.back().get();
  uint64_t capacity = t->mask + 1;
  if ((static_cast<uint64_t>(id) + 1) * 4 > capacity * 3) {
    auto grown = std::make_unique<Table>(capacity * 2);
    for (uint64_t i = 0; i < capacity; ++i) {
      uint64_t slot = t->slots[i].load(std::memory_order_relaxed);
      if (slot == 0) continue;
      uint32_t sid = static_cast<uint32_t>(slot) - 1;
      uint64_t sh = Hash(Get(sid));
      InsertSlot(grown.get(), sh, sid);
    }
    table_bytes_ += capacity * 2 * sizeof(uint64_t);
    tables_.push_back(std::move(grown));
    t = tables_.back().get();
    table_.store(t, std::memory_order_release);
  }
  InsertSlot(t, h, id);
  size_.store(id + 1, std::memory_order_release);
  return id;
}

size_t SymbolTable::MemoryBytes() const {
  MutexLock l(&write_mu_);
  return block_bytes_ + pages_.size() * kPageIds * sizeof(const char*) + dir_bytes_ + table_bytes_ +
         blocks_.capacity() * sizeof(std::unique_ptr<char[]>) + pages_.capacity() * sizeof(void*) +
         dirs_.capacity() * sizeof(void*) + tables_.capacity() * sizeof(void*) +
         tables_.size() * sizeof(Table);
}

}  // namespace strix::storage::index
