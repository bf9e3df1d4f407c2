// LinuxInput: the strix-agent input that measures the Linux host it runs on, read from
// /proc and /sys with plain read() calls (no child processes, no iostreams): CPU times,
// load, kernel activity, processes and threads, memory and swap, disk I/O, filesystem
// usage, network interfaces, TCP connection states, uptime, CPU frequency and
// temperatures. docs/agents/linux.md lists every series with its kind, unit, labels and
// source file, the exclusions, and what is absent when a file is missing.
//
// Counters (CPU milliseconds, bytes, packets, operations, context switches, ...) are sent
// as ValueKind::kCounter, never as rates; levels (memory, load, filesystem bytes,
// temperatures, frequencies) as kGauge. A file that cannot be read or parsed gives no
// point for what it holds (a gap, never zeros), adds one to read_errors() and is logged
// once per file kind; the other families of the round are unaffected.
//
// Cost: one Collect reuses its read buffer and parse vectors, so after the first round it
// allocates only the Points it returns. Filesystems are measured with statvfs(2), which
// cannot be given a timeout: by default only block-device filesystems are measured (see
// LinuxOptions::include_fstypes), so a hung NFS server cannot stall the input.
//
// Thread-safety: Collect is called from one thread at a time (the Input contract);
// pattoo_extras() is read by that same thread between rounds; read_errors() from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agents/common/input.h"
#include "agents/common/point.h"
#include "core/clock.h"
#include "core/status.h"

struct statvfs;

namespace strix::agents::linuxhost {

struct LinuxOptions {
  // Where procfs and sysfs are mounted (tests point these at fixture trees).
  std::string proc_root = "/proc";
  std::string sys_root = "/sys";
  // The hosts file PlatformInfo::Read looks the host's dotted name up in (never DNS).
  std::string hosts_path = "/etc/hosts";

  // Per-core series (linux_cpu{cpu="0"}, ...) besides cpu="total". Off: only the total,
  // and the mean frequency as linux_cpu_frequency_hz{cpu="total"}.
  bool per_cpu = true;
  // Disk partitions (sda1, nvme0n1p2) besides whole disks in linux_disk_*. Off by default:
  // a partition's I/O is already counted in its disk, and sums over devices would count
  // it twice. pattoo's agent reports partitions too; a spoke serving the pattoo page sets
  // this for parity.
  bool include_partitions = false;
  // TCP connection states from /proc/net/tcp and tcp6 (the kernel walks every socket to
  // print them: turn off on hosts with millions of sockets).
  bool tcp_states = true;
  // Temperatures from /sys/class/hwmon (and /sys/class/thermal when hwmon has none).
  bool temperatures = true;

  // Filesystem types never measured (pseudo, read-only images, container layers). Matched
  // exactly.
  // exclude_fstypes wins over include_fstypes.
  std::vector<std::string> exclude_fstypes = {
      "autofs",    "binfmt_misc", "bpf",      "cgroup",  "cgroup2",   "configfs",   "debugfs",
      "devpts",    "devtmpfs",    "efivarfs", "fusectl", "hugetlbfs", "iso9660",    "mqueue",
      "nsfs",      "overlay",     "proc",     "procfs",  "pstore",    "rpc_pipefs", "securityfs",
      "selinuxfs", "squashfs",    "sysfs",    "tracefs"};
  // Only filesystem types backed by a block device (those /proc/filesystems lists without
  // "nodev", plus zfs) are measured, unless named here: e.g. "tmpfs", "nfs4", "cifs".
  // So tmpfs, ramfs and network filesystems are out by default. Risk of adding a network
  // type: statvfs(2) on a filesystem whose server is gone blocks in the kernel without a
  // timeout, and the whole input with it, until the server answers.
  std::vector<std::string> include_fstypes = {};
  // Mountpoints under these directories are skipped (the directory itself and anything
  // below it; matched on whole path components).
  std::vector<std::string> exclude_mount_prefixes = {"/dev",
                                                     "/proc",
                                                     "/sys",
                                                     "/run/credentials",
                                                     "/run/docker",
                                                     "/var/lib/docker",
                                                     "/var/lib/containers",
                                                     "/var/lib/kubelet",
                                                     "/snap"};
  // Devices of /proc/diskstats whose names start with one of these are skipped.
  std::vector<std::string> exclude_device_prefixes = {"loop", "ram"};
  // Network interfaces skipped, by exact name. Loopback is kept by default.
  std::vector<std::string> exclude_interfaces = {};

  // statvfs(2), replaceable for tests; empty: ::statvfs.
  std::function<int(const char* path, struct ::statvfs* st)> statvfs_fn;
  // The clock CollectContext::deadline_mono_ns is read on; null: Clock::Real().
  const Clock* clock = nullptr;
};

// What ToPattoo needs beyond one round's points; LinuxInput fills it during Collect.
struct PattooExtras {
  // The aggregate CPU times of the round before the latest one, in milliseconds, in
  // internal::kCpuModeNames order (user ... guest_nice): cpu_times_percent_* is computed
  // from the delta. Absent (false) on the first round.
  bool has_previous_cpu = false;
  int previous_cpu_modes = 0;
  std::array<uint64_t, 10> previous_cpu_ms{};
  // Mount options of the latest round's measured filesystems, by mountpoint, for the
  // pattoo metadata disk_partition_opts (the options are not a Strix label).
  std::vector<std::pair<std::string, std::string>> mount_options;
};

class LinuxInput final : public Input {
 public:
  explicit LinuxInput(LinuxOptions options);
  ~LinuxInput() override;
  LinuxInput(const LinuxInput&) = delete;
  LinuxInput& operator=(const LinuxInput&) = delete;

  // Appends this round's points, all stamped ctx.now_ms. Returns OK when anything was
  // read (partial rounds are OK: what failed is counted in read_errors()); Unavailable
  // when nothing could be read; DeadlineExceeded or Cancelled when the deadline passed or
  // the stop token fired mid-round (points so far are in *out).
  Status Collect(const CollectContext& ctx, std::vector<Point>* out) override;

  // Files (or statvfs calls) that could not be read or parsed, since construction.
  uint64_t read_errors() const;

  const PattooExtras& pattoo_extras() const;

  const LinuxOptions& options() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace strix::agents::linuxhost
