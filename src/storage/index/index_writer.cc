// IndexWriter (see index_writer.h and docs/format/index.md).
#include "storage/index/index_writer.h"

#include <algorithm>

#include "core/coding.h"
#include "core/crc32c.h"
#include "storage/index/internal/format.h"

namespace strix::storage::index {

using internal::kNumSections;

namespace {
constexpr size_t kFlushBytes = 1 << 20;
}  // namespace

Status StringFile::Append(std::string_view data) {
  if (closed_) return Status::FailedPrecondition("append to a closed StringFile");
  data_.append(data);
  return Status::Ok();
}

Status StringFile::Close() {
  closed_ = true;
  return Status::Ok();
}

IndexWriter::~IndexWriter() = default;

Status IndexWriter::Flush() {
  if (buf_.empty()) return Status::Ok();
  Status s = out_->Append(buf_);
  buf_.clear();
  if (!s.ok()) error_ = s;
  return s;
}

Status IndexWriter::Write(std::string_view bytes, bool crc) {
  if (!error_.ok()) return error_;
  if (crc) crc_ = crc32c::Extend(crc_, bytes.data(), bytes.size());
  buf_.append(bytes);
  offset_ += bytes.size();
  if (buf_.size() >= kFlushBytes) return Flush();
  return Status::Ok();
}

Status IndexWriter::StartSection(int section) {
  section_offsets_[section] = offset_;
  crc_ = 0;
  return error_;
}

Status IndexWriter::EndSection() {
  std::string c;
  PutFixed32(&c, crc32c::Mask(crc_));
  return Write(c, /*crc=*/false);
}

Result<std::unique_ptr<IndexWriter>> IndexWriter::Create(
    WritableFile* out, std::span<const std::string_view> symbols) {
  for (size_t i = 1; i < symbols.size(); ++i) {
    if (!(symbols[i - 1] < symbols[i]))
      return Status::InvalidArgument("index symbols must be sorted and unique",
                                     "at symbol " + std::to_string(i));
  }
  if (symbols.size() >= SymbolTable::kMaxSymbols)
    return Status::InvalidArgument("too many index symbols");
  std::unique_ptr<IndexWriter> w(new IndexWriter(out));
  std::string header;
  PutFixed32(&header, internal::kIndexMagic);
  header.push_back(static_cast<char>(internal::kIndexVersion));
  header.append(3, '\0');
  STRIX_RETURN_IF_ERROR(w->Write(header, /*crc=*/false));

  STRIX_RETURN_IF_ERROR(w->StartSection(internal::kSymbols));
  std::string b;
  PutFixed32(&b, static_cast<uint32_t>(symbols.size()));
  for (std::string_view s : symbols) {
    w->symbols_.Intern(s);
    PutLengthPrefixed(&b, s);
    if (b.size() >= kFlushBytes) {
      STRIX_RETURN_IF_ERROR(w->Write(b));
      b.clear();
    }
  }
  STRIX_RETURN_IF_ERROR(w->Write(b));
  STRIX_RETURN_IF_ERROR(w->EndSection());
  STRIX_RETURN_IF_ERROR(w->StartSection(internal::kSeries));
  w->series_start_ = w->offset_;
  return w;
}

Status IndexWriter::AddSeries(const Labels& labels, std::string_view payload) {
  if (finished_) return Status::FailedPrecondition("index writer already finished");
  if (!error_.ok()) return error_;
  if (labels.empty()) return Status::InvalidArgument("index series without labels");
  if (num_series_ > 0 && !(last_ < labels))
    return Status::InvalidArgument("index series out of order",
                                   last_.ToString() + " then " + labels.ToString());
  if (num_series_ == 0xffffffffu) return Status::InvalidArgument("too many series in one index");
  std::string body;
  std::vector<uint32_t> refs;
  size_t n = 0;
  for (const Label& l : labels) {
    uint32_t name = symbols_.Find(l.name);
    uint32_t value = symbols_.Find(l.value);
    if (name == SymbolTable::kNotFound || value == SymbolTable::kNotFound)
      return Status::InvalidArgument("label string missing from the index symbols",
                                     labels.ToString());
    refs.push_back(name);
    refs.push_back(value);
    ++n;
  }
  PutVarint64(&body, n);
  for (uint32_t r : refs) PutVarint32(&body, r);
  body.append(payload);
  std::string entry;
  PutVarint64(&entry, body.size());
  if (num_series_ % internal::kSeriesGroup == 0) group_offsets_.push_back(offset_ - series_start_);
  STRIX_RETURN_IF_ERROR(Write(entry));
  STRIX_RETURN_IF_ERROR(Write(body));
  for (size_t i = 0; i < refs.size(); i += 2)
    postings_[(static_cast<uint64_t>(refs[i]) << 32) | refs[i + 1]].push_back(num_series_);
  ++num_series_;
  last_ = labels;
  return Status::Ok();
}

Status IndexWriter::Finish() {
  if (finished_) return Status::FailedPrecondition("index writer already finished");
  finished_ = true;
  STRIX_RETURN_IF_ERROR(error_);
  STRIX_RETURN_IF_ERROR(EndSection());  // series

  STRIX_RETURN_IF_ERROR(StartSection(internal::kSeriesIndex));
  std::string b;
  PutFixed32(&b, num_series_);
  PutFixed32(&b, internal::kSeriesGroup);
  for (uint64_t off : group_offsets_) PutFixed64(&b, off);
  STRIX_RETURN_IF_ERROR(Write(b));
  STRIX_RETURN_IF_ERROR(EndSection());

  // Postings in (name, value) order, which is symbol ref order.
  std::vector<uint64_t> keys;
  keys.reserve(postings_.size());
  for (const auto& [key, list] : postings_) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  STRIX_RETURN_IF_ERROR(StartSection(internal::kPostings));
  uint64_t postings_start = offset_;
  std::vector<uint64_t> list_offsets;
  list_offsets.reserve(keys.size());
  b.clear();
  for (uint64_t key : keys) {
    const std::vector<uint32_t>& list = postings_[key];
    list_offsets.push_back(offset_ + b.size() - postings_start);
    PutVarint64(&b, list.size());
    uint32_t prev = 0;
    for (size_t i = 0; i < list.size(); ++i) {
      PutVarint32(&b, i == 0 ? list[i] : list[i] - prev);
      prev = list[i];
    }
    if (b.size() >= kFlushBytes) {
      STRIX_RETURN_IF_ERROR(Write(b));
      b.clear();
    }
  }
  STRIX_RETURN_IF_ERROR(Write(b));
  STRIX_RETURN_IF_ERROR(EndSection());
  postings_.clear();

  // Label table: the name directory, then each name's value records.
  STRIX_RETURN_IF_ERROR(StartSection(internal::kLabelTable));
  b.clear();
  std::vector<std::pair<uint32_t, uint32_t>> names;  // name ref, value count
  for (uint64_t key : keys) {
    uint32_t name = static_cast<uint32_t>(key >> 32);
    if (names.empty() || names.back().first != name) names.emplace_back(name, 0);
    ++names.back().second;
  }
  PutVarint64(&b, names.size());
  for (const auto& [name, count] : names) {
    PutVarint32(&b, name);
    PutVarint32(&b, count);
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    PutFixed32(&b, static_cast<uint32_t>(keys[i]));
    PutFixed64(&b, list_offsets[i]);
  }
  STRIX_RETURN_IF_ERROR(Write(b));
  STRIX_RETURN_IF_ERROR(EndSection());

  section_offsets_[kNumSections] = offset_;
  std::string toc;
  for (int i = 0; i <= kNumSections; ++i) PutFixed64(&toc, section_offsets_[i]);
  PutFixed32(&toc, crc32c::Mask(crc32c::Value(toc)));
  PutFixed32(&toc, internal::kIndexMagic);
  STRIX_RETURN_IF_ERROR(Write(toc, /*crc=*/false));
  return Flush();
}

Result<std::string> BuildIndex(std::span<const IndexSeries> series) {
  std::vector<const IndexSeries*> sorted;
  sorted.reserve(series.size());
  std::vector<std::string_view> symbols;
  for (const IndexSeries& s : series) {
    sorted.push_back(&s);
    for (const Label& l : s.labels) {
      symbols.push_back(l.name);
      symbols.push_back(l.value);
    }
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const IndexSeries* a, const IndexSeries* b) { return a->labels < b->labels; });
  std::sort(symbols.begin(), symbols.end());
  symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
  StringFile file;
  STRIX_ASSIGN_OR_RETURN(std::unique_ptr<IndexWriter> w, IndexWriter::Create(&file, symbols));
  for (const IndexSeries* s : sorted) STRIX_RETURN_IF_ERROR(w->AddSeries(s->labels, s->payload));
  STRIX_RETURN_IF_ERROR(w->Finish());
  return file.Release();
}

}  // namespace strix::storage::index
