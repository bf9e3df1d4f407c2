// Parsers of /proc and /sys text (see proc_parse.h). Hand-written scanning over
// string_view with std::from_chars: no iostreams, no regex, no allocation per line.
#include "agents/linux/internal/proc_parse.h"

#include <charconv>
#include <cstring>

namespace strix::agents::linuxhost::internal {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Parses a whole token as an unsigned number (no sign, no whitespace).
bool TokenU64(std::string_view t, uint64_t* v) {
  if (t.empty()) return false;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), *v);
  return ec == std::errc() && p == t.data() + t.size();
}

// "MemTotal:       24683748 kB" -> value in bytes (kB lines) or as is (no unit).
bool MeminfoValue(std::string_view rest, uint64_t* bytes) {
  std::string_view num = NextToken(&rest);
  std::string_view unit = NextToken(&rest);
  if (!NextToken(&rest).empty()) return false;
  uint64_t v = 0;
  if (!TokenU64(num, &v)) return false;
  if (unit.empty()) {
    *bytes = v;
    return true;
  }
  if (unit != "kB") return false;
  if (v > UINT64_MAX / 1024) return false;
  *bytes = v * 1024;
  return true;
}

}  // namespace

// ---------------------------------------------------------------- numbers and lines

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view NextToken(std::string_view* s) {
  size_t i = 0;
  while (i < s->size() && IsSpace((*s)[i])) ++i;
  size_t j = i;
  while (j < s->size() && !IsSpace((*s)[j])) ++j;
  std::string_view tok = s->substr(i, j - i);
  s->remove_prefix(j);
  return tok;
}

bool NextLine(std::string_view* s, std::string_view* line) {
  if (s->empty()) return false;
  size_t nl = s->find('\n');
  if (nl == std::string_view::npos) {
    *line = *s;
    *s = {};
  } else {
    *line = s->substr(0, nl);
    s->remove_prefix(nl + 1);
  }
  return true;
}

bool ParseU64(std::string_view s, uint64_t* v) { return TokenU64(Trim(s), v); }

bool ParseI64(std::string_view s, int64_t* v) {
  s = Trim(s);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

bool ParseDouble(std::string_view s, double* v) {
  s = Trim(s);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v, std::chars_format::fixed);
  return ec == std::errc() && p == s.data() + s.size();
}

// ---------------------------------------------------------------- /proc/stat

void StatInfo::Clear() {
  cpus.clear();
  ctxt.reset();
  intr.reset();
  softirq.reset();
  processes.reset();
  procs_running.reset();
  procs_blocked.reset();
  btime.reset();
}

bool ParseStat(std::string_view text, StatInfo* out) {
  out->Clear();
  bool have_total = false;
  std::string_view line;
  while (NextLine(&text, &line)) {
    std::string_view rest = line;
    std::string_view key = NextToken(&rest);
    if (key.empty()) continue;
    if (key.size() >= 3 && key.substr(0, 3) == "cpu") {
      CpuTimes ct;
      if (key.size() == 3) {
        if (have_total) return false;  // two aggregate lines
        ct.cpu = -1;
      } else {
        uint64_t n = 0;
        if (!TokenU64(key.substr(3), &n) || n > 1u << 20) return false;
        ct.cpu = static_cast<int>(n);
      }
      for (std::string_view t = NextToken(&rest); !t.empty(); t = NextToken(&rest)) {
        if (ct.modes == kCpuModes) break;  // a future column: ignored
        if (!TokenU64(t, &ct.ticks[ct.modes])) return false;
        ++ct.modes;
      }
      if (ct.modes < 4) return false;
      if (ct.cpu == -1) {
        have_total = true;
        out->cpus.insert(out->cpus.begin(), ct);
      } else {
        out->cpus.push_back(ct);
      }
      continue;
    }
    std::optional<uint64_t>* slot = nullptr;
    if (key == "ctxt") {
      slot = &out->ctxt;
    } else if (key == "intr") {
      slot = &out->intr;
    } else if (key == "softirq") {
      slot = &out->softirq;
    } else if (key == "processes") {
      slot = &out->processes;
    } else if (key == "procs_running") {
      slot = &out->procs_running;
    } else if (key == "procs_blocked") {
      slot = &out->procs_blocked;
    } else if (key == "btime") {
      slot = &out->btime;
    } else {
      continue;
    }
    // The first number only: intr and softirq go on with one column per source.
    uint64_t v = 0;
    if (!TokenU64(NextToken(&rest), &v)) return false;
    *slot = v;
  }
  return have_total;
}

// ---------------------------------------------------------------- /proc/loadavg, uptime

bool ParseLoadavg(std::string_view text, LoadAvg* out) {
  std::string_view rest = text;
  if (!ParseDouble(NextToken(&rest), &out->load1)) return false;
  if (!ParseDouble(NextToken(&rest), &out->load5)) return false;
  if (!ParseDouble(NextToken(&rest), &out->load15)) return false;
  std::string_view ratio = NextToken(&rest);
  size_t slash = ratio.find('/');
  if (slash == std::string_view::npos) return false;
  if (!TokenU64(ratio.substr(0, slash), &out->runnable)) return false;
  if (!TokenU64(ratio.substr(slash + 1), &out->entities)) return false;
  return out->load1 >= 0 && out->load5 >= 0 && out->load15 >= 0;
}

