// Tests of Dump (`strix dump-wal`): the exact lines for a WAL with a checkpoint, stale
// files and a torn tail; CRC failures shown and stepped over; and no file touched.
#include "storage/wal/dump.h"

#include <gtest/gtest.h>

#include "core/testing/temp_dir.h"
#include "storage/wal/internal/format.h"
#include "storage/wal/wal_testing.h"

namespace strix::storage::wal {
namespace {

using internal::AppendFileHeader;
using internal::AppendRecord;
using internal::FileKind;
using strix::testing::TempDir;
using testing::ReadFile;
using testing::WriteFile;

std::string File(FileKind kind, uint64_t number,
                 std::initializer_list<std::pair<uint8_t, std::string>> records) {
  std::string s;
  AppendFileHeader(kind, number, &s);
  for (const auto& [t, p] : records) AppendRecord(t, p, &s);
  return s;
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos)) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
  return text;
}

TEST(WalDump, ListsFilesRecordsStaleFilesAndTheTornTailExactly) {
  TempDir dir;
  WriteFile(dir.Join("checkpoint.00000002"), File(FileKind::kCheckpoint, 2, {{7, "ab"}}));
  WriteFile(dir.Join("checkpoint.00000002.tmp"), "half-done!");
  WriteFile(dir.Join("00000001"), File(FileKind::kSegment, 1, {{1, "a"}}));
  WriteFile(dir.Join("00000002"), File(FileKind::kSegment, 2, {{1, "c"}, {1, "d"}}));
  std::string torn;
  AppendRecord(1, "fff", &torn);
  WriteFile(dir.Join("00000003"), File(FileKind::kSegment, 3, {{1, "e"}}) + torn.substr(0, 5));
  WriteFile(dir.Join("notes.txt"), "not part of the WAL");

  auto names_before = Env::Default().ListDir(dir.path());
  ASSERT_TRUE(names_before.ok());
  std::vector<std::string> bytes_before;
  for (const auto& n : *names_before) bytes_before.push_back(ReadFile(dir.Join(n)));

  auto text = DumpToString(Env::Default(), dir.path());
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(Replace(*text, dir.path(), "D"),
            "wal dir=\"D\" checkpoint=00000002 segments=2 last_segment=00000003\n"
            "file name=\"checkpoint.00000002\" kind=checkpoint role=replayed bytes=31 header=ok\n"
            "record file=\"checkpoint.00000002\" offset=20 type=7 length=2 crc=ok\n"
            "file name=\"checkpoint.00000002.tmp\" kind=checkpoint role=stale bytes=10 "
            "header=bad\n"
            "defect file=\"checkpoint.00000002.tmp\" offset=0 reason=\"short header\" "
            "bytes_after=10\n"
            "file name=\"00000001\" kind=segment role=stale bytes=30 header=ok\n"
            "record file=\"00000001\" offset=20 type=1 length=1 crc=ok\n"
            "file name=\"00000002\" kind=segment role=live bytes=40 header=ok\n"
            "record file=\"00000002\" offset=20 type=1 length=1 crc=ok\n"
            "record file=\"00000002\" offset=30 type=1 length=1 crc=ok\n"
            "file name=\"00000003\" kind=segment role=live bytes=35 header=ok\n"
            "record file=\"00000003\" offset=20 type=1 length=1 crc=ok\n"
            "defect file=\"00000003\" offset=30 reason=\"short header\" bytes_after=5\n"
            "damage kind=torn-tail segment=00000003 offset=30 reason=\"short header\" "
            "dropped_bytes=5 dropped_segments=0 on_open=truncate\n"
            "summary records=4 checkpoint_records=1 files=5 damage=torn-tail\n");

  // Read-only: same names (no LOCK file, nothing truncated or deleted), same bytes.
  auto names_after = Env::Default().ListDir(dir.path());
  ASSERT_TRUE(names_after.ok());
  EXPECT_EQ(*names_after, *names_before);
  for (size_t i = 0; i < names_before->size(); ++i)
    EXPECT_EQ(ReadFile(dir.Join((*names_before)[i])), bytes_before[i]) << (*names_before)[i];
}

TEST(WalDump, CrcFailureIsShownAndSteppedOverAndCorruptionIsNamed) {
  TempDir dir;
  std::string seg1 = File(FileKind::kSegment, 1, {{1, "good"}, {2, "flipped"}, {3, "after"}});
  seg1[20 + 13 + 9 + 1] ^= 0x20;  // a payload byte of the second record
  WriteFile(dir.Join("00000001"), seg1);
  WriteFile(dir.Join("00000002"), File(FileKind::kSegment, 2, {{1, "next"}}));
  std::vector<std::string> lines;
  Status s = Dump(Env::Default(), dir.path(), [&](std::string_view l) { lines.emplace_back(l); });
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto has = [&](const std::string& prefix) {
    for (const auto& l : lines)
      if (l.rfind(prefix, 0) == 0) return true;
    return false;
  };
  EXPECT_TRUE(has("record file=\"00000001\" offset=33 type=2 length=7 crc=bad stored=0x"));
  EXPECT_TRUE(has("defect file=\"00000001\" offset=33 reason=\"crc mismatch\""));
  EXPECT_TRUE(has("record file=\"00000001\" offset=49 type=3 length=5 crc=ok"));
  EXPECT_TRUE(
      has("damage kind=corruption segment=00000001 offset=33 reason=\"crc mismatch\" "
          "dropped_bytes=" +
          std::to_string(seg1.size() - 33 + 20 + 13) + " dropped_segments=1"));
  EXPECT_EQ(lines.back(), "summary records=1 checkpoint_records=0 files=2 damage=corruption");
}

TEST(WalDump, MissingDirectoryIsNotFound) {
  TempDir dir;
  EXPECT_TRUE(DumpToString(Env::Default(), dir.Join("missing")).status().IsNotFound());
}

}  // namespace
}  // namespace strix::storage::wal
