// Parsers for the /proc and /sys text files the linux input reads: bytes in, plain structs
// out, no I/O and no allocation beyond the caller's reused vectors. Every parser takes the
// whole file (or, for /proc/net/tcp, a stream of chunks) as a string_view and returns false
// when the text is not in the kernel's shape: the caller then emits no point from that
// file (a gap) and counts a read error. Unknown lines are skipped, so newer kernels that
// add lines keep working. The layouts are described in docs/agents/linux.md and in the
// kernel's Documentation/filesystems/proc.rst.
//
// Fuzzed by linux_proc_fuzz.cc (one target, the parser chosen by the first byte).
//
// Thread-safety: free functions are reentrant; a TcpStateCounter is used by one thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strix::agents::linuxhost::internal {

// ---------------------------------------------------------------- numbers and lines

// Unsigned decimal, the whole view (surrounding ASCII whitespace allowed).
bool ParseU64(std::string_view s, uint64_t* v);
// Signed decimal, the whole view (surrounding ASCII whitespace allowed).
bool ParseI64(std::string_view s, int64_t* v);
// Decimal floating point ("0.12", "51288.59"), the whole view.
bool ParseDouble(std::string_view s, double* v);
// Strips ASCII whitespace (space, tab, newline, CR) at both ends.
std::string_view Trim(std::string_view s);
// Splits off the next whitespace-separated token of *s; empty when none is left.
std::string_view NextToken(std::string_view* s);
// Splits off the next line (without its '\n') of *s; false when *s is empty.
bool NextLine(std::string_view* s, std::string_view* line);

// ---------------------------------------------------------------- /proc/stat

