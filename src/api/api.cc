// Api: routing, authentication, the write endpoints and the shared helpers. See api.h
// and docs/api.md.
#include "api/api.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <unordered_map>
#include <utility>

#include "api/internal/api_impl.h"
#include "api/internal/live.h"
#include "api/json.h"
#include "core/config.h"
#include "core/log.h"
#include "ingest/line_protocol/line_protocol.h"
#include "ingest/nakulos/nakulos.h"
#include "ingest/pattoo/pattoo.h"

namespace strix::api {

using meta::Scope;

// ---- shared helpers ---------------------------------------------------------------------

HttpResponse SuccessResponse(std::string_view data_json) {
  HttpResponse r;
  r.body.reserve(data_json.size() + 32);
  r.body.append("{\"status\":\"success\",\"data\":");
  r.body.append(data_json);
  r.body.append("}\n");
  return r;
}

HttpResponse JsonResponse(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse BadParam(std::string_view name, std::string_view problem) {
  return ErrorResponse(400, fmt::format("parameter '{}': {}", name, problem));
}

HttpResponse StatusResponse(const Status& s) {
  std::string msg = s.ToString();
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      return ErrorResponse(400, msg);
    case StatusCode::kNotFound:
      return ErrorResponse(404, msg);
    case StatusCode::kAlreadyExists:
    case StatusCode::kAborted:
      return ErrorResponse(409, msg);
    case StatusCode::kResourceExhausted:
      return ErrorResponse(422, msg);
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded: {
      HttpResponse r = ErrorResponse(503, msg);
      r.Header("retry-after", "5");
      return r;
    }
    default:
      return ErrorResponse(500, msg);
  }
}

Result<int64_t> ParseDurationParam(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("empty duration");
  double seconds = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, seconds);
  if (ec == std::errc() && p == end) {
    if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e10) {
      return Status::InvalidArgument(fmt::format("duration {} out of range", text));
    }
    return static_cast<int64_t>(std::llround(seconds * 1000));
  }
  return config::ParseDuration(text);
}

namespace {

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM).
std::optional<int64_t> ParseRfc3339(std::string_view s) {
  auto num = [&](size_t pos, size_t len, int* out) {
    if (pos + len > s.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, mo, d, h, mi, se;
  if (s.size() < 20 || !num(0, 4, &y) || s[4] != '-' || !num(5, 2, &mo) || s[7] != '-' ||
      !num(8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !num(11, 2, &h) ||
      s[13] != ':' || !num(14, 2, &mi) || s[16] != ':' || !num(17, 2, &se)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  size_t i = 19;
  int64_t frac_ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 3) frac_ms = frac_ms * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (int k = digits; k < 3; ++k) frac_ms *= 10;
  }
  int64_t offset_s = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!num(i + 1, 2, &oh) || i + 3 >= s.size() || s[i + 3] != ':' || !num(i + 4, 2, &om)) {
      return std::nullopt;
    }
    offset_s = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_s;
  return secs * 1000 + frac_ms;
}

}  // namespace

Result<int64_t> ParseTimeParam(std::string_view text, int64_t now_ms) {
  if (text.empty()) return Status::InvalidArgument("empty time");
  if (text == "now") return now_ms;
  if (text.starts_with("now-") || text.starts_with("now+")) {
    STRIX_ASSIGN_OR_RETURN(int64_t d, config::ParseDuration(text.substr(4)));
    return text[3] == '-' ? now_ms - d : now_ms + d;
  }
  double seconds = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, seconds);
  if (ec == std::errc() && p == end) {
    // Unix seconds; the storage's range is about +-292 million years, keep to sane ones.
    if (!std::isfinite(seconds) || std::fabs(seconds) > 1e13) {
      return Status::InvalidArgument(fmt::format("time {} out of range", text));
    }
    return static_cast<int64_t>(std::llround(seconds * 1000));
  }
  if (std::optional<int64_t> t = ParseRfc3339(text)) return *t;
  return Status::InvalidArgument(fmt::format(
      "cannot parse time '{}': expected unix seconds, RFC 3339 or now[-+]<duration>", text));
}

