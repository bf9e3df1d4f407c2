// The linux input's data in the shape of pattoo's Linux agent (pattoo-agent-linux on
// psutil, spec pattoo.md 5.1), for the pattoo-compatible spoke page: the same key names,
// data types, value types and metadata order, so that the checksums a pattoo server
// computes continue the series of an existing pattoo agent. ToPattoo converts one round
// of LinuxInput points; it reads nothing from /proc itself. docs/agents/linux.md has the
// key-by-key mapping and the differences from psutil.
//
// Thread-safety: plain functions and values.
#pragma once

#include <string>
#include <vector>

#include "agents/common/pattoo_datapoint.h"
#include "agents/common/point.h"
#include "agents/linux/linux_input.h"
#include "core/status.h"

namespace strix::agents::linuxhost {

// The host description pattoo puts on every datapoint (Python's platform module).
struct PlatformInfo {
  std::string release;  // platform.release(): kernel release ("6.1.0-18-amd64"), no checksum
  std::string
      version;  // platform.version(): kernel build ("#1 SMP PREEMPT_DYNAMIC ..."), no checksum
  std::string processor;  // platform.processor(): "" (what Debian's `uname -p` gives); set it to
                          // match a distribution whose uname -p prints the architecture
  std::string system;     // platform.system(): "Linux"
  std::string hostname;   // socket.getfqdn(), approximated without DNS (see Read)
  int cpus = 0;           // psutil.cpu_count(): online logical CPUs

  // Reads <proc_root>/sys/kernel/{osrelease,version,ostype,hostname} (uname(2) when
  // unreadable) and <sys_root>/devices/system/cpu/online (sysconf when unreadable). The
  // hostname becomes the first dotted name of the hosts_path line that lists it, else it
  // stays as is: unlike Python's getfqdn, DNS is never asked, so the agent never waits on
  // a resolver.
  static PlatformInfo Read(const LinuxOptions& options);
};

// Appends to *out the pattoo datapoints of one round of LinuxInput points, in pattoo's
// order: cpu_times_percent_* (only when extras hold the previous round), cpu_times_*,
// cpu_stats_*, memory_*, swap_memory_*, disk_partition_disk_usage_* per filesystem,
// disk_io_* per disk, network_io_* per interface. Families absent from `points` are
// absent from *out. Each datapoint carries its point's timestamp. extras may be null:
// no cpu_times_percent_*, and disk_partition_opts is "" (which changes the checksum).
Status ToPattoo(const std::vector<Point>& points, const PlatformInfo& info,
                std::vector<PattooDatapoint>* out, const PattooExtras* extras = nullptr);

}  // namespace strix::agents::linuxhost
