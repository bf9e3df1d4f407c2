// Tests of LinuxInput on the fixture tree testdata/agents/linux (a trimmed copy of a real
// host's /proc and /sys, plus hwmon, cpufreq and thermal files a VM lacks): exact values
// and kinds per family, the exclusions, the gap rule (a missing or garbled file removes
// its own family, counts one read error, and never turns into zeros), deadlines, and one
// Collect on this machine's real /proc.
#include "agents/linux/linux_input.h"

#include <gtest/gtest.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "core/clock.h"
#include "core/testing/temp_dir.h"

namespace strix::agents::linuxhost {
namespace {

namespace fs = std::filesystem;

std::string FixtureDir() {
  const char* src = std::getenv("STRIX_SOURCE_DIR");
  return std::string(src ? src : ".") + "/testdata/agents/linux";
}

uint64_t Ms(uint64_t ticks) { return ticks * 1000 / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK)); }
uint64_t Page() { return static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)); }

struct FakeFs {
  uint64_t frsize, blocks, bfree, bavail, files, ffree;
};

// statvfs results for the fixture's mountpoints; anything else fails with ENOENT.
std::map<std::string, FakeFs> FixtureFilesystems() {
  return {
      {"/", {4096, 1000000, 400000, 350000, 655360, 600000}},
      {"/boot/efi", {512, 1048576, 1000000, 1000000, 0, 0}},
      {"/mnt/my disk", {4096, 2000, 1000, 900, 100, 50}},
      {"/data", {4096, 500, 100, 100, 64, 60}},
      {"/mnt/nfs", {1048576, 10, 5, 5, 1, 1}},
      {"/run", {4096, 600000, 599000, 599000, 100, 99}},
  };
}

LinuxOptions FixtureOptions(const std::string& root = FixtureDir()) {
  LinuxOptions o;
  o.proc_root = root + "/proc";
  o.sys_root = root + "/sys";
  o.hosts_path = root + "/etc/hosts";
  auto table = std::make_shared<std::map<std::string, FakeFs>>(FixtureFilesystems());
  o.statvfs_fn = [table](const char* path, struct ::statvfs* st) {
    auto it = table->find(path);
    if (it == table->end()) {
      errno = ENOENT;
      return -1;
    }
    st->f_frsize = it->second.frsize;
    st->f_bsize = it->second.frsize;
    st->f_blocks = it->second.blocks;
    st->f_bfree = it->second.bfree;
    st->f_bavail = it->second.bavail;
    st->f_files = it->second.files;
    st->f_ffree = it->second.ffree;
    return 0;
  };
  return o;
}

constexpr int64_t kNow = 1'700'000'000'000;

