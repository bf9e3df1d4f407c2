// ScriptInput: runs the executables of a directory once per round and reads their standard
// output as line protocol or as a JSON object of numbers (docs/agents/script.md). This is
// the agent's escape hatch: anything a shell, Python or Perl script can measure becomes
// points without a new input in C++.
//
// Each round, every executable regular file of ScriptOptions::dir (hidden files and
// non-executables skipped) is started with posix_spawn, no shell, in its own process
// group, stdin from /dev/null, no fd of the agent but its stdout and stderr pipes, in
// name order, up to max_parallel at a time. One thread (the caller's) polls all pipes
// against each script's deadline: min(start + timeout_ms, the round's deadline). At its
// deadline a script's whole process group is killed with SIGKILL; when a script exits,
// whatever it left running in its group is killed too. Every child is reaped (a child that
// does not die at once is reaped in a later round), so no zombie accumulates.
//
// Problems never fail the round and never become zeros: a timeout, a non-zero exit, an
// oversize or garbage output costs a counter (counters()) and one warn line per script and
// kind, repeated at most every 10 minutes while it lasts. Collect fails only when the
// directory cannot be read or the agent is stopping.
//
// Thread-safety: Collect is called from one thread at a time (Input's contract);
// counters() and last_durations_ms() may be called from any thread at any time.
// The agent must not set SIGCHLD to SIG_IGN (children would be reaped by the kernel).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agents/common/input.h"
#include "agents/script/json_output.h"
#include "core/mutex.h"

namespace strix::agents::script {

struct ScriptOptions {
  // Every executable regular file in it is run each round, in name order. Files whose
  // name starts with '.' and files without an execute permission for the agent are
  // skipped, as are directories and sockets. Symbolic links are followed.
  std::string dir;
  // Longest run of one script, from its start; capped by the round's deadline.
  int64_t timeout_ms = 10'000;
  // Standard output beyond this many bytes: the script is killed (with its process
  // group), its output discarded and `oversize` counted.
  size_t max_output_bytes = 1 << 20;
  // Standard error kept for the log; the rest is read and dropped.
  size_t max_stderr_bytes = 64 << 10;
  // Scripts running at the same time. The others wait for a free slot; a script that
  // cannot start before the round's deadline is skipped and counted.
  size_t max_parallel = 8;
  // Extra environment variables, added after (and overriding) the base environment of
  // docs/agents/script.md: PATH, HOME, LANG, LC_ALL, TZ from the agent, STRIX_INTERVAL_MS,
  // STRIX_TIMEOUT_MS.
  std::vector<std::pair<std::string, std::string>> env;
};

class ScriptInput final : public Input {
 public:
  explicit ScriptInput(ScriptOptions o);
  // Kills and reaps any child still pending.
  ~ScriptInput() override;
  ScriptInput(const ScriptInput&) = delete;
  ScriptInput& operator=(const ScriptInput&) = delete;

  // Runs the directory's scripts and appends their points. NotFound/PermissionDenied when
  // the directory cannot be read; Cancelled when ctx.stop is requested (running scripts are
  // killed, nothing of the round is appended); DeadlineExceeded when the deadline passed
  // before the round could start. Otherwise OK, whatever the scripts did.
  Status Collect(const CollectContext& ctx, std::vector<Point>* out) override;

  struct Counters {
    uint64_t runs = 0;             // scripts started
    uint64_t timeouts = 0;         // killed at their deadline
    uint64_t failures = 0;         // could not start, exited non-zero, or died of a signal
    uint64_t garbage_lines = 0;    // invalid line protocol lines (skipped)
    uint64_t garbage_outputs = 0;  // outputs discarded whole (bad JSON, non-object JSON,
                                   // bad `# precision=` line)
    uint64_t garbage_values = 0;   // JSON keys skipped (value not a number, ...)
    uint64_t oversize = 0;         // outputs beyond max_output_bytes (script killed)
    uint64_t skipped = 0;          // scripts not started before the round's deadline
  };
  Counters counters() const;

  // Per script (file name), the duration of its last run in milliseconds, for
  // self-metrics. Scripts that left the directory are dropped.
  std::vector<std::pair<std::string, int64_t>> last_durations_ms() const;

 private:
  struct Run;
  struct LogState;
  enum class Problem : uint8_t;

  void ListScripts(std::vector<std::string>* names, Status* status);
  bool Start(Run* run, const CollectContext& ctx, int64_t now_ns);
  // Reads what is waiting in one pipe (a bounded number of reads). True when more may be
  // waiting; false on EAGAIN, end of file (the fd is closed) or oversize (run->end set).
  bool ReadPipe(Run* run, bool is_stdout);
  void Finish(Run* run, const CollectContext& ctx, std::vector<Point>* points);
  void KillAndReap(Run* run);
  void ReapPending();
  void Parse(Run* run, const CollectContext& ctx, std::vector<Point>* points);
  // Whether a problem of this kind may be logged now for this script (first time, or 10
  // minutes since the last line); *repeated is how many were not logged since.
  bool ShouldLog(const std::string& script, Problem kind, int64_t now_ns, uint64_t* repeated);
  void LogStderr(const Run& run, bool failed);

  const ScriptOptions options_;
  int stop_fd_ = -1;  // eventfd written by the stop callback, polled with the pipes

  std::atomic<uint64_t> runs_{0}, timeouts_{0}, failures_{0}, garbage_lines_{0},
      garbage_outputs_{0}, garbage_values_{0}, oversize_{0}, skipped_{0};

  // Collect's state (one thread at a time).
  std::vector<std::unique_ptr<Run>> runs_pool_;  // reused between rounds
  std::map<std::string, LogState> log_state_;
  std::vector<int> pending_reap_;  // killed children that had not died yet
  JsonOutputParser json_;
  std::string dir_error_;  // the last directory error logged, to log each change once

  mutable Mutex mu_;
  std::map<std::string, int64_t> durations_ms_ STRIX_GUARDED_BY(mu_);
};

}  // namespace strix::agents::script
