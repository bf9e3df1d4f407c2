// WriteBatch arena encoding.
#include "storage/write_batch.h"

#include <algorithm>

#include "core/check.h"
#include "core/coding.h"

namespace strix::storage {

void WriteBatch::StartSeries(ValueKind kind, std::span<const LabelPair> labels, uint32_t tag) {
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
}

void WriteBatch::AddNumeric(Timestamp ts, NumericValue v) {
  STRIX_DCHECK(!series_.empty());
  samples_.push_back(Sample{ts, v});
  ++series_.back().sample_count;
}

void WriteBatch::AddState(Timestamp ts, std::string_view state) {
  STRIX_DCHECK(!series_.empty());
  uint64_t off = strings_.size();
  PutLengthPrefixed(&strings_, state);
  samples_.push_back(Sample{ts, NumericValue{.u = off}});
  ++series_.back().sample_count;
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
  labels_.clear();
  strings_.clear();
}

size_t WriteBatch::ByteSize() const {
  return series_.size() * sizeof(Series) + samples_.size() * sizeof(Sample) + labels_.size() +
         strings_.size();
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
