// The admin tool's commands, run as a separate process on a real data directory (storage,
// users, wipe), and the simulator's value generator (simulate.h), tested in process.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <numbers>
#include <string>

#include "core/testing/temp_dir.h"
#include "meta/meta_store.h"
#include "simulate.h"
#include "storage/block/block.h"
#include "storage/engine.h"

namespace strix {
namespace {

struct ToolRun {
  int exit_code;
  std::string out;
};

ToolRun Tool(const std::string& args) {
  std::string cmd = std::string(STRIX_TOOL_PATH) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ToolRun r{-1, {}};
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

void Fill(const std::string& dir) {
  storage::EngineOptions o;
  o.background_interval_ms = 3'600'000;
  ManualClock clock(1'800'000'000'000);
  auto db = storage::OpenEmbedded(dir, o, Env::Default(), clock);
  ASSERT_TRUE(db.ok());
  storage::WriteBatch b;
  b.StartSeries(storage::ValueKind::kGauge, {{"__name__", "cpu"}, {"host", "a"}});
  for (int i = 0; i < 5; ++i) b.AddGauge(1'800'000'000'000 - 50'000 + i * 10'000, i * 1.5);
  ASSERT_TRUE((*db)->Append(b).ok());
  ASSERT_TRUE((*db)->Flush().ok());
  b.Clear();
  b.StartSeries(storage::ValueKind::kGauge, {{"__name__", "cpu"}, {"host", "a"}});
  b.AddGauge(1'800'000'000'000, 9);
  ASSERT_TRUE((*db)->Append(b).ok());
  ASSERT_TRUE((*db)->Close().ok());
}

TEST(StrixTool, VerifyDumpBlockAndDumpWal) {
  testing::TempDir d;
  Fill(d.path());
  ToolRun v = Tool("verify " + d.path());
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_NE(v.out.find("1 blocks checked, 0 problems"), std::string::npos) << v.out;
  ToolRun b = Tool("dump-block --samples " + d.path() + " 1");
  EXPECT_EQ(b.exit_code, 0) << b.out;
  EXPECT_NE(b.out.find("cpu{host=\"a\"} gauge"), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("1799999990000 6"), std::string::npos) << b.out;
  ToolRun w = Tool("dump-wal " + d.path());
  EXPECT_EQ(w.exit_code, 0) << w.out;
  EXPECT_NE(w.out.find("type=2"), std::string::npos) << w.out;
}

TEST(StrixTool, TierBlocksVerifyAndDumpTheirPoints) {
  testing::TempDir d;
  {
    storage::EngineOptions o;
    o.background_interval_ms = 3'600'000;
    const int64_t t0 = 1'800'000'000'000;
    ManualClock clock(t0);
    auto db = storage::OpenEmbedded(d.path(), o, Env::Default(), clock);
    ASSERT_TRUE(db.ok());
    storage::WriteBatch b;
    b.StartSeries(storage::ValueKind::kCounter64, {{"__name__", "bytes"}});
    for (int i = 0; i < 6; ++i) b.AddCounter(t0 - 60'000 + i * 10'000, 1000 + i * 100);
    ASSERT_TRUE((*db)->Append(b).ok());
    ASSERT_TRUE((*db)->Flush().ok());
    clock.Advance(26 * 3'600'000);       // the day is over: 1h tier blocks cover whole days
    ASSERT_TRUE((*db)->Compact().ok());  // builds the 1m (block 2) and 1h (block 3) tiers
    ASSERT_TRUE((*db)->Close().ok());
  }
  ToolRun v = Tool("verify " + d.path());
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_NE(v.out.find("3 blocks checked, 0 problems"), std::string::npos) << v.out;
  ToolRun b = Tool("dump-block --samples " + d.path() + " 2");
  EXPECT_EQ(b.exit_code, 0) << b.out;
  EXPECT_NE(b.out.find("resolution_ms=60000"), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("1799999940000 count=6 sum=7500 min=1000 max=1500 first=1000@1799999940000 "
                       "last=1500@1799999990000 increase=500 resets=0 wraps=0"),
            std::string::npos)
      << b.out;
}

TEST(StrixTool, VerifyReportsADamagedBlock) {
  testing::TempDir d;
  Fill(d.path());
  std::string path = JoinPath(JoinPath(d.path(), "blocks"), storage::block::BlockFileName(1));
  std::string data = *ReadFileToString(Env::Default(), path);
  data[40] ^= 0x10;
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), path, data).ok());
  ToolRun v = Tool("verify " + d.path());
  EXPECT_EQ(v.exit_code, 1) << v.out;
  EXPECT_NE(v.out.find("data_loss"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("1 problems"), std::string::npos) << v.out;
}

// The tool with `input` on its standard input (through a file: popen's shell is sh).
ToolRun ToolIn(const testing::TempDir& dir, const std::string& args, const std::string& input) {
  const std::string f = dir.Join("stdin.txt");
  FILE* out = std::fopen(f.c_str(), "w");
  std::fputs(input.c_str(), out);
  std::fclose(out);
  return Tool(args + " < " + f);
}

TEST(StrixTool, UserAddListPasswdWithPasswordsOnStdin) {
  testing::TempDir dir;
  const std::string d = " -d " + dir.path();
  ToolRun add = ToolIn(dir, "user add alice --admin" + d, "a long password\n");
  ASSERT_EQ(add.exit_code, 0) << add.out;
  EXPECT_NE(add.out.find("user alice created with role admin"), std::string::npos) << add.out;
  ToolRun again = ToolIn(dir, "user add alice" + d, "a long password\n");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.out.find("user exists"), std::string::npos) << again.out;
  ToolRun shorty = ToolIn(dir, "user add bob --role editor" + d, "short\n");
  EXPECT_EQ(shorty.exit_code, 1);
  EXPECT_NE(shorty.out.find("at least 10"), std::string::npos) << shorty.out;
  ToolRun none = Tool("user add bob" + d + " < /dev/null");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.out.find("no password"), std::string::npos) << none.out;
  EXPECT_EQ(ToolIn(dir, "user add bob --role root" + d, "a long password\n").exit_code, 1);
  ASSERT_EQ(ToolIn(dir, "user add bob --role editor" + d, "bobs password\n").exit_code, 0);
  ASSERT_EQ(ToolIn(dir, "user passwd bob" + d, "another password\n").exit_code, 0);
  EXPECT_EQ(ToolIn(dir, "user passwd carol" + d, "another password\n").exit_code, 1);
  ToolRun list = Tool("user list" + d);
  ASSERT_EQ(list.exit_code, 0) << list.out;
  EXPECT_NE(list.out.find("alice"), std::string::npos);
  EXPECT_NE(list.out.find("editor"), std::string::npos);
  EXPECT_EQ(list.out.find("argon2"), std::string::npos);  // never the hash
  EXPECT_EQ(list.out.find("bobs password"), std::string::npos);
}

