// The chunk format (docs/format/chunk.md): constants, the header common to every chunk,
// and the parameters of the "integer stream" that carries timestamps, integer values and
// decimal mantissas.
//
// A chunk holds the samples of one series, in strictly increasing timestamp order. It
// comes in two layouts that one decoder reads:
//   sealed  written by the one-shot encoder (encoder.h): compact varint header, per-chunk
//           tuned bit buckets, timestamp and value streams stored apart;
//   open    written by the appender (appender.h): fixed-offset header that is patched in
//           place as samples arrive, timestamp and value bits interleaved per sample.
// Chunks carry no checksum: the WAL and block layers put a CRC32C around them.
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/status.h"
#include "storage/model.h"

namespace strix::storage::chunk {

// First byte of every chunk: magic and format version 1.
inline constexpr uint8_t kMagicV1 = 0xC1;
// Most samples one chunk may hold (the open layout's count is a u16).
inline constexpr uint32_t kMaxSamples = 65535;
// Longest state string, in bytes. Longer values are rejected with InvalidArgument.
inline constexpr size_t kMaxStateBytes = 4096;
// Largest decimal exponent e (value = mantissa / 10^e); 10^22 is the largest exact double
// power of ten.
inline constexpr int kMaxDecimalExponent = 22;

// How the values of a chunk are encoded (bits 4-6 of the second byte).
enum class Encoding : uint8_t {
  kInt = 1,      // integer kinds: exact uint64 through an integer stream
  kDecimal = 2,  // float kinds: int64 mantissas with one exponent, through an integer stream
  kXor = 3,      // float kinds: Gorilla XOR of the IEEE-754 bits
  kState = 4,    // state kind: change bits and a dictionary of strings
};
std::string_view EncodingName(Encoding e);  // "int", "decimal", "xor", "state"
// Whether chunks of `kind` may use `e`.
bool EncodingFitsKind(Encoding e, ValueKind kind);

// Open-layout byte offsets (all fixed-width fields are little-endian).
inline constexpr size_t kOpenCountOffset = 2;          // u16 sample count
inline constexpr size_t kOpenFirstTsOffset = 4;        // i64 first timestamp
inline constexpr size_t kOpenLastTsOffset = 12;        // i64 last timestamp
inline constexpr size_t kOpenTsWidthsOffset = 20;      // 4 x u8 timestamp bucket widths
inline constexpr size_t kOpenTsDivisorOffset = 24;     // u32 timestamp step divisor (>= 1)
inline constexpr size_t kOpenValueOrderOffset = 28;    // u8 value order (int, decimal)
inline constexpr size_t kOpenValueWidthsOffset = 29;   // 4 x u8 value bucket widths
inline constexpr size_t kOpenExponentOffset = 33;      // u8 decimal exponent (0 for int)
inline constexpr size_t kOpenValueDivisorOffset = 34;  // u32 value step divisor (>= 1)
inline constexpr size_t kOpenHeaderSizeNumeric = 38;   // int and decimal
inline constexpr size_t kOpenHeaderSizeOther = 28;     // xor and state
inline constexpr uint8_t kOpenFlag = 0x80;             // in byte 1

// What every chunk says about itself; parsing it costs a few byte reads.
struct ChunkHeader {
  Encoding encoding = Encoding::kInt;
  ValueKind kind = ValueKind::kGauge;
  bool open = false;   // open (appender) layout
  uint32_t count = 0;  // samples, 1..kMaxSamples
  Timestamp first_ts = 0;
  Timestamp last_ts = 0;
};

// Parses and validates the header; fails with Corruption on any inconsistency.
Result<ChunkHeader> ParseHeader(std::string_view chunk);
// As above, also returning the offset of the first byte after the common header
// (sealed: after the last-timestamp varint; open: the fixed header size).
Status ParseHeader(std::string_view chunk, ChunkHeader* header, size_t* offset);

// Parameters of an integer stream. Residual r_i is mapped to an int64 step
//   x = offset ? base + r*gcd : zigzag_decode(r)*gcd        (mod 2^64)
// and turned into values by the order: 0 (raw): v_i = x; 1 (delta): v_i = v_{i-1} + x;
// 2 (delta of delta): d_i = d_{i-1} + x, v_i = v_{i-1} + d_i; 3 (linear):
// v_i = x0 + i*slope + x, for jitter around a regular grid.
// r is coded as a prefix selecting one of k buckets, then widths[bucket] bits of r.
struct IntParams {
  uint8_t order = 1;  // 0, 1, 2 or 3
  bool offset = false;
  uint8_t k = 1;                     // buckets, 1..4
  uint8_t widths[4] = {0, 0, 0, 0};  // strictly increasing, <= 64
  uint64_t gcd = 1;
  uint64_t base = 0;  // int64 bits
  // Initial values, stored when the stream carries them: x0 = v[0] (order >= 1), d1 =
  // v[1] - v[0] (order 2) or the slope (order 3).
  uint64_t x0 = 0;
  uint64_t d1 = 0;
};

// Values an order emits from the parameters before the first residual.
inline int InitialValues(int order) { return order == 3 ? 1 : order; }

// Prefix code of bucket b among k: k=1 none; k=2 0,1; k=3 0,10,11; k=4 0,10,110,111.
inline int BucketPrefixLen(int k, int b) { return k <= 1 ? 0 : (b + 1 < k - 1 ? b + 1 : k - 1); }
inline uint32_t BucketPrefixCode(int k, int b) {
  const int len = BucketPrefixLen(k, b);
  return b < k - 1 ? ((1u << b) - 1u) << 1 : (1u << len) - 1u;
}

// Serialized size and writer of IntParams (sealed layout). `with_x0` is false for the
// timestamp stream, whose x0 is the header's first timestamp.
void PutIntParams(std::string* out, const IntParams& p, bool with_x0);
size_t IntParamsSize(const IntParams& p, bool with_x0);
// Reads IntParams; Corruption when a field is out of range.
Status GetIntParams(std::string_view* in, bool with_x0, IntParams* p);
// Checks k and widths (1 <= k <= 4, strictly increasing, <= 64).
bool ValidWidths(int k, const uint8_t* widths);

// Smallest b with 2^b >= n (0 for n <= 1).
inline int CeilLog2(uint64_t n) { return n <= 1 ? 0 : 64 - __builtin_clzll(n - 1); }

}  // namespace strix::storage::chunk
