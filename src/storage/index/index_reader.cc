// IndexReader (see index_reader.h and docs/format/index.md). Every read of the span is
// bounds-checked; every count read from the file is checked against the bytes that would
// have to hold it before anything is allocated for it.
#include "storage/index/index_reader.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "core/coding.h"
#include "core/crc32c.h"
#include "storage/index/internal/format.h"
#include "storage/index/internal/set_ops.h"
#include "storage/index/internal/varint.h"

namespace strix::storage::index {

using internal::kNumSections;

namespace {
constexpr int kHeaderSection = -1;
constexpr int kTocSection = -2;
}  // namespace

struct IndexReader::Term {
  uint32_t name_ref = 0;
  bool positive = true;
  std::vector<uint64_t> begins, ends;  // postings list extents
  std::vector<uint32_t> value_refs;    // sorted
  uint64_t est = 0;                    // sum of list lengths
};

IndexReader::~IndexReader() = default;

Status IndexReader::Corrupt(std::string_view what, int section, uint64_t offset) const {
  std::string where;
  if (section == kHeaderSection) {
    where = "section=header offset=" + std::to_string(offset);
  } else if (section == kTocSection) {
    where = "section=toc offset=" + std::to_string(offset);
  } else {
    where = "section=" + std::string(internal::kSectionNames[section]) +
            " offset=" + std::to_string(section_starts_[section] + offset);
  }
  return Status::Corruption("index: " + std::string(what), where);
}

Result<std::unique_ptr<IndexReader>> IndexReader::Open(std::string_view data,
                                                       const IndexReaderOptions& options) {
  std::unique_ptr<IndexReader> r(new IndexReader());
  r->data_ = data;
  STRIX_RETURN_IF_ERROR(r->Init(options));
  return r;
}

Result<std::unique_ptr<IndexReader>> IndexReader::Open(std::unique_ptr<ReadOnlyRegion> region,
                                                       const IndexReaderOptions& options) {
  std::unique_ptr<IndexReader> r(new IndexReader());
  r->data_ = region->data();
  r->region_ = std::move(region);
  STRIX_RETURN_IF_ERROR(r->Init(options));
  return r;
}

Status IndexReader::Init(const IndexReaderOptions& options) {
  const size_t size = data_.size();
  if (size < internal::kHeaderBytes + internal::kTocBytes)
    return Corrupt("file too short for header and TOC", kHeaderSection, size);
  if (DecodeFixed32(data_.data()) != internal::kIndexMagic)
    return Corrupt("bad magic", kHeaderSection, 0);
  if (static_cast<uint8_t>(data_[4]) != internal::kIndexVersion)
    return Corrupt("unsupported version " + std::to_string(static_cast<uint8_t>(data_[4])),
                   kHeaderSection, 4);
  if (data_[5] != 0 || data_[6] != 0 || data_[7] != 0)
    return Corrupt("reserved header bytes are not zero", kHeaderSection, 5);

  const uint64_t toc_at = size - internal::kTocBytes;
  const char* toc = data_.data() + toc_at;
  if (DecodeFixed32(toc + internal::kTocBytes - 4) != internal::kIndexMagic)
    return Corrupt("no TOC magic at the end (truncated file?)", kTocSection, toc_at);
  const size_t toc_body = (kNumSections + 1) * 8;
  if (crc32c::Mask(crc32c::Value(toc, toc_body)) != DecodeFixed32(toc + toc_body))
    return Corrupt("TOC checksum mismatch", kTocSection, toc_at);
  uint64_t offs[kNumSections + 1];
  for (int i = 0; i <= kNumSections; ++i) offs[i] = DecodeFixed64(toc + 8 * i);
  if (offs[0] != internal::kHeaderBytes)
    return Corrupt("first section does not follow the header", kTocSection, toc_at);
  if (offs[kNumSections] != toc_at)
    return Corrupt("last section does not end at the TOC", kTocSection, toc_at);
  for (int i = 0; i < kNumSections; ++i) {
    if (offs[i + 1] < offs[i] || offs[i + 1] - offs[i] < internal::kCrcBytes)
      return Corrupt("section bounds out of order", kTocSection, toc_at + 8 * i);
  }
  for (int i = 0; i < kNumSections; ++i) {
    section_starts_[i] = offs[i];
    uint64_t len = offs[i + 1] - offs[i] - internal::kCrcBytes;
    sections_[i] = data_.substr(offs[i], len);
    if (options.verify_checksums &&
        crc32c::Mask(crc32c::Value(sections_[i])) != DecodeFixed32(data_.data() + offs[i] + len))
      return Corrupt("checksum mismatch", i, len);
  }

  // Symbols.
  {
    std::string_view in = sections_[internal::kSymbols];
    const size_t total = in.size();
    uint32_t count;
    if (!GetFixed32(&in, &count)) return Corrupt("truncated symbol count", internal::kSymbols, 0);
    if (count > in.size())
      return Corrupt("symbol count exceeds section size", internal::kSymbols, 0);
    symbols_.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
      uint64_t at = total - in.size();
      std::string_view s;
      if (!GetLengthPrefixed(&in, &s)) return Corrupt("truncated symbol", internal::kSymbols, at);
      if (!symbols_.empty() && !(symbols_.back() < s))
        return Corrupt("symbols not strictly sorted", internal::kSymbols, at);
      symbols_.push_back(s);
    }
    if (!in.empty())
      return Corrupt("trailing bytes after symbols", internal::kSymbols, total - in.size());
  }

