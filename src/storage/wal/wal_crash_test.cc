// Crash tests of the WAL on FaultyEnv (core/testing/faulty_env.h): a workload of appends,
// rotations and a checkpoint has the power cut at each of its sync points in turn, with
// the unsynced bytes dropped, torn (with lost sectors) or garbled. After each crash:
// every acknowledged record is replayed, nothing that was never appended appears, the
// order holds, and a second crash plus recovery replays the same records.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/testing/faulty_env.h"
#include "core/testing/temp_dir.h"
#include "storage/wal/wal.h"

namespace strix::storage::wal {
namespace {

using strix::testing::CrashMode;
using strix::testing::CrashOptions;
using strix::testing::FaultyEnv;
using strix::testing::TempDir;

constexpr uint8_t kData = 1;
constexpr uint8_t kCheckpointState = 2;  // payload: the covered records joined by '\n'

struct Outcome {
  std::vector<std::string> attempted;     // in Append order
  std::vector<std::string> acknowledged;  // Appends that returned OK (durable)
};

std::string Payload(int i) { return "rec-" + std::to_string(i) + std::string(i * 13 % 90, '.'); }

// Appends 40 records into 256-byte segments (so it rotates often); after record 15 it
// checkpoints everything so far. Stops at the first error, as the head would.
Outcome RunWorkload(Env& env, const std::string& dir, int sync_interval_ms) {
  Outcome out;
  WalOptions o;
  o.segment_bytes = 256;
  o.sync_interval_ms = sync_interval_ms;
  auto wal = Wal::Open(env, dir, o);
  if (!wal.ok()) return out;
  for (int i = 0; i < 40; ++i) {
    out.attempted.push_back(Payload(i));
    Status s = (*wal)->Append(Record{kData, out.attempted.back()});
    if (s.ok() && sync_interval_ms > 0 && i % 5 == 4) s = (*wal)->Sync();
    if (!s.ok()) break;
    if (sync_interval_ms == 0 || i % 5 == 4) out.acknowledged = out.attempted;
    if (i == 15) {
      auto n = (*wal)->NextSegment();
      if (!n.ok()) break;
      std::string state;
      for (const auto& p : out.attempted) state += p + "\n";
      if (!(*wal)->WriteCheckpoint(std::vector<Record>{{kCheckpointState, state}}, *n).ok()) break;
    }
  }
  return out;
}

// The logical records of a replay (checkpoint state expanded). Under kFail: a crash must
// only ever tear the last segment, never look like corruption of an earlier one.
Result<std::vector<std::string>> Recover(Env& env, const std::string& dir) {
  std::vector<std::string> got;
  WalOptions o;
  o.on_corruption = CorruptionPolicy::kFail;
  auto wal = Wal::Open(env, dir, o, [&](const RecordView& v) {
    if (v.type == kCheckpointState) {
      std::string_view s = v.payload;
      for (size_t nl; (nl = s.find('\n')) != std::string_view::npos; s.remove_prefix(nl + 1))
        got.emplace_back(s.substr(0, nl));
    } else {
      got.emplace_back(v.payload);
    }
    return Status::Ok();
  });
  if (!wal.ok()) return wal.status();
  return got;
}

void CrashAtEverySyncPoint(int sync_interval_ms) {
  uint64_t points = 0;
  {
    TempDir dir;
    FaultyEnv env(Env::Default());
    Outcome clean = RunWorkload(env, dir.path(), sync_interval_ms);
    ASSERT_EQ(clean.acknowledged.size(), 40u);
    points = env.SyncCount();
  }
  ASSERT_GT(points, 40u);
  for (uint64_t k = 1; k <= points; ++k) {
    for (bool lose_sectors : {false, true}) {
      SCOPED_TRACE("crash at sync " + std::to_string(k) + (lose_sectors ? " losing sectors" : ""));
      TempDir dir;
      FaultyEnv env(Env::Default(), /*seed=*/k * 2 + lose_sectors);
      env.CrashAtSync(k);
      Outcome run = RunWorkload(env, dir.path(), sync_interval_ms);
      ASSERT_TRUE(env.CrashPointHit());
      CrashOptions crash;
      crash.mode = CrashMode::kMixed;
      crash.lose_sectors = lose_sectors;
      ASSERT_TRUE(env.SimulateCrash(crash).ok());

      auto first = Recover(env, dir.path());
      ASSERT_TRUE(first.ok()) << first.status().ToString();
      // A prefix of what was attempted, at least as long as what was acknowledged.
      ASSERT_LE(first->size(), run.attempted.size());
      ASSERT_GE(first->size(), run.acknowledged.size());
      for (size_t i = 0; i < first->size(); ++i) ASSERT_EQ((*first)[i], run.attempted[i]) << i;

      ASSERT_TRUE(env.SimulateCrash(crash).ok());
      auto second = Recover(env, dir.path());
      ASSERT_TRUE(second.ok()) << second.status().ToString();
      EXPECT_EQ(*second, *first);
    }
  }
}

TEST(WalCrash, GroupCommitLosesNothingAcknowledgedAtAnySyncPoint) { CrashAtEverySyncPoint(0); }

TEST(WalCrash, IntervalModeLosesNothingExplicitlySyncedAtAnySyncPoint) {
  CrashAtEverySyncPoint(60'000);  // the syncer never fires: only Sync() makes records durable
}

}  // namespace
}  // namespace strix::storage::wal
