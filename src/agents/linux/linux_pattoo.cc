// ToPattoo and PlatformInfo (linux_pattoo.h). The conversion looks the Strix points of one
// round up by measurement, tag and field, and rebuilds psutil's named tuples from them in
// psutil's field order; derived values (percentages, memory "used") follow psutil 5.7's
// formulas so that a pattoo page served by Strix reads like one served by pattoo.
#include "agents/linux/linux_pattoo.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "agents/linux/internal/proc_parse.h"
#include "agents/linux/internal/sysfile.h"

namespace strix::agents::linuxhost {
namespace {

using internal::kCpuModeNames;
using internal::kCpuModes;

const FieldValue* FindField(const Point& p, std::string_view key) {
  for (const Field& f : p.fields)
    if (f.key == key) return &f.value;
  return nullptr;
}

std::string_view FindTag(const Point& p, std::string_view key) {
  for (const auto& [k, v] : p.tags)
    if (k == key) return v;
  return {};
}

// A field as an exact integer (counters stay exact; gauges of bytes are integral).
std::optional<int64_t> Integer(const Point& p, std::string_view key) {
  const FieldValue* v = FindField(p, key);
  if (v == nullptr) return std::nullopt;
  switch (v->kind) {
    case ValueKind::kCounter:
    case ValueKind::kCounter32:
      return static_cast<int64_t>(v->u);
    case ValueKind::kDerive:
      return v->i;
    case ValueKind::kGauge:
      if (!std::isfinite(v->f)) return std::nullopt;
      return static_cast<int64_t>(std::llround(v->f));
    case ValueKind::kState:
      return std::nullopt;
  }
  return std::nullopt;
}

// Python's round(x, 1): the correctly rounded decimal with one fraction digit (glibc's
// printf rounds the exact binary value, half to even, as Python does).
double Round1(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return std::strtod(buf, nullptr);
}

// psutil's usage_percent(used, total, round_=1).
double UsagePercent(double used, double total) {
  if (total == 0) return 0.0;
  return Round1(used / total * 100.0);
}

class Builder {
 public:
  Builder(const PlatformInfo& info, std::vector<PattooDatapoint>* out) : out_(out) {
    // pattoo-agent-linux's Performance.metadata, in its order.
    Meta(&common_, "release", info.release, false);
    Meta(&common_, "version", info.version, false);
    Meta(&common_, "processor", info.processor, true);
    Meta(&common_, "type", info.system, true);
    Meta(&common_, "cpus", std::to_string(info.cpus), true);
    Meta(&common_, "hostname", info.hostname, true);
  }

  static void Meta(std::vector<PattooMetadata>* md, std::string_view key, std::string_view value,
                   bool checksum) {
    PattooMetadata m;
    m.key.assign(key);
    m.value.assign(internal::Trim(value));  // str(value).strip()
    m.checksum = checksum;
    md->push_back(std::move(m));
  }

  // A datapoint with `before` metadata, then the common metadata, then `after`.
  PattooDatapoint& Add(std::string key, int data_type, int64_t ts,
                       const std::vector<PattooMetadata>* before = nullptr,
                       const std::vector<PattooMetadata>* after = nullptr) {
    PattooDatapoint& d = out_->emplace_back();
    d.key = std::move(key);
    d.data_type = data_type;
    d.timestamp_ms = ts;
    size_t n = common_.size() + (before ? before->size() : 0) + (after ? after->size() : 0);
    d.metadata.reserve(n);
    if (before) d.metadata.insert(d.metadata.end(), before->begin(), before->end());
    d.metadata.insert(d.metadata.end(), common_.begin(), common_.end());
    if (after) d.metadata.insert(d.metadata.end(), after->begin(), after->end());
    return d;
  }

  void Int(std::string key, int data_type, int64_t ts, int64_t v,
           const std::vector<PattooMetadata>* before = nullptr,
           const std::vector<PattooMetadata>* after = nullptr) {
    PattooDatapoint& d = Add(std::move(key), data_type, ts, before, after);
    d.value.type = PattooValue::Type::kInt;
    d.value.i = v;
  }

  void Float(std::string key, int data_type, int64_t ts, double v,
             const std::vector<PattooMetadata>* before = nullptr,
             const std::vector<PattooMetadata>* after = nullptr) {
    PattooDatapoint& d = Add(std::move(key), data_type, ts, before, after);
    d.value.type = PattooValue::Type::kFloat;
    d.value.f = v;
  }