bool ParseUptime(std::string_view text, double* uptime_seconds) {
  std::string_view rest = text;
  double v = 0;
  if (!ParseDouble(NextToken(&rest), &v) || v < 0) return false;
  *uptime_seconds = v;
  return true;
}

// ---------------------------------------------------------------- /proc/meminfo, vmstat

bool ParseMeminfo(std::string_view text, MemInfo* out) {
  out->Clear();
  std::string_view line;
  while (NextLine(&text, &line)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      if (Trim(line).empty()) continue;
      return false;
    }
    std::string_view key = line.substr(0, colon);
    std::optional<uint64_t>* slot = nullptr;
    switch (key.size()) {  // a cheap first cut before the string compares
      case 4:
        if (key == "Slab") slot = &out->slab;
        break;
      case 5:
        if (key == "Shmem") slot = &out->shmem;
        break;
      case 6:
        if (key == "Cached")
          slot = &out->cached;
        else if (key == "Active")
          slot = &out->active;
        break;
      case 7:
        if (key == "MemFree")
          slot = &out->mem_free;
        else if (key == "Buffers")
          slot = &out->buffers;
        break;
      case 8:
        if (key == "MemTotal")
          slot = &out->mem_total;
        else if (key == "Inactive")
          slot = &out->inactive;
        else if (key == "SwapFree")
          slot = &out->swap_free;
        break;
      case 9:
        if (key == "SwapTotal") slot = &out->swap_total;
        break;
      case 12:
        if (key == "MemAvailable")
          slot = &out->mem_available;
        else if (key == "SReclaimable")
          slot = &out->sreclaimable;
        break;
      default:
        break;
    }
    if (slot == nullptr) continue;
    uint64_t bytes = 0;
    if (!MeminfoValue(line.substr(colon + 1), &bytes)) return false;
    *slot = bytes;
  }
  return out->mem_total.has_value();
}

bool ParseVmstat(std::string_view text, VmStat* out) {
  *out = VmStat();
  std::string_view line;
  while (NextLine(&text, &line)) {
    std::string_view rest = line;
    std::string_view key = NextToken(&rest);
    std::optional<uint64_t>* slot = nullptr;
    if (key == "pswpin") {
      slot = &out->pswpin;
    } else if (key == "pswpout") {
      slot = &out->pswpout;
    } else {
      continue;
    }
    uint64_t v = 0;
    if (!TokenU64(NextToken(&rest), &v)) return false;
    *slot = v;
  }
  return true;
}

// ---------------------------------------------------------------- /proc/diskstats

bool ParseDiskstats(std::string_view text, std::vector<DiskStat>* out) {
  out->clear();
  std::string_view line;
  while (NextLine(&text, &line)) {
    std::string_view rest = line;
    std::string_view major = NextToken(&rest);
    if (major.empty()) continue;  // blank line
    uint64_t dummy = 0;
    if (!TokenU64(major, &dummy) || !TokenU64(NextToken(&rest), &dummy)) return false;
    DiskStat d;
    d.name = NextToken(&rest);
    if (d.name.empty()) return false;
    for (int i = 0; i < kDiskFields; ++i) {
      if (!TokenU64(NextToken(&rest), &d.v[i])) return false;
    }
    // Later columns (discards since 4.18, flushes since 5.5) are not read.
    out->push_back(d);
  }
  return true;
}

// ---------------------------------------------------------------- /proc/net/dev

bool ParseNetDev(std::string_view text, std::vector<NetDev>* out) {
  out->clear();
  std::string_view line;
  int headers = 0;
  while (NextLine(&text, &line)) {
    if (line.find('|') != std::string_view::npos) {
      ++headers;
      continue;
    }
    if (Trim(line).empty()) continue;
    if (headers < 2) return false;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    NetDev d;
    d.name = Trim(line.substr(0, colon));
    if (d.name.empty()) return false;
    std::string_view rest = line.substr(colon + 1);
    for (int i = 0; i < kNetFields; ++i) {
      if (!TokenU64(NextToken(&rest), &d.v[i])) return false;
    }
    out->push_back(d);
  }
  return headers == 2;
}

// ---------------------------------------------------------------- mounts, filesystems

void UnescapeMountField(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\\' && i + 3 < in.size() && in[i + 1] >= '0' && in[i + 1] <= '3' &&
        in[i + 2] >= '0' && in[i + 2] <= '7' && in[i + 3] >= '0' && in[i + 3] <= '7') {
      out->push_back(
          static_cast<char>((in[i + 1] - '0') * 64 + (in[i + 2] - '0') * 8 + (in[i + 3] - '0')));
      i += 3;
      continue;
    }
    out->push_back(c);
  }
}

