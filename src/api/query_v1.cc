// Strix's own query API, /api/v1/ (docs/api.md): series search, label names and values,
// range selects with a step and a consolidation, latest values, and the host inventory.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "api/internal/api_impl.h"
#include "api/json.h"

namespace strix::api {
namespace {

constexpr int64_t kHourMs = 3'600'000;

struct Range {
  int64_t from = 0;
  int64_t to = 0;  // exclusive
};

// start/end (end defaults to now, start to end - `default_span`); end is inclusive.
Result<Range> ParseRange(const QueryParams& q, int64_t now_ms, int64_t default_span) {
  Range r;
  int64_t end = now_ms;
  if (auto e = q.Get("end")) {
    Result<int64_t> t = ParseTimeParam(*e, now_ms);
    if (!t.ok())
      return Status::InvalidArgument(fmt::format("parameter 'end': {}", t.status().message()));
    end = *t;
  }
  int64_t start = end - default_span;
  if (auto s = q.Get("start")) {
    Result<int64_t> t = ParseTimeParam(*s, now_ms);
    if (!t.ok()) {
      return Status::InvalidArgument(fmt::format("parameter 'start': {}", t.status().message()));
    }
    start = *t;
  }
  if (start > end) {
    return Status::InvalidArgument(
        fmt::format("parameter 'start' ({} ms) is after 'end' ({} ms)", start, end));
  }
  r.from = start;
  r.to = end + 1;
  return r;
}

void WriteRawValue(JsonWriter& w, storage::ValueKind kind, storage::NumericValue v) {
  if (storage::IsCounter(kind)) {
    w.Uint(v.u);
  } else if (kind == storage::ValueKind::kDerive) {
    w.Int(v.i);
  } else {
    w.Double(v.f);
  }
}

// Labels as a sortable key, for merging the answers of several match[] selectors.
std::string LabelsKey(const storage::Labels& l) { return l.ToString(); }

}  // namespace

HttpResponse Api::Impl::V1Series(const QueryParams& q) {
  auto sets = ParseMatchParams(q, /*optional=*/false);
  if (!sets.ok()) return ErrorResponse(400, sets.status().message());
  // Without start/end: every series still stored.
  auto range = ParseRange(q, NowMs(), 0);
  if (!range.ok()) return ErrorResponse(400, range.status().message());
  if (!q.Has("start")) range->from = INT64_MIN / 2;
  if (!q.Has("end")) range->to = INT64_MAX / 2;
  std::map<std::string, storage::SeriesInfo> merged;
  for (const storage::Matchers& m : *sets) {
    auto infos = ctx.storage->Series(m, range->from, range->to);
    if (!infos.ok()) return StatusResponse(infos.status());
    for (storage::SeriesInfo& i : *infos) {
      std::string key = LabelsKey(i.labels);
      merged.emplace(std::move(key), std::move(i));
    }
    if (merged.size() > ctx.max_series_per_query) {
      return ErrorResponse(422, fmt::format("more than {} series match; narrow the selector",
                                            ctx.max_series_per_query));
    }
  }
  std::string data;
  JsonWriter w(&data);
  w.BeginArray();
  for (const auto& [key, i] : merged) {
    w.BeginObject().Key("labels");
    WriteLabels(w, i.labels);
    w.Key("kind").String(storage::ValueKindName(i.kind));
    w.Key("first").Int(i.first_ts).Key("last").Int(i.last_ts).EndObject();
  }
  w.EndArray();
  return SuccessResponse(data);
}

HttpResponse Api::Impl::AdminFlush() {
  // Benchmarks and operators measure bytes on disk after this; the head's samples stay
  // durable in the WAL either way, so this only moves them into immutable blocks early.
  const auto t0 = std::chrono::steady_clock::now();
  Status st = ctx.storage->Flush();
  if (st.ok()) st = ctx.storage->Compact();
  if (!st.ok()) return StatusResponse(st);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const storage::StorageStats stats = ctx.storage->Stats();
  std::string data;
  JsonWriter w(&data);
  w.BeginObject().Key("seconds").Double(seconds);
  w.Key("disk_bytes").Uint(stats.disk_bytes).Key("wal_bytes").Uint(stats.wal_bytes);
  w.EndObject();
  return SuccessResponse(data);
}

HttpResponse Api::Impl::V1Labels(const QueryParams& q) {
  auto sets = ParseMatchParams(q, /*optional=*/true);
  if (!sets.ok()) return ErrorResponse(400, sets.status().message());
  std::set<std::string> names;
  if (sets->empty()) sets->push_back({});
  for (const storage::Matchers& m : *sets) {
    auto r = ctx.storage->LabelNames(m);
    if (!r.ok()) return StatusResponse(r.status());
    names.insert(r->begin(), r->end());
  }
  std::string data;
  JsonWriter w(&data);
  w.BeginArray();
  for (const std::string& n : names) w.String(n);
  w.EndArray();
  return SuccessResponse(data);
}

HttpResponse Api::Impl::V1LabelValues(std::string_view name, const QueryParams& q) {
  auto sets = ParseMatchParams(q, /*optional=*/true);
  if (!sets.ok()) return ErrorResponse(400, sets.status().message());
  std::set<std::string> values;
  if (sets->empty()) sets->push_back({});
  for (const storage::Matchers& m : *sets) {
    auto r = ctx.storage->LabelValues(std::string(name), m);
    if (!r.ok()) return StatusResponse(r.status());
    values.insert(r->begin(), r->end());
  }
  std::string data;
  JsonWriter w(&data);
  w.BeginArray();
  for (const std::string& v : values) w.String(v);
  w.EndArray();
  return SuccessResponse(data);
}

std::optional<HttpResponse> ParseSelectOptions(const QueryParams& q, storage::SelectRequest* req) {
  if (auto s = q.Get("step")) {
    Result<int64_t> step = ParseDurationParam(*s);
    if (!step.ok()) return BadParam("step", step.status().message());
    req->step_ms = *step;
  }
  if (auto f = q.Get("fn")) {
    Result<storage::Consolidation> fn = storage::ParseConsolidation(*f);
    if (!fn.ok()) return BadParam("fn", fn.status().message());
    req->fn = *fn;
  }
  const std::string_view mm = q.Get("minmax").value_or("");
  // A bucket's min and max are of its samples' values: a band around avg, min, max, first
  // or last. Around a rate, an increase, a sum or a count they would be on another scale
  // (a counter's totals), so those answers have none.
  const bool value_fn =
      req->fn == storage::Consolidation::kAvg || req->fn == storage::Consolidation::kMin ||
      req->fn == storage::Consolidation::kMax || req->fn == storage::Consolidation::kFirst ||
      req->fn == storage::Consolidation::kLast;
  req->with_min_max = (mm == "1" || mm == "true") && value_fn;
  return std::nullopt;
}

Result<SelectedSeries> Api::Impl::SelectMerged(const std::vector<storage::Matchers>& sets,
                                               storage::SelectRequest req) {
  SelectedSeries merged;
  for (const storage::Matchers& m : sets) {
    req.matchers = m;
    STRIX_ASSIGN_OR_RETURN(std::vector<storage::SeriesData> r, ctx.storage->Select(req));
    for (storage::SeriesData& d : r) merged.emplace(LabelsKey(d.labels), std::move(d));
  }
  return merged;
}

void WriteSelectData(JsonWriter& w, const storage::SelectRequest& req,
                     const SelectedSeries& merged) {
  w.BeginObject();
  w.Key("from").Int(req.from).Key("to").Int(req.to).Key("step").Int(req.step_ms);
  w.Key("fn").String(req.step_ms > 0 ? storage::ConsolidationName(req.fn) : "raw");
  w.Key("series").BeginArray();
  for (const auto& [key, d] : merged) {
    w.BeginObject().Key("labels");
    WriteLabels(w, d.labels);
    w.Key("kind").String(storage::ValueKindName(d.kind));
    w.Key("resolution").Int(d.resolution_ms);
    w.Key("timestamps").BeginArray();
    for (int64_t t : d.timestamps) w.Int(t);
    w.EndArray();
    w.Key("values").BeginArray();
    if (d.kind == storage::ValueKind::kState) {
      for (const std::string& s : d.states) w.String(s);
    } else if (req.step_ms == 0) {
      for (const storage::NumericValue& v : d.raw) WriteRawValue(w, d.kind, v);
    } else {
      for (double v : d.values) w.Double(v);
    }
    w.EndArray();
    if (req.with_min_max && req.step_ms > 0 && d.kind != storage::ValueKind::kState) {
      w.Key("min").BeginArray();
      for (double v : d.min) w.Double(v);
      w.EndArray().Key("max").BeginArray();
      for (double v : d.max) w.Double(v);
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
}

HttpResponse Api::Impl::V1Select(const QueryParams& q) {
  auto sets = ParseMatchParams(q, /*optional=*/false);
  if (!sets.ok()) return ErrorResponse(400, sets.status().message());
  auto range = ParseRange(q, NowMs(), kHourMs);
  if (!range.ok()) return ErrorResponse(400, range.status().message());
  storage::SelectRequest req;
  req.from = range->from;
  req.to = range->to;
  if (std::optional<HttpResponse> bad = ParseSelectOptions(q, &req)) return std::move(*bad);
  if (req.step_ms > 0 && (req.to - req.from) / req.step_ms > 1'000'000) {
    return BadParam("step", "more than 1,000,000 buckets per series; use a larger step");
  }
  req.max_series = ctx.max_series_per_query;
  Result<SelectedSeries> merged = SelectMerged(*sets, req);
  if (!merged.ok()) return StatusResponse(merged.status());
  std::string data;
  data.reserve(4096);
  JsonWriter w(&data);
  WriteSelectData(w, req, *merged);
  return SuccessResponse(data);
}

HttpResponse Api::Impl::V1Latest(const QueryParams& q) {
  auto sets = ParseMatchParams(q, /*optional=*/false);
  if (!sets.ok()) return ErrorResponse(400, sets.status().message());
  std::map<std::string, storage::LatestSample> merged;
  for (const storage::Matchers& m : *sets) {
    auto r = ctx.storage->Latest(m);
    if (!r.ok()) return StatusResponse(r.status());
    for (storage::LatestSample& s : *r) merged.emplace(LabelsKey(s.labels), std::move(s));
  }
  std::string data;
  JsonWriter w(&data);
  w.BeginArray();
  for (const auto& [key, s] : merged) {
    w.BeginObject().Key("labels");
    WriteLabels(w, s.labels);
    w.Key("kind").String(storage::ValueKindName(s.kind)).Key("ts").Int(s.ts).Key("value");
    if (s.kind == storage::ValueKind::kState) {
      w.String(s.state);
    } else {
      WriteRawValue(w, s.kind, s.value);
    }
    w.EndObject();
  }
  w.EndArray();
  return SuccessResponse(data);
}

HttpResponse Api::Impl::V1Hosts(const QueryParams& q) {
  auto hosts = ctx.meta->ListHosts();
  if (!hosts.ok()) return StatusResponse(hosts.status());
  // Series per host, from one pass over the index.
  std::map<std::string, uint64_t, std::less<>> series_count;
  auto all =
      ctx.storage->Series({storage::Matcher::NotEqual("host", "")}, INT64_MIN / 2, INT64_MAX / 2);
  if (!all.ok()) return StatusResponse(all.status());
  for (const storage::SeriesInfo& i : *all) ++series_count[std::string(i.labels.Get("host"))];
  const std::string_view filter = q.Get("q").value_or("");
  const int64_t now = NowMs();
  const int64_t stale_after = 5 * 60 * 1000;
  std::string data;
  JsonWriter w(&data);
  w.BeginArray();
  for (const meta::Host& h : *hosts) {
    if (!filter.empty() && h.name.find(filter) == std::string::npos) continue;
    w.BeginObject().Key("host").String(h.name).Key("tags").BeginObject();
    for (const auto& [k, v] : h.tags) w.Key(k).String(v);
    w.EndObject();
    w.Key("first_seen");
    h.first_seen_ms ? w.Int(*h.first_seen_ms) : w.Null();
    w.Key("last_seen");
    h.last_seen_ms ? w.Int(*h.last_seen_ms) : w.Null();
    auto it = series_count.find(h.name);
    w.Key("series").Uint(it == series_count.end() ? 0 : it->second);
    const bool up = h.last_seen_ms && now - *h.last_seen_ms <= stale_after;
    w.Key("status").String(up ? "up" : "stale");
    w.EndObject();
  }
  w.EndArray();
  return SuccessResponse(data);
}

}  // namespace strix::api
