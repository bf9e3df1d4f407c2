// Tests of the /proc and /sys text parsers: exact values from kernel-shaped text, and the
// malformed shapes that must fail (so the caller reports a gap rather than zeros).
#include "agents/linux/internal/proc_parse.h"

#include <gtest/gtest.h>

#include <string>

namespace strix::agents::linuxhost::internal {
namespace {

TEST(ProcParseStat, ReadsTotalPerCpuAndKernelCounters) {
  StatInfo s;
  ASSERT_TRUE(
      ParseStat("cpu  10 1 20 300 4 0 5 0 0 0\n"
                "cpu0 5 1 10 150 2 0 2 0 0 0\n"
                "cpu3 5 0 10 150 2 0 3 0 0 0\n"
                "intr 1000 1 2 3 4\n"
                "ctxt 77\n"
                "btime 1700000000\n"
                "processes 99\n"
                "procs_running 2\n"
                "procs_blocked 0\n"
                "softirq 500 1 2 3\n",
                &s));
  ASSERT_EQ(s.cpus.size(), 3u);
  EXPECT_EQ(s.cpus[0].cpu, -1);
  EXPECT_EQ(s.cpus[0].modes, 10);
  EXPECT_EQ(s.cpus[0].ticks[3], 300u);
  EXPECT_EQ(s.cpus[2].cpu, 3);
  EXPECT_EQ(s.cpus[2].ticks[6], 3u);
  EXPECT_EQ(s.intr, 1000u);  // the first column only
  EXPECT_EQ(s.softirq, 500u);
  EXPECT_EQ(s.ctxt, 77u);
  EXPECT_EQ(s.btime, 1700000000u);
  EXPECT_EQ(s.processes, 99u);
  EXPECT_EQ(s.procs_running, 2u);
  EXPECT_EQ(s.procs_blocked, 0u);
}

TEST(ProcParseStat, OldKernelWithFourColumnsKeepsThem) {
  StatInfo s;
  ASSERT_TRUE(ParseStat("cpu 1 2 3 4\n", &s));
  EXPECT_EQ(s.cpus[0].modes, 4);
  EXPECT_FALSE(s.ctxt.has_value());
}

TEST(ProcParseStat, MalformedShapesFail) {
  StatInfo s;
  EXPECT_FALSE(ParseStat("", &s));
  EXPECT_FALSE(ParseStat("cpu0 1 2 3 4\n", &s)) << "no aggregate line";
  EXPECT_FALSE(ParseStat("cpu 1 2 3\n", &s)) << "too few columns";
  EXPECT_FALSE(ParseStat("cpu 1 2 x 4\n", &s));
  EXPECT_FALSE(ParseStat("cpu 1 2 3 4\nctxt -5\n", &s));
  EXPECT_FALSE(ParseStat("cpu 1 2 3 4\ncpu 1 2 3 4\n", &s));
  EXPECT_FALSE(ParseStat("cpu 1 2 3 4\ncpuX 1 2 3 4\n", &s));
  EXPECT_FALSE(ParseStat("cpu 1 2 3 99999999999999999999999\n", &s)) << "overflow";
}

TEST(ProcParseLoadavg, ReadsLoadsAndThreads) {
  LoadAvg la;
  ASSERT_TRUE(ParseLoadavg("0.12 0.06 0.01 1/94 6978\n", &la));
  EXPECT_DOUBLE_EQ(la.load1, 0.12);
  EXPECT_DOUBLE_EQ(la.load15, 0.01);
  EXPECT_EQ(la.runnable, 1u);
  EXPECT_EQ(la.entities, 94u);
  EXPECT_FALSE(ParseLoadavg("0.12 0.06 0.01 194 6978\n", &la));
  EXPECT_FALSE(ParseLoadavg("0.12 0.06\n", &la));
  EXPECT_FALSE(ParseLoadavg("-1 0.06 0.01 1/94 1\n", &la));
}

TEST(ProcParseUptime, ReadsSecondsSinceBoot) {
  double up = 0;
  ASSERT_TRUE(ParseUptime("51288.59 84372.52\n", &up));
  EXPECT_DOUBLE_EQ(up, 51288.59);
  EXPECT_FALSE(ParseUptime("", &up));
  EXPECT_FALSE(ParseUptime("abc 1\n", &up));
}

TEST(ProcParseMeminfo, ReadsKilobytesAsBytes) {
  MemInfo m;
  ASSERT_TRUE(
      ParseMeminfo("MemTotal:       1000 kB\nMemFree:  400 kB\nHugePages_Total:       0\n"
                   "Active(anon):   7 kB\nSReclaimable: 30 kB\nSwapTotal: 0 kB\n",
                   &m));
  EXPECT_EQ(m.mem_total, 1024000u);
  EXPECT_EQ(m.mem_free, 409600u);
  EXPECT_EQ(m.sreclaimable, 30720u);
  EXPECT_EQ(m.swap_total, 0u);
  EXPECT_FALSE(m.mem_available.has_value()) << "absent line stays absent, not 0";
  EXPECT_FALSE(m.active.has_value()) << "Active(anon) is not Active";
}

TEST(ProcParseMeminfo, MalformedShapesFail) {
  MemInfo m;
  EXPECT_FALSE(ParseMeminfo("MemFree: 4 kB\n", &m)) << "no MemTotal";
  EXPECT_FALSE(ParseMeminfo("MemTotal: x kB\n", &m));
  EXPECT_FALSE(ParseMeminfo("MemTotal: 4 MB\n", &m));
  EXPECT_FALSE(ParseMeminfo("MemTotal 4 kB\n", &m));
  EXPECT_FALSE(ParseMeminfo("MemTotal: 4 kB extra\n", &m));
}

TEST(ProcParseVmstat, ReadsSwapPages) {
  VmStat v;
  ASSERT_TRUE(ParseVmstat("nr_free_pages 5\npswpin 12\npswpout 34\n", &v));
  EXPECT_EQ(v.pswpin, 12u);
  EXPECT_EQ(v.pswpout, 34u);
  ASSERT_TRUE(ParseVmstat("nr_free_pages 5\n", &v));
  EXPECT_FALSE(v.pswpin.has_value());
  EXPECT_FALSE(ParseVmstat("pswpin twelve\n", &v));
}

TEST(ProcParseDiskstats, ReadsElevenColumnsOfOldAndNewKernels) {
  std::vector<DiskStat> d;
  ASSERT_TRUE(
      ParseDiskstats(" 254 0 vda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n"
                     " 253 1 dm-0 100 3 800 10 50 4 400 5 1 12 15\n",
                     &d));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].name, "vda");
  EXPECT_EQ(d[0].v[kSectorsRead], 3u);
  EXPECT_EQ(d[0].v[kIoWeightedTimeMs], 11u);
  EXPECT_EQ(d[1].name, "dm-0");
  EXPECT_EQ(d[1].v[kIoInProgress], 1u);
  EXPECT_FALSE(ParseDiskstats(" 8 0 sda 1 2 3 4\n", &d)) << "2.6.24 partition shape";
  EXPECT_FALSE(ParseDiskstats(" 8 0 sda 1 2 3 4 5 6 7 8 9 10 x\n", &d));
  EXPECT_FALSE(ParseDiskstats("x 0 sda 1 2 3 4 5 6 7 8 9 10 11\n", &d));
}

