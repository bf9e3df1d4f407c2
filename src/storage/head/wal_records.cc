// Encoding and decoding of the head's WAL payloads.
#include "storage/head/wal_records.h"

#include "core/check.h"
#include "core/coding.h"

namespace strix::storage::head {

void RecordBuilder::Reset() {
  defs_.clear();
  samples_.clear();
  out_.clear();
  def_count_ = 0;
  series_count_ = 0;
  left_ = 0;
  ts_buf_.clear();
  val_buf_.clear();
}

void RecordBuilder::AddDef(SeriesRef ref, ValueKind kind, std::string_view labels) {
  PutVarint64(&defs_, ref);
  defs_.push_back(static_cast<char>(kind));
  PutLengthPrefixed(&defs_, labels);
  ++def_count_;
}

void RecordBuilder::StartSeries(SeriesRef ref, uint32_t n) {
  STRIX_DCHECK(left_ == 0);
  PutVarint64(&samples_, ref);
  PutVarint32(&samples_, n);
  ++series_count_;
  left_ = n;
  first_ = true;
  ts_buf_.clear();
  val_buf_.clear();
}

void RecordBuilder::PutTimestamp(Timestamp ts) {
  STRIX_DCHECK(left_ > 0);
  if (first_) {
    PutVarsint64(&ts_buf_, ts);
    first_ = false;
  } else {
    PutVarint64(&ts_buf_, static_cast<uint64_t>(ts - prev_ts_));
  }
  prev_ts_ = ts;
}

void RecordBuilder::AddNumeric(Timestamp ts, uint64_t bits) {
  PutTimestamp(ts);
  PutFixed64(&val_buf_, bits);
  if (--left_ == 0) CloseSeries();
}

void RecordBuilder::AddState(Timestamp ts, std::string_view s) {
  PutTimestamp(ts);
  PutLengthPrefixed(&val_buf_, s);
  if (--left_ == 0) CloseSeries();
}

void RecordBuilder::CloseSeries() {
  samples_ += ts_buf_;
  samples_ += val_buf_;
}

std::string_view RecordBuilder::Finish() {
  STRIX_CHECK(left_ == 0);
  out_.clear();
  PutVarint64(&out_, def_count_);
  out_ += defs_;
  PutVarint64(&out_, series_count_);
  out_ += samples_;
  return out_;
}

namespace {

Status Bad(std::string_view what, size_t offset) {
  return Status::Corruption(std::string("wal samples record: ") + std::string(what),
                            "offset " + std::to_string(offset));
}

bool ValidKind(uint8_t k) { return k >= 1 && k <= 6; }

}  // namespace

Result<uint64_t> DecodeSamples(std::string_view payload, bool defs_only, const SamplesVisitor& v) {
  const size_t total = payload.size();
  std::string_view in = payload;
  auto off = [&] { return total - in.size(); };
  uint64_t ndefs;
  if (!GetVarint64(&in, &ndefs)) return Bad("truncated definition count", off());
  if (ndefs > in.size()) return Bad("definition count beyond the record", off());
  for (uint64_t i = 0; i < ndefs; ++i) {
    SeriesDef d;
    if (!GetVarint64(&in, &d.ref) || in.empty()) return Bad("truncated definition", off());
    auto kind = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    if (!ValidKind(kind)) return Bad("unknown value kind", off());
    d.kind = static_cast<ValueKind>(kind);
    if (!GetLengthPrefixed(&in, &d.labels)) return Bad("truncated labels", off());
    if (v.on_def) STRIX_RETURN_IF_ERROR(v.on_def(d));
  }
  uint64_t nseries;
  if (!GetVarint64(&in, &nseries)) return Bad("truncated series count", off());
  if (defs_only && (nseries != 0 || !in.empty()))
    return Bad("samples in a series-only record", off());
  if (nseries > in.size()) return Bad("series count beyond the record", off());
  uint64_t skipped = 0;
  for (uint64_t i = 0; i < nseries; ++i) {
    uint64_t ref;
    uint32_t n;
    if (!GetVarint64(&in, &ref) || !GetVarint32(&in, &n)) return Bad("truncated series", off());
    if (n == 0 || n > in.size()) return Bad("sample count beyond the record", off());
    ValueKind kind = ValueKind::kGauge;
    bool known = v.kind_of && v.kind_of(ref, &kind);
    // Timestamps first.
    std::string_view ts_in = in;
    int64_t first;
    if (!GetVarsint64(&ts_in, &first)) return Bad("truncated timestamp", off());
    // Walk the timestamp deltas to find where values start.
    std::string_view scan = ts_in;
    for (uint32_t k = 1; k < n; ++k) {
      uint64_t d;
      if (!GetVarint64(&scan, &d)) return Bad("truncated timestamp delta", off());
      if (d == 0 || d > (1ull << 62)) return Bad("timestamps not increasing", off());
    }
    std::string_view values = scan;
    Timestamp ts = first;
    std::string_view deltas = ts_in;
    bool is_state = kind == ValueKind::kState;
    for (uint32_t k = 0; k < n; ++k) {
      if (k > 0) {
        uint64_t d;
        GetVarint64(&deltas, &d);                                    // validated above
        ts = static_cast<Timestamp>(static_cast<uint64_t>(ts) + d);  // no signed overflow
      }
      if (is_state) {
        std::string_view s;
        if (!GetLengthPrefixed(&values, &s)) return Bad("truncated state value", off());
        if (known && v.on_state) v.on_state(ref, ts, s);
      } else {
        uint64_t bits;
        if (!GetFixed64(&values, &bits)) return Bad("truncated value", off());
        if (known && v.on_numeric) v.on_numeric(ref, ts, bits);
      }
    }
    if (!known) skipped += n;
    in = values;
  }
  if (!in.empty()) return Bad("trailing bytes after samples", off());
  return skipped;
}

std::string EncodeDelete(Timestamp from, Timestamp to, const std::vector<SeriesRef>& refs) {
  std::string out;
  PutVarsint64(&out, from);
  PutVarsint64(&out, to);
  PutVarint64(&out, refs.size());
  for (SeriesRef r : refs) PutVarint64(&out, r);
  return out;
}

Status DecodeDelete(std::string_view payload, Timestamp* from, Timestamp* to,
                    std::vector<SeriesRef>* refs) {
  std::string_view in = payload;
  uint64_t n;
  if (!GetVarsint64(&in, from) || !GetVarsint64(&in, to) || !GetVarint64(&in, &n) ||
      n > in.size()) {
    return Status::Corruption("wal delete record: truncated header");
  }
  refs->clear();
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t r;
    if (!GetVarint64(&in, &r)) return Status::Corruption("wal delete record: truncated refs");
    refs->push_back(r);
  }
  if (!in.empty()) return Status::Corruption("wal delete record: trailing bytes");
  return Status::Ok();
}

}  // namespace strix::storage::head
