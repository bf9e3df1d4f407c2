// ScriptInput: one round runs the directory's scripts as child processes and turns their
// output into points. See script_input.h for the contract and docs/agents/script.md for what a
// script sees and may print.
//
// A round is one poll() loop on the caller's thread. Each running script contributes its
// stdout and stderr pipes (non-blocking) and, where the kernel has it, a pidfd that becomes
// readable when the script exits. The loop wakes at the earliest deadline of the running
// scripts, on pipe data, on a script's exit, or when the stop callback writes stop_fd_.
//
// A script ends in one of four ways:
//  - it exits: its process group is killed (leftover background children), the pipes are
//    drained of what it wrote, it is reaped, and its output is parsed whatever its status;
//  - its deadline passes: the group is killed, the child reaped, the output discarded;
//  - its stdout exceeds max_output_bytes: the same, counted as oversize;
//  - the agent stops: the same, and the round returns Cancelled.
// The exit is seen with waitid(WNOWAIT) before the group is killed, so the leader stays a
// zombie until the kill: its pid, which is the group's id, cannot be reused in between.
#include "agents/script/script_input.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stop_token>
#include <string_view>

#include "agents/lineproto/lineproto.h"
#include "core/clock.h"
#include "core/log.h"

namespace strix::agents::script {

enum class ScriptInput::Problem : uint8_t {
  kTimeout,
  kFailure,
  kGarbage,
  kOversize,
  kStderr,
  kSkipped,
  kCount,
};

namespace {

constexpr int64_t kNanosPerMilli = 1'000'000;
// A problem repeated by the same script is logged again after this long at the earliest.
constexpr int64_t kRepeatLogNanos = int64_t{10} * 60 * 1'000'000'000;
// stderr lines logged per run, and bytes per line.
constexpr size_t kMaxStderrLines = 10;
constexpr size_t kMaxStderrLineBytes = 256;
// Reads per pipe per wake-up, so that a chatty script cannot hold the loop.
constexpr int kReadsPerWake = 8;
// Without a pidfd, an exit is noticed by polling at this interval.
constexpr int kExitPollMillis = 10;
// How long a SIGKILLed child is waited for before it is left for a later round.
constexpr int kReapWaitMillis = 1000;
// Buffers grown beyond this by a large output are released after the round.
constexpr size_t kKeepBufferBytes = 64 << 10;

int64_t NowNanos() { return Clock::Real().MonotonicNanos(); }

void CloseFd(int* fd) {
  if (*fd >= 0) {
    ::close(*fd);
    *fd = -1;
  }
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The script's file name without its extension, as a metric name: "disk-usage.sh" ->
// "disk_usage".
std::string MeasurementFor(std::string_view file) {
  size_t dot = file.rfind('.');
  if (dot != std::string_view::npos && dot > 0) file = file.substr(0, dot);
  return lineproto::SanitizeMetricName(file);
}

// A `# precision=<unit>` first line: its unit, or nullopt when the first line is no such
// directive. *bad is set when it is one but names no known unit.
std::optional<lineproto::Precision> PrecisionDirective(std::string_view text, std::string* bad) {
  std::string_view line = text.substr(0, text.find('\n'));
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i == line.size() || line[i] != '#') return std::nullopt;
  ++i;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  constexpr std::string_view kKey = "precision=";
  if (line.substr(i, kKey.size()) != kKey) return std::nullopt;
  std::string_view unit = line.substr(i + kKey.size());
  while (!unit.empty() && IsSpace(unit.back())) unit.remove_suffix(1);
  Result<lineproto::Precision> p = lineproto::ParsePrecision(unit);
  if (!p.ok() || unit.empty()) {
    *bad = unit.empty() ? "empty precision in the # precision= line"
                        : std::string(p.ok() ? "" : p.status().message());
    return std::nullopt;
  }
  return *p;
}

// A pidfd for the child (readable once it exits; always close-on-exec), or -1 where the
// kernel lacks pidfd_open (before Linux 5.3): exits are then polled for. Called through
// syscall(): glibc 2.36's <sys/pidfd.h> lacks extern "C".
int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

// The stop callback: wakes the poll loop.
struct Waker {
  int fd;
  void operator()() const noexcept {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof(one));
  }
};

}  // namespace

struct ScriptInput::LogState {
  static constexpr size_t kKinds = static_cast<size_t>(Problem::kCount);
  bool logged[kKinds] = {};
  int64_t next_ns[kKinds] = {};
  uint64_t suppressed[kKinds] = {};
};

