// The Modbus TCP input's options (docs/agents/modbus.md): polling groups of targets, a
// unit id and the registers, coils and discrete inputs to read, each with its data type,
// orders, multiplier, offset, kind and name; plus request timeout, retries and reconnect
// backoff. BindModbusOptions reads them from an input's section of strix-agent.yaml
// (core/config.h: every problem as file:line:column). PlanRequests groups a group's
// registers into the read requests sent each round.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agents/modbus/modbus_decode.h"

namespace strix::config {
class Section;
}

namespace strix::agents::modbus {

inline constexpr uint16_t kDefaultPort = 502;
inline constexpr uint16_t kMaxReadRegisters = 125;  // the protocol's limit per request
inline constexpr uint16_t kMaxReadBits = 2000;      // for coils and discrete inputs
inline constexpr uint8_t kTcpUnit = 255;            // "no unit" of a plain TCP device

struct Target {
  std::string host;  // a host name or an IP literal (IPv6 without brackets)
  uint16_t port = kDefaultPort;
  // The `target` label: the host, with ":port" when the port is not 502 (IPv6 in
  // brackets then: "[2001:db8::1]:1502").
  std::string Label() const;
  bool operator==(const Target&) const = default;
};

// Parses "host", "host:port", "[v6]" or "[v6]:port"; a bare IPv6 literal is a host.
// `default_port` is used when none is given. False on an empty host or a bad port.
bool ParseTarget(std::string_view text, uint16_t default_port, Target* out);

struct RegisterSpec {
  // The field key; the series is `<measurement>_<name>`, e.g. modbus_boiler_temperature.
  std::string name;
  std::string measurement = "modbus";
  Table table = Table::kHoldingRegister;
  uint16_t address = 0;  // protocol address, 0-based (register 40001 is holding 0)
  ValueSpec value;
  bool operator==(const RegisterSpec& o) const {
    return name == o.name && measurement == o.measurement && table == o.table &&
           address == o.address && value.type == o.value.type &&
           value.word_order == o.value.word_order && value.byte_order == o.value.byte_order &&
           value.multiplier == o.value.multiplier && value.offset == o.value.offset &&
           value.kind == o.value.kind && value.bit == o.value.bit && value.length == o.value.length;
  }
};

struct ModbusGroup {
  std::string name;  // for logs and errors only
  std::vector<Target> targets;
  // The Modbus unit (slave) id: 0..247, or 255 for a plain Modbus TCP device.
  uint8_t unit = 1;
  std::vector<RegisterSpec> registers;
};

struct ModbusOptions {
  std::vector<ModbusGroup> groups;
  // One request's (and one connect's) timeout, capped by the time left in the round.
  int64_t request_timeout_ms = 1'000;
  // Extra attempts for a request that timed out or lost its connection, within the round
  // (each after a reconnect). Exception responses are never retried.
  int retries = 1;
  // A target whose round failed (no connection, timeout, connection lost) is next tried
  // after backoff_min, doubling per failed round up to backoff_max; its rounds meanwhile
  // are gaps.
  int64_t backoff_min_ms = 1'000;
  int64_t backoff_max_ms = 300'000;
  // Per request at most this many registers (1..125) or bits (1..2000); lower them for
  // devices that answer less.
  uint16_t max_registers = kMaxReadRegisters;
  uint16_t max_bits = kMaxReadBits;
  // Unconfigured registers (or bits) a request may read across to join two configured
  // ones. 0: only contiguous ones are joined (many devices answer "illegal data address"
  // for a range that touches an unmapped register).
  uint16_t max_gap = 0;
};

// Binds the input-level keys (request_timeout, retries, backoff_min, backoff_max,
// max_registers, max_bits, max_gap) and either `groups:` (a list of groups) or one
// group's keys at the input level (targets, port, unit, registers, input_registers,
// holding_registers, coils, discrete_inputs). Problems are recorded in the section's
// errors: addresses 0..65535 and spans that would cross 65535, unit 0..247 or 255, types,
// orders, kinds, option combinations that do not apply, duplicate names of the same
// target and unit.
void BindModbusOptions(config::Section& s, ModbusOptions* o);

// Renders options as the YAML keys BindModbusOptions reads (`groups:` form), each line
// indented by `indent` spaces. Used by the pattoo import.
std::string ModbusOptionsToYaml(const ModbusOptions& o, int indent);

// One read request of a round.
struct ReadRequest {
  Table table = Table::kHoldingRegister;
  uint16_t start = 0;
  uint16_t count = 0;               // registers or bits
  std::vector<uint32_t> registers;  // indexes into the group's registers, by address
};

// Groups registers into requests: per table, in address order, a register joins the
// current request when the request would stay within max_registers (max_bits for bit
// tables) and the unconfigured space between them is at most max_gap. Overlapping
// registers (two views of the same words) share a request. Every register must fit one
// request (BindModbusOptions checks it).
std::vector<ReadRequest> PlanRequests(const std::vector<RegisterSpec>& registers,
                                      const ModbusOptions& o);

}  // namespace strix::agents::modbus
