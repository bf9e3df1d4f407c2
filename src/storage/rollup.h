// Rollup: summarises samples, or tier points, through a ladder of bucket widths, each a
// multiple of the one before, up to output buckets of the last width.
//
// It is the only path by which tier points are built and consolidated queries are
// answered, and that is what makes a tier's answer equal the answer from raw data bit
// for bit: raw samples go into buckets of the finest width, those aggregates are merged
// in time order into the next width, and so on, whether the intermediate aggregates are
// computed on the fly or read back from a tier block. (Floating-point sums depend on the
// order of additions, so the grouping must be the same on both paths.)
//
// Inputs come in increasing time order: AddSample() for raw samples, AddPoint() for a
// complete aggregate of one of the ladder's widths (a tier point). Each output is the
// aggregate of one bucket of the last width, labelled by its start.
//
// RollupOf<A> works on any aggregate with Add(kind, ts, value), Merge(kind, later) and
// empty(): Aggregate (every field; Rollup) or BasicAggregate (count, sum, min, max).
//
// Thread-safety: one Rollup belongs to one thread.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/check.h"
#include "storage/aggregate.h"
#include "storage/model.h"

namespace strix::storage {

template <class A>
class RollupOf {
 public:
  // `widths`: strictly increasing, each a multiple of the previous, at least one.
  RollupOf(ValueKind kind, std::vector<int64_t> widths) : kind_(kind), widths_(std::move(widths)) {
    STRIX_CHECK(!widths_.empty());
    for (size_t i = 0; i < widths_.size(); ++i) {
      STRIX_CHECK(widths_[i] > 0);
      if (i > 0) STRIX_CHECK(widths_[i] > widths_[i - 1] && widths_[i] % widths_[i - 1] == 0);
    }
    open_.resize(widths_.size());
    open_start_.resize(widths_.size());
    open_end_.resize(widths_.size());
    have_end_.resize(widths_.size());
  }

  // Starts over for another series (the ladder stays).
  void Reset(ValueKind kind) {
    kind_ = kind;
    for (auto& a : open_) a = A{};
    starts_.clear();
    outputs_.clear();
  }

  // A raw sample; timestamps strictly increasing.
  void AddSample(Timestamp ts, NumericValue v) {
    // Inputs increase, so most fall into the open bucket: no division for them.
    if (open_[0].empty() || ts >= open_end_[0]) {
      if (!open_[0].empty()) Close(0);
      Open(0, ts);
    }
    open_[0].Add(kind_, ts, v);
  }

  // A complete aggregate of width widths()[level], starting at `start` (a multiple of
  // that width), later than everything added before.
  void AddPoint(size_t level, Timestamp start, const A& a) {
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

  // Closes every open bucket.
  void Finish() {
    for (size_t l = 0; l < widths_.size(); ++l)
      if (!open_[l].empty()) Close(l);
  }

  const std::vector<int64_t>& widths() const { return widths_; }
  // Outputs so far, in time order. The caller may clear them between inputs.
  std::vector<Timestamp>& starts() { return starts_; }
  std::vector<A>& outputs() { return outputs_; }

 private:
  void Close(size_t level) {
    A a = open_[level];
    open_[level] = A{};
    if (level + 1 == widths_.size()) {
      Emit(open_start_[level], a);
    } else {
      Feed(level + 1, open_start_[level], a);
    }
  }
  void Feed(size_t level, Timestamp start, const A& a) {
    if (open_[level].empty() || start >= open_end_[level]) {
      if (!open_[level].empty()) Close(level);
      Open(level, start);
      open_[level] = a;
    } else {
      open_[level].Merge(kind_, a);
    }
  }
  // Sets the bucket holding `t` as the open one of `level`. The next bucket after the
  // previous one needs no division (64-bit division is slow, and this is the usual case).
  void Open(size_t level, Timestamp t) {
    const int64_t w = widths_[level];
    const Timestamp end = open_end_[level];
    const uint64_t past = static_cast<uint64_t>(t) - static_cast<uint64_t>(end);
    if (have_end_[level] && t >= end && past < static_cast<uint64_t>(w)) {
      open_start_[level] = end;
    } else {
      open_start_[level] = AlignDown(t, w);
    }
    open_end_[level] = open_start_[level] + w;
    have_end_[level] = true;
  }
  void Emit(Timestamp start, const A& a) {
    starts_.push_back(start);
    outputs_.push_back(a);
  }

  ValueKind kind_;
  std::vector<int64_t> widths_;
  std::vector<A> open_;
  std::vector<Timestamp> open_start_;
  std::vector<Timestamp> open_end_;  // open_start_ + width
  std::vector<uint8_t> have_end_;    // open_end_ was set
  std::vector<Timestamp> starts_;
  std::vector<A> outputs_;
};

using Rollup = RollupOf<Aggregate>;
using BasicRollup = RollupOf<BasicAggregate>;

}  // namespace strix::storage
