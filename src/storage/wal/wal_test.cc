// Tests of Wal: rotation round trip, torn tails at every byte, corruption policies,
// group commit under contention, the interval syncer, sticky I/O errors, checkpoints
// interrupted at every step, and metrics.
#include "storage/wal/wal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "core/log.h"
#include "core/testing/temp_dir.h"
#include "storage/wal/internal/format.h"
#include "storage/wal/wal_testing.h"

namespace strix::storage::wal {
namespace {

using internal::CheckpointFileName;
using internal::CheckpointTempFileName;
using internal::kFileHeaderSize;
using internal::kRecordHeaderSize;
using internal::SegmentFileName;
using strix::testing::TempDir;
using testing::FaultEnv;
using testing::OpenAndReplay;
using testing::ReadAll;
using testing::ReadFile;
using testing::ReadRecord;
using testing::WalFiles;
using testing::WriteFile;

Env& env() { return Env::Default(); }

TEST(Wal, RoundTripAcrossSegmentRotation) {
  TempDir dir;
  WalOptions o;
  o.segment_bytes = 1024;
  std::vector<ReadRecord> written;
  std::mt19937 rng(7);
  {
    auto wal = Wal::Open(env(), dir.path(), o);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    for (int i = 0; i < 200; ++i) {
      std::string p(rng() % 300, static_cast<char>('a' + i % 26));
      p += std::to_string(i);
      auto type = static_cast<uint8_t>(1 + i % 255);
      ASSERT_TRUE((*wal)->Append(Record{type, p}).ok());
      written.push_back({type, p});
    }
    // A record larger than a segment gets a segment of its own.
    std::string big(5000, 'B');
    ASSERT_TRUE((*wal)->Append(Record{9, big}).ok());
    written.push_back({9, big});
    ASSERT_TRUE((*wal)->Append(Record{10, "after-big"}).ok());
    written.push_back({10, "after-big"});
    // A span of several records lands in order.
    std::vector<Record> batch = {{11, "x1"}, {12, "x2"}, {13, "x3"}};
    ASSERT_TRUE((*wal)->Append(batch).ok());
    for (const auto& r : batch) written.push_back({r.type, std::string(r.payload)});
    EXPECT_GT((*wal)->Metrics().current_segment, 20u);
  }
  // Every segment but the one holding the big record stays within segment_bytes.
  int oversized = 0;
  for (const auto& name : WalFiles(dir.path())) {
    uint64_t size = *env().FileSize(dir.Join(name));
    if (size > o.segment_bytes) {
      ++oversized;
      EXPECT_EQ(size, kFileHeaderSize + kRecordHeaderSize + 5000) << name;
    }
  }
  EXPECT_EQ(oversized, 1);

  std::vector<ReadRecord> replayed;
  auto wal = OpenAndReplay(env(), dir.path(), o, &replayed);
  ASSERT_TRUE(wal.ok());
  EXPECT_EQ(replayed, written);
  // Segment numbers only grow along the replay.
  EXPECT_TRUE(std::is_sorted(replayed.begin(), replayed.end(),
                             [](auto& a, auto& b) { return a.segment < b.segment; }));
  EXPECT_EQ(ReadAll(env(), dir.path()), written);
}

TEST(Wal, ReopenStartsANewSegmentAndKeepsOldRecords) {
  TempDir dir;
  {
    auto wal = Wal::Open(env(), dir.path());
    ASSERT_TRUE(wal.ok());
    ASSERT_TRUE((*wal)->Append(Record{1, "one"}).ok());
    EXPECT_EQ((*wal)->Metrics().current_segment, 1u);
  }
  {
    std::vector<ReadRecord> replayed;
    auto wal = OpenAndReplay(env(), dir.path(), {}, &replayed);
    ASSERT_TRUE(wal.ok());
    EXPECT_EQ(replayed, (std::vector<ReadRecord>{{1, "one"}}));
    EXPECT_EQ((*wal)->Metrics().current_segment, 2u);
    ASSERT_TRUE((*wal)->Append(Record{2, "two"}).ok());
  }
  EXPECT_EQ(ReadAll(env(), dir.path()), (std::vector<ReadRecord>{{1, "one"}, {2, "two"}}));
}

TEST(Wal, SecondWriterOnTheSameDirectoryIsRefused) {
  TempDir dir;
  auto first = Wal::Open(env(), dir.path());
  ASSERT_TRUE(first.ok());
  auto second = Wal::Open(env(), dir.path());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  ASSERT_TRUE((*first)->Close().ok());
  EXPECT_TRUE(Wal::Open(env(), dir.path()).ok());
}

TEST(Wal, InvalidRecordsAndOptionsAreRejected) {
  TempDir dir;
  WalOptions tiny;
  tiny.segment_bytes = kFileHeaderSize;
  EXPECT_EQ(Wal::Open(env(), dir.path(), tiny).status().code(), StatusCode::kInvalidArgument);
  WalOptions neg;
  neg.sync_interval_ms = -1;
  EXPECT_EQ(Wal::Open(env(), dir.path(), neg).status().code(), StatusCode::kInvalidArgument);
  auto wal = Wal::Open(env(), dir.path());
  ASSERT_TRUE(wal.ok());
  std::vector<Record> batch = {{1, "fine"}, {0, "type zero"}};
  EXPECT_EQ((*wal)->Append(batch).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE((*wal)->Append(Record{1, "still works"}).ok());  // not sticky
  EXPECT_TRUE((*wal)->Append(std::span<const Record>()).ok());
  ASSERT_TRUE((*wal)->Close().ok());
  EXPECT_EQ((*wal)->Append(Record{1, "closed"}).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadAll(env(), dir.path()), (std::vector<ReadRecord>{{1, "still works"}}));
}

// Writes `n` records to segment 1 and returns the segment's bytes and where its last
// record starts.
std::pair<std::string, uint64_t> MakeSegment(const std::string& dir, int n,
                                             std::vector<ReadRecord>* written) {
  {
    auto wal = Wal::Open(env(), dir);
    EXPECT_TRUE(wal.ok());
    for (int i = 0; i < n; ++i) {
      std::string p = "record-" + std::to_string(i) + "-payload";
      EXPECT_TRUE((*wal)->Append(Record{3, p}).ok());
      written->push_back({3, p});
    }
  }
  std::string seg = ReadFile(JoinPath(dir, "00000001"));
  uint64_t last = seg.size() - kRecordHeaderSize - written->back().payload.size();
  return {seg, last};
}

TEST(Wal, TornTailAtEveryByteOfTheLastRecordIsTruncatedAndLogged) {
  TempDir src;
  std::vector<ReadRecord> written;
  auto [seg, last] = MakeSegment(src.path(), 4, &written);
  const std::vector<ReadRecord> kept(written.begin(), written.end() - 1);

  for (uint64_t cut = last; cut < seg.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    TempDir dir;
    WriteFile(dir.Join("00000001"), std::string_view(seg).substr(0, cut));
    std::vector<ReadRecord> replayed;
    {
      log::LogCapture logs;
      auto wal = OpenAndReplay(env(), dir.path(), {}, &replayed);
      ASSERT_TRUE(wal.ok()) << wal.status().ToString();
      EXPECT_EQ(replayed, kept);
      const std::string expect =
          "warn wal: truncated torn tail segment=1 offset=" + std::to_string(last) +
          " dropped_bytes=" + std::to_string(cut - last);
      if (cut == last) {  // a clean record boundary: nothing to cut
        EXPECT_FALSE(logs.Contains("torn tail"));
      } else {
        EXPECT_TRUE(logs.Contains(expect)) << (logs.Lines().empty() ? "" : logs.Lines()[0]);
      }
      EXPECT_EQ(*env().FileSize(dir.Join("00000001")), last);
      ASSERT_TRUE((*wal)->Append(Record{4, "after"}).ok());
    }
    // The second recovery finds nothing to repair.
    log::LogCapture logs;
    auto again = OpenAndReplay(env(), dir.path(), {}, &replayed);
    ASSERT_TRUE(again.ok());
    auto expect = kept;
    expect.push_back({4, "after"});
    EXPECT_EQ(replayed, expect);
    EXPECT_FALSE(logs.Contains("torn tail"));
  }
}

TEST(Wal, BitFlipAtEveryByteOfTheLastRecordIsCutAsATornTail) {
  TempDir src;
  std::vector<ReadRecord> written;
  auto [seg, last] = MakeSegment(src.path(), 3, &written);
  const std::vector<ReadRecord> kept(written.begin(), written.end() - 1);
  for (uint64_t i = last; i < seg.size(); ++i) {
    SCOPED_TRACE("flip at " + std::to_string(i));
    TempDir dir;
    std::string bad = seg;
    bad[i] ^= 0x10;
    WriteFile(dir.Join("00000001"), bad);
    log::LogCapture logs;
    std::vector<ReadRecord> replayed;
    WalOptions o;
    o.on_corruption = CorruptionPolicy::kFail;  // still a tail: never fatal
    auto wal = OpenAndReplay(env(), dir.path(), o, &replayed);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    EXPECT_EQ(replayed, kept);
    EXPECT_TRUE(logs.Contains("wal: truncated torn tail segment=1 offset=" + std::to_string(last)));
  }
}

TEST(Wal, ZeroFilledAndGarbageTailsAreTruncated) {
  TempDir src;
  std::vector<ReadRecord> written;
  auto [seg, last] = MakeSegment(src.path(), 3, &written);
  std::mt19937 rng(1);
  std::string garbage(777, '\0');
  for (char& c : garbage) c = static_cast<char>(rng());
  struct Case {
    std::string tail;
    std::string reason;
  };
  for (const Case& c : {Case{std::string(8192, '\0'), "\"zero-filled tail\""},
                        Case{std::string(5, '\0'), "\"zero-filled tail\""}, Case{garbage, ""}}) {
    TempDir dir;
    WriteFile(dir.Join("00000001"), seg + c.tail);
    log::LogCapture logs;
    std::vector<ReadRecord> replayed;
    auto wal = OpenAndReplay(env(), dir.path(), {}, &replayed);
    ASSERT_TRUE(wal.ok());
    EXPECT_EQ(replayed, written);
    EXPECT_TRUE(
        logs.Contains("wal: truncated torn tail segment=1 offset=" + std::to_string(seg.size()) +
                      " dropped_bytes=" + std::to_string(c.tail.size()) + " reason=" + c.reason));
    EXPECT_EQ(*env().FileSize(dir.Join("00000001")), seg.size());
  }
}

TEST(Wal, TornHeaderOfTheLastSegmentRemovesItAndReusesTheNumber) {
  TempDir dir;
  std::vector<ReadRecord> written;
  MakeSegment(dir.path(), 2, &written);
  WriteFile(dir.Join("00000002"), std::string("STXW\1", 5));  // crashed while creating it
  log::LogCapture logs;
  std::vector<ReadRecord> replayed;
  auto wal = OpenAndReplay(env(), dir.path(), {}, &replayed);
  ASSERT_TRUE(wal.ok());
  EXPECT_EQ(replayed, written);
  EXPECT_TRUE(logs.Contains(
      "wal: truncated torn tail segment=2 offset=0 dropped_bytes=5 reason=\"short header\""));
  EXPECT_EQ((*wal)->Metrics().current_segment, 2u);
  EXPECT_EQ(*env().FileSize(dir.Join("00000002")), kFileHeaderSize);
}

// Three segments of three records each; a byte of the middle record of segment 1 flipped.
struct CorruptWal {
  std::vector<ReadRecord> before_damage;
  uint64_t bad_offset = 0;
  uint64_t dropped_bytes = 0;
};
CorruptWal MakeCorruptMiddle(const std::string& dir) {
  CorruptWal out;
  for (int s = 0; s < 3; ++s) {
    auto wal = Wal::Open(env(), dir);
    EXPECT_TRUE(wal.ok());
    for (int i = 0; i < 3; ++i)
      EXPECT_TRUE(
          (*wal)->Append(Record{5, "seg" + std::to_string(s) + "-" + std::to_string(i)}).ok());
  }
  out.before_damage = {{5, "seg0-0"}};
  out.bad_offset = kFileHeaderSize + kRecordHeaderSize + 6;
  std::string seg = ReadFile(JoinPath(dir, "00000001"));
  seg[out.bad_offset + kRecordHeaderSize + 2] ^= 0x01;  // payload of record 2
  WriteFile(JoinPath(dir, "00000001"), seg);
  out.dropped_bytes = (seg.size() - out.bad_offset) + *env().FileSize(JoinPath(dir, "00000002")) +
                      *env().FileSize(JoinPath(dir, "00000003"));
  return out;
}

TEST(Wal, CrcFlipInAnEarlierSegmentUnderTruncateDropsTheRestLoudly) {
  TempDir dir;
  CorruptWal c = MakeCorruptMiddle(dir.path());
  log::LogCapture logs;
  std::vector<ReadRecord> replayed;
  {
    auto wal = OpenAndReplay(env(), dir.path(), {}, &replayed);
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    EXPECT_EQ(replayed, c.before_damage);
    EXPECT_TRUE(
        logs.Contains("error wal: corrupt wal, dropped everything after the damage "
                      "kind=corruption segment=1 offset=" +
                      std::to_string(c.bad_offset) +
                      " reason=\"crc mismatch\" dropped_segments=2 dropped_bytes=" +
                      std::to_string(c.dropped_bytes)))
        << (logs.Lines().empty() ? "" : logs.Lines().back());
    EXPECT_EQ(WalFiles(dir.path()), (std::vector<std::string>{"00000001", "00000002"}));
    EXPECT_EQ(*env().FileSize(dir.Join("00000001")), c.bad_offset);
    ASSERT_TRUE((*wal)->Append(Record{6, "new"}).ok());
  }
  auto expect = c.before_damage;
  expect.push_back({6, "new"});
  EXPECT_EQ(ReadAll(env(), dir.path()), expect);
}

TEST(Wal, CrcFlipInAnEarlierSegmentUnderFailRefusesToOpen) {
  TempDir dir;
  CorruptWal c = MakeCorruptMiddle(dir.path());
  auto files = WalFiles(dir.path());
  std::string seg1 = ReadFile(dir.Join("00000001"));
  WalOptions o;
  o.on_corruption = CorruptionPolicy::kFail;
  std::vector<ReadRecord> replayed;
  auto wal = OpenAndReplay(env(), dir.path(), o, &replayed);
  ASSERT_FALSE(wal.ok());
  EXPECT_TRUE(wal.status().IsCorruption());
  EXPECT_NE(wal.status().ToString().find("segment 00000001 offset " + std::to_string(c.bad_offset) +
                                         ": crc mismatch"),
            std::string::npos)
      << wal.status().ToString();
  // Nothing was repaired.
  EXPECT_EQ(WalFiles(dir.path()), files);
  EXPECT_EQ(ReadFile(dir.Join("00000001")), seg1);
}

TEST(Wal, MissingSegmentUnderTruncateDropsTheSegmentsAfterTheGap) {
  TempDir clean;
  for (int s = 0; s < 3; ++s) {
    auto wal = Wal::Open(env(), clean.path());
    ASSERT_TRUE(wal.ok());
    ASSERT_TRUE((*wal)->Append(Record{1, "s" + std::to_string(s)}).ok());
  }
  ASSERT_TRUE(env().RemoveFile(clean.Join("00000002")).ok());
  log::LogCapture logs;
  std::vector<ReadRecord> replayed;
  auto wal = OpenAndReplay(env(), clean.path(), {}, &replayed);
  ASSERT_TRUE(wal.ok());
  EXPECT_EQ(replayed, (std::vector<ReadRecord>{{1, "s0"}}));
  EXPECT_TRUE(logs.Contains("kind=missing-segment segment=2"));
  EXPECT_FALSE(env().FileExists(clean.Join("00000003")));
  EXPECT_EQ((*wal)->Metrics().current_segment, 2u);
}

TEST(Wal, GroupCommitSharesSyncsAndLosesNoAcknowledgedAppend) {
  TempDir dir;
  FaultEnv fenv;
  fenv.SetSyncDelay(std::chrono::milliseconds(2));  // a disk slow enough to queue behind
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  WalOptions o;
  o.segment_bytes = 16 << 10;  // rotation under contention too
  std::atomic<int> failures{0};
  uint64_t syncs = 0, appends = 0, groups = 0;
  {
    auto wal = Wal::Open(fenv, dir.path(), o);
    ASSERT_TRUE(wal.ok());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          std::string p = "t" + std::to_string(t) + "-" + std::to_string(i) + std::string(100, 'p');
          if (!(*wal)->Append(Record{static_cast<uint8_t>(t + 1), p}).ok()) ++failures;
        }
      });
    }
    for (auto& th : threads) th.join();
    WalMetrics m = (*wal)->Metrics();
    syncs = m.syncs;
    appends = m.appends;
    groups = m.groups;
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(appends, uint64_t{kThreads * kPerThread});
  EXPECT_LT(groups, appends) << "no batch was ever shared";
  EXPECT_LT(syncs, appends) << "group commit did not share fsyncs";

