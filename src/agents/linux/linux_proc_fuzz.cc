// Fuzz target: every /proc and /sys parser of the linux input. The first byte picks the
// parser (by letter in the seeds, testdata/fuzz/agent_linux_proc/; any other byte maps to
// one by its value), the rest is the file's text. Must never crash, hang or read out of
// bounds, whatever the bytes; results are checked for the invariants callers rely on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "agents/linux/internal/proc_parse.h"

namespace {

using namespace strix::agents::linuxhost::internal;

void Check(bool cond) {
  if (!cond) std::abort();
}

void Run(char which, std::string_view text) {
  switch (which) {
    case 's': {
      StatInfo s;
      if (ParseStat(text, &s)) {
        Check(!s.cpus.empty() && s.cpus[0].cpu == -1);
        for (const auto& c : s.cpus) Check(c.modes >= 4 && c.modes <= kCpuModes);
      }
      break;
    }
    case 'l': {
      LoadAvg la;
      if (ParseLoadavg(text, &la)) Check(la.load1 >= 0);
      break;
    }
    case 'u': {
      double up = -1;
      if (ParseUptime(text, &up)) Check(up >= 0);
      break;
    }
    case 'm': {
      MemInfo m;
      if (ParseMeminfo(text, &m)) Check(m.mem_total.has_value());
      break;
    }
    case 'v': {
      VmStat v;
      ParseVmstat(text, &v);
      break;
    }
    case 'd': {
      std::vector<DiskStat> d;
      if (ParseDiskstats(text, &d))
        for (const auto& x : d) Check(!x.name.empty());
      break;
    }
    case 'n': {
      std::vector<NetDev> n;
      if (ParseNetDev(text, &n))
        for (const auto& x : n) Check(!x.name.empty());
      break;
    }
    case 'M': {
      std::vector<Mount> m;
      size_t count = 0;
      if (ParseMounts(text, &m, &count)) {
        Check(count <= m.size());
        for (size_t i = 0; i < count; ++i) Check(!m[i].mountpoint.empty());
      }
      // Reuse of the same vector with a second, shorter text.
      ParseMounts(text.substr(text.size() / 2), &m, &count);
      break;
    }
    case 'f': {
      std::vector<std::string> t;
      ParseFilesystems(text, &t);
      break;
    }
    case 't': {
      // The same text fed whole and in chunks of a size taken from its length: the two
      // must agree.
      TcpStateCounter whole, chunked;
      whole.BeginFile();
      bool a = whole.Feed(text) && whole.EndFile();
      size_t step = 1 + text.size() % 13;
      chunked.BeginFile();
      bool b = true;
      for (size_t off = 0; off < text.size() && b; off += step)
        b = chunked.Feed(text.substr(off, step));
      b = b && chunked.EndFile();
      Check(a == b);
      if (a) Check(whole.counts() == chunked.counts());
      break;
    }
    case 'c': {
      int n = CountCpuList(text);
      Check(n >= 0);
      break;
    }
    case 'h': {
      // hosts text, then the host name after the last NUL (or "web1").
      size_t nul = text.rfind('\0');
      std::string_view host = nul == std::string_view::npos ? "web1" : text.substr(nul + 1);
      std::string fqdn =
          FqdnFromHosts(text.substr(0, nul == std::string_view::npos ? text.size() : nul), host);
      Check(!host.empty() || fqdn.empty());
      break;
    }
    case 'y': {
      uint64_t u;
      int64_t i;
      double d;
      ParseU64(text, &u);
      ParseI64(text, &i);
      ParseDouble(text, &d);
      std::string s;
      UnescapeMountField(text, &s);
      Check(s.size() <= text.size());
      break;
    }
    default:
      break;
  }
}

constexpr char kParsers[] = "slumvdnMftchy";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 256 * 1024) return 0;
  char which = static_cast<char>(data[0]);
  if (std::string_view(kParsers).find(which) == std::string_view::npos)
    which = kParsers[data[0] % (sizeof(kParsers) - 1)];
  Run(which, std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  return 0;
}