std::vector<Point> CollectOk(LinuxInput& in) {
  CollectContext ctx;
  ctx.now_ms = kNow;
  std::vector<Point> out;
  Status st = in.Collect(ctx, &out);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

std::string TagOf(const Point& p, const std::string& key) {
  for (const auto& [k, v] : p.tags)
    if (k == key) return v;
  return "<none>";
}

// The point of `measurement` whose tags include all of `tags`.
const Point* Find(const std::vector<Point>& pts, const std::string& measurement,
                  const std::vector<Tag>& tags = {}) {
  for (const Point& p : pts) {
    if (p.measurement != measurement) continue;
    bool all = true;
    for (const auto& [k, v] : tags)
      if (TagOf(p, k) != v) all = false;
    if (all) return &p;
  }
  return nullptr;
}

size_t Count(const std::vector<Point>& pts, const std::string& measurement) {
  size_t n = 0;
  for (const Point& p : pts) n += p.measurement == measurement;
  return n;
}

const FieldValue* FieldOf(const Point* p, const std::string& key) {
  if (p == nullptr) return nullptr;
  for (const Field& f : p->fields)
    if (f.key == key) return &f.value;
  return nullptr;
}

::testing::AssertionResult IsCounter(const Point* p, const std::string& key, uint64_t want) {
  const FieldValue* v = FieldOf(p, key);
  if (v == nullptr) return ::testing::AssertionFailure() << key << " missing";
  if (v->kind != ValueKind::kCounter)
    return ::testing::AssertionFailure() << key << " not a counter";
  if (v->u != want)
    return ::testing::AssertionFailure() << key << " = " << v->u << ", want " << want;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IsGauge(const Point* p, const std::string& key, double want) {
  const FieldValue* v = FieldOf(p, key);
  if (v == nullptr) return ::testing::AssertionFailure() << key << " missing";
  if (v->kind != ValueKind::kGauge) return ::testing::AssertionFailure() << key << " not a gauge";
  if (v->f != want)
    return ::testing::AssertionFailure() << key << " = " << v->f << ", want " << want;
  return ::testing::AssertionSuccess();
}

// A writable copy of the fixture tree, for tests that break a file.
class FixtureCopy {
 public:
  FixtureCopy() { fs::copy(FixtureDir(), dir_.path(), fs::copy_options::recursive); }
  std::string root() const { return dir_.path(); }
  void Write(const std::string& rel, const std::string& text) {
    std::ofstream(dir_.path() + "/" + rel, std::ios::trunc) << text;
  }
  void Remove(const std::string& rel) { fs::remove_all(dir_.path() + "/" + rel); }

 private:
  strix::testing::TempDir dir_;
};

TEST(LinuxInputFixture, CpuTimesAreMillisecondCountersTotalAndPerCore) {
  LinuxInput in(FixtureOptions());
  auto pts = CollectOk(in);
  EXPECT_EQ(in.read_errors(), 0u);
  EXPECT_EQ(Count(pts, "linux_cpu"), 30u + 2u) << "3 lines x 10 modes + 2 frequencies";
  EXPECT_TRUE(IsCounter(Find(pts, "linux_cpu", {{"cpu", "total"}, {"mode", "user"}}), "time_ms",
                        Ms(1492654)));
  EXPECT_TRUE(IsCounter(Find(pts, "linux_cpu", {{"cpu", "total"}, {"mode", "idle"}}), "time_ms",
                        Ms(8437251)));
  EXPECT_TRUE(
      IsCounter(Find(pts, "linux_cpu", {{"cpu", "total"}, {"mode", "guest_nice"}}), "time_ms", 0));
  EXPECT_TRUE(
      IsCounter(Find(pts, "linux_cpu", {{"cpu", "1"}, {"mode", "softirq"}}), "time_ms", Ms(3105)));
  EXPECT_TRUE(
      IsCounter(Find(pts, "linux_cpu", {{"cpu", "0"}, {"mode", "nice"}}), "time_ms", Ms(10)));
  if (::sysconf(_SC_CLK_TCK) == 100) {
    EXPECT_TRUE(IsCounter(Find(pts, "linux_cpu", {{"cpu", "total"}, {"mode", "user"}}), "time_ms",
                          14926540));
  }
  for (const Point& p : pts) EXPECT_EQ(p.timestamp_ms, kNow) << p.measurement;
}

TEST(LinuxInputFixture, PerCpuOffKeepsTheTotalAndTheMeanFrequency) {
  LinuxOptions o = FixtureOptions();
  o.per_cpu = false;
  LinuxInput in(o);
  auto pts = CollectOk(in);
  EXPECT_EQ(Count(pts, "linux_cpu"), 10u + 1u);
  EXPECT_EQ(Find(pts, "linux_cpu", {{"cpu", "0"}}), nullptr);
  EXPECT_TRUE(IsGauge(Find(pts, "linux_cpu", {{"cpu", "total"}, {"mode", "<none>"}}),
                      "frequency_hz", 2.0e9));
}

TEST(LinuxInputFixture, KernelLoadProcessesAndUptime) {
  LinuxInput in(FixtureOptions());
  auto pts = CollectOk(in);
  const Point* k = Find(pts, "linux_kernel");
  EXPECT_TRUE(IsCounter(k, "context_switches", 14484940));
  EXPECT_TRUE(IsCounter(k, "interrupts", 10732514));
  EXPECT_TRUE(IsCounter(k, "soft_interrupts", 7828472));
  EXPECT_TRUE(IsGauge(k, "boot_time_seconds", 1796453349));
  const Point* l = Find(pts, "linux_load");
  EXPECT_TRUE(IsGauge(l, "1m", 0.12));
  EXPECT_TRUE(IsGauge(l, "5m", 0.06));
  EXPECT_TRUE(IsGauge(l, "15m", 0.01));
  const Point* p = Find(pts, "linux_processes");
  EXPECT_TRUE(IsGauge(p, "count", 3)) << "numeric directories of the fixture's proc";
  EXPECT_TRUE(IsGauge(p, "threads", 94));
  EXPECT_TRUE(IsGauge(p, "running", 3));
  EXPECT_TRUE(IsGauge(p, "blocked", 1));
  EXPECT_TRUE(IsCounter(p, "forks", 136831));
  EXPECT_TRUE(IsGauge(Find(pts, "linux_uptime"), "seconds", 51288.59));
}

TEST(LinuxInputFixture, MemoryAndSwapInBytes) {
  LinuxInput in(FixtureOptions());
  auto pts = CollectOk(in);
  const Point* m = Find(pts, "linux_memory");
  EXPECT_TRUE(IsGauge(m, "total_bytes", 24683748.0 * 1024));
  EXPECT_TRUE(IsGauge(m, "free_bytes", 24313700.0 * 1024));
  EXPECT_TRUE(IsGauge(m, "available_bytes", 24306544.0 * 1024));
  EXPECT_TRUE(IsGauge(m, "buffers_bytes", 3268.0 * 1024));
  EXPECT_TRUE(IsGauge(m, "cached_bytes", (151120.0 + 103100.0) * 1024)) << "Cached+SReclaimable";
  EXPECT_TRUE(IsGauge(m, "used_bytes", 112560.0 * 1024)) << "total-free-buffers-cached";
  EXPECT_TRUE(IsGauge(m, "shared_bytes", 10152.0 * 1024));
  EXPECT_TRUE(IsGauge(m, "active_bytes", 63704.0 * 1024));
  EXPECT_TRUE(IsGauge(m, "inactive_bytes", 86580.0 * 1024));
  EXPECT_TRUE(IsGauge(m, "slab_bytes", 129496.0 * 1024));
  const Point* s = Find(pts, "linux_swap");
  EXPECT_TRUE(IsGauge(s, "total_bytes", 2097148.0 * 1024));
  EXPECT_TRUE(IsGauge(s, "free_bytes", 2000000.0 * 1024));
  EXPECT_TRUE(IsGauge(s, "used_bytes", 97148.0 * 1024));
  EXPECT_TRUE(IsCounter(s, "in_bytes", 120 * Page()));
  EXPECT_TRUE(IsCounter(s, "out_bytes", 345 * Page()));
}

TEST(LinuxInputFixture, DisksSkipLoopRamAndPartitionsByDefault) {
  LinuxInput in(FixtureOptions());
  auto pts = CollectOk(in);
  std::vector<std::string> devices;
  for (const Point& p : pts)
    if (p.measurement == "linux_disk") devices.push_back(TagOf(p, "device"));
  EXPECT_EQ(devices, (std::vector<std::string>{"vda", "zram0", "dm-0"}));
  const Point* d = Find(pts, "linux_disk", {{"device", "vda"}});
  EXPECT_TRUE(IsCounter(d, "reads", 259542));
  EXPECT_TRUE(IsCounter(d, "reads_merged", 26808));
  EXPECT_TRUE(IsCounter(d, "read_bytes", 17061770ull * 512));
  EXPECT_TRUE(IsCounter(d, "read_time_ms", 83809));
  EXPECT_TRUE(IsCounter(d, "writes", 1516645));
  EXPECT_TRUE(IsCounter(d, "writes_merged", 111635));
  EXPECT_TRUE(IsCounter(d, "write_bytes", 78756880ull * 512));
  EXPECT_TRUE(IsCounter(d, "write_time_ms", 211169));
  EXPECT_TRUE(IsGauge(d, "io_in_progress", 0));
  EXPECT_TRUE(IsCounter(d, "io_time_ms", 168184));
  EXPECT_TRUE(IsCounter(d, "io_weighted_time_ms", 386899));
  EXPECT_TRUE(IsGauge(Find(pts, "linux_disk", {{"device", "dm-0"}}), "io_in_progress", 1));
}

TEST(LinuxInputFixture, DiskExclusionsAreOptions) {
  LinuxOptions o = FixtureOptions();
  o.include_partitions = true;
  o.exclude_device_prefixes = {"zram"};
  LinuxInput in(o);
  auto pts = CollectOk(in);
  std::vector<std::string> devices;
  for (const Point& p : pts)
    if (p.measurement == "linux_disk") devices.push_back(TagOf(p, "device"));
  EXPECT_EQ(devices, (std::vector<std::string>{"loop0", "ram0", "vda", "vda1", "dm-0"}));
}

TEST(LinuxInputFixture, FilesystemsOnlyBlockBackedAndNotExcluded) {
  LinuxInput in(FixtureOptions());
  auto pts = CollectOk(in);
  std::vector<std::string> mps;
  for (const Point& p : pts)
    if (p.measurement == "linux_filesystem") mps.push_back(TagOf(p, "mountpoint"));
  // Out: proc, sysfs, devtmpfs, tmpfs, devpts, cgroup2 (pseudo), nfs4 (network), squashfs
  // (excluded type), overlay, /var/lib/docker (excluded prefix); /data once (remounted).
  EXPECT_EQ(mps, (std::vector<std::string>{"/", "/boot/efi", "/mnt/my disk", "/data"}));
  const Point* root = Find(pts, "linux_filesystem", {{"mountpoint", "/"}});
  EXPECT_EQ(TagOf(*root, "device"), "/dev/vda1");
  EXPECT_EQ(TagOf(*root, "fstype"), "ext4");
  EXPECT_TRUE(IsGauge(root, "total_bytes", 1000000.0 * 4096));
  EXPECT_TRUE(IsGauge(root, "free_bytes", 400000.0 * 4096));
  EXPECT_TRUE(IsGauge(root, "available_bytes", 350000.0 * 4096));
  EXPECT_TRUE(IsGauge(root, "used_bytes", 600000.0 * 4096));
  EXPECT_TRUE(IsGauge(root, "inodes", 655360));
  EXPECT_TRUE(IsGauge(root, "inodes_free", 600000));
  const Point* efi = Find(pts, "linux_filesystem", {{"mountpoint", "/boot/efi"}});
  EXPECT_TRUE(IsGauge(efi, "total_bytes", 1048576.0 * 512));
  EXPECT_EQ(FieldOf(efi, "inodes"), nullptr) << "vfat reports no inodes: a gap, not 0";
  EXPECT_EQ(TagOf(*Find(pts, "linux_filesystem", {{"mountpoint", "/data"}}), "device"), "/dev/sdd1")
      << "the later mount hides the earlier one";
  // The mount options travel beside the points, for pattoo.
  const auto& opts = in.pattoo_extras().mount_options;
  ASSERT_EQ(opts.size(), 4u);
  EXPECT_EQ(opts[0], (std::pair<std::string, std::string>{"/", "rw,relatime,discard"}));
  EXPECT_EQ(opts[3].second, "ro,relatime");
}

TEST(LinuxInputFixture, IncludeFstypesAddsNodevTypesButNotExcludedPrefixes) {
  LinuxOptions o = FixtureOptions();
  o.include_fstypes = {"nfs4", "tmpfs"};
  LinuxInput in(o);
  auto pts = CollectOk(in);
  EXPECT_NE(Find(pts, "linux_filesystem", {{"mountpoint", "/mnt/nfs"}}), nullptr);
  EXPECT_NE(Find(pts, "linux_filesystem", {{"mountpoint", "/run"}}), nullptr);
  EXPECT_EQ(Find(pts, "linux_filesystem", {{"mountpoint", "/dev/shm"}}), nullptr);
  EXPECT_EQ(Count(pts, "linux_filesystem"), 6u);
}

TEST(LinuxInputFixture, StatvfsFailureIsAGapForThatMountOnly) {
  LinuxOptions o = FixtureOptions();
  auto inner = o.statvfs_fn;
  o.statvfs_fn = [inner](const char* path, struct ::statvfs* st) {
    if (std::string(path) == "/boot/efi") {
      errno = EACCES;
      return -1;
    }
    return inner(path, st);
  };
  LinuxInput in(o);
  auto pts = CollectOk(in);
  EXPECT_EQ(Count(pts, "linux_filesystem"), 3u);
  EXPECT_EQ(Find(pts, "linux_filesystem", {{"mountpoint", "/boot/efi"}}), nullptr);
  EXPECT_EQ(in.read_errors(), 1u);
}

TEST(LinuxInputFixture, NetworkCountersPerInterface) {
  LinuxOptions o = FixtureOptions();
  o.exclude_interfaces = {"docker0"};
  LinuxInput in(o);
  auto pts = CollectOk(in);
  EXPECT_EQ(Count(pts, "linux_network"), 2u);
  const Point* lo = Find(pts, "linux_network", {{"interface", "lo"}});
  EXPECT_TRUE(IsCounter(lo, "receive_bytes", 30404211879ull));
  const Point* e = Find(pts, "linux_network", {{"interface", "eth0"}});
  EXPECT_TRUE(IsCounter(e, "receive_bytes", 85746808));
  EXPECT_TRUE(IsCounter(e, "receive_packets", 3109));
  EXPECT_TRUE(IsCounter(e, "receive_errors", 2));
  EXPECT_TRUE(IsCounter(e, "receive_drops", 7));
  EXPECT_TRUE(IsCounter(e, "transmit_bytes", 178443));
  EXPECT_TRUE(IsCounter(e, "transmit_packets", 2457));
  EXPECT_TRUE(IsCounter(e, "transmit_errors", 1));
  EXPECT_TRUE(IsCounter(e, "transmit_drops", 3));
}

TEST(LinuxInputFixture, TcpStatesSumIpv4AndIpv6) {
  LinuxInput in(FixtureOptions());
  auto pts = CollectOk(in);
  EXPECT_EQ(Count(pts, "linux_tcp"), 11u) << "every state, zeros included: they were counted";
  auto conns = [&](const std::string& state) {
    const FieldValue* v = FieldOf(Find(pts, "linux_tcp", {{"state", state}}), "connections");
    return v ? v->f : -1.0;
  };
  EXPECT_EQ(conns("established"), 4);
  EXPECT_EQ(conns("listen"), 3);
  EXPECT_EQ(conns("time_wait"), 1);
  EXPECT_EQ(conns("close_wait"), 0);
}

TEST(LinuxInputFixture, MissingTcp6IsIpv6DisabledNotAnError) {
  FixtureCopy copy;
  copy.Remove("proc/net/tcp6");
  LinuxInput in(FixtureOptions(copy.root()));
  auto pts = CollectOk(in);
  EXPECT_EQ(in.read_errors(), 0u);
  EXPECT_EQ(FieldOf(Find(pts, "linux_tcp", {{"state", "listen"}}), "connections")->f, 2);
}

TEST(LinuxInputFixture, CpuFrequencyAndTemperatures) {
  LinuxInput in(FixtureOptions());
  auto pts = CollectOk(in);
  EXPECT_TRUE(
      IsGauge(Find(pts, "linux_cpu", {{"cpu", "0"}, {"mode", "<none>"}}), "frequency_hz", 2.8e9));
  EXPECT_TRUE(
      IsGauge(Find(pts, "linux_cpu", {{"cpu", "1"}, {"mode", "<none>"}}), "frequency_hz", 1.2e9));
  std::vector<std::string> sensors;
  for (const Point& p : pts)
    if (p.measurement == "linux_temperature")
      sensors.push_back(TagOf(p, "chip") + "/" + TagOf(p, "sensor"));
  EXPECT_EQ(sensors,
            (std::vector<std::string>{"coretemp/Package id 0", "coretemp/Core 0", "nvme/Composite",
                                      "nvme@hwmon2/Composite", "acpitz/temp1"}));
  EXPECT_TRUE(IsGauge(Find(pts, "linux_temperature", {{"chip", "coretemp"}, {"sensor", "Core 0"}}),
                      "celsius", 43.0));
  EXPECT_TRUE(IsGauge(Find(pts, "linux_temperature", {{"chip", "nvme"}}), "celsius", 38.85));
  EXPECT_TRUE(IsGauge(Find(pts, "linux_temperature", {{"chip", "acpitz"}}), "celsius", -5.0));
}

TEST(LinuxInputFixture, ThermalZonesOnlyWhenHwmonHasNoTemperature) {
  FixtureCopy copy;
  copy.Remove("sys/class/hwmon");
  LinuxInput in(FixtureOptions(copy.root()));
  auto pts = CollectOk(in);
  EXPECT_EQ(in.read_errors(), 0u);
  EXPECT_TRUE(IsGauge(
      Find(pts, "linux_temperature", {{"chip", "thermal_zone0"}, {"sensor", "x86_pkg_temp"}}),
      "celsius", 46.0));
  EXPECT_TRUE(
      IsGauge(Find(pts, "linux_temperature", {{"chip", "thermal_zone1"}}), "celsius", 27.8));
}

TEST(LinuxInputFixture, AbsentSysSourcesAreSilentGaps) {
  FixtureCopy copy;
  copy.Remove("sys");
  LinuxInput in(FixtureOptions(copy.root()));
  auto pts = CollectOk(in);
  EXPECT_EQ(in.read_errors(), 0u) << "no cpufreq, hwmon or thermal: absent, not broken";
  EXPECT_EQ(Count(pts, "linux_temperature"), 0u);
  EXPECT_EQ(Find(pts, "linux_cpu", {{"mode", "<none>"}}), nullptr);
  EXPECT_EQ(Count(pts, "linux_disk"), 4u) << "vda1 is no longer known as a partition";
}

// Every point of a family outside `changed` is the same in both rounds.
void ExpectOthersUnchanged(const std::vector<Point>& intact, const std::vector<Point>& broken,
                           const std::set<std::string>& changed) {
  auto contains = [](const std::vector<Point>& pts, const Point& p) {
    for (const Point& q : pts)
      if (q == p) return true;
    return false;
  };
  for (const Point& p : intact) {
    if (changed.count(p.measurement)) continue;
    EXPECT_TRUE(contains(broken, p)) << p.measurement;
  }
  for (const Point& q : broken) {
    if (changed.count(q.measurement)) continue;
    EXPECT_TRUE(contains(intact, q)) << q.measurement;
  }
}

TEST(LinuxInputGaps, MissingMeminfoRemovesMemoryOnlyAndKeepsSwapTraffic) {
  LinuxInput good(FixtureOptions());
  auto intact = CollectOk(good);
  FixtureCopy copy;
  copy.Remove("proc/meminfo");
  LinuxInput in(FixtureOptions(copy.root()));
  auto pts = CollectOk(in);
  EXPECT_EQ(in.read_errors(), 1u);
  EXPECT_EQ(Find(pts, "linux_memory"), nullptr);
  const Point* s = Find(pts, "linux_swap");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->fields.size(), 2u) << "in/out from vmstat; no zero total, free or used";
  EXPECT_TRUE(IsCounter(s, "in_bytes", 120 * Page()));
  ExpectOthersUnchanged(intact, pts, {"linux_memory", "linux_swap"});
}

TEST(LinuxInputGaps, GarbledStatRemovesCpuAndKernelButNotOthers) {
  LinuxInput good(FixtureOptions());
  auto intact = CollectOk(good);
  FixtureCopy copy;
  copy.Write("proc/stat", "cpu  1492654 0 garbage\nctxt 5\n");
  LinuxInput in(FixtureOptions(copy.root()));
  auto pts = CollectOk(in);
  EXPECT_EQ(in.read_errors(), 1u);
  EXPECT_EQ(Find(pts, "linux_cpu", {{"mode", "user"}}), nullptr);
  EXPECT_EQ(Find(pts, "linux_kernel"), nullptr);
  const Point* p = Find(pts, "linux_processes");
  EXPECT_TRUE(IsGauge(p, "threads", 94));
  EXPECT_EQ(FieldOf(p, "forks"), nullptr);
  EXPECT_EQ(FieldOf(p, "running"), nullptr);
  // Frequencies need the CPU list of a good /proc/stat: none was ever read.
  ExpectOthersUnchanged(intact, pts, {"linux_cpu", "linux_kernel", "linux_processes"});
}

TEST(LinuxInputGaps, EachBrokenProcFileCountsOneErrorAndNoZeros) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"proc/loadavg", "linux_load"},           {"proc/uptime", "linux_uptime"},
      {"proc/diskstats", "linux_disk"},         {"proc/net/dev", "linux_network"},
      {"proc/self/mounts", "linux_filesystem"}, {"proc/net/tcp", "linux_tcp"},
      {"proc/filesystems", "linux_filesystem"}, {"proc/net/tcp6", "linux_tcp"},
  };
  LinuxInput good(FixtureOptions());
  auto intact = CollectOk(good);
  for (const auto& [file, family] : cases) {
    for (bool garble : {false, true}) {
      SCOPED_TRACE(file + (garble ? " garbled" : " missing"));
      FixtureCopy copy;
      if (garble)
        copy.Write(file, "\x01\x02 not the kernel's shape\n 0: x y ZZ\n");
      else if (file != "proc/net/tcp6")  // a missing tcp6 is fine (IPv6 off)
        copy.Remove(file);
      else
        continue;
      LinuxInput in(FixtureOptions(copy.root()));
      auto pts = CollectOk(in);
      EXPECT_EQ(in.read_errors(), 1u);
      EXPECT_EQ(Count(pts, family), 0u);
      std::set<std::string> changed = {family};
      if (family == "linux_load") changed.insert("linux_processes");  // loses its threads field
      ExpectOthersUnchanged(intact, pts, changed);
    }
  }
}