TEST(ProcParseNetDev, ReadsInterfacesIncludingGluedNumbers) {
  std::vector<NetDev> n;
  ASSERT_TRUE(
      ParseNetDev("Inter-|   Receive  |  Transmit\n"
                  " face |bytes packets|bytes packets\n"
                  "    lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
                  "eth0:4294967296 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
                  &n));
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].name, "lo");
  EXPECT_EQ(n[0].v[kTxBytes], 9u);
  EXPECT_EQ(n[1].name, "eth0");
  EXPECT_EQ(n[1].v[kRxBytes], 4294967296u);
  EXPECT_EQ(n[1].v[kTxDrop], 12u);
  EXPECT_FALSE(ParseNetDev("lo: 1 2 3\n", &n)) << "no header";
  EXPECT_FALSE(ParseNetDev("a|b\nc|d\nlo: 1 2 3\n", &n)) << "too few columns";
  EXPECT_FALSE(ParseNetDev("a|b\nc|d\nlo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", &n));
}

TEST(ProcParseMounts, DecodesOctalEscapesAndReusesEntries) {
  std::vector<Mount> m;
  size_t count = 0;
  ASSERT_TRUE(
      ParseMounts("/dev/sdb1 /mnt/my\\040disk ext4 rw,relatime 0 0\n"
                  "proc /proc proc rw 0 0\n",
                  &m, &count));
  ASSERT_EQ(count, 2u);
  EXPECT_EQ(m[0].mountpoint, "/mnt/my disk");
  EXPECT_EQ(m[0].opts, "rw,relatime");
  ASSERT_TRUE(ParseMounts("a /b c d 0 0\n", &m, &count));
  EXPECT_EQ(count, 1u);
  EXPECT_EQ(m[0].mountpoint, "/b");
  EXPECT_FALSE(ParseMounts("a /b c\n", &m, &count));
  EXPECT_FALSE(ParseMounts("a b c d 0 0\n", &m, &count)) << "relative mountpoint";
  std::string s;
  UnescapeMountField("a\\134b\\011c\\9xy\\", &s);
  EXPECT_EQ(s, "a\\b\tc\\9xy\\");
}

