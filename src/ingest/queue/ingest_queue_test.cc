#include "ingest/queue/ingest_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "core/clock.h"
#include "core/testing/temp_dir.h"
#include "storage/engine.h"

namespace strix::ingest {
namespace {

using storage::ValueKind;
using testing::TempDir;

constexpr int64_t kT0 = 1'800'000'000'000;

std::unique_ptr<storage::Storage> OpenStorage(const TempDir& dir, Clock& clock) {
  storage::EngineOptions o;
  auto db = storage::OpenEmbedded(dir.path(), o, Env::Default(), clock);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return std::move(*db);
}

void Fill(storage::WriteBatch* b, const std::string& host, int samples) {
  b->StartSeries(ValueKind::kGauge, {{"__name__", "cpu"}, {"host", host}});
  for (int i = 0; i < samples; ++i) b->AddGauge(kT0 + i * 10'000, i * 0.5);
}

TEST(IngestQueue, SubmittedBatchesAreDurableBeforeTheirCallbackRuns) {
  TempDir dir;
  ManualClock clock(kT0 + 3'600'000);
  auto db = OpenStorage(dir, clock);
  IngestQueue q(db.get(), {});
  std::vector<std::promise<uint64_t>> done(8);
  for (int h = 0; h < 8; ++h) {
    auto b = q.AcquireBatch();
    Fill(b.get(), "h" + std::to_string(h), 100);
    ASSERT_TRUE(
        q.Submit(std::move(b), [&, h](Result<storage::AppendResult> r, const storage::WriteBatch&) {
          ASSERT_TRUE(r.ok());
          // The samples are readable by the time the callback runs.
          storage::SelectRequest req;
          req.matchers = {storage::Matcher::Equal("host", "h" + std::to_string(h))};
          req.from = kT0;
          req.to = kT0 + 3'600'000;
          auto got = db->Select(req);
          ASSERT_TRUE(got.ok());
          ASSERT_EQ(got->size(), 1u);
          EXPECT_EQ((*got)[0].timestamps.size(), 100u);
          done[h].set_value(r->accepted);
        }));
  }
  for (auto& d : done) EXPECT_EQ(d.get_future().get(), 100u);
  q.Stop();
  IngestQueueStats s = q.stats();
  EXPECT_EQ(s.batches_submitted, 8u);
  EXPECT_EQ(s.samples_accepted, 800u);
  EXPECT_EQ(s.held_bytes, 0u);
  ASSERT_TRUE(db->Close().ok());
}

// A Storage whose Append blocks until released, so the queue can be filled.
class GatedStorage : public storage::Storage {
 public:
  Result<storage::AppendResult> Append(const storage::WriteBatch& b) override {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return open_; });
    storage::AppendResult r;
    r.accepted = b.sample_count();
    appended_ += b.sample_count();
    return r;
  }
  void Open() {
    std::lock_guard<std::mutex> l(mu_);
    open_ = true;
    cv_.notify_all();
  }
  uint64_t appended() {
    std::lock_guard<std::mutex> l(mu_);
    return appended_;
  }
  Result<std::vector<storage::SeriesData>> Select(const storage::SelectRequest&) override {
    return Status::Unimplemented("test");
  }
  Result<std::vector<storage::LatestSample>> Latest(const storage::Matchers&) override {
    return Status::Unimplemented("test");
  }
  Result<std::vector<storage::SeriesInfo>> Series(const storage::Matchers&, storage::Timestamp,
                                                  storage::Timestamp) override {
    return Status::Unimplemented("test");
  }
  Result<std::vector<std::string>> LabelNames(const storage::Matchers&) override {
    return Status::Unimplemented("test");
  }
  Result<std::vector<std::string>> LabelValues(const std::string&,
                                               const storage::Matchers&) override {
    return Status::Unimplemented("test");
  }
  Result<uint64_t> Delete(const storage::Matchers&, storage::Timestamp,
                          storage::Timestamp) override {
    return Status::Unimplemented("test");
  }
  storage::StorageStats Stats() override { return {}; }
  Status Flush() override { return Status::Ok(); }
  Status Compact() override { return Status::Ok(); }
  Status Close() override { return Status::Ok(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  uint64_t appended_ = 0;
};

TEST(IngestQueue, RefusesBatchesBeyondItsByteBoundAndTakesThemAgainOnceDrained) {
  GatedStorage gated;
  IngestQueueOptions o;
  o.writers = 1;
  auto probe = std::make_unique<storage::WriteBatch>();
  Fill(probe.get(), "x", 1000);
  o.max_bytes = probe->ByteSize() * 3;  // room for three batches
  IngestQueue q(&gated, o);
  std::atomic<int> callbacks{0};
  auto cb = [&](Result<storage::AppendResult> r, const storage::WriteBatch&) {
    EXPECT_TRUE(r.ok());
    callbacks.fetch_add(1);
  };
  int accepted = 0;
  for (int i = 0; i < 6; ++i) {
    auto b = q.AcquireBatch();
    Fill(b.get(), "x", 1000);
    if (q.Submit(std::move(b), cb)) ++accepted;
  }
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(q.stats().batches_refused, 3u);
  EXPECT_LE(q.stats().held_bytes, o.max_bytes);
  gated.Open();
  while (callbacks.load() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto b = q.AcquireBatch();
  Fill(b.get(), "x", 1000);
  EXPECT_TRUE(q.Submit(std::move(b), cb));
  q.Stop();
  EXPECT_EQ(callbacks.load(), 4);
  EXPECT_EQ(gated.appended(), 4000u);
}

TEST(IngestQueue, OneBatchLargerThanTheBoundPassesWhenTheQueueIsEmpty) {
  GatedStorage gated;
  gated.Open();
  IngestQueueOptions o;
  o.max_bytes = 64;
  IngestQueue q(&gated, o);
  auto b = q.AcquireBatch();
  Fill(b.get(), "x", 1000);
  std::promise<void> p;
  ASSERT_TRUE(q.Submit(std::move(b), [&](Result<storage::AppendResult>,
                                         const storage::WriteBatch&) { p.set_value(); }));
  p.get_future().wait();
}

TEST(IngestQueue, StopAppendsWhatIsQueuedThenRefuses) {
  GatedStorage gated;
  IngestQueueOptions o;
  o.writers = 2;
  IngestQueue q(&gated, o);
  std::atomic<int> callbacks{0};
  for (int i = 0; i < 5; ++i) {
    auto b = q.AcquireBatch();
    Fill(b.get(), "x", 10);
    ASSERT_TRUE(q.Submit(std::move(b), [&](Result<storage::AppendResult>,
                                           const storage::WriteBatch&) { ++callbacks; }));
  }
  std::thread opener([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    gated.Open();
  });
  q.Stop();
  opener.join();
  EXPECT_EQ(callbacks.load(), 5);
  EXPECT_EQ(gated.appended(), 50u);
  auto b = q.AcquireBatch();
  Fill(b.get(), "x", 10);
  EXPECT_FALSE(q.Submit(std::move(b),
                        [](Result<storage::AppendResult>, const storage::WriteBatch&) { FAIL(); }));
}

TEST(IngestQueue, ReleasedBatchesAreReusedCleared) {
  GatedStorage gated;
  IngestQueue q(&gated, {});
  auto b = q.AcquireBatch();
  Fill(b.get(), "x", 10);
  storage::WriteBatch* raw = b.get();
  q.ReleaseBatch(std::move(b));
  auto again = q.AcquireBatch();
  EXPECT_EQ(again.get(), raw);
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(again->series_count(), 0u);
  gated.Open();
}

}  // namespace
}  // namespace strix::ingest