Result<std::vector<storage::Matchers>> ParseMatchParams(const QueryParams& q, bool optional) {
  std::vector<storage::Matchers> out;
  for (std::string_view sel : q.GetAll("match[]")) {
    Result<std::vector<storage::Matcher>> m = storage::ParseMatchers(sel);
    if (!m.ok()) {
      return Status::InvalidArgument(
          fmt::format("parameter 'match[]' ({}): {}", sel, m.status().message()));
    }
    if (m->empty()) {
      return Status::InvalidArgument(
          fmt::format("parameter 'match[]' ({}): a selector needs at least one matcher", sel));
    }
    out.push_back(std::move(*m));
  }
  if (out.empty() && !optional) {
    return Status::InvalidArgument("parameter 'match[]' is required (a series selector)");
  }
  return out;
}

void WriteLabels(JsonWriter& w, const storage::Labels& labels) {
  w.BeginObject();
  for (const storage::Label& l : labels) w.Key(l.name).String(l.value);
  w.EndObject();
}

// ---- Impl ---------------------------------------------------------------------------------

Api::Impl::Impl(ApiContext c)
    : ctx(c),
      clock(c.clock != nullptr ? c.clock : &Clock::Real()),
      throttle(clock, c.login_throttle),
      live(std::make_unique<LiveHub>(
          c.storage, clock,
          [this](const std::vector<storage::Matchers>& sets, storage::SelectRequest req) {
            return SelectMerged(sets, req);
          },
          LiveOptions{.poll_interval_ms = c.live_poll_ms, .heartbeat_ms = c.live_heartbeat_ms})),
      login_pool(std::make_unique<BlockingPool>(c.login_threads, c.login_queue)) {
  if (ctx.metrics != nullptr) {
    logins_ok = ctx.metrics->RegisterCounter("strix_api_logins_total",
                                             "Successful logins at POST /api/v1/login.");
    logins_failed = ctx.metrics->RegisterCounter(
        "strix_api_login_failures_total", "Logins refused for a wrong user name or password.");
    logins_throttled = ctx.metrics->RegisterCounter(
        "strix_api_logins_throttled_total",
        "Logins refused unchecked (429) after repeated failures of the user or address.");
    samples_ingested = ctx.metrics->RegisterCounter("strix_api_samples_ingested_total",
                                                    "Samples acknowledged by the write endpoints.");
    writes_rejected_lines = ctx.metrics->RegisterCounter(
        "strix_api_rejected_items_total",
        "Lines, metrics or datapoints of write requests rejected as invalid.");
    auth_failures = ctx.metrics->RegisterCounter(
        "strix_api_auth_failures_total", "Requests refused for a missing or invalid token.");
  }
}

Api::Impl::~Impl() = default;

