// MemPostings: the head's label index (see mem_postings.h).
#include "storage/index/mem_postings.h"

#include <algorithm>

#include "storage/index/internal/series_table.h"
#include "storage/index/internal/set_ops.h"

namespace strix::storage::index {

namespace {
// The sorted union of disjoint lists.
void AppendUnion(const std::vector<const PostingsList*>& lists, std::vector<SeriesRef>* out) {
  if (lists.size() == 1) {
    lists[0]->AppendTo(out);
    return;
  }
  size_t total = out->size();
  for (const PostingsList* l : lists) total += l->size();
  out->reserve(total);
  std::vector<size_t> starts;
  starts.reserve(lists.size());
  for (const PostingsList* l : lists) {
    starts.push_back(out->size());
    l->AppendTo(out);
  }
  internal::SortSegments(out, starts);
}
}  // namespace

// One matcher, resolved against the index.
struct MemPostings::Term {
  uint32_t name_sym = 0;
  bool positive = true;  // keep candidates in `lists`; negative: drop them
  std::vector<const PostingsList*> lists;
  std::vector<uint32_t> value_syms;  // sorted; the values whose lists are in `lists`
  size_t est = 0;                    // sum of list sizes
};

MemPostings::MemPostings() : series_(std::make_unique<internal::SeriesTable>()) {}
MemPostings::~MemPostings() = default;

Status MemPostings::Add(SeriesRef ref, const Labels& labels) {
  size_t n = labels.size();
  if (n == 0) return Status::InvalidArgument("series has no labels");
  if (n > kMaxLabelsPerSeries) return Status::InvalidArgument("too many labels", labels.ToString());
  WriterLock l(&mu_);
  if (series_->Contains(ref))
    return Status::AlreadyExists("series ref already indexed", std::to_string(ref));
  std::vector<uint32_t> ids;
  ids.reserve(2 * n);
  for (const Label& lab : labels) {
    ids.push_back(symbols_.Intern(lab.name));
    ids.push_back(symbols_.Intern(lab.value));
  }
  series_->Insert(ref, ids);
  for (size_t i = 0; i < ids.size(); i += 2) {
    std::string_view name = symbols_.Get(ids[i]);
    auto nit = names_.find(name);
    if (nit == names_.end()) nit = names_.emplace(name, NameEntry{ids[i], {}}).first;
    std::string_view value = symbols_.Get(ids[i + 1]);
    auto vit = nit->second.values.find(value);
    if (vit == nit->second.values.end())
      vit = nit->second.values.emplace(value, ValueEntry{ids[i + 1], {}}).first;
    vit->second.list.Add(ref);
  }
  all_.Add(ref);
  return Status::Ok();
}

bool MemPostings::Remove(SeriesRef ref) {
  WriterLock l(&mu_);
  std::vector<uint32_t> ids;
  if (!series_->Erase(ref, &ids)) return false;
  for (size_t i = 0; i + 1 < ids.size(); i += 2) {
    auto nit = names_.find(symbols_.Get(ids[i]));
    if (nit == names_.end()) continue;
    auto vit = nit->second.values.find(symbols_.Get(ids[i + 1]));
    if (vit == nit->second.values.end()) continue;
    vit->second.list.Remove(ref);
    if (vit->second.list.empty()) nit->second.values.erase(vit);
    if (nit->second.values.empty()) names_.erase(nit);
  }
  all_.Remove(ref);
  return true;
}

bool MemPostings::Contains(SeriesRef ref) const {
  ReaderLock l(&mu_);
  return series_->Contains(ref);
}

size_t MemPostings::num_series() const {
  ReaderLock l(&mu_);
  return series_->size();
}

bool MemPostings::GetLabels(SeriesRef ref, Labels* out) const {
  ReaderLock l(&mu_);
  std::string_view enc;
  if (!series_->Lookup(ref, &enc)) return false;
  std::vector<uint32_t> ids;
  internal::SeriesTable::DecodeIds(enc, &ids);
  std::vector<Label> pairs;
  pairs.reserve(ids.size() / 2);
  for (size_t i = 0; i + 1 < ids.size(); i += 2)
    pairs.push_back({symbols_.Get(ids[i]), symbols_.Get(ids[i + 1])});
  *out = Labels::FromLabels(pairs);
  return true;
}

std::vector<SeriesRef> MemPostings::Postings(std::string_view name, std::string_view value) const {
  ReaderLock l(&mu_);
  std::vector<SeriesRef> out;
  auto nit = names_.find(name);
  if (nit == names_.end()) return out;
  auto vit = nit->second.values.find(value);
  if (vit == nit->second.values.end()) return out;
  vit->second.list.AppendTo(&out);
  return out;
}

std::vector<SeriesRef> MemPostings::AllSeries() const {
  ReaderLock l(&mu_);
  std::vector<SeriesRef> out;
  all_.AppendTo(&out);
  return out;
}

std::vector<std::string_view> MemPostings::LabelNames(std::span<const Matcher> matchers) const {
  ReaderLock l(&mu_);
  std::vector<std::string_view> out;
  if (matchers.empty()) {
    for (const auto& [name, entry] : names_) out.push_back(name);
    return out;
  }
  std::vector<uint32_t> syms;
  std::vector<uint32_t> ids;
  for (SeriesRef ref : SelectLocked(matchers)) {
    std::string_view enc;
    if (!series_->Lookup(ref, &enc)) continue;
    internal::SeriesTable::DecodeIds(enc, &ids);
    for (size_t i = 0; i < ids.size(); i += 2) syms.push_back(ids[i]);
    if (syms.size() > 4096) internal::SortUnique(&syms);
  }
  internal::SortUnique(&syms);
  for (uint32_t s : syms) out.push_back(symbols_.Get(s));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string_view> MemPostings::LabelValues(std::string_view name,
                                                       std::span<const Matcher> matchers) const {
  ReaderLock l(&mu_);
  std::vector<std::string_view> out;
  auto nit = names_.find(name);
  if (nit == names_.end()) return out;
  if (matchers.empty()) {
    for (const auto& [value, entry] : nit->second.values) out.push_back(value);
    return out;
  }
  std::vector<uint32_t> syms;
  for (SeriesRef ref : SelectLocked(matchers)) {
    std::string_view enc;
    uint32_t v;
    if (series_->Lookup(ref, &enc) && internal::SeriesTable::FindValue(enc, nit->second.sym, &v))
      syms.push_back(v);
    if (syms.size() > 4096) internal::SortUnique(&syms);
  }
  internal::SortUnique(&syms);
  for (uint32_t s : syms) out.push_back(symbols_.Get(s));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<SeriesRef> MemPostings::Select(std::span<const Matcher> matchers) const {
  ReaderLock l(&mu_);
  return SelectLocked(matchers);
}

bool MemPostings::MakeTerm(const Matcher& m, Term* t, bool* skip) const {
  *skip = false;
  t->positive = !m.MatchesEmpty();
  auto nit = names_.find(m.name());
  if (nit == names_.end()) {
    // No series has the label: a positive matcher selects nothing, a negative one removes
    // nothing.
    *skip = !t->positive;
    return !t->positive;
  }
  t->name_sym = nit->second.sym;
  const ValueMap& values = nit->second.values;
  auto take = [&](const ValueEntry& e) {
    t->lists.push_back(&e.list);
    t->value_syms.push_back(e.sym);
    t->est += e.list.size();
  };
  // Whether the values to take are those the pattern (before negation) accepts; then the
  // literal set and prefix narrow the search.
  bool take_accepted = t->positive != m.negated();
  if (take_accepted && m.literal_set() != nullptr) {
    for (const std::string& v : *m.literal_set()) {
      auto vit = values.find(v);
      if (vit != values.end()) take(vit->second);
    }
  } else if (take_accepted && !m.literal_prefix().empty()) {
    std::string_view prefix = m.literal_prefix();
    for (auto vit = values.lower_bound(prefix);
         vit != values.end() && vit->first.starts_with(prefix); ++vit) {
      if (m.Matches(vit->first) == t->positive) take(vit->second);
    }
  } else {
    for (const auto& [value, entry] : values)
      if (m.Matches(value) == t->positive) take(entry);
  }
  std::sort(t->value_syms.begin(), t->value_syms.end());
  if (t->lists.empty()) {
    // Positive: no value matches, nothing is selected. Negative: every value matches.
    *skip = !t->positive;
    return !t->positive;
  }
  return true;
}

void MemPostings::Filter(std::vector<SeriesRef>* cands, const Term& t) const {
  FilterStrategy s = strategy_;
  size_t n = cands->size();
  if (s == FilterStrategy::kAuto) {
    // Rough costs in nanoseconds per item, measured with index_benchmark: a cursor probe
    // (galloping within one list) per candidate and list; a label lookup (hash probe,
    // varint decoding) per candidate; a merge decodes every ref of every list.
    size_t probe = n * t.lists.size() * 4;
    size_t labels = n * 30;
    size_t merge = t.est * 2 + n;
    if (probe <= labels && probe <= merge) {
      s = FilterStrategy::kProbe;
    } else if (labels <= merge) {
      s = FilterStrategy::kLabels;
    } else {
      s = FilterStrategy::kMerge;
    }
  }
  switch (s) {
    case FilterStrategy::kAuto:
    case FilterStrategy::kProbe: {
      std::vector<PostingsList::Cursor> cursors;
      cursors.reserve(t.lists.size());
      for (const PostingsList* list : t.lists) cursors.emplace_back(*list);
      size_t out = 0;
      for (SeriesRef ref : *cands) {
        bool in = false;
        for (PostingsList::Cursor& c : cursors) {
          // Candidates are sorted, so every cursor sees non-decreasing values even when the
          // loop stops early.
          if (c.SeekContains(ref)) {
            in = true;
            break;
          }
        }
        if (in == t.positive) (*cands)[out++] = ref;
      }
      cands->resize(out);
      break;
    }
    case FilterStrategy::kLabels: {
      size_t out = 0;
      for (SeriesRef ref : *cands) {
        std::string_view enc;
        uint32_t v;
        bool in = series_->Lookup(ref, &enc) &&
                  internal::SeriesTable::FindValue(enc, t.name_sym, &v) &&
                  std::binary_search(t.value_syms.begin(), t.value_syms.end(), v);
        if (in == t.positive) (*cands)[out++] = ref;
      }
      cands->resize(out);
      break;
    }
    case FilterStrategy::kMerge: {
      std::vector<SeriesRef> other;
      AppendUnion(t.lists, &other);
      internal::FilterSorted(cands, other, /*keep_common=*/t.positive);
      break;
    }
  }
}

std::vector<SeriesRef> MemPostings::SelectLocked(std::span<const Matcher> matchers) const {
  std::vector<Term> pos, neg;
  for (const Matcher& m : matchers) {
    Term t;
    bool skip;
    if (!MakeTerm(m, &t, &skip)) return {};
    if (skip) continue;
    (t.positive ? pos : neg).push_back(std::move(t));
  }
  std::sort(pos.begin(), pos.end(), [](const Term& a, const Term& b) { return a.est < b.est; });
  std::vector<SeriesRef> cands;
  if (pos.empty()) {
    all_.AppendTo(&cands);
  } else {
    // The lists of one label name are disjoint (a series has one value per name).
    AppendUnion(pos[0].lists, &cands);
  }
  for (size_t i = 1; i < pos.size() && !cands.empty(); ++i) Filter(&cands, pos[i]);
  for (size_t i = 0; i < neg.size() && !cands.empty(); ++i) Filter(&cands, neg[i]);
  return cands;
}

MemPostingsStats MemPostings::Stats() const {
  ReaderLock l(&mu_);
  MemPostingsStats s;
  s.series = series_->size();
  s.symbols = symbols_.size();
  s.symbol_bytes = symbols_.MemoryBytes();
  s.series_bytes = series_->MemoryBytes() + sizeof(internal::SeriesTable);
  // A red-black tree node: colour, parent, left, right (32 bytes) plus the value.
  constexpr size_t kNode = 32;
  s.postings_bytes = all_.MemoryBytes();
  for (const auto& [name, entry] : names_) {
    s.map_bytes += kNode + sizeof(std::pair<const std::string_view, NameEntry>);
    for (const auto& [value, ve] : entry.values) {
      ++s.label_pairs;
      s.map_bytes += kNode + sizeof(std::pair<const std::string_view, ValueEntry>);
      s.postings_bytes += ve.list.MemoryBytes();
    }
  }
  return s;
}

void MemPostings::set_filter_strategy_for_testing(FilterStrategy s) {
  WriterLock l(&mu_);
  strategy_ = s;
}

}  // namespace strix::storage::index
