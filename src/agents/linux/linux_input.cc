// LinuxInput (linux_input.h): one Collect reads each /proc and /sys source in turn, turns
// what parsed into points, and counts what did not. The order of families in the output
// is fixed (cpu, kernel, load, processes, uptime, memory, swap, disks, filesystems,
// network, tcp, cpu frequency, temperatures) so that tests and ToPattoo can rely on it.
//
// Invariant: the parse structs and the read buffer live in State and are reused; a view
// into the read buffer (disk and interface names) is only used before the next read.
#include "agents/linux/linux_input.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <string_view>

#include "agents/linux/internal/proc_parse.h"
#include "agents/linux/internal/sysfile.h"
#include "core/log.h"

namespace strix::agents::linuxhost {
namespace {

using internal::CpuTimes;

// One bit per kind of source, so that each kind is logged once.
enum Source : int {
  kSrcStat,
  kSrcLoadavg,
  kSrcUptime,
  kSrcMeminfo,
  kSrcVmstat,
  kSrcDiskstats,
  kSrcNetDev,
  kSrcMounts,
  kSrcFilesystems,
  kSrcStatvfs,
  kSrcTcp,
  kSrcCpufreq,
  kSrcHwmon,
  kSrcThermal,
  kSrcProcDir,
};

constexpr uint64_t kSectorBytes = 512;  // diskstats counts 512-byte sectors, whatever the device

Point& NewPoint(std::vector<Point>* out, std::string_view measurement, int64_t ts, size_t fields) {
  Point& p = out->emplace_back();
  p.measurement.assign(measurement);
  p.timestamp_ms = ts;
  p.fields.reserve(fields);
  return p;
}

void AddTag(Point& p, std::string_view key, std::string_view value) {
  p.tags.emplace_back(std::string(key), std::string(value));
}

void AddCounter(Point& p, std::string_view key, uint64_t v) {
  Field& f = p.fields.emplace_back();
  f.key.assign(key);
  f.value.kind = ValueKind::kCounter;
  f.value.u = v;
}

void AddGauge(Point& p, std::string_view key, double v) {
  Field& f = p.fields.emplace_back();
  f.key.assign(key);
  f.value.kind = ValueKind::kGauge;
  f.value.f = v;
}

bool Contains(const std::vector<std::string>& list, std::string_view s) {
  for (const auto& x : list)
    if (x == s) return true;
  return false;
}

bool HasPrefix(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// `path` is `dir` or below it (whole components: "/dev" covers "/dev/shm", not "/devices").
bool UnderDir(std::string_view path, std::string_view dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  if (!HasPrefix(path, dir)) return false;
  return path.size() == dir.size() || dir == "/" || path[dir.size()] == '/';
}

// Numeric suffix of "hwmon12" / "thermal_zone3" / "temp4_input" (after `prefix`); -1 if none.
int64_t NumberAfter(std::string_view name, std::string_view prefix) {
  if (!HasPrefix(name, prefix)) return -1;
  name.remove_prefix(prefix.size());
  int64_t v = 0;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
  if (ec != std::errc() || p == name.data() || v < 0) return -1;
  return v;
}

std::string_view IntToText(int64_t v, char (&buf)[24]) {
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string_view(buf, p - buf);
}

}  // namespace

struct LinuxInput::State {
  explicit State(LinuxOptions o) : opts(std::move(o)) {
    clock = opts.clock ? opts.clock : &Clock::Real();
    long hz = ::sysconf(_SC_CLK_TCK);
    clk_tck = hz > 0 ? static_cast<uint64_t>(hz) : 100;
    long page = ::sysconf(_SC_PAGESIZE);
    page_size = page > 0 ? static_cast<uint64_t>(page) : 4096;
    const std::string& p = opts.proc_root;
    p_stat = p + "/stat";
    p_loadavg = p + "/loadavg";
    p_uptime = p + "/uptime";
    p_meminfo = p + "/meminfo";
    p_vmstat = p + "/vmstat";
    p_diskstats = p + "/diskstats";
    p_netdev = p + "/net/dev";
    p_mounts = p + "/self/mounts";
    p_filesystems = p + "/filesystems";
    p_tcp = p + "/net/tcp";
    p_tcp6 = p + "/net/tcp6";
    path.reserve(256);
  }

