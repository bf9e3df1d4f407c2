// The SNMP input (see snmp_input.h).
//
// State per job (one per group and target): the indexes of the group's scalar and walked
// OIDs in the poll request, the failure kind logged and not yet recovered (one line per
// incident, never one per round), and the OIDs already logged as absent.
#include "agents/snmp/snmp_input.h"

#include <map>
#include <set>

#include "core/clock.h"
#include "core/log.h"

namespace strix::agents::snmp {
namespace {

KindOverride Kind(const std::string& k) {
  if (k == "gauge") return KindOverride::kGauge;
  if (k == "counter") return KindOverride::kCounter;
  return KindOverride::kAuto;
}

bool Absent(VarType t) {
  return t == VarType::kNoSuchObject || t == VarType::kNoSuchInstance ||
         t == VarType::kEndOfMibView || t == VarType::kNull;
}

}  // namespace

struct SnmpInput::Job {
  const SnmpGroup* group = nullptr;
  const TargetSpec* target = nullptr;
  std::string label;
  std::vector<size_t> scalar_oids;  // indexes into group->oids, in request.gets order
  std::vector<size_t> walk_oids;    // likewise for request.walks
  PollError logged = PollError::kNone;
  std::set<size_t> logged_absent;  // group oid indexes logged as absent
  std::set<size_t> logged_scaled;  // ... logged as counters with an unused multiplier
  bool logged_warning = false;
};

SnmpInput::SnmpInput(SnmpOptions options, std::string input_name)
    : options_(std::move(options)), name_(std::move(input_name)), poller_(options_.poller) {
  for (const SnmpGroup& g : options_.groups) {
    for (const TargetSpec& t : g.targets) {
      Job job;
      job.group = &g;
      job.target = &t;
      job.label = t.target.Label();
      PollRequest req;
      req.target = &t;
      for (size_t i = 0; i < g.oids.size(); ++i) {
        if (g.oids[i].walk) {
          job.walk_oids.push_back(i);
          req.walks.push_back(g.oids[i].oid);
        } else {
          job.scalar_oids.push_back(i);
          req.gets.push_back(g.oids[i].oid);
        }
      }
      jobs_.push_back(std::move(job));
      requests_.push_back(std::move(req));
    }
  }
}

SnmpInput::~SnmpInput() = default;

SnmpCounters SnmpInput::counters() const {
  SnmpCounters c;
  c.rounds = rounds_.load(std::memory_order_relaxed);
  c.requests = requests_n_.load(std::memory_order_relaxed);
  c.targets_ok = targets_ok_.load(std::memory_order_relaxed);
  c.timeouts = timeouts_.load(std::memory_order_relaxed);
  c.auth_errors = auth_errors_.load(std::memory_order_relaxed);
  c.other_errors = other_errors_.load(std::memory_order_relaxed);
  c.deadline = deadline_.load(std::memory_order_relaxed);
  c.partial = partial_.load(std::memory_order_relaxed);
  c.varbinds = varbinds_.load(std::memory_order_relaxed);
  c.gaps = gaps_.load(std::memory_order_relaxed);
  c.points = points_.load(std::memory_order_relaxed);
  return c;
}

Status SnmpInput::Collect(const CollectContext& ctx, std::vector<Point>* out) {
  rounds_.fetch_add(1, std::memory_order_relaxed);
  poller_.Poll(requests_,
               Poller::RoundDeadline(Clock::Real().MonotonicNanos(), ctx.deadline_mono_ns),
               ctx.stop, &results_);
  bool cut = false;
  for (size_t j = 0; j < jobs_.size(); ++j) {
    Job& job = jobs_[j];
    const PollResult& r = results_[j];
    const SnmpGroup& g = *job.group;
    requests_n_.fetch_add(r.pdus, std::memory_order_relaxed);
    switch (r.error) {
      case PollError::kNone:
        targets_ok_.fetch_add(1, std::memory_order_relaxed);
        break;
      case PollError::kTimeout:
        timeouts_.fetch_add(1, std::memory_order_relaxed);
        break;
      case PollError::kAuth:
        auth_errors_.fetch_add(1, std::memory_order_relaxed);
        break;
      case PollError::kDeadline:
      case PollError::kCancelled:
        deadline_.fetch_add(1, std::memory_order_relaxed);
        cut = true;
        break;
      default:
        other_errors_.fetch_add(1, std::memory_order_relaxed);
        break;
    }
    const bool failed = r.error != PollError::kNone;
    if (failed) {
      if (r.error == PollError::kCancelled) continue;
      if (job.logged != r.error) {
        job.logged = r.error;
        STRIX_LOG(kWarn, "snmp: target failed", "input", name_, "group", g.name, "target",
                  job.label, "kind", PollErrorName(r.error), "reason", r.message);
      }
      // A target that stopped answering (or ran out of time) part way: what it answered
      // is sent, the rest is a gap. Any other failure gives no point.
      if (r.error != PollError::kTimeout && r.error != PollError::kDeadline) continue;
      bool answered = false;
      for (const VarBind& vb : r.gets) answered = answered || vb.type != VarType::kNull;
      for (const auto& w : r.walks) answered = answered || !w.empty();
      if (!answered) continue;
      partial_.fetch_add(1, std::memory_order_relaxed);
    } else if (job.logged != PollError::kNone) {
      STRIX_LOG(kInfo, "snmp: target recovered", "input", name_, "group", g.name, "target",
                job.label, "was", PollErrorName(job.logged));
      job.logged = PollError::kNone;
    }
    if (r.warning.empty()) job.logged_warning = false;  // cleared: log it again if it returns
    if (!r.warning.empty() && !job.logged_warning) {
      job.logged_warning = true;
      STRIX_LOG(kWarn, "snmp: agent reported an error", "input", name_, "target", job.label,
                "reason", r.warning);
    }
    auto note_absent = [&](size_t oi, const VarBind& vb) {
      gaps_.fetch_add(1, std::memory_order_relaxed);
      if (failed) return;  // not asked or not answered: the target's failure is logged
      if (job.logged_absent.insert(oi).second) {
        const OidSpec& o = g.oids[oi];
        STRIX_LOG(kWarn, "snmp: value absent", "input", name_, "target", job.label, "name", o.name,
                  "oid", o.text, "type", VarTypeName(vb.type));
      }
    };
    // A counter is sent as read: a multiplier or offset given for an OID of automatic
    // kind that turns out to be a counter is not used, which the user learns once.
    auto note_scaled = [&](size_t oi, const FieldValue& v) {
      const OidSpec& o = g.oids[oi];
      if (v.kind != ValueKind::kCounter && v.kind != ValueKind::kCounter32) return;
      if (o.multiplier == 1 && o.offset == 0) return;
      if (!job.logged_scaled.insert(oi).second) return;
      STRIX_LOG(kWarn, "snmp: a counter is sent as read; its multiplier and offset are not used",
                "input", name_, "target", job.label, "name", o.name, "oid", o.text);
    };
    // Scalars: one point.
    Point scalars;
    for (size_t k = 0; k < job.scalar_oids.size(); ++k) {
      const size_t oi = job.scalar_oids[k];
      const OidSpec& o = g.oids[oi];
      const VarBind& vb = r.gets[k];
      if (!Absent(vb.type)) varbinds_.fetch_add(1, std::memory_order_relaxed);
      std::optional<FieldValue> v = ToFieldValue(vb, Kind(o.kind), o.multiplier, o.offset);
      if (!v) {
        note_absent(oi, vb);
        continue;
      }
      note_scaled(oi, *v);
      scalars.fields.push_back({o.name, std::move(*v)});
    }
    if (!scalars.fields.empty()) {
      scalars.measurement = g.measurement;
      scalars.tags = {{"target", job.label}};
      scalars.timestamp_ms = ctx.now_ms;
      out->push_back(std::move(scalars));
      points_.fetch_add(1, std::memory_order_relaxed);
    }
    // Walked columns: one point per index, in index order of first appearance.
    std::map<std::string, Point> rows;
    std::vector<std::string> order;
    for (size_t k = 0; k < job.walk_oids.size(); ++k) {
      const size_t oi = job.walk_oids[k];
      const OidSpec& o = g.oids[oi];
      if (r.walks[k].empty()) {
        VarBind none;
        none.type = VarType::kNoSuchObject;
        note_absent(oi, none);
        continue;
      }
      for (const VarBind& vb : r.walks[k]) {
        varbinds_.fetch_add(1, std::memory_order_relaxed);
        std::optional<FieldValue> v = ToFieldValue(vb, Kind(o.kind), o.multiplier, o.offset);
        if (!v) {
          gaps_.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        note_scaled(oi, *v);
        std::string index = OidSuffix(vb.oid, o.oid);
        auto [it, inserted] = rows.try_emplace(index);
        if (inserted) order.push_back(index);
        it->second.fields.push_back({o.name, std::move(*v)});
      }
    }
    for (const std::string& index : order) {
      Point& p = rows[index];
      p.measurement = g.measurement;
      p.tags = {{"target", job.label}, {"index", index}};
      p.timestamp_ms = ctx.now_ms;
      out->push_back(std::move(p));
      points_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (ctx.stop.stop_requested()) return Status::Cancelled("snmp: stopping");
  if (cut)
    return Status::DeadlineExceeded("snmp: the deadline passed before every target was read");
  return Status::Ok();
}

}  // namespace strix::agents::snmp
