// strix-agent's configuration: strix-agent.yaml parsed into plain structs. Every key, its
// default and its meaning are in docs/agents/agent.md; `strix-agent check-config` runs
// exactly this loading and validation and prints file:line:column errors.
//
// Input-specific options are the input modules' own structs (LinuxOptions,
// ScriptOptions, HubOptions, ModbusOptions, SnmpOptions, SnmpIfMibOptions): this file
// only binds them to YAML keys.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "agents/linux/linux_input.h"
#include "agents/modbus/modbus_config.h"
#include "agents/script/script_input.h"
#include "agents/snmp/snmp_config.h"
#include "agents/snmp/snmp_ifmib.h"
#include "core/env.h"
#include "core/result.h"

namespace strix::agents {

struct ServerConfig {
  // strixd base URLs (http or https), tried in order: a failed post moves to the next.
  std::vector<std::string> urls;
  // The ingest token (strix token create --scope ingest), inline or read from a file.
  std::string token;
  std::string token_file;
  int64_t timeout_ms = 10'000;      // one post, connect included
  int64_t backoff_min_ms = 1'000;   // first retry delay (before jitter)
  int64_t backoff_max_ms = 60'000;  // the delay doubles up to this
  bool tls_verify = true;
  std::string ca_file;                 // PEM bundle; empty = the system store
  uint64_t max_batch_bytes = 4 << 20;  // uncompressed line protocol per record
};

struct BufferConfig {
  uint64_t max_bytes = 1ull << 30;
  int64_t max_age_ms = 7LL * 24 * 3600 * 1000;
  uint64_t segment_bytes = 4 << 20;
};

struct HubTarget {
  std::string address;  // host name or IP literal of the spoke
  uint16_t port = 5000;
  enum class Format { kPattoo, kStrix } format = Format::kPattoo;
  std::string token;  // Bearer token for a Strix spoke that asks for one
  bool tls = false;   // https
};

struct HubOptions {
  std::vector<HubTarget> targets;
  // Spokes are fetched in parallel, each with this timeout (capped by the round's).
  int64_t timeout_ms = 5'000;
};

enum class InputType { kLinux, kScript, kHub, kModbus, kSnmp, kSnmpIfMib };

struct InputConfig {
  std::string name;  // the `input` label
  InputType type = InputType::kLinux;
  int64_t interval_ms = 10'000;
  int64_t timeout_ms = 0;  // 0 = 90% of the interval, at most 5 minutes
  std::vector<std::pair<std::string, std::string>> labels;  // added to this input's series
  linuxhost::LinuxOptions linux_options;
  script::ScriptOptions script_options;
  HubOptions hub_options;
  modbus::ModbusOptions modbus_options;
  snmp::SnmpOptions snmp_options;
  snmp::SnmpIfMibOptions snmp_ifmib_options;

  int64_t EffectiveTimeoutMs() const;
};

struct SpokeConfig {
  // Serves this host's data for hubs (pattoo's page and Strix's own). Off unless enabled:
  // it has no authentication unless `token` is set.
  bool enabled = false;
  std::string address = "127.0.0.1";
  uint16_t port = 5000;
  std::string token;  // when set, GET /strix/v1/points needs "Authorization: Bearer <token>"
  // The served data's options. Partitions are on (pattoo's spoke reports them too).
  linuxhost::LinuxOptions linux_options = [] {
    linuxhost::LinuxOptions o;
    o.include_partitions = true;
    return o;
  }();
};

struct AgentConfig {
  // agent_id and the disk buffer (state_dir/buffer) live here.
  std::string state_dir = "./var/agent";
  // The `host` label of local inputs; empty = the machine's host name.
  std::string host;
  // Added to every series this agent sends.
  std::vector<std::pair<std::string, std::string>> labels;
  std::string log_level = "info";
  int64_t self_metrics_interval_ms = 60'000;  // 0 = off
  ServerConfig server;
  BufferConfig buffer;
  std::vector<InputConfig> inputs;
  SpokeConfig spoke;
};

// Loads and validates a file. All problems come back together, one line each:
// "file:line:column: key.path: message".
Result<AgentConfig> LoadAgentConfig(Env& env, const std::string& path);
Result<AgentConfig> ParseAgentConfig(std::string_view yaml, const std::string& name);

// Reads server.token_file into server.token when set (trailing whitespace stripped).
Status ResolveToken(Env& env, AgentConfig* config);

// ResolveToken, then the inputs' secret files (SNMP community_file, auth_password_file,
// priv_password_file): what strix-agent and check-config run after loading.
Status ResolveSecrets(Env& env, AgentConfig* config);

}  // namespace strix::agents
