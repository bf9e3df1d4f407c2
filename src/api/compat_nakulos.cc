// The Python monitoring system's read and admin endpoints (spec part A4, A8), with its JSON
// shapes and without the defects listed in A13: /fetch/latest, /fetch/history/<host>/<metric>,
// /fetch/hosts, /fetch/metrics_for_host, POST /update_tags, /remove_host, /delete_metrics,
// and /aggregate (GET and POST). docs/api.md lists every deliberate difference.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "api/internal/api_impl.h"
#include "api/json.h"
#include "ingest/nakulos/nakulos.h"

namespace strix::api {
namespace {

constexpr int64_t kMinTime = INT64_MIN / 2;
constexpr int64_t kMaxTime = INT64_MAX / 2;

// {"error": "..."} with a status, as the Python system answers its errors.
HttpResponse CompatError(int status, std::string_view message) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("error").String(message).EndObject();
  return JsonResponse(status, std::move(body));
}

std::optional<double> NumericOf(storage::ValueKind kind, storage::NumericValue v) {
  switch (kind) {
    case storage::ValueKind::kGauge:
    case storage::ValueKind::kAbsolute:
      return v.f;
    case storage::ValueKind::kCounter32:
    case storage::ValueKind::kCounter64:
      return static_cast<double>(v.u);
    case storage::ValueKind::kDerive:
      return static_cast<double>(v.i);
    case storage::ValueKind::kState:
      return std::nullopt;
  }
  return std::nullopt;
}

// The name a series has for the Python system: its nakulos_name label when POST /metrics
// had to sanitise the name, else its metric name.
std::string_view NakulosName(const storage::Labels& l) {
  std::string_view original = l.Get(ingest::kNakulosNameLabel);
  return original.empty() ? l.MetricName() : original;
}

// A parsed JSON object body. The parser is per thread and reused.
struct Body {
  simdjson::dom::object obj;
  std::string error;  // non-empty when the body is not a JSON object
};

Body ParseObject(const std::string& text) {
  thread_local simdjson::dom::parser parser;
  Body b;
  simdjson::dom::element root;
  if (auto err = parser.parse(text).get(root); err) {
    b.error = fmt::format("body is not valid JSON: {}", simdjson::error_message(err));
    return b;
  }
  if (root.get(b.obj) != simdjson::SUCCESS) b.error = "body must be a JSON object";
  return b;
}

std::optional<std::string_view> StringField(simdjson::dom::object o, std::string_view key) {
  std::string_view v;
  if (o[key].get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

// A time field in epoch seconds (number), absent or null/0/false (the Python system's
// "falsy start is ignored").
std::optional<double> SecondsField(simdjson::dom::object o, std::string_view key) {
  simdjson::dom::element e;
  if (o[key].get(e) != simdjson::SUCCESS) return std::nullopt;
  double d;
  if (e.get(d) == simdjson::SUCCESS && d != 0 && std::isfinite(d)) return d;
  int64_t i;
  if (e.get(i) == simdjson::SUCCESS && i != 0) return static_cast<double>(i);
  return std::nullopt;
}

}  // namespace

HttpResponse Api::Impl::FetchLatest() {
  auto latest = ctx.storage->Latest({storage::Matcher::NotEqual("host", "")});
  if (!latest.ok()) return StatusResponse(latest.status());
  auto hosts = ctx.meta->ListHosts();
  if (!hosts.ok()) return StatusResponse(hosts.status());
  std::map<std::string, const meta::Host*, std::less<>> host_meta;
  for (const meta::Host& h : *hosts) host_meta.emplace(h.name, &h);
  // host -> metric -> (ts, value): the newest sample per (host, metric name); several
  // series of one name (differing labels) give the newest of them, as the Python system
  // keeps one row per (host, metric).
  std::map<std::string, std::map<std::string, std::pair<int64_t, double>>> by_host;
  for (const storage::LatestSample& s : *latest) {
    std::optional<double> v = NumericOf(s.kind, s.value);
    if (!v) continue;
    auto& metrics = by_host[std::string(s.labels.Get("host"))];
    auto [it, inserted] =
        metrics.emplace(std::string(NakulosName(s.labels)), std::make_pair(s.ts, *v));
    if (!inserted && s.ts > it->second.first) it->second = {s.ts, *v};
  }
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  for (const auto& [host, metrics] : by_host) {
    w.Key(host).BeginObject().Key("metrics").BeginObject();
    for (const auto& [name, tv] : metrics) w.Key(name).PyFloat(tv.second);
    w.EndObject().Key("tags").BeginObject();
    if (auto it = host_meta.find(host); it != host_meta.end()) {
      for (const auto& [k, v] : it->second->tags) w.Key(k).String(v);
    }
    w.EndObject().EndObject();
  }
  w.EndObject();
  return JsonResponse(200, std::move(body));
}

HttpResponse Api::Impl::FetchHistory(std::string_view host, std::string_view metric,
                                     const QueryParams& q) {
  const double now_s = static_cast<double>(NowMs()) / 1000.0;
  auto num = [&](std::string_view name, double def, double* out) -> std::optional<HttpResponse> {
    *out = def;
    if (auto v = q.Get(name)) {
      char* end = nullptr;
      std::string s(*v);
      *out = std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(*out)) {
        return CompatError(400, fmt::format("parameter '{}' must be a number, got '{}'", name, s));
      }
    }
    return std::nullopt;
  };
  double end_s, start_s, limit_d;
  if (auto e = num("end", now_s, &end_s)) return *e;
  // The Python system defaults start to 0 (about 29 million nulls): default to an hour.
  if (auto e = num("start", end_s - 3600, &start_s)) return *e;
  if (auto e = num("limit", 500, &limit_d)) return *e;
  if (start_s > end_s) return CompatError(400, "parameter 'start' is after 'end'");
  if (limit_d < 1 || limit_d > 1e6) return CompatError(400, "parameter 'limit' must be 1..1000000");
  const auto limit = static_cast<size_t>(limit_d);
  // Gap filling below walks in 60 s steps; bound it.
  if ((end_s - start_s) / 60 > 10'000'000) {
    return CompatError(400, "the range is too long (more than 10,000,000 minutes)");
  }

  storage::SelectRequest req;
  // The metric as POST /metrics stored it: sanitised into __name__, the original kept in
  // nakulos_name when it changed (an empty matcher value selects series without it).
  const ingest::NakulosStoredName stored = ingest::NakulosStoredNameOf(metric);
  req.matchers = {storage::Matcher::Equal("host", host),
                  storage::Matcher::Equal("__name__", stored.metric),
                  storage::Matcher::Equal(ingest::kNakulosNameLabel, stored.original)};
  req.from = static_cast<int64_t>(std::ceil(start_s * 1000));
  req.to = static_cast<int64_t>(std::floor(end_s * 1000)) + 1;
  auto r = ctx.storage->Select(req);
  if (!r.ok()) return StatusResponse(r.status());
  // Points of every matching series, in time order (one series in the usual case).
  std::vector<std::pair<double, double>> points;
  for (const storage::SeriesData& d : *r) {
    for (size_t i = 0; i < d.timestamps.size() && i < d.raw.size(); ++i) {
      if (std::optional<double> v = NumericOf(d.kind, d.raw[i])) {
        points.emplace_back(static_cast<double>(d.timestamps[i]) / 1000.0, *v);
      }
    }
  }
  std::stable_sort(points.begin(), points.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // §A8: nulls every 60 s through gaps, the points themselves, nulls to the end.
  std::vector<std::pair<double, std::optional<double>>> out;
  double cur = start_s;
  for (const auto& [ts, v] : points) {
    while (cur < ts) {
      out.emplace_back(cur, std::nullopt);
      cur += 60;
    }
    out.emplace_back(ts, v);
    cur = ts + 60;
  }
  while (cur <= end_s) {
    out.emplace_back(cur, std::nullopt);
    cur += 60;
  }
  std::string body;
  JsonWriter w(&body);
  w.BeginArray();
  if (out.size() <= limit) {
    for (const auto& [ts, v] : out) {
      w.BeginArray().PyFloat(ts);
      v ? w.PyFloat(*v) : w.Null();
      w.EndArray();
    }
  } else {
    // Too many: `limit` time buckets over [start, end], each the average of its points
    // (null when it has none), stamped with the bucket's start. The Python system kept
    // every n-th entry instead, which drops peaks.
    const double width = (end_s - start_s) / static_cast<double>(limit);
    std::vector<double> sum(limit, 0);
    std::vector<uint32_t> count(limit, 0);
    for (const auto& [ts, v] : points) {
      auto b = static_cast<size_t>(width > 0 ? (ts - start_s) / width : 0);
      b = std::min(b, limit - 1);
      sum[b] += v;
      ++count[b];
    }
    for (size_t b = 0; b < limit; ++b) {
      w.BeginArray().PyFloat(start_s + width * static_cast<double>(b));
      count[b] > 0 ? w.PyFloat(sum[b] / count[b]) : w.Null();
      w.EndArray();
    }
  }
  w.EndArray();
  return JsonResponse(200, std::move(body));
}

HttpResponse Api::Impl::FetchHosts() {
  auto hosts = ctx.meta->ListHosts();
  if (!hosts.ok()) return StatusResponse(hosts.status());
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  for (const meta::Host& h : *hosts) {
    w.Key(h.name).BeginObject().Key("tags").BeginObject();
    for (const auto& [k, v] : h.tags) w.Key(k).String(v);
    w.EndObject().EndObject();
  }
  w.EndObject();
  return JsonResponse(200, std::move(body));
}

HttpResponse Api::Impl::FetchMetricsForHost(const QueryParams& q) {
  std::string_view host = q.Get("hostname").value_or("");
  if (host.empty()) return CompatError(400, "Hostname is required");
  auto series = ctx.storage->Series({storage::Matcher::Equal("host", host)}, kMinTime, kMaxTime);
  if (!series.ok()) return StatusResponse(series.status());
  std::vector<std::string> names;
  for (const storage::SeriesInfo& i : *series) names.emplace_back(NakulosName(i.labels));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string body;
  JsonWriter w(&body);
  w.BeginArray();
  for (const std::string& n : names) w.String(n);
  w.EndArray();
  return JsonResponse(200, std::move(body));
}

HttpResponse Api::Impl::UpdateTags(const HttpRequest& req) {
  Body b = ParseObject(req.body);
  if (!b.error.empty()) return CompatError(400, b.error);
  std::optional<std::string_view> host = StringField(b.obj, "hostname");
  simdjson::dom::object tags_obj;
  if (!host || host->empty() || b.obj["tags"].get(tags_obj) != simdjson::SUCCESS) {
    return CompatError(400, "Both hostname and tags are required");
  }
  meta::Tags tags;
  for (auto field : tags_obj) {
    std::string_view v;
    if (field.value.get(v) != simdjson::SUCCESS) {
      return CompatError(
          400, fmt::format("tags.{}: tag values must be strings", std::string_view(field.key)));
    }
    tags[std::string(field.key)] = std::string(v);
  }
  auto existing = ctx.meta->GetHost(*host);
  if (!existing.ok()) {
    if (existing.status().code() == StatusCode::kNotFound)
      return CompatError(404, "Host not found");
    return StatusResponse(existing.status());
  }
  Status st = ctx.meta->SetHostTags(*host, tags);
  if (!st.ok()) {
    if (st.code() == StatusCode::kInvalidArgument) return CompatError(400, st.message());
    return StatusResponse(st);
  }
  return JsonResponse(200, R"({"message": "Tags updated successfully"})");
}

HttpResponse Api::Impl::RemoveHost(const HttpRequest& req) {
  Body b = ParseObject(req.body);
  if (!b.error.empty()) return CompatError(400, b.error);
  std::optional<std::string_view> host = StringField(b.obj, "hostname");
  if (!host || host->empty()) return CompatError(400, "Hostname is required");
  auto existing = ctx.meta->GetHost(*host);
  if (!existing.ok()) {
    if (existing.status().code() == StatusCode::kNotFound)
      return CompatError(404, "Host not found");
    return StatusResponse(existing.status());
  }
  // Unlike the Python system (a foreign-key 500 when the host has data), removing a host
  // removes its samples too.
  auto deleted = ctx.storage->Delete({storage::Matcher::Equal("host", *host)}, kMinTime, kMaxTime);
  if (!deleted.ok()) return StatusResponse(deleted.status());
  Status st = ctx.meta->RemoveHost(*host);
  if (!st.ok() && st.code() != StatusCode::kNotFound) return StatusResponse(st);
  std::string body;
  JsonWriter w(&body);
  w.BeginObject()
      .Key("status")
      .String("success")
      .Key("message")
      .String(fmt::format("Host {} removed successfully", *host))
      .EndObject();
  return JsonResponse(200, std::move(body));
}

HttpResponse Api::Impl::DeleteMetrics(const HttpRequest& req) {
  Body b = ParseObject(req.body);
  if (!b.error.empty()) return CompatError(400, b.error);
  std::optional<std::string_view> host = StringField(b.obj, "hostname");
  if (!host || host->empty()) return CompatError(400, "Hostname is required");
  auto existing = ctx.meta->GetHost(*host);
  if (!existing.ok()) {
    if (existing.status().code() == StatusCode::kNotFound)
      return CompatError(404, "Host not found");
    return StatusResponse(existing.status());
  }
  std::string_view metric = StringField(b.obj, "metric_name").value_or("all");
  storage::Matchers m = {storage::Matcher::Equal("host", *host)};
  if (metric != "all" && !metric.empty()) {
    const ingest::NakulosStoredName stored = ingest::NakulosStoredNameOf(metric);
    m.push_back(storage::Matcher::Equal("__name__", stored.metric));
    m.push_back(storage::Matcher::Equal(ingest::kNakulosNameLabel, stored.original));
  }
  int64_t from = kMinTime;
  int64_t to = kMaxTime;
  // The range is inclusive, in epoch seconds.
  if (auto s = SecondsField(b.obj, "start_time")) from = static_cast<int64_t>(std::ceil(*s * 1000));
  if (auto e = SecondsField(b.obj, "end_time"))
    to = static_cast<int64_t>(std::floor(*e * 1000)) + 1;
  if (from >= to) return CompatError(400, "start_time must be before end_time");
  auto deleted = ctx.storage->Delete(m, from, to);
  if (!deleted.ok()) return StatusResponse(deleted.status());
  std::string msg =
      metric != "all" && !metric.empty()
          ? fmt::format("Successfully deleted {} metrics for {} from host {}", *deleted, metric,
                        *host)
          : fmt::format("Successfully deleted {} metrics from host {}", *deleted, *host);
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("message").String(msg).EndObject();
  return JsonResponse(200, std::move(body));
}

HttpResponse Api::Impl::Aggregate() {
  // Strix builds its tiers as data ages; this runs pending tier building, compaction and
  // retention now (both GET and POST: the Python system answered POST with 405).
  Status st = ctx.storage->Compact();
  if (!st.ok()) return StatusResponse(st);
  return JsonResponse(200, R"({"status": "Data aggregation triggered successfully"})");
}

}  // namespace strix::api
