// Head: series registry, sample application, reads, cuts and garbage collection.
#include "storage/head/head.h"

#include <algorithm>

#include "core/check.h"
#include "storage/chunk/decoder.h"
#include "storage/chunk/encoder.h"

namespace strix::storage::head {

Head::Head(const HeadOptions& options) : options_(options) {}
Head::~Head() = default;

MemSeries* Head::Find(uint64_t hash, std::string_view encoded) const {
  ReaderLock l(&series_mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return nullptr;
  for (MemSeries* s = it->second; s != nullptr; s = s->next_same_hash) {
    if (s->labels.encoded() == encoded) return s;
  }
  return nullptr;
}

void Head::FindMany(std::span<const uint64_t> hashes, std::span<const std::string_view> encoded,
                    std::span<const uint8_t> valid, MemSeries** out) const {
  ReaderLock l(&series_mu_);
  for (size_t i = 0; i < hashes.size(); ++i) {
    out[i] = nullptr;
    if (!valid[i]) continue;
    auto it = by_hash_.find(hashes[i]);
    if (it == by_hash_.end()) continue;
    for (MemSeries* s = it->second; s != nullptr; s = s->next_same_hash) {
      if (s->labels.encoded() == encoded[i]) {
        out[i] = s;
        break;
      }
    }
  }
}

MemSeries* Head::GetByRef(SeriesRef ref) const {
  ReaderLock l(&series_mu_);
  auto it = by_ref_.find(ref);
  if (it != by_ref_.end()) return it->second.get();
  auto a = aliases_.find(ref);
  if (a == aliases_.end()) return nullptr;
  it = by_ref_.find(a->second);
  return it == by_ref_.end() ? nullptr : it->second.get();
}

MemSeries* Head::GetOrCreate(const Labels& labels, ValueKind kind, SeriesRef ref, bool* created) {
  *created = false;
  uint64_t hash = labels.Hash();
  WriterLock l(&series_mu_);
  auto it = by_hash_.find(hash);
  MemSeries* chain = it == by_hash_.end() ? nullptr : it->second;
  for (MemSeries* s = chain; s != nullptr; s = s->next_same_hash) {
    if (s->labels == labels) {
      if (ref != 0 && ref != s->ref) aliases_[ref] = s->ref;
      return s;
    }
  }
  if (ref == 0) {
    ref = next_ref_.fetch_add(1);
  } else {
    SeriesRef want = ref + 1;
    SeriesRef cur = next_ref_.load();
    while (cur < want && !next_ref_.compare_exchange_weak(cur, want)) {
    }
    if (by_ref_.count(ref) != 0) return nullptr;  // a ref reused for other labels: corrupt WAL
  }
  auto owned = std::make_unique<MemSeries>(ref, kind, labels, hash);
  MemSeries* s = owned.get();
  s->next_same_hash = chain;
  by_hash_[hash] = s;
  by_ref_.emplace(ref, std::move(owned));
  Status st = postings_.Add(ref, labels);
  STRIX_CHECK_MSG(st.ok(), st.ToString().c_str());
  *created = true;
  return s;
}

void Head::SealLocked(MemSeries* s) {
  std::string sealed;
  Status st = chunk::Reencode(s->open.bytes(), &sealed);
  if (!st.ok()) sealed.assign(s->open.bytes());  // keep the open layout; still decodable
  s->sealed.push_back(std::move(sealed));
  s->open.Reset();
}

void Head::AppendNumericLocked(MemSeries* s, Timestamp ts, uint64_t raw, ApplyStats* st) {
  if (ts > s->last_ts) {
    if (s->open.count() >= options_.chunk_samples) SealLocked(s);
    NumericValue v;
    v.u = raw;
    Status a = s->open.Append(ts, v);
    if (a.code() == StatusCode::kResourceExhausted) {
      SealLocked(s);
      a = s->open.Append(ts, v);
    }
    if (!a.ok()) {
      // The open chunk ends later than ts only if it was cut; keep the sample as late.
      s->late.push_back(LateSample{ts, raw});
      ++st->late;
    }
    s->last_ts = ts;
    s->last_raw = raw;
  } else if (ts == s->last_ts && raw == s->last_raw) {
    ++st->duplicates;
    return;
  } else {
    s->late.push_back(LateSample{ts, raw});
    ++st->late;
    if (ts == s->last_ts) s->last_raw = raw;
  }
  s->min_ts = std::min(s->min_ts, ts);
  ++st->applied;
}

ApplyStats Head::ApplyNumeric(MemSeries* s, std::span<const Timestamp> ts,
                              std::span<const uint64_t> raw, int64_t now_ms) {
  ApplyStats st;
  MutexLock l(&StripeOf(s->ref));
  for (size_t i = 0; i < ts.size(); ++i) AppendNumericLocked(s, ts[i], raw[i], &st);
  s->last_apply_ms = now_ms;
  return st;
}

ApplyStats Head::ApplyState(MemSeries* s, std::span<const Timestamp> ts,
                            std::span<const std::string_view> values, int64_t now_ms) {
  ApplyStats st;
  MutexLock l(&StripeOf(s->ref));
  for (size_t i = 0; i < ts.size(); ++i) {
    Timestamp t = ts[i];
    std::string_view v = values[i];
    if (t > s->last_ts) {
      if (s->open.count() >= options_.chunk_samples) SealLocked(s);
      Status a = s->open.AppendState(t, v);
      if (a.code() == StatusCode::kResourceExhausted) {
        SealLocked(s);
        a = s->open.AppendState(t, v);
      }
      if (!a.ok()) {
        s->late.push_back(LateSample{t, s->late_states.size()});
        s->late_states.emplace_back(v);
        ++st.late;
      }
      s->last_ts = t;
      s->last_state.assign(v);
    } else if (t == s->last_ts && v == s->last_state) {
      ++st.duplicates;
      continue;
    } else {
      s->late.push_back(LateSample{t, s->late_states.size()});
      s->late_states.emplace_back(v);
      ++st.late;
      if (t == s->last_ts) s->last_state.assign(v);
    }
    s->min_ts = std::min(s->min_ts, t);
    ++st.applied;
  }
  s->last_apply_ms = now_ms;
  return st;
}

namespace {

// Decodes chunks (in time order) and late samples into a merged, sorted, de-duplicated
// sequence within [from, to). Late samples win over chunk samples, later late over earlier.
Status MergeData(ValueKind kind, const std::vector<std::string>& chunks, std::string_view open,
                 const std::vector<LateSample>& late, const std::vector<std::string>& late_states,
                 Timestamp from, Timestamp to, SeriesSamples* out) {
  out->Clear();
  bool state = kind == ValueKind::kState;
  SeriesSamples base;
  auto decode = [&](std::string_view c) -> Status {
    if (c.empty()) return Status::Ok();
    if (state) {
      std::vector<Timestamp> ts;
      std::vector<std::string_view> vals;
      STRIX_RETURN_IF_ERROR(chunk::DecodeState(c, &ts, &vals, from, to - 1));
      for (size_t i = 0; i < ts.size(); ++i) {
        base.ts.push_back(ts[i]);
        base.states.emplace_back(vals[i]);
      }
      return Status::Ok();
    }
    std::vector<Timestamp> ts;
    std::vector<NumericValue> vals;
    STRIX_RETURN_IF_ERROR(chunk::DecodeNumeric(c, &ts, &vals, from, to - 1));
    base.ts.insert(base.ts.end(), ts.begin(), ts.end());
    for (const auto& v : vals) base.raw.push_back(v.u);
    return Status::Ok();
  };
  for (const auto& c : chunks) STRIX_RETURN_IF_ERROR(decode(c));
  STRIX_RETURN_IF_ERROR(decode(open));
  // Late samples in range, sorted by time; the last arrival wins within one timestamp.
  std::vector<const LateSample*> l;
  for (const auto& s : late)
    if (s.ts >= from && s.ts < to) l.push_back(&s);
  std::stable_sort(l.begin(), l.end(),
                   [](const LateSample* a, const LateSample* b) { return a->ts < b->ts; });
  size_t i = 0, j = 0;
  while (i < base.ts.size() || j < l.size()) {
    bool take_late;
    if (j >= l.size()) {
      take_late = false;
    } else if (i >= base.ts.size()) {
      take_late = true;
    } else {
      take_late = l[j]->ts <= base.ts[i];
    }
    if (take_late) {
      // Skip to the last late sample with this timestamp.
      while (j + 1 < l.size() && l[j + 1]->ts == l[j]->ts) ++j;
      Timestamp t = l[j]->ts;
      out->ts.push_back(t);
      if (state) {
        out->states.push_back(l[j]->raw < late_states.size() ? late_states[l[j]->raw]
                                                             : std::string());
      } else {
        out->raw.push_back(l[j]->raw);
      }
      ++j;
      while (i < base.ts.size() && base.ts[i] == t) ++i;
    } else {
      out->ts.push_back(base.ts[i]);
      if (state) {
        out->states.push_back(std::move(base.states[i]));
      } else {
        out->raw.push_back(base.raw[i]);
      }
      ++i;
    }
  }
  return Status::Ok();
}

}  // namespace

Status MergeFrozen(const FrozenSeries& f, SeriesSamples* out) {
  return MergeData(f.kind, f.chunks, {}, f.late, f.late_states, INT64_MIN, INT64_MAX, out);
}

bool Head::Bounds(MemSeries* s, Timestamp* min_ts, Timestamp* max_ts) {
  MutexLock l(&StripeOf(s->ref));
  if (!s->has_data()) return false;
  *min_ts = s->min_ts;
  *max_ts = s->last_ts;
  for (const auto& x : s->late) *max_ts = std::max(*max_ts, x.ts);
  return true;
}

Status Head::Read(MemSeries* s, Timestamp from, Timestamp to, SeriesSamples* out) {
  std::vector<std::string> chunks;
  std::string open;
  std::vector<LateSample> late;
  std::vector<std::string> late_states;
  {
    MutexLock l(&StripeOf(s->ref));
    if (s->min_ts >= to || s->last_ts < from) {
      out->Clear();
      return Status::Ok();
    }
    chunks = s->sealed;
    open.assign(s->open.bytes());
    late = s->late;
    late_states = s->late_states;
  }
  return MergeData(s->kind, chunks, open, late, late_states, from, to, out);
}

bool Head::Latest(MemSeries* s, Timestamp* ts, uint64_t* raw, std::string* state) {
  MutexLock l(&StripeOf(s->ref));
  if (s->last_ts == INT64_MIN) return false;
  *ts = s->last_ts;
  *raw = s->last_raw;
  if (state) *state = s->last_state;
  return true;
}

std::vector<MemSeries*> Head::Select(std::span<const Matcher> matchers) const {
  std::vector<SeriesRef> refs = postings_.Select(matchers);
  std::vector<MemSeries*> out;
  out.reserve(refs.size());
  ReaderLock l(&series_mu_);
  for (SeriesRef r : refs) {
    auto it = by_ref_.find(r);
    if (it != by_ref_.end()) out.push_back(it->second.get());
  }
  return out;
}

Status Head::DeleteRange(MemSeries* s, Timestamp from, Timestamp to) {
  MutexLock l(&StripeOf(s->ref));
  SeriesSamples all;
  STRIX_RETURN_IF_ERROR(MergeData(s->kind, s->sealed, s->open.bytes(), s->late, s->late_states,
                                  INT64_MIN, INT64_MAX, &all));
  s->sealed.clear();
  s->late.clear();
  s->late_states.clear();
  s->open.Reset();
  s->min_ts = INT64_MAX;
  for (size_t i = 0; i < all.ts.size(); ++i) {
    Timestamp t = all.ts[i];
    if (t >= from && t < to) continue;
    if (s->open.count() >= options_.chunk_samples) SealLocked(s);
    Status a = s->kind == ValueKind::kState ? s->open.AppendState(t, all.states[i])
                                            : s->open.Append(t, NumericValue{.u = all.raw[i]});
    STRIX_CHECK(a.ok());
    s->min_ts = std::min(s->min_ts, t);
  }
  return Status::Ok();
}

std::vector<FrozenSeries> Head::Cut() {
  std::vector<MemSeries*> all = AllSeries();
  std::vector<FrozenSeries> out;
  for (MemSeries* s : all) {
    MutexLock l(&StripeOf(s->ref));
    if (!s->has_data()) continue;
    FrozenSeries f{s->labels, s->kind, std::move(s->sealed), std::move(s->late),
                   std::move(s->late_states)};
    if (s->open.count() > 0) f.chunks.emplace_back(s->open.bytes());
    s->sealed.clear();
    s->late.clear();
    s->late_states.clear();
    s->open.Reset();
    s->min_ts = INT64_MAX;
    out.push_back(std::move(f));
  }
  return out;
}

size_t Head::CollectGarbage(int64_t idle_before_ms) {
  std::vector<SeriesRef> victims;
  {
    ReaderLock l(&series_mu_);
    for (const auto& [ref, s] : by_ref_) {
      MutexLock sl(&StripeOf(ref));
      if (!s->has_data() && s->last_apply_ms < idle_before_ms) victims.push_back(ref);
    }
  }
  if (victims.empty()) return 0;
  size_t removed = 0;
  WriterLock l(&series_mu_);
  for (SeriesRef ref : victims) {
    auto it = by_ref_.find(ref);
    if (it == by_ref_.end()) continue;
    MemSeries* s = it->second.get();
    {
      MutexLock sl(&StripeOf(ref));
      if (s->has_data() || s->last_apply_ms >= idle_before_ms) continue;  // raced with Apply
    }
    auto h = by_hash_.find(s->hash);
    MemSeries** link = &h->second;
    while (*link != s) link = &(*link)->next_same_hash;
    *link = s->next_same_hash;
    if (h->second == nullptr) by_hash_.erase(h);
    postings_.Remove(ref);
    by_ref_.erase(it);
    ++removed;
  }
  for (auto it = aliases_.begin(); it != aliases_.end();) {
    it = by_ref_.count(it->second) ? std::next(it) : aliases_.erase(it);
  }
  return removed;
}

std::vector<MemSeries*> Head::AllSeries() const {
  ReaderLock l(&series_mu_);
  std::vector<MemSeries*> out;
  out.reserve(by_ref_.size());
  for (const auto& [ref, s] : by_ref_) out.push_back(s.get());
  std::sort(out.begin(), out.end(),
            [](const MemSeries* a, const MemSeries* b) { return a->ref < b->ref; });
  return out;
}

HeadStats Head::Stats() const {
  HeadStats st;
  std::vector<MemSeries*> all = AllSeries();
  st.series = all.size();
  for (MemSeries* s : all) {
    MutexLock l(&StripeOf(s->ref));
    st.bytes += sizeof(MemSeries) + s->labels.MemoryBytes() + s->open.MemoryUsage();
    st.samples += s->open.count() + s->late.size();
    for (const auto& c : s->sealed) {
      st.bytes += c.capacity() + sizeof(std::string);
      chunk::BatchDecoder d;
      if (d.Init(c).ok()) st.samples += d.header().count;
    }
    st.late_samples += s->late.size();
    st.bytes += s->late.capacity() * sizeof(LateSample);
    for (const auto& x : s->late_states) st.bytes += sizeof(std::string) + x.capacity();
    st.min_ts = std::min(st.min_ts, s->min_ts);
  }
  // Two hash-map nodes per series (by hash, by ref), estimated.
  st.bytes += postings_.Stats().total_bytes() + all.size() * 2 * 48;
  return st;
}

}  // namespace strix::storage::head