TEST(StrixTool, UserRoleDisableEnableDelete) {
  testing::TempDir dir;
  const std::string d = " -d " + dir.path();
  ASSERT_EQ(ToolIn(dir, "user add dan" + d, "a long password\n").exit_code, 0);
  ToolRun role = Tool("user role dan editor" + d);
  ASSERT_EQ(role.exit_code, 0) << role.out;
  EXPECT_NE(role.out.find("user dan is now editor"), std::string::npos) << role.out;
  EXPECT_EQ(Tool("user role dan root" + d).exit_code, 1);
  EXPECT_EQ(Tool("user role nobody admin" + d).exit_code, 1);
  ASSERT_EQ(Tool("user disable dan" + d).exit_code, 0);
  EXPECT_NE(Tool("user list" + d).out.find("disabled"), std::string::npos);
  ASSERT_EQ(Tool("user enable dan" + d).exit_code, 0);
  ToolRun list = Tool("user list" + d);
  EXPECT_NE(list.out.find("editor"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("active"), std::string::npos) << list.out;
  ASSERT_EQ(Tool("user delete dan" + d).exit_code, 0);
  EXPECT_EQ(Tool("user list" + d).out.find("dan"), std::string::npos);
  EXPECT_EQ(Tool("user delete dan" + d).exit_code, 1);
}

TEST(StrixTool, UsageErrorsExitTwo) {
  EXPECT_EQ(Tool("dump-block").exit_code, 106);  // CLI11: a required argument is missing
  EXPECT_EQ(Tool("dump-block /nonexistent zz").exit_code, 2);
}

// ---- strix wipe --------------------------------------------------------------------------

// A strixd-shaped data directory <tmp>/var: storage/ (engine files) and meta.db.
std::string MakeDataDir(const testing::TempDir& tmp) {
  const std::string var = tmp.Join("var");
  Fill(JoinPath(var, "storage"));
  auto m = meta::MetaStore::Open(JoinPath(var, "meta.db"));
  EXPECT_TRUE(m.ok());
  if (m.ok()) {
    EXPECT_TRUE((*m)->Close().ok());
  }
  return var;
}

bool Exists(const std::string& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}

TEST(StrixWipe, RefusesWithoutConfirmation) {
  testing::TempDir tmp;
  const std::string var = MakeDataDir(tmp);
  ToolRun r = Tool("wipe --data-dir " + var + " < /dev/null");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("this deletes " + var), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no confirmation"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nothing deleted"), std::string::npos) << r.out;
  EXPECT_TRUE(Exists(JoinPath(var, "storage/wal")));
  EXPECT_TRUE(Exists(JoinPath(var, "meta.db")));
}