namespace {

void Count(Counter* c, uint64_t n = 1) {
  if (c != nullptr) c->Add(n);
}

// Records, for the metadata store, the newest sample time of every host in the batch.
// Linear in the series: consecutive series mostly share a host, and the others are found
// through a hash map (a batch may hold thousands of hosts).
void TouchHosts(meta::MetaStore* meta, const storage::WriteBatch& batch) {
  if (meta == nullptr) return;
  std::vector<meta::HostSeen> seen;
  std::unordered_map<std::string_view, size_t> index;
  size_t last = SIZE_MAX;
  for (const storage::WriteBatch::Series& s : batch.series()) {
    if (s.sample_count == 0) continue;
    storage::EncodedLabelsIterator it(batch.EncodedLabels(s));
    std::string_view name, value, host;
    while (it.Next(&name, &value)) {
      if (name == "host") {
        host = value;
        break;
      }
    }
    if (host.empty()) continue;
    int64_t newest = INT64_MIN;
    for (const auto& smp : batch.samples(s)) newest = std::max(newest, smp.ts);
    if (last == SIZE_MAX || seen[last].host != host) {
      auto [pos, inserted] = index.emplace(host, seen.size());
      if (inserted) seen.push_back({host, newest});
      last = pos->second;
    }
    seen[last].seen_ms = std::max(seen[last].seen_ms, newest);
  }
  if (seen.empty()) return;
  Status st = meta->TouchHosts(seen);
  if (!st.ok()) STRIX_LOG(kWarn, "api: recording host activity failed", "error", st.ToString());
}

HttpResponse QueueFull(int retry_after) {
  HttpResponse r = ErrorResponse(
      503, "ingest queue is full: storage is behind; retry after the Retry-After seconds");
  r.Header("retry-after", std::to_string(retry_after));
  return r;
}

HttpResponse StorageFailed(const Status& s) {
  HttpResponse r = ErrorResponse(503,
                                 "storing the batch failed, nothing of it was "
                                 "acknowledged: " +
                                     s.ToString());
  r.Header("retry-after", "5");
  return r;
}

// The 400 answer to a write with rejected parts: counts and the first errors.
// `rejected` of `total` items (lines, metrics) were invalid, and storage refused
// `refused_samples` samples of the valid ones (too old, kind conflict); the rest is stored.
HttpResponse PartialWrite(std::string_view unit, uint64_t total, uint64_t rejected,
                          uint64_t refused_samples, uint64_t stored_samples,
                          const std::vector<std::string>& errors) {
  HttpResponse r;
  r.status = 400;
  std::string msg = fmt::format("{} of {} {} rejected", rejected, total, unit);
  if (refused_samples > 0) msg += fmt::format(", {} samples refused by storage", refused_samples);
  msg += fmt::format("; {} samples stored", stored_samples);
  if (!errors.empty()) msg += "; first error: " + errors.front();
  JsonWriter w(&r.body);
  w.BeginObject()
      .Key("status")
      .String("error")
      .Key("errorType")
      .String("bad_data")
      .Key("error")
      .String(msg)
      .Key("code")  // InfluxDB clients read code and message
      .String("invalid")
      .Key("message")
      .String(msg)
      .Key("rejected")
      .Uint(rejected)
      .Key("refused_samples")
      .Uint(refused_samples)
      .Key("stored_samples")
      .Uint(stored_samples)
      .Key("errors")
      .BeginArray();
  for (const std::string& e : errors) w.String(e);
  w.EndArray().EndObject();
  r.body.push_back('\n');
  return r;
}

struct Route {
  std::string_view method;  // "" = any of `methods`
  std::string_view path;
  bool prefix;
  Access access;
  int id;
};

enum RouteId {
  kHealthy,
  kWrite,
  kWriteV2,
  kNakulosPost,
  kSelfMetrics,
  kV1Series,
  kV1Labels,
  kV1LabelValues,
  kV1Select,
  kV1Latest,
  kV1Hosts,
  kFetchLatest,
  kFetchHistory,
  kFetchHosts,
  kFetchMetricsForHost,
  kUpdateTags,
  kRemoveHost,
  kDeleteMetrics,
  kAggregateGet,
  kAggregatePost,
  kAdminFlush,
  kPattooChartData,
  kLogin,
  kLogout,
  kMe,
  kHostTags,
  kWebAsset,
  kV1Stream,
  kRoot,
};

constexpr Route kRoutes[] = {
    {"GET", "/-/healthy", false, Access::kNone, kHealthy},
    {"GET", "/-/ready", false, Access::kNone, kHealthy},
    {"GET", "/", false, Access::kNone, kRoot},
    {"POST", "/write", false, Access::kIngest, kWrite},
    {"POST", "/api/v2/write", false, Access::kIngest, kWriteV2},
    {"POST", "/metrics", false, Access::kIngest, kNakulosPost},
    {"GET", "/metrics", false, Access::kRead, kSelfMetrics},
    {"GET", "/api/v1/series", false, Access::kRead, kV1Series},
    {"GET", "/api/v1/labels", false, Access::kRead, kV1Labels},
    {"GET", "/api/v1/label/", true, Access::kRead, kV1LabelValues},
    {"GET", "/api/v1/select", false, Access::kRead, kV1Select},
    {"GET", "/api/v1/stream", false, Access::kRead, kV1Stream},
    {"GET", "/api/v1/latest", false, Access::kRead, kV1Latest},
    {"GET", "/api/v1/hosts", false, Access::kRead, kV1Hosts},
    {"PUT", "/api/v1/hosts/", true, Access::kEdit, kHostTags},
    {"POST", "/api/v1/login", false, Access::kNone, kLogin},
    {"POST", "/api/v1/logout", false, Access::kNone, kLogout},
    {"GET", "/api/v1/me", false, Access::kRead, kMe},
    {"GET", "/assets/", true, Access::kNone, kWebAsset},
    {"GET", "/favicon.svg", false, Access::kNone, kWebAsset},
    {"GET", "/fetch/latest", false, Access::kRead, kFetchLatest},
    {"GET", "/fetch/history/", true, Access::kRead, kFetchHistory},
    {"GET", "/fetch/hosts", false, Access::kRead, kFetchHosts},
    {"GET", "/fetch/metrics_for_host", false, Access::kRead, kFetchMetricsForHost},
    {"POST", "/update_tags", false, Access::kAdmin, kUpdateTags},
    {"POST", "/remove_host", false, Access::kAdmin, kRemoveHost},
    {"POST", "/delete_metrics", false, Access::kAdmin, kDeleteMetrics},
    {"GET", "/aggregate", false, Access::kAdmin, kAggregateGet},
    {"POST", "/aggregate", false, Access::kAdmin, kAggregatePost},
    {"POST", "/api/v1/admin/flush", false, Access::kAdmin, kAdminFlush},
    {"GET", "/pattoo/api/v1/web/rest/data/", true, Access::kRead, kPattooChartData},
};

bool PathMatches(const Route& r, std::string_view path) {
  return r.prefix ? path.starts_with(r.path) && path.size() > r.path.size() : path == r.path;
}

// Splits "a/b" (percent-encoded) into two decoded segments.
bool SplitTwo(std::string_view rest, std::string* a, std::string* b) {
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= rest.size()) return false;
  auto da = PercentDecode(rest.substr(0, slash), false);
  auto db = PercentDecode(rest.substr(slash + 1), false);
  if (!da.ok() || !db.ok() || db->find('/') != std::string::npos) return false;
  *a = std::move(*da);
  *b = std::move(*db);
  return true;
}

}  // namespace

