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
// A parser that meets a series again later in the same body (line protocol sends every
// series once per timestamp) adds to the series it already started with AddNumericTo /
// AddStateTo instead of starting it again, so that storage looks the series up, logs it
// and applies it once per batch. Such samples are kept aside and regrouped by Seal(),
// which must run before the batch is read (Storage::Append refuses an unsealed batch).
//
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
  // (no samples) is allowed and ignored by Append. Returns the series' index in the batch.
  uint32_t StartSeries(ValueKind kind, std::span<const LabelPair> labels, uint32_t tag = 0);
  uint32_t StartSeries(ValueKind kind, std::initializer_list<LabelPair> labels, uint32_t tag = 0) {
    return StartSeries(kind, std::span<const LabelPair>(labels.begin(), labels.size()), tag);
  }
  void AddNumeric(Timestamp ts, NumericValue v);
  void AddGauge(Timestamp ts, double v) { AddNumeric(ts, NumericValue{.f = v}); }
  void AddCounter(Timestamp ts, uint64_t v) { AddNumeric(ts, NumericValue{.u = v}); }
  void AddState(Timestamp ts, std::string_view state);

  // Adds a sample to the series `series` (an index StartSeries returned), which need not
  // be the last one started; `tag` is this sample's own reference (SampleTag). The batch
  // is unsealed until Seal() regroups these samples behind their series' others.
  void AddNumericTo(uint32_t series, Timestamp ts, NumericValue v, uint32_t tag);
  void AddStateTo(uint32_t series, Timestamp ts, std::string_view state, uint32_t tag);
  // Regroups the samples added with Add*To so that every series' samples are contiguous
  // again (in the order they were added). O(samples + series); a no-op when sealed.
  void Seal();
  bool sealed() const { return scattered_.empty(); }

  void Clear();
  bool empty() const { return samples_.empty() && scattered_.empty(); }
  size_t series_count() const { return series_.size(); }
  size_t sample_count() const { return samples_.size() + scattered_.size(); }
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
  // The tag of the series' i-th sample: its own when it was added with Add*To, else the
  // series' tag.
  uint32_t SampleTag(const Series& s, uint32_t i) const {
    return sample_tags_.empty() ? s.tag : sample_tags_[s.first_sample + i];
  }

 private:
  struct Scattered {
    uint32_t series;
    uint32_t tag;
    Sample sample;
  };
  void AddTo(uint32_t series, Sample sample, uint32_t tag);

  std::vector<Series> series_;
  std::vector<Sample> samples_;
  std::vector<Scattered> scattered_;   // added with Add*To, not yet regrouped
  std::vector<uint32_t> sample_tags_;  // per sample once Seal() regrouped (else empty)
  std::vector<Sample> seal_buf_;       // Seal()'s output, before it is copied back
  std::vector<uint32_t> seal_tags_;
  std::vector<uint32_t> seal_pos_;
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
