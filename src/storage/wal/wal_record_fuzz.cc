// Fuzz target wal_record: arbitrary bytes parsed as a WAL segment and as a checkpoint,
// through the same cursor the Reader uses and through the dump tool's walk. Both must be
// total: no crash, no read outside the input, no allocation driven by a length field.
// Seeds: testdata/fuzz/wal_record/ (segments from the writer, torn copies, garbage).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/check.h"
#include "storage/wal/dump.h"
#include "storage/wal/internal/format.h"

namespace {

using namespace strix::storage::wal;
using namespace strix::storage::wal::internal;

void Walk(std::string_view image, FileKind kind, uint64_t number) {
  FileCursor cursor(image, kind, number);
  Frame f;
  uint64_t end = 0;
  while (cursor.Next(&f)) {
    // Every good frame lies inside the image and the frames tile it.
    STRIX_CHECK(f.offset == (end == 0 ? kFileHeaderSize : end));
    STRIX_CHECK(f.offset + f.size() <= image.size());
    STRIX_CHECK(f.type != 0);
    end = f.offset + f.size();
  }
  STRIX_CHECK(cursor.good_end() <= image.size());
  if (cursor.defect() == Defect::kNone) STRIX_CHECK(cursor.good_end() == image.size());
  (void)DefectName(cursor.defect());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view image(reinterpret_cast<const char*>(data), size);
  // The number the file name would claim: taken from the header when there is one, so
  // that the fuzzer can reach the records.
  uint64_t number = 1;
  FileHeader header;
  if (ParseFileHeader(image, &header) == Defect::kNone) number = header.number;
  Walk(image, FileKind::kSegment, number);
  Walk(image, FileKind::kCheckpoint, number);
  uint64_t lines = 0;
  auto count = [&](std::string_view) { ++lines; };
  FileDumpSummary s = DumpFileImage(image, SegmentFileName(number), "live", count);
  STRIX_CHECK(lines >= 1);
  STRIX_CHECK(!s.has_defect || s.defect_offset <= size);
  DumpFileImage(image, CheckpointFileName(number), "replayed", count);
  return 0;
}
