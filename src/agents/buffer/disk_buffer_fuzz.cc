// Fuzz target agent_buffer_segment: arbitrary bytes laid down as buffer files in a temp
// directory, then DiskBuffer::Open, a full drain (Next/Ack), one Append, a reopen and a
// second drain. Recovery must be total: Open either fails cleanly or yields a buffer whose
// records are whole and unique, and which keeps working.
//
// The first input byte picks the layout (the rest of the input is `body`):
//   0: body is the only segment, named after the first seq its header claims (or 1);
//   1: body is the ack log, beside a valid segment of five records (seqs 1..5);
//   2: body is an older segment, followed by a valid segment (the body is not the last
//      file, so its damage is corruption rather than a torn tail).
// Seeds: testdata/fuzz/agent_buffer_segment/.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "agents/buffer/disk_buffer.h"
#include "agents/buffer/internal/format.h"
#include "core/check.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/log.h"
#include "core/testing/temp_dir.h"

namespace strix::agents::buffer {
namespace {

void WriteFile(const std::string& path, std::string_view data) {
  STRIX_CHECK(WriteFileAtomically(Env::Default(), path, data).ok());
}

std::string ValidSegment(uint64_t first_seq, int records) {
  std::string s;
  internal::AppendFileHeader(internal::kSegmentMagic, first_seq, &s);
  for (int i = 0; i < records; ++i)
    internal::AppendRecord(first_seq + i, 1000 + i, "cpu usage=" + std::to_string(i), &s);
  return s;
}

// Drains the buffer; checks that seqs come out unique and that all pending are delivered.
void Drain(DiskBuffer& b) {
  std::set<uint64_t> seen;
  const uint64_t pending = b.Stats().pending_records;
  while (true) {
    auto r = b.Next();
    if (!r.ok() || !r->has_value()) break;
    STRIX_CHECK(seen.insert((*r)->seq).second);
    STRIX_CHECK(b.Ack((*r)->seq).ok());
  }
  STRIX_CHECK(seen.size() + b.Stats().corrupt_records >= pending);
  STRIX_CHECK(b.Stats().pending_records == 0);
}

void FuzzOne(const uint8_t* data, size_t size) {
  static strix::testing::TempDir* root = new strix::testing::TempDir();
  if (size == 0) return;
  log::LogCapture quiet;  // damage is logged at every other input: keep stderr readable
  const uint8_t mode = data[0] % 3;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);

  const std::string dir = root->Join("buf");
  STRIX_CHECK(RemoveAll(Env::Default(), dir).ok());
  STRIX_CHECK(Env::Default().CreateDirs(dir).ok());
  uint64_t first_seq = 1;
  uint64_t number = 0;
  if (internal::ParseFileHeader(body, internal::kSegmentMagic, &number) == internal::Defect::kNone)
    first_seq = number;
  switch (mode) {
    case 0:
      WriteFile(JoinPath(dir, internal::SegmentFileName(first_seq)), body);
      break;
    case 1:
      WriteFile(JoinPath(dir, internal::SegmentFileName(1)), ValidSegment(1, 5));
      WriteFile(JoinPath(dir, std::string(internal::kAckLogName)), body);
      break;
    default:
      WriteFile(JoinPath(dir, internal::SegmentFileName(first_seq)), body);
      if (first_seq < (uint64_t{1} << 61)) {
        const uint64_t next = first_seq + (uint64_t{1} << 32);
        WriteFile(JoinPath(dir, internal::SegmentFileName(next)), ValidSegment(next, 3));
      }
      break;
  }

  ManualClock clock(1'000'000);
  BufferOptions o;
  o.dir = dir;
  o.segment_bytes = 4096;
  o.sync = false;
  uint64_t appended = 0;
  {
    auto b = DiskBuffer::Open(Env::Default(), clock, o);
    if (!b.ok()) return;  // e.g. a newer version: a clean refusal is fine
    Drain(**b);
    auto seq = (*b)->Append("fuzz", clock.NowMillis());
    if (!seq.ok()) return;
    appended = *seq;
    STRIX_CHECK((*b)->Sync().ok());
  }
  auto b = DiskBuffer::Open(Env::Default(), clock, o);
  STRIX_CHECK(b.ok());
  STRIX_CHECK((*b)->Stats().corrupt_records == 0);  // the first open repaired everything
  auto r = (*b)->Next();
  STRIX_CHECK(r.ok() && r->has_value());
  STRIX_CHECK((*r)->seq == appended && (*r)->payload == "fuzz");
  STRIX_CHECK((*b)->Ack(appended).ok());
  Drain(**b);
}

}  // namespace
}  // namespace strix::agents::buffer

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strix::agents::buffer::FuzzOne(data, size);
  return 0;
}