  // Series index.
  {
    std::string_view in = sections_[internal::kSeriesIndex];
    const size_t series_size = sections_[internal::kSeries].size();
    if (!GetFixed32(&in, &num_series_) || !GetFixed32(&in, &group_))
      return Corrupt("truncated series index header", internal::kSeriesIndex, 0);
    if (group_ == 0 || group_ > internal::kMaxSeriesGroup)
      return Corrupt("bad series group size", internal::kSeriesIndex, 4);
    if (num_series_ > series_size)
      return Corrupt("series count exceeds series section size", internal::kSeriesIndex, 0);
    uint64_t groups = num_series_ / group_ + (num_series_ % group_ != 0 ? 1 : 0);
    if (in.size() != groups * 8)
      return Corrupt("series index size does not match the series count", internal::kSeriesIndex,
                     8);
    num_groups_ = static_cast<uint32_t>(groups);
    uint64_t prev = 0;
    for (uint64_t g = 0; g < groups; ++g) {
      uint64_t off = DecodeFixed64(in.data() + 8 * g);
      if ((g == 0 && off != 0) || (g > 0 && off <= prev) || off >= series_size)
        return Corrupt("bad series offset", internal::kSeriesIndex, 8 + 8 * g);
      prev = off;
    }
    if (num_series_ == 0 && series_size != 0)
      return Corrupt("series bytes without series", internal::kSeries, 0);
  }

  // Label table.
  {
    std::string_view in = sections_[internal::kLabelTable];
    const size_t total = in.size();
    uint64_t num_names;
    if (!GetVarint64(&in, &num_names))
      return Corrupt("truncated name count", internal::kLabelTable, 0);
    if (num_names > in.size() / 2)
      return Corrupt("name count exceeds section size", internal::kLabelTable, 0);
    names_.reserve(num_names);
    uint64_t records = 0;
    for (uint64_t i = 0; i < num_names; ++i) {
      uint64_t at = total - in.size();
      uint32_t name_ref, num_values;
      if (!GetVarint32(&in, &name_ref) || !GetVarint32(&in, &num_values))
        return Corrupt("truncated name entry", internal::kLabelTable, at);
      if (name_ref >= symbols_.size())
        return Corrupt("name symbol out of range", internal::kLabelTable, at);
      if (!names_.empty() && name_ref <= names_.back().name_ref)
        return Corrupt("names not strictly sorted", internal::kLabelTable, at);
      if (num_values == 0 || num_values > total)
        return Corrupt("bad value count", internal::kLabelTable, at);
      names_.push_back({name_ref, num_values, records});
      records += num_values;
    }
    records_start_ = total - in.size();
    if (in.size() / internal::kValueRecordBytes != records ||
        in.size() % internal::kValueRecordBytes != 0)
      return Corrupt("value records do not fill the label table", internal::kLabelTable,
                     records_start_);
    num_records_ = records;
    const uint64_t postings_size = sections_[internal::kPostings].size();
    uint64_t prev_off = 0;
    for (const NameInfo& n : names_) {
      uint32_t prev_ref = 0;
      for (uint32_t i = 0; i < n.num_values; ++i) {
        uint32_t ref;
        uint64_t off;
        Record(n, i, &ref, &off);
        uint64_t at = records_start_ + (n.records + i) * internal::kValueRecordBytes;
        if (ref >= symbols_.size() || (i > 0 && ref <= prev_ref))
          return Corrupt("bad value symbol", internal::kLabelTable, at);
        bool first = &n == &names_.front() && i == 0;
        if ((first && off != 0) || (!first && off <= prev_off) || off >= postings_size)
          return Corrupt("bad postings offset", internal::kLabelTable, at + 4);
        prev_ref = ref;
        prev_off = off;
      }
    }
    if (records == 0 && postings_size != 0)
      return Corrupt("postings bytes without label pairs", internal::kPostings, 0);
  }
  return Status::Ok();
}

