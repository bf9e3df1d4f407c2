// Tests for the script input with real processes: the scripts of testdata/agents/scripts/
// (copied into a fresh directory per test) and small generated ones. They pin the output
// formats, the timeouts and process-group kills, the limits, what a script sees, and that
// no child or zombie is left behind.
#include "agents/script/script_input.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "core/testing/temp_dir.h"

namespace strix::agents::script {
namespace {

constexpr int64_t kNowMs = 1700000000000;

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Whether the process is gone (or a zombie, i.e. dead and waiting for its reaper), waiting
// up to 2 s for the kill to land.
bool ProcessGone(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    if (!f) return true;
    std::string stat;
    std::getline(f, stat);
    size_t rp = stat.rfind(')');
    if (rp != std::string::npos && rp + 2 < stat.size() &&
        (stat[rp + 2] == 'Z' || stat[rp + 2] == 'X'))
      return true;
    ::usleep(10'000);
  }
  return false;
}

// The test process has no child at all: every script was reaped.
bool NoChildren() {
  errno = 0;
  return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD;
}

class ScriptInputTest : public ::testing::Test {
 protected:
  // Copies testdata/agents/scripts/<name> into the test directory, executable.
  void Install(const std::string& name) {
    const char* src = std::getenv("STRIX_SOURCE_DIR");
    ASSERT_NE(src, nullptr) << "run through ctest, which sets STRIX_SOURCE_DIR";
    Write(name, ReadFile(std::string(src) + "/testdata/agents/scripts/" + name));
  }
  void Write(const std::string& name, const std::string& body, mode_t mode = 0755) {
    const std::string path = dir_.Join(name);
    std::ofstream(path) << body;
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
  }
  ScriptOptions Options() {
    ScriptOptions o;
    o.dir = dir_.path();
    return o;
  }
  static CollectContext Ctx(int64_t budget_ms, std::stop_token stop = {}) {
    CollectContext ctx;
    ctx.now_ms = kNowMs;
    ctx.interval_ms = 10'000;
    ctx.deadline_mono_ns = Clock::Real().MonotonicNanos() + budget_ms * 1'000'000;
    ctx.stop = stop;
    return ctx;
  }
  // One round; *elapsed_ms is how long Collect took.
  static Status Round(ScriptInput* in, std::vector<Point>* out, int64_t budget_ms = 10'000,
                      int64_t* elapsed_ms = nullptr) {
    const int64_t start = Clock::Real().MonotonicNanos();
    Status s = in->Collect(Ctx(budget_ms), out);
    if (elapsed_ms) *elapsed_ms = (Clock::Real().MonotonicNanos() - start) / 1'000'000;
    return s;
  }
  static size_t CountLines(const log::LogCapture& cap, std::string_view a, std::string_view b) {
    size_t n = 0;
    for (const std::string& l : cap.Lines())
      if (l.find(a) != std::string::npos && l.find(b) != std::string::npos) ++n;
    return n;
  }