// ---- ingest -------------------------------------------------------------------------------

void Api::Impl::SubmitBatch(
    std::unique_ptr<storage::WriteBatch> batch,
    std::function<HttpResponse(const storage::AppendResult&, const storage::WriteBatch&)> finish,
    Respond respond) {
  TouchHosts(ctx.meta, *batch);
  Counter* ingested = samples_ingested;
  auto done = [finish = std::move(finish), respond, ingested](
                  Result<storage::AppendResult> r, const storage::WriteBatch& b) mutable {
    if (!r.ok()) {
      respond(StorageFailed(r.status()));
      return;
    }
    Count(ingested, r->accepted);
    respond(finish(*r, b));
  };
  if (!ctx.queue->Submit(std::move(batch), std::move(done))) {
    respond(QueueFull(ctx.retry_after_seconds));
  }
}

void Api::Impl::WriteLineProtocol(HttpRequest& req, const QueryParams& q, Respond respond) {
  ingest::ParseOptions opts;
  opts.max_errors = ctx.max_errors;
  Result<ingest::Precision> prec = ingest::ParsePrecision(q.Get("precision").value_or(""));
  if (!prec.ok()) {
    respond(BadParam("precision", prec.status().message()));
    return;
  }
  opts.precision = *prec;
  std::unique_ptr<storage::WriteBatch> batch = ctx.queue->AcquireBatch();
  ingest::ParseStats stats;
  ingest::LineProtocolParser parser(opts);
  Status st = parser.Parse(req.body, NowMs(), batch.get(), &stats);
  if (!st.ok()) {
    ctx.queue->ReleaseBatch(std::move(batch));
    respond(ErrorResponse(400, st.ToString()));
    return;
  }
  Count(writes_rejected_lines, stats.rejected_lines);
  std::vector<std::string> errors;
  for (const ingest::LineError& e : stats.first_errors) errors.push_back(e.ToString());
  if (batch->empty()) {
    ctx.queue->ReleaseBatch(std::move(batch));
    if (stats.rejected_lines == 0) {
      HttpResponse r;
      r.status = 204;
      respond(std::move(r));
    } else {
      respond(PartialWrite("lines", stats.lines, stats.rejected_lines, 0, 0, errors));
    }
    return;
  }
  const size_t max_errors = ctx.max_errors;
  auto finish = [stats = std::move(stats), errors = std::move(errors), max_errors](
                    const storage::AppendResult& a, const storage::WriteBatch&) mutable {
    if (stats.rejected_lines == 0 && a.rejected == 0) {
      HttpResponse r;
      r.status = 204;
      return r;
    }
    // Storage's rejections (too old, kind conflict, ...) name the line through the tag.
    for (const storage::Rejection& rej : a.first_rejections) {
      if (errors.size() >= max_errors) break;
      errors.push_back(fmt::format("line {}: {}", rej.series_tag, rej.reason.message()));
    }
    std::stable_sort(errors.begin(), errors.end(), [](const std::string& x, const std::string& y) {
      auto line_of = [](const std::string& e) {
        uint64_t n = 0;
        std::from_chars(e.data() + 5, e.data() + e.size(), n);  // after "line "
        return n;
      };
      return line_of(x) < line_of(y);
    });
    return PartialWrite("lines", stats.lines, stats.rejected_lines, a.rejected, a.accepted, errors);
  };
  SubmitBatch(std::move(batch), std::move(finish), std::move(respond));
}

