// Daemon controls (see daemon.h).
#include "core/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

namespace strix::daemon {

std::optional<pid_t> RunningPid(const std::string& path) {
  std::ifstream f(path);
  long pid = 0;
  if (!(f >> pid) || pid <= 1) return std::nullopt;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return std::nullopt;
  return static_cast<pid_t>(pid);
}

int Daemonize(const std::string& name, const std::string& pid_file, const std::string& log_file,
              const std::function<int(const std::function<void(bool)>& ready)>& run) {
  if (auto pid = RunningPid(pid_file)) {
    std::fprintf(stderr, "%s: already running (pid %d, %s)\n", name.c_str(), *pid,
                 pid_file.c_str());
    return 1;
  }
  int pipefd[2];
  if (::pipe(pipefd) != 0) return 1;
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t child = ::fork();
  if (child < 0) return 1;
  if (child > 0) {
    ::close(pipefd[1]);
    char ok = 0;
    ssize_t n = ::read(pipefd[0], &ok, 1);
    ::close(pipefd[0]);
    ::waitpid(child, nullptr, 0);  // the intermediate process exits at once
    if (n == 1 && ok == 1) {
      std::printf("%s: started (pid file %s, log %s)\n", name.c_str(), pid_file.c_str(),
                  log_file.c_str());
      return 0;
    }
    std::fprintf(stderr, "%s: failed to start; see %s\n", name.c_str(), log_file.c_str());
    return 1;
  }
  ::close(pipefd[0]);
  ::setsid();
  if (::fork() > 0) ::_exit(0);  // the daemon is not a session leader: no controlling tty
  ::umask(027);
  int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
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
  int rc = run([wfd](bool ok) {
    char c = ok ? 1 : 0;
    (void)!::write(wfd, &c, 1);
    ::close(wfd);
  });
  ::unlink(pid_file.c_str());
  return rc;
}

int StopDaemon(const std::string& name, const std::string& pid_file, bool force, int wait_ms) {
  std::optional<pid_t> pid = RunningPid(pid_file);
  if (!pid) {
    std::printf("%s: not running\n", name.c_str());
    ::unlink(pid_file.c_str());
    return 0;
  }
  ::kill(*pid, SIGTERM);
  for (int waited = 0; waited < wait_ms; waited += 100) {
    if (::kill(*pid, 0) != 0) {
      std::printf("%s: stopped (pid %d)\n", name.c_str(), *pid);
      ::unlink(pid_file.c_str());
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (force) {
    ::kill(*pid, SIGKILL);
    std::printf("%s: killed (pid %d did not stop in %d ms)\n", name.c_str(), *pid, wait_ms);
    ::unlink(pid_file.c_str());
    return 0;
  }
  std::fprintf(stderr, "%s: pid %d did not stop within %d ms (use --force)\n", name.c_str(), *pid,
               wait_ms);
  return 1;
}

int PrintStatus(const std::string& name, const std::string& pid_file) {
  if (auto pid = RunningPid(pid_file)) {
    std::printf("%s is running (pid %d)\n", name.c_str(), *pid);
    return 0;
  }
  std::printf("%s is stopped\n", name.c_str());
  return 3;
}

}  // namespace strix::daemon
