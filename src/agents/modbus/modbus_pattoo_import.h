// Importing pattoo's Modbus TCP agent configuration (pattoo_agent_modbustcpd.yaml, spec
// pattoo.md 4.5 and 5.3) as the Modbus input's options.
//
// What pattoo's agent read, strix-agent reads the same way: each configured register is
// one uint16 word times its multiplier (a gauge), named `input_register_<N>` or
// `holding_register_<N>` after pattoo's register number N (so pattoo's key
// input_register_30388 becomes the series modbus_input_register_30388, labels target and
// unit). Register numbers become protocol addresses: input 30001..39999 -> N-30001 and
// 300001..365536 -> N-300001; holding 40001..49999 -> N-40001 and 400001..465536 ->
// N-400001.
//
// pattoo bugs fixed rather than copied (docs/agents/modbus.md lists them):
//  - holding registers are read with the group's unit and the whole run (pattoo dropped
//    count and unit: only a run's first register came back, from unit 0);
//  - requests are at most 125 registers (pattoo built runs of up to 2007, which devices
//    refuse), and a run is no longer split by multiplier;
//  - one connection per target kept across rounds (pattoo opened one per run per round and
//    never closed it);
//  - unit ids 0..247 (pattoo stopped at 246);
//  - holding register numbers end at 465536, the last address (pattoo's docs said 465546);
//    out-of-range numbers are warned about and skipped instead of read at a bad address;
//  - `ip_devices` (the docs' key) and `ip_targets` (the code's) are both read, with or
//    without the top-level `pattoo_agent_modbustcpd:` key;
//  - a register listed twice (or by two groups for the same target and unit) is read once,
//    with a warning, instead of giving two datapoints with one key;
//  - targets may carry a port (host:port); pattoo always used 502.
//
// Thread-safety: a pure function of its input.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agents/modbus/modbus_config.h"
#include "core/result.h"

namespace strix::agents::modbus {

struct ModbusPattooImport {
  int64_t interval_ms = 300'000;  // polling_interval (default 300 s)
  ModbusOptions options;
  std::vector<std::string> warnings;  // what was skipped or changed, "file:line: ..."
};

// `yaml` is the file's text, `file` its name for messages. InvalidArgument for YAML that
// does not parse or has no polling_groups; problems of single entries are warnings. When
// no group is usable, options.groups is empty (a warning says so): import no input then.
// Otherwise ModbusOptionsToYaml(options) is a valid input body for `type: modbus`.
Result<ModbusPattooImport> ImportPattooModbus(std::string_view yaml, const std::string& file);

}  // namespace strix::agents::modbus
