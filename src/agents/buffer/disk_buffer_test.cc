// Tests of DiskBuffer: the delivery policy (fresh first once, then the backlog oldest
// first), restarts, crashes at every sync point on FaultyEnv, torn tails and corrupt
// records, both bounds and their counters, ENOSPC/EIO on append and on the ack log,
// segment deletion, seq monotonicity, and concurrent appenders with one sender.
#include "agents/buffer/disk_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "agents/buffer/internal/format.h"
#include "core/coding.h"
#include "core/crc32c.h"
#include "core/log.h"
#include "core/testing/faulty_env.h"
#include "core/testing/temp_dir.h"

namespace strix::agents::buffer {
namespace {

using internal::kFileHeaderSize;
using internal::kRecordHeaderSize;
using internal::SegmentFileName;
using strix::testing::CrashMode;
using strix::testing::CrashOptions;
using strix::testing::FaultyEnv;
using strix::testing::TempDir;

constexpr uint64_t kFramed100 = kRecordHeaderSize + 100;  // a 100-byte payload, framed

std::string Payload(int i, size_t size = 100) {
  std::string p = "rec-" + std::to_string(i) + "-";
  p.resize(size, static_cast<char>('a' + i % 26));
  return p;
}

BufferOptions Options(const TempDir& dir) {
  BufferOptions o;
  o.dir = dir.Join("buf");
  return o;
}

// Segment files that hold exactly `n` records of a 100-byte payload.
uint64_t SegmentBytesFor(int n) { return kFileHeaderSize + n * kFramed100; }

std::unique_ptr<DiskBuffer> MustOpen(Env& env, Clock& clock, const BufferOptions& o) {
  auto b = DiskBuffer::Open(env, clock, o);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return b.ok() ? std::move(*b) : nullptr;
}

uint64_t MustAppend(DiskBuffer& b, std::string_view payload, int64_t created_ms = 0) {
  auto seq = b.Append(payload, created_ms);
  EXPECT_TRUE(seq.ok()) << seq.status().ToString();
  return seq.ok() ? *seq : 0;
}

// The seq Next returns (0 for nothing pending).
uint64_t NextSeq(DiskBuffer& b) {
  auto r = b.Next();
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() && r->has_value() ? (*r)->seq : 0;
}

// Delivers everything pending (Next, then Ack), in delivery order.
std::vector<Record> Drain(DiskBuffer& b) {
  std::vector<Record> out;
  while (true) {
    auto r = b.Next();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || !r->has_value()) break;
    out.push_back(**r);
    EXPECT_TRUE(b.Ack(out.back().seq).ok());
  }
  return out;
}

std::vector<uint64_t> Seqs(const std::vector<Record>& records) {
  std::vector<uint64_t> s;
  for (const Record& r : records) s.push_back(r.seq);
  return s;
}

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  auto names = Env::Default().ListDir(dir);
  EXPECT_TRUE(names.ok());
  if (!names.ok()) return out;
  for (const std::string& n : *names)
    if (internal::ParseSegmentFileName(n)) out.push_back(n);
  return out;
}

// Overwrites one byte of a file in place (tests only: damage from outside the Env).
void FlipByte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good()) << path;
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

void AppendRaw(const std::string& path, std::string_view bytes) {
  auto f = Env::Default().NewAppendableFile(path);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append(bytes).ok());
  ASSERT_TRUE((*f)->Close().ok());
}

ManualClock& Clock0() {
  static ManualClock clock(1'000'000);
  return clock;
}

// ---- Delivery ------------------------------------------------------------------------

TEST(DiskBuffer, AppendNextAckRoundTrip) {
  TempDir dir;
  auto b = MustOpen(Env::Default(), Clock0(), Options(dir));
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(MustAppend(*b, "hello", 42), 1u);
  auto r = b->Next();
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->seq, 1u);
  EXPECT_EQ((*r)->created_ms, 42);
  EXPECT_EQ((*r)->payload, "hello");
  ASSERT_TRUE(b->Ack(1).ok());
  auto empty = b->Next();
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
  EXPECT_EQ(b->Stats().pending_records, 0u);
}

TEST(DiskBuffer, EmptyAndBinaryPayloadsRoundTrip) {
  TempDir dir;
  auto b = MustOpen(Env::Default(), Clock0(), Options(dir));
  std::string binary("\0\x01\xff\x1f\x8b", 5);  // a gzip body is binary
  MustAppend(*b, "");
  MustAppend(*b, binary);
  b.reset();
  b = MustOpen(Env::Default(), Clock0(), Options(dir));
  std::vector<Record> got = Drain(*b);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].payload, "");
  EXPECT_EQ(got[1].payload, binary);
}

