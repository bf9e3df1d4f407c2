// The admin tool's storage commands, run as a separate process on a real data directory.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "core/testing/temp_dir.h"
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

TEST(StrixTool, UsageErrorsExitTwo) {
  EXPECT_EQ(Tool("dump-block").exit_code, 106);  // CLI11: a required argument is missing
  EXPECT_EQ(Tool("dump-block /nonexistent zz").exit_code, 2);
}

}  // namespace
}  // namespace strix