 private:
  std::vector<PattooDatapoint>* out_;
  std::vector<PattooMetadata> common_;
};

std::string Key(std::string_view prefix, std::string_view member) {
  std::string k;
  k.reserve(prefix.size() + 1 + member.size());
  k.append(prefix).append("_").append(member);
  return k;
}

// Reads a one-line kernel file, trimmed; nullopt when unreadable.
std::optional<std::string> ReadLine(internal::FileReader* reader, const std::string& path) {
  std::string_view text;
  if (reader->ReadAll(path.c_str(), &text) != 0) return std::nullopt;
  return std::string(internal::Trim(text));
}

}  // namespace

Status ToPattoo(const std::vector<Point>& points, const PlatformInfo& info,
                std::vector<PattooDatapoint>* out, const PattooExtras* extras) {
  Builder b(info, out);

  // ---- gather
  std::array<std::optional<uint64_t>, kCpuModes> cpu_ms;
  int64_t cpu_ts = 0;
  const Point* kernel = nullptr;
  const Point* memory = nullptr;
  const Point* swap = nullptr;
  std::vector<const Point*> filesystems, disks, nets;
  for (const Point& p : points) {
    const std::string& m = p.measurement;
    if (m == "linux_cpu") {
      if (FindTag(p, "cpu") != "total") continue;
      std::string_view mode = FindTag(p, "mode");
      const FieldValue* v = FindField(p, "time_ms");
      if (v == nullptr || v->kind != ValueKind::kCounter) continue;
      for (int i = 0; i < kCpuModes; ++i) {
        if (kCpuModeNames[i] == mode) {
          cpu_ms[i] = v->u;
          cpu_ts = p.timestamp_ms;
        }
      }
    } else if (m == "linux_kernel") {
      kernel = &p;
    } else if (m == "linux_memory") {
      memory = &p;
    } else if (m == "linux_swap") {
      swap = &p;
    } else if (m == "linux_filesystem") {
      filesystems.push_back(&p);
    } else if (m == "linux_disk") {
      disks.push_back(&p);
    } else if (m == "linux_network") {
      nets.push_back(&p);
    }
  }

  // ---- cpu_times_percent_* (psutil.cpu_times_percent(): the delta since the last call)
  if (extras != nullptr && extras->has_previous_cpu) {
    std::array<std::optional<double>, kCpuModes> delta;
    double all = 0;
    for (int i = 0; i < kCpuModes; ++i) {
      if (!cpu_ms[i] || i >= extras->previous_cpu_modes) continue;
      double d = static_cast<double>(*cpu_ms[i]) / 1000.0 -
                 static_cast<double>(extras->previous_cpu_ms[i]) / 1000.0;
      delta[i] = std::max(0.0, d);
      // Linux counts guest time inside user and nice: psutil leaves it out of the total.
      if (i < 8) all += *delta[i];
    }
    double scale = 100.0 / std::max(1.0, all);
    for (int i = 0; i < kCpuModes; ++i) {
      if (!delta[i]) continue;
      double perc = std::min(std::max(0.0, Round1(*delta[i] * scale)), 100.0);
      b.Float(Key("cpu_times_percent", kCpuModeNames[i]), kPattooFloat, cpu_ts, perc);
    }
  }

  // ---- cpu_times_* (cumulative seconds, COUNTER64 floats)
  for (int i = 0; i < kCpuModes; ++i) {
    if (!cpu_ms[i]) continue;
    b.Float(Key("cpu_times", kCpuModeNames[i]), kPattooCounter64, cpu_ts,
            static_cast<double>(*cpu_ms[i]) / 1000.0);
  }

  // ---- cpu_stats_* (syscalls: always 0 from psutil on Linux, not sent)
  if (kernel != nullptr) {
    static constexpr std::pair<std::string_view, std::string_view> kStats[] = {
        {"ctx_switches", "context_switches"},
        {"interrupts", "interrupts"},
        {"soft_interrupts", "soft_interrupts"}};
    for (const auto& [pk, sk] : kStats)
      if (auto v = Integer(*kernel, sk))
        b.Int(Key("cpu_stats", pk), kPattooCounter64, kernel->timestamp_ms, *v);
  }

  // ---- memory_* (psutil.virtual_memory())
  if (memory != nullptr) {
    const Point& p = *memory;
    auto total = Integer(p, "total_bytes");
    auto avail = Integer(p, "available_bytes");
    auto put = [&](std::string_view pk, std::string_view sk) {
      if (auto v = Integer(p, sk)) b.Int(Key("memory", pk), kPattooInt, p.timestamp_ms, *v);
    };
    put("total", "total_bytes");
    put("available", "available_bytes");
    if (total && avail)
      b.Float("memory_percent", kPattooInt, p.timestamp_ms,
              UsagePercent(static_cast<double>(*total - *avail), static_cast<double>(*total)));
    put("used", "used_bytes");
    put("free", "free_bytes");
    put("active", "active_bytes");
    put("inactive", "inactive_bytes");
    put("buffers", "buffers_bytes");
    put("cached", "cached_bytes");
    put("shared", "shared_bytes");
    put("slab", "slab_bytes");
  }

  // ---- swap_memory_* (psutil.swap_memory())
  if (swap != nullptr) {
    const Point& p = *swap;
    auto total = Integer(p, "total_bytes");
    auto used = Integer(p, "used_bytes");
    auto free = Integer(p, "free_bytes");
    if (total) b.Int("swap_memory_total", kPattooInt, p.timestamp_ms, *total);
    if (used) b.Int("swap_memory_used", kPattooInt, p.timestamp_ms, *used);
    if (free) b.Int("swap_memory_free", kPattooInt, p.timestamp_ms, *free);
    if (total && used)
      b.Float("swap_memory_percent", kPattooInt, p.timestamp_ms,
              UsagePercent(static_cast<double>(*used), static_cast<double>(*total)));
    if (auto v = Integer(p, "in_bytes"))
      b.Int("swap_memory_sin", kPattooCounter64, p.timestamp_ms, *v);
    if (auto v = Integer(p, "out_bytes"))
      b.Int("swap_memory_sout", kPattooCounter64, p.timestamp_ms, *v);
  }

  // ---- disk_partition_disk_usage_* (psutil.disk_usage() per partition); metadata first
  std::vector<PattooMetadata> md;
  for (const Point* fs : filesystems) {
    const Point& p = *fs;
    std::string_view mountpoint = FindTag(p, "mountpoint");
    std::string_view opts;
    if (extras != nullptr)
      for (const auto& [mp, o] : extras->mount_options)
        if (mp == mountpoint) opts = o;
    md.clear();
    Builder::Meta(&md, "disk_partition_device", FindTag(p, "device"), true);
    Builder::Meta(&md, "disk_partition_mountpoint", mountpoint, true);
    Builder::Meta(&md, "disk_partition_fstype", FindTag(p, "fstype"), true);
    Builder::Meta(&md, "disk_partition_opts", opts, true);
    auto total = Integer(p, "total_bytes");
    auto used = Integer(p, "used_bytes");
    auto avail = Integer(p, "available_bytes");
    const int64_t ts = p.timestamp_ms;
    if (total) b.Int("disk_partition_disk_usage_total", kPattooInt, ts, *total, &md);
    if (used) b.Int("disk_partition_disk_usage_used", kPattooInt, ts, *used, &md);
    if (avail) b.Int("disk_partition_disk_usage_free", kPattooInt, ts, *avail, &md);
    if (used && avail)
      b.Float("disk_partition_disk_usage_percent", kPattooInt, ts,
              UsagePercent(static_cast<double>(*used), static_cast<double>(*used + *avail)), &md);
  }

  // ---- disk_io_* (psutil.disk_io_counters(perdisk=True)); metadata after the common
  static constexpr std::pair<std::string_view, std::string_view> kDiskIo[] = {
      {"read_count", "reads"},
      {"write_count", "writes"},
      {"read_bytes", "read_bytes"},
      {"write_bytes", "write_bytes"},
      {"read_time", "read_time_ms"},
      {"write_time", "write_time_ms"},
      {"read_merged_count", "reads_merged"},
      {"write_merged_count", "writes_merged"},
      {"busy_time", "io_time_ms"}};
  for (const Point* d : disks) {
    md.clear();
    Builder::Meta(&md, "disk_partition", FindTag(*d, "device"), true);
    for (const auto& [pk, sk] : kDiskIo)
      if (auto v = Integer(*d, sk))
        b.Int(Key("disk_io", pk), kPattooCounter64, d->timestamp_ms, *v, nullptr, &md);
  }

  // ---- network_io_* (psutil.net_io_counters(pernic=True)); metadata after the common
  static constexpr std::pair<std::string_view, std::string_view> kNetIo[] = {
      {"bytes_sent", "transmit_bytes"},     {"bytes_recv", "receive_bytes"},
      {"packets_sent", "transmit_packets"}, {"packets_recv", "receive_packets"},
      {"errin", "receive_errors"},          {"errout", "transmit_errors"},
      {"dropin", "receive_drops"},          {"dropout", "transmit_drops"}};
  for (const Point* n : nets) {
    md.clear();
    Builder::Meta(&md, "network_io_interface", FindTag(*n, "interface"), true);
    for (const auto& [pk, sk] : kNetIo)
      if (auto v = Integer(*n, sk))
        b.Int(Key("network_io", pk), kPattooCounter64, n->timestamp_ms, *v, nullptr, &md);
  }
  return Status::Ok();
}

PlatformInfo PlatformInfo::Read(const LinuxOptions& options) {
  internal::FileReader reader(4 << 10, 1 << 20);
  PlatformInfo info;
  struct utsname uts;
  bool have_uts = ::uname(&uts) == 0;
  const std::string kernel = options.proc_root + "/sys/kernel/";
  auto pick = [&](const char* file, const char* fallback) {
    if (auto v = ReadLine(&reader, kernel + file)) return *v;
    return std::string(have_uts ? fallback : "");
  };
  info.release = pick("osrelease", uts.release);
  info.version = pick("version", uts.version);
  info.system = pick("ostype", uts.sysname);
  std::string host = pick("hostname", uts.nodename);
  info.processor = "";

  std::string_view hosts;
  if (reader.ReadAll(options.hosts_path.c_str(), &hosts) == 0)
    info.hostname = internal::FqdnFromHosts(hosts, host);
  else
    info.hostname = host;

  int cpus = 0;
  if (auto online = ReadLine(&reader, options.sys_root + "/devices/system/cpu/online"))
    cpus = internal::CountCpuList(*online);
  if (cpus <= 0) {
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    cpus = n > 0 ? static_cast<int>(n) : 1;
  }
  info.cpus = cpus;
  return info;
}

}  // namespace strix::agents::linuxhost
