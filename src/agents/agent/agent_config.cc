// strix-agent.yaml: see agent_config.h and docs/agents/agent.md.
#include "agents/agent/agent_config.h"

#include <arpa/inet.h>

#include <algorithm>

#include "agents/common/config_text.h"
#include "core/config.h"

namespace strix::agents {
namespace {

constexpr int64_t kMaxInterval = 86'400'000;

bool IsLabelName(std::string_view s) { return IsFieldName(s) && s != "__name__"; }

// Labels set by the agent itself; configuration cannot override them.
bool IsReservedLabel(std::string_view s) { return s == "host" || s == "agent" || s == "input"; }

void CheckLabels(config::Section& s, const std::vector<std::pair<std::string, std::string>>& l) {
  for (const auto& [k, v] : l) {
    if (!IsLabelName(k)) {
      s.Error("labels", "label name \"" + k + "\" must match [a-zA-Z_][a-zA-Z0-9_]*");
    } else if (IsReservedLabel(k)) {
      s.Error("labels", "label \"" + k + "\" is set by the agent (host, agent, input)");
    }
    if (v.size() > 4096) s.Error("labels", "label \"" + k + "\": value longer than 4096 bytes");
  }
}

bool IsHttpUrl(std::string_view u) {
  return (u.starts_with("http://") && u.size() > 7) || (u.starts_with("https://") && u.size() > 8);
}

void BindLinux(config::Section& s, linuxhost::LinuxOptions* o) {
  s.String("proc_root", &o->proc_root, true)
      .String("sys_root", &o->sys_root, true)
      .Bool("per_cpu", &o->per_cpu)
      .Bool("include_partitions", &o->include_partitions)
      .Bool("tcp_states", &o->tcp_states)
      .Bool("temperatures", &o->temperatures)
      .StringList("include_fstypes", &o->include_fstypes)
      .StringList("exclude_fstypes", &o->exclude_fstypes)
      .StringList("exclude_mount_prefixes", &o->exclude_mount_prefixes)
      .StringList("exclude_device_prefixes", &o->exclude_device_prefixes)
      .StringList("exclude_interfaces", &o->exclude_interfaces);
}

void BindScript(config::Section& s, script::ScriptOptions* o) {
  s.Required("dir")
      .String("dir", &o->dir, true)
      .Duration("script_timeout", &o->timeout_ms, 100, 3'600'000)
      .Bytes("max_output_bytes", &o->max_output_bytes, 1 << 10, 256 << 20)
      .Bytes("max_stderr_bytes", &o->max_stderr_bytes, 0, 16 << 20)
      .Int("max_parallel", &o->max_parallel, 1, 256)
      .StringMap("env", &o->env);
}

void BindHub(config::Section& s, HubOptions* o) {
  s.Required("targets")
      .Duration("spoke_timeout", &o->timeout_ms, 100, 600'000)
      .List("targets", [&](config::Section& t, size_t) {
        HubTarget target;
        // pattoo's ip_targets use ip_address / ip_bind_port; both spellings are accepted.
        t.String("address", &target.address, true)
            .String("ip_address", &target.address, true)
            .Int("port", &target.port, 1, 65535)
            .Int("ip_bind_port", &target.port, 1, 65535)
            .Enum("format", &target.format,
                  {{"pattoo", HubTarget::Format::kPattoo}, {"strix", HubTarget::Format::kStrix}})
            .String("token", &target.token)
            .Bool("tls", &target.tls);
        if (target.address.empty()) t.Error("", "a target needs address (or ip_address)");
        o->targets.push_back(std::move(target));
      });
  if (s.Has("targets") && o->targets.empty()) s.Error("targets", "a hub needs at least one target");
}

void BindInput(config::Section& s, const std::string& name, AgentConfig* c) {
  InputConfig in;
  in.name = name;
  if (!IsLabelName(name))
    s.Error("", "input name \"" + name + "\" must match [a-zA-Z_][a-zA-Z0-9_]*");
  if (name == "agent") {
    s.Error("", "input name \"agent\" is taken by the agent's own self-metrics");
  }
  s.Required("type").Enum("type", &in.type,
                          {{"linux", InputType::kLinux},
                           {"script", InputType::kScript},
                           {"hub", InputType::kHub},
                           {"modbus", InputType::kModbus},
                           {"snmp", InputType::kSnmp},
                           {"snmp_ifmib", InputType::kSnmpIfMib}});
  s.Duration("interval", &in.interval_ms, 1'000, kMaxInterval)
      .Duration("timeout", &in.timeout_ms, 100, kMaxInterval)
      .StringMap("labels", &in.labels);
  CheckLabels(s, in.labels);
  if (in.timeout_ms > in.interval_ms) {
    s.Error("timeout", "the timeout must not exceed the interval (a run would overlap the next)");
  }
  switch (in.type) {
    case InputType::kLinux:
      BindLinux(s, &in.linux_options);
      break;
    case InputType::kScript:
      BindScript(s, &in.script_options);
      break;
    case InputType::kHub:
      BindHub(s, &in.hub_options);
      break;
    case InputType::kModbus: {
      modbus::BindModbusOptions(s, &in.modbus_options);
      // A request that may take the whole round would let one silent device starve the
      // others every round: a request gets at most half the input's timeout by default,
      // and a request_timeout that is not shorter than the round is an error.
      const int64_t round_ms = in.EffectiveTimeoutMs();
      int64_t& rt = in.modbus_options.request_timeout_ms;
      if (!s.Has("request_timeout")) {
        rt = std::max<int64_t>(10, std::min(rt, round_ms / 2));
      } else if (rt >= round_ms) {
        s.Error("request_timeout", "must be shorter than the input's timeout (" +
                                       std::to_string(round_ms) +
                                       " ms): a device that does not answer would take the "
                                       "whole round");
      }
      break;
    }
    case InputType::kSnmp:
      in.snmp_options.path = "inputs." + name;
      snmp::BindSnmpOptions(s, &in.snmp_options);
      break;
    case InputType::kSnmpIfMib:
      in.snmp_ifmib_options.path = "inputs." + name;
      snmp::BindSnmpIfMibOptions(s, &in.snmp_ifmib_options);
      break;
  }
  c->inputs.push_back(std::move(in));
}

Result<AgentConfig> Load(const config::Document& doc) {
  AgentConfig c;
  config::Errors errors;
  {
    config::Section root(doc, &errors);
    root.Map("agent",
             [&](config::Section& s) {
               s.String("state_dir", &c.state_dir, true)
                   .String("host", &c.host)
                   .StringMap("labels", &c.labels)
                   .Enum("log_level", &c.log_level,
                         {{"debug", std::string("debug")},
                          {"info", std::string("info")},
                          {"warn", std::string("warn")},
                          {"error", std::string("error")}})
                   .Duration("self_metrics_interval", &c.self_metrics_interval_ms, 0, kMaxInterval);
               CheckLabels(s, c.labels);
               if (c.self_metrics_interval_ms != 0 && c.self_metrics_interval_ms < 1000) {
                 s.Error("self_metrics_interval", "must be 0 (off) or at least 1s");
               }
             })
        .Required("server")
        .Map("server",
             [&](config::Section& s) {
               s.Required("urls")
                   .StringList("urls", &c.server.urls)
                   .String("token", &c.server.token)
                   .String("token_file", &c.server.token_file)
                   .Duration("timeout", &c.server.timeout_ms, 100, 600'000)
                   .Duration("backoff_min", &c.server.backoff_min_ms, 10, 3'600'000)
                   .Duration("backoff_max", &c.server.backoff_max_ms, 10, 86'400'000)
                   .Bool("tls_verify", &c.server.tls_verify)
                   .String("ca_file", &c.server.ca_file)
                   .Bytes("max_batch_bytes", &c.server.max_batch_bytes, 4 << 10, 64 << 20);
               if (s.Has("urls") && c.server.urls.empty()) s.Error("urls", "at least one URL");
               for (const auto& u : c.server.urls) {
                 if (!IsHttpUrl(u))
                   s.Error("urls", "\"" + u + "\" is not an http:// or https:// URL");
               }
               if (c.server.token.empty() == c.server.token_file.empty()) {
                 s.Error("token",
                         "give exactly one of token and token_file (the ingest token "
                         "from `strix token create --scope ingest`)");
               }
               if (c.server.backoff_max_ms < c.server.backoff_min_ms) {
                 s.Error("backoff_max", "must be at least backoff_min");
               }
             })
        .Map("buffer",
             [&](config::Section& s) {
               s.Bytes("max_bytes", &c.buffer.max_bytes, 1 << 20, 1ull << 40)
                   .Duration("max_age", &c.buffer.max_age_ms, 60'000, 365LL * 86'400'000)
                   .Bytes("segment_bytes", &c.buffer.segment_bytes, 64 << 10, 1ull << 30);
               if (c.buffer.segment_bytes * 2 > c.buffer.max_bytes) {
                 s.Error("segment_bytes", "must be at most half of max_bytes");
               }
             })
        .Entries("inputs",
                 [&](config::Section& s, const std::string& name) { BindInput(s, name, &c); })
        .Map("spoke", [&](config::Section& s) {
          s.Bool("enabled", &c.spoke.enabled)
              .String("address", &c.spoke.address, true)
              .Int("port", &c.spoke.port, 0, 65535)
              .String("token", &c.spoke.token);
          in6_addr any;
          if (::inet_pton(AF_INET, c.spoke.address.c_str(), &any) != 1 &&
              ::inet_pton(AF_INET6, c.spoke.address.c_str(), &any) != 1) {
            s.Error("address", "\"" + c.spoke.address +
                                   "\" is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::)");
          }
          s.Map("linux", [&](config::Section& l) { BindLinux(l, &c.spoke.linux_options); });
        });
    root.Finish();
  }
  STRIX_RETURN_IF_ERROR(errors.ToStatus());
  return c;
}

}  // namespace

int64_t InputConfig::EffectiveTimeoutMs() const {
  if (timeout_ms > 0) return timeout_ms;
  return std::min<int64_t>(interval_ms * 9 / 10, 300'000);
}

Result<AgentConfig> LoadAgentConfig(Env& env, const std::string& path) {
  STRIX_ASSIGN_OR_RETURN(config::Document doc, config::Document::ParseFile(env, path));
  return Load(doc);
}

Result<AgentConfig> ParseAgentConfig(std::string_view yaml, const std::string& name) {
  STRIX_ASSIGN_OR_RETURN(config::Document doc, config::Document::ParseString(yaml, name));
  return Load(doc);
}

Status ResolveToken(Env& env, AgentConfig* c) {
  if (c->server.token_file.empty()) return Status::Ok();
  STRIX_ASSIGN_OR_RETURN(uint64_t size, env.FileSize(c->server.token_file));
  if (size > 4096) return Status::InvalidArgument("token file too large", c->server.token_file);
  STRIX_ASSIGN_OR_RETURN(auto f, env.NewRandomAccessFile(c->server.token_file));
  std::string buf(size, '\0');
  STRIX_ASSIGN_OR_RETURN(size_t n, f->ReadAt(0, size, buf.data()));
  buf.resize(n);
  while (!buf.empty() &&
         (buf.back() == '\n' || buf.back() == '\r' || buf.back() == ' ' || buf.back() == '\t'))
    buf.pop_back();
  if (buf.empty()) return Status::InvalidArgument("token file is empty", c->server.token_file);
  c->server.token = std::move(buf);
  return Status::Ok();
}

Status ResolveSecrets(Env& env, AgentConfig* c) {
  STRIX_RETURN_IF_ERROR(ResolveToken(env, c));
  for (InputConfig& in : c->inputs) {
    if (in.type == InputType::kSnmp) {
      STRIX_RETURN_IF_ERROR(snmp::ResolveSnmpSecrets(env, &in.snmp_options));
    } else if (in.type == InputType::kSnmpIfMib) {
      STRIX_RETURN_IF_ERROR(snmp::ResolveSnmpIfMibSecrets(env, &in.snmp_ifmib_options));
    }
  }
  return Status::Ok();
}

}  // namespace strix::agents
