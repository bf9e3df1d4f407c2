// Strixd: see strixd.h.
#include "server/strixd.h"

#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/api.h"
#include "api/self_metrics.h"
#include "core/log.h"
#include "ingest/queue/ingest_queue.h"
#include "meta/meta_store.h"
#include "server/http/http_server.h"
#include "storage/engine.h"

namespace strix::server {

LogLevel ParseLogLevel(const std::string& word) {
  if (word == "debug") return LogLevel::kDebug;
  if (word == "warn") return LogLevel::kWarn;
  if (word == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

namespace {

http::HttpServerOptions ToHttpOptions(const ListenerConfig& l, const char* name) {
  http::HttpServerOptions o;
  o.name = name;
  o.address = l.address;
  o.port = l.port;
  o.threads = l.threads;
  o.max_header_bytes = l.max_header_bytes;
  o.max_body_bytes = l.max_body_bytes;
  o.read_timeout = std::chrono::milliseconds(l.read_timeout_ms);
  o.idle_timeout = std::chrono::milliseconds(l.idle_timeout_ms);
  o.tls_cert_file = l.tls_cert_file;
  o.tls_key_file = l.tls_key_file;
  return o;
}

std::string MachineHostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "strixd";
  return buf;
}

}  // namespace

struct Strixd::Impl {
  StrixdConfig config;
  std::string self_host;
  std::unique_ptr<storage::Storage> storage;
  std::unique_ptr<meta::MetaStore> meta;
  std::unique_ptr<ingest::IngestQueue> queue;
  api::SelfMetrics metrics;
  std::unique_ptr<api::Api> api;
  std::unique_ptr<api::PattooAgentListener> pattoo;
  std::unique_ptr<http::HttpServer> api_server;
  std::unique_ptr<http::HttpServer> pattoo_server;

  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  int64_t self_interval_ms = 0;
  std::thread housekeeping;
  bool stopped = false;

  void RegisterCollectors();
  void Housekeeping();
  void StoreSelfMetrics();
};

void Strixd::Impl::RegisterCollectors() {
  using api::MetricFamily;
  metrics.RegisterCollector([this](std::vector<MetricFamily>* out) {
    auto gauge = [&](std::string name, std::string help, double v,
                     std::vector<std::pair<std::string, std::string>> labels = {}) {
      MetricFamily f;
      f.name = std::move(name);
      f.help = std::move(help);
      f.samples.push_back({std::move(labels), v, 0});
      out->push_back(std::move(f));
    };
    auto counter = [&](std::string name, std::string help, uint64_t v) {
      MetricFamily f;
      f.name = std::move(name);
      f.help = std::move(help);
      f.type = MetricFamily::Type::kCounter;
      f.samples.push_back({{}, static_cast<double>(v), v});
      out->push_back(std::move(f));
    };
    ingest::IngestQueueStats q = queue->stats();
    gauge("strix_ingest_queue_batches", "Write batches waiting for storage.",
          static_cast<double>(q.queued_batches));
    gauge("strix_ingest_queue_bytes", "Bytes of write batches held by the ingest queue.",
          static_cast<double>(q.held_bytes));
    counter("strix_ingest_batches_refused_total", "Write batches refused (503) on a full queue.",
            q.batches_refused);
    counter("strix_ingest_batches_failed_total", "Write batches storage failed to append.",
            q.batches_failed);
    counter("strix_ingest_samples_accepted_total", "Samples made durable by the ingest queue.",
            q.samples_accepted);
    counter("strix_ingest_samples_rejected_total",
            "Samples storage refused (too old, kind conflict, invalid).", q.samples_rejected);

    storage::StorageStats s = storage->Stats();
    gauge("strix_storage_series", "Active series in the head.", static_cast<double>(s.series));
    gauge("strix_storage_head_bytes", "Memory held by the head.",
          static_cast<double>(s.head_bytes));
    gauge("strix_storage_wal_bytes", "Bytes of the write-ahead log.",
          static_cast<double>(s.wal_bytes));
    gauge("strix_storage_disk_bytes", "Bytes of the data directory.",
          static_cast<double>(s.disk_bytes));
    gauge("strix_storage_ingest_samples_per_second", "Storage ingest rate over recent minutes.",
          s.ingest_samples_per_second);
    counter("strix_storage_samples_appended_total", "Samples appended since start.",
            s.samples_appended);
    counter("strix_storage_compactions_failed_total", "Failed compactions since start.",
            s.compactions_failed);
    {
      MetricFamily f;
      f.name = "strix_storage_tier_bytes";
      f.help = "Bytes on disk per tier.";
      MetricFamily d;
      d.name = "strix_storage_tier_forecast_days";
      d.help = "Days of history each tier will hold at the current ingest rate.";
      for (const storage::TierStats& t : s.tiers) {
        f.samples.push_back({{{"tier", t.name}}, static_cast<double>(t.bytes), 0});
        d.samples.push_back({{{"tier", t.name}}, t.forecast_days, 0});
      }
      out->push_back(std::move(f));
      out->push_back(std::move(d));
    }
    if (!s.wal_fsync_counts.empty()) {
      MetricFamily h;
      h.name = "strix_wal_fsync_seconds";
      h.help = "Latency of the write-ahead log's fdatasync calls.";
      h.type = MetricFamily::Type::kHistogram;
      MetricFamily::Histogram hist;
      for (uint64_t b : s.wal_fsync_bounds_us) hist.bounds.push_back(static_cast<double>(b) / 1e6);
      hist.counts = s.wal_fsync_counts;
      hist.sum = static_cast<double>(s.wal_fsync_sum_us) / 1e6;
      h.histograms.push_back(std::move(hist));
      out->push_back(std::move(h));
    }
    auto http_stats = [&](const http::HttpServer* srv, const char* listener) {
      if (srv == nullptr) return;
      http::HttpServerStats st = srv->stats();
      for (const http::HttpServerStats::Metric& m : st.Metrics()) {
        MetricFamily f;
        f.name = "strix_http_" + std::string(m.name);
        f.help = std::string(m.help);
        f.type = m.gauge ? MetricFamily::Type::kGauge : MetricFamily::Type::kCounter;
        f.samples.push_back({{{"listener", listener}}, static_cast<double>(m.value), m.value});
        out->push_back(std::move(f));
      }
      MetricFamily codes;
      codes.name = "strix_http_responses_total";
      codes.help = "HTTP responses written, by status code.";
      codes.type = MetricFamily::Type::kCounter;
      for (const auto& [code, n] : st.responses) {
        codes.samples.push_back(
            {{{"listener", listener}, {"code", std::to_string(code)}}, static_cast<double>(n), n});
      }
      out->push_back(std::move(codes));
    };
    http_stats(api_server.get(), "api");
    http_stats(pattoo_server.get(), "pattoo");
  });
}

void Strixd::Impl::StoreSelfMetrics() {
  std::unique_ptr<storage::WriteBatch> batch = queue->AcquireBatch();
  const int64_t now = Clock::Real().NowMillis();
  metrics.AppendTo(batch.get(), now, self_host);
  // The server is a host like any other: listed, with a last-seen time.
  const meta::HostSeen seen[] = {{self_host, now}};
  Status ts = meta->TouchHosts(seen);
  if (!ts.ok()) STRIX_LOG(kWarn, "strixd: recording own activity failed", "error", ts.ToString());
  // Straight to storage: self-metrics must not compete with clients for queue room.
  Result<storage::AppendResult> r = storage->Append(*batch);
  if (!r.ok())
    STRIX_LOG(kWarn, "strixd: storing self-metrics failed", "error", r.status().ToString());
  queue->ReleaseBatch(std::move(batch));
}

void Strixd::Impl::Housekeeping() {
  constexpr int64_t kFlushMetaMs = 5'000;
  int64_t next_meta = Clock::Real().MonotonicNanos() / 1'000'000 + kFlushMetaMs;
  int64_t next_self = 0;
  std::unique_lock<std::mutex> l(mu);
  while (!stopping) {
    const int64_t now = Clock::Real().MonotonicNanos() / 1'000'000;
    if (self_interval_ms > 0 && now >= next_self) {
      l.unlock();
      StoreSelfMetrics();
      l.lock();
      next_self = now + self_interval_ms;
    }
    if (now >= next_meta) {
      l.unlock();
      Status st = meta->FlushActivity();
      if (!st.ok())
        STRIX_LOG(kWarn, "strixd: flushing host activity failed", "error", st.ToString());
      l.lock();
      next_meta = now + kFlushMetaMs;
    }
    int64_t wake = next_meta;
    if (self_interval_ms > 0) wake = std::min(wake, next_self);
    cv.wait_for(l, std::chrono::milliseconds(std::max<int64_t>(10, wake - now)));
  }
}

Strixd::Strixd(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Strixd::~Strixd() { Stop().IgnoreError(); }

Result<std::unique_ptr<Strixd>> Strixd::Start(const StrixdConfig& config) {
  auto im = std::make_unique<Impl>();
  im->config = config;
  im->self_host = config.self_metrics.host.empty() ? MachineHostName() : config.self_metrics.host;
  Env& env = Env::Default();
  STRIX_RETURN_IF_ERROR(env.CreateDirs(config.data_dir));
  STRIX_ASSIGN_OR_RETURN(im->storage, storage::OpenEmbedded(config.StorageDir(), config.storage));
  STRIX_ASSIGN_OR_RETURN(im->meta, meta::MetaStore::Open(config.MetadataPath()));
  ingest::IngestQueueOptions qo;
  qo.max_bytes = config.ingest.queue_bytes;
  qo.writers = config.ingest.writers;
  im->queue = std::make_unique<ingest::IngestQueue>(im->storage.get(), qo);
  im->RegisterCollectors();

  api::ApiContext ctx;
  ctx.storage = im->storage.get();
  ctx.meta = im->meta.get();
  ctx.queue = im->queue.get();
  ctx.metrics = &im->metrics;
  ctx.max_errors = config.ingest.max_errors;
  ctx.web_dir = config.web.dir;
  ctx.session_ttl_ms = config.web.session_ttl_ms;
  ctx.secure_cookie = config.web.secure_cookie;
  im->api = std::make_unique<api::Api>(ctx);
  std::unique_ptr<Strixd> d(new Strixd(std::move(im)));
  Impl& m = *d->impl_;
  STRIX_ASSIGN_OR_RETURN(m.api_server,
                         http::HttpServer::Start(ToHttpOptions(config.api, "api"), m.api.get()));
  if (config.pattoo.enabled) {
    m.pattoo = std::make_unique<api::PattooAgentListener>(ctx);
    STRIX_ASSIGN_OR_RETURN(
        m.pattoo_server,
        http::HttpServer::Start(ToHttpOptions(config.pattoo.listener, "pattoo"), m.pattoo.get()));
    if (config.pattoo.listener.address != "127.0.0.1" && config.pattoo.listener.address != "::1") {
      STRIX_LOG(kWarn,
                "strixd: the pattoo agent listener has no authentication and is not on loopback",
                "address", config.pattoo.listener.address);
    }
  }
  m.self_interval_ms = config.self_metrics.interval_ms;
  m.housekeeping = std::thread([&m] { m.Housekeeping(); });
  STRIX_LOG(kInfo, "strixd: started", "api",
            fmt::format("{}:{}", config.api.address, m.api_server->port()), "tls",
            config.api.tls_cert_file.empty() ? "no" : "yes", "pattoo",
            m.pattoo_server ? std::to_string(m.pattoo_server->port()) : std::string("off"),
            "data_dir", config.data_dir);
  return d;
}

void Strixd::Reload(const StrixdConfig& config) {
  Impl& m = *impl_;
  log::SetLevel(ParseLogLevel(config.log_level));
  {
    std::lock_guard<std::mutex> l(m.mu);
    m.self_interval_ms = config.self_metrics.interval_ms;
    m.cv.notify_all();
  }
  const StrixdConfig& old = m.config;
  auto note = [](bool changed, const char* what) {
    if (changed) STRIX_LOG(kWarn, "strixd: reload: this change needs a restart", "setting", what);
  };
  note(old.data_dir != config.data_dir, "data_dir");
  note(old.api.address != config.api.address || old.api.port != config.api.port ||
           old.api.tls_cert_file != config.api.tls_cert_file ||
           old.api.tls_key_file != config.api.tls_key_file,
       "listen");
  note(old.pattoo.enabled != config.pattoo.enabled ||
           old.pattoo.listener.port != config.pattoo.listener.port ||
           old.pattoo.listener.address != config.pattoo.listener.address,
       "pattoo");
  note(old.MetadataPath() != config.MetadataPath(), "metadata.path");
  note(old.ingest.queue_bytes != config.ingest.queue_bytes ||
           old.ingest.writers != config.ingest.writers,
       "ingest");
  STRIX_LOG(kInfo, "strixd: configuration reloaded", "log_level", config.log_level,
            "self_metrics_interval_ms", config.self_metrics.interval_ms);
  m.config.log_level = config.log_level;
  m.config.self_metrics.interval_ms = config.self_metrics.interval_ms;
}

Status Strixd::Stop(std::chrono::milliseconds deadline) {
  Impl& m = *impl_;
  if (m.stopped) return Status::Ok();
  m.stopped = true;
  const auto t0 = std::chrono::steady_clock::now();
  // 1. Stop accepting; let in-flight requests finish (their writes are queued or done).
  const auto drain = deadline * 3 / 5;
  if (m.api_server) m.api_server->Stop(drain);
  if (m.pattoo_server) m.pattoo_server->Stop(std::chrono::milliseconds(100));
  // Live streams and queued logins read storage and metadata: end them before those close.
  if (m.api) m.api->Stop();
  // 2. Append what is queued (answers go to closed connections: those clients retry).
  m.queue->Stop();
  {
    std::lock_guard<std::mutex> l(m.mu);
    m.stopping = true;
    m.cv.notify_all();
  }
  if (m.housekeeping.joinable()) m.housekeeping.join();
  // 3. Metadata, then storage (syncs the WAL and releases the directory).
  Status first;
  Status st = m.meta->Close();
  if (!st.ok()) first = st;
  st = m.storage->Close();
  if (!st.ok() && first.ok()) first = st;
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  STRIX_LOG(kInfo, "strixd: stopped", "ms", ms, "status", first.ok() ? "ok" : first.ToString());
  return first;
}

uint16_t Strixd::api_port() const { return impl_->api_server ? impl_->api_server->port() : 0; }

uint16_t Strixd::pattoo_port() const {
  return impl_->pattoo_server ? impl_->pattoo_server->port() : 0;
}

}  // namespace strix::server
