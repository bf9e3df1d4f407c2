// Tests of the WAL's byte format: names, file header, record frame, and the decoder's
// verdict on every kind of damage (docs/format/wal.md).
#include "storage/wal/internal/format.h"

#include <gtest/gtest.h>

#include "core/coding.h"
#include "core/crc32c.h"

namespace strix::storage::wal::internal {
namespace {

std::string Segment(std::initializer_list<std::pair<uint8_t, std::string>> records,
                    uint64_t number = 1) {
  std::string s;
  AppendFileHeader(FileKind::kSegment, number, &s);
  for (const auto& [t, p] : records) AppendRecord(t, p, &s);
  return s;
}

TEST(WalFileNames, SegmentAndCheckpointNamesRoundTrip) {
  EXPECT_EQ(SegmentFileName(1), "00000001");
  EXPECT_EQ(SegmentFileName(123456789), "123456789");
  EXPECT_EQ(CheckpointFileName(42), "checkpoint.00000042");
  EXPECT_EQ(CheckpointTempFileName(42), "checkpoint.00000042.tmp");
  for (uint64_t n :
       {uint64_t{0}, uint64_t{7}, uint64_t{99999999}, uint64_t{100000000}, UINT64_MAX}) {
    auto s = ParseFileName(SegmentFileName(n));
    ASSERT_TRUE(s) << n;
    EXPECT_EQ(s->kind, NameKind::kSegment);
    EXPECT_EQ(s->number, n);
    auto c = ParseFileName(CheckpointFileName(n));
    ASSERT_TRUE(c);
    EXPECT_EQ(c->kind, NameKind::kCheckpoint);
    EXPECT_EQ(c->number, n);
    auto t = ParseFileName(CheckpointTempFileName(n));
    ASSERT_TRUE(t);
    EXPECT_EQ(t->kind, NameKind::kCheckpointTemp);
    EXPECT_EQ(t->number, n);
  }
}

TEST(WalFileNames, ForeignNamesAreNotWalFiles) {
  for (const char* n : {"LOCK", "0000001", "000000001", "0000000a", "18446744073709551616",
                        "00000001.tmp", "checkpoint.", "checkpoint.1", "checkpoint.00000001.bak",
                        "checkpoint..tmp", "", "-0000001"}) {
    EXPECT_FALSE(ParseFileName(n)) << n;
  }
}

TEST(WalFormat, FileHeaderLayoutIsLittleEndianWithMaskedCrc) {
  std::string h;
  AppendFileHeader(FileKind::kSegment, 0x0102030405060708ull, &h);
  ASSERT_EQ(h.size(), kFileHeaderSize);
  EXPECT_EQ(h.substr(0, 4), "STXW");
  EXPECT_EQ(h[4], 1);  // version
  EXPECT_EQ(h[5], 1);  // kind: segment
  EXPECT_EQ(h[6], 0);
  EXPECT_EQ(h[7], 0);
  EXPECT_EQ(static_cast<uint8_t>(h[8]), 0x08);  // number, low byte first
  EXPECT_EQ(static_cast<uint8_t>(h[15]), 0x01);
  EXPECT_EQ(DecodeFixed32(h.data() + 16), crc32c::Mask(crc32c::Value(h.data(), 16)));
  FileHeader parsed;
  ASSERT_EQ(ParseFileHeader(h, &parsed), Defect::kNone);
  EXPECT_EQ(parsed.number, 0x0102030405060708ull);
  EXPECT_EQ(parsed.kind, FileKind::kSegment);
}

TEST(WalFormat, RecordFrameIsCrcLengthTypePayload) {
  std::string r;
  AppendRecord(7, "hello", &r);
  ASSERT_EQ(r.size(), kRecordHeaderSize + 5);
  EXPECT_EQ(DecodeFixed32(r.data() + 4), 5u);
  EXPECT_EQ(r[8], 7);
  EXPECT_EQ(r.substr(9), "hello");
  // The CRC covers length, type and payload: the 5 + 5 bytes after it.
  EXPECT_EQ(crc32c::Unmask(DecodeFixed32(r.data())), crc32c::Value(r.data() + 4, 10));
}

TEST(WalFormat, CrcCoversTypeLengthAndPayload) {
  std::string seg = Segment({{2, "payload"}});
  for (size_t i = kFileHeaderSize + 4; i < seg.size(); ++i) {
    if (i >= kFileHeaderSize + 4 && i < kFileHeaderSize + 8) continue;  // length: below
    std::string bad = seg;
    bad[i] ^= 0x01;
    Frame f;
    EXPECT_EQ(ParseRecord(bad, kFileHeaderSize, &f), Defect::kCrcMismatch) << "byte " << i;
  }
  // A smaller length stays in bounds and is caught by the CRC; a larger one points past
  // the end of the file.
  std::string shorter = seg;
  EncodeFixed32(shorter.data() + kFileHeaderSize + 4, 3);
  Frame f;
  EXPECT_EQ(ParseRecord(shorter, kFileHeaderSize, &f), Defect::kCrcMismatch);
  std::string longer = seg;
  EncodeFixed32(longer.data() + kFileHeaderSize + 4, 8);
  EXPECT_EQ(ParseRecord(longer, kFileHeaderSize, &f), Defect::kLengthBeyondEof);
}

TEST(WalFormat, CursorYieldsRecordsInOrderAndStopsCleanAtEof) {
  std::string seg = Segment({{1, "a"}, {2, ""}, {255, std::string(1000, 'z')}}, 9);
  FileCursor c(seg, FileKind::kSegment, 9);
  Frame f;
  ASSERT_TRUE(c.Next(&f));
  EXPECT_EQ(f.type, 1);
  EXPECT_EQ(f.payload, "a");
  EXPECT_EQ(f.offset, kFileHeaderSize);
  ASSERT_TRUE(c.Next(&f));
  EXPECT_EQ(f.type, 2);
  EXPECT_EQ(f.payload, "");
  ASSERT_TRUE(c.Next(&f));
  EXPECT_EQ(f.payload.size(), 1000u);
  EXPECT_FALSE(c.Next(&f));
  EXPECT_EQ(c.defect(), Defect::kNone);
  EXPECT_EQ(c.good_end(), seg.size());
  EXPECT_EQ(c.records(), 3u);
}

TEST(WalFormat, CursorNamesEachDefect) {
  const std::string good = Segment({{1, "first"}, {2, "second"}});
  const uint64_t second = kFileHeaderSize + kRecordHeaderSize + 5;
  auto verdict = [](const std::string& image, FileKind kind = FileKind::kSegment,
                    std::optional<uint64_t> number = 1) {
    FileCursor c(image, kind, number);
    Frame f;
    while (c.Next(&f)) {
    }
    return std::make_pair(c.defect(), c.good_end());
  };
  EXPECT_EQ(verdict(good.substr(0, second + 4)), std::make_pair(Defect::kShortHeader, second));
  EXPECT_EQ(verdict(good.substr(0, good.size() - 1)),
            std::make_pair(Defect::kLengthBeyondEof, second));
  EXPECT_EQ(verdict(good + std::string(4096, '\0')),
            std::make_pair(Defect::kZeroFilled, uint64_t{good.size()}));
  EXPECT_EQ(verdict(good + std::string(3, '\0')),
            std::make_pair(Defect::kZeroFilled, uint64_t{good.size()}));
  EXPECT_EQ(verdict(""), std::make_pair(Defect::kShortHeader, uint64_t{0}));
  EXPECT_EQ(verdict(std::string(100, '\0')), std::make_pair(Defect::kZeroFilled, uint64_t{0}));
  EXPECT_EQ(verdict(good.substr(0, 10)), std::make_pair(Defect::kShortHeader, uint64_t{0}));
  std::string magic = good;
  magic[0] = 'X';
  EXPECT_EQ(verdict(magic).first, Defect::kBadMagic);
  std::string hcrc = good;
  hcrc[9] ^= 1;
  EXPECT_EQ(verdict(hcrc).first, Defect::kBadHeaderCrc);
  EXPECT_EQ(verdict(good, FileKind::kCheckpoint).first, Defect::kWrongKind);
  EXPECT_EQ(verdict(good, FileKind::kSegment, 2).first, Defect::kWrongNumber);
  EXPECT_EQ(verdict(good, FileKind::kSegment, std::nullopt).first, Defect::kNone);

  // A future version with a good header CRC.
  std::string v2 = good;
  v2[4] = 2;
  EncodeFixed32(v2.data() + 16, crc32c::Mask(crc32c::Value(v2.data(), 16)));
  EXPECT_EQ(verdict(v2).first, Defect::kUnsupportedVersion);

  // Type 0 with a correct CRC (never written by Wal::Append).
  std::string type0;
  AppendFileHeader(FileKind::kSegment, 1, &type0);
  AppendRecord(0, "x", &type0);
  EXPECT_EQ(verdict(type0), std::make_pair(Defect::kBadType, uint64_t{kFileHeaderSize}));

  // A length above the maximum that would still fit the file is refused.
  std::string huge;
  AppendFileHeader(FileKind::kSegment, 1, &huge);
  huge.append(kRecordHeaderSize, '\1');
  EncodeFixed32(huge.data() + kFileHeaderSize + 4, kMaxRecordPayload + 1);
  EXPECT_EQ(verdict(huge).first, Defect::kLengthBeyondEof);
}

TEST(WalFormat, EveryTruncationOfAValidSegmentEndsAtARecordBoundary) {
  const std::string seg = Segment({{1, "a"}, {2, "bb"}, {3, "ccc"}});
  std::vector<uint64_t> boundaries = {kFileHeaderSize};
  for (size_t len : {1, 2, 3}) boundaries.push_back(boundaries.back() + kRecordHeaderSize + len);
  for (size_t cut = 0; cut <= seg.size(); ++cut) {
    FileCursor c(std::string_view(seg).substr(0, cut), FileKind::kSegment, 1);
    Frame f;
    while (c.Next(&f)) {
    }
    uint64_t expect = 0;
    for (uint64_t b : boundaries)
      if (b <= cut) expect = b;
    EXPECT_EQ(c.good_end(), expect) << "cut " << cut;
    EXPECT_EQ(c.defect() == Defect::kNone, cut == expect && cut >= kFileHeaderSize)
        << "cut " << cut;
  }
}

}  // namespace
}  // namespace strix::storage::wal::internal
