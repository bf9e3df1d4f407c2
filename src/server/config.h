// strixd's configuration: strixd.yaml parsed into the options structs of its components.
// Every key, its default and its meaning are in docs/config.md; `strix check-config` runs
// exactly this loading and validation, and prints the same file:line:column errors.
//
// With no file, DefaultConfig(data_dir) is a working single-node setup: the API on
// 127.0.0.1:8888, the pattoo listener off, storage and metadata under data_dir.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>

#include "core/env.h"
#include "core/result.h"
#include "storage/engine.h"

namespace strix::server {

struct ListenerConfig {
  // Address to bind. Loopback by default: exposing a listener is a deliberate choice.
  std::string address = "127.0.0.1";
  uint16_t port = 8888;  // 0: any free port, printed at start
  // Both set: the listener speaks TLS only. PEM files.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Request limits: a larger header gets 431, a larger body (also after gunzip) 413.
  uint64_t max_header_bytes = 16 << 10;
  uint64_t max_body_bytes = 64ull << 20;
  // A request must arrive whole within this; a slow client gets 408.
  int64_t read_timeout_ms = 30'000;
  // An idle keep-alive connection is closed after this.
  int64_t idle_timeout_ms = 120'000;
  // Worker threads; 0 = one per core.
  uint32_t threads = 0;
};

struct PattooListenerConfig {
  // pattoo agents cannot send tokens, so this listener has no auth and is off unless
  // enabled. It binds to loopback unless an address is configured.
  bool enabled = false;
  ListenerConfig listener = [] {
    ListenerConfig l;
    l.port = 20201;
    return l;
  }();
};

struct IngestConfig {
  // Bytes of parsed batches waiting for storage; beyond it writes get 503 + Retry-After.
  uint64_t queue_bytes = 256ull << 20;
  // Threads appending to storage (their fsyncs are shared by group commit).
  uint32_t writers = 4;
  // Errors listed in a 400 answer to a partly invalid write.
  uint32_t max_errors = 10;
};

struct SelfMetricsConfig {
  // How often strixd stores its own metrics (0 = never; GET /metrics still works).
  int64_t interval_ms = 10'000;
  // The `host` label of those series; empty = the machine's host name.
  std::string host;
};

struct WebConfig {
  // The web UI's built files (web/dist: index.html, assets/); empty: the UI is not served.
  std::string dir;
  // A login lasts this long.
  int64_t session_ttl_ms = 12 * 3600 * 1000;
  // The session cookie is Secure even on plain HTTP (a proxy in front ends TLS).
  bool secure_cookie = false;
};

struct StrixdConfig {
  // Where storage (data_dir/storage) and the metadata database live, unless set apart.
  std::string data_dir = "./var";
  ListenerConfig api;
  PattooListenerConfig pattoo;
  storage::EngineOptions storage;
  // The SQLite metadata database; empty = data_dir/meta.db.
  std::string metadata_path;
  IngestConfig ingest;
  SelfMetricsConfig self_metrics;
  WebConfig web;
  // debug, info, warn or error.
  std::string log_level = "info";

  std::string StorageDir() const;
  std::string MetadataPath() const;
};

// The defaults, with data_dir set.
StrixdConfig DefaultConfig(const std::string& data_dir);
// Loads `path`; every problem is one "file:line:column: key: message" line of the
// InvalidArgument's message (all of them at once).
Result<StrixdConfig> LoadConfig(Env& env, const std::string& path);
// The same from text (tests, fuzzing); `name` stands for the file name.
Result<StrixdConfig> ParseConfig(std::string_view text, const std::string& name);

}  // namespace strix::server