Result<std::string_view> IndexReader::Symbol(uint32_t ref) const {
  if (ref >= symbols_.size()) return Status::OutOfRange("symbol ref out of range");
  return symbols_[ref];
}

uint32_t IndexReader::FindSymbol(std::string_view s) const {
  auto it = std::lower_bound(symbols_.begin(), symbols_.end(), s);
  if (it == symbols_.end() || *it != s) return SymbolTable::kNotFound;
  return static_cast<uint32_t>(it - symbols_.begin());
}

const IndexReader::NameInfo* IndexReader::FindName(std::string_view name) const {
  auto it = std::lower_bound(
      names_.begin(), names_.end(), name,
      [this](const NameInfo& n, std::string_view s) { return symbols_[n.name_ref] < s; });
  if (it == names_.end() || symbols_[it->name_ref] != name) return nullptr;
  return &*it;
}

void IndexReader::Record(const NameInfo& n, uint32_t i, uint32_t* value_ref,
                         uint64_t* offset) const {
  const char* p = sections_[internal::kLabelTable].data() + records_start_ +
                  (n.records + i) * internal::kValueRecordBytes;
  *value_ref = DecodeFixed32(p);
  *offset = DecodeFixed64(p + 4);
}

void IndexReader::ListExtent(const NameInfo& n, uint32_t i, uint64_t* begin, uint64_t* end) const {
  uint32_t ref;
  Record(n, i, &ref, begin);
  uint64_t r = n.records + i + 1;
  if (r < num_records_) {
    const char* p =
        sections_[internal::kLabelTable].data() + records_start_ + r * internal::kValueRecordBytes;
    *end = DecodeFixed64(p + 4);
  } else {
    *end = sections_[internal::kPostings].size();
  }
}

Status IndexReader::ListCount(uint64_t begin, uint64_t end, uint64_t* count) const {
  std::string_view in = sections_[internal::kPostings].substr(begin, end - begin);
  if (!GetVarint64(&in, count) || *count == 0 || *count > in.size())
    return Corrupt("bad postings count", internal::kPostings, begin);
  return Status::Ok();
}

Status IndexReader::DecodeList(uint64_t begin, uint64_t end, std::vector<uint32_t>* out) const {
  const std::string_view postings = sections_[internal::kPostings];
  const char* p = postings.data() + begin;
  const char* limit = postings.data() + end;
  uint32_t count;
  if (!internal::ReadVarint32(&p, limit, &count) || count == 0 ||
      count > static_cast<size_t>(limit - p))
    return Corrupt("bad postings count", internal::kPostings, begin);
  size_t at = out->size();
  out->resize(at + count);
  uint32_t* dst = out->data() + at;
  uint64_t pos = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t v;
    if (!internal::ReadVarint32(&p, limit, &v)) {
      out->resize(at);
      return Corrupt("truncated postings list", internal::kPostings,
                     static_cast<uint64_t>(p - postings.data()));
    }
    if (i > 0 && v == 0) {
      out->resize(at);
      return Corrupt("postings not strictly increasing", internal::kPostings,
                     static_cast<uint64_t>(p - postings.data()));
    }
    pos += v;
    if (pos >= num_series_) {
      out->resize(at);
      return Corrupt("postings entry past the last series", internal::kPostings,
                     static_cast<uint64_t>(p - postings.data()));
    }
    dst[i] = static_cast<uint32_t>(pos);
  }
  if (p != limit) {
    out->resize(at);
    return Corrupt("trailing bytes in postings list", internal::kPostings,
                   static_cast<uint64_t>(p - postings.data()));
  }
  return Status::Ok();
}