struct ScriptInput::Run {
  enum class End : uint8_t { kRunning, kExited, kTimeout, kOversize, kSpawnFailed, kSkipped };

  std::string name;
  pid_t pid = -1;
  int out_fd = -1;
  int err_fd = -1;
  int pid_fd = -1;
  int64_t start_ns = 0;
  int64_t deadline_ns = 0;
  int64_t end_ns = 0;
  int64_t timeout_ms = 0;  // the effective one: min(timeout, time left in the round)
  End end = End::kRunning;
  bool exited = false;  // the leader exited (a zombie until reaped)
  bool done = false;    // ended, reaped (or left for a later round) and counted
  int wait_status = 0;
  int spawn_error = 0;
  std::string out;
  std::string err;
  std::vector<Point> points;

  void Reset(std::string script) {
    name = std::move(script);
    pid = -1;
    out_fd = err_fd = pid_fd = -1;
    start_ns = deadline_ns = end_ns = timeout_ms = 0;
    end = End::kRunning;
    exited = false;
    done = false;
    wait_status = 0;
    spawn_error = 0;
    out.clear();
    err.clear();
    points.clear();
  }
  void Release() {  // after the round: keep small buffers only
    if (out.capacity() > kKeepBufferBytes) std::string().swap(out);
    if (err.capacity() > kKeepBufferBytes) std::string().swap(err);
    if (points.capacity() > 64) std::vector<Point>().swap(points);
  }
  // Started and not finished yet.
  bool running() const { return pid > 0 && !done; }
};

ScriptInput::ScriptInput(ScriptOptions o) : options_(std::move(o)) {
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0)
    STRIX_LOG(kWarn, "script: eventfd failed; stop is noticed late", "errno", errno);
}

ScriptInput::~ScriptInput() {
  for (int pid : pending_reap_) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  CloseFd(&stop_fd_);
}

ScriptInput::Counters ScriptInput::counters() const {
  Counters c;
  c.runs = runs_.load(std::memory_order_relaxed);
  c.timeouts = timeouts_.load(std::memory_order_relaxed);
  c.failures = failures_.load(std::memory_order_relaxed);
  c.garbage_lines = garbage_lines_.load(std::memory_order_relaxed);
  c.garbage_outputs = garbage_outputs_.load(std::memory_order_relaxed);
  c.garbage_values = garbage_values_.load(std::memory_order_relaxed);
  c.oversize = oversize_.load(std::memory_order_relaxed);
  c.skipped = skipped_.load(std::memory_order_relaxed);
  return c;
}

std::vector<std::pair<std::string, int64_t>> ScriptInput::last_durations_ms() const {
  MutexLock lock(&mu_);
  return {durations_ms_.begin(), durations_ms_.end()};
}

bool ScriptInput::ShouldLog(const std::string& script, Problem kind, int64_t now_ns,
                            uint64_t* repeated) {
  LogState& s = log_state_[script];
  const auto k = static_cast<size_t>(kind);
  if (!s.logged[k] || now_ns >= s.next_ns[k]) {
    s.logged[k] = true;
    s.next_ns[k] = now_ns + kRepeatLogNanos;
    *repeated = s.suppressed[k];
    s.suppressed[k] = 0;
    return true;
  }
  ++s.suppressed[k];
  return false;
}

void ScriptInput::ListScripts(std::vector<std::string>* names, Status* status) {
  names->clear();
  DIR* d = ::opendir(options_.dir.c_str());
  if (d == nullptr) {
    *status = Status::FromErrno(errno, "opendir", options_.dir);
    return;
  }
  const int dfd = ::dirfd(d);
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;  // hidden, "." and ".."
    struct stat st;
    if (::fstatat(dfd, e->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::faccessat(dfd, e->d_name, X_OK, AT_EACCESS) != 0) continue;
    names->emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names->begin(), names->end());
}