TEST(LinuxInputGaps, GarbledSysValueIsAnErrorForThatSensorOnly) {
  FixtureCopy copy;
  copy.Write("sys/class/hwmon/hwmon1/temp1_input", "hot\n");
  copy.Write("sys/devices/system/cpu/cpu1/cpufreq/scaling_cur_freq", "fast\n");
  LinuxInput in(FixtureOptions(copy.root()));
  auto pts = CollectOk(in);
  EXPECT_EQ(in.read_errors(), 2u);
  EXPECT_EQ(Count(pts, "linux_temperature"), 4u);
  EXPECT_EQ(Find(pts, "linux_cpu", {{"cpu", "1"}, {"mode", "<none>"}}), nullptr);
  EXPECT_NE(Find(pts, "linux_cpu", {{"cpu", "0"}, {"mode", "<none>"}}), nullptr);
}

TEST(LinuxInputGaps, NothingReadableIsUnavailable) {
  LinuxOptions o;
  o.proc_root = "/nonexistent/proc";
  o.sys_root = "/nonexistent/sys";
  LinuxInput in(o);
  CollectContext ctx;
  ctx.now_ms = kNow;
  std::vector<Point> out;
  Status st = in.Collect(ctx, &out);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  EXPECT_TRUE(out.empty());
  EXPECT_GE(in.read_errors(), 8u);
}

