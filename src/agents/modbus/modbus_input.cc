// The Modbus TCP input on libmodbus (see modbus_input.h).
//
// State per connection (one per target host:port):
//   ctx         the libmodbus context, made at each connect from the freshly resolved
//               address (so a device that changed address is found), freed at close
//   connected   a socket is open and no request on it has timed out or failed
//   failed_rounds, next_attempt_ns
//               the backoff: 0 and unset while the target answers; after a failed round
//               the target is not tried before next_attempt_ns
//   logged      the failure kinds already logged and not recovered since (one line per
//               kind per incident, never one per round)
// Invariant: connected implies ctx != nullptr.
#include "agents/modbus/modbus_input.h"

#include <modbus.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <span>
#include <stop_token>
#include <string>

#include "core/log.h"

namespace strix::agents::modbus {

namespace {

using Failure = ModbusInput::Failure;

// Less time than this left in the round: the request is not sent.
constexpr int64_t kMinRequestNs = 5'000'000;

std::string_view FailureName(Failure f) {
  switch (f) {
    case Failure::kTimeout:
      return "timeout";
    case Failure::kRefused:
      return "refused";
    case Failure::kConnect:
      return "connect";
    case Failure::kException:
      return "exception";
    case Failure::kIo:
      return "io";
    case Failure::kDecode:
      return "decode";
    case Failure::kDeadline:
      return "deadline";
  }
  return "?";
}

uint32_t Bit(Failure f) { return 1u << static_cast<unsigned>(f); }

std::string KindList(uint32_t bits) {
  std::string s;
  for (unsigned i = 0; i <= static_cast<unsigned>(Failure::kDeadline); ++i) {
    if (bits & (1u << i)) {
      if (!s.empty()) s += ',';
      s += FailureName(static_cast<Failure>(i));
    }
  }
  return s;
}

void SetTimeouts(modbus_t* ctx, int64_t timeout_ns) {
  int64_t us = std::max<int64_t>(timeout_ns / 1000, 1000);
  modbus_set_response_timeout(ctx, static_cast<uint32_t>(us / 1'000'000),
                              static_cast<uint32_t>(us % 1'000'000));
  // No byte timeout: libmodbus then wants the whole answer within the response timeout
  // (with one, each received chunk would restart the wait and a trickling device could
  // hold a request several times longer).
  modbus_set_byte_timeout(ctx, 0, 0);
}

}  // namespace

struct ModbusInput::Connection {
  Target target;
  std::string label;
  modbus_t* ctx = nullptr;
  bool connected = false;
  int failed_rounds = 0;
  int64_t next_attempt_ns = std::numeric_limits<int64_t>::min();
  uint32_t logged = 0;
  uint32_t seen = 0;         // kinds seen in the current round
  std::vector<size_t> jobs;  // indexes into jobs_

