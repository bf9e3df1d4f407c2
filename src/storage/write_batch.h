// WriteBatch: the samples of one write request, for many series, in a reusable arena.
//
// Ingest parsers fill a batch directly (no intermediate objects), and Storage::Append
// consumes it. Clear() keeps the capacity, so a worker that reuses its batch allocates
// nothing per sample once warmed up.
//
//   batch.StartSeries(ValueKind::kGauge, {{"__name__", "cpu_idle"}, {"host", "a"}}, line_no);
//   batch.AddNumeric(ts, NumericValue{.f = 97.5});
//
// Labels are sorted by name when the series is started (callers may pass any order);
// validation (names, UTF-8, duplicates, __name__ present) happens in Append, which
// reports problems per series with the caller's tag (e.g. the line number) so that
// ingest can name the offending input.
//
// Thread-safety: none; a batch belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/model.h"

namespace strix::storage {

using LabelPair = std::pair<std::string_view, std::string_view>;

class WriteBatch {
 public:
  struct Sample {
    Timestamp ts;
    NumericValue value;  // for state series: value.u is the offset of the string in the arena
  };
  struct Series {
    ValueKind kind;
    uint32_t tag;            // caller's reference (line number, item index)
    uint32_t labels_offset;  // encoded labels in labels_: see EncodedLabels below
    uint32_t labels_size;
    uint32_t first_sample;  // index into samples_
    uint32_t sample_count;
  };

  // Begins a new series; the following Add* calls append samples to it. An empty series
  // (no samples) is allowed and ignored by Append.
  void StartSeries(ValueKind kind, std::span<const LabelPair> labels, uint32_t tag = 0);
  void StartSeries(ValueKind kind, std::initializer_list<LabelPair> labels, uint32_t tag = 0) {
    StartSeries(kind, std::span<const LabelPair>(labels.begin(), labels.size()), tag);
  }
  void AddNumeric(Timestamp ts, NumericValue v);
  void AddGauge(Timestamp ts, double v) { AddNumeric(ts, NumericValue{.f = v}); }
  void AddCounter(Timestamp ts, uint64_t v) { AddNumeric(ts, NumericValue{.u = v}); }
  void AddState(Timestamp ts, std::string_view state);

  void Clear();
  bool empty() const { return samples_.empty(); }
  size_t series_count() const { return series_.size(); }
  size_t sample_count() const { return samples_.size(); }
  // Approximate bytes held, for queue accounting.
  size_t ByteSize() const;

  std::span<const Series> series() const { return series_; }
  std::span<const Sample> samples(const Series& s) const {
    return std::span<const Sample>(samples_).subspan(s.first_sample, s.sample_count);
  }
  // The encoded labels of a series: for each label in name order, varint name length,
  // name bytes, varint value length, value bytes.
  std::string_view EncodedLabels(const Series& s) const {
    return std::string_view(labels_).substr(s.labels_offset, s.labels_size);
  }
  // The string of a state sample.
  std::string_view StateOf(const Sample& sample) const;

 private:
  std::vector<Series> series_;
  std::vector<Sample> samples_;
  std::string labels_;
  std::string strings_;
  std::vector<LabelPair> sort_buf_;
};

// Decodes EncodedLabels one pair at a time. Returns false at the end or on malformed bytes.
class EncodedLabelsIterator {
 public:
  explicit EncodedLabelsIterator(std::string_view encoded) : in_(encoded) {}
  bool Next(std::string_view* name, std::string_view* value);
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace strix::storage