TEST(LinuxInputGaps, PassedDeadlineStopsTheRound) {
  ManualClock clock(1000);
  LinuxOptions o = FixtureOptions();
  o.clock = &clock;
  LinuxInput in(o);
  CollectContext ctx;
  ctx.now_ms = kNow;
  ctx.deadline_mono_ns = clock.MonotonicNanos() - 1;
  std::vector<Point> out;
  Status st = in.Collect(ctx, &out);
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded) << st.ToString();
  EXPECT_EQ(Count(out, "linux_filesystem"), 0u);
  // A deadline still ahead changes nothing.
  ctx.deadline_mono_ns = clock.MonotonicNanos() + 1'000'000'000;
  out.clear();
  EXPECT_TRUE(in.Collect(ctx, &out).ok());
  EXPECT_EQ(Count(out, "linux_filesystem"), 4u);
}

TEST(LinuxInputGaps, StopTokenCancelsTheRound) {
  LinuxInput in(FixtureOptions());
  std::stop_source src;
  src.request_stop();
  CollectContext ctx;
  ctx.stop = src.get_token();
  std::vector<Point> out;
  EXPECT_EQ(in.Collect(ctx, &out).code(), StatusCode::kCancelled);
}

TEST(LinuxInputFixture, SecondRoundReusesStateAndGivesTheSamePoints) {
  LinuxInput in(FixtureOptions());
  auto first = CollectOk(in);
  EXPECT_FALSE(in.pattoo_extras().has_previous_cpu);
  auto second = CollectOk(in);
  EXPECT_EQ(first, second);
  EXPECT_TRUE(in.pattoo_extras().has_previous_cpu);
  EXPECT_EQ(in.pattoo_extras().previous_cpu_ms[0], Ms(1492654));
}