  // ---- helpers
  void Error(Source src, std::string_view file, int err) {
    read_errors.fetch_add(1, std::memory_order_relaxed);
    ++round_errors;
    if (logged & (1u << src)) return;
    logged |= 1u << src;
    if (err == 0) {
      STRIX_LOG(kWarn, "linux: malformed file, its series are gaps", "file", file);
    } else {
      STRIX_LOG(kWarn, "linux: cannot read file, its series are gaps", "file", file, "error",
                std::string_view(std::strerror(err)));
    }
  }
  // Reads a whole file; false (and the error counted) on failure. ENOENT is counted too
  // unless `optional`, in which case it is an absent source.
  bool Read(Source src, const std::string& file, std::string_view* text, bool optional = false,
            bool* absent = nullptr) {
    int err = reader.ReadAll(file.c_str(), text);
    if (err == 0) return true;
    if (optional && (err == ENOENT || err == ENODATA || err == ENOTDIR)) {
      if (absent) *absent = true;
      return false;
    }
    Error(src, file, err);
    return false;
  }
  bool Expired(const CollectContext& ctx) const {
    return ctx.deadline_mono_ns > 0 && clock->MonotonicNanos() >= ctx.deadline_mono_ns;
  }
  uint64_t TicksToMs(uint64_t ticks) const {
    if (clk_tck == 100) return ticks * 10;
    return static_cast<uint64_t>(static_cast<unsigned __int128>(ticks) * 1000 / clk_tck);
  }
  bool IsPartition(std::string_view dev);

  // ---- families
  void CollectStat(int64_t ts, std::vector<Point>* out);
  void CollectLoadAndProcesses(int64_t ts, std::vector<Point>* out);
  void CollectUptime(int64_t ts, std::vector<Point>* out);
  void CollectMemory(int64_t ts, std::vector<Point>* out);
  void CollectDisks(int64_t ts, std::vector<Point>* out);
  Status CollectFilesystems(const CollectContext& ctx, std::vector<Point>* out);
  void CollectNetwork(int64_t ts, std::vector<Point>* out);
  Status CollectTcp(const CollectContext& ctx, std::vector<Point>* out);
  void CollectCpuFrequency(int64_t ts, std::vector<Point>* out);
  void CollectTemperatures(int64_t ts, std::vector<Point>* out);
  bool CollectHwmon(int64_t ts, std::vector<Point>* out);
  void CollectThermal(int64_t ts, std::vector<Point>* out);

  LinuxOptions opts;
  const Clock* clock = nullptr;
  uint64_t clk_tck = 100;
  uint64_t page_size = 4096;
  std::string p_stat, p_loadavg, p_uptime, p_meminfo, p_vmstat, p_diskstats, p_netdev, p_mounts,
      p_filesystems, p_tcp, p_tcp6;
  std::string path;   // scratch for per-device paths
  std::string label;  // scratch for labels

  internal::FileReader reader;
  internal::DirLister lister;
  std::atomic<uint64_t> read_errors{0};  // also read by the self-metrics thread
  uint64_t round_errors = 0;
  uint32_t logged = 0;

  // Parse results, reused round to round.
  internal::StatInfo stat;
  bool stat_ok = false;
  internal::MemInfo mem;
  internal::VmStat vm;
  std::vector<internal::DiskStat> disks;
  std::vector<internal::NetDev> nets;
  std::vector<internal::Mount> mounts;
  std::vector<size_t> chosen;  // indexes into mounts
  std::vector<std::string> block_types;
  internal::TcpStateCounter tcp;
  std::vector<std::pair<std::string, bool>> partition_cache;  // device -> is a partition
  std::vector<int> cpu_ids;                                   // from the last good /proc/stat
  std::vector<std::pair<int64_t, std::string>> dir_names;     // (number, name) of a listing
  std::vector<int64_t> sensor_ids;
  std::vector<std::pair<std::string, std::string>> seen_sensors;

