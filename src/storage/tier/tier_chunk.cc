// Tier chunk encoder and decoder: a header, then one length-prefixed sealed chunk per
// column (docs/format/tier_chunk.md).
#include "storage/tier/tier_chunk.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <string>

#include "core/coding.h"
#include "storage/chunk/decoder.h"
#include "storage/chunk/encoder.h"
#include "storage/chunk/format.h"

namespace strix::storage::tier {
namespace {

static_assert(kMaxTierPoints <= chunk::kMaxSamples);

// One Aggregate field as a column. The column's value is a raw 64-bit word: integers
// as they are (offsets relative to the bucket start), doubles as their IEEE-754 bits.
enum class Field : uint8_t {
  kCount,
  kFirstOffset,  // first_ts - bucket start
  kLastOffset,   // last_ts - bucket start
  kSum,
  kMin,
  kMax,
  kFirst,
  kLast,
  kIncrease,
  kResets,
  kWraps,
};

struct Column {
  Field field;
  ValueKind chunk_kind;  // the kind written in the column chunk's header
  std::string_view name;
};

constexpr size_t kMaxColumns = 11;

struct ColumnSet {
  Column cols[kMaxColumns];
  size_t n = 0;
};

// The columns of a tier chunk of `kind`, in stored order. Integer bookkeeping columns
// are counter64 chunks; sum/min/max and the values of float kinds are gauge chunks;
// the exact values of integer kinds keep the series' kind.
ColumnSet ColumnsFor(ValueKind kind) {
  ColumnSet s;
  auto add = [&s](Field f, ValueKind k, std::string_view name) {
    s.cols[s.n++] = Column{f, k, name};
  };
  const ValueKind value_kind = IsIntegerKind(kind) ? kind : ValueKind::kGauge;
  add(Field::kCount, ValueKind::kCounter64, "count");
  add(Field::kFirstOffset, ValueKind::kCounter64, "first_ts");
  add(Field::kLastOffset, ValueKind::kCounter64, "last_ts");
  add(Field::kFirst, value_kind, "first");
  add(Field::kLast, value_kind, "last");
  add(Field::kIncrease, value_kind, "increase");
  add(Field::kSum, ValueKind::kGauge, "sum");
  add(Field::kMin, ValueKind::kGauge, "min");
  add(Field::kMax, ValueKind::kGauge, "max");
  if (IsCounter(kind)) {
    add(Field::kResets, ValueKind::kCounter64, "resets");
    add(Field::kWraps, ValueKind::kCounter64, "wraps");
  }
  return s;
}

uint64_t GetField(Field f, const Aggregate& a, Timestamp start) {
  switch (f) {
    case Field::kCount:
      return a.count;
    case Field::kFirstOffset:
      return static_cast<uint64_t>(a.first_ts) - static_cast<uint64_t>(start);
    case Field::kLastOffset:
      return static_cast<uint64_t>(a.last_ts) - static_cast<uint64_t>(start);
    case Field::kSum:
      return std::bit_cast<uint64_t>(a.sum);
    case Field::kMin:
      return std::bit_cast<uint64_t>(a.min);
    case Field::kMax:
      return std::bit_cast<uint64_t>(a.max);
    case Field::kFirst:
      return a.first.u;
    case Field::kLast:
      return a.last.u;
    case Field::kIncrease:
      return a.increase.u;
    case Field::kResets:
      return a.resets;
    case Field::kWraps:
      return a.wraps;
  }
  return 0;
}

// Stores a decoded word. Offsets are kept raw in first_ts/last_ts until Finish().
// False if the word is out of range for the field.
bool SetField(Field f, uint64_t v, Aggregate* a) {
  switch (f) {
    case Field::kCount:
      a->count = v;
      return v > 0;
    case Field::kFirstOffset:
      a->first_ts = static_cast<Timestamp>(v);
      return v < static_cast<uint64_t>(kMaxResolutionMs);
    case Field::kLastOffset:
      a->last_ts = static_cast<Timestamp>(v);
      return v < static_cast<uint64_t>(kMaxResolutionMs);
    case Field::kSum:
      a->sum = std::bit_cast<double>(v);
      return true;
    case Field::kMin:
      a->min = std::bit_cast<double>(v);
      return true;
    case Field::kMax:
      a->max = std::bit_cast<double>(v);
      return true;
    case Field::kFirst:
      a->first.u = v;
      return true;
    case Field::kLast:
      a->last.u = v;
      return true;
    case Field::kIncrease:
      a->increase.u = v;
      return true;
    case Field::kResets:
      a->resets = static_cast<uint32_t>(v);
      return v <= std::numeric_limits<uint32_t>::max();
    case Field::kWraps:
      a->wraps = static_cast<uint32_t>(v);
      return v <= std::numeric_limits<uint32_t>::max();
  }
  return false;
}

bool NumericKind(ValueKind k) { return IsIntegerKind(k) || IsFloatKind(k); }

// Whether ts lies in [start, start + width).
bool InBucket(Timestamp ts, Timestamp start, int64_t width) {
  return ts >= start &&
         static_cast<uint64_t>(ts) - static_cast<uint64_t>(start) < static_cast<uint64_t>(width);
}

Status Corrupt(std::string_view msg, std::string_view column = {}) {
  if (column.empty()) return Status::Corruption(msg, "tier chunk");
  return Status::Corruption(msg, std::string("tier chunk column ") + std::string(column));
}

// Column modes (the byte before each column).
constexpr uint8_t kModePlain = 0;     // one chunk of the words
constexpr uint8_t kModeSplit = 1;     // float only: decimal approximation + ULP residual
constexpr uint8_t kModeRelative = 2;  // min, max only: residual from double(first/last)

// min and max may be stored relative to the double of the first and last sample (equal
// for a monotonic counter). Those columns come earlier, so the decoder has them.
bool HasReference(Field f) { return f == Field::kMin || f == Field::kMax; }
uint64_t ReferenceBits(ValueKind kind, Field f, const Aggregate& a) {
  return std::bit_cast<uint64_t>(ToDouble(kind, f == Field::kMin ? a.first : a.last));
}

constexpr int kMaxExponent = 22;
constexpr double kPow10[kMaxExponent + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                             1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// The nearest value m / 10^e (m an int64), or v itself when it has none (NaN, huge).
double DecimalApprox(double v, int e) {
  const double s = v * kPow10[e];
  if (!(s > -9.0e18 && s < 9.0e18)) return v;
  const auto m = static_cast<int64_t>(s < 0 ? s - 0.5 : s + 0.5);
  return static_cast<double>(m) / kPow10[e];
}

// The smallest e at which v == m / 10^e bit for bit, or -1.
int DecimalExponent(double v) {
  if (std::bit_cast<uint64_t>(v) == 0x8000000000000000ull) return -1;  // -0.0
  for (int e = 0; e <= kMaxExponent; ++e) {
    const double a = DecimalApprox(v, e);
    if (!(a == a)) return -1;  // NaN
    if (std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(v)) return e;
  }
  return -1;
}

bool IsFloatColumn(const Column& c) { return c.chunk_kind == ValueKind::kGauge; }

// Encodes one column: its mode byte, then one length-prefixed chunk (plain) or two
// (split). Float columns try split at `exponent` (when >= 0) and keep the smaller.
Status EncodeColumn(ValueKind kind, const Column& col, std::span<const Timestamp> starts,
                    std::span<const Aggregate> points, std::span<const NumericValue> values,
                    int exponent, std::string* out) {
  std::string plain;
  STRIX_RETURN_IF_ERROR(chunk::Encode(col.chunk_kind, starts, values, &plain));
  std::string best;
  uint8_t best_mode = kModePlain;
  size_t best_size = plain.size() + VarintLength(plain.size());
  if (HasReference(col.field)) {
    std::vector<NumericValue> resid(values.size());
    for (size_t i = 0; i < values.size(); ++i)
      resid[i].u = values[i].u - ReferenceBits(kind, col.field, points[i]);
    std::string r;
    STRIX_RETURN_IF_ERROR(chunk::Encode(ValueKind::kCounter64, starts, resid, &r));
    if (r.size() + VarintLength(r.size()) < best_size) {
      best_size = r.size() + VarintLength(r.size());
      best_mode = kModeRelative;
      PutLengthPrefixed(&best, r);
    }
  }
  if (IsFloatColumn(col) && exponent >= 0) {
    std::vector<NumericValue> approx(values.size());
    std::vector<NumericValue> resid(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      approx[i].f = DecimalApprox(values[i].f, exponent);
      resid[i].u = values[i].u - approx[i].u;  // ULP distance, mod 2^64
    }
    std::string a, r;
    STRIX_RETURN_IF_ERROR(chunk::Encode(ValueKind::kGauge, starts, approx, &a));
    STRIX_RETURN_IF_ERROR(chunk::Encode(ValueKind::kCounter64, starts, resid, &r));
    if (a.size() + r.size() + VarintLength(a.size()) + VarintLength(r.size()) < best_size) {
      best_mode = kModeSplit;
      best.clear();
      PutLengthPrefixed(&best, a);
      PutLengthPrefixed(&best, r);
    }
  }
  if (best_mode == kModePlain) PutLengthPrefixed(&best, plain);
  out->push_back(static_cast<char>(best_mode));
  out->append(best);
  return Status::Ok();
}

}  // namespace

Status EncodeTierChunk(ValueKind kind, int64_t resolution_ms,
                       std::span<const Timestamp> bucket_starts, std::span<const Aggregate> points,
                       std::string* out) {
  constexpr std::string_view kCtx = "tier chunk encode";
  if (!NumericKind(kind)) return Status::InvalidArgument("kind is not numeric", kCtx);
  if (resolution_ms <= 0 || resolution_ms > kMaxResolutionMs)
    return Status::InvalidArgument("resolution out of range", kCtx);
  if (bucket_starts.size() != points.size())
    return Status::InvalidArgument("bucket starts and points differ in number", kCtx);
  if (points.empty() || points.size() > kMaxTierPoints)
    return Status::InvalidArgument("point count out of range", kCtx);
  for (size_t i = 0; i < points.size(); ++i) {
    const Timestamp start = bucket_starts[i];
    const Aggregate& a = points[i];
    if (AlignDown(start, resolution_ms) != start)
      return Status::InvalidArgument("bucket start not a multiple of the resolution", kCtx);
    if (i > 0 && start <= bucket_starts[i - 1])
      return Status::InvalidArgument("bucket starts not strictly increasing", kCtx);
    if (a.count == 0) return Status::InvalidArgument("empty point", kCtx);
    if (!InBucket(a.first_ts, start, resolution_ms) || !InBucket(a.last_ts, start, resolution_ms) ||
        a.last_ts < a.first_ts)
      return Status::InvalidArgument("first_ts/last_ts outside the bucket or out of order", kCtx);
    if (a.covered_ms != a.last_ts - a.first_ts)
      return Status::InvalidArgument("covered_ms differs from last_ts - first_ts", kCtx);
    if (!IsCounter(kind) && (a.resets != 0 || a.wraps != 0))
      return Status::InvalidArgument("resets or wraps on a non-counter kind", kCtx);
  }

  std::string buf;
  buf.push_back(static_cast<char>(kTierChunkMagic));
  buf.push_back(static_cast<char>(kTierChunkVersion));
  buf.push_back(static_cast<char>(kind));
  PutVarint64(&buf, static_cast<uint64_t>(resolution_ms));
  PutVarint32(&buf, static_cast<uint32_t>(points.size()));

  // The decimal exponent of the samples, judged by min and max (which are samples):
  // sums and increases of decimal samples sit a few ULPs from a decimal at it.
  int exponent = 0;
  for (const Aggregate& a : points) {
    exponent = std::max({exponent, DecimalExponent(a.min), DecimalExponent(a.max)});
    if (DecimalExponent(a.min) < 0 || DecimalExponent(a.max) < 0) {
      exponent = -1;
      break;
    }
  }

  const ColumnSet cols = ColumnsFor(kind);
  std::vector<NumericValue> values(points.size());
  for (size_t c = 0; c < cols.n; ++c) {
    for (size_t i = 0; i < points.size(); ++i)
      values[i].u = GetField(cols.cols[c].field, points[i], bucket_starts[i]);
    Status st = EncodeColumn(kind, cols.cols[c], bucket_starts, points, values, exponent, &buf);
    if (!st.ok())
      return st.WithContext(std::string("tier chunk column ") + std::string(cols.cols[c].name));
  }
  out->append(buf);
  return Status::Ok();
}

namespace {

uint32_t FieldBit(Field f) {
  switch (f) {
    case Field::kCount:
      return kFieldCount;
    case Field::kFirstOffset:
    case Field::kFirst:
      return kFieldFirst;
    case Field::kLastOffset:
    case Field::kLast:
      return kFieldLast;
    case Field::kSum:
      return kFieldSum;
    case Field::kMin:
      return kFieldMin;
    case Field::kMax:
      return kFieldMax;
    case Field::kIncrease:
      return kFieldIncrease;
    case Field::kResets:
    case Field::kWraps:
      return kFieldResetsWraps;
  }
  return 0;
}

}  // namespace

namespace {

constexpr size_t kNumFields = static_cast<size_t>(Field::kWraps) + 1;

// The decoded columns of one tier chunk: bucket starts, and the raw 64-bit word of each
// wanted field (empty for fields not decoded). Thread-local scratch: valid until the next
// decode on this thread.
struct Words {
  ValueKind kind;
  int64_t resolution;
  uint32_t n;
  std::vector<Timestamp> starts;
  std::vector<uint64_t> field[kNumFields];
  const std::vector<uint64_t>& of(Field f) const { return field[static_cast<size_t>(f)]; }
};

// Parses a whole tier chunk, decoding the columns in `fields` (kField* bits).
Status DecodeWords(std::string_view bytes, uint32_t fields, Words* w) {
  std::string_view in = bytes;
  if (in.size() < 3) return Corrupt("truncated header");
  if (static_cast<uint8_t>(in[0]) != kTierChunkMagic) return Corrupt("bad magic");
  if (static_cast<uint8_t>(in[1]) != kTierChunkVersion) return Corrupt("unknown version");
  const auto k = static_cast<ValueKind>(static_cast<uint8_t>(in[2]));
  if (!NumericKind(k)) return Corrupt("kind is not numeric");
  in.remove_prefix(3);
  uint64_t res = 0;
  uint32_t n = 0;
  if (!GetVarint64(&in, &res)) return Corrupt("truncated resolution");
  if (res == 0 || res > static_cast<uint64_t>(kMaxResolutionMs))
    return Corrupt("resolution out of range");
  if (!GetVarint32(&in, &n)) return Corrupt("truncated point count");
  if (n == 0 || n > kMaxTierPoints) return Corrupt("point count out of range");
  const auto width = static_cast<int64_t>(res);
  w->kind = k;
  w->resolution = width;
  w->n = n;
  w->starts.clear();
  for (auto& f : w->field) f.clear();

  const ColumnSet cols = ColumnsFor(k);
  thread_local std::vector<Timestamp> ts;
  thread_local std::vector<NumericValue> parts;
  for (size_t c = 0; c < cols.n; ++c) {
    const Column& col = cols.cols[c];
    if (in.empty()) return Corrupt("truncated column", col.name);
    const auto mode = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    if (mode != kModePlain && !(mode == kModeSplit && IsFloatColumn(col)) &&
        !(mode == kModeRelative && HasReference(col.field)))
      return Corrupt("bad column mode", col.name);
    if ((FieldBit(col.field) & fields) == 0) {  // not wanted: step over its chunk(s)
      for (int part = 0; part < (mode == kModeSplit ? 2 : 1); ++part) {
        std::string_view body;
        if (!GetLengthPrefixed(&in, &body)) return Corrupt("truncated column", col.name);
      }
      continue;
    }
    std::vector<uint64_t>& values = w->field[static_cast<size_t>(col.field)];
    // Plain: one chunk of the column's kind. Split: a gauge chunk of approximations,
    // then a counter64 chunk of residuals added to their bits. Relative: a counter64
    // chunk of residuals added to the reference's bits.
    for (int part = 0; part < (mode == kModeSplit ? 2 : 1); ++part) {
      const ValueKind want =
          (part == 1 || mode == kModeRelative) ? ValueKind::kCounter64 : col.chunk_kind;
      std::string_view body;
      if (!GetLengthPrefixed(&in, &body)) return Corrupt("truncated column", col.name);
      chunk::ChunkHeader header;
      size_t offset = 0;
      Status st = chunk::ParseHeader(body, &header, &offset);
      if (!st.ok()) return Corrupt(st.message(), col.name);
      if (header.kind != want) return Corrupt("column chunk of the wrong kind", col.name);
      if (header.count != n) return Corrupt("column point count differs from header", col.name);
      // The count is now backed by a parsed chunk header; bounded by kMaxSamples.
      ts.resize(n);
      std::vector<uint64_t>* dstv = &values;
      if (part == 1) {
        parts.resize(n);
      } else {
        values.resize(n);
      }
      auto* dst = part == 0 ? reinterpret_cast<NumericValue*>(dstv->data()) : parts.data();
      Result<size_t> got = chunk::DecodeNumericInto(body, ts.data(), dst, n);
      if (!got.ok()) return Corrupt(got.status().message(), col.name);
      if (*got != n) return Corrupt("column point count differs from header", col.name);
      if (w->starts.empty()) {
        // Aligned first start, then steps that are multiples of the width (dividing
        // only for steps other than one bucket: 64-bit division is slow).
        bool aligned = AlignDown(ts[0], width) == ts[0];
        for (uint32_t i = 1; aligned && i < n; ++i) {
          const uint64_t step = static_cast<uint64_t>(ts[i]) - static_cast<uint64_t>(ts[i - 1]);
          aligned = step == res || step % res == 0;
        }
        if (!aligned) return Corrupt("bucket start not a multiple of the resolution", col.name);
        w->starts.assign(ts.begin(), ts.end());
      } else if (ts != w->starts) {
        return Corrupt("column timestamps differ from the bucket starts", col.name);
      }
    }
    if (mode == kModeSplit)
      for (uint32_t i = 0; i < n; ++i) values[i] += parts[i].u;
    if (mode == kModeRelative) {
      const auto& ref = w->of(col.field == Field::kMin ? Field::kFirst : Field::kLast);
      for (uint32_t i = 0; i < n; ++i)
        values[i] += std::bit_cast<uint64_t>(ToDouble(k, NumericValue{.u = ref[i]}));
    }
  }
  if (!in.empty()) return Corrupt("trailing bytes after the last column");
  for (uint64_t c : w->of(Field::kCount))
    if (c == 0) return Corrupt("value out of range", "count");
  return Status::Ok();
}

std::string_view FieldName(ValueKind kind, Field f) {
  const ColumnSet cols = ColumnsFor(kind);
  for (size_t c = 0; c < cols.n; ++c)
    if (cols.cols[c].field == f) return cols.cols[c].name;
  return "?";
}

uint32_t Normalized(uint32_t fields) {
  fields |= kFieldCount;
  // min and max may be stored relative to first and last.
  if (fields & (kFieldMin | kFieldMax)) fields |= kFieldFirst | kFieldLast;
  return fields;
}

}  // namespace

Status DecodeTierChunk(std::string_view bytes, ValueKind* kind, int64_t* resolution_ms,
                       std::vector<Timestamp>* bucket_starts, std::vector<Aggregate>* points,
                       uint32_t fields) {
  thread_local Words w;
  STRIX_RETURN_IF_ERROR(DecodeWords(bytes, Normalized(fields), &w));
  const uint32_t n = w.n;
  const auto res = static_cast<uint64_t>(w.resolution);
  // Scratch reused across calls on this thread; the result is swapped into the caller's
  // vector, whose old buffer comes back here.
  thread_local std::vector<Aggregate> pts;
  pts.clear();
  pts.resize(n);
  for (size_t f = 0; f < kNumFields; ++f) {
    const auto& col = w.field[f];
    if (col.empty()) continue;
    for (uint32_t i = 0; i < n; ++i)
      if (!SetField(static_cast<Field>(f), col[i], &pts[i]))
        return Corrupt("value out of range", FieldName(w.kind, static_cast<Field>(f)));
  }
  for (uint32_t i = 0; i < n; ++i) {
    Aggregate& a = pts[i];
    const auto first_off = static_cast<uint64_t>(a.first_ts);
    const auto last_off = static_cast<uint64_t>(a.last_ts);
    if (first_off >= res || last_off >= res || last_off < first_off)
      return Corrupt("first_ts/last_ts outside the bucket or out of order");
    if (w.starts[i] > std::numeric_limits<Timestamp>::max() - static_cast<Timestamp>(last_off))
      return Corrupt("last_ts overflows");
    a.first_ts = w.starts[i] + static_cast<Timestamp>(first_off);
    a.last_ts = w.starts[i] + static_cast<Timestamp>(last_off);
    a.covered_ms = a.last_ts - a.first_ts;
  }
  *kind = w.kind;
  *resolution_ms = w.resolution;
  bucket_starts->assign(w.starts.begin(), w.starts.end());
  points->swap(pts);
  return Status::Ok();
}

Status DecodeTierBasic(std::string_view bytes, uint32_t fields, ValueKind* kind,
                       int64_t* resolution_ms, BasicColumns* out) {
  thread_local Words w;
  fields &= kFieldCount | kFieldSum | kFieldMin | kFieldMax;
  STRIX_RETURN_IF_ERROR(DecodeWords(bytes, Normalized(fields), &w));
  *kind = w.kind;
  *resolution_ms = w.resolution;
  out->starts.swap(w.starts);
  out->count.swap(w.field[static_cast<size_t>(Field::kCount)]);
  auto doubles = [&](Field f, std::vector<double>* dst) {
    auto& src = w.field[static_cast<size_t>(f)];
    dst->resize(src.size());
    if (!src.empty()) std::memcpy(dst->data(), src.data(), src.size() * sizeof(double));
  };
  doubles(Field::kSum, &out->sum);
  doubles(Field::kMin, &out->min);
  doubles(Field::kMax, &out->max);
  return Status::Ok();
}

}  // namespace strix::storage::tier
