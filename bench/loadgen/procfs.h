// What the load generator reads from /proc around a run: the target process's CPU time
// (utime + stime of /proc/P/stat, all its threads, not its children) and memory (VmRSS
// and VmHWM of /proc/P/status; VmHWM is the peak since the process started), the
// machine's load average (/proc/loadavg) and its busy CPU time (/proc/stat), so that a
// report can say how busy the machine was besides the target and the load generator.
//
// The parsers take the file's text, so tests can feed them fixed strings; the readers
// open the real files.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string_view>

#include "core/result.h"

namespace strix::bench {

struct ProcessCpu {
  double user_seconds = 0;
  double system_seconds = 0;
  double total() const { return user_seconds + system_seconds; }
};
struct ProcessMemory {
  uint64_t rss_bytes = 0;  // VmRSS
  uint64_t hwm_bytes = 0;  // VmHWM: peak resident set since the process started
};
struct LoadAverage {
  double one = 0, five = 0, fifteen = 0;
};
struct MachineCpu {
  double busy_seconds = 0;   // all CPUs: user+nice+system+irq+softirq+steal
  double total_seconds = 0;  // the above plus idle and iowait
};

// Text of /proc/P/stat; the command name may hold spaces and parentheses.
Result<ProcessCpu> ParseProcStat(std::string_view text, long ticks_per_second);
// Text of /proc/P/status.
Result<ProcessMemory> ParseProcStatus(std::string_view text);
Result<LoadAverage> ParseLoadAvg(std::string_view text);
// Text of /proc/stat (its first, aggregate "cpu" line).
Result<MachineCpu> ParseMachineStat(std::string_view text, long ticks_per_second);

Result<ProcessCpu> ReadProcessCpu(pid_t pid);
Result<ProcessMemory> ReadProcessMemory(pid_t pid);
Result<LoadAverage> ReadLoadAverage();
Result<MachineCpu> ReadMachineCpu();
// The load generator's own CPU time (getrusage RUSAGE_SELF).
ProcessCpu SelfCpu();

}  // namespace strix::bench
