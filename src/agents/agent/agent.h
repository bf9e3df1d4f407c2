// Agent: strix-agent's running parts, wired from an AgentConfig.
//
//   inputs --(scheduler threads)--> labels + line protocol + gzip --> DiskBuffer
//   DiskBuffer --(sender thread)--> POST strixd /write --> ack
//   spoke (optional): httpd thread serving this host's data to hubs
//
// Every round's points get the labels host (unless the point has one: hub data keeps its
// spoke's), agent (the agent id), input (the input's name), then the agent's and the
// input's configured labels. They become one buffer record (split past
// server.max_batch_bytes), which is durable before the round ends.
//
// Stop() tells the sender, the spoke and the inputs to stop, waits for them (inputs finish
// or abandon their round; a post in flight is abandoned, its record stays buffered), then
// makes the buffer durable. Nothing acknowledged by the buffer is lost by kill -9 either.
//
// Thread-safety: Start and Stop from one thread.
#pragma once

#include <memory>
#include <string>

#include "agents/agent/agent_config.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/result.h"

namespace strix::agents {

class Agent {
 public:
  static Result<std::unique_ptr<Agent>> Start(AgentConfig config, Env& env, Clock& clock);
  virtual ~Agent() = default;
  virtual Status Stop() = 0;
  virtual const std::string& agent_id() const = 0;
  virtual int spoke_port() const = 0;  // 0 when the spoke is off
};

// The agent id kept in state_dir/agent_id (64 hex digits), made on first start.
Result<std::string> LoadOrCreateAgentId(Env& env, const std::string& state_dir);

// The machine's host name (the default `host` label).
std::string LocalHostName();

}  // namespace strix::agents
