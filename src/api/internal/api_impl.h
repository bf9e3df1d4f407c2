// The parts of Api shared by its translation units: api.cc (routing, auth, ingest,
// self-metrics), query_v1.cc (/api/v1/) and compat_nakulos.cc (/fetch/* and the Python
// monitoring system's admin endpoints). Private to src/api.
#pragma once

#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api.h"
#include "api/blocking_pool.h"
#include "api/login_throttle.h"
#include "api/query_params.h"
#include "meta/meta_store.h"
#include "meta/principal.h"
#include "storage/storage.h"

namespace strix::api {

// What an endpoint needs of its caller. Tokens: ingest, read and admin are their scopes,
// and edit needs admin. Sessions: every role reads, edit needs editor or admin, admin
// needs admin, and ingest is never granted (agents use tokens).
enum class Access { kNone, kIngest, kRead, kEdit, kAdmin };

// Who sent a request: an API token, or a logged-in user's browser session.
struct Caller {
  bool authenticated = false;
  meta::Principal principal;                 // kind kToken or kSession
  std::optional<meta::SessionInfo> session;  // set for kSession
  std::string credential;                    // the token or cookie value it came with
};

// The series of a select over several selectors, merged and ordered by their labels.
using SelectedSeries = std::map<std::string, storage::SeriesData>;

class LiveHub;

struct Api::Impl {
  explicit Impl(ApiContext c);
  ~Impl();

  ApiContext ctx;
  Clock* clock;

  // Self-metrics of the API.
  Counter* samples_ingested = nullptr;
  Counter* writes_rejected_lines = nullptr;
  Counter* auth_failures = nullptr;
  Counter* logins_ok = nullptr;
  Counter* logins_failed = nullptr;
  Counter* logins_throttled = nullptr;

  LoginThrottle throttle;
  // Set by Api::Stop(): queued logins answer 503 without their argon2id check.
  std::atomic<bool> stopping{false};
  std::unique_ptr<LiveHub> live;
  // Last: destroyed first, so that queued logins finish while the rest still exists.
  std::unique_ptr<BlockingPool> login_pool;

  int64_t NowMs() const { return clock->NowMillis(); }

  // ---- ingest (api.cc)
  void WriteLineProtocol(HttpRequest& req, const QueryParams& q, Respond respond);
  void WriteNakulos(HttpRequest& req, Respond respond);
  // Hands a parsed batch to the queue; `finish` turns the append result into the answer.
  void SubmitBatch(
      std::unique_ptr<storage::WriteBatch> batch,
      std::function<HttpResponse(const storage::AppendResult&, const storage::WriteBatch&)> finish,
      Respond respond);

  // ---- users, sessions and the web UI (auth.cc)
  // Checks the token or session cookie of `req` against `access`. Returns the refusal
  // (401, 403) or nullopt with *caller filled. `token_query` allows ?p=<token>.
  std::optional<HttpResponse> Authorize(const HttpRequest& req, const QueryParams* token_query,
                                        Access access, Caller* caller);
  // POST /api/v1/login: the password check runs on login_pool; answers from there.
  void Login(const HttpRequest& req, Respond respond);
  HttpResponse Logout(const HttpRequest& req);
  HttpResponse Me(const Caller& caller);
  // PUT /api/v1/hosts/<host>/tags
  HttpResponse PutHostTags(std::string_view host, const HttpRequest& req, const Caller& caller);
  // GET / and /assets/<file>: the web UI's built files from ctx.web_dir.
  HttpResponse WebFile(std::string_view path);

  // ---- /api/v1/ (query_v1.cc)
  HttpResponse V1Series(const QueryParams& q);
  HttpResponse V1Labels(const QueryParams& q);
  HttpResponse V1LabelValues(std::string_view name, const QueryParams& q);
  HttpResponse V1Select(const QueryParams& q);
  Result<SelectedSeries> SelectMerged(const std::vector<storage::Matchers>& sets,
                                      storage::SelectRequest req);
  // GET /api/v1/stream: server-sent events of new points (live.cc).
  HttpResponse V1Stream(const QueryParams& q, const Caller& caller);
  HttpResponse V1Latest(const QueryParams& q);
  HttpResponse V1Hosts(const QueryParams& q);
  // POST /api/v1/admin/flush: the head to blocks, then compaction; waits for both.
  HttpResponse AdminFlush();

  // ---- the Python monitoring system (compat_nakulos.cc)
  HttpResponse FetchLatest();
  HttpResponse FetchHistory(std::string_view host, std::string_view metric, const QueryParams& q);
  HttpResponse FetchHosts();
  HttpResponse FetchMetricsForHost(const QueryParams& q);
  HttpResponse UpdateTags(const HttpRequest& req);
  HttpResponse RemoveHost(const HttpRequest& req);
  HttpResponse DeleteMetrics(const HttpRequest& req);
  HttpResponse Aggregate();

  // ---- pattoo's chart data (compat_pattoo.cc)
  HttpResponse PattooChartData(std::string_view idx, const QueryParams& q);
};

// pattoo's idx_datapoint for a series of the pattoo agent API: a stable 53-bit id of its
// identity (pattoo_agent_id, pattoo_agent_polled_target, pattoo_checksum), never 0.
uint64_t PattooDatapointIdx(const storage::Labels& labels);

// ---- helpers shared by the handlers (api.cc)

// {"status":"success","data":<data>}
HttpResponse SuccessResponse(std::string_view data_json);
// A JSON body as the Python monitoring system answers: the given object, status code.
HttpResponse JsonResponse(int status, std::string body);
// 400 naming the parameter.
HttpResponse BadParam(std::string_view name, std::string_view problem);
// The Status of a storage or metadata call as an HTTP error (one mapping for all).
HttpResponse StatusResponse(const Status& s);

// Times: unix seconds (integer or fraction), RFC 3339 ("2026-12-05T07:00:00Z",
// "...+01:00", fractions allowed), "now", or "now-<duration>" / "now+<duration>".
Result<int64_t> ParseTimeParam(std::string_view text, int64_t now_ms);
// Steps and durations: "300" (seconds), "1.5" or "5m", "1h30m", "250ms".
Result<int64_t> ParseDurationParam(std::string_view text);
// Every match[] selector (at least one unless `optional`), parsed.
Result<std::vector<storage::Matchers>> ParseMatchParams(const QueryParams& q, bool optional);
// Writes labels as a JSON object.
class JsonWriter;
void WriteLabels(JsonWriter& w, const storage::Labels& labels);
// step, fn and minmax of select and stream; the 400 answer for a bad one.
std::optional<HttpResponse> ParseSelectOptions(const QueryParams& q, storage::SelectRequest* req);
// select's data object: {"from","to","step","fn","series":[...]}.
void WriteSelectData(JsonWriter& w, const storage::SelectRequest& req,
                     const SelectedSeries& merged);

}  // namespace strix::api
