// WriteBatch arena encoding.
#include "storage/write_batch.h"

#include <algorithm>

#include "core/check.h"
#include "core/coding.h"

namespace strix::storage {

uint32_t WriteBatch::StartSeries(ValueKind kind, std::span<const LabelPair> labels, uint32_t tag) {
  sort_buf_.assign(labels.begin(), labels.end());
  std::sort(sort_buf_.begin(), sort_buf_.end(),
            [](const LabelPair& a, const LabelPair& b) { return a.first < b.first; });
  size_t start = labels_.size();
  for (const auto& [name, value] : sort_buf_) {
    PutLengthPrefixed(&labels_, name);
    PutLengthPrefixed(&labels_, value);
  }
  STRIX_CHECK_MSG(labels_.size() < (1ull << 32), "write batch labels over 4 GiB");
  series_.push_back(Series{kind, tag, static_cast<uint32_t>(start),
                           static_cast<uint32_t>(labels_.size() - start),
                           static_cast<uint32_t>(samples_.size()), 0});
  return static_cast<uint32_t>(series_.size() - 1);
}

void WriteBatch::AddNumeric(Timestamp ts, NumericValue v) {
  STRIX_DCHECK(!series_.empty());
  AddTo(static_cast<uint32_t>(series_.size() - 1), Sample{ts, v}, series_.back().tag);
}

void WriteBatch::AddState(Timestamp ts, std::string_view state) {
  STRIX_DCHECK(!series_.empty());
  uint64_t off = strings_.size();
  PutLengthPrefixed(&strings_, state);
  AddTo(static_cast<uint32_t>(series_.size() - 1), Sample{ts, NumericValue{.u = off}},
        series_.back().tag);
}

void WriteBatch::AddTo(uint32_t series, Sample sample, uint32_t tag) {
  STRIX_DCHECK(series < series_.size());
  Series& s = series_[series];
  // The common case needs no regrouping: nothing set aside yet, the last series, same tag
  // (while anything is set aside, later samples go there too, to keep their order).
  if (scattered_.empty() && series + 1 == series_.size() && tag == s.tag && sample_tags_.empty()) {
    samples_.push_back(sample);
    ++s.sample_count;
    return;
  }
  scattered_.push_back(Scattered{series, tag, sample});
}

void WriteBatch::AddNumericTo(uint32_t series, Timestamp ts, NumericValue v, uint32_t tag) {
  AddTo(series, Sample{ts, v}, tag);
}

void WriteBatch::AddStateTo(uint32_t series, Timestamp ts, std::string_view state, uint32_t tag) {
  uint64_t off = strings_.size();
  PutLengthPrefixed(&strings_, state);
  AddTo(series, Sample{ts, NumericValue{.u = off}}, tag);
}

void WriteBatch::Seal() {
  if (scattered_.empty()) return;
  // Counting sort: each series' new range holds its contiguous samples, then its
  // scattered ones in the order they were added.
  seal_pos_.assign(series_.size(), 0);
  for (const Scattered& x : scattered_) ++seal_pos_[x.series];
  const size_t total = samples_.size() + scattered_.size();
  STRIX_CHECK_MSG(total < (1ull << 32), "write batch over 2^32 samples");
  seal_buf_.resize(total);
  const bool had_tags = !sample_tags_.empty();
  seal_tags_.resize(total);
  std::vector<uint32_t>& tags = seal_tags_;
  uint32_t next = 0;
  for (size_t i = 0; i < series_.size(); ++i) {
    Series& s = series_[i];
    const uint32_t extra = seal_pos_[i];
    std::copy_n(samples_.begin() + s.first_sample, s.sample_count, seal_buf_.begin() + next);
    for (uint32_t k = 0; k < s.sample_count; ++k)
      tags[next + k] = had_tags ? sample_tags_[s.first_sample + k] : s.tag;
    s.first_sample = next;
    seal_pos_[i] = next + s.sample_count;  // where its scattered samples go
    s.sample_count += extra;
    next += s.sample_count;
  }
  for (const Scattered& x : scattered_) {
    const uint32_t at = seal_pos_[x.series]++;
    seal_buf_[at] = x.sample;
    tags[at] = x.tag;
  }
  // Copied back rather than swapped, so that both buffers keep their capacity and a
  // reused batch stops allocating after its first body.
  samples_.assign(seal_buf_.begin(), seal_buf_.end());
  sample_tags_.assign(tags.begin(), tags.end());
  scattered_.clear();
}

std::string_view WriteBatch::StateOf(const Sample& sample) const {
  std::string_view in = std::string_view(strings_).substr(sample.value.u);
  std::string_view out;
  GetLengthPrefixed(&in, &out);
  return out;
}

void WriteBatch::Clear() {
  series_.clear();
  samples_.clear();
  scattered_.clear();
  sample_tags_.clear();
  labels_.clear();
  strings_.clear();
}

size_t WriteBatch::ByteSize() const {
  return series_.size() * sizeof(Series) + samples_.size() * sizeof(Sample) +
         scattered_.size() * sizeof(Scattered) + sample_tags_.size() * sizeof(uint32_t) +
         labels_.size() + strings_.size();
}

bool EncodedLabelsIterator::Next(std::string_view* name, std::string_view* value) {
  if (in_.empty()) return false;
  if (!GetLengthPrefixed(&in_, name) || !GetLengthPrefixed(&in_, value)) {
    in_ = {};
    return false;
  }
  return true;
}

}  // namespace strix::storage
