// Daemon controls (see daemon.h).
#include "core/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace strix::daemon {

std::optional<pid_t> RunningPid(const std::string& path) {
  // The running daemon holds an exclusive flock on its pid file. Without that lock the
  // file is stale (a crash or kill -9 left it) and its pid may be another process now.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[32] = {0};
  ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  const bool locked = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  if (n <= 0 || !locked) return std::nullopt;
  long pid = std::strtol(buf, nullptr, 10);
  if (pid <= 1) return std::nullopt;
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
  // The pid file stays open and flock'ed while the daemon runs: RunningPid trusts a pid
  // only while its lock is held, so a stale file never names an unrelated process.
  const int pfd = ::open(pid_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (pfd < 0 || ::flock(pfd, LOCK_EX | LOCK_NB) != 0) {
    std::fprintf(stderr, "%s: cannot lock the pid file %s (running already?)\n", name.c_str(),
                 pid_file.c_str());
    char c = 0;
    (void)!::write(pipefd[1], &c, 1);
    return 1;
  }
  const std::string pid_text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(pfd, 0) != 0 ||
      ::pwrite(pfd, pid_text.data(), pid_text.size(), 0) != static_cast<ssize_t>(pid_text.size())) {
    std::fprintf(stderr, "%s: cannot write the pid file %s\n", name.c_str(), pid_file.c_str());
    char c = 0;
    (void)!::write(pipefd[1], &c, 1);
    return 1;
  }
  const int wfd = pipefd[1];
  int rc = run([wfd](bool ok) {
    char c = ok ? 1 : 0;
    (void)!::write(wfd, &c, 1);
    ::close(wfd);
  });
  ::unlink(pid_file.c_str());
  ::close(pfd);  // releases the lock
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
    if (!RunningPid(pid_file) || ::kill(*pid, 0) != 0) {
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
