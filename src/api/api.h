// Api: everything strixd answers on its main listener (docs/api.md), as one HttpHandler:
// routing, authentication by token and scope, the ingest endpoints (line protocol; the
// Python monitoring system's POST /metrics), Strix's /api/v1/ queries, the Python
// monitoring system's read and admin endpoints, and GET /metrics (self-metrics).
//
// PattooAgentListener is the opt-in pattoo agent API listener: pattoo's routes only, no
// auth (pattoo agents cannot send tokens), byte-compatible answers.
//
// Writes are answered only once durable: the handler parses the body into a batch on the
// HTTP worker, hands it to the IngestQueue, and the queue's writer answers after
// Storage::Append. A full queue is 503 with Retry-After.
//
// Thread-safety: Handle() is called concurrently by the HTTP workers; everything it
// touches (storage, metadata store, queue, self-metrics) is thread-safe.
#pragma once

#include <memory>
#include <string>

#include "api/http.h"
#include "api/login_throttle.h"
#include "api/self_metrics.h"
#include "core/clock.h"
#include "ingest/queue/ingest_queue.h"
#include "meta/meta_store.h"
#include "storage/storage.h"

namespace strix::api {

struct ApiContext {
  storage::Storage* storage = nullptr;
  meta::MetaStore* meta = nullptr;
  ingest::IngestQueue* queue = nullptr;
  SelfMetrics* metrics = nullptr;
  Clock* clock = nullptr;  // null: Clock::Real()
  // Errors listed in the 400 answer to a partly invalid write.
  size_t max_errors = 10;
  // Seconds a client is told to wait (Retry-After) when the ingest queue is full.
  int retry_after_seconds = 1;
  // The largest number of series one query may return (400 beyond it).
  size_t max_series_per_query = 100'000;
  // Browser sessions (POST /api/v1/login) last this long.
  int64_t session_ttl_ms = 12 * 3600 * 1000;
  // Mark the session cookie Secure even on plain HTTP: strixd behind a proxy that ends
  // TLS. (Over strixd's own TLS it is always Secure.)
  bool secure_cookie = false;
  // Threads checking login passwords (argon2id: about 0.1 s and 64 MiB each), and the
  // logins that may wait for them before 503.
  size_t login_threads = 2;
  size_t login_queue = 64;
  LoginThrottleOptions login_throttle;
  // Live streams (GET /api/v1/stream): how often storage is checked for new samples, and
  // how often an idle stream gets a heartbeat and its caller is checked again.
  int64_t live_poll_ms = 1'000;
  int64_t live_heartbeat_ms = 15'000;
  // The web UI's built files (index.html, assets/), served at /; empty: not served.
  std::string web_dir;
};

class Api : public HttpHandler {
 public:
  explicit Api(ApiContext ctx);
  ~Api() override;
  void Handle(HttpRequest req, Respond respond) override;
  // Ends the background work before storage and metadata close: closes the live streams
  // and joins their thread, answers queued logins 503 without checking them, and joins the
  // login threads. Call after the HTTP server's Stop(); later requests get 503.
  void Stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

class PattooAgentListener : public HttpHandler {
 public:
  explicit PattooAgentListener(ApiContext ctx);
  ~PattooAgentListener() override;
  void Handle(HttpRequest req, Respond respond) override;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace strix::api
