// Tests of ToPattoo and PlatformInfo: pattoo-agent-linux's key names, data types, value
// types, psutil's derived values, and the metadata order that feeds pattoo's checksums
// (spec pattoo.md 1.5, 5.1), from one fixture round.
#include "agents/linux/linux_pattoo.h"

#include <gtest/gtest.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/testing/temp_dir.h"

namespace strix::agents::linuxhost {
namespace {

namespace fs = std::filesystem;

std::string FixtureDir() {
  const char* src = std::getenv("STRIX_SOURCE_DIR");
  return std::string(src ? src : ".") + "/testdata/agents/linux";
}

LinuxOptions FixtureOptions(const std::string& root = FixtureDir()) {
  LinuxOptions o;
  o.proc_root = root + "/proc";
  o.sys_root = root + "/sys";
  o.hosts_path = root + "/etc/hosts";
  o.include_partitions = true;  // as a spoke serving the pattoo page runs
  o.statvfs_fn = [](const char* path, struct ::statvfs* st) {
    std::string p(path);
    if (p != "/" && p != "/data") {
      errno = ENOENT;
      return -1;
    }
    st->f_frsize = 4096;
    st->f_blocks = p == "/" ? 1000000 : 500;
    st->f_bfree = p == "/" ? 400000 : 100;
    st->f_bavail = p == "/" ? 350000 : 100;
    st->f_files = 10;
    st->f_ffree = 5;
    return 0;
  };
  return o;
}

PlatformInfo Info() {
  PlatformInfo info;
  info.release = "6.1.0-18-amd64";
  info.version = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)";
  info.processor = "";
  info.system = "Linux";
  info.hostname = "web1.example.org";
  info.cpus = 2;
  return info;
}

std::vector<Point> Round(LinuxInput& in, int64_t now = 1'700'000'000'000) {
  CollectContext ctx;
  ctx.now_ms = now;
  std::vector<Point> out;
  EXPECT_TRUE(in.Collect(ctx, &out).ok());
  return out;
}

const PattooDatapoint* Find(const std::vector<PattooDatapoint>& dps, const std::string& key,
                            const std::string& meta_key = "", const std::string& meta_value = "") {
  for (const auto& d : dps) {
    if (d.key != key) continue;
    if (meta_key.empty()) return &d;
    for (const auto& m : d.metadata)
      if (m.key == meta_key && m.value == meta_value) return &d;
  }
  return nullptr;
}

std::vector<std::string> Keys(const std::vector<PattooDatapoint>& dps) {
  std::vector<std::string> k;
  for (const auto& d : dps) k.push_back(d.key);
  return k;
}

// "key=value" of the checksum metadata, in order (what pattoo hashes after key+type).
std::vector<std::string> ChecksumChain(const PattooDatapoint& d) {
  std::vector<std::string> chain;
  for (const auto& m : d.metadata)
    if (m.checksum) chain.push_back(m.key + "=" + m.value);
  return chain;
}

const std::vector<std::string> kCommonChain = {"processor=", "type=Linux", "cpus=2",
                                               "hostname=web1.example.org"};

TEST(LinuxPattoo, FirstRoundKeysInPattooOrderWithoutPercent) {
  LinuxInput in(FixtureOptions());
  auto pts = Round(in);
  std::vector<PattooDatapoint> dps;
  ASSERT_TRUE(ToPattoo(pts, Info(), &dps, &in.pattoo_extras()).ok());
  std::vector<std::string> want;
  for (const char* m : {"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
                        "guest", "guest_nice"})
    want.push_back(std::string("cpu_times_") + m);
  for (const char* k : {"cpu_stats_ctx_switches",
                        "cpu_stats_interrupts",
                        "cpu_stats_soft_interrupts",
                        "memory_total",
                        "memory_available",
                        "memory_percent",
                        "memory_used",
                        "memory_free",
                        "memory_active",
                        "memory_inactive",
                        "memory_buffers",
                        "memory_cached",
                        "memory_shared",
                        "memory_slab",
                        "swap_memory_total",
                        "swap_memory_used",
                        "swap_memory_free",
                        "swap_memory_percent",
                        "swap_memory_sin",
                        "swap_memory_sout"})
    want.push_back(k);
  for (int fs = 0; fs < 2; ++fs)
    for (const char* m : {"total", "used", "free", "percent"})
      want.push_back(std::string("disk_partition_disk_usage_") + m);
  // Disks: vda, vda1, zram0, dm-0 (loop and ram excluded, as pattoo does).
  for (int d = 0; d < 4; ++d)
    for (const char* m : {"read_count", "write_count", "read_bytes", "write_bytes", "read_time",
                          "write_time", "read_merged_count", "write_merged_count", "busy_time"})
      want.push_back(std::string("disk_io_") + m);
  for (int n = 0; n < 3; ++n)
    for (const char* m : {"bytes_sent", "bytes_recv", "packets_sent", "packets_recv", "errin",
                          "errout", "dropin", "dropout"})
      want.push_back(std::string("network_io_") + m);
  EXPECT_EQ(Keys(dps), want);
  for (const auto& d : dps) EXPECT_EQ(d.timestamp_ms, 1'700'000'000'000) << d.key;
}

TEST(LinuxPattoo, DataTypesAndValueTypesFollowPsutil) {
  LinuxInput in(FixtureOptions());
  auto pts = Round(in);
  std::vector<PattooDatapoint> dps;
  ASSERT_TRUE(ToPattoo(pts, Info(), &dps, &in.pattoo_extras()).ok());
  using T = PattooValue::Type;

  const auto* user = Find(dps, "cpu_times_user");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->data_type, kPattooCounter64);
  EXPECT_EQ(user->value.type, T::kFloat);
  EXPECT_DOUBLE_EQ(user->value.f,
                   1492654.0 / static_cast<double>(::sysconf(_SC_CLK_TCK)));  // seconds