TEST(StrixWipe, RefusesAWrongTypedName) {
  testing::TempDir tmp;
  const std::string var = MakeDataDir(tmp);
  for (const char* typed : {"varx\n", "\n", "VAR\n", "storage\n"}) {
    ToolRun r = ToolIn(tmp, "wipe --data-dir " + var, typed);
    EXPECT_EQ(r.exit_code, 1) << typed << r.out;
    EXPECT_NE(r.out.find("is not the directory's name \"var\""), std::string::npos) << r.out;
  }
  EXPECT_TRUE(Exists(JoinPath(var, "meta.db")));
}

TEST(StrixWipe, RefusesADirectoryThatIsNotStrixs) {
  testing::TempDir tmp;
  const std::string home = tmp.Join("home");
  ASSERT_TRUE(Env::Default().CreateDirs(JoinPath(home, "docs")).ok());
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), JoinPath(home, "notes.txt"), "x").ok());
  ToolRun r = Tool("wipe --yes --data-dir " + home);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("does not look like a Strix data directory"), std::string::npos) << r.out;
  EXPECT_TRUE(Exists(JoinPath(home, "notes.txt")));

  // A meta.db that is not SQLite is no evidence either.
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), JoinPath(home, "meta.db"), "not sqlite").ok());
  EXPECT_EQ(Tool("wipe --yes --data-dir " + home).exit_code, 1);

  // A real data directory that also holds someone else's files.
  const std::string var = MakeDataDir(tmp);
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), JoinPath(var, "thesis.tex"), "x").ok());
  r = Tool("wipe --yes --data-dir " + var);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("holds files that strixd does not make (thesis.tex)"), std::string::npos)
      << r.out;
  EXPECT_TRUE(Exists(JoinPath(var, "storage")));

  // Not a directory, missing, a symbolic link, the root.
  EXPECT_EQ(Tool("wipe --yes --data-dir " + JoinPath(var, "thesis.tex")).exit_code, 1);
  EXPECT_EQ(Tool("wipe --yes --data-dir " + tmp.Join("missing")).exit_code, 1);
  ASSERT_EQ(::symlink(var.c_str(), tmp.Join("link").c_str()), 0);
  r = Tool("wipe --yes --data-dir " + tmp.Join("link"));
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("symbolic link"), std::string::npos) << r.out;
  r = Tool("wipe --yes --data-dir /");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(Exists(JoinPath(var, "meta.db")));
}

TEST(StrixWipe, RefusesWhileStorageIsOpen) {
  testing::TempDir tmp;
  const std::string var = MakeDataDir(tmp);
  {
    // The engine flocks storage/LOCK as strixd's does; the file exists either way, so only
    // trying the lock tells a running strixd from a stopped one.
    storage::EngineOptions o;
    o.background_interval_ms = 3'600'000;
    ManualClock clock(1'800'000'000'000);
    auto db = storage::OpenEmbedded(JoinPath(var, "storage"), o, Env::Default(), clock);
    ASSERT_TRUE(db.ok());
    ToolRun r = Tool("wipe --yes --data-dir " + var);
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("is locked by another process; stop strixd first"), std::string::npos)
        << r.out;
    EXPECT_TRUE(Exists(JoinPath(var, "storage/wal")));
    ASSERT_TRUE((*db)->Close().ok());
  }
  {
    // The metadata database open elsewhere (SQLite's lock on meta.db-shm).
    auto m = meta::MetaStore::Open(JoinPath(var, "meta.db"));
    ASSERT_TRUE(m.ok());
    ToolRun r = Tool("wipe --yes --data-dir " + var);
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("metadata database is open in another process"), std::string::npos)
        << r.out;
    ASSERT_TRUE((*m)->Close().ok());
  }
  {
    // strixd --start: its pid file, flock'ed by the daemon.
    const std::string pid_file = JoinPath(var, "strixd.pid");
    ASSERT_TRUE(WriteFileAtomically(Env::Default(), pid_file, "4242\n").ok());
    auto lock = Env::Default().LockFile(pid_file);
    ASSERT_TRUE(lock.ok());
    ToolRun r = Tool("wipe --yes --data-dir " + var);
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("a strixd is using it (pid 4242)"), std::string::npos) << r.out;
  }
  // Stopped: the lock files remain, unlocked.
  ASSERT_TRUE(Exists(JoinPath(var, "storage/LOCK")));
  ASSERT_TRUE(Exists(JoinPath(var, "strixd.pid")));
  ToolRun r = Tool("wipe --yes --data-dir " + var);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_FALSE(Exists(var));
}

