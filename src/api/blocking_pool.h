// BlockingPool: a few threads for work that would stall an HTTP worker, such as the
// argon2id check of a login (about 0.1 s of CPU and 64 MiB each). The queue is bounded:
// Submit() refuses work beyond it, and the caller answers 503 at once.
//
// The destructor stops taking work, lets the threads finish what is queued (each task
// answers its request) and joins them.
//
// Thread-safety: Submit() may be called concurrently from any thread.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "core/mutex.h"

namespace strix::api {

class BlockingPool {
 public:
  BlockingPool(size_t threads, size_t max_queued);
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Queues `task`; false when max_queued tasks already wait (or the pool is stopping).
  bool Submit(std::function<void()> task) STRIX_EXCLUDES(mu_);

 private:
  void Run() STRIX_EXCLUDES(mu_);

  const size_t max_queued_;
  Mutex mu_;
  CondVar cv_;
  std::deque<std::function<void()>> queue_ STRIX_GUARDED_BY(mu_);
  bool stopping_ STRIX_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace strix::api