TEST(DiskBuffer, BacklogDrainsOldestFirstAfterRestart) {
  TempDir dir;
  BufferOptions o = Options(dir);
  o.segment_bytes = SegmentBytesFor(3);  // several segments
  {
    auto b = MustOpen(Env::Default(), Clock0(), o);
    for (int i = 1; i <= 10; ++i) MustAppend(*b, Payload(i));
  }
  auto b = MustOpen(Env::Default(), Clock0(), o);
  // After a restart everything is backlog: no fresh record jumps the queue.
  std::vector<Record> got = Drain(*b);
  ASSERT_EQ(got.size(), 10u);
  for (int i = 1; i <= 10; ++i) {
    EXPECT_EQ(got[i - 1].seq, static_cast<uint64_t>(i));
    EXPECT_EQ(got[i - 1].payload, Payload(i));
  }
}

TEST(DiskBuffer, NextRepeatsTheOldestRecordUntilItIsAcked) {
  TempDir dir;
  auto b = MustOpen(Env::Default(), Clock0(), Options(dir));
  MustAppend(*b, Payload(1));
  MustAppend(*b, Payload(2));
  EXPECT_EQ(NextSeq(*b), 2u);  // fresh
  EXPECT_EQ(NextSeq(*b), 1u);  // backlog
  EXPECT_EQ(NextSeq(*b), 1u);  // the send failed: the same record again
  ASSERT_TRUE(b->Ack(1).ok());
  EXPECT_EQ(NextSeq(*b), 2u);
}

TEST(DiskBuffer, FreshRecordGoesFirstOnceThenBacklogInOrder) {
  TempDir dir;
  BufferOptions o = Options(dir);
  {
    auto b = MustOpen(Env::Default(), Clock0(), o);
    for (int i = 1; i <= 3; ++i) MustAppend(*b, Payload(i));
  }
  auto b = MustOpen(Env::Default(), Clock0(), o);  // 1..3 are backlog
  // Outage: record 4 gets its immediate try, which fails (no ack).
  EXPECT_EQ(MustAppend(*b, Payload(4)), 4u);
  EXPECT_EQ(NextSeq(*b), 4u);
  // The next collection gets its own immediate try; 4 has had its chance.
  EXPECT_EQ(MustAppend(*b, Payload(5)), 5u);
  EXPECT_EQ(NextSeq(*b), 5u);
  ASSERT_TRUE(b->Ack(5).ok());  // the server is back
  // The backlog drains in order, 4 in its place.
  std::vector<Record> rest = Drain(*b);
  EXPECT_EQ(Seqs(rest), (std::vector<uint64_t>{1, 2, 3, 4}));
}

TEST(DiskBuffer, OnlyTheNewestRecordIsFresh) {
  TempDir dir;
  auto b = MustOpen(Env::Default(), Clock0(), Options(dir));
  for (int i = 1; i <= 3; ++i) MustAppend(*b, Payload(i));  // three inputs at once
  EXPECT_EQ(Seqs(Drain(*b)), (std::vector<uint64_t>{3, 1, 2}));
}

TEST(DiskBuffer, OutOfOrderAckSurvivesRestart) {
  TempDir dir;
  BufferOptions o = Options(dir);
  {
    auto b = MustOpen(Env::Default(), Clock0(), o);
    for (int i = 1; i <= 3; ++i) MustAppend(*b, Payload(i));
  }
  {
    auto b = MustOpen(Env::Default(), Clock0(), o);
    MustAppend(*b, Payload(4));
    EXPECT_EQ(NextSeq(*b), 4u);
    ASSERT_TRUE(b->Ack(4).ok());  // acked ahead of the backlog 1..3
    ASSERT_TRUE(b->Sync().ok());
  }
  auto b = MustOpen(Env::Default(), Clock0(), o);
  EXPECT_EQ(Seqs(Drain(*b)), (std::vector<uint64_t>{1, 2, 3}));
}

// ---- Restarts and crashes ----------------------------------------------------------

TEST(DiskBuffer, PendingRecordsSurviveReopenAndSyncedAcksDoNotComeBack) {
  TempDir dir;
  BufferOptions o = Options(dir);
  o.segment_bytes = SegmentBytesFor(2);
  {
    auto b = MustOpen(Env::Default(), Clock0(), o);
    for (int i = 1; i <= 6; ++i) MustAppend(*b, Payload(i));
    ASSERT_TRUE(b->Ack(1).ok());
    ASSERT_TRUE(b->Ack(2).ok());
    ASSERT_TRUE(b->Ack(4).ok());
    ASSERT_TRUE(b->Sync().ok());
  }
  auto b = MustOpen(Env::Default(), Clock0(), o);
  EXPECT_EQ(b->Stats().pending_records, 3u);
  std::vector<Record> got = Drain(*b);
  EXPECT_EQ(Seqs(got), (std::vector<uint64_t>{3, 5, 6}));
  for (const Record& r : got) EXPECT_EQ(r.payload, Payload(static_cast<int>(r.seq)));
}