TEST(StrixWipe, DeletesAfterTheRightNameWithoutFollowingLinks) {
  testing::TempDir tmp;
  const std::string var = MakeDataDir(tmp);
  // A link inside storage/ to a file outside: the link goes, the file stays.
  const std::string outside = tmp.Join("precious.txt");
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), outside, "keep me").ok());
  ASSERT_EQ(::symlink(tmp.path().c_str(), JoinPath(var, "storage/blocks/link").c_str()), 0);
  ToolRun r = ToolIn(tmp, "wipe --data-dir " + var + "/", "var\n");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("Type the directory's name (var)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("strix wipe: deleted " + var), std::string::npos) << r.out;
  EXPECT_FALSE(Exists(var));
  EXPECT_TRUE(Exists(outside));
  EXPECT_TRUE(Exists(tmp.Join("stdin.txt")));
}

// ---- strix simulate: the generator -----------------------------------------------------

using tools::FindSimSeries;
using tools::SimKind;
using tools::SimulatedSeries;
using tools::SimulatedValue;
using tools::SimulationSpec;
using tools::Simulator;

constexpr int64_t kEnd = 1'800'000'000'000;  // 2027-01-15T08:00:00Z, a multiple of 1 h

Simulator Make(const SimulationSpec& spec) {
  auto s = Simulator::Make(spec);
  STRIX_CHECK(s.ok());
  return *s;
}