TEST(LinuxInputRealProc, CollectsTheMainFamiliesOfThisMachine) {
  LinuxInput in{LinuxOptions{}};
  auto first = CollectOk(in);
  // read_errors() may count a mount this user cannot statvfs; the families below must be there.
  for (const char* family :
       {"linux_cpu", "linux_kernel", "linux_load", "linux_processes", "linux_uptime",
        "linux_memory", "linux_swap", "linux_network", "linux_tcp"})
    EXPECT_GT(Count(first, family), 0u) << family;
  const Point* total = Find(first, "linux_cpu", {{"cpu", "total"}, {"mode", "user"}});
  ASSERT_NE(total, nullptr);
  EXPECT_GT(FieldOf(total, "time_ms")->u, 0u);
  EXPECT_GT(FieldOf(Find(first, "linux_memory"), "total_bytes")->f, 0);
  EXPECT_GT(FieldOf(Find(first, "linux_processes"), "count")->f, 0);

  // Counters never go backwards between rounds.
  auto second = CollectOk(in);
  const Point* again = Find(second, "linux_cpu", {{"cpu", "total"}, {"mode", "user"}});
  ASSERT_NE(again, nullptr);
  EXPECT_GE(FieldOf(again, "time_ms")->u, FieldOf(total, "time_ms")->u);
  EXPECT_GE(FieldOf(Find(second, "linux_kernel"), "context_switches")->u,
            FieldOf(Find(first, "linux_kernel"), "context_switches")->u);
}

}  // namespace
}  // namespace strix::agents::linuxhost
