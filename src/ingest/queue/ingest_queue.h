// IngestQueue: the bounded hand-off between the HTTP workers that parse write requests and
// the storage that makes them durable.
//
// An HTTP worker takes an empty batch from the queue's pool (AcquireBatch), parses the body
// into it and Submits it with a completion callback. Writer threads call Storage::Append
// on queued batches (several at once, so that their fsyncs are shared by group commit) and
// then call the callback with the result: the HTTP layer answers 2xx only from there, once
// the samples are durable. The batch goes back to the pool, so a warmed-up server
// allocates no batches.
//
// The queue is bounded by the bytes of the batches it holds (queued or being appended).
// Submit refuses a batch that does not fit, and the HTTP layer answers 503 with
// Retry-After: memory never grows without bound when storage falls behind.
//
// Thread-safety: every method may be called from any thread. Stop() must be called
// before destruction (the destructor calls it).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "core/mutex.h"
#include "core/result.h"
#include "storage/storage.h"
#include "storage/write_batch.h"

namespace strix::ingest {

struct IngestQueueOptions {
  // Bytes of batches held at once (queued plus being appended). A batch larger than this
  // on its own is still accepted when the queue is empty, so one huge request can pass.
  size_t max_bytes = 256u << 20;
  // Threads calling Storage::Append. More than one lets concurrent batches share fsyncs.
  size_t writers = 4;
  // Empty batches kept for reuse.
  size_t pool_size = 64;
};

struct IngestQueueStats {
  uint64_t batches_submitted = 0;
  uint64_t batches_refused = 0;  // queue full or stopped: answered 503
  uint64_t batches_failed = 0;   // Append returned an error
  uint64_t samples_accepted = 0;
  uint64_t samples_rejected = 0;
  uint64_t queued_batches = 0;  // now, waiting for a writer
  uint64_t held_bytes = 0;      // now, queued plus being appended
};

class IngestQueue {
 public:
  // Called with the append's result and the batch itself (still filled; it goes back to
  // the pool once `done` returns), so an answer can name the series storage refused.
  using Done = std::function<void(Result<storage::AppendResult>, const storage::WriteBatch&)>;

  IngestQueue(storage::Storage* storage, IngestQueueOptions options);
  ~IngestQueue();
  IngestQueue(const IngestQueue&) = delete;
  IngestQueue& operator=(const IngestQueue&) = delete;

  // An empty batch, from the pool when one is free.
  std::unique_ptr<storage::WriteBatch> AcquireBatch();
  // Gives a batch back to the pool (cleared, capacity kept) without submitting it.
  void ReleaseBatch(std::unique_ptr<storage::WriteBatch> batch);

  // Queues `batch`; a writer appends it and then calls `done` (on the writer thread).
  // `done` must not block for long: it holds up that writer.
  // Returns false, calling nothing, when the queue is full or stopped: the caller still
  // owns nothing (the batch went back to the pool) and answers 503.
  bool Submit(std::unique_ptr<storage::WriteBatch> batch, Done done);

  // Stops taking batches, appends everything already queued, calls its callbacks, and
  // joins the writers. Idempotent.
  void Stop();

  IngestQueueStats stats() const;

 private:
  struct Item {
    std::unique_ptr<storage::WriteBatch> batch;
    Done done;
    size_t bytes;
  };
  void WriterLoop();

  storage::Storage* const storage_;
  const IngestQueueOptions options_;

  mutable Mutex mu_;
  CondVar work_;
  std::deque<Item> queue_ STRIX_GUARDED_BY(mu_);
  size_t held_bytes_ STRIX_GUARDED_BY(mu_) = 0;
  bool stopping_ STRIX_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<storage::WriteBatch>> pool_ STRIX_GUARDED_BY(mu_);

  std::atomic<uint64_t> submitted_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> rejected_{0};

  std::vector<std::thread> writers_;
  Mutex stop_mu_;  // serialises Stop()
};

}  // namespace strix::ingest
