// /proc readers and parsers (see procfs.h). Files under /proc report a size of 0, so they
// are read with plain read(2) until end of file rather than through Env.
#include "bench/loadgen/procfs.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>
#include <vector>

#include "core/status.h"

namespace strix::bench {
namespace {

Result<std::string> ReadProcFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open", path);
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    const int err = errno;
    ::close(fd);
    if (n < 0) return Status::FromErrno(err, "read", path);
    return out;
  }
}

std::vector<std::string_view> Fields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) ++i;
    const size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\n') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

template <typename T>
bool ParseNumber(std::string_view s, T* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

long TicksPerSecond() {
  const long t = ::sysconf(_SC_CLK_TCK);
  return t > 0 ? t : 100;
}

}  // namespace

Result<ProcessCpu> ParseProcStat(std::string_view text, long ticks_per_second) {
  const size_t close = text.rfind(')');
  if (close == std::string_view::npos) return Status::InvalidArgument("proc stat: no ')'");
  // After "pid (comm)": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
  // cmajflt utime stime ... (proc(5) fields 3, 4, ...; utime is field 14).
  const std::vector<std::string_view> f = Fields(text.substr(close + 1));
  uint64_t utime = 0, stime = 0;
  if (f.size() < 13 || !ParseNumber(f[11], &utime) || !ParseNumber(f[12], &stime))
    return Status::InvalidArgument("proc stat: no utime and stime");
  ProcessCpu c;
  c.user_seconds = static_cast<double>(utime) / static_cast<double>(ticks_per_second);
  c.system_seconds = static_cast<double>(stime) / static_cast<double>(ticks_per_second);
  return c;
}

Result<ProcessMemory> ParseProcStatus(std::string_view text) {
  ProcessMemory m;
  bool rss = false, hwm = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    const bool is_rss = line.starts_with("VmRSS:");
    const bool is_hwm = line.starts_with("VmHWM:");
    if (!is_rss && !is_hwm) continue;
    const std::vector<std::string_view> f = Fields(line.substr(6));
    uint64_t kb = 0;
    if (f.size() != 2 || f[1] != "kB" || !ParseNumber(f[0], &kb))
      return Status::InvalidArgument("proc status: bad memory line", line);
    (is_rss ? m.rss_bytes : m.hwm_bytes) = kb * 1024;
    (is_rss ? rss : hwm) = true;
  }
  if (!rss || !hwm)
    return Status::InvalidArgument("proc status: no VmRSS or VmHWM (a kernel thread or a zombie?)");
  return m;
}

Result<LoadAverage> ParseLoadAvg(std::string_view text) {
  const std::vector<std::string_view> f = Fields(text);
  LoadAverage l;
  if (f.size() < 3 || !ParseNumber(f[0], &l.one) || !ParseNumber(f[1], &l.five) ||
      !ParseNumber(f[2], &l.fifteen))
    return Status::InvalidArgument("loadavg: expected three numbers");
  return l;
}

Result<MachineCpu> ParseMachineStat(std::string_view text, long ticks_per_second) {
  const std::vector<std::string_view> f = Fields(text.substr(0, text.find('\n')));
  // cpu user nice system idle iowait irq softirq steal [guest guest_nice]
  if (f.size() < 9 || f[0] != "cpu") return Status::InvalidArgument("proc stat: no cpu line");
  uint64_t v[8];
  for (size_t i = 0; i < 8; ++i) {
    if (!ParseNumber(f[i + 1], &v[i])) return Status::InvalidArgument("proc stat: bad cpu line");
  }
  const uint64_t busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  const uint64_t total = busy + v[3] + v[4];
  MachineCpu m;
  m.busy_seconds = static_cast<double>(busy) / static_cast<double>(ticks_per_second);
  m.total_seconds = static_cast<double>(total) / static_cast<double>(ticks_per_second);
  return m;
}

Result<ProcessCpu> ReadProcessCpu(pid_t pid) {
  STRIX_ASSIGN_OR_RETURN(std::string text, ReadProcFile(fmt::format("/proc/{}/stat", pid)));
  return ParseProcStat(text, TicksPerSecond());
}

Result<ProcessMemory> ReadProcessMemory(pid_t pid) {
  STRIX_ASSIGN_OR_RETURN(std::string text, ReadProcFile(fmt::format("/proc/{}/status", pid)));
  return ParseProcStatus(text);
}

Result<LoadAverage> ReadLoadAverage() {
  STRIX_ASSIGN_OR_RETURN(std::string text, ReadProcFile("/proc/loadavg"));
  return ParseLoadAvg(text);
}

Result<MachineCpu> ReadMachineCpu() {
  STRIX_ASSIGN_OR_RETURN(std::string text, ReadProcFile("/proc/stat"));
  return ParseMachineStat(text, TicksPerSecond());
}

ProcessCpu SelfCpu() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  ProcessCpu c;
  c.user_seconds = static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6;
  c.system_seconds = static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6;
  return c;
}

}  // namespace strix::bench