void Api::Impl::WriteNakulos(HttpRequest& req, Respond respond) {
  // One parser per worker thread: it keeps simdjson's buffers across posts.
  thread_local ingest::NakulosParser parser(ingest::NakulosParseOptions{ctx.max_errors});
  std::unique_ptr<storage::WriteBatch> batch = ctx.queue->AcquireBatch();
  ingest::NakulosParseResult res;
  Status st = parser.Parse(req.body, NowMs(), batch.get(), &res);
  if (!st.ok()) {
    // The Python system answered 500 here; a client error is a 400 that says where.
    ctx.queue->ReleaseBatch(std::move(batch));
    respond(ErrorResponse(400, st.message()));
    return;
  }
  Count(writes_rejected_lines, res.rejected);
  if (res.tags_present) {
    // "A host's tags change only when a post carries tags" (spec A13.1 fixed).
    meta::Tags tags(res.tags.begin(), res.tags.end());
    Status ts = ctx.meta->SetHostTags(res.hostname, tags);
    if (!ts.ok()) {
      ctx.queue->ReleaseBatch(std::move(batch));
      respond(ts.code() == StatusCode::kInvalidArgument
                  ? ErrorResponse(400, "tags: " + ts.ToString())
                  : StatusResponse(ts));
      return;
    }
  }
  auto answer = [](const ingest::NakulosParseResult& r) {
    if (r.rejected == 0) {
      HttpResponse ok;
      ok.content_type = std::string(ingest::kNakulosContentType);
      ok.body = std::string(ingest::kNakulosReceivedBody);
      return ok;
    }
    HttpResponse bad;
    bad.status = 400;
    bad.body = ingest::NakulosRejectionBody(r);
    return bad;
  };
  if (batch->empty()) {
    ctx.queue->ReleaseBatch(std::move(batch));
    respond(answer(res));
    return;
  }
  const size_t max_errors = ctx.max_errors;
  auto finish = [res = std::move(res), max_errors, answer](const storage::AppendResult& a,
                                                           const storage::WriteBatch& b) mutable {
    ingest::NakulosCountStorageRejections(a.rejected, &res);
    for (const storage::Rejection& rej : a.first_rejections) {
      ingest::NakulosNoteStorageRejection(b, rej.series_tag, rej.reason.message(), &res,
                                          max_errors);
    }
    return answer(res);
  };
  SubmitBatch(std::move(batch), std::move(finish), std::move(respond));
}

// ---- Api ----------------------------------------------------------------------------------

Api::Api(ApiContext ctx) : impl_(std::make_unique<Impl>(ctx)) {}
Api::~Api() { Stop(); }

void Api::Stop() {
  Impl& im = *impl_;
  if (im.stopping.exchange(true)) return;
  im.live.reset();
  im.login_pool.reset();
}

