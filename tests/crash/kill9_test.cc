// kill -9 of a real writer process at a random moment, in a loop: after each kill the data
// directory opens, every acknowledged batch is present with its exact values, nothing
// else is, and a second open finds the same. Iterations: STRIX_CRASH_ITERATIONS (default
// 5; make crash runs 1,000).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/testing/temp_dir.h"
#include "storage/engine.h"
#include "tests/crash/workload.h"

namespace strix {
namespace {

int Iterations() {
  const char* e = std::getenv("STRIX_CRASH_ITERATIONS");
  return e ? std::atoi(e) : 5;
}

// Starts the writer with stdout to a pipe; returns its pid.
pid_t StartWriter(const std::string& dir, uint64_t first, int* out_fd) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    std::string f = std::to_string(first);
    ::execl(STRIX_CRASH_WRITER, STRIX_CRASH_WRITER, dir.c_str(), f.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  *out_fd = fds[0];
  return pid;
}

TEST(Kill9, AcknowledgedBatchesSurviveKillNine) {
  testing::TempDir d;
  // Three hours back: the data's 2-hour window is closed, so the writer's compactions
  // merge its many small flushes instead of letting blocks pile up over 1,000 kills.
  ::setenv("STRIX_CRASH_BASE_MS", std::to_string(Clock::Real().NowMillis() - 3 * 3'600'000).c_str(),
           1);
  std::mt19937_64 rng(12345);
  std::set<uint64_t> acked;
  uint64_t next = 0;
  for (int it = 0; it < Iterations(); ++it) {
    int fd = -1;
    pid_t pid = StartWriter(d.path(), next, &fd);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 200));
    ::kill(pid, SIGKILL);
    int status;
    ::waitpid(pid, &status, 0);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
    ::close(fd);
    size_t pos = 0;
    uint64_t max_seen = next;
    while ((pos = out.find("ack ", pos)) != std::string::npos) {
      size_t end = out.find('\n', pos);
      if (end == std::string::npos) break;  // a line cut by the kill
      uint64_t a = std::stoull(out.substr(pos + 4, end - pos - 4));
      acked.insert(a);
      max_seen = std::max(max_seen, a + 1);
      pos = end;
    }
    // Batches after the last acknowledged one may or may not be durable; start the next
    // run beyond anything the killed writer might have written.
    uint64_t attempted_end = max_seen + 1;
    for (int pass = 0; pass < 2; ++pass) {
      storage::EngineOptions o;
      o.background_interval_ms = 3'600'000;
      auto db = storage::OpenEmbedded(d.path(), o);
      ASSERT_TRUE(db.ok()) << "iteration " << it << ": " << db.status().ToString();
      storage::SelectRequest r;
      r.matchers = *storage::ParseMatchers("{host=~\"h.*\"}");
      r.from = 0;
      r.to = INT64_MAX;
      auto sel = (*db)->Select(r);
      ASSERT_TRUE(sel.ok()) << sel.status().ToString();
      ASSERT_EQ(sel->size(), acked.empty() ? sel->size() : 2u * crashtest::kHosts);
      for (const auto& s : *sel) {
        int host = std::stoi(std::string(s.labels.Get("host")).substr(1));
        bool gauge = s.labels.MetricName() == "load";
        std::set<uint64_t> present;
        for (size_t i = 0; i < s.timestamps.size(); ++i) {
          int64_t rel = s.timestamps[i] - crashtest::BaseTime();
          ASSERT_GE(rel, 0) << "phantom timestamp";
          auto bn = static_cast<uint64_t>(rel);
          ASSERT_LT(bn, attempted_end) << "phantom batch " << bn;
          if (gauge) {
            ASSERT_EQ(s.raw[i].f, crashtest::GaugeOf(bn, host)) << "wrong value, batch " << bn;
          } else {
            ASSERT_EQ(s.raw[i].u, crashtest::CounterOf(bn, host)) << "wrong value, batch " << bn;
          }
          present.insert(bn);
        }
        for (uint64_t a : acked)
          ASSERT_TRUE(present.count(a)) << "iteration " << it << ": acknowledged batch " << a
                                        << " lost from " << s.labels.ToString();
      }
      // Consolidated answers (the writer's background thread builds tier blocks as the
      // window closes) count exactly the samples that survived.
      r.step_ms = 60'000;
      r.fn = storage::Consolidation::kCount;
      r.from = crashtest::BaseTime() - 3'600'000;
      r.to = crashtest::BaseTime() + 3'600'000;
      auto counts = (*db)->Select(r);
      ASSERT_TRUE(counts.ok()) << counts.status().ToString();
      ASSERT_EQ(counts->size(), sel->size());
      for (size_t k = 0; k < counts->size(); ++k) {
        double total = 0;
        for (double v : (*counts)[k].values) total += v;
        ASSERT_EQ(total, static_cast<double>((*sel)[k].timestamps.size()))
            << "iteration " << it << ": consolidated count differs for "
            << (*counts)[k].labels.ToString();
      }
      ASSERT_TRUE((*db)->Close().ok());
    }
    next = attempted_end;
  }
  EXPECT_GT(acked.size(), 0u);
  // The writers built tier blocks along the way, so the checks above covered them.
  auto db = storage::OpenEmbedded(d.path(), storage::EngineOptions{});
  ASSERT_TRUE(db.ok());
  storage::StorageStats st = (*db)->Stats();
  EXPECT_GT(st.tiers[1].blocks, 0u);
  ASSERT_TRUE((*db)->Close().ok());
}

}  // namespace
}  // namespace strix
