// PostingsList: array and bitmap containers (see postings_list.h).
#include "storage/index/postings_list.h"

#include <algorithm>
#include <cstring>

namespace strix::storage::index {

size_t PostingsList::LowerBound(uint64_t key) const {
  // The last container is the common target (refs grow), so check it first.
  size_t n = containers_.size();
  if (n > 0 && containers_[n - 1].key <= key) return containers_[n - 1].key == key ? n - 1 : n;
  auto it = std::lower_bound(containers_.begin(), containers_.end(), key,
                             [](const Container& c, uint64_t k) { return c.key < k; });
  return static_cast<size_t>(it - containers_.begin());
}

bool PostingsList::ContainerContains(const Container& c, uint16_t low) {
  if (c.bitmap) return (c.bitmap[low >> 6] >> (low & 63)) & 1;
  const uint16_t* begin = c.array.get();
  const uint16_t* end = begin + c.count;
  if (c.count > 0 && c.array[c.count - 1] < low) return false;
  const uint16_t* it = std::lower_bound(begin, end, low);
  return it != end && *it == low;
}

bool PostingsList::ContainerAdd(Container* c, uint16_t low) {
  if (c->bitmap) {
    uint64_t& w = c->bitmap[low >> 6];
    uint64_t bit = uint64_t{1} << (low & 63);
    if (w & bit) return false;
    w |= bit;
    ++c->count;
    return true;
  }
  uint16_t* begin = c->array.get();
  uint16_t* end = begin + c->count;
  uint16_t* pos =
      (c->count == 0 || begin[c->count - 1] < low) ? end : std::lower_bound(begin, end, low);
  if (pos != end && *pos == low) return false;
  if (c->count == kArrayMax) {
    // Convert to a bitmap.
    std::unique_ptr<uint64_t[]> bm(new uint64_t[kBitmapWords]());
    for (uint32_t i = 0; i < c->count; ++i) bm[begin[i] >> 6] |= uint64_t{1} << (begin[i] & 63);
    bm[low >> 6] |= uint64_t{1} << (low & 63);
    c->bitmap = std::move(bm);
    c->array.reset();
    c->capacity = 0;
    ++c->count;
    return true;
  }
  size_t at = static_cast<size_t>(pos - begin);
  if (c->count == c->capacity) {
    uint32_t cap =
        std::min<uint32_t>(kArrayMax, c->capacity + std::max<uint32_t>(4, c->capacity / 4));
    std::unique_ptr<uint16_t[]> grown(new uint16_t[cap]);
    if (c->count > 0) std::memcpy(grown.get(), begin, sizeof(uint16_t) * c->count);
    c->array = std::move(grown);
    c->capacity = cap;
    begin = c->array.get();
  }
  std::memmove(begin + at + 1, begin + at, sizeof(uint16_t) * (c->count - at));
  begin[at] = low;
  ++c->count;
  return true;
}

bool PostingsList::ContainerRemove(Container* c, uint16_t low) {
  if (c->bitmap) {
    uint64_t& w = c->bitmap[low >> 6];
    uint64_t bit = uint64_t{1} << (low & 63);
    if (!(w & bit)) return false;
    w &= ~bit;
    --c->count;
    if (c->count < kBitmapToArray) {
      std::unique_ptr<uint16_t[]> arr(new uint16_t[c->count > 0 ? c->count : 1]);
      uint32_t n = 0;
      for (size_t i = 0; i < kBitmapWords; ++i) {
        uint64_t bits = c->bitmap[i];
        while (bits != 0) {
          arr[n++] = static_cast<uint16_t>(i * 64 + static_cast<size_t>(std::countr_zero(bits)));
          bits &= bits - 1;
        }
      }
      c->array = std::move(arr);
      c->capacity = c->count > 0 ? c->count : 1;
      c->bitmap.reset();
    }
    return true;
  }
  uint16_t* begin = c->array.get();
  uint16_t* end = begin + c->count;
  uint16_t* pos = std::lower_bound(begin, end, low);
  if (pos == end || *pos != low) return false;
  std::memmove(pos, pos + 1, sizeof(uint16_t) * static_cast<size_t>(end - pos - 1));
  --c->count;
  // Give memory back when an array is mostly empty.
  if (c->count > 0 && c->capacity >= 16 && c->count * 2 < c->capacity) {
    std::unique_ptr<uint16_t[]> shrunk(new uint16_t[c->count]);
    std::memcpy(shrunk.get(), begin, sizeof(uint16_t) * c->count);
    c->array = std::move(shrunk);
    c->capacity = c->count;
  }
  return true;
}

bool PostingsList::Add(uint64_t v) {
  uint64_t key = v >> 16;
  size_t i = LowerBound(key);
  if (i == containers_.size() || containers_[i].key != key) {
    if (containers_.size() == containers_.capacity())
      containers_.reserve(containers_.size() + std::max<size_t>(1, containers_.size() / 4));
    Container c;
    c.key = key;
    containers_.insert(containers_.begin() + static_cast<ptrdiff_t>(i), std::move(c));
  }
  if (!ContainerAdd(&containers_[i], static_cast<uint16_t>(v))) return false;
  ++size_;
  return true;
}

bool PostingsList::Remove(uint64_t v) {
  uint64_t key = v >> 16;
  size_t i = LowerBound(key);
  if (i == containers_.size() || containers_[i].key != key) return false;
  if (!ContainerRemove(&containers_[i], static_cast<uint16_t>(v))) return false;
  --size_;
  if (containers_[i].count == 0) containers_.erase(containers_.begin() + static_cast<ptrdiff_t>(i));
  if (containers_.empty()) containers_.shrink_to_fit();
  return true;
}

bool PostingsList::Contains(uint64_t v) const {
  uint64_t key = v >> 16;
  size_t i = LowerBound(key);
  if (i == containers_.size() || containers_[i].key != key) return false;
  return ContainerContains(containers_[i], static_cast<uint16_t>(v));
}

bool PostingsList::Cursor::SeekContains(uint64_t v) {
  const std::vector<Container>& cs = list_->containers_;
  uint64_t key = v >> 16;
  if (container_ < cs.size() && cs[container_].key < key) {
    auto it = std::lower_bound(cs.begin() + static_cast<ptrdiff_t>(container_) + 1, cs.end(), key,
                               [](const Container& c, uint64_t k) { return c.key < k; });
    container_ = static_cast<size_t>(it - cs.begin());
    pos_ = 0;
  }
  if (container_ >= cs.size() || cs[container_].key != key) return false;
  const Container& c = cs[container_];
  uint16_t low = static_cast<uint16_t>(v);
  if (c.bitmap) return (c.bitmap[low >> 6] >> (low & 63)) & 1;
  // Gallop forward from pos_ to the first entry >= low.
  const uint16_t* a = c.array.get();
  uint32_t lo = pos_, step = 1, hi = pos_;
  while (hi < c.count && a[hi] < low) {
    lo = hi + 1;
    hi += step;
    step *= 2;
  }
  if (hi > c.count) hi = c.count;
  pos_ = static_cast<uint32_t>(std::lower_bound(a + lo, a + hi, low) - a);
  return pos_ < c.count && a[pos_] == low;
}

void PostingsList::AppendTo(std::vector<uint64_t>* out) const {
  size_t at = out->size();
  size_t need = at + size_;
  if (out->capacity() < need) out->reserve(std::max(need, 2 * out->capacity()));
  out->resize(need);
  uint64_t* dst = out->data() + at;
  for (const Container& c : containers_) {
    uint64_t base = c.key << 16;
    if (c.bitmap) {
      for (size_t w = 0; w < kBitmapWords; ++w) {
        uint64_t bits = c.bitmap[w];
        while (bits != 0) {
          *dst++ = base | (w * 64 + static_cast<uint64_t>(std::countr_zero(bits)));
          bits &= bits - 1;
        }
      }
    } else {
      for (uint32_t i = 0; i < c.count; ++i) *dst++ = base | c.array[i];
    }
  }
}

size_t PostingsList::MemoryBytes() const {
  size_t n = containers_.capacity() * sizeof(Container);
  for (const Container& c : containers_)
    n += c.bitmap ? kBitmapWords * sizeof(uint64_t) : c.capacity * sizeof(uint16_t);
  return n;
}

}  // namespace strix::storage::index