Status IndexReader::SeriesEntryBytes(uint32_t pos, std::string_view* entry,
                                     uint64_t* offset) const {
  uint32_t g = pos / group_;
  uint64_t off = DecodeFixed64(sections_[internal::kSeriesIndex].data() + 8 + 8 * uint64_t{g});
  const std::string_view series = sections_[internal::kSeries];
  std::string_view in = series.substr(off);  // off < size, checked at Open
  for (uint32_t k = 0; k <= pos % group_; ++k) {
    uint64_t at = series.size() - in.size();
    uint64_t len;
    if (!GetVarint64(&in, &len) || len > in.size())
      return Corrupt("bad series entry length", internal::kSeries, at);
    if (k == pos % group_) {
      *entry = in.substr(0, len);
      *offset = series.size() - in.size();
      return Status::Ok();
    }
    in.remove_prefix(len);
  }
  return Status::Ok();  // unreachable
}

Status IndexReader::ParseEntry(std::string_view entry, uint64_t offset, std::vector<uint32_t>* refs,
                               std::string_view* payload) const {
  std::string_view in = entry;
  uint64_t n;
  if (!GetVarint64(&in, &n) || n == 0 || n > in.size() / 2)
    return Corrupt("bad series label count", internal::kSeries, offset);
  refs->clear();
  refs->reserve(2 * n);
  for (uint64_t i = 0; i < n; ++i) {
    uint32_t name, value;
    uint64_t at = offset + entry.size() - in.size();
    if (!GetVarint32(&in, &name) || !GetVarint32(&in, &value))
      return Corrupt("truncated series labels", internal::kSeries, at);
    if (name >= symbols_.size() || value >= symbols_.size())
      return Corrupt("series label symbol out of range", internal::kSeries, at);
    if (i > 0 && name <= (*refs)[refs->size() - 2])
      return Corrupt("series label names not sorted", internal::kSeries, at);
    refs->push_back(name);
    refs->push_back(value);
  }
  *payload = in;
  return Status::Ok();
}

Result<IndexSeriesEntry> IndexReader::Series(uint32_t pos) const {
  if (pos >= num_series_) return Status::OutOfRange("series position out of range");
  std::string_view entry;
  uint64_t offset;
  STRIX_RETURN_IF_ERROR(SeriesEntryBytes(pos, &entry, &offset));
  std::vector<uint32_t> refs;
  IndexSeriesEntry out;
  STRIX_RETURN_IF_ERROR(ParseEntry(entry, offset, &refs, &out.payload));
  std::vector<Label> pairs;
  pairs.reserve(refs.size() / 2);
  for (size_t i = 0; i < refs.size(); i += 2)
    pairs.push_back({symbols_[refs[i]], symbols_[refs[i + 1]]});
  out.labels = Labels::FromLabels(pairs);
  return out;
}

Result<std::vector<uint32_t>> IndexReader::Postings(std::string_view name,
                                                    std::string_view value) const {
  std::vector<uint32_t> out;
  const NameInfo* n = FindName(name);
  uint32_t vref = FindSymbol(value);
  if (n == nullptr || vref == SymbolTable::kNotFound) return out;
  uint32_t lo = 0, hi = n->num_values;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    uint32_t ref;
    uint64_t off;
    Record(*n, mid, &ref, &off);
    if (ref < vref) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  uint32_t ref;
  uint64_t off;
  if (lo == n->num_values) return out;
  Record(*n, lo, &ref, &off);
  if (ref != vref) return out;
  uint64_t begin, end;
  ListExtent(*n, lo, &begin, &end);
  STRIX_RETURN_IF_ERROR(DecodeList(begin, end, &out));
  return out;
}