TEST(DiskBuffer, PowerCutAfterOkAppendLosesNothing) {
  TempDir dir;
  FaultyEnv env(Env::Default());
  BufferOptions o = Options(dir);
  o.segment_bytes = SegmentBytesFor(2);
  {
    auto b = MustOpen(env, Clock0(), o);
    for (int i = 1; i <= 5; ++i) MustAppend(*b, Payload(i));
    ASSERT_TRUE(b->Ack(1).ok());  // not synced: may come back, which is allowed
  }
  ASSERT_TRUE(env.SimulateCrash(CrashMode::kMixed).ok());
  auto b = MustOpen(env, Clock0(), o);
  std::vector<Record> got = Drain(*b);
  std::vector<uint64_t> seqs = Seqs(got);
  std::vector<uint64_t> want = {2, 3, 4, 5};
  for (uint64_t s : want) EXPECT_NE(std::find(seqs.begin(), seqs.end(), s), seqs.end()) << s;
  EXPECT_EQ(b->Stats().corrupt_records, 0u);
}

// The outcome of a workload run until the power cut.
struct Outcome {
  std::set<std::string> attempted;          // payloads passed to Append
  std::map<uint64_t, std::string> durable;  // appends known durable (OK with sync / synced)
  std::set<uint64_t> acked;                 // every ack (an unsynced one may be lost)
  std::set<uint64_t> acked_durably;         // acks followed by an OK Sync
};

// 24 appends into 2-record segments with acks and Syncs in between; stops at the first
// error, as an agent whose disk died would.
Outcome RunWorkload(Env& env, const BufferOptions& o) {
  Outcome out;
  auto b = DiskBuffer::Open(env, Clock0(), o);
  if (!b.ok()) return out;
  std::map<uint64_t, std::string> appended;  // OK, maybe not synced yet
  std::set<uint64_t> acked;
  for (int i = 1; i <= 24; ++i) {
    out.attempted.insert(Payload(i));
    auto seq = (*b)->Append(Payload(i), 0);
    if (!seq.ok()) break;
    appended[*seq] = Payload(i);
    if (o.sync) out.durable[*seq] = Payload(i);
    if (i % 3 == 0) {
      auto r = (*b)->Next();
      if (!r.ok()) break;
      if (r->has_value()) {
        if (!(*b)->Ack((*r)->seq).ok()) break;
        acked.insert((*r)->seq);
        out.acked = acked;
      }
    }
    if (i % 5 == 0) {
      if (!(*b)->Sync().ok()) break;
      out.durable = appended;
      out.acked_durably = acked;
    }
  }
  return out;
}

// Every pending record after recovery, by seq (acks go to the log unsynced: the caller
// crashes again with kDrop to forget them).
std::map<uint64_t, std::string> PendingAfterOpen(Env& env, const BufferOptions& o, Status* status) {
  std::map<uint64_t, std::string> got;
  auto b = DiskBuffer::Open(env, Clock0(), o);
  if (!b.ok()) {
    *status = b.status();
    return got;
  }
  for (const Record& r : Drain(**b)) got[r.seq] = r.payload;
  return got;
}

void CrashAtEverySyncPoint(bool sync) {
  BufferOptions base;
  base.segment_bytes = SegmentBytesFor(2);
  base.sync = sync;
  uint64_t points = 0;
  {
    TempDir dir;
    FaultyEnv env(Env::Default());
    BufferOptions o = base;
    o.dir = dir.Join("buf");
    Outcome clean = RunWorkload(env, o);
    ASSERT_EQ(clean.durable.size(), sync ? 24u : 20u);
    points = env.SyncCount();
  }
  ASSERT_GT(points, 20u);
  for (uint64_t k = 1; k <= points; ++k) {
    for (bool lose_sectors : {false, true}) {
      SCOPED_TRACE("crash at sync " + std::to_string(k) + (lose_sectors ? " losing sectors" : ""));
      TempDir dir;
      FaultyEnv env(Env::Default(), /*seed=*/k * 2 + lose_sectors);
      BufferOptions o = base;
      o.dir = dir.Join("buf");
      env.CrashAtSync(k);
      Outcome run = RunWorkload(env, o);
      ASSERT_TRUE(env.CrashPointHit());
      CrashOptions crash;
      crash.mode = CrashMode::kMixed;
      crash.lose_sectors = lose_sectors;
      ASSERT_TRUE(env.SimulateCrash(crash).ok());

      Status st;
      std::map<uint64_t, std::string> first = PendingAfterOpen(env, o, &st);
      ASSERT_TRUE(st.ok()) << st.ToString();
      // Nothing durable and unacked is lost (an acked record may come back or not),
      // nothing durably acked comes back.
      for (const auto& [seq, payload] : run.durable) {
        if (run.acked.count(seq)) continue;
        ASSERT_TRUE(first.count(seq)) << "lost seq " << seq;
        EXPECT_EQ(first[seq], payload);
      }
      for (uint64_t seq : run.acked_durably) EXPECT_FALSE(first.count(seq)) << seq;
      // Nothing phantom: every record is one that was appended, under its own seq.
      for (const auto& [seq, payload] : first) {
        EXPECT_TRUE(run.attempted.count(payload)) << seq;
        if (run.durable.count(seq)) {
          EXPECT_EQ(run.durable[seq], payload);
        }
      }
      // Recovery is durable: crash again (the drain's acks were never synced).
      ASSERT_TRUE(env.SimulateCrash(CrashMode::kDrop).ok());
      std::map<uint64_t, std::string> second = PendingAfterOpen(env, o, &st);
      ASSERT_TRUE(st.ok()) << st.ToString();
      EXPECT_EQ(second, first);
    }
  }
}

