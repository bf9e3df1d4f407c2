// IngestQueue: see ingest_queue.h.
#include "ingest/queue/ingest_queue.h"

#include <utility>

#include "core/log.h"

namespace strix::ingest {

IngestQueue::IngestQueue(storage::Storage* storage, IngestQueueOptions options)
    : storage_(storage), options_(options) {
  const size_t n = options_.writers == 0 ? 1 : options_.writers;
  writers_.reserve(n);
  for (size_t i = 0; i < n; ++i) writers_.emplace_back([this] { WriterLoop(); });
}

IngestQueue::~IngestQueue() { Stop(); }

std::unique_ptr<storage::WriteBatch> IngestQueue::AcquireBatch() {
  {
    MutexLock l(&mu_);
    if (!pool_.empty()) {
      auto b = std::move(pool_.back());
      pool_.pop_back();
      return b;
    }
  }
  return std::make_unique<storage::WriteBatch>();
}

void IngestQueue::ReleaseBatch(std::unique_ptr<storage::WriteBatch> batch) {
  if (batch == nullptr) return;
  // A batch that grew huge for one request gives its memory back instead of pinning it.
  if (batch->ByteSize() > options_.max_bytes / 8) return;
  batch->Clear();
  MutexLock l(&mu_);
  if (pool_.size() < options_.pool_size) pool_.push_back(std::move(batch));
}

bool IngestQueue::Submit(std::unique_ptr<storage::WriteBatch> batch, Done done) {
  const size_t bytes = batch->ByteSize();
  {
    MutexLock l(&mu_);
    const bool fits = held_bytes_ == 0 || held_bytes_ + bytes <= options_.max_bytes;
    if (!stopping_ && fits) {
      held_bytes_ += bytes;
      queue_.push_back(Item{std::move(batch), std::move(done), bytes});
      submitted_.fetch_add(1, std::memory_order_relaxed);
      work_.Signal();
      return true;
    }
  }
  refused_.fetch_add(1, std::memory_order_relaxed);
  ReleaseBatch(std::move(batch));
  return false;
}

void IngestQueue::WriterLoop() {
  for (;;) {
    Item item;
    {
      MutexLock l(&mu_);
      while (queue_.empty() && !stopping_) work_.Wait(&mu_);
      if (queue_.empty()) return;  // stopping and drained
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    Result<storage::AppendResult> r = storage_->Append(*item.batch);
    if (r.ok()) {
      accepted_.fetch_add(r->accepted, std::memory_order_relaxed);
      rejected_.fetch_add(r->rejected, std::memory_order_relaxed);
    } else {
      failed_.fetch_add(1, std::memory_order_relaxed);
    }
    item.done(std::move(r), *item.batch);
    {
      MutexLock l(&mu_);
      held_bytes_ -= item.bytes;
    }
    ReleaseBatch(std::move(item.batch));
  }
}

void IngestQueue::Stop() {
  MutexLock stop(&stop_mu_);
  {
    MutexLock l(&mu_);
    if (stopping_ && writers_.empty()) return;
    stopping_ = true;
    work_.SignalAll();
  }
  for (std::thread& t : writers_) t.join();
  writers_.clear();
}

IngestQueueStats IngestQueue::stats() const {
  IngestQueueStats s;
  s.batches_submitted = submitted_.load(std::memory_order_relaxed);
  s.batches_refused = refused_.load(std::memory_order_relaxed);
  s.batches_failed = failed_.load(std::memory_order_relaxed);
  s.samples_accepted = accepted_.load(std::memory_order_relaxed);
  s.samples_rejected = rejected_.load(std::memory_order_relaxed);
  MutexLock l(&mu_);
  s.queued_batches = queue_.size();
  s.held_bytes = held_bytes_;
  return s;
}

}  // namespace strix::ingest
