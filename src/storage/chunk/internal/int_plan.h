// Encoder side of the integer stream (docs/format/chunk.md, "Integer streams"): picks
// the order (raw, delta, delta-of-delta, linear), the residual mapping (zigzag or offset
// from the minimum), the common divisor and the bucket widths that make one stream
// smallest, and writes it. Used by the one-shot encoder, and by the appender when it
// tunes its fixed buckets.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/coding.h"
#include "storage/chunk/bits.h"
#include "storage/chunk/format.h"

namespace strix::storage::chunk::internal {

// Bit-length histogram of residuals: hist[L] = residuals with BitLength() == L.
struct LengthHistogram {
  uint32_t hist[65] = {};
  void Add(uint64_t r) { ++hist[BitLength(r)]; }
};

struct BucketChoice {
  uint8_t k = 1;
  uint8_t widths[4] = {0, 0, 0, 0};
  uint64_t bits = 0;  // payload bits (prefixes + values), widths bytes excluded
};

// Cheapest bucket scheme with at most max_k buckets, counting one byte per width.
BucketChoice ChooseBuckets(const LengthHistogram& h, int max_k);
// The open layout's scheme: exactly 4 buckets, the last one 64 bits wide so that any
// later residual still fits.
BucketChoice ChooseOpenBuckets(const LengthHistogram& h);
// Payload bits of `h` under a given scheme (every length must fit the last bucket).
uint64_t BucketCost(const LengthHistogram& h, int k, const uint8_t* widths);

// Step x_i of orders 0-2 at i >= order (wrapping arithmetic).
inline uint64_t StreamStep(const uint64_t* v, size_t i, int order) {
  switch (order) {
    case 0:
      return v[i];
    case 1:
      return v[i] - v[i - 1];
    default:
      return (v[i] - v[i - 1]) - (v[i - 1] - v[i - 2]);
  }
}

// Division by a known divisor of the dividend, as a shift and a multiplication by the
// inverse of the odd part modulo 2^64.
struct ExactDivider {
  int shift = 0;
  uint64_t inverse = 1;
  explicit ExactDivider(uint64_t d) {
    shift = __builtin_ctzll(d);
    const uint64_t odd = d >> shift;
    uint64_t x = odd;  // correct to 3 bits; each Newton step doubles that
    for (int i = 0; i < 5; ++i) x *= 2 - odd * x;
    inverse = x;
  }
  uint64_t Unsigned(uint64_t v) const { return (v >> shift) * inverse; }
  int64_t Signed(int64_t v) const {
    return static_cast<int64_t>(static_cast<uint64_t>(v >> shift) * inverse);
  }
};

// Maps steps to residuals under IntParams (the inverse of the decoder's mapping).
class ResidualMapper {
 public:
  explicit ResidualMapper(const IntParams& p)
      : offset_(p.offset), divide_(p.gcd > 1), base_(p.base), div_(p.gcd > 1 ? p.gcd : 1) {}
  uint64_t operator()(uint64_t x) const {
    if (offset_) {
      const uint64_t r = x - base_;
      return divide_ ? div_.Unsigned(r) : r;
    }
    int64_t s = static_cast<int64_t>(x);
    if (divide_) s = div_.Signed(s);
    return ZigZagEncode(s);
  }

 private:
  bool offset_;
  bool divide_;
  uint64_t base_;
  ExactDivider div_;
};

struct PlanOptions {
  uint8_t min_order = 0;
  uint8_t max_order = 3;
  bool with_x0 = true;  // false for timestamps (x0 is the header's first timestamp)
};

struct IntPlan {
  IntParams params;
  uint64_t payload_bits = 0;
  size_t params_bytes = 0;
  uint64_t cost_bits() const { return payload_bits + 8 * params_bytes; }
  size_t payload_bytes() const { return static_cast<size_t>((payload_bits + 7) / 8); }
};

// The smallest encoding of v[0..n) (n >= 1) as an integer stream.
IntPlan PlanIntStream(const uint64_t* v, size_t n, const PlanOptions& opt);

// Writes the residuals of v[InitialValues(p.order)..n) under p.
void WriteResiduals(const IntParams& p, const uint64_t* v, size_t n, BitWriter* w);

}  // namespace strix::storage::chunk::internal
