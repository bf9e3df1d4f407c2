// Strixd: the server's components wired together, started and stopped in order. main.cc
// parses the command line and config, starts one Strixd, and turns signals into Reload()
// and Stop(). Tests start one in process too.
//
// Start order: storage (recovery), metadata database, ingest queue, self-metrics, the API
// listener, the pattoo listener (if enabled), the housekeeping thread (self-metrics into
// storage, host activity into the metadata database). Stop runs it backwards: stop
// accepting and finish in-flight requests, drain the queue (every acknowledged batch is
// already durable; queued ones are appended and answered), flush metadata, close storage.
//
// Thread-safety: Start/Stop/Reload from one thread (main's signal loop); the accessors
// from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "core/log.h"
#include "core/result.h"
#include "server/config.h"

namespace strix::server {

class Strixd {
 public:
  static Result<std::unique_ptr<Strixd>> Start(const StrixdConfig& config);
  ~Strixd();
  Strixd(const Strixd&) = delete;
  Strixd& operator=(const Strixd&) = delete;

  // Applies what can change safely while running (log level, self-metrics interval) and
  // logs which other changes need a restart.
  void Reload(const StrixdConfig& config);
  // Orderly shutdown within `deadline` (the HTTP drain gets most of it). Idempotent.
  Status Stop(std::chrono::milliseconds deadline = std::chrono::milliseconds(5000));

  uint16_t api_port() const;
  uint16_t pattoo_port() const;  // 0 when the pattoo listener is off

  struct Impl;

 private:
  explicit Strixd(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The log level word of the config as a LogLevel.
LogLevel ParseLogLevel(const std::string& word);

}  // namespace strix::server
