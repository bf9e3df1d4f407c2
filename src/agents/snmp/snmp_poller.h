// Poller: the asynchronous SNMP engine used by SnmpInput and the IF-MIB input. It polls
// many targets at once on the caller's thread with net-snmp's single-session API (one
// UDP socket per target being polled, poll(2) over them, snmp_sess_read2 and
// snmp_sess_timeout), with at most max_in_flight targets (each with one outstanding
// PDU) at a time.
//
// Per target: the scalars are read with GET PDUs of at most max_oids_per_get varbinds
// (v1: a noSuchName error drops the bad varbind, which becomes noSuchObject, and the rest
// is asked again); each subtree is walked with GETBULK (v2c/v3, max_repetitions rows per
// PDU) or GETNEXT (v1) until a varbind leaves the subtree, endOfMibView, noSuchName (v1),
// or an OID that does not increase (a broken agent). A tooBig answer splits the GET.
//
// Errors: a target that does not answer within timeout x (retries + 1) is kTimeout, with
// "no answer — wrong community or unreachable" for v1/v2c (an agent drops requests with
// a wrong community without answering); v3 REPORTs become kAuth with the reason named
// (unknown user, wrong digest = wrong auth password, decryption error = wrong privacy
// password, unsupported security level).
//
// v3 engine discovery: a v3 target whose engine ID is not yet known is first sent an RFC
// 3414 discovery request on a socket of the poller's own (asynchronously, with the same
// timeout and retries; net-snmp's own probe would block the thread); the REPORT's engine
// ID is kept for the process, by address, so later rounds need no discovery.
//
// Thread-safety: Poll is called from one thread at a time per Poller; several Pollers
// may run on different threads (net-snmp's global tables are guarded by one lock).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "agents/snmp/snmp_config.h"
#include "agents/snmp/snmp_oid.h"
#include "agents/snmp/snmp_value.h"

namespace strix::agents::snmp {

struct PollRequest {
  const TargetSpec* target = nullptr;  // not owned
  std::vector<Oid> gets;               // scalars, in GET PDUs of at most max_oids_per_get
  std::vector<Oid> walks;              // subtrees, walked with GETBULK (v2c/v3) or GETNEXT (v1)
};

enum class PollError : uint8_t {
  kNone,
  kTimeout,
  kAuth,  // v3 REPORT: unknown user, wrong digest, decryption error, ...
  kResolve,
  kProtocol,
  kDeadline,
  kCancelled,
  kOther
};
std::string_view PollErrorName(PollError e);  // "timeout", "auth", ...

struct PollResult {
  PollError error = PollError::kNone;  // kNone = the target answered
  std::string message;                 // why, in words, when error != kNone
  // One per requested get, same order; an absent one has type noSuchObject,
  // noSuchInstance (or Null when the agent returned an error for it).
  std::vector<VarBind> gets;
  // One per walk: the varbinds inside the subtree, in order.
  std::vector<std::vector<VarBind>> walks;
  // The first error the agent reported for a varbind (genErr, tooBig on one OID, a
  // non-increasing walk) while the target otherwise answered; "" if none.
  std::string warning;
  uint32_t pdus = 0;  // requests sent (not counting net-snmp's retries)
};

class Poller {
 public:
  explicit Poller(PollerOptions o = {});
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Polls every request concurrently; returns when all finished, at deadline_mono_ns
  // (Clock::Real().MonotonicNanos() base; unfinished ones get kDeadline), or when stop is
  // requested (unfinished ones get kCancelled). results->size() == requests.size().
  void Poll(std::span<const PollRequest> requests, int64_t deadline_mono_ns, std::stop_token stop,
            std::vector<PollResult>* results);

  // The deadline an input passes to Poll for a round that must end by round_deadline_ns:
  // 50 ms earlier (at most a tenth of what is left), so that the input still turns what
  // was read into points before the scheduler's timeout, which would drop them all.
  static int64_t RoundDeadline(int64_t now_mono_ns, int64_t round_deadline_ns);

 private:
  PollerOptions options_;
};

}  // namespace strix::agents::snmp
