// SeriesTable: ref -> symbolic labels for MemPostings (see internal/series_table.h).
#include "storage/index/internal/series_table.h"

#include <cstring>

#include "core/check.h"
#include "core/coding.h"

namespace strix::storage::index::internal {

namespace {
constexpr uint64_t kInitialCapacity = 64;

// Trusted decoding of our own varints.
inline uint32_t ReadVarint(const unsigned char*& p) {
  uint32_t v = *p & 0x7f;
  int shift = 7;
  while (*p++ & 0x80) {
    v |= static_cast<uint32_t>(*p & 0x7f) << shift;
    shift += 7;
  }
  return v;
}
}  // namespace

SeriesTable::SeriesTable()
    : refs_(new uint64_t[kInitialCapacity]),
      locs_(new uint32_t[kInitialCapacity]()),
      capacity_(kInitialCapacity),
      shift_(64 - 6) {}

uint64_t SeriesTable::FindSlot(uint64_t ref) const {
  uint64_t mask = capacity_ - 1;
  for (uint64_t i = Home(ref);; i = (i + 1) & mask) {
    if (locs_[i] == 0) return kNone;
    if (refs_[i] == ref) return i;
  }
}

void SeriesTable::Grow() {
  uint64_t old_cap = capacity_;
  std::unique_ptr<uint64_t[]> old_refs = std::move(refs_);
  std::unique_ptr<uint32_t[]> old_locs = std::move(locs_);
  capacity_ = old_cap * 2;
  --shift_;
  refs_.reset(new uint64_t[capacity_]);
  locs_.reset(new uint32_t[capacity_]());
  uint64_t mask = capacity_ - 1;
  for (uint64_t j = 0; j < old_cap; ++j) {
    if (old_locs[j] == 0) continue;
    uint64_t i = Home(old_refs[j]);
    while (locs_[i] != 0) i = (i + 1) & mask;
    refs_[i] = old_refs[j];
    locs_[i] = old_locs[j];
  }
}

uint32_t SeriesTable::PoolAppend(std::string_view bytes) {
  STRIX_CHECK(bytes.size() <= kPageBytes);
  if (pages_.empty() || kPageBytes - page_used_ < bytes.size()) {
    STRIX_CHECK_MSG(pages_.size() < (uint64_t{1} << 32) / kPageBytes - 1,
                    "series label pool exceeds 4 GiB");
    pages_.emplace_back(new char[kPageBytes]);
    page_used_ = 0;
  }
  std::memcpy(pages_.back().get() + page_used_, bytes.data(), bytes.size());
  uint64_t offset = (pages_.size() - 1) * kPageBytes + page_used_;
  page_used_ += bytes.size();
  live_bytes_ += bytes.size();
  return static_cast<uint32_t>(offset);
}

std::string_view SeriesTable::PoolEntry(uint32_t offset) const {
  const char* start = pages_[offset / kPageBytes].get() + offset % kPageBytes;
  const auto* p = reinterpret_cast<const unsigned char*>(start);
  uint32_t n = ReadVarint(p);
  for (uint32_t i = 0; i < 2 * n; ++i) ReadVarint(p);
  return std::string_view(start, static_cast<size_t>(reinterpret_cast<const char*>(p) - start));
}

bool SeriesTable::Insert(uint64_t ref, std::span<const uint32_t> ids) {
  if (FindSlot(ref) != kNone) return false;
  if ((count_ + 1) * 5 > capacity_ * 4) Grow();
  char buf[5 * 2 * 64 + 10];
  char* p = buf;
  std::string heap;
  size_t need = 5 * (ids.size() + 1);
  if (need > sizeof(buf)) {
    heap.resize(need);
    p = heap.data();
  }
  char* start = p;
  p = EncodeVarint64(p, ids.size() / 2);
  for (uint32_t id : ids) p = EncodeVarint64(p, id);
  uint32_t off = PoolAppend(std::string_view(start, static_cast<size_t>(p - start)));
  uint64_t mask = capacity_ - 1;
  uint64_t i = Home(ref);
  while (locs_[i] != 0) i = (i + 1) & mask;
  refs_[i] = ref;
  locs_[i] = off + 1;
  ++count_;
  return true;
}

bool SeriesTable::Erase(uint64_t ref, std::vector<uint32_t>* ids) {
  uint64_t i = FindSlot(ref);
  if (i == kNone) return false;
  std::string_view enc = PoolEntry(locs_[i] - 1);
  DecodeIds(enc, ids);
  live_bytes_ -= enc.size();
  garbage_bytes_ += enc.size();
  // Backward-shift deletion keeps probe sequences intact without tombstones.
  uint64_t mask = capacity_ - 1;
  uint64_t hole = i;
  for (uint64_t j = (i + 1) & mask; locs_[j] != 0; j = (j + 1) & mask) {
    uint64_t home = Home(refs_[j]);
    // Move j into the hole if its home is not in (hole, j] (cyclically).
    bool home_in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!home_in_range) {
      refs_[hole] = refs_[j];
      locs_[hole] = locs_[j];
      hole = j;
    }
  }
  locs_[hole] = 0;
  --count_;
  MaybeCompactPool();
  return true;
}

void SeriesTable::MaybeCompactPool() {
  if (garbage_bytes_ < 4 * kPageBytes || garbage_bytes_ < live_bytes_) return;
  std::vector<std::unique_ptr<char[]>> old_pages = std::move(pages_);
  pages_.clear();
  page_used_ = 0;
  live_bytes_ = 0;
  garbage_bytes_ = 0;
  for (uint64_t i = 0; i < capacity_; ++i) {
    if (locs_[i] == 0) continue;
    uint32_t off = locs_[i] - 1;
    const char* start = old_pages[off / kPageBytes].get() + off % kPageBytes;
    const auto* p = reinterpret_cast<const unsigned char*>(start);
    uint32_t n = ReadVarint(p);
    for (uint32_t k = 0; k < 2 * n; ++k) ReadVarint(p);
    size_t len = static_cast<size_t>(reinterpret_cast<const char*>(p) - start);
    locs_[i] = PoolAppend(std::string_view(start, len)) + 1;
  }
}

bool SeriesTable::Lookup(uint64_t ref, std::string_view* encoded) const {
  uint64_t i = FindSlot(ref);
  if (i == kNone) return false;
  *encoded = PoolEntry(locs_[i] - 1);
  return true;
}

void SeriesTable::DecodeIds(std::string_view encoded, std::vector<uint32_t>* ids) {
  ids->clear();
  const auto* p = reinterpret_cast<const unsigned char*>(encoded.data());
  uint32_t n = ReadVarint(p);
  for (uint32_t i = 0; i < 2 * n; ++i) ids->push_back(ReadVarint(p));
}

bool SeriesTable::FindValue(std::string_view encoded, uint32_t name_id, uint32_t* value_id) {
  const auto* p = reinterpret_cast<const unsigned char*>(encoded.data());
  uint32_t n = ReadVarint(p);
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t name = ReadVarint(p);
    uint32_t value = ReadVarint(p);
    if (name == name_id) {
      *value_id = value;
      return true;
    }
  }
  return false;
}

size_t SeriesTable::MemoryBytes() const {
  return capacity_ * (sizeof(uint64_t) + sizeof(uint32_t)) + pages_.size() * kPageBytes +
         pages_.capacity() * sizeof(void*);
}

}  // namespace strix::storage::index::internal
