// Daemon controls shared by strixd and strix-agent: pattoo's --start, --stop, --status and
// --restart (spec pattoo.md 4.7), done with a pid file. Both programs run in the
// foreground by default (for systemd); these are the option for hosts without it.
//
//   Daemonize(...)    forks twice, detaches (setsid), sends stdout/stderr to a log file,
//                     writes the pid file, runs `run` and reports to the parent whether
//                     it got ready, so `--start` returns 0 only once the program works.
//   StopDaemon(...)   SIGTERM, waits up to `wait_ms`, SIGKILL with force.
//   RunningPid(path)  the pid in the file while the daemon runs: the daemon holds an
//                     flock on its pid file, so a stale file (after kill -9) reads as
//                     not running and never makes --stop signal an unrelated process.
//
// Thread-safety: call before any thread starts (fork).
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

namespace strix::daemon {

std::optional<pid_t> RunningPid(const std::string& pid_file);

// `run(ready)` must call ready(true) once working or ready(false) on failure, and returns
// the exit code. Returns in the parent: 0 when the daemon reported ready, else 1.
int Daemonize(const std::string& name, const std::string& pid_file, const std::string& log_file,
              const std::function<int(const std::function<void(bool)>& ready)>& run);

// Returns 0 when stopped (or not running), 1 when it would not stop.
int StopDaemon(const std::string& name, const std::string& pid_file, bool force,
               int wait_ms = 10'000);

// Prints "<name> is running (pid N)" or "<name> is stopped"; returns 0 or 3.
int PrintStatus(const std::string& name, const std::string& pid_file);

}  // namespace strix::daemon