  // Aggregate CPU times of the latest round (ms), shifted into extras each round.
  bool has_cur_cpu = false;
  int cur_cpu_modes = 0;
  std::array<uint64_t, 10> cur_cpu_ms{};
  PattooExtras extras;
  size_t last_points = 0;
  int64_t round_ts = 0;  // ctx.now_ms of the round being collected
};

// ------------------------------------------------------------------------ /proc/stat

void LinuxInput::State::CollectStat(int64_t ts, std::vector<Point>* out) {
  std::string_view text;
  stat_ok = false;
  if (!Read(kSrcStat, p_stat, &text)) return;
  if (!internal::ParseStat(text, &stat)) {
    Error(kSrcStat, p_stat, 0);
    return;
  }
  stat_ok = true;
  cpu_ids.clear();
  char buf[24];
  for (const CpuTimes& ct : stat.cpus) {
    if (ct.cpu >= 0) cpu_ids.push_back(ct.cpu);
    if (ct.cpu >= 0 && !opts.per_cpu) continue;
    std::string_view cpu = ct.cpu < 0 ? std::string_view("total") : IntToText(ct.cpu, buf);
    for (int m = 0; m < ct.modes; ++m) {
      Point& p = NewPoint(out, "linux_cpu", ts, 1);
      p.tags.reserve(2);
      AddTag(p, "cpu", cpu);
      AddTag(p, "mode", internal::kCpuModeNames[m]);
      AddCounter(p, "time_ms", TicksToMs(ct.ticks[m]));
    }
  }
  // The aggregate line is always first (ParseStat guarantees it exists).
  const CpuTimes& total = stat.cpus.front();
  extras.has_previous_cpu = has_cur_cpu;
  extras.previous_cpu_modes = cur_cpu_modes;
  extras.previous_cpu_ms = cur_cpu_ms;
  has_cur_cpu = true;
  cur_cpu_modes = total.modes;
  for (int m = 0; m < internal::kCpuModes; ++m)
    cur_cpu_ms[m] = m < total.modes ? TicksToMs(total.ticks[m]) : 0;

  if (stat.ctxt || stat.intr || stat.softirq || stat.btime) {
    Point& p = NewPoint(out, "linux_kernel", ts, 4);
    if (stat.ctxt) AddCounter(p, "context_switches", *stat.ctxt);
    if (stat.intr) AddCounter(p, "interrupts", *stat.intr);
    if (stat.softirq) AddCounter(p, "soft_interrupts", *stat.softirq);
    if (stat.btime) AddGauge(p, "boot_time_seconds", static_cast<double>(*stat.btime));
  }
}

// ------------------------------------------------ /proc/loadavg, /proc/<pid>, processes

void LinuxInput::State::CollectLoadAndProcesses(int64_t ts, std::vector<Point>* out) {
  std::string_view text;
  internal::LoadAvg la;
  bool la_ok = false;
  if (Read(kSrcLoadavg, p_loadavg, &text)) {
    la_ok = internal::ParseLoadavg(text, &la);
    if (!la_ok) Error(kSrcLoadavg, p_loadavg, 0);
  }
  if (la_ok) {
    Point& p = NewPoint(out, "linux_load", ts, 3);
    AddGauge(p, "1m", la.load1);
    AddGauge(p, "5m", la.load5);
    AddGauge(p, "15m", la.load15);
  }

  // Processes: the numeric entries of /proc.
  uint64_t procs = 0;
  int err = lister.List(opts.proc_root.c_str(), [&](std::string_view name, unsigned char) {
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string_view::npos) ++procs;
  });
  if (err != 0) Error(kSrcProcDir, opts.proc_root, err);

