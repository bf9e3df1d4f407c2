// Sender: delivers the disk buffer's records to strixd, one at a time, at least once.
//
// Each record is a gzip'd line-protocol body (docs/agents/agent.md). It is POSTed to
// <url>/write?precision=ms with "Authorization: Bearer <token>" and
// "Content-Encoding: gzip", and acked in the buffer only when strixd has answered that
// it is durable (2xx). Which record goes next is the buffer's policy: fresh data first,
// then the backlog in order (docs/format/agent-buffer.md).
//
// Answers and what happens:
//   2xx                  acked
//   400                  acked and counted as rejected: strixd stored the valid lines and
//                        names the others (e.g. older than its out-of-order window);
//                        sending the same bytes again cannot change that
//   413                  acked and counted as rejected (logged: a record strixd will never take)
//   3xx, other 4xx       kept, retried (a proxy or redirect is not strixd's verdict)
//   401, 403, 404, 405   kept, retried (a token or URL to fix: logged as an error)
//   408, 429, 5xx, no answer  kept, retried
// Every retry goes to the next URL of server.urls, after a backoff:
// min(backoff_max, backoff_min * 2^(failures-1)), then a uniform jitter down to half of it.
// With a single URL, a Retry-After (at most 300 s) is a lower bound on the wait.
// Stop ends a post in flight within about a second; the record stays buffered.
//
// Thread-safety: Start/Stop from one thread; Notify and stats from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "agents/agent/agent_config.h"
#include "agents/buffer/disk_buffer.h"
#include "core/clock.h"

namespace strix::agents {

struct SenderStats {
  std::atomic<uint64_t> posts_ok{0};
  std::atomic<uint64_t> posts_failed{0};      // failed attempts (each retry counts)
  std::atomic<uint64_t> records_rejected{0};  // records strixd refused for good (acked)
  std::atomic<uint64_t> bytes_sent{0};        // compressed bytes of acked posts
  std::atomic<int64_t> last_ok_ms{-1};
};

// The delay before retry number `failures` (1-based), before jitter.
int64_t BackoffMs(int failures, int64_t min_ms, int64_t max_ms);

class Sender {
 public:
  Sender(const ServerConfig& config, buffer::DiskBuffer* buffer, Clock& clock);
  ~Sender();
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  void Start();
  // Stops promptly: a post in flight is abandoned (its record stays buffered).
  void Stop();
  // Asks the thread to stop without waiting for it (Stop waits).
  void RequestStop();
  // New data in the buffer: wakes the sender if it is idle (not if it is backing off).
  void Notify();

  const SenderStats& stats() const { return stats_; }

 private:
  enum class Outcome { kAcked, kRejected, kRetry };
  void Loop(std::stop_token stop);
  Outcome Post(const buffer::Record& rec, std::stop_token stop, int64_t* retry_after_ms,
               std::string* why, bool* config_problem);
  // Sleeps up to ms; returns early on stop (and on Notify when `wake_on_notify`).
  void Wait(std::stop_token& stop, int64_t ms, bool wake_on_notify);

  const ServerConfig config_;
  buffer::DiskBuffer* const buffer_;
  Clock& clock_;
  SenderStats stats_;
  size_t url_index_ = 0;
  std::mt19937_64 rng_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  bool notified_ = false;  // guarded by mu_
  std::jthread thread_;
};

}  // namespace strix::agents
