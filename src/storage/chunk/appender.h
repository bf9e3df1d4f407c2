// Appender: builds the open chunk of one series sample by sample, for the in-memory head
// (docs/format/chunk.md, "Open layout"). bytes() is a valid chunk after every Append, so
// the head can flush it or serve queries from it without copying; Reencode() (encoder.h)
// turns it into the smaller sealed layout when it is written to a block.
//
// Memory: the object is 48 bytes and owns one heap buffer that holds exactly the chunk
// (header, then bits) plus slack from geometric growth (x1.25, 16-byte steps) and 8
// bytes so that bits are written with one 64-bit store. No per-sample allocation.
//
// Streaming encoding: timestamps as delta-of-delta and integers as delta-of-delta (floats
// as decimal mantissa deltas) through four fixed buckets, the last 64 bits wide. Float
// series start in decimal with the smallest exponent that fits the first value; a value
// needing a larger exponent re-encodes the chunk at that exponent, and a value that is
// not decimal (or overflows the mantissa) re-encodes it as XOR for good. After
// kTuneSamples samples the appender picks the bucket widths (and integer order) that
// would have been smallest so far and re-encodes once if that saves at least 1/16.
// Each re-encode is O(samples); there are at most 2 + kMaxDecimalExponent per chunk.
//
// Thread-safety: none; the head serialises access per series.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/status.h"
#include "storage/chunk/format.h"
#include "storage/model.h"

namespace strix::storage::chunk {

class Appender {
 public:
  // Samples after which the bucket widths are tuned once.
  static constexpr uint32_t kTuneSamples = 32;

  explicit Appender(ValueKind kind) : kind_(kind) {}
  ~Appender();
  Appender(Appender&& other) noexcept;
  Appender& operator=(Appender&& other) noexcept;
  Appender(const Appender&) = delete;
  Appender& operator=(const Appender&) = delete;

  // Appends a numeric sample (every kind but state; .f for float kinds, .u for counters,
  // .i for derive). InvalidArgument if ts is not after the last timestamp or the kind is
  // state; ResourceExhausted when the chunk holds kMaxSamples.
  Status Append(Timestamp ts, NumericValue value);
  // Appends a state sample; InvalidArgument also for strings over kMaxStateBytes.
  Status AppendState(Timestamp ts, std::string_view value);

  // The chunk so far (open layout); empty before the first sample.
  std::string_view bytes() const {
    return {reinterpret_cast<const char*>(buf_), (static_cast<size_t>(bits_) + 7) / 8};
  }
  uint32_t count() const;
  Timestamp first_timestamp() const;  // 0 when empty
  Timestamp last_timestamp() const;   // 0 when empty
  ValueKind kind() const { return kind_; }
  // Current value encoding (meaningless when empty).
  Encoding encoding() const { return enc_; }

  // Bytes held: the object plus the buffer's capacity.
  size_t MemoryUsage() const { return sizeof(*this) + cap_; }
  // Drops the growth slack (keeps the 8 bytes the bit writer needs).
  void ShrinkToFit();
  // Forgets every sample and frees the buffer.
  void Reset();

 private:
  // The open-layout parameters a chunk is (re-)encoded with; divisors are derived.
  struct OpenParams {
    Encoding enc = Encoding::kInt;
    uint8_t exponent = 0;
    uint8_t ts_widths[4] = {0, 0, 0, 0};
    uint8_t order = 0;
    uint8_t value_widths[4] = {0, 0, 0, 0};
  };
  OpenParams Params() const;
  uint32_t ts_divisor() const;
  uint32_t value_divisor() const;
  void InitBuffer(const OpenParams& p, uint32_t ts_divisor, uint32_t value_divisor);
  // Whether the steps of a new sample divide by the current divisors.
  bool Divides(Timestamp ts, uint64_t word) const;
  // Appends one sample whose value word (integer, mantissa or float bits) fits the
  // current encoding and divisors; no checks.
  void Put(Timestamp ts, uint64_t word);
  void PutState(Timestamp ts, std::string_view value);
  uint64_t PutBucketed(uint64_t pos, uint64_t r, const uint8_t* widths);
  void Reserve(size_t bytes);
  void Commit(Timestamp ts, int64_t delta);
  // Re-encodes every sample, plus an optional new one, under p (decimal falls back to
  // XOR when a value does not fit p.exponent); divisors are recomputed from the data.
  Status Rebuild(OpenParams p, const Timestamp* extra_ts, const NumericValue* extra_value,
                 const std::string_view* extra_state);
  void Retune();

  uint8_t* buf_ = nullptr;
  uint32_t bits_ = 0;     // bits used, header included
  uint32_t cap_ = 0;      // bytes allocated
  uint64_t v_prev_ = 0;   // previous value word; state: previous string ref
  uint64_t v_delta_ = 0;  // previous value delta; state: the ref before that
  int64_t t_delta_ = 0;   // previous timestamp delta
  ValueKind kind_;
  Encoding enc_ = Encoding::kInt;
  uint8_t lead_ = 0;  // XOR window
  uint8_t trail_ = 0;
  bool has_prev2_ = false;  // state: v_delta_ holds a ref
};

}  // namespace strix::storage::chunk