bool ScriptInput::Start(Run* r, const CollectContext& ctx, int64_t now_ns) {
  r->start_ns = now_ns;
  r->deadline_ns = std::min(now_ns + options_.timeout_ms * kNanosPerMilli, ctx.deadline_mono_ns);
  r->timeout_ms = (r->deadline_ns - now_ns) / kNanosPerMilli;
  runs_.fetch_add(1, std::memory_order_relaxed);

  // The environment: a few variables of the agent's, the round's, then the options'.
  std::vector<std::string> env;
  auto set = [&env](std::string_view name, std::string_view value) {
    std::string kv = std::string(name) + "=" + std::string(value);
    for (std::string& e : env) {
      if (e.compare(0, name.size() + 1, kv, 0, name.size() + 1) == 0) {
        e = std::move(kv);
        return;
      }
    }
    env.push_back(std::move(kv));
  };
  const char* path_env = std::getenv("PATH");
  set("PATH", path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin");
  for (const char* name : {"HOME", "LANG", "LC_ALL", "TZ"})
    if (const char* v = std::getenv(name)) set(name, v);
  set("STRIX_INTERVAL_MS", std::to_string(ctx.interval_ms));
  set("STRIX_TIMEOUT_MS", std::to_string(r->timeout_ms));
  for (const auto& [name, value] : options_.env) set(name, value);
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  std::string path = options_.dir + "/" + r->name;
  char* argv[] = {path.data(), nullptr};

  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  int rc = 0;
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    rc = errno;
  } else {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    // Whatever fd the agent (or a library) opened without O_CLOEXEC stays out.
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
    posix_spawn_file_actions_addchdir_np(&fa, options_.dir.c_str());
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);    // the agent's blocked signals stay its own
    posix_spawnattr_setsigdefault(&attr, &all);  // and so do its ignored ones (SIGPIPE)
    posix_spawnattr_setpgroup(&attr, 0);         // a process group of its own
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    rc = ::posix_spawn(&pid, path.c_str(), &fa, &attr, argv, envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc == 0) r->pid = pid;
  }
  CloseFd(&out[1]);
  CloseFd(&err[1]);
  if (rc != 0) {
    CloseFd(&out[0]);
    CloseFd(&err[0]);
    r->spawn_error = rc;
    r->end = Run::End::kSpawnFailed;
    r->end_ns = now_ns;
    return false;
  }
  r->out_fd = out[0];
  r->err_fd = err[0];
  ::fcntl(r->out_fd, F_SETFL, O_NONBLOCK);
  ::fcntl(r->err_fd, F_SETFL, O_NONBLOCK);
  r->pid_fd = PidfdOpen(r->pid);
  return true;
}

bool ScriptInput::ReadPipe(Run* r, bool is_stdout) {
  int* fd = is_stdout ? &r->out_fd : &r->err_fd;
  char buf[16 << 10];
  for (int i = 0; i < kReadsPerWake; ++i) {
    if (*fd < 0) return false;
    ssize_t n = ::read(*fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    if (n <= 0) {  // end of file, or an error: nothing more will come
      CloseFd(fd);
      return false;
    }
    const auto len = static_cast<size_t>(n);
    if (is_stdout) {
      if (r->out.size() + len > options_.max_output_bytes) {
        r->end = Run::End::kOversize;
        return false;
      }
      r->out.append(buf, len);
    } else if (r->err.size() < options_.max_stderr_bytes) {
      r->err.append(buf, std::min(len, options_.max_stderr_bytes - r->err.size()));
    }
  }
  return true;
}

void ScriptInput::KillAndReap(Run* r) {
  ::kill(-r->pid, SIGKILL);  // the whole process group
  ::kill(r->pid, SIGKILL);   // and the script, should it have left its group
  CloseFd(&r->out_fd);
  CloseFd(&r->err_fd);
  int status = 0;
  pid_t got = ::waitpid(r->pid, &status, WNOHANG);
  if (got == 0) {
    if (r->pid_fd >= 0) {
      struct pollfd p = {r->pid_fd, POLLIN, 0};
      ::poll(&p, 1, kReapWaitMillis);
      got = ::waitpid(r->pid, &status, WNOHANG);
    } else {
      for (int waited = 0; got == 0 && waited < kReapWaitMillis; waited += kExitPollMillis) {
        ::poll(nullptr, 0, kExitPollMillis);
        got = ::waitpid(r->pid, &status, WNOHANG);
      }
    }
  }
  if (got == 0) {
    STRIX_LOG(kWarn, "script: killed child has not exited yet; reaping it later", "script", r->name,
              "pid", r->pid);
    pending_reap_.push_back(r->pid);
  }
  r->wait_status = status;
  CloseFd(&r->pid_fd);
  r->end_ns = NowNanos();
}

void ScriptInput::ReapPending() {
  std::erase_if(pending_reap_, [](int pid) {
    pid_t got = ::waitpid(pid, nullptr, WNOHANG);
    return got != 0;  // reaped, or not our child any more (ECHILD)
  });
}

void ScriptInput::LogStderr(const Run& r, bool failed) {
  if (r.err.empty()) return;
  std::string_view rest = r.err;
  size_t lines = 0, more = 0;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    while (!line.empty() && IsSpace(line.back())) line.remove_suffix(1);
    if (line.empty()) continue;
    if (lines == kMaxStderrLines) {
      ++more;
      continue;
    }
    ++lines;
    line = line.substr(0, kMaxStderrLineBytes);
    if (failed) {
      STRIX_LOG(kWarn, "script: stderr", "script", r.name, "line", line);
    } else {
      STRIX_LOG(kInfo, "script: stderr", "script", r.name, "line", line);
    }
  }
  if (more > 0)
    STRIX_LOG(kInfo, "script: stderr lines not logged", "script", r.name, "lines", more);
}