TEST(ProcParseFilesystems, KeepsBlockTypesAndZfs) {
  std::vector<std::string> t;
  ASSERT_TRUE(ParseFilesystems("nodev\tsysfs\n\text4\nnodev\tzfs\n\tvfat\nnodev\tnfs4\n", &t));
  EXPECT_EQ(t, (std::vector<std::string>{"ext4", "zfs", "vfat"}));
  EXPECT_FALSE(ParseFilesystems("nodev\n", &t));
  EXPECT_FALSE(ParseFilesystems("ext4 extra\n", &t));
}

constexpr std::string_view kTcp =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
    "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n"
    "   1: 0F02000A:0016 0202000A:C350 01 00000000:00000000 02:0000A2F1 00000000     0\n"
    "   2: 0F02000A:0016 0202000A:C351 0C 00000000:00000000 02:0000A2F1 00000000     0\n"
    "   3: 0F02000A:0016 0202000A:C352 06 00000000:00000000 02:0000A2F1 00000000     0";

TEST(TcpStateCounter, CountsStatesWhateverTheChunking) {
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{64}, kTcp.size()}) {
    TcpStateCounter c;
    c.BeginFile();
    for (size_t off = 0; off < kTcp.size(); off += chunk)
      ASSERT_TRUE(c.Feed(kTcp.substr(off, chunk)));
    ASSERT_TRUE(c.EndFile()) << chunk;
    EXPECT_EQ(c.counts()[10], 1u) << "listen";
    EXPECT_EQ(c.counts()[1], 1u) << "established";
    EXPECT_EQ(c.counts()[3], 1u) << "NEW_SYN_RECV counted as syn_recv";
    EXPECT_EQ(c.counts()[6], 1u) << "time_wait, last line without newline";
  }
}

TEST(TcpStateCounter, CountsAddUpAcrossFilesUntilReset) {
  TcpStateCounter c;
  for (int i = 0; i < 2; ++i) {
    c.BeginFile();
    ASSERT_TRUE(c.Feed(kTcp));
    ASSERT_TRUE(c.EndFile());
  }
  EXPECT_EQ(c.counts()[10], 2u);
  c.ResetCounts();
  EXPECT_EQ(c.counts()[10], 0u);
}

TEST(TcpStateCounter, MalformedShapesFail) {
  auto run = [](std::string_view text) {
    TcpStateCounter c;
    c.BeginFile();
    return c.Feed(text) && c.EndFile();
  };
  EXPECT_FALSE(run("")) << "no header";
  EXPECT_FALSE(run("header\n 0: a b ZZ x\n"));
  EXPECT_FALSE(run("header\n 0: a b 0F x\n")) << "state 15";
  EXPECT_FALSE(run("header\n 0: a b 00 x\n")) << "state 0";
  EXPECT_FALSE(run("header\n 0 a b 01 x\n")) << "no slot colon";
  EXPECT_FALSE(run("header\n" + std::string(2000, 'x') + "\n")) << "overlong line";
  EXPECT_TRUE(run("header\n\n 0: a b 01 x\n"));
}

TEST(CountCpuList, CountsRanges) {
  EXPECT_EQ(CountCpuList("0-3,5,7-8\n"), 7);
  EXPECT_EQ(CountCpuList("0\n"), 1);
  EXPECT_EQ(CountCpuList(""), 0);
  EXPECT_EQ(CountCpuList("3-1"), 0);
  EXPECT_EQ(CountCpuList("a-b"), 0);
  EXPECT_EQ(CountCpuList("0-99999999"), 0);
}

TEST(FqdnFromHosts, TakesTheFirstDottedNameOfTheHostsLine) {
  constexpr std::string_view kHosts =
      "127.0.0.1 localhost\n"
      "# 127.0.1.1 wrong.example.org web1\n"
      "127.0.1.1\tweb1.example.org web1 # comment\n"
      "10.0.0.1 db1 db1.example.org\n";
  EXPECT_EQ(FqdnFromHosts(kHosts, "web1"), "web1.example.org");
  EXPECT_EQ(FqdnFromHosts(kHosts, "db1"), "db1.example.org");
  EXPECT_EQ(FqdnFromHosts(kHosts, "localhost"), "localhost");
  EXPECT_EQ(FqdnFromHosts(kHosts, "other"), "other");
  EXPECT_EQ(FqdnFromHosts(kHosts, "x.y"), "x.y");
}

TEST(ParseNumbers, RejectTrailingGarbage) {
  uint64_t u = 0;
  int64_t i = 0;
  double d = 0;
  EXPECT_TRUE(ParseU64(" 42\n", &u));
  EXPECT_EQ(u, 42u);
  EXPECT_FALSE(ParseU64("42x", &u));
  EXPECT_FALSE(ParseU64("-1", &u));
  EXPECT_TRUE(ParseI64("-5000\n", &i));
  EXPECT_EQ(i, -5000);
  EXPECT_FALSE(ParseI64("", &i));
  EXPECT_TRUE(ParseDouble("1.5", &d));
  EXPECT_FALSE(ParseDouble("1.5.", &d));
}

}  // namespace
}  // namespace strix::agents::linuxhost::internal