Status IndexReader::MakeTerm(const Matcher& m, Term* t, bool* none, bool* skip) const {
  *none = *skip = false;
  t->positive = !m.MatchesEmpty();
  const NameInfo* n = FindName(m.name());
  if (n == nullptr) {
    (t->positive ? *none : *skip) = true;
    return Status::Ok();
  }
  t->name_ref = n->name_ref;
  auto take = [&](uint32_t i, uint32_t ref) -> Status {
    uint64_t begin, end, count;
    ListExtent(*n, i, &begin, &end);
    STRIX_RETURN_IF_ERROR(ListCount(begin, end, &count));
    t->begins.push_back(begin);
    t->ends.push_back(end);
    t->value_refs.push_back(ref);
    t->est += count;
    return Status::Ok();
  };
  auto ref_at = [&](uint32_t i) {
    uint32_t ref;
    uint64_t off;
    Record(*n, i, &ref, &off);
    return ref;
  };
  // Index of the first record whose value is >= s.
  auto lower = [&](std::string_view s) {
    uint32_t lo = 0, hi = n->num_values;
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      if (symbols_[ref_at(mid)] < s) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  };
  bool take_accepted = t->positive != m.negated();
  if (take_accepted && m.literal_set() != nullptr) {
    for (const std::string& v : *m.literal_set()) {
      uint32_t i = lower(v);
      if (i < n->num_values && symbols_[ref_at(i)] == v) STRIX_RETURN_IF_ERROR(take(i, ref_at(i)));
    }
  } else if (take_accepted && !m.literal_prefix().empty()) {
    std::string_view prefix = m.literal_prefix();
    for (uint32_t i = lower(prefix); i < n->num_values; ++i) {
      std::string_view v = symbols_[ref_at(i)];
      if (!v.starts_with(prefix)) break;
      if (m.Matches(v) == t->positive) STRIX_RETURN_IF_ERROR(take(i, ref_at(i)));
    }
  } else {
    for (uint32_t i = 0; i < n->num_values; ++i) {
      uint32_t ref = ref_at(i);
      if (m.Matches(symbols_[ref]) == t->positive) STRIX_RETURN_IF_ERROR(take(i, ref));
    }
  }
  // value_refs are already sorted: records are in ref order, literal sets in string order.
  if (t->begins.empty()) (t->positive ? *none : *skip) = true;
  return Status::Ok();
}

Status IndexReader::Materialize(const Term& t, std::vector<uint32_t>* out) const {
  out->clear();
  out->reserve(t.est);
  std::vector<size_t> starts;
  starts.reserve(t.begins.size());
  for (size_t i = 0; i < t.begins.size(); ++i) {
    starts.push_back(out->size());
    STRIX_RETURN_IF_ERROR(DecodeList(t.begins[i], t.ends[i], out));
  }
  // The lists of one label name are disjoint (a series has one value per name).
  if (t.begins.size() > 1) internal::SortSegments(out, starts);
  return Status::Ok();
}

Status IndexReader::Filter(std::vector<uint32_t>* cands, const Term& t) const {
  FilterStrategy s = strategy_;
  if (s == FilterStrategy::kAuto) {
    // Decoding a postings entry costs about a nanosecond; finding and parsing a series
    // entry (skipping up to 15 neighbours) a few dozen.
    s = cands->size() * 32 < t.est ? FilterStrategy::kLabels : FilterStrategy::kMerge;
  }
  if (s == FilterStrategy::kLabels) {
    size_t out = 0;
    for (uint32_t pos : *cands) {
      std::string_view entry;
      uint64_t offset;
      STRIX_RETURN_IF_ERROR(SeriesEntryBytes(pos, &entry, &offset));
      const char* p = entry.data();
      const char* end = p + entry.size();
      uint32_t n;
      if (!internal::ReadVarint32(&p, end, &n) || n == 0 || n > static_cast<size_t>(end - p) / 2)
        return Corrupt("bad series label count", internal::kSeries, offset);
      bool in_set = false;
      for (uint32_t i = 0; i < n; ++i) {
        uint32_t name, value;
        if (!internal::ReadVarint32(&p, end, &name) || !internal::ReadVarint32(&p, end, &value))
          return Corrupt("truncated series labels", internal::kSeries,
                         offset + static_cast<uint64_t>(p - entry.data()));
        if (name == t.name_ref) {
          in_set = std::binary_search(t.value_refs.begin(), t.value_refs.end(), value);
          break;
        }
      }
      if (in_set == t.positive) (*cands)[out++] = pos;
    }
    cands->resize(out);
    return Status::Ok();
  }
  std::vector<uint32_t> other;
  STRIX_RETURN_IF_ERROR(Materialize(t, &other));
  internal::FilterSorted(cands, other, /*keep_common=*/t.positive);
  return Status::Ok();
}