TEST(DiskBufferCrash, SyncedAppendsSurviveAPowerCutAtAnySyncPoint) { CrashAtEverySyncPoint(true); }

TEST(DiskBufferCrash, UnsyncedModeLosesNothingSyncedAtAnySyncPoint) {
  CrashAtEverySyncPoint(false);
}

TEST(DiskBuffer, TornTailIsTruncatedAndLaterAppendsWork) {
  TempDir dir;
  BufferOptions o = Options(dir);
  {
    auto b = MustOpen(Env::Default(), Clock0(), o);
    for (int i = 1; i <= 3; ++i) MustAppend(*b, Payload(i));
  }
  std::vector<std::string> segs = SegmentFiles(o.dir);
  ASSERT_EQ(segs.size(), 1u);
  const std::string path = JoinPath(o.dir, segs[0]);
  const uint64_t good = Env::Default().FileSize(path).value();
  std::string frame;
  internal::AppendRecord(4, 0, Payload(4), &frame);
  AppendRaw(path, frame.substr(0, 60));  // a record cut mid-payload
  {
    log::LogCapture logs;
    auto b = MustOpen(Env::Default(), Clock0(), o);
    EXPECT_TRUE(logs.Contains("agent buffer: truncated torn tail")) << "no log line";
    EXPECT_EQ(b->Stats().corrupt_records, 1u);
    EXPECT_EQ(Env::Default().FileSize(path).value(), good);
    EXPECT_EQ(MustAppend(*b, Payload(5)), 4u);
  }
  auto b = MustOpen(Env::Default(), Clock0(), o);
  EXPECT_EQ(b->Stats().corrupt_records, 0u);
  std::vector<Record> got = Drain(*b);
  EXPECT_EQ(Seqs(got), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(got[3].payload, Payload(5));
}

TEST(DiskBuffer, GarbageOnlySegmentAtTheEndIsRemoved) {
  TempDir dir;
  BufferOptions o = Options(dir);
  {
    auto b = MustOpen(Env::Default(), Clock0(), o);
    MustAppend(*b, Payload(1));
  }
  const std::string junk = JoinPath(o.dir, SegmentFileName(50));
  AppendRaw(junk, "STX");  // a header torn after three bytes
  auto b = MustOpen(Env::Default(), Clock0(), o);
  EXPECT_FALSE(Env::Default().FileExists(junk));
  EXPECT_EQ(b->Stats().corrupt_records, 1u);
  EXPECT_EQ(Seqs(Drain(*b)), (std::vector<uint64_t>{1}));
}

TEST(DiskBuffer, CorruptRecordInOlderSegmentSkipsRestOfThatSegment) {
  TempDir dir;
  BufferOptions o = Options(dir);
  o.segment_bytes = SegmentBytesFor(3);
  {
    auto b = MustOpen(Env::Default(), Clock0(), o);
    for (int i = 1; i <= 6; ++i) MustAppend(*b, Payload(i));
  }
  const std::string first = JoinPath(o.dir, SegmentFileName(1));
  FlipByte(first, kFileHeaderSize + kFramed100 + kRecordHeaderSize + 10);  // record 2's payload
  log::LogCapture logs;
  auto b = MustOpen(Env::Default(), Clock0(), o);
  EXPECT_TRUE(logs.Contains("agent buffer: corrupt segment, skipped the rest of it"));
  BufferStats st = b->Stats();
  EXPECT_EQ(st.corrupt_records, 1u);
  EXPECT_EQ(st.pending_records, 4u);
  EXPECT_EQ(Seqs(Drain(*b)), (std::vector<uint64_t>{1, 4, 5, 6}));
  EXPECT_FALSE(Env::Default().FileExists(first));  // its good record was acked
}

TEST(DiskBuffer, RecordDamagedAfterOpenIsDroppedAndCounted) {
  TempDir dir;
  BufferOptions o = Options(dir);
  auto b = MustOpen(Env::Default(), Clock0(), o);
  for (int i = 1; i <= 3; ++i) MustAppend(*b, Payload(i));
  FlipByte(JoinPath(o.dir, SegmentFileName(1)), kFileHeaderSize + kFramed100 + 30);
  ASSERT_TRUE(b->Ack(3).ok());
  EXPECT_EQ(Seqs(Drain(*b)), (std::vector<uint64_t>{1}));
  BufferStats st = b->Stats();
  EXPECT_EQ(st.corrupt_records, 1u);
  EXPECT_EQ(st.pending_records, 0u);
}

TEST(DiskBuffer, SeqKeepsIncreasingAcrossRestarts) {
  TempDir dir;
  BufferOptions o = Options(dir);
  o.segment_bytes = SegmentBytesFor(1);
  for (uint64_t round = 0; round < 3; ++round) {
    auto b = MustOpen(Env::Default(), Clock0(), o);
    EXPECT_EQ(MustAppend(*b, Payload(1)), round * 2 + 1);
    EXPECT_EQ(MustAppend(*b, Payload(2)), round * 2 + 2);
    Drain(*b);  // everything acked: the older segment is deleted
    ASSERT_TRUE(b->Sync().ok());
  }
}

TEST(DiskBuffer, SeqsAckedDurablyAreNotReusedWhenTheirRecordsWereLost) {
  // sync=false: the ack log can become durable (here through its rewrite after a failed
  // write) while the records it acks are still unsynced. A power cut then loses the
  // records but not the acks: a new record must not get an acked seq, or it is lost.
  TempDir dir;
  FaultyEnv env(Env::Default());
  BufferOptions o = Options(dir);
  o.sync = false;
  {
    auto b = MustOpen(env, Clock0(), o);
    MustAppend(*b, Payload(1));
    MustAppend(*b, Payload(2));
    env.FailNthWrite(1, EIO, "acks");
    EXPECT_FALSE(b->Ack(2).ok());
    ASSERT_TRUE(b->Ack(1).ok());  // rewrites the ack log, durably
  }
  ASSERT_TRUE(env.SimulateCrash(CrashMode::kDrop).ok());  // records 1 and 2 are gone
  {
    auto b = MustOpen(env, Clock0(), o);
    EXPECT_EQ(MustAppend(*b, Payload(3)), 3u);
    ASSERT_TRUE(b->Sync().ok());
  }
  auto b = MustOpen(env, Clock0(), o);
  std::vector<Record> got = Drain(*b);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload, Payload(3));
}