inline constexpr int kCpuModes = 10;
// The columns of a cpu line, in the kernel's (and psutil's) order.
inline constexpr std::array<std::string_view, kCpuModes> kCpuModeNames = {
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice"};

struct CpuTimes {
  int cpu = -1;   // -1: the aggregate "cpu" line; else N of "cpuN"
  int modes = 0;  // columns present (4 on very old kernels, 10 since 2.6.33)
  std::array<uint64_t, kCpuModes> ticks{};  // USER_HZ ticks
};

struct StatInfo {
  std::vector<CpuTimes> cpus;  // the aggregate line first, then cpuN in file order
  std::optional<uint64_t> ctxt, intr, softirq, processes, procs_running, procs_blocked, btime;
  void Clear();
};
// /proc/stat. Needs the aggregate "cpu" line; a cpu line with fewer than 4 columns or
// a malformed number on a known line fails the whole file.
bool ParseStat(std::string_view text, StatInfo* out);

// ---------------------------------------------------------------- /proc/loadavg, uptime

struct LoadAvg {
  double load1 = 0, load5 = 0, load15 = 0;
  uint64_t runnable = 0;  // scheduling entities (threads) runnable now
  uint64_t entities = 0;  // scheduling entities (threads) that exist
};
// "0.12 0.06 0.01 1/94 6978"
bool ParseLoadavg(std::string_view text, LoadAvg* out);
// "51288.59 84372.52": the first number, seconds since boot.
bool ParseUptime(std::string_view text, double* uptime_seconds);

// ---------------------------------------------------------------- /proc/meminfo, vmstat

struct MemInfo {
  // Bytes (the file's kB times 1024). Absent when the kernel does not print the line.
  std::optional<uint64_t> mem_total, mem_free, mem_available, buffers, cached, sreclaimable, shmem,
      active, inactive, slab, swap_total, swap_free;
  void Clear() { *this = MemInfo(); }
};
// /proc/meminfo. Needs MemTotal; a malformed value of a line we read fails the file.
bool ParseMeminfo(std::string_view text, MemInfo* out);

struct VmStat {
  std::optional<uint64_t> pswpin, pswpout;  // pages swapped in / out since boot
};
// /proc/vmstat ("name value" lines). Fails on a malformed value of a line we read.
bool ParseVmstat(std::string_view text, VmStat* out);

// ---------------------------------------------------------------- /proc/diskstats

// Columns 4.. of a diskstats line, in the kernel's order (Documentation/admin-guide/iostats).
enum DiskField : int {
  kReads = 0,
  kReadsMerged,
  kSectorsRead,
  kReadTimeMs,
  kWrites,
  kWritesMerged,
  kSectorsWritten,
  kWriteTimeMs,
  kIoInProgress,
  kIoTimeMs,
  kIoWeightedTimeMs,
  kDiskFields,
};

struct DiskStat {
  std::string_view name;  // points into the parsed text
  std::array<uint64_t, kDiskFields> v{};
};
// /proc/diskstats: "major minor name" and at least 11 numbers per line (kernels >= 2.6.25).
bool ParseDiskstats(std::string_view text, std::vector<DiskStat>* out);

// ---------------------------------------------------------------- /proc/net/dev

enum NetField : int {
  kRxBytes = 0,
  kRxPackets,
  kRxErrs,
  kRxDrop,
  kRxFifo,
  kRxFrame,
  kRxCompressed,
  kRxMulticast,
  kTxBytes,
  kTxPackets,
  kTxErrs,
  kTxDrop,
  kTxFifo,
  kTxColls,
  kTxCarrier,
  kTxCompressed,
  kNetFields,
};

struct NetDev {
  std::string_view name;  // points into the parsed text
  std::array<uint64_t, kNetFields> v{};
};
// /proc/net/dev: two header lines (holding '|'), then "name: 16 numbers" per interface.
bool ParseNetDev(std::string_view text, std::vector<NetDev>* out);

// ---------------------------------------------------------------- mounts, filesystems

struct Mount {
  std::string device, mountpoint, fstype, opts;  // octal escapes (\040) decoded
};
// /proc/self/mounts (fstab format). Fills out[0..*count), reusing the strings' storage.
bool ParseMounts(std::string_view text, std::vector<Mount>* out, size_t* count);

// /proc/filesystems: the names of filesystem types that need a block device (lines without
// "nodev"), plus "zfs" when listed (a nodev type that still stores data on disks).
bool ParseFilesystems(std::string_view text, std::vector<std::string>* block_types);

// Decodes the octal escapes of a mounts field (\040 space, \011 tab, \012 newline, \134
// backslash) into *out.
void UnescapeMountField(std::string_view in, std::string* out);

// ---------------------------------------------------------------- /proc/net/tcp, tcp6

inline constexpr int kTcpStates = 12;  // index = kernel state number (1..11 used)
// Label of each state number; [0] unused.
inline constexpr std::array<std::string_view, kTcpStates> kTcpStateNames = {
    "",          "established", "syn_sent",   "syn_recv", "fin_wait1", "fin_wait2",
    "time_wait", "close",       "close_wait", "last_ack", "listen",    "closing"};

// Counts sockets per state in /proc/net/tcp or tcp6, fed in chunks of any size so that a
// file with a million sockets is never held in memory. A line longer than 1 KiB, a state
// that is not two hex digits, or a state outside 1..12 makes the file malformed.
// NEW_SYN_RECV (12) is counted as syn_recv.
class TcpStateCounter {
 public:
  TcpStateCounter() { carry_.reserve(kMaxLine); }
  // Starts a new file (the counts keep adding up across files until ResetCounts).
  void BeginFile();
  void ResetCounts() { counts_.fill(0); }
  // Feeds the next chunk of the file; false once the file is malformed.
  bool Feed(std::string_view chunk);
  // Ends the file (a last line without '\n' is counted); false if malformed.
  bool EndFile();
  const std::array<uint64_t, kTcpStates>& counts() const { return counts_; }

 private:
  static constexpr size_t kMaxLine = 1024;
  bool Line(std::string_view line);
  std::array<uint64_t, kTcpStates> counts_{};
  std::string carry_;  // an incomplete line from the previous chunk
  bool header_seen_ = false;
  bool bad_ = false;
};

// ---------------------------------------------------------------- /sys and /etc

// "0-3,5,7-8" (sysfs cpu lists, e.g. devices/system/cpu/online): how many CPUs. 0: malformed.
int CountCpuList(std::string_view text);

// The fully qualified name of `hostname` from an /etc/hosts text: on the first line that
// lists `hostname` among its names, the first name (canonical, then aliases) holding a
// dot. `hostname` itself when there is none, or when it already holds a dot.
std::string FqdnFromHosts(std::string_view hosts, std::string_view hostname);

}  // namespace strix::agents::linuxhost::internal