void ScriptInput::Parse(Run* r, const CollectContext& ctx, std::vector<Point>* points) {
  std::string& text = r->out;
  size_t first = 0;
  while (first < text.size() && IsSpace(text[first])) ++first;
  if (first == text.size()) return;  // no output: nothing to report this round
  const int64_t now = NowNanos();
  uint64_t repeated = 0;
  auto garbage_output = [&](std::string_view error) {
    garbage_outputs_.fetch_add(1, std::memory_order_relaxed);
    if (ShouldLog(r->name, Problem::kGarbage, now, &repeated)) {
      STRIX_LOG(kWarn, "script: output discarded", "script", r->name, "error", error, "repeated",
                repeated);
    }
  };

  if (text[first] == '{') {
    JsonOutputStats stats;
    Status s = json_.Parse(&text, MeasurementFor(r->name), ctx.now_ms, points, &stats);
    if (!s.ok()) {
      garbage_output(s.context().empty()
                         ? std::string(s.message())
                         : std::string(s.message()) + ": " + std::string(s.context()));
      return;
    }
    if (stats.garbage_keys > 0) {
      garbage_values_.fetch_add(stats.garbage_keys, std::memory_order_relaxed);
      if (ShouldLog(r->name, Problem::kGarbage, now, &repeated)) {
        STRIX_LOG(kWarn, "script: JSON keys skipped", "script", r->name, "keys", stats.garbage_keys,
                  "first", stats.first_garbage, "repeated", repeated);
      }
    }
    return;
  }
  if (text[first] == '[') {
    garbage_output("JSON output is not an object: it is an array");
    return;
  }

  std::string bad;
  lineproto::Precision precision =
      PrecisionDirective(text, &bad).value_or(lineproto::Precision::kNanoseconds);
  if (!bad.empty()) {
    garbage_output(bad);
    return;
  }
  lineproto::DecodeStats stats;
  lineproto::Decode(text, ctx.now_ms, precision, points, &stats).IgnoreError();  // valid enum
  if (stats.rejected_lines > 0) {
    garbage_lines_.fetch_add(stats.rejected_lines, std::memory_order_relaxed);
    if (ShouldLog(r->name, Problem::kGarbage, now, &repeated)) {
      STRIX_LOG(kWarn, "script: invalid lines skipped", "script", r->name, "lines",
                stats.rejected_lines, "first", stats.first_errors[0], "repeated", repeated);
    }
  }
}