void Api::Handle(HttpRequest req, Respond respond) {
  Impl& im = *impl_;
  const std::string_view path = req.path();
  const Route* route = nullptr;
  std::string allow;
  for (const Route& r : kRoutes) {
    if (!PathMatches(r, path)) continue;
    if (r.method == req.method || (req.method == "HEAD" && r.method == "GET")) {
      route = &r;
      break;
    }
    if (!allow.empty()) allow += ", ";
    allow += r.method;
  }
  if (route == nullptr) {
    if (!allow.empty()) {
      HttpResponse r = ErrorResponse(
          405, fmt::format("method {} not allowed on {}; allowed: {}", req.method, path, allow));
      r.Header("allow", allow);
      respond(std::move(r));
    } else {
      respond(ErrorResponse(404, fmt::format("no such endpoint: {} {}", req.method, path)));
    }
    return;
  }
  Result<QueryParams> q = QueryParams::Parse(req.query());
  if (!q.ok()) {
    respond(ErrorResponse(400, q.status().message()));
    return;
  }
  if (im.stopping.load()) {
    HttpResponse r = ErrorResponse(503, "strixd is stopping");
    r.Header("retry-after", "5");
    respond(std::move(r));
    return;
  }
  Caller caller;
  if (route->access != Access::kNone) {
    std::optional<HttpResponse> refused =
        im.Authorize(req, route->id == kWrite ? &*q : nullptr, route->access, &caller);
    if (refused) {
      respond(std::move(*refused));
      return;
    }
  }

  HttpResponse out;
  switch (route->id) {
    case kHealthy:
      out.content_type = "text/plain; charset=utf-8";
      out.body = "OK\n";
      break;
    case kRoot:
    case kWebAsset:
      out = im.WebFile(path);
      break;
    case kLogin:
      im.Login(req, std::move(respond));
      return;
    case kLogout:
      out = im.Logout(req);
      break;
    case kMe:
      out = im.Me(caller);
      break;
    case kHostTags: {
      std::string_view rest = path.substr(std::string_view("/api/v1/hosts/").size());
      if (!rest.ends_with("/tags") || rest.size() <= 5) {
        out = ErrorResponse(404, fmt::format("no such endpoint: {} {}", req.method, path));
        break;
      }
      Result<std::string> host = PercentDecode(rest.substr(0, rest.size() - 5), false);
      out = host.ok() ? im.PutHostTags(*host, req, caller)
                      : ErrorResponse(400, host.status().message());
      break;
    }
    case kWrite:
    case kWriteV2:
      im.WriteLineProtocol(req, *q, std::move(respond));
      return;
    case kNakulosPost:
      im.WriteNakulos(req, std::move(respond));
      return;
    case kSelfMetrics:
      out.content_type = "text/plain; version=0.0.4; charset=utf-8";
      out.body = im.ctx.metrics != nullptr ? im.ctx.metrics->Render() : std::string();
      break;
    case kV1Series:
      out = im.V1Series(*q);
      break;
    case kV1Labels:
      out = im.V1Labels(*q);
      break;
    case kV1LabelValues: {
      std::string_view rest = path.substr(std::string_view("/api/v1/label/").size());
      if (!rest.ends_with("/values") || rest.size() <= 7) {
        out = ErrorResponse(404, fmt::format("no such endpoint: {} {}", req.method, path));
        break;
      }
      Result<std::string> name = PercentDecode(rest.substr(0, rest.size() - 7), false);
      out = name.ok() ? im.V1LabelValues(*name, *q) : ErrorResponse(400, name.status().message());
      break;
    }
    case kV1Select:
      out = im.V1Select(*q);
      break;
    case kV1Stream:
      out = im.V1Stream(*q, caller);
      break;
    case kV1Latest:
      out = im.V1Latest(*q);
      break;
    case kV1Hosts:
      out = im.V1Hosts(*q);
      break;
    case kFetchLatest:
      out = im.FetchLatest();
      break;
    case kFetchHistory: {
      std::string host, metric;
      if (!SplitTwo(path.substr(std::string_view("/fetch/history/").size()), &host, &metric)) {
        out = ErrorResponse(404, "expected /fetch/history/<hostname>/<metric_name>");
        break;
      }
      out = im.FetchHistory(host, metric, *q);
      break;
    }
    case kFetchHosts:
      out = im.FetchHosts();
      break;
    case kFetchMetricsForHost:
      out = im.FetchMetricsForHost(*q);
      break;
    case kUpdateTags:
      out = im.UpdateTags(req);
      break;
    case kRemoveHost:
      out = im.RemoveHost(req);
      break;
    case kDeleteMetrics:
      out = im.DeleteMetrics(req);
      break;
    case kPattooChartData: {
      Result<std::string> idx = PercentDecode(
          path.substr(std::string_view("/pattoo/api/v1/web/rest/data/").size()), false);
      out = idx.ok() ? im.PattooChartData(*idx, *q) : ErrorResponse(400, idx.status().message());
      break;
    }
    case kAggregateGet:
    case kAggregatePost:
      out = im.Aggregate();
      break;
    case kAdminFlush:
      out = im.AdminFlush();
      break;
    default:
      out = ErrorResponse(500, "unrouted endpoint");
      break;
  }
  respond(std::move(out));
}

