// Tests of the agent buffer's byte layout: the record frame field by field, CRC coverage
// (every bit flip is caught), segment names, file headers, the segment scanner at every
// truncation point and the ack log parser.
#include "agents/buffer/internal/format.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

#include "core/coding.h"
#include "core/crc32c.h"
#include "core/testing/temp_dir.h"

namespace strix::agents::buffer::internal {
namespace {

using strix::testing::TempDir;

TEST(AgentBufferFormat, RecordFrameLayoutIsPinned) {
  std::string f;
  AppendRecord(0x0102030405060708ull, -2, "abc", &f);
  ASSERT_EQ(f.size(), kRecordHeaderSize + 3);
  EXPECT_EQ(DecodeFixed32(f.data() + 4), 3u);                         // length
  EXPECT_EQ(DecodeFixed64(f.data() + 8), 0x0102030405060708ull);      // seq
  EXPECT_EQ(static_cast<int64_t>(DecodeFixed64(f.data() + 16)), -2);  // created_ms
  EXPECT_EQ(f.substr(24), "abc");
  // The CRC covers everything after itself.
  EXPECT_EQ(crc32c::Unmask(DecodeFixed32(f.data())), crc32c::Value(f.data() + 4, f.size() - 4));
  EXPECT_EQ(CheckFrame(f, 0x0102030405060708ull), Defect::kNone);
  EXPECT_EQ(CheckFrame(f, 7), Defect::kSeqMismatch);
}

TEST(AgentBufferFormat, EveryBitFlipInAFrameIsDetected) {
  std::string f;
  AppendRecord(42, 1'700'000'000'000, "payload bytes", &f);
  for (size_t bit = 0; bit < f.size() * 8; ++bit) {
    std::string g = f;
    g[bit / 8] = static_cast<char>(g[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_NE(CheckFrame(g, 42), Defect::kNone) << "bit " << bit;
  }
}

TEST(AgentBufferFormat, SegmentNamesAreCanonical) {
  EXPECT_EQ(SegmentFileName(42), "00000000000000000042.seg");
  EXPECT_EQ(ParseSegmentFileName("00000000000000000042.seg"), 42u);
  EXPECT_EQ(ParseSegmentFileName(SegmentFileName(UINT64_MAX)), UINT64_MAX);
  EXPECT_FALSE(ParseSegmentFileName("42.seg"));
  EXPECT_FALSE(ParseSegmentFileName("0000000000000000042.seg"));
  EXPECT_FALSE(ParseSegmentFileName("00000000000000000042.seg.tmp"));
  EXPECT_FALSE(ParseSegmentFileName("0000000000000000004x.seg"));
  EXPECT_FALSE(ParseSegmentFileName("99999999999999999999.seg"));  // above 2^64
  EXPECT_FALSE(ParseSegmentFileName("acks"));
}

TEST(AgentBufferFormat, FileHeaderChecksMagicCrcAndVersion) {
  std::string h;
  AppendFileHeader(kSegmentMagic, 77, &h);
  ASSERT_EQ(h.size(), kFileHeaderSize);
  EXPECT_EQ(h.substr(0, 4), "STXB");
  uint64_t n = 0;
  EXPECT_EQ(ParseFileHeader(h, kSegmentMagic, &n), Defect::kNone);
  EXPECT_EQ(n, 77u);
  EXPECT_EQ(ParseFileHeader(h, kAckLogMagic, &n), Defect::kBadMagic);
  EXPECT_EQ(ParseFileHeader(h.substr(0, 19), kSegmentMagic, &n), Defect::kShortHeader);
  std::string bad = h;
  bad[9] ^= 1;
  EXPECT_EQ(ParseFileHeader(bad, kSegmentMagic, &n), Defect::kBadHeaderCrc);
  std::string v2 = h.substr(0, 16);
  v2[4] = 2;
  PutFixed32(&v2, crc32c::Mask(crc32c::Value(v2.data(), 16)));
  EXPECT_EQ(ParseFileHeader(v2, kSegmentMagic, &n), Defect::kUnsupportedVersion);
}

// A segment of three records, scanned at every length it could be cut to.
TEST(AgentBufferFormat, ScanSegmentKeepsExactlyTheWholeRecordsOfATruncatedFile) {
  std::string image;
  AppendFileHeader(kSegmentMagic, 10, &image);
  std::vector<uint64_t> ends;
  for (int i = 0; i < 3; ++i) {
    AppendRecord(10 + i, i, std::string(30 + i, 'x'), &image);
    ends.push_back(image.size());
  }
  TempDir dir;
  const std::string path = dir.Join(SegmentFileName(10));
  for (size_t len = 0; len <= image.size(); ++len) {
    {
      auto f = Env::Default().NewWritableFile(path);  // no fsync: ~300 files
      ASSERT_TRUE(f.ok());
      ASSERT_TRUE((*f)->Append(image.substr(0, len)).ok());
      ASSERT_TRUE((*f)->Close().ok());
    }
    auto file = Env::Default().NewRandomAccessFile(path);
    ASSERT_TRUE(file.ok());
    std::vector<uint64_t> seqs;
    auto r = ScanSegment(**file, 10, [&](const ScannedRecord& rec) { seqs.push_back(rec.seq); });
    ASSERT_TRUE(r.ok());
    uint64_t whole = 0;
    for (uint64_t e : ends) whole += e <= len;
    EXPECT_EQ(r->records, whole) << len;
    EXPECT_EQ(seqs.size(), whole);
    const uint64_t good =
        len < kFileHeaderSize ? 0 : (whole == 0 ? kFileHeaderSize : ends[whole - 1]);
    EXPECT_EQ(r->good_end, good) << len;
    const bool clean = len == kFileHeaderSize || (whole > 0 && ends[whole - 1] == len);
    EXPECT_EQ(r->defect == Defect::kNone, clean) << len << " " << DefectName(r->defect);
  }
}

TEST(AgentBufferFormat, ScanSegmentRejectsAHeaderForAnotherName) {
  std::string image;
  AppendFileHeader(kSegmentMagic, 5, &image);
  TempDir dir;
  const std::string path = dir.Join("x");
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), path, image).ok());
  auto file = Env::Default().NewRandomAccessFile(path);
  auto r = ScanSegment(**file, 6, [](const ScannedRecord&) {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->defect, Defect::kWrongNumber);
}

TEST(AgentBufferFormat, AckLogParserStopsAtTheFirstBadEntry) {
  std::string log;
  AppendFileHeader(kAckLogMagic, 100, &log);
  AppendAckEntry(101, &log);
  AppendAckEntry(105, &log);
  const uint64_t intact = log.size();
  log.append(kAckEntrySize, '\0');  // zero-filled space is not an entry
  AppendAckEntry(107, &log);
  uint64_t watermark = 0;
  uint64_t good_end = 0;
  std::vector<uint64_t> seqs;
  EXPECT_EQ(ParseAckLog(log, &watermark, &good_end, [&](uint64_t s) { seqs.push_back(s); }),
            Defect::kNone);
  EXPECT_EQ(watermark, 100u);
  EXPECT_EQ(good_end, intact);
  EXPECT_EQ(seqs, (std::vector<uint64_t>{101, 105}));
  // A torn entry at the end.
  seqs.clear();
  EXPECT_EQ(ParseAckLog(std::string_view(log).substr(0, intact - 3), &watermark, &good_end,
                        [&](uint64_t s) { seqs.push_back(s); }),
            Defect::kNone);
  EXPECT_EQ(seqs, (std::vector<uint64_t>{101}));
}

// The fuzz seed valid_3_records (after its layout byte) doubles as the golden file: a
// version-1 segment written by an independent encoder (a Python script) from the format
// document. The writer must still produce it byte for byte.
TEST(AgentBufferFormat, WriterReproducesTheGoldenSegment) {
  const char* src = std::getenv("STRIX_SOURCE_DIR");
  if (src == nullptr) GTEST_SKIP() << "STRIX_SOURCE_DIR not set (run through ctest)";
  auto golden = ReadFileToString(
      Env::Default(), std::string(src) + "/testdata/fuzz/agent_buffer_segment/valid_3_records");
  ASSERT_TRUE(golden.ok()) << golden.status().ToString();
  std::string image;
  AppendFileHeader(kSegmentMagic, 1, &image);
  for (int i = 0; i < 3; ++i)
    AppendRecord(1 + i, 999'000 + i, "cpu,host=a usage=" + std::to_string(i) + " 1700000000",
                 &image);
  EXPECT_EQ(*golden, std::string(1, '\0') + image);
}

}  // namespace
}  // namespace strix::agents::buffer::internal
