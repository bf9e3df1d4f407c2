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
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

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

// The pid in `path` if that process is alive.
std::optional<pid_t> RunningPid(const std::string& path) {
  std::ifstream f(path);
  long pid = 0;
  if (!(f >> pid) || pid <= 1) return std::nullopt;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return std::nullopt;
  return static_cast<pid_t>(pid);
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
  const std::string pid_file = PidFileFor(o, config);
  if (auto pid = RunningPid(pid_file)) {
    std::fprintf(stderr, "strixd: already running (pid %d, %s)\n", *pid, pid_file.c_str());
    return 1;
  }
  Status st = Env::Default().CreateDirs(config.data_dir);
  if (!st.ok()) {
    std::fprintf(stderr, "strixd: %s\n", st.ToString().c_str());
    return 1;
  }
  int pipefd[2];
  if (::pipe(pipefd) != 0) return 1;
  pid_t child = ::fork();
  if (child < 0) return 1;
  if (child > 0) {
    // Wait for the daemon to say whether it is listening.
    ::close(pipefd[1]);
    char ok = 0;
    ssize_t n = ::read(pipefd[0], &ok, 1);
    ::close(pipefd[0]);
    ::waitpid(child, nullptr, 0);  // the intermediate process exits at once
    if (n == 1 && ok == 1) {
      std::printf("strixd: started (pid file %s, log %s)\n", pid_file.c_str(),
                  JoinPath(config.data_dir, "strixd.log").c_str());
      return 0;
    }
    std::fprintf(stderr, "strixd: failed to start; see %s\n",
                 JoinPath(config.data_dir, "strixd.log").c_str());
    return 1;
  }
  ::close(pipefd[0]);
  ::setsid();
  if (::fork() > 0) ::_exit(0);  // the daemon is not a session leader: no controlling tty
  ::umask(027);
  const std::string log_path = JoinPath(config.data_dir, "strixd.log");
  int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0640);
  int devnull = ::open("/dev/null", O_RDONLY);
  if (fd >= 0) {
    ::dup2(devnull, 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
  }
  {
    std::ofstream pf(pid_file, std::ios::trunc);
    pf << ::getpid() << "\n";
  }
  const int wfd = pipefd[1];
  int rc = RunForeground(o, config, [wfd](bool ok) {
    char c = ok ? 1 : 0;
    (void)!::write(wfd, &c, 1);
    ::close(wfd);
  });
  ::unlink(pid_file.c_str());
  return rc;
}

int Stop(const Options& o, const StrixdConfig& config) {
  const std::string pid_file = PidFileFor(o, config);
  std::optional<pid_t> pid = RunningPid(pid_file);
  if (!pid) {
    std::printf("strixd: not running\n");
    ::unlink(pid_file.c_str());
    return 0;
  }
  ::kill(*pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {  // 10 s
    if (::kill(*pid, 0) != 0) {
      std::printf("strixd: stopped (pid %d)\n", *pid);
      ::unlink(pid_file.c_str());
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (o.force) {
    ::kill(*pid, SIGKILL);
    std::printf("strixd: killed (pid %d did not stop in 10 s)\n", *pid);
    ::unlink(pid_file.c_str());
    return 0;
  }
  std::fprintf(stderr, "strixd: pid %d did not stop within 10 s (use --force)\n", *pid);
  return 1;
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
  g->add_flag("--force", o.force, "with --stop/--restart: SIGKILL if SIGTERM did not stop it");
  g->require_option(0, 1);
  CLI11_PARSE(app, argc, argv);
  strix::log::InitStderr();

  strix::Result<StrixdConfig> config = LoadFor(o);
  if (!config.ok()) {
    std::fprintf(stderr, "strixd: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  if (o.status) {
    auto pid = RunningPid(PidFileFor(o, *config));
    if (pid) {
      std::printf("strixd is running (pid %d)\n", *pid);
      return 0;
    }
    std::printf("strixd is stopped\n");
    return 3;
  }
  if (o.stop) return Stop(o, *config);
  if (o.restart) {
    if (int rc = Stop(o, *config); rc != 0) return rc;
    return Start(o, *config);
  }
  if (o.start) return Start(o, *config);
  return RunForeground(o, *config, nullptr);
}