  const auto* ctx = Find(dps, "cpu_stats_ctx_switches");
  EXPECT_EQ(ctx->data_type, kPattooCounter64);
  EXPECT_EQ(ctx->value.type, T::kInt);
  EXPECT_EQ(ctx->value.i, 14484940);

  const auto* total = Find(dps, "memory_total");
  EXPECT_EQ(total->data_type, kPattooInt);
  EXPECT_EQ(total->value.type, T::kInt);
  EXPECT_EQ(total->value.i, 24683748LL * 1024);
  const auto* pct = Find(dps, "memory_percent");
  EXPECT_EQ(pct->data_type, kPattooInt) << "psutil's float in an INT datapoint";
  EXPECT_EQ(pct->value.type, T::kFloat);
  EXPECT_DOUBLE_EQ(pct->value.f, 1.5);  // (total - available) / total, one decimal
  EXPECT_EQ(Find(dps, "memory_used")->value.i, 112560LL * 1024);
  EXPECT_EQ(Find(dps, "memory_cached")->value.i, (151120LL + 103100) * 1024);

  EXPECT_DOUBLE_EQ(Find(dps, "swap_memory_percent")->value.f, 4.6);
  const auto* sin = Find(dps, "swap_memory_sin");
  EXPECT_EQ(sin->data_type, kPattooCounter64);
  EXPECT_EQ(sin->value.i, 120 * static_cast<int64_t>(::sysconf(_SC_PAGESIZE)));
  EXPECT_EQ(Find(dps, "swap_memory_used")->data_type, kPattooInt);

  const auto* free = Find(dps, "disk_partition_disk_usage_free", "disk_partition_mountpoint", "/");
  ASSERT_NE(free, nullptr);
  EXPECT_EQ(free->value.i, 350000LL * 4096) << "psutil's free is f_bavail";
  const auto* used = Find(dps, "disk_partition_disk_usage_used", "disk_partition_mountpoint", "/");
  EXPECT_EQ(used->value.i, 600000LL * 4096);
  const auto* dpct =
      Find(dps, "disk_partition_disk_usage_percent", "disk_partition_mountpoint", "/");
  EXPECT_EQ(dpct->data_type, kPattooInt);
  EXPECT_DOUBLE_EQ(dpct->value.f, 63.2);  // 600000 / (600000 + 350000)

  const auto* rb = Find(dps, "disk_io_read_bytes", "disk_partition", "vda");
  ASSERT_NE(rb, nullptr);
  EXPECT_EQ(rb->data_type, kPattooCounter64);
  EXPECT_EQ(rb->value.i, 17061770LL * 512);
  EXPECT_EQ(Find(dps, "disk_io_busy_time", "disk_partition", "vda")->value.i, 168184);
  EXPECT_EQ(Find(dps, "disk_io_read_merged_count", "disk_partition", "vda")->value.i, 26808);

  const auto* sent = Find(dps, "network_io_bytes_sent", "network_io_interface", "eth0");
  ASSERT_NE(sent, nullptr);
  EXPECT_EQ(sent->value.i, 178443);
  EXPECT_EQ(Find(dps, "network_io_dropin", "network_io_interface", "eth0")->value.i, 7);
  EXPECT_EQ(Find(dps, "network_io_errout", "network_io_interface", "eth0")->value.i, 1);
}

TEST(LinuxPattoo, MetadataOrderReproducesPattooChecksumInput) {
  LinuxInput in(FixtureOptions());
  auto pts = Round(in);
  std::vector<PattooDatapoint> dps;
  ASSERT_TRUE(ToPattoo(pts, Info(), &dps, &in.pattoo_extras()).ok());

  // Common metadata: release and version first and outside the checksum.
  const auto* user = Find(dps, "cpu_times_user");
  ASSERT_EQ(user->metadata.size(), 6u);
  EXPECT_EQ(user->metadata[0].key, "release");
  EXPECT_EQ(user->metadata[0].value, "6.1.0-18-amd64");
  EXPECT_FALSE(user->metadata[0].checksum);
  EXPECT_EQ(user->metadata[1].key, "version");
  EXPECT_FALSE(user->metadata[1].checksum);
  EXPECT_EQ(ChecksumChain(*user), kCommonChain);

  // Partitions: their own metadata BEFORE the common metadata.
  const auto* part = Find(dps, "disk_partition_disk_usage_total", "disk_partition_mountpoint", "/");
  std::vector<std::string> want = {"disk_partition_device=/dev/vda1", "disk_partition_mountpoint=/",
                                   "disk_partition_fstype=ext4",
                                   "disk_partition_opts=rw,relatime,discard"};
  want.insert(want.end(), kCommonChain.begin(), kCommonChain.end());
  EXPECT_EQ(ChecksumChain(*part), want);
  EXPECT_EQ(part->metadata[4].key, "release") << "common metadata after the partition's";

  // Disks and interfaces: their metadata AFTER the common metadata.
  want = kCommonChain;
  want.push_back("disk_partition=vda");
  EXPECT_EQ(ChecksumChain(*Find(dps, "disk_io_read_count", "disk_partition", "vda")), want);
  want = kCommonChain;
  want.push_back("network_io_interface=lo");
  EXPECT_EQ(ChecksumChain(*Find(dps, "network_io_bytes_recv", "network_io_interface", "lo")), want);
}