// ---- Bounds ----------------------------------------------------------------------------

TEST(DiskBuffer, MaxBytesDropsOldestSegmentsFirstAndCountsThem) {
  TempDir dir;
  BufferOptions o = Options(dir);
  o.segment_bytes = SegmentBytesFor(2);
  o.max_bytes = 3 * SegmentBytesFor(2);
  auto b = MustOpen(Env::Default(), Clock0(), o);
  for (int i = 1; i <= 10; ++i) MustAppend(*b, Payload(i));
  BufferStats st = b->Stats();
  // Records 7 and 9 each needed a new segment: the oldest two went each time.
  EXPECT_EQ(st.dropped_records, 4u);
  EXPECT_EQ(st.dropped_bytes, 4 * kFramed100);
  EXPECT_EQ(st.pending_records, 6u);
  EXPECT_LE(st.disk_bytes - Env::Default().FileSize(JoinPath(o.dir, "acks")).value(), o.max_bytes);
  std::vector<Record> got = Drain(*b);
  EXPECT_EQ(Seqs(got), (std::vector<uint64_t>{10, 5, 6, 7, 8, 9}));  // 10 is fresh
}

TEST(DiskBuffer, MaxBytesCountsOnlyPendingRecordsAsDropped) {
  TempDir dir;
  BufferOptions o = Options(dir);
  o.segment_bytes = SegmentBytesFor(2);
  o.max_bytes = 2 * SegmentBytesFor(2);
  auto b = MustOpen(Env::Default(), Clock0(), o);
  for (int i = 1; i <= 4; ++i) MustAppend(*b, Payload(i));
  ASSERT_TRUE(b->Ack(1).ok());  // segment 1 still holds pending record 2
  MustAppend(*b, Payload(5));   // needs a third segment: segment 1 goes
  EXPECT_EQ(b->Stats().dropped_records, 1u);
  EXPECT_EQ(Seqs(Drain(*b)), (std::vector<uint64_t>{5, 3, 4}));
}

