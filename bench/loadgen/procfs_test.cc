// /proc parsing from fixed texts (a command name with spaces and parentheses, kB lines,
// the aggregate cpu line), and the readers on this very process.
#include "bench/loadgen/procfs.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace strix::bench {
namespace {

TEST(LoadgenProcfs, StatWithAnAwkwardCommandName) {
  // utime 250 and stime 50 ticks: fields 14 and 15.
  const std::string text =
      "4242 (my (odd) proc) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 7 0 "
      "123 456789 1024 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  Result<ProcessCpu> c = ParseProcStat(text, 100);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_DOUBLE_EQ(c->user_seconds, 2.5);
  EXPECT_DOUBLE_EQ(c->system_seconds, 0.5);
  EXPECT_DOUBLE_EQ(c->total(), 3.0);
  EXPECT_FALSE(ParseProcStat("4242 (x) S 1 2", 100).ok());
  EXPECT_FALSE(ParseProcStat("no parenthesis", 100).ok());
}

TEST(LoadgenProcfs, StatusMemoryLines) {
  const std::string text =
      "Name:\tvictoria-metric\nVmPeak:\t  900000 kB\nVmHWM:\t  524288 kB\nVmRSS:\t  262144 kB\n"
      "Threads:\t12\n";
  Result<ProcessMemory> m = ParseProcStatus(text);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->hwm_bytes, 512u << 20);
  EXPECT_EQ(m->rss_bytes, 256u << 20);
  EXPECT_FALSE(ParseProcStatus("Name:\tkthreadd\nThreads:\t1\n").ok());
  EXPECT_FALSE(ParseProcStatus("VmHWM:\t12 MB\nVmRSS:\t1 kB\n").ok());
}

TEST(LoadgenProcfs, LoadAverageAndMachineCpu) {
  Result<LoadAverage> l = ParseLoadAvg("0.52 1.25 2.00 3/456 7890\n");
  ASSERT_TRUE(l.ok());
  EXPECT_DOUBLE_EQ(l->one, 0.52);
  EXPECT_DOUBLE_EQ(l->five, 1.25);
  EXPECT_DOUBLE_EQ(l->fifteen, 2.0);
  EXPECT_FALSE(ParseLoadAvg("x y z").ok());

  // user nice system idle iowait irq softirq steal guest guest_nice
  Result<MachineCpu> m =
      ParseMachineStat("cpu  100 10 50 1000 20 5 5 10 0 0\ncpu0 50 5 25 500 10 2 3 5 0 0\n", 100);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_DOUBLE_EQ(m->busy_seconds, 1.8);    // 100+10+50+5+5+10 = 180 ticks
  EXPECT_DOUBLE_EQ(m->total_seconds, 12.0);  // plus idle 1000 and iowait 20
  EXPECT_FALSE(ParseMachineStat("intr 1 2 3\n", 100).ok());
}

TEST(LoadgenProcfs, ReadsThisProcess) {
  // Burn a little CPU so that the counters have something to show.
  volatile uint64_t x = 0;
  for (uint64_t i = 0; i < 50'000'000; ++i) x = x + i;
  Result<ProcessCpu> c = ReadProcessCpu(::getpid());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_GT(c->total(), 0.0);
  EXPECT_GE(SelfCpu().total(), c->total() - 0.05);
  Result<ProcessMemory> m = ReadProcessMemory(::getpid());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_GT(m->rss_bytes, 0u);
  EXPECT_GE(m->hwm_bytes, m->rss_bytes);
  EXPECT_TRUE(ReadLoadAverage().ok());
  Result<MachineCpu> mc = ReadMachineCpu();
  ASSERT_TRUE(mc.ok());
  EXPECT_GT(mc->total_seconds, mc->busy_seconds);
}

TEST(LoadgenProcfs, MissingProcessIsNotFound) {
  Result<ProcessCpu> c = ReadProcessCpu(999'999'999);
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound) << c.status().ToString();
}

}  // namespace
}  // namespace strix::bench
