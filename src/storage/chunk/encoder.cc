// One-shot encoder (encoder.h). Layout written here is the sealed layout of
// docs/format/chunk.md:
//   magic | enc<<4|kind | count | first ts | span | [ts params | ts bytes] | value section
//   | ts stream | value stream
#include "storage/chunk/encoder.h"

#include <string>
#include <unordered_map>
#include <vector>

#include "core/check.h"
#include "core/coding.h"
#include "storage/chunk/bits.h"
#include "storage/chunk/decoder.h"
#include "storage/chunk/internal/decimal.h"
#include "storage/chunk/internal/int_plan.h"
#include "storage/chunk/internal/xor.h"

namespace strix::storage::chunk {

namespace {

using internal::IntPlan;
using internal::PlanIntStream;
using internal::PlanOptions;
using internal::WriteResiduals;

Status CheckTimestamps(std::span<const Timestamp> ts, size_t nvalues) {
  if (ts.size() != nvalues)
    return Status::InvalidArgument("timestamps and values differ in length", "chunk encode");
  if (ts.empty()) return Status::InvalidArgument("no samples", "chunk encode");
  if (ts.size() > kMaxSamples)
    return Status::InvalidArgument("too many samples for one chunk", "chunk encode");
  for (size_t i = 1; i < ts.size(); ++i)
    if (ts[i] <= ts[i - 1])
      return Status::InvalidArgument("timestamps not strictly increasing", "chunk encode");
  return Status::Ok();
}

// Writes the common sealed header and the timestamp parameters; returns the ts plan.
IntPlan PutSealedHeader(std::string* out, Encoding enc, ValueKind kind,
                        std::span<const Timestamp> ts) {
  out->push_back(static_cast<char>(kMagicV1));
  out->push_back(static_cast<char>((static_cast<uint8_t>(enc) << 4) | static_cast<uint8_t>(kind)));
  PutVarint64(out, ts.size());
  PutVarsint64(out, ts.front());
  PutVarint64(out, static_cast<uint64_t>(ts.back()) - static_cast<uint64_t>(ts.front()));
  IntPlan plan;
  if (ts.size() >= 2) {
    PlanOptions opt;
    opt.min_order = 1;
    opt.with_x0 = false;
    plan = PlanIntStream(reinterpret_cast<const uint64_t*>(ts.data()), ts.size(), opt);
    PutIntParams(out, plan.params, /*with_x0=*/false);
    PutVarint64(out, (plan.payload_bits + 7) / 8);
  }
  return plan;
}

// Appends `bytes` zero bytes to *out and returns where they start.
char* Grow(std::string* out, size_t bytes) {
  const size_t at = out->size();
  out->resize(at + bytes);
  return out->data() + at;
}

// Writes an integer stream whose size the plan knows.
void PutIntStream(std::string* out, const IntPlan& plan, const uint64_t* v, size_t n) {
  const size_t bytes = plan.payload_bytes();
  char* p = Grow(out, bytes);
  BitWriter w(p);
  WriteResiduals(plan.params, v, n, &w);
  STRIX_CHECK(w.Finish() == p + bytes);
}

void PutTimestampStream(std::string* out, const IntPlan& plan, std::span<const Timestamp> ts) {
  if (ts.size() < 2) return;
  PutIntStream(out, plan, reinterpret_cast<const uint64_t*>(ts.data()), ts.size());
}

// Decimal mantissas of all values at one common exponent, if there is one. One pass;
// when a value needs a larger exponent the mantissas so far are recomputed (at most
// kMaxDecimalExponent times).
bool ToDecimal(std::span<const NumericValue> values, std::vector<uint64_t>* mant, int* exp) {
  mant->resize(values.size());
  int e = 0;
  int64_t m;
  for (size_t i = 0; i < values.size(); ++i) {
    if (internal::DecimalMantissa(values[i].f, e, &m)) {
      (*mant)[i] = static_cast<uint64_t>(m);
      continue;
    }
    e = internal::MinDecimalExponent(values[i].f, e + 1);
    if (e < 0) return false;
    for (size_t j = 0; j <= i; ++j) {
      if (!internal::DecimalMantissa(values[j].f, e, &m)) return false;
      (*mant)[j] = static_cast<uint64_t>(m);
    }
  }
  *exp = e;
  return true;
}

uint64_t XorCostBits(std::span<const NumericValue> values) {
  internal::XorState s;
  s.prev = values[0].u;
  uint64_t bits = 64;
  for (size_t i = 1; i < values.size(); ++i) bits += internal::XorValueCost(s, values[i].u);
  return bits;
}

void PutXorStream(std::string* out, std::span<const NumericValue> values, uint64_t bits) {
  const size_t bytes = static_cast<size_t>((bits + 7) / 8);
  char* p = Grow(out, bytes);
  BitWriter w(p);
  internal::XorState s;
  s.prev = values[0].u;
  w.Write(values[0].u, 64);
  for (size_t i = 1; i < values.size(); ++i)
    internal::XorEncodeValue(s, values[i].u, [&w](uint64_t v, int n) { w.Write(v, n); });
  STRIX_CHECK(w.Finish() == p + bytes);
}

}  // namespace

Status Encode(ValueKind kind, std::span<const Timestamp> ts, std::span<const NumericValue> values,
              std::string* out, const EncodeOptions& options) {
  if (kind == ValueKind::kState || (!IsFloatKind(kind) && !IsIntegerKind(kind)))
    return Status::InvalidArgument("not a numeric kind", "chunk encode");
  STRIX_RETURN_IF_ERROR(CheckTimestamps(ts, values.size()));
  const size_t n = values.size();
  const uint64_t* raw = reinterpret_cast<const uint64_t*>(values.data());

  Encoding enc;
  IntPlan vplan;
  std::vector<uint64_t> mant;
  int exponent = 0;
  uint64_t xor_bits = 0;
  if (IsIntegerKind(kind)) {
    enc = Encoding::kInt;
    vplan = PlanIntStream(raw, n, PlanOptions());
  } else {
    using F = EncodeOptions::Float;
    const bool decimal = options.float_encoding != F::kXor && ToDecimal(values, &mant, &exponent);
    if (options.float_encoding == F::kDecimal && !decimal)
      return Status::InvalidArgument("values are not decimal", "chunk encode");
    enc = Encoding::kXor;
    if (options.float_encoding != F::kDecimal) xor_bits = XorCostBits(values);
    if (decimal) {
      vplan = PlanIntStream(mant.data(), n, PlanOptions());
      const uint64_t decimal_bytes = 1 + vplan.params_bytes + vplan.payload_bytes();
      if (options.float_encoding == F::kDecimal || decimal_bytes <= (xor_bits + 7) / 8)
        enc = Encoding::kDecimal;
    }
  }

  const IntPlan tplan = PutSealedHeader(out, enc, kind, ts);
  if (enc == Encoding::kDecimal) out->push_back(static_cast<char>(exponent));
  if (enc != Encoding::kXor) PutIntParams(out, vplan.params, /*with_x0=*/true);
  PutTimestampStream(out, tplan, ts);
  if (enc == Encoding::kXor) {
    PutXorStream(out, values, xor_bits);
  } else {
    PutIntStream(out, vplan, enc == Encoding::kDecimal ? mant.data() : raw, n);
  }
  return Status::Ok();
}

Status EncodeState(std::span<const Timestamp> ts, std::span<const std::string_view> values,
                   std::string* out) {
  STRIX_RETURN_IF_ERROR(CheckTimestamps(ts, values.size()));
  const size_t n = values.size();
  std::vector<std::string_view> dict;
  std::vector<uint32_t> idx(n);
  std::unordered_map<std::string_view, uint32_t> seen;
  for (size_t i = 0; i < n; ++i) {
    if (values[i].size() > kMaxStateBytes)
      return Status::InvalidArgument("state string longer than 4096 bytes", "chunk encode");
    if (i > 0 && values[i] == values[i - 1]) {
      idx[i] = idx[i - 1];
      continue;
    }
    auto [it, inserted] = seen.emplace(values[i], static_cast<uint32_t>(dict.size()));
    if (inserted) dict.push_back(values[i]);
    idx[i] = it->second;
  }
  const IntPlan tplan = PutSealedHeader(out, Encoding::kState, ValueKind::kState, ts);
  PutVarint64(out, dict.size());
  for (std::string_view s : dict) {
    PutVarint64(out, s.size());
    out->append(s);
  }
  PutTimestampStream(out, tplan, ts);
  if (dict.size() > 1) {
    const int wfirst = CeilLog2(dict.size());
    const int wchange = CeilLog2(dict.size() - 1);
    uint64_t bits = static_cast<uint64_t>(wfirst) + (n - 1);
    for (size_t i = 1; i < n; ++i) bits += idx[i] != idx[i - 1] ? wchange : 0;
    const size_t bytes = static_cast<size_t>((bits + 7) / 8);
    char* p = Grow(out, bytes);
    BitWriter w(p);
    w.Write(idx[0], wfirst);
    for (size_t i = 1; i < n; ++i) {
      if (idx[i] == idx[i - 1]) {
        w.Write(0, 1);
      } else {
        const uint32_t j = idx[i] < idx[i - 1] ? idx[i] : idx[i] - 1;
        w.Write((uint64_t{1} << wchange) | j, 1 + wchange);
      }
    }
    STRIX_CHECK(w.Finish() == p + bytes);
  }
  return Status::Ok();
}

Status Reencode(std::string_view chunk, std::string* out) {
  STRIX_ASSIGN_OR_RETURN(ChunkHeader h, ParseHeader(chunk));
  std::vector<Timestamp> ts;
  if (h.kind == ValueKind::kState) {
    std::vector<std::string_view> values;
    STRIX_RETURN_IF_ERROR(DecodeState(chunk, &ts, &values));
    return EncodeState(ts, values, out);
  }
  std::vector<NumericValue> values;
  STRIX_RETURN_IF_ERROR(DecodeNumeric(chunk, &ts, &values));
  return Encode(h.kind, ts, values, out);
}

}  // namespace strix::storage::chunk
