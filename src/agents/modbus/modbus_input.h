// ModbusInput: the strix-agent input that reads Modbus TCP devices with libmodbus
// (docs/agents/modbus.md). Each round it reads every group's registers from every target
// of the group, in the requests PlanRequests made (contiguous registers in one request,
// at most 125 registers or 2000 bits), decodes them (modbus_decode.h) and appends one
// point per (group, target, measurement): measurement `modbus` (or the register's own),
// tags `target` and `unit`, one field per register named as configured.
//
// Connections: one TCP connection per target (host:port), shared by the groups and units
// that read it, kept open across rounds. Every connect and request has a timeout of
// min(request_timeout, time left in the round); requests go one at a time on the
// caller's thread (no extra threads).
//
// Failures are gaps, never zeros. A register whose request failed, or whose value cannot
// be represented (NaN, invalid UTF-8, a negative counter), is absent from the point; a
// point with no field is not appended. Each failure is counted (Stats()) by kind:
//   timeout     no answer in time (connect or request)
//   refused     connection refused
//   connect     any other connect failure (name not resolved, unreachable)
//   exception   the device answered with a Modbus exception (e.g. 2, illegal data
//               address); the connection stays, other requests go on
//   io          connection lost or reset, or a malformed answer
//   decode      a value that cannot be represented
// and logged once per kind and target (STRIX_LOG warn, with the reason, unit, table,
// address and count) until the target has a round without that kind, which logs
// "recovered" once. After a timeout or io failure the connection is closed (a late answer
// must not be taken for the next one) and the request retried up to `retries` times on a
// new connection. A target whose connect fails or whose connection fails past its
// retries is not tried again until its backoff has passed: backoff_min after the first
// failed round, doubling per failed round up to backoff_max; the rounds in between are
// gaps counted as backoff_skips. An exception response is not a connection failure and
// causes no backoff.
//
// Thread-safety: Collect is called from one thread at a time (the Input contract);
// Stats() may be called from any thread at any time.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "agents/common/input.h"
#include "agents/modbus/modbus_config.h"
#include "core/clock.h"
#include "core/mutex.h"
#include "core/thread_annotations.h"

namespace strix::agents::modbus {

// The input's counters since it was created.
struct ModbusStats {
  uint64_t requests = 0;         // read requests sent
  uint64_t requests_failed = 0;  // requests that gave no data (any kind)
  uint64_t timeouts = 0;         // connects or requests with no answer in time
  uint64_t refused = 0;          // connects refused
  uint64_t connect_errors = 0;   // other connect failures
  uint64_t exceptions = 0;       // Modbus exception responses
  uint64_t io_errors = 0;        // connections lost, malformed answers
  uint64_t decode_errors = 0;    // values that could not be represented
  uint64_t connects = 0;         // connections established (the first and every reconnect)
  uint64_t backoff_skips = 0;    // target rounds skipped while the target is in backoff
  uint64_t deadline_skips = 0;   // requests not sent, or cut short, by the round's deadline
};

class ModbusInput final : public Input {
 public:
  // `clock` gives the monotonic time the round's deadline and the backoff are measured in
  // (the scheduler's clock). Connections are made in Collect, not here.
  explicit ModbusInput(ModbusOptions options, Clock& clock = Clock::Real());
  ~ModbusInput() override;  // closes the connections
  ModbusInput(const ModbusInput&) = delete;
  ModbusInput& operator=(const ModbusInput&) = delete;

  // Reads every target not in backoff. OK whatever the devices did (failures are gaps and
  // counts); Cancelled when ctx.stop is requested (between requests); DeadlineExceeded
  // when the deadline passed before every target was tried (what was read is appended).
  Status Collect(const CollectContext& ctx, std::vector<Point>* out) override;

  ModbusStats Stats() const;

  // The failure kinds above, plus kDeadline: a request not sent, or cut short, because
  // the round's deadline came (counted in deadline_skips; no backoff).
  enum class Failure : uint8_t {
    kTimeout,
    kRefused,
    kConnect,
    kException,
    kIo,
    kDecode,
    kDeadline
  };

 private:
  struct Connection;
  struct Job;

  void CollectConnection(Connection* c, const CollectContext& ctx, std::vector<Point>* out);
  // (Re)connects; on failure counts and logs it and returns false, with *cut set when the
  // connect was given less than request_timeout by the round's deadline and ran out.
  bool Connect(Connection* c, const CollectContext& ctx, bool* cut);
  // Sends one request; the answer is in words_ or bits_. On failure *kind and *err (the
  // libmodbus errno) say why.
  bool Read(Connection* c, const Job& job, const ReadRequest& q, int64_t timeout_ns, Failure* kind,
            int* err);
  int64_t TimeLeftNs(const CollectContext& ctx) const;
  // The backoff after `failed_rounds` failed rounds in a row.
  int64_t BackoffMs(int failed_rounds) const;
  // Closes c's connection (and forgets its socket for the stop callback).
  void Close(Connection* c) STRIX_EXCLUDES(stop_mu_);
  // Counts a failure and marks it seen this round; true when it should be logged (the
  // first of its kind for this target since it last recovered).
  bool Note(Connection* c, Failure kind);

  const ModbusOptions options_;
  Clock& clock_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Job> jobs_;
  size_t first_ = 0;  // the connection read first this round: rotates, so a slow target
                      // does not take the round from the same others each time
  // The socket a request may be blocked on, shut down by a stop request (the agent
  // stopping does not wait for a request's timeout). Guarded by stop_mu_.
  Mutex stop_mu_;
  int active_fd_ STRIX_GUARDED_BY(stop_mu_) = -1;
  // Scratch buffers of one request, reused.
  std::vector<uint16_t> words_;
  std::vector<uint8_t> bits_;

  std::atomic<uint64_t> requests_{0}, requests_failed_{0}, timeouts_{0}, refused_{0},
      connect_errors_{0}, exceptions_{0}, io_errors_{0}, decode_errors_{0}, connects_{0},
      backoff_skips_{0}, deadline_skips_{0};
};

}  // namespace strix::agents::modbus
