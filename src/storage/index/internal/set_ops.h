// Operations on sorted, duplicate-free vectors of series refs or positions, shared by
// MemPostings and IndexReader. Intersection and difference gallop (exponential search)
// through the larger input when the sizes differ a lot, so a 100-entry candidate set
// against a 1,000,000-entry list costs about 100 * log2(10,000) steps, not 1,000,000.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace strix::storage::index::internal {

// First index i >= from with v[i] >= x (v.size() if none), by galloping from `from`.
template <typename T>
size_t Gallop(const std::vector<T>& v, size_t from, T x) {
  size_t n = v.size();
  if (from >= n || v[from] >= x) return from;
  size_t step = 1;
  size_t lo = from;  // v[lo] < x
  size_t hi = from + 1;
  while (hi < n && v[hi] < x) {
    lo = hi;
    step *= 2;
    hi = lo + step;
  }
  if (hi > n) hi = n;
  return static_cast<size_t>(std::lower_bound(v.begin() + static_cast<ptrdiff_t>(lo) + 1,
                                              v.begin() + static_cast<ptrdiff_t>(hi), x) -
                             v.begin());
}

// Keeps the elements of *a that are (keep_common) or are not (!keep_common) in b.
template <typename T>
void FilterSorted(std::vector<T>* a, const std::vector<T>& b, bool keep_common) {
  size_t out = 0;
  size_t j = 0;
  bool gallop = b.size() > 8 * a->size();
  for (size_t i = 0; i < a->size(); ++i) {
    T x = (*a)[i];
    if (gallop) {
      j = Gallop(b, j, x);
    } else {
      while (j < b.size() && b[j] < x) ++j;
    }
    bool in = j < b.size() && b[j] == x;
    if (in == keep_common) (*a)[out++] = x;
  }
  a->resize(out);
}

template <typename T>
void IntersectSorted(std::vector<T>* a, const std::vector<T>& b) {
  FilterSorted(a, b, /*keep_common=*/true);
}

template <typename T>
void SubtractSorted(std::vector<T>* a, const std::vector<T>& b) {
  FilterSorted(a, b, /*keep_common=*/false);
}

// `v` is a concatenation of sorted segments, segment i starting at starts[i], with no
// value in two segments (the postings of one label name's values). Sorts v, by the cheapest
// of: nothing (already sorted); reordering whole segments when they do not overlap (refs
// handed out host by host make each host's refs a run); a bitmap over the value range when
// it is dense (an on-disk index sorted by metric name interleaves one host's positions);
// std::sort otherwise. The bitmap is at most 4 words per value.
template <typename T>
void SortSegments(std::vector<T>* v, const std::vector<size_t>& starts) {
  if (std::is_sorted(v->begin(), v->end())) return;
  struct Seg {
    T first, last;
    size_t begin, end;
  };
  std::vector<Seg> segs;
  segs.reserve(starts.size());
  for (size_t i = 0; i < starts.size(); ++i) {
    size_t end = i + 1 < starts.size() ? starts[i + 1] : v->size();
    if (end > starts[i]) segs.push_back({(*v)[starts[i]], (*v)[end - 1], starts[i], end});
  }
  std::sort(segs.begin(), segs.end(), [](const Seg& a, const Seg& b) { return a.first < b.first; });
  bool disjoint = true;
  for (size_t i = 1; i < segs.size() && disjoint; ++i) disjoint = segs[i - 1].last < segs[i].first;
  if (disjoint) {
    std::vector<T> out;
    out.reserve(v->size());
    for (const Seg& s : segs) out.insert(out.end(), v->begin() + s.begin, v->begin() + s.end);
    v->swap(out);
    return;
  }
  T lo = segs.front().first, hi = lo;
  for (const Seg& s : segs) hi = std::max(hi, s.last);
  uint64_t words = (static_cast<uint64_t>(hi - lo) >> 6) + 1;
  if (words <= 4 * static_cast<uint64_t>(v->size())) {
    std::vector<uint64_t> bits(words, 0);
    for (T x : *v) {
      uint64_t d = static_cast<uint64_t>(x - lo);
      bits[d >> 6] |= uint64_t{1} << (d & 63);
    }
    size_t n = 0;
    for (uint64_t w = 0; w < words; ++w) {
      uint64_t b = bits[w];
      while (b != 0) {
        (*v)[n++] = static_cast<T>(
            lo + static_cast<T>(w * 64 + static_cast<uint64_t>(std::countr_zero(b))));
        b &= b - 1;
      }
    }
    v->resize(n);
    return;
  }
  std::sort(v->begin(), v->end());
}

// Sorts and removes duplicates.
template <typename T>
void SortUnique(std::vector<T>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

}  // namespace strix::storage::index::internal