  bool any = err == 0 || la_ok ||
             (stat_ok && (stat.procs_running || stat.procs_blocked || stat.processes));
  if (!any) return;
  Point& p = NewPoint(out, "linux_processes", ts, 5);
  if (err == 0) AddGauge(p, "count", static_cast<double>(procs));
  if (la_ok) AddGauge(p, "threads", static_cast<double>(la.entities));
  if (stat_ok && stat.procs_running)
    AddGauge(p, "running", static_cast<double>(*stat.procs_running));
  if (stat_ok && stat.procs_blocked)
    AddGauge(p, "blocked", static_cast<double>(*stat.procs_blocked));
  if (stat_ok && stat.processes) AddCounter(p, "forks", *stat.processes);
  if (p.fields.empty()) out->pop_back();
}

// ------------------------------------------------------------------------ /proc/uptime

void LinuxInput::State::CollectUptime(int64_t ts, std::vector<Point>* out) {
  std::string_view text;
  if (!Read(kSrcUptime, p_uptime, &text)) return;
  double up = 0;
  if (!internal::ParseUptime(text, &up)) {
    Error(kSrcUptime, p_uptime, 0);
    return;
  }
  Point& p = NewPoint(out, "linux_uptime", ts, 1);
  AddGauge(p, "seconds", up);
}

// --------------------------------------------------------------- /proc/meminfo, vmstat

void LinuxInput::State::CollectMemory(int64_t ts, std::vector<Point>* out) {
  std::string_view text;
  bool mem_ok = false;
  if (Read(kSrcMeminfo, p_meminfo, &text)) {
    mem_ok = internal::ParseMeminfo(text, &mem);
    if (!mem_ok) Error(kSrcMeminfo, p_meminfo, 0);
  }
  bool vm_ok = false;
  if (Read(kSrcVmstat, p_vmstat, &text)) {
    vm_ok = internal::ParseVmstat(text, &vm);
    if (!vm_ok) Error(kSrcVmstat, p_vmstat, 0);
  }
  auto g = [](Point& p, std::string_view key, const std::optional<uint64_t>& v) {
    if (v) AddGauge(p, key, static_cast<double>(*v));
  };
  if (mem_ok) {
    Point& p = NewPoint(out, "linux_memory", ts, 10);
    g(p, "total_bytes", mem.mem_total);
    g(p, "free_bytes", mem.mem_free);
    g(p, "available_bytes", mem.mem_available);
    // used as free(1) and psutil count it: total - free - buffers - cached, where cached
    // includes reclaimable slab.
    std::optional<uint64_t> cached;
    if (mem.cached) cached = *mem.cached + mem.sreclaimable.value_or(0);
    if (mem.mem_free && mem.buffers && cached) {
      uint64_t total = *mem.mem_total, free = *mem.mem_free;
      uint64_t taken = free + *mem.buffers + *cached;
      uint64_t used = taken <= total ? total - taken : (free <= total ? total - free : 0);
      AddGauge(p, "used_bytes", static_cast<double>(used));
    }
    g(p, "buffers_bytes", mem.buffers);
    g(p, "cached_bytes", cached);
    g(p, "shared_bytes", mem.shmem);
    g(p, "active_bytes", mem.active);
    g(p, "inactive_bytes", mem.inactive);
    g(p, "slab_bytes", mem.slab);
  }
  bool swap_mem = mem_ok && mem.swap_total && mem.swap_free;
  bool swap_vm = vm_ok && vm.pswpin && vm.pswpout;
  if (swap_mem || swap_vm) {
    Point& p = NewPoint(out, "linux_swap", ts, 5);
    if (swap_mem) {
      uint64_t total = *mem.swap_total, free = *mem.swap_free;
      AddGauge(p, "total_bytes", static_cast<double>(total));
      AddGauge(p, "free_bytes", static_cast<double>(free));
      AddGauge(p, "used_bytes", static_cast<double>(free <= total ? total - free : 0));
    }
    if (swap_vm) {
      AddCounter(p, "in_bytes", *vm.pswpin * page_size);
      AddCounter(p, "out_bytes", *vm.pswpout * page_size);
    }
  }
}

// --------------------------------------------------------------------- /proc/diskstats

bool LinuxInput::State::IsPartition(std::string_view dev) {
  for (const auto& [name, part] : partition_cache)
    if (name == dev) return part;
  // sysfs spells '/' in device names (cciss/c0d0) as '!'.
  path.assign(opts.sys_root).append("/class/block/");
  size_t base = path.size();
  path.append(dev);
  std::replace(path.begin() + static_cast<ptrdiff_t>(base), path.end(), '/', '!');
  path.append("/partition");
  bool part = ::access(path.c_str(), F_OK) == 0;
  if (partition_cache.size() >= 4096) partition_cache.clear();  // devices come and go
  partition_cache.emplace_back(std::string(dev), part);
  return part;
}

void LinuxInput::State::CollectDisks(int64_t ts, std::vector<Point>* out) {
  std::string_view text;
  if (!Read(kSrcDiskstats, p_diskstats, &text)) return;
  if (!internal::ParseDiskstats(text, &disks)) {
    Error(kSrcDiskstats, p_diskstats, 0);
    return;
  }
  for (const internal::DiskStat& d : disks) {
    bool skip = false;
    for (const auto& prefix : opts.exclude_device_prefixes)
      if (!prefix.empty() && HasPrefix(d.name, prefix)) skip = true;
    if (skip) continue;
    if (!opts.include_partitions && IsPartition(d.name)) continue;
    Point& p = NewPoint(out, "linux_disk", ts, internal::kDiskFields);
    AddTag(p, "device", d.name);
    using namespace internal;  // DiskField names
    AddCounter(p, "reads", d.v[kReads]);
    AddCounter(p, "reads_merged", d.v[kReadsMerged]);
    AddCounter(p, "read_bytes", d.v[kSectorsRead] * kSectorBytes);
    AddCounter(p, "read_time_ms", d.v[kReadTimeMs]);
    AddCounter(p, "writes", d.v[kWrites]);
    AddCounter(p, "writes_merged", d.v[kWritesMerged]);
    AddCounter(p, "write_bytes", d.v[kSectorsWritten] * kSectorBytes);
    AddCounter(p, "write_time_ms", d.v[kWriteTimeMs]);
    AddGauge(p, "io_in_progress", static_cast<double>(d.v[kIoInProgress]));
    AddCounter(p, "io_time_ms", d.v[kIoTimeMs]);
    AddCounter(p, "io_weighted_time_ms", d.v[kIoWeightedTimeMs]);
  }
}

// ------------------------------------------------------------ filesystems (statvfs)

Status LinuxInput::State::CollectFilesystems(const CollectContext& ctx, std::vector<Point>* out) {
  extras.mount_options.clear();
  std::string_view text;
  if (!Read(kSrcFilesystems, p_filesystems, &text)) return Status::Ok();
  if (!internal::ParseFilesystems(text, &block_types)) {
    Error(kSrcFilesystems, p_filesystems, 0);
    return Status::Ok();
  }
  size_t count = 0;
  if (!Read(kSrcMounts, p_mounts, &text)) return Status::Ok();
  if (!internal::ParseMounts(text, &mounts, &count)) {
    Error(kSrcMounts, p_mounts, 0);
    return Status::Ok();
  }
  chosen.clear();
  for (size_t i = 0; i < count; ++i) {
    const internal::Mount& m = mounts[i];
    if (Contains(opts.exclude_fstypes, m.fstype)) continue;
    if (!Contains(block_types, m.fstype) && !Contains(opts.include_fstypes, m.fstype)) continue;
    bool skip = false;
    for (const auto& dir : opts.exclude_mount_prefixes)
      if (!dir.empty() && UnderDir(m.mountpoint, dir)) skip = true;
    if (skip) continue;
    // A mountpoint mounted over again: the later mount is the one statvfs sees.
    bool replaced = false;
    for (size_t& c : chosen) {
      if (mounts[c].mountpoint == m.mountpoint) {
        c = i;
        replaced = true;
      }
    }
    if (!replaced) chosen.push_back(i);
  }
  for (size_t c : chosen) {
    if (ctx.stop.stop_requested()) return Status::Cancelled("linux: stopped");
    if (Expired(ctx)) return Status::DeadlineExceeded("linux: deadline passed in statvfs");
    const internal::Mount& m = mounts[c];
    struct statvfs st;
    std::memset(&st, 0, sizeof(st));
    int rc = opts.statvfs_fn ? opts.statvfs_fn(m.mountpoint.c_str(), &st)
                             : ::statvfs(m.mountpoint.c_str(), &st);
    if (rc != 0) {
      Error(kSrcStatvfs, m.mountpoint, errno != 0 ? errno : EIO);
      continue;
    }
    uint64_t frsize = st.f_frsize ? st.f_frsize : st.f_bsize;
    uint64_t blocks = st.f_blocks, bfree = st.f_bfree, bavail = st.f_bavail;
    if (bfree > blocks) bfree = blocks;
    Point& p = NewPoint(out, "linux_filesystem", round_ts, 6);
    p.tags.reserve(3);
    AddTag(p, "device", m.device);
    AddTag(p, "mountpoint", m.mountpoint);
    AddTag(p, "fstype", m.fstype);
    AddGauge(p, "total_bytes", static_cast<double>(blocks * frsize));
    AddGauge(p, "free_bytes", static_cast<double>(bfree * frsize));
    AddGauge(p, "available_bytes", static_cast<double>(bavail * frsize));
    AddGauge(p, "used_bytes", static_cast<double>((blocks - bfree) * frsize));
    // Filesystems without an inode table (btrfs, vfat) report 0 inodes: a gap, not a 0.
    if (st.f_files != 0) {
      AddGauge(p, "inodes", static_cast<double>(st.f_files));
      AddGauge(p, "inodes_free", static_cast<double>(st.f_ffree));
    }
    extras.mount_options.emplace_back(m.mountpoint, m.opts);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------- /proc/net/dev

void LinuxInput::State::CollectNetwork(int64_t ts, std::vector<Point>* out) {
  std::string_view text;
  if (!Read(kSrcNetDev, p_netdev, &text)) return;
  if (!internal::ParseNetDev(text, &nets)) {
    Error(kSrcNetDev, p_netdev, 0);
    return;
  }
  using namespace internal;  // NetField names
  for (const NetDev& n : nets) {
    if (Contains(opts.exclude_interfaces, n.name)) continue;
    Point& p = NewPoint(out, "linux_network", ts, 8);
    AddTag(p, "interface", n.name);
    AddCounter(p, "receive_bytes", n.v[kRxBytes]);
    AddCounter(p, "receive_packets", n.v[kRxPackets]);
    AddCounter(p, "receive_errors", n.v[kRxErrs]);
    AddCounter(p, "receive_drops", n.v[kRxDrop]);
    AddCounter(p, "transmit_bytes", n.v[kTxBytes]);
    AddCounter(p, "transmit_packets", n.v[kTxPackets]);
    AddCounter(p, "transmit_errors", n.v[kTxErrs]);
    AddCounter(p, "transmit_drops", n.v[kTxDrop]);
  }
}

// ------------------------------------------------------------------ /proc/net/tcp, tcp6

Status LinuxInput::State::CollectTcp(const CollectContext& ctx, std::vector<Point>* out) {
  tcp.ResetCounts();
  bool expired = false;
  for (const std::string* file : {&p_tcp, &p_tcp6}) {
    tcp.BeginFile();
    int err = reader.Stream(file->c_str(), [&](std::string_view chunk) {
      if (Expired(ctx) || ctx.stop.stop_requested()) {
        expired = true;
        return false;
      }
      return tcp.Feed(chunk);
    });
    if (expired) {
      if (ctx.stop.stop_requested()) return Status::Cancelled("linux: stopped");
      return Status::DeadlineExceeded("linux: deadline passed reading tcp sockets", *file);
    }
    if (err == ENOENT && file == &p_tcp6) continue;  // IPv6 disabled
    if (err != 0 && err != ECANCELED) {
      Error(kSrcTcp, *file, err);
      return Status::Ok();
    }
    if (err == ECANCELED || !tcp.EndFile()) {
      Error(kSrcTcp, *file, 0);
      return Status::Ok();
    }
  }
  for (int s = 1; s < internal::kTcpStates; ++s) {
    Point& p = NewPoint(out, "linux_tcp", round_ts, 1);
    AddTag(p, "state", internal::kTcpStateNames[s]);
    AddGauge(p, "connections", static_cast<double>(tcp.counts()[s]));
  }
  return Status::Ok();
}

// ------------------------------------------------------------- /sys: cpufreq, hwmon, thermal

void LinuxInput::State::CollectCpuFrequency(int64_t ts, std::vector<Point>* out) {
  double sum_hz = 0;
  int n = 0;
  char buf[24];
  for (int id : cpu_ids) {
    std::string_view num = IntToText(id, buf);
    path.assign(opts.sys_root)
        .append("/devices/system/cpu/cpu")
        .append(num)
        .append("/cpufreq/scaling_cur_freq");
    std::string_view text;
    if (!Read(kSrcCpufreq, path, &text, /*optional=*/true)) continue;
    uint64_t khz = 0;
    if (!internal::ParseU64(text, &khz)) {
      Error(kSrcCpufreq, path, 0);
      continue;
    }
    double hz = static_cast<double>(khz) * 1000.0;
    if (opts.per_cpu) {
      Point& p = NewPoint(out, "linux_cpu", ts, 1);
      AddTag(p, "cpu", num);
      AddGauge(p, "frequency_hz", hz);
    }
    sum_hz += hz;
    ++n;
  }
  if (!opts.per_cpu && n > 0) {
    Point& p = NewPoint(out, "linux_cpu", ts, 1);
    AddTag(p, "cpu", "total");
    AddGauge(p, "frequency_hz", sum_hz / n);
  }
}

void LinuxInput::State::CollectTemperatures(int64_t ts, std::vector<Point>* out) {
  if (!CollectHwmon(ts, out)) CollectThermal(ts, out);
}

// Lists `dir`, keeping the names that are `prefix` followed by a number, sorted by number.
// Returns the listing's errno.
static int ListNumbered(internal::DirLister* lister, const std::string& dir,
                        std::string_view prefix,
                        std::vector<std::pair<int64_t, std::string>>* names) {
  names->clear();
  int err = lister->List(dir.c_str(), [&](std::string_view name, unsigned char) {
    int64_t n = NumberAfter(name, prefix);
    if (n >= 0 && name.size() - prefix.size() <= 9) names->emplace_back(n, std::string(name));
  });
  std::sort(names->begin(), names->end());
  return err;
}

bool LinuxInput::State::CollectHwmon(int64_t ts, std::vector<Point>* out) {
  std::string dir = opts.sys_root + "/class/hwmon";
  int err = ListNumbered(&lister, dir, "hwmon", &dir_names);
  if (err != 0) {
    if (err != ENOENT) Error(kSrcHwmon, dir, err);
    return false;
  }
  seen_sensors.clear();
  bool any = false;
  std::string chip;
  for (const auto& [num, hw] : dir_names) {
    std::string base = dir + "/" + hw + "/";
    path.assign(base).append("name");
    std::string_view text;
    if (Read(kSrcHwmon, path, &text, /*optional=*/true))
      chip.assign(internal::Trim(text));
    else
      chip.assign(hw);
    if (chip.empty()) chip.assign(hw);
    // temp<N>_input files.
    sensor_ids.clear();
    err = lister.List(base.c_str(), [&](std::string_view name, unsigned char) {
      if (name.size() < 11 || !HasPrefix(name, "temp") || name.substr(name.size() - 6) != "_input")
        return;
      int64_t n = NumberAfter(name.substr(0, name.size() - 6), "temp");
      if (n >= 0) sensor_ids.push_back(n);
    });
    if (err != 0) {
      Error(kSrcHwmon, base, err);
      continue;
    }
    std::sort(sensor_ids.begin(), sensor_ids.end());
    char buf[24];
    for (int64_t id : sensor_ids) {
      std::string_view idtext = IntToText(id, buf);
      path.assign(base).append("temp").append(idtext).append("_input");
      if (!Read(kSrcHwmon, path, &text, /*optional=*/true)) continue;
      int64_t milli = 0;
      if (!internal::ParseI64(text, &milli)) {
        Error(kSrcHwmon, path, 0);
        continue;
      }
      path.assign(base).append("temp").append(idtext).append("_label");
      if (Read(kSrcHwmon, path, &text, /*optional=*/true) && !internal::Trim(text).empty())
        label.assign(internal::Trim(text));
      else
        label.assign("temp").append(idtext);
      // Two chips of one name (two NVMe drives): the later one is told apart by its hwmon.
      std::string chip_label = chip;
      for (const auto& [c, s] : seen_sensors)
        if (c == chip && s == label) chip_label = chip + "@" + hw;
      seen_sensors.emplace_back(chip, label);
      Point& p = NewPoint(out, "linux_temperature", ts, 1);
      p.tags.reserve(2);
      AddTag(p, "chip", chip_label);
      AddTag(p, "sensor", label);
      AddGauge(p, "celsius", static_cast<double>(milli) / 1000.0);
      any = true;
    }
  }
  return any;
}

void LinuxInput::State::CollectThermal(int64_t ts, std::vector<Point>* out) {
  std::string dir = opts.sys_root + "/class/thermal";
  int err = ListNumbered(&lister, dir, "thermal_zone", &dir_names);
  if (err != 0) {
    if (err != ENOENT) Error(kSrcThermal, dir, err);
    return;
  }
  for (const auto& [num, zone] : dir_names) {
    std::string base = dir + "/" + zone + "/";
    path.assign(base).append("temp");
    std::string_view text;
    if (!Read(kSrcThermal, path, &text, /*optional=*/true)) continue;
    int64_t milli = 0;
    if (!internal::ParseI64(text, &milli)) {
      Error(kSrcThermal, path, 0);
      continue;
    }
    path.assign(base).append("type");
    if (Read(kSrcThermal, path, &text, /*optional=*/true) && !internal::Trim(text).empty())
      label.assign(internal::Trim(text));
    else
      label.assign(zone);
    Point& p = NewPoint(out, "linux_temperature", ts, 1);
    p.tags.reserve(2);
    AddTag(p, "chip", zone);
    AddTag(p, "sensor", label);
    AddGauge(p, "celsius", static_cast<double>(milli) / 1000.0);
  }
}

// ------------------------------------------------------------------------ LinuxInput

LinuxInput::LinuxInput(LinuxOptions options) : s_(std::make_unique<State>(std::move(options))) {}
LinuxInput::~LinuxInput() = default;

uint64_t LinuxInput::read_errors() const { return s_->read_errors.load(std::memory_order_relaxed); }
const PattooExtras& LinuxInput::pattoo_extras() const { return s_->extras; }
const LinuxOptions& LinuxInput::options() const { return s_->opts; }

Status LinuxInput::Collect(const CollectContext& ctx, std::vector<Point>* out) {
  State& s = *s_;
  const int64_t ts = ctx.now_ms;
  s.round_ts = ts;
  s.round_errors = 0;
  const size_t start = out->size();
  out->reserve(start + s.last_points);

  auto interrupted = [&]() -> Status {
    if (ctx.stop.stop_requested()) return Status::Cancelled("linux: stopped");
    if (s.Expired(ctx)) return Status::DeadlineExceeded("linux: deadline passed");
    return Status::Ok();
  };

  s.CollectStat(ts, out);
  s.CollectLoadAndProcesses(ts, out);
  s.CollectUptime(ts, out);
  s.CollectMemory(ts, out);
  STRIX_RETURN_IF_ERROR(interrupted());
  s.CollectDisks(ts, out);
  STRIX_RETURN_IF_ERROR(interrupted());
  STRIX_RETURN_IF_ERROR(s.CollectFilesystems(ctx, out));
  s.CollectNetwork(ts, out);
  STRIX_RETURN_IF_ERROR(interrupted());
  if (s.opts.tcp_states) STRIX_RETURN_IF_ERROR(s.CollectTcp(ctx, out));
  STRIX_RETURN_IF_ERROR(interrupted());
  s.CollectCpuFrequency(ts, out);
  if (s.opts.temperatures) s.CollectTemperatures(ts, out);

  const size_t produced = out->size() - start;
  s.last_points = produced;
  if (produced == 0 && s.round_errors > 0)
    return Status::Unavailable("linux: no source could be read", s.opts.proc_root);
  return Status::Ok();
}

}  // namespace strix::agents::linuxhost
