#include "storage/rollup.h"

#include <utility>

#include "core/check.h"

namespace strix::storage {

Rollup::Rollup(ValueKind kind, std::vector<int64_t> widths)
    : kind_(kind), widths_(std::move(widths)) {
  STRIX_CHECK(!widths_.empty());
  for (size_t i = 0; i < widths_.size(); ++i) {
    STRIX_CHECK(widths_[i] > 0);
    if (i > 0) STRIX_CHECK(widths_[i] > widths_[i - 1] && widths_[i] % widths_[i - 1] == 0);
  }
  open_.resize(widths_.size());
  open_start_.resize(widths_.size());
}

void Rollup::Reset(ValueKind kind, bool basic) {
  kind_ = kind;
  basic_ = basic;
  for (auto& a : open_) a = Aggregate{};
  starts_.clear();
  outputs_.clear();
}

void Rollup::Close(size_t level) {
  Aggregate a = open_[level];
  open_[level] = Aggregate{};
  if (level + 1 == widths_.size()) {
    Emit(open_start_[level], a);
  } else {
    Feed(level + 1, open_start_[level], a);
  }
}

void Rollup::Feed(size_t level, Timestamp start, const Aggregate& a) {
  Timestamp b = AlignDown(start, widths_[level]);
  if (!open_[level].empty() && open_start_[level] != b) Close(level);
  open_start_[level] = b;
  if (open_[level].empty()) {
    open_[level] = a;
  } else if (basic_) {
    open_[level].MergeBasic(a);
  } else {
    open_[level].Merge(kind_, a);
  }
}

void Rollup::AddSample(Timestamp ts, NumericValue v) {
  Timestamp b = AlignDown(ts, widths_[0]);
  if (!open_[0].empty() && open_start_[0] != b) Close(0);
  open_start_[0] = b;
  if (basic_) {
    open_[0].AddBasic(kind_, ts, v);
  } else {
    open_[0].Add(kind_, ts, v);
  }
}

void Rollup::AddPoint(size_t level, Timestamp start, const Aggregate& a) {
  STRIX_CHECK(level < widths_.size());
  // Anything open at this width or finer is earlier: close it first.
  for (size_t l = 0; l <= level; ++l)
    if (!open_[l].empty()) Close(l);
  if (level + 1 == widths_.size()) {
    Emit(start, a);
  } else {
    Feed(level + 1, start, a);
  }
}

void Rollup::Finish() {
  for (size_t l = 0; l < widths_.size(); ++l)
    if (!open_[l].empty()) Close(l);
}

}  // namespace strix::storage