TEST(Simulator, GridIsTheA12Runs) {
  // 1 day at 12 per hour: 288 samples 300 s apart, the last 300 s before the end (A12's
  // verified run).
  Simulator s = Make({1, 1, 12, kEnd + 299'999});  // the end is aligned down to the step
  EXPECT_EQ(s.step_ms(), 300'000);
  EXPECT_EQ(s.end_ms(), kEnd);
  EXPECT_EQ(s.first_ms(), kEnd - 86'400'000);
  EXPECT_EQ(s.samples_per_series(), 288);
  Simulator w = Make({1, 7, 60, kEnd});
  EXPECT_EQ(w.samples_per_series(), 7 * 24 * 60);
  Simulator f = Make({1, 0.5, 7, kEnd});  // step floor(3600000 / 7) = 514285 ms
  EXPECT_EQ(f.step_ms(), 514'285);
  EXPECT_EQ(f.end_ms() % 514'285, 0);
  EXPECT_GE(f.first_ms(), f.end_ms() - 43'200'000);
  EXPECT_LT(f.first_ms() - 514'285, f.end_ms() - 43'200'000);
  EXPECT_EQ(SimulatedSeries().size(), 19u);
}

// The worked example of docs/simulate.md (recomputed there in Python from the formulas):
// a change of any formula, constant or random stream shows here.
TEST(Simulator, DocumentedExampleValues) {
  const SimulationSpec spec{1, 1, 12, kEnd};
  const int64_t first = kEnd - 86'400'000;
  EXPECT_EQ(SimulatedValue(spec, 0, "cpu_usage", first), 66.387);
  EXPECT_EQ(SimulatedValue(spec, 0, "memory_usage", first), 32.25);
  EXPECT_EQ(SimulatedValue(spec, 0, "linux_cpu_time_ms{cpu=\"total\",mode=\"user\"}", first),
            347365817693.0);
  EXPECT_EQ(SimulatedValue(spec, 0, "linux_network_receive_bytes{interface=\"eth0\"}", first),
            198974153004854.0);
  EXPECT_EQ(SimulatedValue(spec, 0, "linux_memory_total_bytes", first), 8589934592.0);
  EXPECT_NEAR(Make(spec).Base(0, "cpu_usage"), 53.387906904642662, 1e-12);
}

TEST(Simulator, MakeRefusesBadSpecs) {
  EXPECT_FALSE(Simulator::Make({1, 1, 0, kEnd}).ok());
  EXPECT_FALSE(Simulator::Make({1, 1, 3601, kEnd}).ok());
  EXPECT_FALSE(Simulator::Make({1, 0, 60, kEnd}).ok());
  EXPECT_FALSE(Simulator::Make({1, -1, 60, kEnd}).ok());
  EXPECT_FALSE(Simulator::Make({1, std::nan(""), 60, kEnd}).ok());
  EXPECT_FALSE(Simulator::Make({1, 0.0001, 1, kEnd}).ok());           // no sample in 8.6 s
  EXPECT_FALSE(Simulator::Make({1, 1, 60, 1'577'900'000'000}).ok());  // before the boot + 1 day
  EXPECT_TRUE(std::isnan(SimulatedValue({1, 1, 0, kEnd}, 0, "cpu_usage", kEnd)));
  EXPECT_TRUE(std::isnan(SimulatedValue({1, 1, 60, kEnd}, 0, "cpu_use", kEnd)));
}

TEST(Simulator, SameParametersGiveTheSameValuesOtherSeedsOthers) {
  const SimulationSpec spec{42, 1, 12, kEnd};
  Simulator a = Make(spec), b = Make(spec), c = Make({43, 1, 12, kEnd});
  int differ = 0;
  for (int host = 0; host < 3; ++host) {
    for (int i = 0; i < static_cast<int>(SimulatedSeries().size()); ++i) {
      for (int64_t ts = a.first_ms(); ts < a.end_ms(); ts += 7 * a.step_ms()) {
        ASSERT_EQ(a.Value(host, i, ts), b.Value(host, i, ts));
        ASSERT_EQ(a.Value(host, i, ts), SimulatedValue(spec, host, SimulatedSeries()[i].key, ts));
        differ += a.Value(host, i, ts) != c.Value(host, i, ts);
      }
    }
  }
  EXPECT_GT(differ, 1000);
  // Hosts differ from each other.
  EXPECT_NE(a.Value(0, 0, kEnd - 300'000), a.Value(1, 0, kEnd - 300'000));
  EXPECT_NE(a.Base(0, "cpu_usage"), a.Base(0, "network_in"));
}

TEST(Simulator, A12GaugesFollowTheirFormulasWithinTheNoise) {
  Simulator s = Make({7, 3, 12, kEnd});
  const double pi = std::numbers::pi;
  for (int host = 0; host < 4; ++host) {
    const double cpu_base = s.Base(host, "cpu_usage");
    const double mem_base = s.Base(host, "memory_usage");
    const double disk_base = s.Base(host, "disk_usage");
    const double in_base = s.Base(host, "network_in");
    for (double b : {cpu_base, mem_base, disk_base, in_base}) {
      EXPECT_GE(b, 20);
      EXPECT_LT(b, 60);
    }
    double lo = 1e9, hi = -1e9;
    for (int64_t ts = s.first_ms(); ts < s.end_ms(); ts += s.step_ms()) {
      const int h = static_cast<int>((ts % 86'400'000) / 3'600'000);  // UTC hour
      const double elapsed = static_cast<double>(ts - s.first_ms()) / 86'400'000;
      for (std::string_view m :
           {"cpu_usage", "memory_usage", "disk_usage", "network_in", "network_out"}) {
        const double v = s.Value(host, FindSimSeries(m), ts);
        ASSERT_GE(v, 0);
        ASSERT_LE(v, 100);
        ASSERT_EQ(v, std::round(v * 1000) / 1000);  // 3 decimals
      }
      const double cpu = s.Value(host, FindSimSeries("cpu_usage"), ts);
      const double expected = cpu_base + 20 * std::sin(2 * pi * h / 24);
      if (cpu > 0 && cpu < 100) {
        EXPECT_LE(std::abs(cpu - expected), 5.0005) << ts;
        lo = std::min(lo, cpu - expected);
        hi = std::max(hi, cpu - expected);
      }
      const double in = s.Value(host, FindSimSeries("network_in"), ts);
      if (in > 0 && in < 100) {
        EXPECT_LE(std::abs(in - in_base - 30 * std::sin(2 * pi * h / 24)), 10.0005);
      }
      EXPECT_NEAR(s.Value(host, FindSimSeries("memory_usage"), ts),
                  std::fmod(mem_base + elapsed, 100), 0.0005);
      EXPECT_NEAR(s.Value(host, FindSimSeries("disk_usage"), ts),
                  std::min(disk_base + elapsed / 10, 100.0), 0.0005);
    }
    // The noise is spread over its range, not a constant.
    EXPECT_LT(lo, -4);
    EXPECT_GT(hi, 4);
  }
}

TEST(Simulator, CountersAreMonotonicAndCpuModesAddUpToFourCpus) {
  for (int per_hour : {1, 12, 60, 3600}) {
    Simulator s = Make({3, per_hour == 3600 ? 0.1 : 2, per_hour, kEnd});
    const int user = FindSimSeries("linux_cpu_time_ms{cpu=\"total\",mode=\"user\"}");
    const int idle = FindSimSeries("linux_cpu_time_ms{cpu=\"total\",mode=\"idle\"}");
    ASSERT_GE(user, 0);
    ASSERT_GE(idle, 0);
    for (int host = 0; host < 3; ++host) {
      std::vector<uint64_t> prev(SimulatedSeries().size(), 0);
      uint64_t prev_cpu_sum = 0;
      for (int64_t ts = s.first_ms(); ts < s.end_ms(); ts += s.step_ms()) {
        uint64_t cpu_sum = 0;
        for (int i = 0; i < static_cast<int>(SimulatedSeries().size()); ++i) {
          if (SimulatedSeries()[i].kind != SimKind::kCounter) continue;
          const uint64_t v = s.Counter(host, i, ts);
          if (ts > s.first_ms()) {
            ASSERT_GT(v, prev[i]) << SimulatedSeries()[i].key << " at " << ts << " per hour "
                                  << per_hour;
          }
          prev[i] = v;
          if (i >= user && i <= idle) cpu_sum += v;
        }
        if (ts > s.first_ms()) {
          ASSERT_EQ(cpu_sum - prev_cpu_sum, 4 * static_cast<uint64_t>(s.step_ms()));
        }
        prev_cpu_sum = cpu_sum;
        EXPECT_EQ(s.Gauge(host, user, ts), 0);  // a counter has no gauge value
      }
    }
  }
}

TEST(Simulator, LinuxGaugesAreConsistent) {
  Simulator s = Make({5, 2, 12, kEnd});
  const int total = FindSimSeries("linux_memory_total_bytes");
  const int used = FindSimSeries("linux_memory_used_bytes");
  const int avail = FindSimSeries("linux_memory_available_bytes");
  const int fs_used = FindSimSeries(
      "linux_filesystem_used_bytes{device=\"/dev/sda1\",fstype=\"ext4\",mountpoint=\"/\"}");
  const int fs_total = FindSimSeries(
      "linux_filesystem_total_bytes{device=\"/dev/sda1\",fstype=\"ext4\",mountpoint=\"/\"}");
  const int load = FindSimSeries("linux_load_1m");
  ASSERT_TRUE(total >= 0 && used >= 0 && avail >= 0 && fs_used >= 0 && fs_total >= 0 && load >= 0);
  for (int host = 0; host < 5; ++host) {
    for (int64_t ts = s.first_ms(); ts < s.end_ms(); ts += s.step_ms()) {
      const double t = s.Gauge(host, total, ts), u = s.Gauge(host, used, ts);
      EXPECT_EQ(u + s.Gauge(host, avail, ts) + t / 16, t);
      EXPECT_GT(u, 0.1 * t);
      EXPECT_LT(u, 0.75 * t);
      EXPECT_EQ(std::fmod(u, 4096), 0);
      const double ft = s.Gauge(host, fs_total, ts), fu = s.Gauge(host, fs_used, ts);
      EXPECT_NEAR(fu / ft, s.Gauge(host, FindSimSeries("disk_usage"), ts) / 100, 4096 / ft);
      EXPECT_GE(s.Gauge(host, load, ts), 0);
      EXPECT_LT(s.Gauge(host, load, ts), 4);
    }
  }
}

}  // namespace
}  // namespace strix