Status IndexReader::SelectImpl(std::span<const Matcher> matchers,
                               std::vector<uint32_t>* out) const {
  out->clear();
  std::vector<Term> pos, neg;
  for (const Matcher& m : matchers) {
    Term t;
    bool none, skip;
    STRIX_RETURN_IF_ERROR(MakeTerm(m, &t, &none, &skip));
    if (none) return Status::Ok();
    if (skip) continue;
    (t.positive ? pos : neg).push_back(std::move(t));
  }
  std::sort(pos.begin(), pos.end(), [](const Term& a, const Term& b) { return a.est < b.est; });
  if (pos.empty()) {
    out->resize(num_series_);  // bounded by the series section size (checked at Open)
    std::iota(out->begin(), out->end(), 0u);
  } else {
    STRIX_RETURN_IF_ERROR(Materialize(pos[0], out));
  }
  for (size_t i = 1; i < pos.size() && !out->empty(); ++i)
    STRIX_RETURN_IF_ERROR(Filter(out, pos[i]));
  for (size_t i = 0; i < neg.size() && !out->empty(); ++i)
    STRIX_RETURN_IF_ERROR(Filter(out, neg[i]));
  return Status::Ok();
}

Result<std::vector<uint32_t>> IndexReader::Select(std::span<const Matcher> matchers) const {
  std::vector<uint32_t> out;
  STRIX_RETURN_IF_ERROR(SelectImpl(matchers, &out));
  return out;
}

Result<std::vector<std::string_view>> IndexReader::LabelNames(
    std::span<const Matcher> matchers) const {
  std::vector<std::string_view> out;
  if (matchers.empty()) {
    for (const NameInfo& n : names_) out.push_back(symbols_[n.name_ref]);
    return out;
  }
  std::vector<uint32_t> positions;
  STRIX_RETURN_IF_ERROR(SelectImpl(matchers, &positions));
  std::vector<uint32_t> refs, names;
  for (uint32_t pos : positions) {
    std::string_view entry, payload;
    uint64_t offset;
    STRIX_RETURN_IF_ERROR(SeriesEntryBytes(pos, &entry, &offset));
    STRIX_RETURN_IF_ERROR(ParseEntry(entry, offset, &refs, &payload));
    for (size_t i = 0; i < refs.size(); i += 2) names.push_back(refs[i]);
    if (names.size() > 4096) internal::SortUnique(&names);
  }
  internal::SortUnique(&names);  // ref order is string order
  for (uint32_t r : names) out.push_back(symbols_[r]);
  return out;
}

Result<std::vector<std::string_view>> IndexReader::LabelValues(
    std::string_view name, std::span<const Matcher> matchers) const {
  std::vector<std::string_view> out;
  const NameInfo* n = FindName(name);
  if (n == nullptr) return out;
  if (matchers.empty()) {
    for (uint32_t i = 0; i < n->num_values; ++i) {
      uint32_t ref;
      uint64_t off;
      Record(*n, i, &ref, &off);
      out.push_back(symbols_[ref]);
    }
    return out;
  }
  std::vector<uint32_t> positions;
  STRIX_RETURN_IF_ERROR(SelectImpl(matchers, &positions));
  std::vector<uint32_t> refs, values;
  for (uint32_t pos : positions) {
    std::string_view entry, payload;
    uint64_t offset;
    STRIX_RETURN_IF_ERROR(SeriesEntryBytes(pos, &entry, &offset));
    STRIX_RETURN_IF_ERROR(ParseEntry(entry, offset, &refs, &payload));
    for (size_t i = 0; i < refs.size(); i += 2)
      if (refs[i] == n->name_ref) values.push_back(refs[i + 1]);
    if (values.size() > 4096) internal::SortUnique(&values);
  }
  internal::SortUnique(&values);
  for (uint32_t r : values) out.push_back(symbols_[r]);
  return out;
}