// ---- the pattoo agent listener ------------------------------------------------------------

struct PattooAgentListener::Impl {
  explicit Impl(ApiContext c) : ctx(c), clock(c.clock != nullptr ? c.clock : &Clock::Real()) {
    if (ctx.metrics != nullptr) {
      ingested = ctx.metrics->RegisterCounter("strix_pattoo_samples_ingested_total",
                                              "Samples acknowledged on the pattoo agent API.");
      rejected = ctx.metrics->RegisterCounter("strix_pattoo_rejected_posts_total",
                                              "pattoo agent posts refused as invalid.");
    }
  }
  ApiContext ctx;
  Clock* clock;
  Counter* ingested = nullptr;
  Counter* rejected = nullptr;
};

PattooAgentListener::PattooAgentListener(ApiContext ctx) : impl_(std::make_unique<Impl>(ctx)) {}
PattooAgentListener::~PattooAgentListener() = default;

void PattooAgentListener::Handle(HttpRequest req, Respond respond) {
  Impl& im = *impl_;
  // One parser per worker thread: it keeps simdjson's buffers across posts.
  thread_local ingest::PattooAgentApi api;
  std::unique_ptr<storage::WriteBatch> batch = im.ctx.queue->AcquireBatch();
  ingest::PattooParseStats stats;
  ingest::PattooApiRequest preq{req.method, req.target, req.header("content-type"), req.body};
  ingest::PattooApiResponse pres = api.Handle(preq, batch.get(), &stats);
  auto to_http = [](const ingest::PattooApiResponse& p) {
    HttpResponse r;
    r.status = p.status;
    r.content_type = p.content_type;
    r.body = p.body;
    if (!p.allow.empty()) r.Header("allow", p.allow);
    return r;
  };
  if (!pres.store_batch || batch->empty()) {
    if (pres.route == ingest::PattooRoute::kReceive && pres.status != 200) Count(im.rejected);
    im.ctx.queue->ReleaseBatch(std::move(batch));
    respond(to_http(pres));
    return;
  }
  TouchHosts(im.ctx.meta, *batch);
  Counter* ingested = im.ingested;
  HttpResponse ok = to_http(pres);
  auto done = [ok = std::move(ok), respond, to_http, ingested](
                  Result<storage::AppendResult> r, const storage::WriteBatch& b) mutable {
    if (!r.ok()) {
      STRIX_LOG(kWarn, "pattoo: storing a post failed", "error", r.status().ToString());
      respond(to_http(ingest::PattooAgentApi::StorageFailureResponse()));
      return;
    }
    Count(ingested, r->accepted);
    respond(std::move(ok));
  };
  if (!im.ctx.queue->Submit(std::move(batch), std::move(done))) {
    // pattoo agents keep a post they could not deliver and send it again later.
    respond(to_http(ingest::PattooAgentApi::StorageFailureResponse()));
  }
}

}  // namespace strix::api