  void Close() {
    if (ctx != nullptr) {
      modbus_close(ctx);
      modbus_free(ctx);
      ctx = nullptr;
    }
    connected = false;
  }
};

// One group read from one target. The plan is the group's, shared by its targets.
struct ModbusInput::Job {
  const ModbusGroup* group = nullptr;
  Connection* conn = nullptr;
  std::string unit_label;
  std::vector<ReadRequest> plan;
  std::vector<std::string> measurements;  // distinct, in configuration order
  std::vector<uint16_t> measurement_of;   // per register: index into measurements
  // The unit's own backoff, after a gateway said it cannot reach it (exception 10 or 11):
  // the target's other units go on.
  int gateway_failed_rounds = 0;
  int64_t gateway_next_ns = std::numeric_limits<int64_t>::min();
};

ModbusInput::ModbusInput(ModbusOptions options, Clock& clock)
    : options_(std::move(options)), clock_(clock) {
  for (const ModbusGroup& g : options_.groups) {
    Job proto;
    proto.group = &g;
    proto.unit_label = std::to_string(g.unit);
    proto.plan = PlanRequests(g.registers, options_);
    for (const RegisterSpec& r : g.registers) {
      auto it = std::find(proto.measurements.begin(), proto.measurements.end(), r.measurement);
      if (it == proto.measurements.end()) {
        proto.measurements.push_back(r.measurement);
        it = proto.measurements.end() - 1;
      }
      proto.measurement_of.push_back(static_cast<uint16_t>(it - proto.measurements.begin()));
    }
    for (const Target& t : g.targets) {
      Connection* c = nullptr;
      for (auto& existing : connections_) {
        if (existing->target == t) c = existing.get();
      }
      if (c == nullptr) {
        connections_.push_back(std::make_unique<Connection>());
        c = connections_.back().get();
        c->target = t;
        c->label = t.Label();
      }
      Job job = proto;
      job.conn = c;
      c->jobs.push_back(jobs_.size());
      jobs_.push_back(std::move(job));
    }
  }
  words_.resize(kMaxReadRegisters);
  bits_.resize(kMaxReadBits);
}

ModbusInput::~ModbusInput() {
  for (auto& c : connections_) c->Close();
}

ModbusStats ModbusInput::Stats() const {
  ModbusStats s;
  s.requests = requests_.load(std::memory_order_relaxed);
  s.requests_failed = requests_failed_.load(std::memory_order_relaxed);
  s.timeouts = timeouts_.load(std::memory_order_relaxed);
  s.refused = refused_.load(std::memory_order_relaxed);
  s.connect_errors = connect_errors_.load(std::memory_order_relaxed);
  s.exceptions = exceptions_.load(std::memory_order_relaxed);
  s.io_errors = io_errors_.load(std::memory_order_relaxed);
  s.decode_errors = decode_errors_.load(std::memory_order_relaxed);
  s.connects = connects_.load(std::memory_order_relaxed);
  s.backoff_skips = backoff_skips_.load(std::memory_order_relaxed);
  s.deadline_skips = deadline_skips_.load(std::memory_order_relaxed);
  return s;
}

int64_t ModbusInput::BackoffMs(int failed_rounds) const {
  // backoff_min after the first failed round, doubling after each further one up to
  // backoff_max.
  int64_t delay_ms = options_.backoff_min_ms;
  for (int i = 1; i < failed_rounds && delay_ms < options_.backoff_max_ms; ++i) delay_ms *= 2;
  return std::min(delay_ms, options_.backoff_max_ms);
}

void ModbusInput::Close(Connection* c) {
  {
    MutexLock lock(&stop_mu_);
    if (c->ctx != nullptr && active_fd_ == modbus_get_socket(c->ctx)) active_fd_ = -1;
  }
  c->Close();
}

int64_t ModbusInput::TimeLeftNs(const CollectContext& ctx) const {
  return ctx.deadline_mono_ns - clock_.MonotonicNanos();
}

bool ModbusInput::Note(Connection* c, Failure kind) {
  switch (kind) {
    case Failure::kTimeout:
      timeouts_.fetch_add(1, std::memory_order_relaxed);
      break;
    case Failure::kRefused:
      refused_.fetch_add(1, std::memory_order_relaxed);
      break;
    case Failure::kConnect:
      connect_errors_.fetch_add(1, std::memory_order_relaxed);
      break;
    case Failure::kException:
      exceptions_.fetch_add(1, std::memory_order_relaxed);
      break;
    case Failure::kIo:
      io_errors_.fetch_add(1, std::memory_order_relaxed);
      break;
    case Failure::kDecode:
      decode_errors_.fetch_add(1, std::memory_order_relaxed);
      break;
    case Failure::kDeadline:
      deadline_skips_.fetch_add(1, std::memory_order_relaxed);
      break;
  }
  c->seen |= Bit(kind);
  if (c->logged & Bit(kind)) return false;
  c->logged |= Bit(kind);
  return true;
}

bool ModbusInput::Connect(Connection* c, const CollectContext& ctx, bool* cut) {
  Close(c);
  // Resolve here rather than in libmodbus, which reports a name that does not resolve as
  // "connection refused". An address is taken as it is (no lookup at all).
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(c->target.host.c_str(), nullptr, &hints, &res);
  if (rc == EAI_NONAME) {
    hints.ai_flags = AI_ADDRCONFIG;
    rc = ::getaddrinfo(c->target.host.c_str(), nullptr, &hints, &res);
  }
  if (rc != 0 || res == nullptr) {
    if (Note(c, Failure::kConnect)) {
      STRIX_LOG(kWarn, "modbus: connect failed", "target", c->label, "kind", "connect", "reason",
                std::string("name not resolved: ") + ::gai_strerror(rc));
    }
    if (res) ::freeaddrinfo(res);
    return false;
  }
  // The numeric form, with an IPv6 scope ("fe80::1%eth0") kept.
  char ip[NI_MAXHOST] = {};
  rc = ::getnameinfo(res->ai_addr, res->ai_addrlen, ip, sizeof(ip), nullptr, 0, NI_NUMERICHOST);
  ::freeaddrinfo(res);
  if (rc != 0) {
    if (Note(c, Failure::kConnect)) {
      STRIX_LOG(kWarn, "modbus: connect failed", "target", c->label, "kind", "connect", "reason",
                std::string("address not usable: ") + ::gai_strerror(rc));
    }
    return false;
  }
  // Measured after the lookup, which may have taken some of the round.
  const int64_t request_timeout_ns = options_.request_timeout_ms * 1'000'000;
  const int64_t timeout_ns = std::min(request_timeout_ns, TimeLeftNs(ctx));
  if (timeout_ns < kMinRequestNs) {
    *cut = true;
    if (Note(c, Failure::kDeadline)) {
      STRIX_LOG(kWarn, "modbus: round deadline reached before connecting", "target", c->label,
                "kind", "deadline");
    }
    return false;
  }

  const std::string port = std::to_string(c->target.port);
  c->ctx = modbus_new_tcp_pi(ip, port.c_str());
  if (c->ctx == nullptr) {
    if (Note(c, Failure::kConnect)) {
      STRIX_LOG(kWarn, "modbus: connect failed", "target", c->label, "kind", "connect", "reason",
                modbus_strerror(errno));
    }
    return false;
  }
  modbus_set_error_recovery(c->ctx, MODBUS_ERROR_RECOVERY_NONE);
  SetTimeouts(c->ctx, timeout_ns);
  errno = 0;
  if (modbus_connect(c->ctx) == -1) {
    const int err = errno;
    Failure kind = Failure::kConnect;
    std::string reason;
    if (err == ECONNREFUSED) {
      kind = Failure::kRefused;
      reason = "connection refused (or host unreachable)";
    } else if (err == EINPROGRESS || err == ETIMEDOUT || err == 0) {
      // libmodbus gives up a non-blocking connect at its timeout without setting errno.
      kind = Failure::kTimeout;
      reason = "no connection within " + std::to_string(timeout_ns / 1'000'000) + "ms";
      if (timeout_ns < request_timeout_ns) {
        // Cut short by the round's deadline: not (yet) the device's fault, no backoff.
        kind = Failure::kDeadline;
        reason += ", cut short by the round's deadline";
        *cut = true;
      }
    } else {
      reason = modbus_strerror(err);
    }
    Close(c);
    if (Note(c, kind)) {
      STRIX_LOG(kWarn, "modbus: connect failed", "target", c->label, "kind", FailureName(kind),
                "reason", reason);
    }
    return false;
  }
  connects_.fetch_add(1, std::memory_order_relaxed);
  c->connected = true;
  {
    MutexLock lock(&stop_mu_);
    active_fd_ = modbus_get_socket(c->ctx);
  }
  return true;
}

bool ModbusInput::Read(Connection* c, const Job& job, const ReadRequest& q, int64_t timeout_ns,
                       Failure* kind, int* err) {
  modbus_set_slave(c->ctx, job.group->unit);
  SetTimeouts(c->ctx, timeout_ns);
  requests_.fetch_add(1, std::memory_order_relaxed);
  errno = 0;
  int rc = -1;
  switch (q.table) {
    case Table::kInputRegister:
      rc = modbus_read_input_registers(c->ctx, q.start, q.count, words_.data());
      break;
    case Table::kHoldingRegister:
      rc = modbus_read_registers(c->ctx, q.start, q.count, words_.data());
      break;
    case Table::kCoil:
      rc = modbus_read_bits(c->ctx, q.start, q.count, bits_.data());
      break;
    case Table::kDiscreteInput:
      rc = modbus_read_input_bits(c->ctx, q.start, q.count, bits_.data());
      break;
  }
  if (rc == q.count) return true;
  requests_failed_.fetch_add(1, std::memory_order_relaxed);
  *err = rc == -1 ? errno : EMBBADDATA;
  if ((*err >= EMBXILFUN && *err <= EMBXGTAR) || *err == EMBBADEXC) {
    *kind = Failure::kException;
  } else if (*err == ETIMEDOUT) {
    *kind = Failure::kTimeout;
  } else {
    *kind = Failure::kIo;
  }
  return false;
}

Status ModbusInput::Collect(const CollectContext& ctx, std::vector<Point>* out) {
  // A stop request shuts down the socket a request is waiting on, so the agent does not
  // wait for the request's timeout to stop.
  std::stop_callback on_stop(ctx.stop, [this] {
    MutexLock lock(&stop_mu_);
    if (active_fd_ >= 0) ::shutdown(active_fd_, SHUT_RDWR);
  });
  const size_t n = connections_.size();
  if (n == 0) return Status::Ok();
  const size_t first = first_;
  first_ = (first_ + 1) % n;
  for (size_t k = 0; k < n; ++k) {
    if (ctx.stop.stop_requested()) return Status::Cancelled("modbus: stopping");
    Connection* c = connections_[(first + k) % n].get();
    if (TimeLeftNs(ctx) < kMinRequestNs) {
      // The rest of the targets get no time this round: their requests are not sent.
      bool skipped = false;
      const int64_t now = clock_.MonotonicNanos();
      for (size_t m = k; m < n; ++m) {
        Connection* rest = connections_[(first + m) % n].get();
        if (!rest->connected && now < rest->next_attempt_ns) continue;  // in backoff anyway
        size_t requests = 0;
        for (size_t j : rest->jobs) requests += jobs_[j].plan.size();
        deadline_skips_.fetch_add(requests, std::memory_order_relaxed);
        skipped = true;
        if (!(rest->logged & Bit(Failure::kDeadline))) {
          rest->logged |= Bit(Failure::kDeadline);
          STRIX_LOG(kWarn, "modbus: round deadline reached before the target was read", "target",
                    rest->label, "kind", "deadline", "requests", requests);
        }
      }
      if (!skipped) return Status::Ok();
      return Status::DeadlineExceeded("modbus: deadline passed before every target was read");
    }
    CollectConnection(c, ctx, out);
  }
  if (ctx.stop.stop_requested()) return Status::Cancelled("modbus: stopping");
  return Status::Ok();
}

void ModbusInput::CollectConnection(Connection* c, const CollectContext& ctx,
                                    std::vector<Point>* out) {
  const int64_t now = clock_.MonotonicNanos();
  if (!c->connected && now < c->next_attempt_ns) {
    backoff_skips_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  c->seen = 0;
  bool cut_by_deadline = false;
  // A connection kept from an earlier round may have been closed by the device or a
  // gateway while idle: its first failure gets one reconnect and resend that does not use
  // up `retries` (and is not logged as a failure).
  bool reused = c->connected;
  bool failed = !c->connected && !Connect(c, ctx, &cut_by_deadline);
  bool out_of_time = false;  // the round ended before a request: the connection stays
  bool data = false;
  const int64_t request_timeout_ns = options_.request_timeout_ms * 1'000'000;
  // Requests of the plan not sent because the round ended, counted once at the end.
  size_t unsent = 0;

  for (size_t j : c->jobs) {
    Job& job = jobs_[j];
    if (failed || out_of_time || ctx.stop.stop_requested()) {
      if (cut_by_deadline) unsent += job.plan.size();
      continue;
    }
    if (clock_.MonotonicNanos() < job.gateway_next_ns) {
      backoff_skips_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    const ModbusGroup& g = *job.group;
    std::vector<Point> points(job.measurements.size());
    bool gateway_down = false;  // the gateway cannot reach this unit: skip its other requests
    bool any_read = false;
    for (size_t qi = 0; qi < job.plan.size(); ++qi) {
      const ReadRequest& q = job.plan[qi];
      if (failed || out_of_time || gateway_down || ctx.stop.stop_requested()) {
        if (cut_by_deadline) unsent += job.plan.size() - qi;
        break;
      }
      bool ok = false;
      for (int attempt = 0;; ++attempt) {
        const int64_t left = TimeLeftNs(ctx);
        if (left < kMinRequestNs) {
          if (Note(c, Failure::kDeadline)) {
            STRIX_LOG(kWarn, "modbus: round deadline reached before a request", "target", c->label,
                      "unit", g.unit, "kind", "deadline", "table", TableName(q.table), "address",
                      q.start, "count", q.count);
          }
          out_of_time = true;
          cut_by_deadline = true;
          break;
        }
        const int64_t timeout_ns = std::min(request_timeout_ns, left);
        Failure kind = Failure::kIo;
        int err = 0;
        if (Read(c, job, q, timeout_ns, &kind, &err)) {
          ok = true;
          reused = false;
          break;
        }
        if (ctx.stop.stop_requested()) {  // the stop callback shut the socket down
          failed = true;
          break;
        }
        if (kind == Failure::kException) {
          reused = false;
          if (Note(c, kind)) {
            STRIX_LOG(kWarn, "modbus: read failed", "target", c->label, "unit", g.unit, "kind",
                      "exception", "code", err - MODBUS_ENOBASE, "reason", modbus_strerror(err),
                      "table", TableName(q.table), "address", q.start, "count", q.count);
          }
          // Gateway path unavailable / target failed to respond: the unit behind the
          // gateway is unreachable, and each further request would cost the gateway's own
          // timeout.
          if (err == EMBXGPATH || err == EMBXGTAR) gateway_down = true;
          break;
        }
        // A timeout or a broken connection: close it, so that a late answer cannot be
        // taken for the next request's.
        Close(c);
        if (reused && kind == Failure::kIo) {
          reused = false;
          io_errors_.fetch_add(1, std::memory_order_relaxed);  // counted, not logged
          --attempt;  // the free resend of a connection the device closed while idle
          bool connect_cut = false;
          if (TimeLeftNs(ctx) >= kMinRequestNs && Connect(c, ctx, &connect_cut)) continue;
          cut_by_deadline = cut_by_deadline || connect_cut;
          failed = true;
          break;
        }
        reused = false;
        if (kind == Failure::kTimeout && timeout_ns < request_timeout_ns) {
          // Cut short by the round's deadline, not the device's fault: no backoff.
          if (Note(c, Failure::kDeadline)) {
            STRIX_LOG(kWarn, "modbus: request cut short by the round's deadline", "target",
                      c->label, "unit", g.unit, "kind", "deadline", "table", TableName(q.table),
                      "address", q.start, "count", q.count);
          }
          failed = true;  // the connection is gone; the rest waits for the next round
          cut_by_deadline = true;
          break;
        }
        if (Note(c, kind)) {
          STRIX_LOG(kWarn, "modbus: read failed", "target", c->label, "unit", g.unit, "kind",
                    FailureName(kind), "reason",
                    kind == Failure::kTimeout ? std::string("no answer within ") +
                                                    std::to_string(timeout_ns / 1'000'000) + "ms"
                                              : std::string(modbus_strerror(err)),
                    "table", TableName(q.table), "address", q.start, "count", q.count);
        }
        bool connect_cut = false;
        if (attempt >= options_.retries || TimeLeftNs(ctx) < kMinRequestNs ||
            !Connect(c, ctx, &connect_cut)) {
          cut_by_deadline = cut_by_deadline || connect_cut;
          failed = true;
          break;
        }
      }
      if (!ok) continue;
      any_read = true;
      for (uint32_t ri : q.registers) {
        const RegisterSpec& r = g.registers[ri];
        const size_t off = r.address - q.start;
        Result<FieldValue> v =
            IsBitTable(r.table)
                ? Result<FieldValue>(DecodeBit(bits_[off] != 0))
                : DecodeRegisters(r.value, std::span<const uint16_t>(words_.data() + off,
                                                                     RegisterCount(r.value)));
        if (!v.ok()) {
          if (Note(c, Failure::kDecode)) {
            STRIX_LOG(kWarn, "modbus: value not representable", "target", c->label, "unit", g.unit,
                      "kind", "decode", "register", r.name, "table", TableName(r.table), "address",
                      r.address, "reason", v.status().message());
          }
          continue;
        }
        points[job.measurement_of[ri]].fields.push_back({r.name, std::move(*v)});
      }
    }
    if (gateway_down) {
      // Backoff as for a target: backoff_min, doubling up to backoff_max.
      ++job.gateway_failed_rounds;
      job.gateway_next_ns =
          clock_.MonotonicNanos() + BackoffMs(job.gateway_failed_rounds) * 1'000'000;
    } else if (any_read) {
      job.gateway_failed_rounds = 0;
    }
    for (size_t m = 0; m < points.size(); ++m) {
      if (points[m].fields.empty()) continue;
      data = true;
      points[m].measurement = job.measurements[m];
      points[m].tags = {{"target", c->label}, {"unit", job.unit_label}};
      points[m].timestamp_ms = ctx.now_ms;
      out->push_back(std::move(points[m]));
    }
  }
  if (unsent > 0) deadline_skips_.fetch_add(unsent, std::memory_order_relaxed);

  if (ctx.stop.stop_requested()) {  // an unfinished round proves nothing either way
    if (failed) Close(c);
    return;
  }
  // The device's own failures this round (a deadline cut after them does not excuse them).
  constexpr uint32_t kDeviceFaults = (1u << static_cast<unsigned>(Failure::kTimeout)) |
                                     (1u << static_cast<unsigned>(Failure::kRefused)) |
                                     (1u << static_cast<unsigned>(Failure::kConnect)) |
                                     (1u << static_cast<unsigned>(Failure::kIo));
  const bool device_fault = (c->seen & kDeviceFaults) != 0;
  // A device that failed and then ran out the round without reading anything failed too.
  if (failed || (out_of_time && device_fault && !data)) {
    Close(c);
    if (cut_by_deadline && !device_fault) return;  // tried again next round
    ++c->failed_rounds;
    c->next_attempt_ns = clock_.MonotonicNanos() + BackoffMs(c->failed_rounds) * 1'000'000;
    return;  // nothing recovers in a failed round
  }
  c->failed_rounds = 0;
  // Nothing read, or the round ended before every request: nothing proved recovered.
  if (!data || out_of_time) return;
  const uint32_t recovered = c->logged & ~c->seen;
  c->logged &= c->seen;
  if (recovered != 0) {
    STRIX_LOG(kInfo, "modbus: target recovered", "target", c->label, "kinds", KindList(recovered));
  }
}

}  // namespace strix::agents::modbus