bool ParseMounts(std::string_view text, std::vector<Mount>* out, size_t* count) {
  *count = 0;
  std::string_view line;
  while (NextLine(&text, &line)) {
    std::string_view rest = line;
    std::string_view device = NextToken(&rest);
    if (device.empty()) continue;  // blank line
    std::string_view mountpoint = NextToken(&rest);
    std::string_view fstype = NextToken(&rest);
    std::string_view opts = NextToken(&rest);
    if (opts.empty()) return false;
    if (*count == out->size()) out->emplace_back();
    Mount& m = (*out)[*count];
    UnescapeMountField(device, &m.device);
    UnescapeMountField(mountpoint, &m.mountpoint);
    UnescapeMountField(fstype, &m.fstype);
    UnescapeMountField(opts, &m.opts);
    if (m.mountpoint.empty() || m.mountpoint[0] != '/') return false;
    ++*count;
  }
  return true;
}

bool ParseFilesystems(std::string_view text, std::vector<std::string>* block_types) {
  block_types->clear();
  std::string_view line;
  while (NextLine(&text, &line)) {
    std::string_view rest = line;
    std::string_view first = NextToken(&rest);
    if (first.empty()) continue;
    if (first == "nodev") {
      std::string_view type = NextToken(&rest);
      if (type.empty()) return false;
      if (type == "zfs") block_types->emplace_back(type);
      continue;
    }
    if (!NextToken(&rest).empty()) return false;
    block_types->emplace_back(first);
  }
  return true;
}

// ---------------------------------------------------------------- /proc/net/tcp

void TcpStateCounter::BeginFile() {
  carry_.clear();
  header_seen_ = false;
  bad_ = false;
}

bool TcpStateCounter::Line(std::string_view line) {
  if (!header_seen_) {
    header_seen_ = true;
    return true;  // "  sl  local_address rem_address   st ..."
  }
  std::string_view rest = line;
  std::string_view sl = NextToken(&rest);
  if (sl.empty()) return true;  // blank line
  if (sl.back() != ':') return false;
  NextToken(&rest);  // local address
  NextToken(&rest);  // remote address
  std::string_view st = NextToken(&rest);
  if (st.size() != 2) return false;
  unsigned state = 0;
  auto [p, ec] = std::from_chars(st.data(), st.data() + 2, state, 16);
  if (ec != std::errc() || p != st.data() + 2) return false;
  if (state == 12) state = 3;  // TCP_NEW_SYN_RECV: a request socket, shown as SYN_RECV
  if (state < 1 || state > 11) return false;
  ++counts_[state];
  return true;
}

bool TcpStateCounter::Feed(std::string_view chunk) {
  if (bad_) return false;
  while (!chunk.empty()) {
    size_t nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      if (carry_.size() + chunk.size() > kMaxLine) return !(bad_ = true);
      carry_.append(chunk);
      return true;
    }
    std::string_view piece = chunk.substr(0, nl);
    chunk.remove_prefix(nl + 1);
    bool ok;
    if (carry_.empty()) {
      if (piece.size() > kMaxLine) return !(bad_ = true);
      ok = Line(piece);
    } else {
      if (carry_.size() + piece.size() > kMaxLine) return !(bad_ = true);
      carry_.append(piece);
      ok = Line(carry_);
      carry_.clear();
    }
    if (!ok) return !(bad_ = true);
  }
  return true;
}

bool TcpStateCounter::EndFile() {
  if (bad_) return false;
  if (!carry_.empty()) {
    bool ok = Line(carry_);
    carry_.clear();
    if (!ok) return !(bad_ = true);
  }
  return header_seen_;
}

// ---------------------------------------------------------------- /sys and /etc

int CountCpuList(std::string_view text) {
  text = Trim(text);
  if (text.empty()) return 0;
  int64_t total = 0;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view range = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    size_t dash = range.find('-');
    uint64_t lo = 0, hi = 0;
    if (dash == std::string_view::npos) {
      if (!TokenU64(range, &lo)) return 0;
      hi = lo;
    } else if (!TokenU64(range.substr(0, dash), &lo) || !TokenU64(range.substr(dash + 1), &hi)) {
      return 0;
    }
    if (hi < lo || hi - lo >= (1u << 20)) return 0;
    total += static_cast<int64_t>(hi - lo + 1);
    if (total > (1 << 20)) return 0;
  }
  return static_cast<int>(total);
}

std::string FqdnFromHosts(std::string_view hosts, std::string_view hostname) {
  std::string result(hostname);
  if (hostname.empty() || hostname.find('.') != std::string_view::npos) return result;
  std::string_view line;
  while (NextLine(&hosts, &line)) {
    size_t hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    std::string_view rest = line;
    if (NextToken(&rest).empty()) continue;  // the address
    bool listed = false;
    std::string_view first_dotted;
    for (std::string_view name = NextToken(&rest); !name.empty(); name = NextToken(&rest)) {
      if (name == hostname) listed = true;
      if (first_dotted.empty() && name.find('.') != std::string_view::npos) first_dotted = name;
    }
    if (!listed) continue;
    if (!first_dotted.empty()) result.assign(first_dotted);
    return result;
  }
  return result;
}

}  // namespace strix::agents::linuxhost::internal
