// Decimal representation of float64 values: v == double(m) / 10^e, bit for bit, for an
// int64 mantissa m and an exponent 0 <= e <= kMaxDecimalExponent. The decoder computes
// exactly DecimalValue(); the encoder accepts a value only if that computation gives its
// bits back, so -0.0, NaN, infinities, denormals and values with too many digits are
// simply "not decimal" and fall back to XOR.
#pragma once

#include <cstdint>
#include <cstring>

#include "storage/chunk/format.h"

namespace strix::storage::chunk::internal {

inline constexpr double kPow10[kMaxDecimalExponent + 1] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

inline uint64_t DoubleBits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}
inline double BitsDouble(uint64_t u) {
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}

inline double DecimalValue(int64_t m, int e) { return static_cast<double>(m) / kPow10[e]; }

// The mantissa of v at exponent e, if v is exactly representable there.
inline bool DecimalMantissa(double v, int e, int64_t* m) {
  const double s = v * kPow10[e];
  if (!(s > -9.0e18 && s < 9.0e18)) return false;  // also rejects NaN
  const int64_t r = static_cast<int64_t>(s < 0 ? s - 0.5 : s + 0.5);
  if (DoubleBits(DecimalValue(r, e)) != DoubleBits(v)) return false;
  *m = r;
  return true;
}

// The smallest exponent >= from at which v is decimal, or -1.
inline int MinDecimalExponent(double v, int from = 0) {
  if (!(v > -9.0e18 && v < 9.0e18)) return -1;            // NaN, infinities, huge
  if (DoubleBits(v) == 0x8000000000000000ull) return -1;  // -0.0
  int64_t m;
  for (int e = from; e <= kMaxDecimalExponent; ++e)
    if (DecimalMantissa(v, e, &m)) return e;
  return -1;
}

}  // namespace strix::storage::chunk::internal
