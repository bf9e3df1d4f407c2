// Tests of the Reader: golden file, reading from a segment, gaps, versions, checkpoint
// choice, and that reading never changes a file.
#include "storage/wal/reader.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "core/coding.h"
#include "core/crc32c.h"
#include "core/testing/temp_dir.h"
#include "storage/wal/internal/format.h"
#include "storage/wal/wal.h"
#include "storage/wal/wal_testing.h"

namespace strix::storage::wal {
namespace {

using internal::CheckpointFileName;
using internal::SegmentFileName;
using strix::testing::TempDir;
using testing::ReadAll;
using testing::ReadFile;
using testing::ReadRecord;
using testing::WalFiles;
using testing::WriteFile;

std::string SourceDir() {
  const char* s = std::getenv("STRIX_SOURCE_DIR");
  return s != nullptr ? s : ".";
}

std::vector<ReadRecord> GoldenRecords() {
  std::string bin;
  for (int i = 0; i < 32; ++i) bin.push_back(static_cast<char>(i));
  return {{1, "series 1 cpu_seconds_total{host=\"a\",mode=\"user\"}"},
          {2, bin},
          {3, ""},
          {255, "delete 1 0..1000"}};
}

// A WAL whose every record sits in a segment of its own: record i (0-based) in segment
// i + 1. Returns the payloads.
std::vector<std::string> WriteOneRecordPerSegment(const std::string& dir, int n) {
  WalOptions o;
  o.segment_bytes = 64;  // header 20 + a 40-byte payload framed as 49 > 64
  auto wal = Wal::Open(Env::Default(), dir, o);
  EXPECT_TRUE(wal.ok()) << wal.status().ToString();
  std::vector<std::string> payloads;
  for (int i = 0; i < n; ++i) {
    payloads.push_back(std::string(39, 'a' + i) + std::to_string(i % 10));
    EXPECT_TRUE((*wal)->Append(Record{2, payloads.back()}).ok());
  }
  return payloads;
}

TEST(WalGolden, GoldenSegmentParsesToKnownRecords) {
  const std::string dir = SourceDir() + "/testdata/wal/golden";
  std::optional<Damage> damage;
  auto records = ReadAll(Env::Default(), dir, {}, &damage);
  EXPECT_EQ(records, GoldenRecords());
  EXPECT_FALSE(damage.has_value());
  auto reader = Reader::Open(Env::Default(), dir);
  ASSERT_TRUE(reader.ok());
  RecordView v;
  std::vector<uint64_t> offsets;
  while ((*reader)->Next(&v)) offsets.push_back(v.offset);
  EXPECT_EQ(offsets, (std::vector<uint64_t>{20, 77, 118, 127}));
}

TEST(WalGolden, WriterStillProducesTheGoldenBytes) {
  TempDir dir;
  {
    auto wal = Wal::Open(Env::Default(), dir.path());
    ASSERT_TRUE(wal.ok());
    auto golden = GoldenRecords();
    std::vector<Record> recs;
    for (const auto& r : golden) recs.push_back({r.type, r.payload});
    ASSERT_TRUE((*wal)->Append(std::span<const Record>(recs.data(), 2)).ok());
    ASSERT_TRUE((*wal)->Append(std::span<const Record>(recs.data() + 2, 2)).ok());
  }
  EXPECT_EQ(ReadFile(dir.Join("00000001")),
            ReadFile(SourceDir() + "/testdata/wal/golden/00000001"));
}

TEST(WalReader, MissingDirectoryIsNotFound) {
  TempDir dir;
  auto r = Reader::Open(Env::Default(), dir.Join("nope"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound());
}

TEST(WalReader, EmptyDirectoryHasNoRecordsAndNoDamage) {
  TempDir dir;
  std::optional<Damage> damage;
  EXPECT_TRUE(ReadAll(Env::Default(), dir.path(), {}, &damage).empty());
  EXPECT_FALSE(damage);
}

TEST(WalReader, ForeignFilesAreIgnored) {
  TempDir dir;
  auto payloads = WriteOneRecordPerSegment(dir.path(), 2);
  WriteFile(dir.Join("notes.txt"), "hello");
  WriteFile(dir.Join("0000001"), "seven digits: not a segment");
  EXPECT_EQ(ReadAll(Env::Default(), dir.path()).size(), 2u);
}

TEST(WalReader, FromSegmentStartsThere) {
  TempDir dir;
  auto payloads = WriteOneRecordPerSegment(dir.path(), 5);
  ReadOptions o;
  o.from_segment = 3;
  auto recs = ReadAll(Env::Default(), dir.path(), o);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].payload, payloads[2]);
  EXPECT_EQ(recs[0].segment, 3u);
  EXPECT_EQ(recs[2].payload, payloads[4]);
  o.from_segment = 100;
  EXPECT_TRUE(ReadAll(Env::Default(), dir.path(), o).empty());
}

TEST(WalReader, GapInSegmentNumbersStopsOrFailsByPolicy) {
  TempDir dir;
  auto payloads = WriteOneRecordPerSegment(dir.path(), 4);
  const uint64_t seg4 = *Env::Default().FileSize(dir.Join("00000004"));
  ASSERT_TRUE(Env::Default().RemoveFile(dir.Join("00000003")).ok());

  std::optional<Damage> damage;
  auto recs = ReadAll(Env::Default(), dir.path(), {}, &damage);
  ASSERT_EQ(recs.size(), 2u);
  ASSERT_TRUE(damage);
  EXPECT_EQ(damage->kind, Damage::Kind::kMissingSegment);
  EXPECT_EQ(damage->segment, 3u);
  EXPECT_EQ(damage->dropped_segments, 1u);
  EXPECT_EQ(damage->dropped_bytes, seg4);

  ReadOptions fail;
  fail.on_corruption = CorruptionPolicy::kFail;
  auto r = Reader::Open(Env::Default(), dir.path(), fail);
  ASSERT_TRUE(r.ok());
  RecordView v;
  int n = 0;
  while ((*r)->Next(&v)) ++n;
  EXPECT_EQ(n, 2);
  EXPECT_TRUE((*r)->status().IsCorruption());
  EXPECT_NE((*r)->status().ToString().find("segment 00000003"), std::string::npos)
      << (*r)->status().ToString();
}

TEST(WalReader, UnsupportedVersionFailsEvenUnderTruncate) {
  TempDir dir;
  WriteOneRecordPerSegment(dir.path(), 2);
  std::string seg = ReadFile(dir.Join("00000001"));
  seg[4] = 2;  // version 2, with a header CRC that matches
  EncodeFixed32(seg.data() + 16, crc32c::Mask(crc32c::Value(seg.data(), 16)));
  WriteFile(dir.Join("00000001"), seg);
  auto r = Reader::Open(Env::Default(), dir.path());
  ASSERT_TRUE(r.ok());
  RecordView v;
  EXPECT_FALSE((*r)->Next(&v));
  EXPECT_EQ((*r)->status().code(), StatusCode::kUnimplemented);
  EXPECT_FALSE((*r)->damage());
}

TEST(WalReader, MisplacedLastSegmentIsCorruptionNotTornTail) {
  TempDir dir;
  WriteOneRecordPerSegment(dir.path(), 2);
  // Segment 1's bytes under the name of segment 2: a good header that claims number 1.
  WriteFile(dir.Join("00000002"), ReadFile(dir.Join("00000001")));
  std::optional<Damage> damage;
  auto recs = ReadAll(Env::Default(), dir.path(), {}, &damage);
  EXPECT_EQ(recs.size(), 1u);
  ASSERT_TRUE(damage);
  EXPECT_EQ(damage->kind, Damage::Kind::kCorruption);
  EXPECT_EQ(damage->segment, 2u);
  EXPECT_EQ(damage->offset, 0u);
  EXPECT_EQ(damage->reason, "header number differs from file name");
}

TEST(WalReader, TornTailOfLastSegmentIsReportedAndNothingIsModified) {
  TempDir dir;
  auto payloads = WriteOneRecordPerSegment(dir.path(), 3);
  std::string last = ReadFile(dir.Join("00000003"));
  WriteFile(dir.Join("00000003"), last.substr(0, last.size() - 5));
  auto before = WalFiles(dir.path());
  std::vector<std::string> bytes;
  for (const auto& f : before) bytes.push_back(ReadFile(dir.Join(f)));

  std::optional<Damage> damage;
  ReadOptions fail;
  fail.on_corruption = CorruptionPolicy::kFail;  // torn tails are never an error
  auto recs = ReadAll(Env::Default(), dir.path(), fail, &damage);
  EXPECT_EQ(recs.size(), 2u);
  ASSERT_TRUE(damage);
  EXPECT_EQ(damage->kind, Damage::Kind::kTornTail);
  EXPECT_EQ(damage->segment, 3u);
  EXPECT_EQ(damage->offset, internal::kFileHeaderSize);
  EXPECT_EQ(damage->dropped_bytes, last.size() - 5 - internal::kFileHeaderSize);
  EXPECT_EQ(damage->reason, "length beyond end of file");

  EXPECT_EQ(WalFiles(dir.path()), before);
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(ReadFile(dir.Join(before[i])), bytes[i]);
}

TEST(WalReader, NewestValidCheckpointWinsAndCorruptOneIsSkippedOrFatal) {
  TempDir dir;
  std::string ckpt2, ckpt3;
  internal::AppendFileHeader(internal::FileKind::kCheckpoint, 2, &ckpt2);
  internal::AppendRecord(1, "state-at-2", &ckpt2);
  internal::AppendFileHeader(internal::FileKind::kCheckpoint, 3, &ckpt3);
  internal::AppendRecord(1, "state-at-3", &ckpt3);
  WriteOneRecordPerSegment(dir.path(), 4);
  WriteFile(dir.Join(CheckpointFileName(2)), ckpt2);
  WriteFile(dir.Join(CheckpointFileName(3)), ckpt3);

  auto recs = ReadAll(Env::Default(), dir.path());
  ASSERT_EQ(recs.size(), 3u);  // checkpoint 3, segments 3 and 4
  EXPECT_EQ(recs[0].payload, "state-at-3");
  EXPECT_TRUE(recs[0].from_checkpoint);
  EXPECT_EQ(recs[1].segment, 3u);
  {
    auto r = Reader::Open(Env::Default(), dir.path());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)->checkpoint(), 3u);
    EXPECT_EQ((*r)->stale_files(),
              (std::vector<std::string>{CheckpointFileName(2), "00000001", "00000002"}));
  }

  ckpt3[ckpt3.size() - 1] ^= 0x40;  // checkpoint 3 is now corrupt
  WriteFile(dir.Join(CheckpointFileName(3)), ckpt3);
  recs = ReadAll(Env::Default(), dir.path());
  ASSERT_EQ(recs.size(), 4u);  // checkpoint 2, then segments 2, 3 and 4
  EXPECT_EQ(recs[0].payload, "state-at-2");
  {
    auto r = Reader::Open(Env::Default(), dir.path());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)->bad_checkpoints(), (std::vector<uint64_t>{3}));
  }
  ReadOptions fail;
  fail.on_corruption = CorruptionPolicy::kFail;
  auto r = Reader::Open(Env::Default(), dir.path(), fail);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsCorruption());
  EXPECT_NE(r.status().ToString().find("checkpoint.00000003"), std::string::npos);
}

TEST(WalReader, CheckpointIsReadOnlyWhenItStandsInForTheStartSegment) {
  TempDir dir;
  WriteOneRecordPerSegment(dir.path(), 4);
  std::string ckpt;
  internal::AppendFileHeader(internal::FileKind::kCheckpoint, 3, &ckpt);
  internal::AppendRecord(1, "state", &ckpt);
  WriteFile(dir.Join(CheckpointFileName(3)), ckpt);
  ReadOptions o;
  o.from_segment = 2;  // inside the checkpoint: the checkpoint, then 3 and 4
  auto recs = ReadAll(Env::Default(), dir.path(), o);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_TRUE(recs[0].from_checkpoint);
  o.from_segment = 4;
  recs = ReadAll(Env::Default(), dir.path(), o);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].segment, 4u);
}

}  // namespace
}  // namespace strix::storage::wal
