// PostingsList: a sorted set of SeriesRefs (uint64) for the head's in-memory postings,
// stored like a small Roaring bitmap. Values are split by their high 48 bits into
// containers; a container holds the low 16 bits either as a sorted uint16 array (up to
// 4096 values, 2 bytes each) or as a 65536-bit bitmap (8 KiB, for dense lists).
//
// The head hands out refs in increasing order, so one host's series (created together) sit
// in one array container at 2 bytes per ref, and a label shared by most series (job="node")
// becomes bitmaps at about 1 bit per possible ref. Arrays grow by 1/4 (not 2x) to keep
// slack small. Add, Remove and Contains cost a binary search over containers plus one inside
// the container; iteration is in increasing order.
//
// Thread-safety: none (a value type). MemPostings guards its lists with its own lock.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace strix::storage::index {

class PostingsList {
 public:
  PostingsList() = default;
  PostingsList(PostingsList&&) noexcept = default;
  PostingsList& operator=(PostingsList&&) noexcept = default;

  // Returns false if v was already present.
  bool Add(uint64_t v);
  // Returns false if v was absent.
  bool Remove(uint64_t v);
  bool Contains(uint64_t v) const;
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Appends every value in increasing order.
  void AppendTo(std::vector<uint64_t>* out) const;
  template <typename Fn>
  void ForEach(Fn&& fn) const;

  // Heap bytes held (container array, arrays and bitmaps, at their capacity).
  size_t MemoryBytes() const;

  // Membership tests for a non-decreasing sequence of values: each call resumes where the
  // previous one stopped (galloping), so testing n sorted candidates costs far less than n
  // independent Contains() calls. The list must not change while a cursor is in use.
  class Cursor {
   public:
    explicit Cursor(const PostingsList& list) : list_(&list) {}
    bool SeekContains(uint64_t v);

   private:
    const PostingsList* list_;
    size_t container_ = 0;
    uint32_t pos_ = 0;  // in the current array container
  };

 private:
  static constexpr uint32_t kArrayMax = 4096;       // above this an array becomes a bitmap
  static constexpr uint32_t kBitmapToArray = 2048;  // below this a bitmap becomes an array
  static constexpr size_t kBitmapWords = 1024;

  struct Container {
    uint64_t key = 0;  // v >> 16
    uint32_t count = 0;
    uint32_t capacity = 0;               // array capacity (0 for a bitmap)
    std::unique_ptr<uint16_t[]> array;   // sorted low 16 bits, when bitmap is null
    std::unique_ptr<uint64_t[]> bitmap;  // kBitmapWords words
  };

  // Index of the container with key >= k.
  size_t LowerBound(uint64_t key) const;
  static bool ContainerAdd(Container* c, uint16_t low);
  static bool ContainerRemove(Container* c, uint16_t low);
  static bool ContainerContains(const Container& c, uint16_t low);

  std::vector<Container> containers_;  // sorted by key, none empty
  size_t size_ = 0;
};

template <typename Fn>
void PostingsList::ForEach(Fn&& fn) const {
  for (const Container& c : containers_) {
    uint64_t base = c.key << 16;
    if (c.bitmap) {
      for (size_t w = 0; w < kBitmapWords; ++w) {
        uint64_t bits = c.bitmap[w];
        while (bits != 0) {
          int b = std::countr_zero(bits);
          fn(base | (w * 64 + static_cast<uint64_t>(b)));
          bits &= bits - 1;
        }
      }
    } else {
      for (uint32_t i = 0; i < c.count; ++i) fn(base | c.array[i]);
    }
  }
}

}  // namespace strix::storage::index