  auto recs = ReadAll(env(), dir.path());
  ASSERT_EQ(recs.size(), size_t{kThreads * kPerThread});
  // Each thread's records are all there, in its own order.
  std::vector<int> next(kThreads, 0);
  for (const auto& r : recs) {
    int t = r.type - 1;
    ASSERT_GE(t, 0);
    ASSERT_LT(t, kThreads);
    EXPECT_EQ(r.payload.substr(0, r.payload.find('p')),
              "t" + std::to_string(t) + "-" + std::to_string(next[t]));
    ++next[t];
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kPerThread);
}

TEST(Wal, SyncIntervalReturnsBeforeFsyncAndTheSyncerCatchesUp) {
  TempDir dir;
  FaultEnv fenv;
  WalOptions o;
  o.sync_interval_ms = 60'000;  // the syncer never fires during this part
  {
    auto wal = Wal::Open(fenv, dir.path(), o);
    ASSERT_TRUE(wal.ok());
    const int syncs_at_open = fenv.file_syncs();
    for (int i = 0; i < 50; ++i) ASSERT_TRUE((*wal)->Append(Record{1, "x"}).ok());
    EXPECT_EQ(fenv.file_syncs(), syncs_at_open) << "Append synced in interval mode";
    ASSERT_TRUE((*wal)->Sync().ok());
    EXPECT_EQ(fenv.file_syncs(), syncs_at_open + 1);
    ASSERT_TRUE((*wal)->Sync().ok());  // nothing new: no fsync
    EXPECT_EQ(fenv.file_syncs(), syncs_at_open + 1);
    ASSERT_TRUE((*wal)->Append(Record{1, "y"}).ok());
    ASSERT_TRUE((*wal)->Close().ok());  // Close makes it durable
    EXPECT_EQ(fenv.file_syncs(), syncs_at_open + 2);
  }
  o.sync_interval_ms = 10;
  auto wal = Wal::Open(fenv, dir.path(), o);
  ASSERT_TRUE(wal.ok());
  const uint64_t base = (*wal)->Metrics().syncs;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE((*wal)->Append(Record{1, "z"}).ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((*wal)->Metrics().syncs == base && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GT((*wal)->Metrics().syncs, base) << "the background syncer never synced";
  // Idle: the syncer does not fsync a clean file.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const uint64_t idle = (*wal)->Metrics().syncs;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ((*wal)->Metrics().syncs, idle);
  wal->reset();
  EXPECT_EQ(ReadAll(env(), dir.path()).size(), 71u);
}

TEST(Wal, FailedWriteWithEnospcIsStickyAndNamesTheFile) {
  TempDir dir;
  FaultEnv fenv;
  {
    auto wal = Wal::Open(fenv, dir.path());
    ASSERT_TRUE(wal.ok());
    ASSERT_TRUE((*wal)->Append(Record{1, "durable-1"}).ok());
    ASSERT_TRUE((*wal)->Append(Record{1, "durable-2"}).ok());
    fenv.FailAppendAt(1, ENOSPC);
    Status s = (*wal)->Append(Record{1, "lost"});
    ASSERT_FALSE(s.ok());
    EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
    EXPECT_NE(s.ToString().find(dir.Join("00000001")), std::string::npos) << s.ToString();
    // The disk has room again, but the file's state is unknown: still refused.
    fenv.FailAppendAt(0, 0);
    Status again = (*wal)->Append(Record{1, "refused"});
    EXPECT_TRUE(again.IsNoSpace()) << again.ToString();
    EXPECT_EQ(again, s);
    EXPECT_EQ((*wal)->Sync(), s);
    EXPECT_EQ((*wal)->NextSegment().status(), s);
    EXPECT_EQ((*wal)->WriteCheckpoint({}, 1), s);
    EXPECT_EQ((*wal)->Close(), s);
    EXPECT_EQ((*wal)->Metrics().appends, 2u);
  }
  // Reopened: the durable records are there, the half-written one is cut as a torn tail.
  log::LogCapture logs;
  std::vector<ReadRecord> replayed;
  auto wal = OpenAndReplay(env(), dir.path(), {}, &replayed);
  ASSERT_TRUE(wal.ok());
  EXPECT_EQ(replayed, (std::vector<ReadRecord>{{1, "durable-1"}, {1, "durable-2"}}));
  EXPECT_TRUE(logs.Contains("wal: truncated torn tail segment=1"));
  EXPECT_TRUE((*wal)->Append(Record{1, "after reopen"}).ok());
}

TEST(Wal, FailedFsyncWithEioIsStickyForEveryWaiter) {
  TempDir dir;
  FaultEnv fenv;
  auto wal = Wal::Open(fenv, dir.path());
  ASSERT_TRUE(wal.ok());
  ASSERT_TRUE((*wal)->Append(Record{1, "durable"}).ok());
  fenv.FailSyncAt(1, EIO);
  Status s = (*wal)->Append(Record{1, "unknown"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.sys_errno(), EIO);
  EXPECT_FALSE(s.IsNoSpace());
  EXPECT_NE(s.ToString().find("fdatasync"), std::string::npos);
  EXPECT_NE(s.ToString().find("00000001"), std::string::npos);
  // Concurrent appenders all see it.
  std::vector<std::thread> threads;
  std::atomic<int> refused{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      if ((*wal)->Append(Record{1, "x"}).sys_errno() == EIO) ++refused;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(refused.load(), 4);
  wal->reset();
  auto recs = ReadAll(env(), dir.path());
  ASSERT_GE(recs.size(), 1u);
  EXPECT_EQ(recs[0], (ReadRecord{1, "durable"}));
}

TEST(Wal, FailedBackgroundSyncIsStickyInIntervalMode) {
  TempDir dir;
  FaultEnv fenv;
  WalOptions o;
  o.sync_interval_ms = 5;
  auto wal = Wal::Open(fenv, dir.path(), o);
  ASSERT_TRUE(wal.ok());
  fenv.FailSyncAt(1, EIO);
  ASSERT_TRUE((*wal)->Append(Record{1, "written"}).ok());
  Status s;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (s.ok() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    s = (*wal)->Append(Record{1, "more"});
  }
  EXPECT_EQ(s.sys_errno(), EIO) << s.ToString();
  EXPECT_EQ((*wal)->Append(Record{1, "refused"}).sys_errno(), EIO);
}

TEST(Wal, FailedRotationIsSticky) {
  TempDir dir;
  FaultEnv fenv;
  auto wal = Wal::Open(fenv, dir.path());
  ASSERT_TRUE(wal.ok());
  ASSERT_TRUE((*wal)->Append(Record{1, "a"}).ok());
  fenv.FailAppendAt(1, ENOSPC);  // the new segment's header
  auto next = (*wal)->NextSegment();
  ASSERT_FALSE(next.ok());
  EXPECT_TRUE(next.status().IsNoSpace());
  EXPECT_NE(next.status().ToString().find("00000002"), std::string::npos);
  EXPECT_TRUE((*wal)->Append(Record{1, "b"}).IsNoSpace());
  wal->reset();
  std::vector<ReadRecord> replayed;
  auto reopened = OpenAndReplay(env(), dir.path(), {}, &replayed);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ(replayed, (std::vector<ReadRecord>{{1, "a"}}));
}

// ---- checkpoints ---------------------------------------------------------------------

// Segment 1: a, b; segment 2: c, d (after NextSegment). Returns 2.
uint64_t FillTwoSegments(Wal& wal) {
  EXPECT_TRUE(wal.Append(Record{1, "a"}).ok());
  EXPECT_TRUE(wal.Append(Record{1, "b"}).ok());
  auto n = wal.NextSegment();
  EXPECT_TRUE(n.ok());
  EXPECT_TRUE(wal.Append(Record{1, "c"}).ok());
  EXPECT_TRUE(wal.Append(Record{1, "d"}).ok());
  return *n;
}

TEST(WalCheckpoint, ReplacesCoveredSegmentsAndReplaysFirst) {
  TempDir dir;
  {
    auto wal = Wal::Open(env(), dir.path());
    ASSERT_TRUE(wal.ok());
    uint64_t n = FillTwoSegments(**wal);
    EXPECT_EQ(n, 2u);
    std::vector<Record> state = {{7, "state-ab"}, {7, "more-state"}};
    ASSERT_TRUE((*wal)->WriteCheckpoint(state, n).ok());
    EXPECT_EQ(WalFiles(dir.path()), (std::vector<std::string>{"00000002", CheckpointFileName(2)}));
    WalMetrics m = (*wal)->Metrics();
    EXPECT_EQ(m.checkpoints, 1u);
    EXPECT_EQ(m.segments, 1u);
    EXPECT_EQ(m.size_on_disk, *env().FileSize(dir.Join("00000002")) +
                                  *env().FileSize(dir.Join(CheckpointFileName(2))));
  }
  std::vector<ReadRecord> replayed;
  auto wal = OpenAndReplay(env(), dir.path(), {}, &replayed);
  ASSERT_TRUE(wal.ok());
  EXPECT_EQ(replayed,
            (std::vector<ReadRecord>{{7, "state-ab"}, {7, "more-state"}, {1, "c"}, {1, "d"}}));
  EXPECT_TRUE(replayed[0].from_checkpoint);
  EXPECT_FALSE(replayed[2].from_checkpoint);

  // A second checkpoint replaces the first one.
  uint64_t n = *(*wal)->NextSegment();
  EXPECT_EQ(n, 4u);  // 3 was started by the reopen
  ASSERT_TRUE((*wal)->Append(Record{1, "e"}).ok());
  ASSERT_TRUE((*wal)->WriteCheckpoint(std::vector<Record>{{7, "state-abcd"}}, n).ok());
  EXPECT_EQ(WalFiles(dir.path()), (std::vector<std::string>{"00000004", CheckpointFileName(4)}));
  EXPECT_EQ(ReadAll(env(), dir.path()), (std::vector<ReadRecord>{{7, "state-abcd"}, {1, "e"}}));
}

TEST(WalCheckpoint, RejectsNumbersThatCoverTheOpenSegmentOrGoBackwards) {
  TempDir dir;
  auto wal = Wal::Open(env(), dir.path());
  ASSERT_TRUE(wal.ok());
  uint64_t n = FillTwoSegments(**wal);
  EXPECT_EQ((*wal)->WriteCheckpoint({}, n + 1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*wal)->WriteCheckpoint({}, 0).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE((*wal)->WriteCheckpoint({}, n).ok());
  EXPECT_EQ((*wal)->WriteCheckpoint({}, n - 1).code(), StatusCode::kInvalidArgument);
  // Not sticky.
  EXPECT_TRUE((*wal)->Append(Record{1, "fine"}).ok());
}

// Crash before the rename: checkpoint.2.tmp is complete or partial, the old state is
// intact. The reopen replays the old state and deletes the temp file.
TEST(WalCheckpoint, CrashBeforeRenameLeavesTheOldStateAndTheTempIsDeleted) {
  for (bool partial : {false, true}) {
    TempDir dir;
    {
      FaultEnv fenv;
      auto wal = Wal::Open(fenv, dir.path());
      ASSERT_TRUE(wal.ok());
      uint64_t n = FillTwoSegments(**wal);
      fenv.FailRenames(true);
      EXPECT_FALSE((*wal)->WriteCheckpoint(std::vector<Record>{{7, "state"}}, n).ok());
      // The crash: the temp file stays, maybe torn.
      std::string tmp;
      internal::AppendFileHeader(internal::FileKind::kCheckpoint, n, &tmp);
      internal::AppendRecord(7, "state", &tmp);
      WriteFile(dir.Join(CheckpointTempFileName(n)), partial ? tmp.substr(0, 25) : tmp);
    }
    std::vector<ReadRecord> replayed;
    auto wal = OpenAndReplay(env(), dir.path(), {}, &replayed);
    ASSERT_TRUE(wal.ok());
    EXPECT_EQ(replayed, (std::vector<ReadRecord>{{1, "a"}, {1, "b"}, {1, "c"}, {1, "d"}}));
    EXPECT_FALSE(env().FileExists(dir.Join(CheckpointTempFileName(2))));
  }
}

// Crash after the rename, before the covered segments are deleted: the new checkpoint
// wins and the stale segments are deleted at open.
TEST(WalCheckpoint, CrashAfterRenameBeforeDeletionReplaysTheNewCheckpoint) {
  TempDir dir;
  {
    FaultEnv fenv;
    auto wal = Wal::Open(fenv, dir.path());
    ASSERT_TRUE(wal.ok());
    uint64_t n = FillTwoSegments(**wal);
    fenv.FailRemoves(true);
    Status s = (*wal)->WriteCheckpoint(std::vector<Record>{{7, "state-ab"}}, n);
    EXPECT_FALSE(s.ok());
    EXPECT_TRUE(env().FileExists(dir.Join("00000001")));
    EXPECT_TRUE(env().FileExists(dir.Join(CheckpointFileName(2))));
    fenv.FailRemoves(false);
  }
  log::LogCapture logs;
  std::vector<ReadRecord> replayed;
  auto wal = OpenAndReplay(env(), dir.path(), {}, &replayed);
  ASSERT_TRUE(wal.ok());
  EXPECT_EQ(replayed, (std::vector<ReadRecord>{{7, "state-ab"}, {1, "c"}, {1, "d"}}));
  EXPECT_FALSE(env().FileExists(dir.Join("00000001")));
  EXPECT_TRUE(logs.Contains("wal: removed stale file"));
}

// Crash after the segments were deleted but before the previous checkpoint was: two
// checkpoints on disk; the newer one wins and the older one is deleted.
TEST(WalCheckpoint, CrashBeforeOldCheckpointDeletionKeepsTheNewerOne) {
  TempDir dir;
  std::string old_ckpt;
  {
    auto wal = Wal::Open(env(), dir.path());
    ASSERT_TRUE(wal.ok());
    uint64_t n = FillTwoSegments(**wal);
    ASSERT_TRUE((*wal)->WriteCheckpoint(std::vector<Record>{{7, "old"}}, n).ok());
    old_ckpt = ReadFile(dir.Join(CheckpointFileName(n)));
    uint64_t m = *(*wal)->NextSegment();
    ASSERT_TRUE((*wal)->Append(Record{1, "e"}).ok());
    ASSERT_TRUE((*wal)->WriteCheckpoint(std::vector<Record>{{7, "new"}}, m).ok());
  }
  WriteFile(dir.Join(CheckpointFileName(2)), old_ckpt);  // "not yet deleted"
  std::vector<ReadRecord> replayed;
  auto wal = OpenAndReplay(env(), dir.path(), {}, &replayed);
  ASSERT_TRUE(wal.ok());
  EXPECT_EQ(replayed, (std::vector<ReadRecord>{{7, "new"}, {1, "e"}}));
  EXPECT_FALSE(env().FileExists(dir.Join(CheckpointFileName(2))));
}

// Every prefix of the checkpoint protocol, replayed: the state is always either the old
// one or the new one.
TEST(WalCheckpoint, EveryIntermediateStateOfTheProtocolReplays) {
  const std::vector<ReadRecord> old_state = {{1, "a"}, {1, "b"}, {1, "c"}, {1, "d"}};
  const std::vector<ReadRecord> new_state = {{7, "ab"}, {1, "c"}, {1, "d"}};
  // Build the final directory once, keeping the pieces.
  TempDir ref;
  std::string seg1, seg2, ckpt;
  {
    auto wal = Wal::Open(env(), ref.path());
    ASSERT_TRUE(wal.ok());
    FillTwoSegments(**wal);
    seg1 = ReadFile(ref.Join("00000001"));
    seg2 = ReadFile(ref.Join("00000002"));
    ASSERT_TRUE((*wal)->WriteCheckpoint(std::vector<Record>{{7, "ab"}}, 2).ok());
    ckpt = ReadFile(ref.Join(CheckpointFileName(2)));
  }
  struct Step {
    const char* name;
    bool seg1, tmp, tmp_torn, ckpt;
    bool expect_new;
  };
  for (const Step& s : {Step{"tmp being written", true, true, true, false, false},
                        Step{"tmp synced", true, true, false, false, false},
                        Step{"renamed", true, false, false, true, true},
                        Step{"segment deleted", false, false, false, true, true}}) {
    SCOPED_TRACE(s.name);
    TempDir dir;
    if (s.seg1) WriteFile(dir.Join("00000001"), seg1);
    WriteFile(dir.Join("00000002"), seg2);
    if (s.tmp)
      WriteFile(dir.Join(CheckpointTempFileName(2)), s.tmp_torn ? ckpt.substr(0, 30) : ckpt);
    if (s.ckpt) WriteFile(dir.Join(CheckpointFileName(2)), ckpt);
    std::vector<ReadRecord> replayed;
    auto wal = OpenAndReplay(env(), dir.path(), {}, &replayed);
    ASSERT_TRUE(wal.ok());
    EXPECT_EQ(replayed, s.expect_new ? new_state : old_state);
    wal->reset();
    // Cleaned up: a second open sees the same records and no stale file.
    EXPECT_EQ(ReadAll(env(), dir.path()), s.expect_new ? new_state : old_state);
    for (const auto& f : WalFiles(dir.path())) EXPECT_EQ(f.find(".tmp"), std::string::npos);
  }
}

TEST(WalCheckpoint, CorruptNewestCheckpointFallsBackOrFailsByPolicy) {
  TempDir dir;
  {
    auto wal = Wal::Open(env(), dir.path());
    ASSERT_TRUE(wal.ok());
    ASSERT_TRUE((*wal)->Append(Record{1, "a"}).ok());
    ASSERT_TRUE((*wal)->WriteCheckpoint(std::vector<Record>{{7, "older"}}, 1).ok());
    uint64_t n = *(*wal)->NextSegment();
    ASSERT_TRUE((*wal)->Append(Record{1, "b"}).ok());
    // Keep segment 1 so that the older checkpoint still has its segments.
    std::string seg1 = ReadFile(dir.Join("00000001"));
    ASSERT_TRUE((*wal)->WriteCheckpoint(std::vector<Record>{{7, "newer"}}, n).ok());
    WriteFile(dir.Join("00000001"), seg1);
    WriteFile(dir.Join(CheckpointFileName(1)), [] {
      std::string c;
      internal::AppendFileHeader(internal::FileKind::kCheckpoint, 1, &c);
      internal::AppendRecord(7, "older", &c);
      return c;
    }());
  }
  std::string newer = ReadFile(dir.Join(CheckpointFileName(2)));
  newer.back() ^= 1;
  WriteFile(dir.Join(CheckpointFileName(2)), newer);

  WalOptions fail;
  fail.on_corruption = CorruptionPolicy::kFail;
  std::vector<ReadRecord> replayed;
  auto refused = OpenAndReplay(env(), dir.path(), fail, &replayed);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().IsCorruption());
  EXPECT_NE(refused.status().ToString().find("checkpoint.00000002"), std::string::npos);

  log::LogCapture logs;
  auto wal = OpenAndReplay(env(), dir.path(), {}, &replayed);
  ASSERT_TRUE(wal.ok());
  EXPECT_EQ(replayed, (std::vector<ReadRecord>{{7, "older"}, {1, "a"}, {1, "b"}}));
  EXPECT_TRUE(logs.Contains("error wal: removed corrupt checkpoint"));
  EXPECT_FALSE(env().FileExists(dir.Join(CheckpointFileName(2))));
}

TEST(WalMetrics, CountBytesRecordsSyncsAndSizeOnDisk) {
  TempDir dir;
  WalOptions o;
  o.segment_bytes = 256;
  auto wal = Wal::Open(env(), dir.path(), o);
  ASSERT_TRUE(wal.ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*wal)->Append(Record{1, std::string(50, 'm')}).ok());
  WalMetrics m = (*wal)->Metrics();
  EXPECT_EQ(m.appends, 10u);
  EXPECT_EQ(m.records, 10u);
  const uint64_t segments = WalFiles(dir.path()).size();
  EXPECT_EQ(m.segments, segments);
  EXPECT_EQ(m.current_segment, segments);
  EXPECT_EQ(m.bytes_written, 10 * (kRecordHeaderSize + 50) + segments * kFileHeaderSize);
  uint64_t on_disk = 0;
  for (const auto& f : WalFiles(dir.path())) on_disk += *env().FileSize(dir.Join(f));
  EXPECT_EQ(m.size_on_disk, on_disk);
  // One sync per Append, one per new segment's header (none shared without contention).
  EXPECT_EQ(m.syncs, 10 + segments);
  uint64_t in_buckets = 0;
  for (uint64_t b : m.fsync_latency_us) in_buckets += b;
  EXPECT_EQ(in_buckets, m.syncs);
}

}  // namespace
}  // namespace strix::storage::wal