  strix::testing::TempDir dir_;
};

TEST_F(ScriptInputTest, LineProtocolOutputIsReadBackExactly) {
  Install("lineproto.sh");
  ScriptInput in(Options());
  std::vector<Point> out;
  ASSERT_TRUE(Round(&in, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  Point cpu;
  cpu.measurement = "cpu";
  cpu.tags = {{"host", "web-1"}, {"cpu", "cpu0"}};
  cpu.fields = {{"usage", FieldValue::Gauge(97.5)},
                {"procs", FieldValue::Derive(12)},
                {"bytes", FieldValue::Counter(18446744073709551615u)},
                {"state", FieldValue::State("ok")}};
  cpu.timestamp_ms = 1700000000123;  // nanoseconds by default, floored
  EXPECT_EQ(out[0], cpu);
  EXPECT_EQ(out[1].measurement, "load");
  EXPECT_EQ(out[1].timestamp_ms, kNowMs);  // no timestamp: the round's
  EXPECT_EQ(out[1].fields, (std::vector<Field>{{"one", FieldValue::Gauge(0.25)}}));
  ScriptInput::Counters c = in.counters();
  EXPECT_EQ(c.runs, 1u);
  EXPECT_EQ(c.failures + c.timeouts + c.garbage_lines + c.garbage_outputs + c.oversize, 0u);
  EXPECT_TRUE(NoChildren());
}

TEST_F(ScriptInputTest, PrecisionFirstLineChangesTheTimestampUnit) {
  Install("precision_s.sh");
  Write("bad_precision.sh", "#!/bin/sh\necho '# precision=fortnights'\necho 'x v=1 1'\n");
  ScriptInput in(Options());
  std::vector<Point> out;
  ASSERT_TRUE(Round(&in, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].measurement, "uptime");
  EXPECT_EQ(out[0].timestamp_ms, 1700000000000);
  EXPECT_EQ(out[0].fields[0].value, FieldValue::Derive(12345));
  EXPECT_EQ(in.counters().garbage_outputs, 1u);  // an unknown unit discards the output
}

TEST_F(ScriptInputTest, JsonOutputBecomesOnePointNamedAfterTheScript) {
  Install("disk-usage.sh");
  ScriptInput in(Options());
  std::vector<Point> out;
  log::LogCapture cap;
  ASSERT_TRUE(Round(&in, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].measurement, "disk_usage");
  EXPECT_EQ(out[0].timestamp_ms, kNowMs);
  EXPECT_EQ(out[0].fields,
            (std::vector<Field>{{"used_bytes", FieldValue::Gauge(123456789)},
                                {"ratio", FieldValue::Gauge(0.25)},
                                {"neg", FieldValue::Gauge(-3)},
                                {"big", FieldValue::Gauge(18446744073709551615.0)}}));
  EXPECT_EQ(in.counters().garbage_values, 5u);  // label, nested, flag, none, list
  EXPECT_EQ(CountLines(cap, "JSON keys skipped", "script=disk-usage.sh"), 1u);
}

TEST_F(ScriptInputTest, HangingScriptIsKilledAtItsTimeoutAndDoesNotStarveTheNext) {
  Install("hang.sh");
  Install("lineproto.sh");  // sorted after hang.sh
  ScriptOptions o = Options();
  o.timeout_ms = 300;
  o.max_parallel = 1;  // one after another: the next starts when the hung one is killed
  ScriptInput in(o);
  std::vector<Point> out;
  log::LogCapture cap;
  int64_t elapsed = 0;
  ASSERT_TRUE(Round(&in, &out, 10'000, &elapsed).ok());
  EXPECT_GE(elapsed, 300);
  EXPECT_LT(elapsed, 300 + 700);
  ScriptInput::Counters c = in.counters();
  EXPECT_EQ(c.runs, 2u);
  EXPECT_EQ(c.timeouts, 1u);
  EXPECT_EQ(c.failures, 0u);
  ASSERT_EQ(out.size(), 2u);  // lineproto.sh's; hang.sh's partial output is discarded
  EXPECT_EQ(out[0].measurement, "cpu");
  EXPECT_EQ(CountLines(cap, "timed out", "script=hang.sh"), 1u);
  EXPECT_TRUE(cap.Contains("timeout_ms=300"));
  EXPECT_TRUE(NoChildren());
}

TEST_F(ScriptInputTest, RoundDeadlineCapsTheTimeout) {
  Install("hang.sh");
  ScriptInput in(Options());  // timeout 10 s
  std::vector<Point> out;
  int64_t elapsed = 0;
  ASSERT_TRUE(Round(&in, &out, 300, &elapsed).ok());
  EXPECT_LT(elapsed, 300 + 700);
  EXPECT_EQ(in.counters().timeouts, 1u);
  EXPECT_TRUE(out.empty());
}

TEST_F(ScriptInputTest, BackgroundChildOfAFinishedScriptIsKilled) {
  Install("forker.sh");
  ScriptOptions o = Options();
  const std::string pid_file = dir_.Join(".child.pid");  // hidden: not run
  o.env = {{"CHILD_PID_FILE", pid_file}};
  ScriptInput in(o);
  std::vector<Point> out;
  int64_t elapsed = 0;
  ASSERT_TRUE(Round(&in, &out, 10'000, &elapsed).ok());
  EXPECT_LT(elapsed, 2000);  // the child holding the pipes does not hold the round
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].measurement, "forker");
  const pid_t child = std::atoi(ReadFile(pid_file).c_str());
  ASSERT_GT(child, 0);
  EXPECT_TRUE(ProcessGone(child)) << "sleep " << child << " survived its script";
  EXPECT_EQ(in.counters().runs, 1u);
}

TEST_F(ScriptInputTest, BackgroundChildOfATimedOutScriptIsKilled) {
  Install("hang_with_child.sh");
  ScriptOptions o = Options();
  const std::string pid_file = dir_.Join(".child.pid");
  o.env = {{"CHILD_PID_FILE", pid_file}};
  o.timeout_ms = 300;
  ScriptInput in(o);
  std::vector<Point> out;
  int64_t elapsed = 0;
  ASSERT_TRUE(Round(&in, &out, 10'000, &elapsed).ok());
  EXPECT_LT(elapsed, 300 + 700);
  EXPECT_EQ(in.counters().timeouts, 1u);
  const pid_t child = std::atoi(ReadFile(pid_file).c_str());
  ASSERT_GT(child, 0);
  EXPECT_TRUE(ProcessGone(child)) << "sleep " << child << " survived its script";
  EXPECT_TRUE(NoChildren());
}

TEST_F(ScriptInputTest, GarbageIsCountedNeverFatalAndLoggedOncePerScript) {
  Install("garbage.sh");
  Install("array.sh");
  Install("badjson.sh");
  ScriptInput in(Options());
  std::vector<Point> out;
  log::LogCapture cap;
  ASSERT_TRUE(Round(&in, &out).ok());
  ASSERT_EQ(out.size(), 2u);  // garbage.sh's two good lines
  EXPECT_EQ(out[0].fields[0].value, FieldValue::Gauge(1));
  EXPECT_EQ(out[1].fields[0].value, FieldValue::Gauge(2));
  ScriptInput::Counters c = in.counters();
  EXPECT_EQ(c.garbage_lines, 2u);
  EXPECT_EQ(c.garbage_outputs, 2u);
  EXPECT_EQ(c.failures, 0u);
  EXPECT_EQ(CountLines(cap, "invalid lines skipped", "script=garbage.sh"), 1u);
  EXPECT_TRUE(cap.Contains("first=\"line 2, column 6: "));
  EXPECT_EQ(CountLines(cap, "output discarded", "script=array.sh"), 1u);
  EXPECT_EQ(CountLines(cap, "output discarded", "script=badjson.sh"), 1u);

  // The next round counts again but does not log again.
  const size_t lines = cap.Lines().size();
  out.clear();
  ASSERT_TRUE(Round(&in, &out).ok());
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(in.counters().garbage_lines, 4u);
  EXPECT_EQ(in.counters().garbage_outputs, 4u);
  EXPECT_EQ(cap.Lines().size(), lines);
}

TEST_F(ScriptInputTest, NonExecutableHiddenAndDirectoriesAreSkipped) {
  Write("a_plain.sh", "#!/bin/sh\necho 'plain v=1'\n", 0644);
  Write(".hidden.sh", "#!/bin/sh\necho 'hidden v=1'\n");
  ASSERT_EQ(::mkdir(dir_.Join("subdir").c_str(), 0755), 0);
  Write("z_run.sh", "#!/bin/sh\necho 'run v=1'\n");
  ScriptInput in(Options());
  std::vector<Point> out;
  ASSERT_TRUE(Round(&in, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].measurement, "run");
  EXPECT_EQ(in.counters().runs, 1u);
}

TEST_F(ScriptInputTest, HugeOutputIsCappedKilledAndDiscarded) {
  Install("huge.sh");
  ScriptOptions o = Options();
  o.max_output_bytes = 64 << 10;
  ScriptInput in(o);
  std::vector<Point> out;
  log::LogCapture cap;
  int64_t elapsed = 0;
  ASSERT_TRUE(Round(&in, &out, 10'000, &elapsed).ok());
  EXPECT_LT(elapsed, 2000);  // killed at the cap, not at the timeout
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(in.counters().oversize, 1u);
  EXPECT_EQ(in.counters().timeouts, 0u);
  EXPECT_EQ(CountLines(cap, "output too large", "script=huge.sh"), 1u);
  EXPECT_TRUE(NoChildren());
}

TEST_F(ScriptInputTest, OutputOfExactlyTheLimitIsKept) {
  // 10 lines of 10 bytes: exactly 100 bytes.
  Write("exact.sh", "#!/bin/sh\nfor i in 0 1 2 3 4 5 6 7 8 9; do echo \"exact v=$i\"; done\n");
  ScriptOptions o = Options();
  o.max_output_bytes = 100;
  ScriptInput in(o);
  std::vector<Point> out;
  ASSERT_TRUE(Round(&in, &out).ok());
  EXPECT_EQ(out.size(), 10u);
  EXPECT_EQ(in.counters().oversize, 0u);
}

TEST_F(ScriptInputTest, StderrIsLoggedWithTheScriptName) {
  Install("stderr.sh");
  ScriptInput in(Options());
  std::vector<Point> out;
  log::LogCapture cap;
  ASSERT_TRUE(Round(&in, &out).ok());
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(CountLines(cap, "script=stderr.sh", "line=\"disk almost full\""), 1u);
  EXPECT_EQ(in.counters().failures, 0u);
}

TEST_F(ScriptInputTest, FailedScriptsValidOutputIsUsedAndTheFailureLogged) {
  Install("fail.sh");
  ScriptInput in(Options());
  std::vector<Point> out;
  log::LogCapture cap;
  ASSERT_TRUE(Round(&in, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].measurement, "failing");
  EXPECT_EQ(in.counters().failures, 1u);
  EXPECT_EQ(CountLines(cap, "exited with an error", "exit_code=3"), 1u);
  EXPECT_TRUE(cap.Contains("stderr=\"something broke\""));  // the last stderr line
  EXPECT_TRUE(cap.Contains("line=\"first problem\""));
}

TEST_F(ScriptInputTest, ScriptKilledByASignalIsAFailure) {
  Write("suicide.sh", "#!/bin/sh\necho 'gone v=1'\nkill -TERM $$\n");
  ScriptInput in(Options());
  std::vector<Point> out;
  log::LogCapture cap;
  ASSERT_TRUE(Round(&in, &out).ok());
  EXPECT_EQ(in.counters().failures, 1u);
  EXPECT_EQ(CountLines(cap, "killed by a signal", "signal=15"), 1u);
  EXPECT_EQ(out.size(), 1u);
}

TEST_F(ScriptInputTest, ScriptSeesItsEnvironmentNotTheAgentsFds) {
  Install("env.sh");
  // An fd opened without O_CLOEXEC, as a careless library might.
  const std::string leak_path = dir_.Join(".leak");
  std::ofstream(leak_path) << "x";
  const int leak_fd = ::open(leak_path.c_str(), O_RDONLY);
  ASSERT_GE(leak_fd, 0);
  ScriptOptions o = Options();
  o.timeout_ms = 5000;
  o.env = {{"EXTRA", "hello"},
           {"LEAK_FD", std::to_string(leak_fd)},
           {"LEAK_PATH", std::filesystem::canonical(leak_path).string()}};
  ScriptInput in(o);
  std::vector<Point> out;
  ASSERT_TRUE(Round(&in, &out).ok());
  ::close(leak_fd);
  ASSERT_EQ(out.size(), 1u);
  const Point& p = out[0];
  EXPECT_EQ(p.tags, (std::vector<Tag>{{"extra", "hello"}}));
  auto field = [&p](const std::string& key) -> FieldValue {
    for (const Field& f : p.fields)
      if (f.key == key) return f.value;
    ADD_FAILURE() << "no field " << key;
    return {};
  };
  EXPECT_EQ(field("interval_ms"), FieldValue::Derive(10'000));
  EXPECT_GT(field("timeout_ms").i, 4000);
  EXPECT_LE(field("timeout_ms").i, 5000);
  EXPECT_EQ(field("leaked"), FieldValue::Derive(0));
  EXPECT_EQ(field("stdin_eof"), FieldValue::Derive(1));
  EXPECT_EQ(field("own_group"), FieldValue::Derive(1));
  EXPECT_EQ(field("cwd"), FieldValue::State(std::filesystem::canonical(dir_.path()).string()));
}

TEST_F(ScriptInputTest, ScriptWithoutInterpreterLineFailsToStart) {
  Install("noshebang");
  ScriptInput in(Options());
  std::vector<Point> out;
  log::LogCapture cap;
  ASSERT_TRUE(Round(&in, &out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(in.counters().runs, 1u);
  EXPECT_EQ(in.counters().failures, 1u);
  EXPECT_EQ(CountLines(cap, "cannot start", "script=noshebang"), 1u);
  EXPECT_TRUE(NoChildren());
}

TEST_F(ScriptInputTest, NoZombiesAccumulateOverRounds) {
  Install("forker.sh");
  Install("hang.sh");
  Install("lineproto.sh");
  Install("huge.sh");
  ScriptOptions o = Options();
  o.env = {{"CHILD_PID_FILE", dir_.Join(".child.pid")}};
  o.timeout_ms = 200;
  o.max_output_bytes = 4096;
  ScriptInput in(o);
  for (int round = 0; round < 3; ++round) {
    std::vector<Point> out;
    ASSERT_TRUE(Round(&in, &out).ok());
    EXPECT_TRUE(NoChildren()) << "round " << round;
  }
  ScriptInput::Counters c = in.counters();
  EXPECT_EQ(c.runs, 12u);
  EXPECT_EQ(c.timeouts, 3u);
  EXPECT_EQ(c.oversize, 3u);
}

TEST_F(ScriptInputTest, ScriptsRunInParallelWithinTheRound) {
  for (const char* name : {"a.sh", "b.sh", "c.sh"})
    Write(name, "#!/bin/sh\nsleep 0.6\necho 'slow v=1'\n");
  ScriptInput in(Options());
  std::vector<Point> out;
  int64_t elapsed = 0;
  ASSERT_TRUE(Round(&in, &out, 10'000, &elapsed).ok());
  EXPECT_EQ(out.size(), 3u);
  EXPECT_LT(elapsed, 1500);  // one after another would take 1.8 s
}

TEST_F(ScriptInputTest, ScriptsThatCannotStartBeforeTheDeadlineAreSkipped) {
  Install("hang.sh");
  Write("later.sh", "#!/bin/sh\necho 'later v=1'\n");
  ScriptOptions o = Options();
  o.max_parallel = 1;
  ScriptInput in(o);
  std::vector<Point> out;
  ASSERT_TRUE(Round(&in, &out, 300).ok());  // hang.sh takes the whole round
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(in.counters().timeouts, 1u);
  EXPECT_EQ(in.counters().skipped, 1u);
}

TEST_F(ScriptInputTest, StopRequestKillsRunningScriptsAndCancelsTheRound) {
  Install("hang.sh");
  Install("lineproto.sh");
  ScriptInput in(Options());
  std::stop_source stop;
  std::jthread stopper([&stop] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop.request_stop();
  });
  std::vector<Point> out;
  const int64_t start = Clock::Real().MonotonicNanos();
  Status s = in.Collect(Ctx(10'000, stop.get_token()), &out);
  const int64_t elapsed = (Clock::Real().MonotonicNanos() - start) / 1'000'000;
  EXPECT_EQ(s.code(), StatusCode::kCancelled);
  EXPECT_LT(elapsed, 1500);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(NoChildren());
}

TEST_F(ScriptInputTest, StopAlreadyRequestedRunsNothing) {
  Install("lineproto.sh");
  ScriptInput in(Options());
  std::stop_source stop;
  stop.request_stop();
  std::vector<Point> out;
  EXPECT_EQ(in.Collect(Ctx(10'000, stop.get_token()), &out).code(), StatusCode::kCancelled);
  EXPECT_EQ(in.counters().runs, 0u);
}

TEST_F(ScriptInputTest, MissingDirectoryFailsTheRoundAndLogsOnce) {
  ScriptOptions o = Options();
  o.dir = dir_.Join("missing");
  ScriptInput in(o);
  log::LogCapture cap;
  std::vector<Point> out;
  EXPECT_EQ(Round(&in, &out).code(), StatusCode::kNotFound);
  EXPECT_EQ(Round(&in, &out).code(), StatusCode::kNotFound);
  EXPECT_EQ(CountLines(cap, "cannot read the script directory", "missing"), 1u);
}

TEST_F(ScriptInputTest, DurationsArePerScriptAndForgetRemovedScripts) {
  Write("quick.sh", "#!/bin/sh\necho 'quick v=1'\n");
  Write("slow.sh", "#!/bin/sh\nsleep 0.2\necho 'slow v=1'\n");
  ScriptInput in(Options());
  std::vector<Point> out;
  ASSERT_TRUE(Round(&in, &out).ok());
  auto d = in.last_durations_ms();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].first, "quick.sh");
  EXPECT_EQ(d[1].first, "slow.sh");
  EXPECT_GE(d[1].second, 200);
  EXPECT_LT(d[0].second, d[1].second);
  ASSERT_EQ(::unlink(dir_.Join("slow.sh").c_str()), 0);
  ASSERT_TRUE(Round(&in, &out).ok());
  d = in.last_durations_ms();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].first, "quick.sh");
}

}  // namespace
}  // namespace strix::agents::script