TEST(DiskBuffer, MaxBytesSmallerThanOneSegmentDropsTheActiveSegment) {
  TempDir dir;
  BufferOptions o = Options(dir);
  o.segment_bytes = 1 << 20;
  o.max_bytes = kFileHeaderSize + 2 * kFramed100;
  auto b = MustOpen(Env::Default(), Clock0(), o);
  for (int i = 1; i <= 3; ++i) MustAppend(*b, Payload(i));
  BufferStats st = b->Stats();
  EXPECT_EQ(st.dropped_records, 2u);
  EXPECT_EQ(Seqs(Drain(*b)), (std::vector<uint64_t>{3}));
}

TEST(DiskBuffer, MaxAgeDropsOldRecordsAndCountsThem) {
  TempDir dir;
  ManualClock clock(1'000'000);
  BufferOptions o = Options(dir);
  o.max_age_ms = 10'000;
  auto b = MustOpen(Env::Default(), clock, o);
  MustAppend(*b, Payload(1), clock.NowMillis());
  MustAppend(*b, Payload(2), clock.NowMillis());
  clock.Advance(6'000);
  MustAppend(*b, Payload(3), clock.NowMillis());
  clock.Advance(4'001);  // 1 and 2 are now 10,001 ms old
  EXPECT_EQ(NextSeq(*b), 3u);
  BufferStats st = b->Stats();
  EXPECT_EQ(st.dropped_records, 2u);
  EXPECT_EQ(st.dropped_bytes, 2 * kFramed100);
  EXPECT_EQ(st.oldest_pending_ms, 1'006'000);
  clock.Advance(6'000);
  MustAppend(*b, Payload(4), clock.NowMillis());  // Append enforces the age bound too
  EXPECT_EQ(b->Stats().dropped_records, 3u);
  EXPECT_EQ(Seqs(Drain(*b)), (std::vector<uint64_t>{4}));
}

TEST(DiskBuffer, MaxAgeIsAppliedAtOpen) {
  TempDir dir;
  ManualClock clock(1'000'000);
  BufferOptions o = Options(dir);
  o.max_age_ms = 10'000;
  {
    auto b = MustOpen(Env::Default(), clock, o);
    MustAppend(*b, Payload(1), clock.NowMillis());
  }
  clock.Advance(20'000);  // the agent was stopped for a while
  auto b = MustOpen(Env::Default(), clock, o);
  BufferStats st = b->Stats();
  EXPECT_EQ(st.pending_records, 0u);
  EXPECT_EQ(st.dropped_records, 1u);
}

TEST(DiskBuffer, PayloadTooLargeForMaxBytesIsInvalidArgument) {
  TempDir dir;
  BufferOptions o = Options(dir);
  o.max_bytes = 1000;
  auto b = MustOpen(Env::Default(), Clock0(), o);
  auto r = b->Append(std::string(1000, 'x'), 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MustAppend(*b, "fits"), 1u);
}

TEST(DiskBuffer, RecordLargerThanASegmentGetsOneOfItsOwn) {
  TempDir dir;
  BufferOptions o = Options(dir);
  o.segment_bytes = 200;
  auto b = MustOpen(Env::Default(), Clock0(), o);
  MustAppend(*b, "small");
  std::string big(1000, 'B');
  MustAppend(*b, big);
  MustAppend(*b, "after");
  EXPECT_EQ(SegmentFiles(o.dir).size(), 3u);
  b.reset();
  b = MustOpen(Env::Default(), Clock0(), o);
  std::vector<Record> got = Drain(*b);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1].payload, big);
}

TEST(DiskBuffer, InvalidOptionsAreRejected) {
  TempDir dir;
  BufferOptions o = Options(dir);
  o.segment_bytes = 10;
  EXPECT_EQ(DiskBuffer::Open(Env::Default(), Clock0(), o).status().code(),
            StatusCode::kInvalidArgument);
  o = Options(dir);
  o.max_age_ms = 0;
  EXPECT_EQ(DiskBuffer::Open(Env::Default(), Clock0(), o).status().code(),
            StatusCode::kInvalidArgument);
  o = Options(dir);
  o.dir.clear();
  EXPECT_EQ(DiskBuffer::Open(Env::Default(), Clock0(), o).status().code(),
            StatusCode::kInvalidArgument);
}

// ---- I/O errors --------------------------------------------------------------------------

TEST(DiskBuffer, NoSpaceOnAppendLeavesNoHalfRecordAndLaterAppendsWork) {
  TempDir dir;
  FaultyEnv env(Env::Default());
  BufferOptions o = Options(dir);
  {
    auto b = MustOpen(env, Clock0(), o);
    for (int i = 1; i <= 3; ++i) MustAppend(*b, Payload(i));
    env.DiskFullAfter(50);  // the next frame is cut after 50 bytes
    auto r = b->Append(Payload(4), 0);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().IsNoSpace()) << r.status().ToString();
    EXPECT_EQ(b->Stats().pending_records, 3u);
    env.ClearFaults();
    EXPECT_EQ(MustAppend(*b, Payload(5)), 4u);  // the failed append used no seq
  }
  ASSERT_TRUE(env.SimulateCrash(CrashMode::kDrop).ok());
  auto b = MustOpen(env, Clock0(), o);
  EXPECT_EQ(b->Stats().corrupt_records, 0u);  // the partial frame was cut, not torn
  std::vector<Record> got = Drain(*b);
  ASSERT_EQ(Seqs(got), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(got[3].payload, Payload(5));
}

TEST(DiskBuffer, NoSpaceWhileStartingASegmentIsReturnedAndRetried) {
  TempDir dir;
  FaultyEnv env(Env::Default());
  BufferOptions o = Options(dir);
  o.segment_bytes = SegmentBytesFor(1);
  auto b = MustOpen(env, Clock0(), o);
  MustAppend(*b, Payload(1));
  env.DiskFullAfter(5);  // the next segment's header does not fit
  EXPECT_TRUE(b->Append(Payload(2), 0).status().IsNoSpace());
  env.ClearFaults();
  EXPECT_EQ(MustAppend(*b, Payload(3)), 2u);
  b.reset();
  b = MustOpen(env, Clock0(), o);
  EXPECT_EQ(b->Stats().corrupt_records, 0u);
  EXPECT_EQ(Seqs(Drain(*b)), (std::vector<uint64_t>{1, 2}));
}

TEST(DiskBuffer, FailedSyncOnAppendIsReturnedAndTheRecordCut) {
  TempDir dir;
  FaultyEnv env(Env::Default());
  BufferOptions o = Options(dir);
  auto b = MustOpen(env, Clock0(), o);
  MustAppend(*b, Payload(1));
  env.FailSyncs(EIO, ".seg");
  auto r = b->Append(Payload(2), 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().sys_errno(), EIO);
  env.ClearFaults();
  EXPECT_EQ(MustAppend(*b, Payload(3)), 2u);
  b.reset();
  ASSERT_TRUE(env.SimulateCrash(CrashMode::kDrop).ok());
  b = MustOpen(env, Clock0(), o);
  std::vector<Record> got = Drain(*b);
  ASSERT_EQ(Seqs(got), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(got[1].payload, Payload(3));
}

TEST(DiskBuffer, AckLogWriteFailureIsReturnedAndRepairedByTheNextAck) {
  TempDir dir;
  FaultyEnv env(Env::Default());
  BufferOptions o = Options(dir);
  {
    auto b = MustOpen(env, Clock0(), o);
    for (int i = 1; i <= 3; ++i) MustAppend(*b, Payload(i));
    env.FailNthWrite(1, EIO, "acks");
    Status s = b->Ack(1);
    EXPECT_EQ(s.sys_errno(), EIO);
    ASSERT_TRUE(b->Ack(2).ok());  // rewrites the log from memory, 1 included
    ASSERT_TRUE(b->Sync().ok());
  }
  ASSERT_TRUE(env.SimulateCrash(CrashMode::kDrop).ok());
  auto b = MustOpen(env, Clock0(), o);
  EXPECT_EQ(Seqs(Drain(*b)), (std::vector<uint64_t>{3}));
}

// ---- Files -------------------------------------------------------------------------------

TEST(DiskBuffer, FullyAckedSegmentFilesAreDeleted) {
  TempDir dir;
  BufferOptions o = Options(dir);
  o.segment_bytes = SegmentBytesFor(1);
  auto b = MustOpen(Env::Default(), Clock0(), o);
  for (int i = 1; i <= 4; ++i) MustAppend(*b, Payload(i));
  EXPECT_EQ(SegmentFiles(o.dir).size(), 4u);
  ASSERT_TRUE(b->Ack(1).ok());
  ASSERT_TRUE(b->Ack(2).ok());
  ASSERT_TRUE(b->Ack(4).ok());  // the segment being appended to stays for now
  EXPECT_EQ(SegmentFiles(o.dir),
            (std::vector<std::string>{SegmentFileName(3), SegmentFileName(4)}));
  MustAppend(*b, Payload(5));  // moving on deletes it
  EXPECT_EQ(SegmentFiles(o.dir),
            (std::vector<std::string>{SegmentFileName(3), SegmentFileName(5)}));
  EXPECT_EQ(b->Stats().segments, 2u);
}

TEST(DiskBuffer, UnknownFilesAreIgnored) {
  TempDir dir;
  BufferOptions o = Options(dir);
  ASSERT_TRUE(Env::Default().CreateDirs(o.dir).ok());
  AppendRaw(JoinPath(o.dir, "notes.txt"), "hello");
  AppendRaw(JoinPath(o.dir, "1.seg"), "not canonical");
  ASSERT_TRUE(Env::Default().CreateDirs(JoinPath(o.dir, "sub")).ok());
  auto b = MustOpen(Env::Default(), Clock0(), o);
  EXPECT_EQ(MustAppend(*b, "x"), 1u);
  EXPECT_EQ(b->Stats().corrupt_records, 0u);
  EXPECT_TRUE(Env::Default().FileExists(JoinPath(o.dir, "notes.txt")));
  EXPECT_TRUE(Env::Default().FileExists(JoinPath(o.dir, "1.seg")));
}

TEST(DiskBuffer, SecondOpenOfTheSameDirectoryFails) {
  TempDir dir;
  auto b = MustOpen(Env::Default(), Clock0(), Options(dir));
  auto again = DiskBuffer::Open(Env::Default(), Clock0(), Options(dir));
  EXPECT_FALSE(again.ok());
}

TEST(DiskBuffer, SegmentOfANewerVersionFailsOpenAndIsKept) {
  TempDir dir;
  BufferOptions o = Options(dir);
  ASSERT_TRUE(Env::Default().CreateDirs(o.dir).ok());
  std::string header;
  internal::AppendFileHeader(internal::kSegmentMagic, 1, &header);
  header[4] = 2;
  header.resize(16);
  PutFixed32(&header, crc32c::Mask(crc32c::Value(header.data(), 16)));
  const std::string path = JoinPath(o.dir, SegmentFileName(1));
  AppendRaw(path, header);
  auto b = DiskBuffer::Open(Env::Default(), Clock0(), o);
  EXPECT_EQ(b.status().code(), StatusCode::kUnimplemented);
  EXPECT_TRUE(Env::Default().FileExists(path));
}

// ---- Stats and threads ------------------------------------------------------------------

TEST(DiskBuffer, StatsCountEveryRecordOnce) {
  TempDir dir;
  ManualClock clock(5'000);
  BufferOptions o = Options(dir);
  auto b = MustOpen(Env::Default(), clock, o);
  BufferStats st = b->Stats();
  EXPECT_EQ(st.pending_records, 0u);
  EXPECT_EQ(st.oldest_pending_ms, -1);
  EXPECT_EQ(st.segments, 1u);
  MustAppend(*b, Payload(1), 100);
  MustAppend(*b, Payload(2), 200);
  MustAppend(*b, Payload(3), 300);
  ASSERT_TRUE(b->Ack(1).ok());
  ASSERT_TRUE(b->Ack(1).ok());  // a repeated ack is a no-op
  st = b->Stats();
  EXPECT_EQ(st.pending_records, 2u);
  EXPECT_EQ(st.pending_bytes, 2 * kFramed100);
  EXPECT_EQ(st.oldest_pending_ms, 200);
  EXPECT_EQ(st.appended_records, 3u);
  EXPECT_EQ(st.acked_records, 1u);
  EXPECT_EQ(st.dropped_records, 0u);
  EXPECT_EQ(st.corrupt_records, 0u);
  uint64_t files = 0;
  auto names = Env::Default().ListDir(o.dir);
  ASSERT_TRUE(names.ok());
  for (const std::string& n : *names)
    if (n != "LOCK") files += Env::Default().FileSize(JoinPath(o.dir, n)).value();
  EXPECT_EQ(st.disk_bytes, files);
  EXPECT_EQ(b->Ack(99).code(), StatusCode::kInvalidArgument);
}

TEST(DiskBuffer, ConcurrentAppendersAndOneSenderDeliverEverything) {
  TempDir dir;
  BufferOptions o = Options(dir);
  o.sync = false;
  o.segment_bytes = SegmentBytesFor(8);
  auto b = MustOpen(Env::Default(), Clock0(), o);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  std::vector<std::thread> inputs;
  for (int t = 0; t < kThreads; ++t) {
    inputs.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) MustAppend(*b, Payload(t * kPerThread + i));
    });
  }
  std::set<std::string> delivered;
  while (delivered.size() < kThreads * kPerThread) {
    auto r = b->Next();
    ASSERT_TRUE(r.ok());
    if (!r->has_value()) {
      std::this_thread::yield();  // the inputs have not caught up yet
      continue;
    }
    delivered.insert((*r)->payload);
    ASSERT_TRUE(b->Ack((*r)->seq).ok());
  }
  for (auto& t : inputs) t.join();
  BufferStats st = b->Stats();
  EXPECT_EQ(st.pending_records, 0u);
  EXPECT_EQ(st.acked_records, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_LE(st.segments, 2u);  // drained segments were deleted
}

}  // namespace
}  // namespace strix::agents::buffer
