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
// Thread-safety: one Rollup belongs to one thread.
#pragma once

#include <cstdint>
#include <vector>

#include "storage/aggregate.h"
#include "storage/model.h"

namespace strix::storage {

class Rollup {
 public:
  // `widths`: strictly increasing, each a multiple of the previous, at least one.
  Rollup(ValueKind kind, std::vector<int64_t> widths);

  // Starts over for another series (the ladder stays). `basic`: keep only count, sum,
  // min, max, first and last (Aggregate::AddBasic/MergeBasic), enough for avg, sum,
  // count, min and max; those fields are the same either way.
  void Reset(ValueKind kind, bool basic = false);

  // A raw sample; timestamps strictly increasing.
  void AddSample(Timestamp ts, NumericValue v);
  // A complete aggregate of width widths()[level], starting at `start` (a multiple of
  // that width), later than everything added before.
  void AddPoint(size_t level, Timestamp start, const Aggregate& a);
  // Closes every open bucket.
  void Finish();

  const std::vector<int64_t>& widths() const { return widths_; }
  // Outputs so far, in time order. The caller may clear them between inputs.
  std::vector<Timestamp>& starts() { return starts_; }
  std::vector<Aggregate>& outputs() { return outputs_; }

 private:
  void Close(size_t level);
  void Feed(size_t level, Timestamp start, const Aggregate& a);
  void Emit(Timestamp start, const Aggregate& a) {
    starts_.push_back(start);
    outputs_.push_back(a);
  }

  ValueKind kind_;
  bool basic_ = false;
  std::vector<int64_t> widths_;
  std::vector<Aggregate> open_;
  std::vector<Timestamp> open_start_;
  std::vector<Timestamp> starts_;
  std::vector<Aggregate> outputs_;
};

}  // namespace strix::storage