TEST(LinuxPattoo, CpuTimesPercentFromTheDeltaOfTwoRounds) {
  strix::testing::TempDir dir;
  fs::copy(FixtureDir(), dir.path(), fs::copy_options::recursive);
  LinuxInput in(FixtureOptions(dir.path()));
  Round(in);
  // Round two: +300 user, +100 system, +550 idle, +50 iowait, +40 guest ticks.
  std::ofstream(dir.path() + "/proc/stat", std::ios::trunc)
      << "cpu  1492954 20 301475 8437801 8747 0 5000 0 40 0\nctxt 14484999\n";
  auto pts = Round(in, 1'700'000'010'000);
  std::vector<PattooDatapoint> dps;
  ASSERT_TRUE(ToPattoo(pts, Info(), &dps, &in.pattoo_extras()).ok());
  ASSERT_GE(dps.size(), 10u);
  const std::vector<std::pair<std::string, double>> want = {
      {"cpu_times_percent_user", 30.0},   {"cpu_times_percent_nice", 0.0},
      {"cpu_times_percent_system", 10.0}, {"cpu_times_percent_idle", 55.0},
      {"cpu_times_percent_iowait", 5.0},  {"cpu_times_percent_irq", 0.0},
      {"cpu_times_percent_softirq", 0.0}, {"cpu_times_percent_steal", 0.0},
      {"cpu_times_percent_guest", 4.0},   {"cpu_times_percent_guest_nice", 0.0}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(dps[i].key, want[i].first);
    EXPECT_EQ(dps[i].data_type, kPattooFloat);
    EXPECT_EQ(dps[i].value.type, PattooValue::Type::kFloat);
    EXPECT_DOUBLE_EQ(dps[i].value.f, want[i].second) << want[i].first;
    EXPECT_EQ(dps[i].timestamp_ms, 1'700'000'010'000);
  }
  EXPECT_EQ(dps[10].key, "cpu_times_user");
}

TEST(LinuxPattoo, WithoutExtrasNoPercentAndEmptyMountOptions) {
  LinuxInput in(FixtureOptions());
  Round(in);
  auto pts = Round(in);
  std::vector<PattooDatapoint> dps;
  ASSERT_TRUE(ToPattoo(pts, Info(), &dps).ok());
  EXPECT_EQ(dps.front().key, "cpu_times_user");
  const auto* part = Find(dps, "disk_partition_disk_usage_total", "disk_partition_mountpoint", "/");
  EXPECT_EQ(part->metadata[3].key, "disk_partition_opts");
  EXPECT_EQ(part->metadata[3].value, "");
}

TEST(LinuxPattoo, AbsentFamiliesAreAbsentNotZero) {
  std::vector<Point> pts(1);
  pts[0].measurement = "linux_memory";
  pts[0].timestamp_ms = 5;
  pts[0].fields.push_back({"total_bytes", FieldValue::Gauge(1000)});
  std::vector<PattooDatapoint> dps;
  ASSERT_TRUE(ToPattoo(pts, Info(), &dps).ok());
  EXPECT_EQ(Keys(dps), (std::vector<std::string>{"memory_total"}))
      << "no available: no percent either";
}

TEST(LinuxPattoo, PlatformInfoFromTheFixtureTree) {
  PlatformInfo info = PlatformInfo::Read(FixtureOptions());
  EXPECT_EQ(info.release, "6.1.0-18-amd64");
  EXPECT_EQ(info.version, "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)");
  EXPECT_EQ(info.system, "Linux");
  EXPECT_EQ(info.processor, "");
  EXPECT_EQ(info.hostname, "web1.example.org") << "dotted name from the hosts file";
  EXPECT_EQ(info.cpus, 2);
}

TEST(LinuxPattoo, PlatformInfoOfThisMachineMatchesUname) {
  PlatformInfo info = PlatformInfo::Read(LinuxOptions{});
  EXPECT_FALSE(info.release.empty());
  EXPECT_EQ(info.system, "Linux");
  EXPECT_FALSE(info.hostname.empty());
  EXPECT_EQ(info.cpus, static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)));
}

}  // namespace
}  // namespace strix::agents::linuxhost
