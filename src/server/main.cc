// strixd: the Strix server. Runs in the foreground (for systemd; see
// packaging/systemd/strixd.service) unless one of the pattoo-style daemon controls is
// given: --start (detach, write the pid file, return once listening), --stop, --status,
// --restart, with --force to stop with SIGKILL when SIGTERM is not enough.
//
//   strixd --data-dir ./var                 defaults: API on 127.0.0.1:8888
//   strixd --config /etc/strix/strixd.yaml
//
// Signals: SIGTERM/SIGINT stop in order (stop accepting, drain, sync) and exit 0;
// SIGHUP reloads the config file (what can change without a restart).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include "core/daemon.h"
#include "core/env.h"
#include "core/log.h"
#include "server/config.h"
#include "server/strixd.h"

namespace strix::server {
namespace {

struct Options {
  std::string config_path;
  std::string data_dir;
  std::string pid_file;
  bool start = false, stop = false, status = false, restart = false, force = false;
};

Result<StrixdConfig> LoadFor(const Options& o) {
  StrixdConfig c;
  if (!o.config_path.empty()) {
    STRIX_ASSIGN_OR_RETURN(c, LoadConfig(Env::Default(), o.config_path));
  } else {
    c = DefaultConfig("./var");
  }
  if (!o.data_dir.empty()) c.data_dir = o.data_dir;
  return c;
}

std::string PidFileFor(const Options& o, const StrixdConfig& c) {
  return o.pid_file.empty() ? JoinPath(c.data_dir, "strixd.pid") : o.pid_file;
}

// Runs until SIGTERM/SIGINT. `ready` is called once listening (daemon mode reports it).
int RunForeground(const Options& o, StrixdConfig config, const std::function<void(bool)>& ready) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  // Blocked before any thread starts, so every thread inherits the mask and only the
  // sigwait below sees these signals.
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  log::SetLevel(ParseLogLevel(config.log_level));
  Result<std::unique_ptr<Strixd>> d = Strixd::Start(config);
  if (!d.ok()) {
    STRIX_LOG(kError, "strixd: cannot start", "error", d.status().ToString());
    std::fprintf(stderr, "strixd: %s\n", d.status().ToString().c_str());
    if (ready) ready(false);
    return 1;
  }
  std::printf("strixd: listening on %s://%s:%u (data in %s)\n",
              config.api.tls_cert_file.empty() ? "http" : "https", config.api.address.c_str(),
              (*d)->api_port(), config.data_dir.c_str());
  if ((*d)->pattoo_port() != 0) {
    std::printf("strixd: pattoo agent API on http://%s:%u (no authentication)\n",
                config.pattoo.listener.address.c_str(), (*d)->pattoo_port());
  }
  std::fflush(stdout);
  if (ready) ready(true);
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      if (o.config_path.empty()) {
        STRIX_LOG(kInfo, "strixd: SIGHUP without a config file: nothing to reload");
        continue;
      }
      Result<StrixdConfig> c = LoadFor(o);
      if (!c.ok()) {
        STRIX_LOG(kError, "strixd: reload failed, keeping the running configuration", "error",
                  c.status().ToString());
        continue;
      }
      (*d)->Reload(*c);
      continue;
    }
    STRIX_LOG(kInfo, "strixd: stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    break;
  }
  Status st = (*d)->Stop(std::chrono::milliseconds(4000));
  return st.ok() ? 0 : 1;
}

int Start(const Options& o, const StrixdConfig& config) {
  Status st = Env::Default().CreateDirs(config.data_dir);
  if (!st.ok()) {
    std::fprintf(stderr, "strixd: %s\n", st.ToString().c_str());
    return 1;
  }
  return daemon::Daemonize(
      "strixd", PidFileFor(o, config), JoinPath(config.data_dir, "strixd.log"),
      [&](const std::function<void(bool)>& ready) { return RunForeground(o, config, ready); });
}

}  // namespace
}  // namespace strix::server

int main(int argc, char** argv) {
  using namespace strix::server;
  Options o;
  CLI::App app{"strixd: the Strix monitoring server"};
  app.add_option("-c,--config", o.config_path, "strixd.yaml (without it: built-in defaults)");
  app.add_option("-d,--data-dir", o.data_dir, "data directory (overrides data_dir; default ./var)");
  app.add_option("--pid-file", o.pid_file,
                 "pid file for the daemon controls (default <data_dir>/strixd.pid)");
  auto* g = app.add_option_group("daemon", "pattoo-style daemon control (default: foreground)");
  g->add_flag("--start", o.start, "detach and run in the background; returns once listening");
  g->add_flag("--stop", o.stop, "stop the background server (SIGTERM, wait up to 10 s)");
  g->add_flag("--status", o.status, "say whether the background server runs (exit 3 if not)");
  g->add_flag("--restart", o.restart, "--stop, then --start");
  g->require_option(0, 1);
  // Beside the group, not in it: the group takes one of its options, and --force goes
  // with --stop or --restart.
  app.add_flag("--force", o.force, "with --stop/--restart: SIGKILL if SIGTERM did not stop it");
  CLI11_PARSE(app, argc, argv);
  strix::log::InitStderr();

  strix::Result<StrixdConfig> config = LoadFor(o);
  if (!config.ok()) {
    std::fprintf(stderr, "strixd: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  if (o.status) return strix::daemon::PrintStatus("strixd", PidFileFor(o, *config));
  if (o.stop) return strix::daemon::StopDaemon("strixd", PidFileFor(o, *config), o.force);
  if (o.restart) {
    if (int rc = strix::daemon::StopDaemon("strixd", PidFileFor(o, *config), o.force); rc != 0)
      return rc;
    return Start(o, *config);
  }
  if (o.start) return Start(o, *config);
  return RunForeground(o, *config, nullptr);
}