Status IndexReader::Verify() const {
  for (int i = 0; i < kNumSections; ++i) {
    uint64_t len = sections_[i].size();
    if (crc32c::Mask(crc32c::Value(sections_[i])) !=
        DecodeFixed32(data_.data() + section_starts_[i] + len))
      return Corrupt("checksum mismatch", i, len);
  }
  // Series, in order, against the series index; collect the label pairs.
  std::unordered_map<uint64_t, std::vector<uint32_t>> pairs;
  const std::string_view series = sections_[internal::kSeries];
  std::string_view in = series;
  std::vector<uint32_t> refs, prev_refs;
  std::string_view payload;
  for (uint32_t pos = 0; pos < num_series_; ++pos) {
    uint64_t at = series.size() - in.size();
    if (pos % group_ == 0 && DecodeFixed64(sections_[internal::kSeriesIndex].data() + 8 +
                                           8 * uint64_t{pos / group_}) != at)
      return Corrupt("series index disagrees with series entries", internal::kSeriesIndex,
                     8 + 8 * uint64_t{pos / group_});
    uint64_t len;
    if (!GetVarint64(&in, &len) || len > in.size())
      return Corrupt("bad series entry length", internal::kSeries, at);
    uint64_t body_at = series.size() - in.size();
    STRIX_RETURN_IF_ERROR(ParseEntry(in.substr(0, len), body_at, &refs, &payload));
    in.remove_prefix(len);
    for (size_t i = 0; i < refs.size(); i += 2) {
      if (symbols_[refs[i]].empty() || symbols_[refs[i + 1]].empty())
        return Corrupt("empty label name or value", internal::kSeries, body_at);
      pairs[(uint64_t{refs[i]} << 32) | refs[i + 1]].push_back(pos);
    }
    if (pos > 0) {
      // Compare label sets by (name, value) strings, pair by pair.
      int c = 0;
      size_t i = 0;
      for (; i < refs.size() && i < prev_refs.size() && c == 0; i += 2) {
        c = symbols_[prev_refs[i]].compare(symbols_[refs[i]]);
        if (c == 0) c = symbols_[prev_refs[i + 1]].compare(symbols_[refs[i + 1]]);
      }
      if (c == 0) c = prev_refs.size() < refs.size() ? -1 : (prev_refs.size() > refs.size());
      if (c >= 0) return Corrupt("series not in strictly increasing order", internal::kSeries, at);
    }
    prev_refs.swap(refs);
  }
  if (!in.empty())
    return Corrupt("trailing bytes after the last series", internal::kSeries,
                   series.size() - in.size());
  // Postings: exactly the pairs of the series.
  std::vector<uint32_t> list;
  uint64_t seen = 0;
  for (const NameInfo& n : names_) {
    for (uint32_t i = 0; i < n.num_values; ++i) {
      uint32_t ref;
      uint64_t begin, end;
      Record(n, i, &ref, &begin);
      ListExtent(n, i, &begin, &end);
      list.clear();
      STRIX_RETURN_IF_ERROR(DecodeList(begin, end, &list));
      auto it = pairs.find((uint64_t{n.name_ref} << 32) | ref);
      if (it == pairs.end() || it->second != list)
        return Corrupt("postings list disagrees with the series", internal::kPostings, begin);
      ++seen;
    }
  }
  if (seen != pairs.size())
    return Corrupt("label pairs of the series missing from the label table", internal::kLabelTable,
                   0);
  return Status::Ok();
}

}  // namespace strix::storage::index
