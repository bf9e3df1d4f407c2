// The payloads the head writes to the WAL (the WAL itself treats them as opaque typed
// records; docs/format/wal.md describes the framing, this file and
// docs/format/wal.md#head-records the payloads).
//
//   kSeries (1):  series definitions:  count varint, then per series
//                   ref varint | kind u8 | labels (length-prefixed canonical encoding)
//   kSamples (2): definitions of series not yet logged (as kSeries), then
//                   count varint, then per series
//                   ref varint | n varint | first ts varsint | (n-1) ts deltas varint |
//                   numeric: n x u64 value bits    state: n x length-prefixed string
//                 whether a series is numeric or state follows its kind (from its
//                 definition, in this record or earlier).
//   kDelete (3):  from varsint | to varsint | count varint | refs varint...
//
// Timestamps within a series are strictly increasing in a kSamples record (the head
// sorts a batch's samples per series before logging). Decoders are total: malformed
// bytes give Status::Corruption, never a crash or an unbounded allocation.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "storage/model.h"

namespace strix::storage::head {

enum RecordType : uint8_t {
  kSeriesRecord = 1,
  kSamplesRecord = 2,
  kDeleteRecord = 3,
};

struct SeriesDef {
  SeriesRef ref = 0;
  ValueKind kind = ValueKind::kGauge;
  std::string_view labels;  // canonical Labels encoding
};

// Builds a kSamples (or kSeries) payload incrementally into a reusable string.
class RecordBuilder {
 public:
  void Reset();
  void AddDef(SeriesRef ref, ValueKind kind, std::string_view labels);
  // Starts the samples of one series; then exactly n AddNumeric/AddState calls.
  void StartSeries(SeriesRef ref, uint32_t n);
  void AddNumeric(Timestamp ts, uint64_t bits);
  void AddState(Timestamp ts, std::string_view s);
  // The payload: the definitions section, then the samples section.
  std::string_view Finish();
  bool empty() const { return series_count_ == 0 && def_count_ == 0; }

 private:
  std::string defs_;
  std::string samples_;
  std::string out_;
  uint64_t def_count_ = 0;
  uint64_t series_count_ = 0;
  Timestamp prev_ts_ = 0;
  uint32_t left_ = 0;
  bool first_ = true;
  std::string ts_buf_;
  std::string val_buf_;
  void PutTimestamp(Timestamp ts);
  void CloseSeries();
};

// Callbacks of DecodeSamples. `kind_of` returns the kind of a ref defined earlier
// (nullopt-like false when unknown: the series' samples are then skipped and counted).
struct SamplesVisitor {
  std::function<Status(const SeriesDef&)> on_def;
  std::function<bool(SeriesRef, ValueKind*)> kind_of;
  std::function<void(SeriesRef, Timestamp, uint64_t)> on_numeric;
  std::function<void(SeriesRef, Timestamp, std::string_view)> on_state;
};

// Decodes a kSeries or kSamples payload. Returns the number of samples skipped because
// their series was never defined.
Result<uint64_t> DecodeSamples(std::string_view payload, bool defs_only, const SamplesVisitor& v);

std::string EncodeDelete(Timestamp from, Timestamp to, const std::vector<SeriesRef>& refs);
Status DecodeDelete(std::string_view payload, Timestamp* from, Timestamp* to,
                    std::vector<SeriesRef>* refs);

}  // namespace strix::storage::head
