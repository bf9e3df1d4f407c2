// The IF-MIB input (see snmp_ifmib.h): the column table, the join by ifIndex with the
// 64/32-bit counter choice, and the round over the Poller.
#include "agents/snmp/snmp_ifmib.h"

#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "agents/common/config_text.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/utf8.h"

namespace strix::agents::snmp {
namespace {

struct ColumnInfo {
  IfColumn column;
  std::string_view name;
  Oid oid;
};

const std::array<ColumnInfo, kIfColumnCount>& Columns() {
  static const std::array<ColumnInfo, kIfColumnCount> kColumns = [] {
    const Oid if_entry = {1, 3, 6, 1, 2, 1, 2, 2, 1};
    const Oid ifx_entry = {1, 3, 6, 1, 2, 1, 31, 1, 1, 1};
    auto col = [](const Oid& base, uint32_t n) {
      Oid o = base;
      o.push_back(n);
      return o;
    };
    return std::array<ColumnInfo, kIfColumnCount>{{
        {IfColumn::kDescr, "ifDescr", col(if_entry, 2)},
        {IfColumn::kSpeed, "ifSpeed", col(if_entry, 5)},
        {IfColumn::kAdminStatus, "ifAdminStatus", col(if_entry, 7)},
        {IfColumn::kOperStatus, "ifOperStatus", col(if_entry, 8)},
        {IfColumn::kInOctets, "ifInOctets", col(if_entry, 10)},
        {IfColumn::kInUcastPkts, "ifInUcastPkts", col(if_entry, 11)},
        {IfColumn::kInDiscards, "ifInDiscards", col(if_entry, 13)},
        {IfColumn::kInErrors, "ifInErrors", col(if_entry, 14)},
        {IfColumn::kOutOctets, "ifOutOctets", col(if_entry, 16)},
        {IfColumn::kOutUcastPkts, "ifOutUcastPkts", col(if_entry, 17)},
        {IfColumn::kOutDiscards, "ifOutDiscards", col(if_entry, 19)},
        {IfColumn::kOutErrors, "ifOutErrors", col(if_entry, 20)},
        {IfColumn::kName, "ifName", col(ifx_entry, 1)},
        {IfColumn::kInMulticastPkts, "ifInMulticastPkts", col(ifx_entry, 2)},
        {IfColumn::kInBroadcastPkts, "ifInBroadcastPkts", col(ifx_entry, 3)},
        {IfColumn::kOutMulticastPkts, "ifOutMulticastPkts", col(ifx_entry, 4)},
        {IfColumn::kOutBroadcastPkts, "ifOutBroadcastPkts", col(ifx_entry, 5)},
        {IfColumn::kHcInOctets, "ifHCInOctets", col(ifx_entry, 6)},
        {IfColumn::kHcInUcastPkts, "ifHCInUcastPkts", col(ifx_entry, 7)},
        {IfColumn::kHcInMulticastPkts, "ifHCInMulticastPkts", col(ifx_entry, 8)},
        {IfColumn::kHcInBroadcastPkts, "ifHCInBroadcastPkts", col(ifx_entry, 9)},
        {IfColumn::kHcOutOctets, "ifHCOutOctets", col(ifx_entry, 10)},
        {IfColumn::kHcOutUcastPkts, "ifHCOutUcastPkts", col(ifx_entry, 11)},
        {IfColumn::kHcOutMulticastPkts, "ifHCOutMulticastPkts", col(ifx_entry, 12)},
        {IfColumn::kHcOutBroadcastPkts, "ifHCOutBroadcastPkts", col(ifx_entry, 13)},
        {IfColumn::kHighSpeed, "ifHighSpeed", col(ifx_entry, 15)},
        {IfColumn::kAlias, "ifAlias", col(ifx_entry, 18)},
    }};
  }();
  return kColumns;
}

size_t Index(IfColumn c) { return static_cast<size_t>(c); }

// The counters with a 64-bit column and its 32-bit fallback, as (field, HC, 32-bit).
struct CounterPair {
  std::string_view field;
  IfColumn hc;
  IfColumn c32;
};
constexpr std::array<CounterPair, 8> kCounterPairs = {{
    {"in_octets", IfColumn::kHcInOctets, IfColumn::kInOctets},
    {"out_octets", IfColumn::kHcOutOctets, IfColumn::kOutOctets},
    {"in_ucast_pkts", IfColumn::kHcInUcastPkts, IfColumn::kInUcastPkts},
    {"out_ucast_pkts", IfColumn::kHcOutUcastPkts, IfColumn::kOutUcastPkts},
    {"in_multicast_pkts", IfColumn::kHcInMulticastPkts, IfColumn::kInMulticastPkts},
    {"out_multicast_pkts", IfColumn::kHcOutMulticastPkts, IfColumn::kOutMulticastPkts},
    {"in_broadcast_pkts", IfColumn::kHcInBroadcastPkts, IfColumn::kInBroadcastPkts},
    {"out_broadcast_pkts", IfColumn::kHcOutBroadcastPkts, IfColumn::kOutBroadcastPkts},
}};

// The 32-bit-only counters.
struct Counter32Column {
  std::string_view field;
  IfColumn column;
};
constexpr std::array<Counter32Column, 4> kCounter32Columns = {{
    {"in_errors", IfColumn::kInErrors},
    {"out_errors", IfColumn::kOutErrors},
    {"in_discards", IfColumn::kInDiscards},
    {"out_discards", IfColumn::kOutDiscards},
}};

bool Absent(const VarBind& vb) {
  return vb.type == VarType::kNull || vb.type == VarType::kNoSuchObject ||
         vb.type == VarType::kNoSuchInstance || vb.type == VarType::kEndOfMibView;
}

// A DisplayString as a tag value: trailing NULs and blanks dropped (some agents pad),
// control characters as spaces; bytes that are not UTF-8 as lowercase hex pairs joined by
// ':' (as a MAC address is written).
std::string TagText(const std::string& bytes) {
  std::string s = bytes;
  while (!s.empty() && (s.back() == '\0' || s.back() == ' ' || s.back() == '\t' ||
                        s.back() == '\r' || s.back() == '\n')) {
    s.pop_back();
  }
  if (!IsValidUtf8(s)) {
    static const char kHex[] = "0123456789abcdef";
    std::string h;
    for (unsigned char c : s) {
      if (!h.empty()) h += ':';
      h += kHex[c >> 4];
      h += kHex[c & 0xf];
    }
    return h;
  }
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  size_t b = s.find_first_not_of(' ');
  return b == std::string::npos ? std::string() : s.substr(b);
}

// One interface's varbinds, one per column (nullptr: absent).
struct Row {
  std::array<const VarBind*, kIfColumnCount> v{};
};

}  // namespace

const Oid& IfColumnOid(IfColumn c) { return Columns()[Index(c)].oid; }
std::string_view IfColumnName(IfColumn c) { return Columns()[Index(c)].name; }

std::string AdminStatusName(int64_t v) {
  switch (v) {
    case 1:
      return "up";
    case 2:
      return "down";
    case 3:
      return "testing";
    default:
      return std::to_string(v);
  }
}

std::string OperStatusName(int64_t v) {
  switch (v) {
    case 1:
      return "up";
    case 2:
      return "down";
    case 3:
      return "testing";
    case 4:
      return "unknown";
    case 5:
      return "dormant";
    case 6:
      return "notPresent";
    case 7:
      return "lowerLayerDown";
    default:
      return std::to_string(v);
  }
}

std::vector<Point> BuildIfMibPoints(const IfMibWalk& walk, const std::string& target_label,
                                    int64_t timestamp_ms, const SnmpIfMibOptions& options,
                                    IfMibBuildStats* stats, IfMibHcMemory* hc_memory) {
  IfMibBuildStats local;
  IfMibBuildStats& st = stats ? *stats : local;
  // Join by ifIndex: the one sub-identifier after the column's OID.
  std::map<uint32_t, Row> rows;
  for (size_t c = 0; c < kIfColumnCount; ++c) {
    const Oid& prefix = Columns()[c].oid;
    for (const VarBind& vb : walk.columns[c]) {
      if (vb.oid.size() != prefix.size() + 1 || !OidStartsWith(vb.oid, prefix)) continue;
      if (Absent(vb)) continue;
      Row& r = rows[vb.oid.back()];
      if (r.v[c] == nullptr) r.v[c] = &vb;  // an agent repeating an instance: the first
    }
  }

  std::vector<Point> points;
  for (const auto& entry : rows) {
    // Not a structured binding: the lambdas below capture these (clang 14 refuses that).
    const uint32_t if_index = entry.first;
    const Row& row = entry.second;
    auto get = [&](IfColumn c) { return row.v[Index(c)]; };
    auto text = [&](IfColumn c) -> std::string {
      const VarBind* vb = get(c);
      if (vb == nullptr) return {};
      if (vb->type != VarType::kOctetString) {
        ++st.bad_values;
        return {};
      }
      return TagText(vb->bytes);
    };
    auto integer = [&](IfColumn c) -> std::optional<int64_t> {
      const VarBind* vb = get(c);
      if (vb == nullptr) return std::nullopt;
      if (vb->type != VarType::kInteger) {
        ++st.bad_values;
        return std::nullopt;
      }
      return vb->i;
    };
    auto gauge = [&](IfColumn c) -> std::optional<uint64_t> {
      const VarBind* vb = get(c);
      if (vb == nullptr) return std::nullopt;
      if (vb->type == VarType::kGauge32) return vb->u;
      if (vb->type == VarType::kInteger && vb->i >= 0) return static_cast<uint64_t>(vb->i);
      ++st.bad_values;
      return std::nullopt;
    };
    // A counter as its own SNMP type says: Counter64 -> counter, Counter32 -> counter32.
    auto counter = [&](const VarBind* vb) -> std::optional<FieldValue> {
      if (vb->type == VarType::kCounter64) return FieldValue::Counter(vb->u);
      if (vb->type == VarType::kCounter32 && vb->u <= 0xffffffffu) {
        return FieldValue::Counter32(static_cast<uint32_t>(vb->u));
      }
      ++st.bad_values;
      return std::nullopt;
    };

    const std::string name = text(IfColumn::kName);
    const std::string descr = text(IfColumn::kDescr);
    const std::string alias = text(IfColumn::kAlias);
    const std::optional<int64_t> admin = integer(IfColumn::kAdminStatus);
    const std::optional<int64_t> oper = integer(IfColumn::kOperStatus);

    if (options.only_admin_up && admin != 1) {
      ++st.skipped;
      continue;
    }
    bool excluded = false;
    for (const std::string& pattern : options.exclude) {
      if ((!name.empty() && ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0) ||
          (!descr.empty() && ::fnmatch(pattern.c_str(), descr.c_str(), 0) == 0)) {
        excluded = true;
        break;
      }
    }
    if (excluded) {
      ++st.skipped;
      continue;
    }

    Point p;
    p.measurement = options.measurement;
    p.timestamp_ms = timestamp_ms;
    p.tags.emplace_back("target", target_label);
    p.tags.emplace_back("if_index", std::to_string(if_index));
    if (!name.empty()) p.tags.emplace_back("if_name", name);
    if (!descr.empty()) p.tags.emplace_back("if_descr", descr);
    if (!alias.empty()) p.tags.emplace_back("if_alias", alias);

    bool octets_32 = false;
    for (size_t k = 0; k < kCounterPairs.size(); ++k) {
      const CounterPair& cp = kCounterPairs[k];
      std::optional<FieldValue> v;
      if (const VarBind* hc = get(cp.hc)) v = counter(hc);
      if (hc_memory != nullptr) {
        const uint64_t key = (uint64_t{if_index} << 8) | k;
        if (v) {
          (*hc_memory)[key] = 0;
        } else if (auto it = hc_memory->find(key); it != hc_memory->end()) {
          if (++it->second <= kIfMibHcForgetRounds) {
            ++st.hc_missing;  // had 64 bits: a gap rather than a switch of width
            continue;
          }
          hc_memory->erase(it);
        }
      }
      if (!v) {
        if (const VarBind* c32 = get(cp.c32)) {
          v = counter(c32);
          if (v && cp.hc == IfColumn::kHcInOctets) octets_32 = true;
        }
      }
      if (v) p.fields.push_back({std::string(cp.field), std::move(*v)});
    }
    if (octets_32) ++st.hc_fallbacks;
    for (const Counter32Column& cc : kCounter32Columns) {
      if (const VarBind* vb = get(cc.column)) {
        if (std::optional<FieldValue> v = counter(vb)) {
          p.fields.push_back({std::string(cc.field), std::move(*v)});
        }
      }
    }
    // ifSpeed saturates at 2^32-1 (about 4.3 Gbit/s); ifHighSpeed is in Mbit/s and
    // coarser below 1 Gbit/s, so ifSpeed wins when it is exact.
    const std::optional<uint64_t> speed = gauge(IfColumn::kSpeed);
    const std::optional<uint64_t> high = gauge(IfColumn::kHighSpeed);
    if (speed && (*speed < 0xffffffffu || !high)) {
      p.fields.push_back({"speed", FieldValue::Gauge(static_cast<double>(*speed))});
    } else if (high) {
      p.fields.push_back({"speed", FieldValue::Gauge(static_cast<double>(*high) * 1e6)});
    }
    if (admin) p.fields.push_back({"admin_status", FieldValue::State(AdminStatusName(*admin))});
    if (oper) p.fields.push_back({"oper_status", FieldValue::State(OperStatusName(*oper))});

    if (p.fields.empty()) continue;
    ++st.interfaces;
    points.push_back(std::move(p));
  }
  return points;
}

// --- configuration ---------------------------------------------------------------------

namespace {

// One group's targets with its effective credentials (`named`: a `groups:` item, which
// may override the access keys). The keys and their checks are those of `type: snmp`.
void BindTargets(config::Section& s, const TargetSpec& base, int64_t base_port, bool named,
                 std::vector<TargetSpec>* out) {
  TargetSpec proto = base;
  int64_t port = base_port;
  if (named) {
    std::string name;
    s.String("name", &name, true);
    BindSnmpAccess(s, &proto, &port);
  }
  BindSnmpTargets(s, proto, port, out);
}

}  // namespace

void BindSnmpIfMibOptions(config::Section& s, SnmpIfMibOptions* o) {
  TargetSpec base;
  int64_t port = kDefaultPort;
  BindSnmpAccess(s, &base, &port);
  s.Int("max_in_flight", &o->poller.max_in_flight, 1, 4096)
      .String("measurement", &o->measurement, true)
      .Bool("only_admin_up", &o->only_admin_up)
      .StringList("exclude", &o->exclude);
  if (s.Has("measurement") && !IsFieldName(o->measurement)) {
    s.Error("measurement", "\"" + o->measurement + "\" must match [a-zA-Z_][a-zA-Z0-9_]*");
  }
  for (const std::string& p : o->exclude) {
    if (p.empty()) s.Error("exclude", "an empty pattern matches nothing");
  }
  if (s.Has("groups")) {
    if (s.Has("targets")) {
      s.Error("targets", "targets: give groups, or targets at the input level, not both");
    }
    s.Ignore("targets");
    size_t groups = 0;
    s.List("groups", [&](config::Section& g, size_t) {
      ++groups;
      BindTargets(g, base, port, true, &o->targets);
    });
    if (groups == 0) s.Error("groups", "at least one group");
  } else {
    BindTargets(s, base, port, false, &o->targets);
  }
}

Status ResolveSnmpIfMibSecrets(Env& env, SnmpIfMibOptions* o) {
  // The same reading as `type: snmp`, through its function.
  SnmpOptions wrap;
  wrap.path = o->path;
  wrap.groups.emplace_back();
  wrap.groups[0].targets = std::move(o->targets);
  Status st = ResolveSnmpSecrets(env, &wrap);
  o->targets = std::move(wrap.groups[0].targets);
  return st;
}

// --- the input -------------------------------------------------------------------------

SnmpIfMibInput::SnmpIfMibInput(SnmpIfMibOptions options, std::string input_name)
    : options_(std::move(options)),
      name_(std::move(input_name)),
      poller_(std::make_unique<Poller>(options_.poller)),
      last_error_(options_.targets.size(), PollError::kNone),
      hc_memory_(options_.targets.size()),
      logged_warning_(options_.targets.size(), 0) {
  for (const ColumnInfo& c : Columns()) walks_.push_back(c.oid);
}

SnmpIfMibInput::~SnmpIfMibInput() = default;

Status SnmpIfMibInput::Collect(const CollectContext& ctx, std::vector<Point>* out) {
  std::vector<PollRequest> requests(options_.targets.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    requests[i].target = &options_.targets[i];
    requests[i].walks = walks_;
  }
  std::vector<PollResult> results;
  poller_->Poll(requests,
                Poller::RoundDeadline(Clock::Real().MonotonicNanos(), ctx.deadline_mono_ns),
                ctx.stop, &results);

  bool late = false;
  for (size_t i = 0; i < results.size() && i < requests.size(); ++i) {
    PollResult& r = results[i];
    const std::string label = options_.targets[i].target.Label();
    polls_.fetch_add(1, std::memory_order_relaxed);
    if (r.error == PollError::kCancelled) continue;  // shutting down: not a device failure
    if (r.error != PollError::kNone) {
      failures_.fetch_add(1, std::memory_order_relaxed);
      if (r.error == PollError::kTimeout) timeouts_.fetch_add(1, std::memory_order_relaxed);
      if (r.error == PollError::kAuth) auth_errors_.fetch_add(1, std::memory_order_relaxed);
      if (r.error == PollError::kDeadline) {
        deadline_.fetch_add(1, std::memory_order_relaxed);
        late = true;
      }
      if (last_error_[i] != r.error) {
        STRIX_LOG(kWarn, "snmp_ifmib: target failed", "input", name_, "target", label, "error",
                  PollErrorName(r.error), "reason", r.message);
        last_error_[i] = r.error;
      }
      continue;
    }
    if (last_error_[i] != PollError::kNone) {
      STRIX_LOG(kInfo, "snmp_ifmib: target recovered", "input", name_, "target", label);
      last_error_[i] = PollError::kNone;
    }
    IfMibWalk walk;
    for (size_t c = 0; c < kIfColumnCount && c < r.walks.size(); ++c) {
      walk.columns[c] = std::move(r.walks[c]);
    }
    IfMibBuildStats st;
    if (r.warning.empty()) logged_warning_[i] = 0;  // cleared: log it again if it returns
    if (!r.warning.empty() && !logged_warning_[i]) {
      logged_warning_[i] = 1;
      STRIX_LOG(kWarn, "snmp_ifmib: agent reported an error", "input", name_, "target", label,
                "reason", r.warning);
    }
    std::vector<Point> points =
        BuildIfMibPoints(walk, label, ctx.now_ms, options_, &st, &hc_memory_[i]);
    interfaces_.fetch_add(st.interfaces, std::memory_order_relaxed);
    hc_fallbacks_.fetch_add(st.hc_fallbacks, std::memory_order_relaxed);
    hc_missing_.fetch_add(st.hc_missing, std::memory_order_relaxed);
    bad_values_.fetch_add(st.bad_values, std::memory_order_relaxed);
    for (Point& p : points) out->push_back(std::move(p));
  }
  if (ctx.stop.stop_requested()) return Status::Cancelled("snmp_ifmib: stopped");
  if (late) return Status::DeadlineExceeded("snmp_ifmib: some targets did not answer in time");
  return Status::Ok();
}

SnmpIfMibInput::Counters SnmpIfMibInput::counters() const {
  Counters k;
  k.polls = polls_.load(std::memory_order_relaxed);
  k.failures = failures_.load(std::memory_order_relaxed);
  k.timeouts = timeouts_.load(std::memory_order_relaxed);
  k.auth_errors = auth_errors_.load(std::memory_order_relaxed);
  k.deadline = deadline_.load(std::memory_order_relaxed);
  k.interfaces = interfaces_.load(std::memory_order_relaxed);
  k.hc_fallbacks = hc_fallbacks_.load(std::memory_order_relaxed);
  k.hc_missing = hc_missing_.load(std::memory_order_relaxed);
  k.bad_values = bad_values_.load(std::memory_order_relaxed);
  return k;
}

}  // namespace strix::agents::snmp