void ScriptInput::Finish(Run* r, const CollectContext& ctx, std::vector<Point>* points) {
  r->done = true;
  const int64_t now = r->end_ns;
  uint64_t repeated = 0;
  std::string_view last_stderr = r->err;
  while (!last_stderr.empty() && IsSpace(last_stderr.back())) last_stderr.remove_suffix(1);
  last_stderr = last_stderr.substr(last_stderr.rfind('\n') + 1).substr(0, kMaxStderrLineBytes);

  switch (r->end) {
    case Run::End::kTimeout:
      timeouts_.fetch_add(1, std::memory_order_relaxed);
      if (ShouldLog(r->name, Problem::kTimeout, now, &repeated)) {
        STRIX_LOG(kWarn, "script: timed out; its process group was killed", "script", r->name,
                  "timeout_ms", r->timeout_ms, "repeated", repeated);
        LogStderr(*r, true);
      }
      return;
    case Run::End::kOversize:
      oversize_.fetch_add(1, std::memory_order_relaxed);
      if (ShouldLog(r->name, Problem::kOversize, now, &repeated)) {
        STRIX_LOG(kWarn, "script: output too large; killed and discarded", "script", r->name,
                  "limit_bytes", options_.max_output_bytes, "repeated", repeated);
      }
      return;
    case Run::End::kSpawnFailed:
      failures_.fetch_add(1, std::memory_order_relaxed);
      if (ShouldLog(r->name, Problem::kFailure, now, &repeated)) {
        STRIX_LOG(kWarn, "script: cannot start", "script", r->name, "error",
                  std::strerror(r->spawn_error), "repeated", repeated);
      }
      return;
    case Run::End::kSkipped:
      skipped_.fetch_add(1, std::memory_order_relaxed);
      if (ShouldLog(r->name, Problem::kSkipped, now, &repeated)) {
        STRIX_LOG(kWarn, "script: not started: the round's deadline came first", "script", r->name,
                  "repeated", repeated);
      }
      return;
    case Run::End::kExited:
    case Run::End::kRunning:
      break;
  }
  const int st = r->wait_status;
  const bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
  if (!ok) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    if (ShouldLog(r->name, Problem::kFailure, now, &repeated)) {
      if (WIFSIGNALED(st)) {
        STRIX_LOG(kWarn, "script: killed by a signal", "script", r->name, "signal", WTERMSIG(st),
                  "stderr", last_stderr, "repeated", repeated);
      } else {
        STRIX_LOG(kWarn, "script: exited with an error", "script", r->name, "exit_code",
                  WEXITSTATUS(st), "stderr", last_stderr, "repeated", repeated);
      }
      LogStderr(*r, true);
    }
  } else if (!r->err.empty() && ShouldLog(r->name, Problem::kStderr, now, &repeated)) {
    LogStderr(*r, false);
  }
  Parse(r, ctx, points);  // a failed script's valid output is used too
}

