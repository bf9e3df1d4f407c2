// Dump: a human-readable, line-per-fact listing of a WAL directory for the admin tool's
// `strix dump-wal`. It maps every file read-only and never creates, truncates, renames or
// deletes anything, so it is safe on the directory of a running strixd (a record being
// written at that moment shows up as a torn tail).
//
// Lines (key=value, one fact each; strings with spaces are quoted):
//   wal dir="..." checkpoint=00000003 segments=3 last_segment=00000005
//   file name=00000004 kind=segment role=live bytes=4242 header=ok
//   record file=00000004 offset=20 type=2 length=80000 crc=ok
//   record file=00000004 offset=80029 type=2 length=64 crc=bad stored=0x1a2b3c4d computed=0x...
//   defect file=00000005 offset=160038 reason="length beyond end of file" bytes_after=17
//   damage kind=torn-tail segment=00000005 offset=160038 reason="..." dropped_bytes=17
//          dropped_segments=0 on_open="truncate"
//   summary records=42 checkpoint_records=2 files=4 damage=torn-tail
// A record whose CRC fails but whose length stays inside the file is shown with crc=bad
// and the walk continues after it (for diagnosis); a reader stops at it.
//
// Thread-safety: pure functions over an Env (which may be used concurrently).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/env.h"
#include "core/result.h"
#include "core/status.h"

namespace strix::storage::wal {

using DumpLineFn = std::function<void(std::string_view line)>;

// Writes the lines for the WAL in `dir` to `out`. Damage is described, not an error: it
// returns OK unless reading itself failed (an I/O error, an unsupported format version),
// and then only after printing everything it could. NotFound if `dir` does not exist.
Status Dump(Env& env, const std::string& dir, const DumpLineFn& out);
// The same lines, each ending in '\n' (or Dump's error).
Result<std::string> DumpToString(Env& env, const std::string& dir);

struct FileDumpSummary {
  uint64_t records = 0;      // frames with a good CRC
  uint64_t bad_records = 0;  // frames shown with crc=bad
  bool has_defect = false;   // the walk ended at a defect rather than the end of file
  uint64_t defect_offset = 0;
};
// The "file", "record" and "defect" lines of one file image. `name` decides the kind
// (checkpoint.N or a segment number) and the expected number; `role` is printed as is.
// Total on any bytes (it is fuzzed).
FileDumpSummary DumpFileImage(std::string_view image, std::string_view name, std::string_view role,
                              const DumpLineFn& out);

}  // namespace strix::storage::wal
