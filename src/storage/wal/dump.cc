// Dump: lists a WAL directory file by file and record by record, then states what the
// Reader (and so Wal::Open) makes of it. Read-only: only ListDir, MapReadOnly and
// FileSize are called on the Env.
#include "storage/wal/dump.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

#include "storage/wal/internal/format.h"
#include "storage/wal/reader.h"

namespace strix::storage::wal {

using internal::Defect;
using internal::DefectName;
using internal::FileKind;
using internal::Frame;
using internal::kFileHeaderSize;
using internal::NameKind;
using internal::SegmentFileName;

namespace {

std::string NumberOrNone(const std::optional<uint64_t>& n) {
  return n ? SegmentFileName(*n) : std::string("none");
}

}  // namespace

FileDumpSummary DumpFileImage(std::string_view image, std::string_view name, std::string_view role,
                              const DumpLineFn& out) {
  FileDumpSummary sum;
  const auto parsed = internal::ParseFileName(name);
  const FileKind kind =
      parsed && parsed->kind != NameKind::kSegment ? FileKind::kCheckpoint : FileKind::kSegment;
  internal::FileHeader header;
  Defect hd = internal::ParseFileHeader(image, &header);
  if (hd == Defect::kNone && header.kind != kind) hd = Defect::kWrongKind;
  if (hd == Defect::kNone && parsed && header.number != parsed->number) hd = Defect::kWrongNumber;
  out(fmt::format("file name={:?} kind={} role={} bytes={} header={}", std::string(name),
                  kind == FileKind::kCheckpoint ? "checkpoint" : "segment", std::string(role),
                  image.size(), hd == Defect::kNone ? "ok" : "bad"));
  auto defect = [&](uint64_t offset, Defect d) {
    out(fmt::format("defect file={:?} offset={} reason=\"{}\" bytes_after={}", std::string(name),
                    offset, DefectName(d), image.size() - offset));
    if (!sum.has_defect) {
      sum.has_defect = true;
      sum.defect_offset = offset;
    }
  };
  if (hd != Defect::kNone) {
    defect(0, hd);
    return sum;
  }
  uint64_t pos = kFileHeaderSize;
  while (pos < image.size()) {
    Frame f;
    const Defect d = internal::ParseRecord(image, pos, &f);
    if (d == Defect::kNone) {
      out(fmt::format("record file={:?} offset={} type={} length={} crc=ok", std::string(name), pos,
                      f.type, f.payload.size()));
      ++sum.records;
      pos += f.size();
      continue;
    }
    if (d != Defect::kCrcMismatch && d != Defect::kBadType) {  // cannot frame past this
      defect(pos, d);
      break;
    }
    // The length is in bounds, so the frame can be shown and stepped over.
    const bool crc_ok = f.stored_crc == f.computed_crc;
    out(
        fmt::format("record file={:?} offset={} type={} length={} crc={} stored={:#010x} "
                    "computed={:#010x}",
                    std::string(name), pos, f.type, f.payload.size(), crc_ok ? "ok" : "bad",
                    f.stored_crc, f.computed_crc));
    ++sum.bad_records;
    defect(pos, d);
    pos += f.size();
  }
  return sum;
}

Status Dump(Env& env, const std::string& dir, const DumpLineFn& out) {
  STRIX_ASSIGN_OR_RETURN(std::vector<std::string> names, env.ListDir(dir));
  auto reader = Reader::Open(env, dir);  // kTruncate: damage is described, not an error

  // Every WAL file, checkpoints first, each group by number.
  std::vector<std::tuple<int, uint64_t, std::string>> files;
  for (const std::string& name : names) {
    auto parsed = internal::ParseFileName(name);
    if (!parsed) continue;
    files.emplace_back(parsed->kind == NameKind::kSegment ? 1 : 0, parsed->number, name);
  }
  std::sort(files.begin(), files.end());

  std::map<std::string, std::string> roles;
  if (reader.ok()) {
    const Reader& r = **reader;
    out(fmt::format("wal dir={:?} checkpoint={} segments={} last_segment={}", dir,
                    NumberOrNone(r.checkpoint()), r.segments().size(),
                    NumberOrNone(r.last_segment())));
    if (r.checkpoint()) roles[internal::CheckpointFileName(*r.checkpoint())] = "replayed";
    for (uint64_t c : r.bad_checkpoints()) roles[internal::CheckpointFileName(c)] = "corrupt";
    for (uint64_t s : r.segments()) roles[SegmentFileName(s)] = "live";
    for (const std::string& s : r.stale_files()) roles[s] = "stale";
  } else {
    out(fmt::format("wal dir={:?} error={:?}", dir, reader.status().ToString()));
  }

  for (const auto& [group, number, name] : files) {
    auto role = roles.find(name);
    std::string_view role_name = role != roles.end() ? std::string_view(role->second)
                                 : reader.ok()       ? "ignored"
                                                     : "unknown";
    auto region = env.MapReadOnly(JoinPath(dir, name));
    if (!region.ok()) {
      out(fmt::format("file name={:?} error={:?}", name, region.status().ToString()));
      continue;
    }
    DumpFileImage((*region)->data(), name, role_name, out);
  }

  if (!reader.ok()) return reader.status();
  Reader& r = **reader;
  uint64_t checkpoint_records = 0;
  RecordView rec;
  while (r.Next(&rec)) checkpoint_records += rec.from_checkpoint ? 1 : 0;
  std::string_view damage_kind = "none";
  if (const auto& d = r.damage()) {
    damage_kind = DamageKindName(d->kind);
    out(fmt::format(
        "damage kind={} segment={} offset={} reason=\"{}\" dropped_bytes={} dropped_segments={} "
        "on_open={}",
        damage_kind, SegmentFileName(d->segment), d->offset, d->reason, d->dropped_bytes,
        d->dropped_segments,
        d->kind == Damage::Kind::kTornTail ? "truncate"
                                           : "\"kTruncate drops the rest, kFail refuses\""));
  }
  if (!r.status().ok()) out(fmt::format("error status={:?}", r.status().ToString()));
  out(fmt::format("summary records={} checkpoint_records={} files={} damage={}", r.records_read(),
                  checkpoint_records, files.size(), damage_kind));
  return r.status();
}

Result<std::string> DumpToString(Env& env, const std::string& dir) {
  std::string text;
  Status s = Dump(env, dir, [&](std::string_view line) {
    text.append(line);
    text.push_back('\n');
  });
  if (!s.ok()) return s;
  return text;
}

}  // namespace strix::storage::wal