Status ScriptInput::Collect(const CollectContext& ctx, std::vector<Point>* out) {
  ReapPending();
  if (ctx.stop.stop_requested()) return Status::Cancelled("script: agent stopping");
  int64_t now = NowNanos();
  if (now >= ctx.deadline_mono_ns)
    return Status::DeadlineExceeded("script: the round's deadline passed before it started");

  std::vector<std::string> names;
  Status list_status;
  ListScripts(&names, &list_status);
  if (!list_status.ok()) {
    if (list_status.ToString() != dir_error_) {
      dir_error_ = list_status.ToString();
      STRIX_LOG(kWarn, "script: cannot read the script directory", "dir", options_.dir, "error",
                list_status);
    }
    return list_status;
  }
  if (!dir_error_.empty()) {
    dir_error_.clear();
    STRIX_LOG(kInfo, "script: script directory readable again", "dir", options_.dir);
  }

  // Wake the poll loop when the agent stops.
  if (stop_fd_ >= 0) {
    uint64_t drained;
    [[maybe_unused]] ssize_t n = ::read(stop_fd_, &drained, sizeof(drained));
  }
  std::optional<std::stop_callback<Waker>> on_stop;
  if (stop_fd_ >= 0 && ctx.stop.stop_possible()) on_stop.emplace(ctx.stop, Waker{stop_fd_});

  while (runs_pool_.size() < names.size()) runs_pool_.push_back(std::make_unique<Run>());
  for (size_t i = 0; i < names.size(); ++i) runs_pool_[i]->Reset(names[i]);

  const size_t n = names.size();
  const size_t max_parallel = std::max<size_t>(options_.max_parallel, 1);
  size_t next = 0;
  size_t active = 0;
  bool cancelled = false;
  std::vector<struct pollfd> pfds;
  std::vector<Run*> owners;
  while (true) {
    now = NowNanos();
    while (active < max_parallel && next < n) {
      Run* r = runs_pool_[next++].get();
      if (now >= ctx.deadline_mono_ns) {
        r->end = Run::End::kSkipped;
        r->end_ns = now;
        Finish(r, ctx, &r->points);
      } else if (Start(r, ctx, now)) {
        ++active;
      } else {
        Finish(r, ctx, &r->points);
      }
    }
    if (active == 0) {
      if (next == n) break;
      continue;
    }

    pfds.clear();
    owners.clear();
    if (stop_fd_ >= 0) {
      pfds.push_back({stop_fd_, POLLIN, 0});
      owners.push_back(nullptr);
    }
    int64_t wake_ns = INT64_MAX;
    bool poll_exit = false;
    for (size_t i = 0; i < next; ++i) {
      Run* r = runs_pool_[i].get();
      if (!r->running()) continue;
      for (int fd : {r->out_fd, r->err_fd, r->pid_fd}) {
        if (fd < 0) continue;
        pfds.push_back({fd, POLLIN, 0});
        owners.push_back(r);
      }
      if (r->pid_fd < 0) poll_exit = true;
      wake_ns = std::min(wake_ns, r->deadline_ns);
    }
    int64_t wait_ms = wake_ns <= now ? 0 : (wake_ns - now + kNanosPerMilli - 1) / kNanosPerMilli;
    if (poll_exit) wait_ms = std::min<int64_t>(wait_ms, kExitPollMillis);
    if (stop_fd_ < 0 && ctx.stop.stop_possible()) wait_ms = std::min<int64_t>(wait_ms, 100);
    const int ready =
        ::poll(pfds.data(), pfds.size(), static_cast<int>(std::min<int64_t>(wait_ms, INT_MAX)));
    if (ready < 0 && errno != EINTR) {
      STRIX_LOG(kError, "script: poll failed", "errno", errno);
      ::poll(nullptr, 0, kExitPollMillis);  // do not spin
    }
    if (ctx.stop.stop_requested()) {
      cancelled = true;
      break;
    }
    for (size_t k = 0; ready > 0 && k < pfds.size(); ++k) {
      Run* r = owners[k];
      if (r == nullptr || pfds[k].revents == 0 || !r->running()) continue;
      if (pfds[k].fd == r->out_fd) ReadPipe(r, /*is_stdout=*/true);
      if (pfds[k].fd == r->err_fd) ReadPipe(r, /*is_stdout=*/false);
    }

    now = NowNanos();
    for (size_t i = 0; i < next; ++i) {
      Run* r = runs_pool_[i].get();
      if (r->pid <= 0 || r->done) continue;
      if (r->end == Run::End::kRunning && !r->exited) {
        siginfo_t info;
        info.si_pid = 0;
        if (::waitid(P_PID, static_cast<id_t>(r->pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0) {
          r->exited = info.si_pid == r->pid;
        } else if (errno == ECHILD) {
          r->exited = true;  // reaped behind our back (SIGCHLD ignored): nothing to wait for
        }
        if (r->exited) {
          // Leftovers in its group go; then take what the script wrote before it exited.
          ::kill(-r->pid, SIGKILL);
          while (r->end == Run::End::kRunning && ReadPipe(r, /*is_stdout=*/true)) {
          }
          for (int guard = 0; guard < 16 && ReadPipe(r, /*is_stdout=*/false); ++guard) {
          }
        }
      }
      if (r->end == Run::End::kOversize) {
        KillAndReap(r);
      } else if (r->exited) {
        CloseFd(&r->out_fd);
        CloseFd(&r->err_fd);
        CloseFd(&r->pid_fd);
        int status = 0;
        if (::waitpid(r->pid, &status, 0) == r->pid) r->wait_status = status;
        r->end = Run::End::kExited;
        r->end_ns = NowNanos();
      } else if (now >= r->deadline_ns) {
        r->end = Run::End::kTimeout;
        KillAndReap(r);
      } else {
        continue;
      }
      Finish(r, ctx, &r->points);
      --active;
    }
  }

  if (cancelled) {
    for (size_t i = 0; i < next; ++i) {
      Run* r = runs_pool_[i].get();
      if (r->running()) KillAndReap(r);
    }
  }

  {
    MutexLock lock(&mu_);
    std::erase_if(durations_ms_, [&names](const auto& kv) {
      return !std::binary_search(names.begin(), names.end(), kv.first);
    });
    for (size_t i = 0; i < next; ++i) {
      const Run& r = *runs_pool_[i];
      if (r.pid > 0 && r.end_ns >= r.start_ns)
        durations_ms_[r.name] = (r.end_ns - r.start_ns) / kNanosPerMilli;
    }
  }
  std::erase_if(log_state_, [&names](const auto& kv) {
    return !std::binary_search(names.begin(), names.end(), kv.first);
  });
  for (size_t i = 0; i < n; ++i) {
    Run& r = *runs_pool_[i];
    if (!cancelled)
      out->insert(out->end(), std::make_move_iterator(r.points.begin()),
                  std::make_move_iterator(r.points.end()));
    r.Release();
  }
  if (cancelled) return Status::Cancelled("script: agent stopping");
  return Status::Ok();
}

}  // namespace strix::agents::script
