// strix-agent: runs the inputs of strix-agent.yaml and pushes their data to strixd through
// a crash-safe disk buffer (docs/agents/agent.md). Runs in the foreground (for systemd;
// packaging/systemd/strix-agent.service) unless a pattoo-style daemon control is given.
//
//   strix-agent -c strix-agent.yaml                  run in the foreground
//   strix-agent -c strix-agent.yaml --start|--stop|--status|--restart [--force]
//   strix-agent check-config -c strix-agent.yaml     validate, print file:line errors
//   strix-agent import-pattoo [DIR]                  pattoo's agent YAML -> strix-agent.yaml
//
// Signals: SIGTERM/SIGINT stop the inputs and the sender and make the buffer durable,
// then exit 0.
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "agents/agent/agent.h"
#include "agents/agent/agent_config.h"
#include "agents/agent/pattoo_import.h"
#include "agents/common/http_client.h"
#include "core/daemon.h"
#include "core/env.h"
#include "core/log.h"

namespace strix::agents {
namespace {

struct Options {
  std::string config_path = "strix-agent.yaml";
  std::string pid_file;
  bool start = false, stop = false, status = false, restart = false, force = false;
};

Result<AgentConfig> LoadAll(const std::string& path) {
  STRIX_ASSIGN_OR_RETURN(AgentConfig c, LoadAgentConfig(Env::Default(), path));
  STRIX_RETURN_IF_ERROR(ResolveSecrets(Env::Default(), &c));
  return c;
}

LogLevel LevelFromName(const std::string& w) {
  if (w == "debug") return LogLevel::kDebug;
  if (w == "warn") return LogLevel::kWarn;
  if (w == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

std::string PidFileFor(const Options& o, const AgentConfig& c) {
  return o.pid_file.empty() ? JoinPath(c.state_dir, "strix-agent.pid") : o.pid_file;
}

int RunForeground(const AgentConfig& config, const std::function<void(bool)>& ready) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  // Blocked before any thread starts: only the sigwait below sees these signals.
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  log::SetLevel(LevelFromName(config.log_level));
  HttpClient::GlobalInit();
  Result<std::unique_ptr<Agent>> a = Agent::Start(config, Env::Default(), Clock::Real());
  if (!a.ok()) {
    STRIX_LOG(kError, "strix-agent: cannot start", "error", a.status().ToString());
    std::fprintf(stderr, "strix-agent: %s\n", a.status().ToString().c_str());
    if (ready) ready(false);
    return 1;
  }
  std::printf("strix-agent: running (agent id %s, sending to %s", (*a)->agent_id().c_str(),
              config.server.urls.front().c_str());
  if ((*a)->spoke_port() != 0) {
    std::printf("; spoke on %s:%d", config.spoke.address.c_str(), (*a)->spoke_port());
  }
  std::printf(")\n");
  std::fflush(stdout);
  if (ready) ready(true);
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      STRIX_LOG(kInfo, "strix-agent: SIGHUP: restart the agent to apply a new configuration");
      continue;
    }
    STRIX_LOG(kInfo, "strix-agent: stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    break;
  }
  Status st = (*a)->Stop();
  if (!st.ok()) {
    STRIX_LOG(kError, "strix-agent: stop failed", "error", st.ToString());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace strix::agents

int main(int argc, char** argv) {
  using namespace strix::agents;
  // A few threads, small allocations: two malloc arenas keep the resident set small
  // (glibc would otherwise give each thread its own).
  ::mallopt(M_ARENA_MAX, 2);
  Options o;
  CLI::App app{"strix-agent: collects data and pushes it to strixd through a disk buffer"};
  app.add_option("-c,--config", o.config_path, "strix-agent.yaml (default ./strix-agent.yaml)");
  app.add_option("--pid-file", o.pid_file,
                 "pid file for the daemon controls (default <state_dir>/strix-agent.pid)");
  auto* g = app.add_option_group("daemon", "pattoo-style daemon control (default: foreground)");
  g->add_flag("--start", o.start, "detach and run in the background; returns once running");
  g->add_flag("--stop", o.stop, "stop the background agent (SIGTERM, wait up to 10 s)");
  g->add_flag("--status", o.status, "say whether the background agent runs (exit 3 if not)");
  g->add_flag("--restart", o.restart, "--stop, then --start");
  g->require_option(0, 1);
  // Beside the group, not in it: the group takes one of its options, and --force goes
  // with --stop or --restart.
  app.add_flag("--force", o.force, "with --stop/--restart: SIGKILL if SIGTERM did not stop it");

  auto* check = app.add_subcommand("check-config", "validate the configuration and exit");
  check->add_option("-c,--config", o.config_path, "strix-agent.yaml");

  std::string pattoo_dir;
  auto* imp = app.add_subcommand(
      "import-pattoo",
      "print a strix-agent.yaml made from pattoo's agent YAML files (pattoo_agent.yaml and the "
      "per-agent files of PATTOO_CONFIGDIR)");
  imp->add_option("dir", pattoo_dir, "pattoo's config directory (default $PATTOO_CONFIGDIR)");
  app.require_subcommand(0, 1);
  CLI11_PARSE(app, argc, argv);
  strix::log::InitStderr();

  if (*imp) {
    if (pattoo_dir.empty()) {
      const char* env = std::getenv("PATTOO_CONFIGDIR");
      if (env == nullptr || *env == '\0') {
        std::fprintf(stderr,
                     "strix-agent: give pattoo's config directory or set PATTOO_CONFIGDIR\n");
        return 2;
      }
      pattoo_dir = env;
    }
    strix::Result<PattooImport> r = ImportPattooConfig(strix::Env::Default(), pattoo_dir);
    if (!r.ok()) {
      std::fprintf(stderr, "strix-agent: %s\n", r.status().ToString().c_str());
      return 2;
    }
    for (const std::string& w : r->warnings)
      std::fprintf(stderr, "strix-agent: note: %s\n", w.c_str());
    std::fputs(r->yaml.c_str(), stdout);
    return 0;
  }

  if (o.status || o.stop) {
    // Only the pid file is needed: a config with a missing token file (or, with
    // --pid-file, no config at all) must not keep a running agent from being stopped.
    std::string pid_file = o.pid_file;
    if (pid_file.empty()) {
      strix::Result<AgentConfig> c = LoadAgentConfig(strix::Env::Default(), o.config_path);
      if (!c.ok()) {
        std::fprintf(stderr, "strix-agent: %s (or give --pid-file)\n",
                     std::string(c.status().message()).c_str());
        return 2;
      }
      pid_file = PidFileFor(o, *c);
    }
    if (o.status) return strix::daemon::PrintStatus("strix-agent", pid_file);
    return strix::daemon::StopDaemon("strix-agent", pid_file, o.force);
  }
  strix::Result<AgentConfig> config = LoadAll(o.config_path);
  if (*check) {
    if (!config.ok()) {
      std::fprintf(stderr, "%s\n", std::string(config.status().message()).c_str());
      return 1;
    }
    std::printf("%s: ok (%zu inputs, sending to %s)\n", o.config_path.c_str(),
                config->inputs.size(), config->server.urls.front().c_str());
    return 0;
  }
  if (!config.ok()) {
    std::fprintf(stderr, "strix-agent: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  const std::string pid_file = PidFileFor(o, *config);
  if (o.restart) {
    if (int rc = strix::daemon::StopDaemon("strix-agent", pid_file, o.force); rc != 0) return rc;
  }
  if (o.start || o.restart) {
    strix::Status st = strix::Env::Default().CreateDirs(config->state_dir);
    if (!st.ok()) {
      std::fprintf(stderr, "strix-agent: %s\n", st.ToString().c_str());
      return 1;
    }
    return strix::daemon::Daemonize(
        "strix-agent", pid_file, strix::JoinPath(config->state_dir, "strix-agent.log"),
        [&](const std::function<void(bool)>& ready) { return RunForeground(*config, ready); });
  }
  return RunForeground(*config, nullptr);
}
