// Chunk decoding (docs/format/chunk.md): a batch decoder that fills caller arrays, an
// iterator over samples built on it, and whole-chunk bulk decoding for the query path.
//
// Decoding is total on untrusted bytes: it never reads outside the chunk, allocates at
// most in proportion to the chunk (state dictionaries), and reports damage as
// Status::Corruption. Checks: header fields, bucket widths, stream bounds (a stream that
// is read past its end or has whole bytes left over), zero padding, strictly increasing
// timestamps, the last timestamp against the header, XOR windows, dictionary indices and
// string bounds. Samples of a batch are handed out only after the batch passed its checks;
// a chunk damaged late may still yield its earlier batches before the error.
//
// Speed: the integer and timestamp streams decode through kernels specialised on
// (order, mapping, bucket mode), a whole batch at a time, with a branch-free bit refill;
// a perfectly regular timestamp stream reads no bits at all.
//
// Thread-safety: one thread per decoder or iterator; the chunk bytes must outlive them
// and stay unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/status.h"
#include "storage/chunk/bits.h"
#include "storage/chunk/format.h"
#include "storage/model.h"

namespace strix::storage::chunk {

// Decodes one chunk in batches, in order.
class BatchDecoder {
 public:
  BatchDecoder() = default;
  BatchDecoder(const BatchDecoder&) = delete;
  BatchDecoder& operator=(const BatchDecoder&) = delete;

  // Parses the header and stream parameters. On error status() keeps it too.
  Status Init(std::string_view chunk);

  const ChunkHeader& header() const { return header_; }
  // Samples not decoded yet.
  uint32_t remaining() const { return header_.count - next_; }
  const Status& status() const { return status_; }

  // Numeric kinds: decodes up to `max` samples; returns how many (0 at the end or on
  // error: check status()).
  size_t Decode(Timestamp* ts, NumericValue* values, size_t max) {
    return DecodeRaw(ts, reinterpret_cast<uint64_t*>(values), max);
  }
  // State kind: the views point into the chunk.
  size_t DecodeState(Timestamp* ts, std::string_view* values, size_t max);

  // Values as raw 64-bit words: float bits, integers, or for state chunks string
  // references that StateString() resolves.
  size_t DecodeRaw(Timestamp* ts, uint64_t* raw, size_t max);
  std::string_view StateString(uint64_t ref) const {
    return chunk_.substr(static_cast<size_t>(ref >> 16), static_cast<size_t>(ref & 0xffff));
  }

  // One integer stream's parameters and running state (public for the kernels in
  // decoder.cc; not an API).
  struct Bucket {
    uint8_t plen = 0;
    uint8_t width = 0;
  };
  struct IntStream;
  // Decodes n values; false if a timestamp kernel saw one not above its predecessor.
  using Kernel = bool (*)(IntStream& s, BitReader& r, uint64_t* out, size_t n);
  struct IntStream {
    uint64_t prev = 0;
    uint64_t delta = 0;
    uint64_t base = 0;
    uint64_t gcd = 1;
    uint64_t last = 0;          // last value emitted (timestamp streams check order)
    uint64_t init[2] = {0, 0};  // values emitted before the first residual
    uint8_t ninit = 0;
    uint8_t init_next = 0;
    uint8_t order = 0;
    bool offset = false;
    uint8_t mode = 0;        // 0: no bits (k=1, width 0); 1: one fixed width; 2: buckets
    uint8_t width = 0;       // mode 1
    uint8_t per_refill = 1;  // fields decoded per 56-bit refill
    uint64_t totals = 0;     // mode 2: prefix+width bits of each 3-bit peek, 8 bits each
    uint64_t masks[8] = {};  // mode 2: (1 << width) - 1 per peek
    Bucket table[8];         // mode 2, indexed by the next 3 bits
    Kernel kernel = nullptr;
  };

 private:
  void SetupStream(IntStream* s, const IntParams& p, bool increasing);
  bool DecodeInts(IntStream& s, BitReader& r, uint64_t* out, size_t n);
  bool DecodeXor(BitReader& r, uint64_t* out, size_t n);
  bool DecodeSealedState(uint64_t* out, size_t n);
  template <Encoding kEnc>
  bool DecodeOpen(Timestamp* ts, uint64_t* raw, size_t n);
  bool ReadInlineString(BitReader& r, uint64_t* ref);
  Status CheckStreamEnd(const BitReader& r, std::string_view what) const;
  Status Fail(std::string_view what);  // sets and returns status_
  void FailDecode(std::string_view what);

  std::string_view chunk_;
  ChunkHeader header_;
  Status status_;
  uint32_t next_ = 0;
  Timestamp last_ts_ = 0;
  size_t value_offset_ = 0;  // where the value (or open) stream starts in the chunk
  BitReader ts_reader_;      // open layout: the one interleaved stream
  BitReader value_reader_;
  IntStream ts_;
  IntStream values_;
  int exponent_ = 0;
  // XOR state.
  uint64_t xor_prev_ = 0;
  uint8_t xor_lead_ = 0;
  uint8_t xor_trail_ = 0;
  // State: sealed dictionary of string refs, previous index / refs.
  std::vector<uint64_t> dict_;
  uint64_t state_prev_ = 0;
  uint64_t state_prev2_ = 0;
  bool state_has_prev2_ = false;
};

// Iterates over the samples of one chunk.
//
//   Iterator it(chunk);
//   while (it.Next()) Use(it.timestamp(), it.value());
//   if (!it.status().ok()) ...
class Iterator {
 public:
  explicit Iterator(std::string_view chunk) { dec_.Init(chunk).IgnoreError(); }

  // Moves to the next sample; false at the end or on error (see status()).
  bool Next() {
    if (i_ + 1 < n_) {
      ++i_;
      return true;
    }
    return Fill();
  }
  // Moves forward to the first sample with timestamp >= t (staying put if the current
  // sample qualifies); false if there is none.
  bool Seek(Timestamp t);

  Timestamp timestamp() const { return ts_[i_]; }
  // Numeric kinds: .f for float kinds, .u for counters, .i for derive.
  NumericValue value() const {
    NumericValue v;
    v.u = raw_[i_];
    return v;
  }
  // State kind: a view into the chunk.
  std::string_view state() const { return dec_.StateString(raw_[i_]); }

  const Status& status() const { return dec_.status(); }
  const ChunkHeader& header() const { return dec_.header(); }

 private:
  static constexpr size_t kBatch = 128;
  bool Fill();

  BatchDecoder dec_;
  uint32_t i_ = 0;
  uint32_t n_ = 0;
  bool done_ = false;
  Timestamp ts_[kBatch];
  uint64_t raw_[kBatch];
};

// Appends the samples of a numeric chunk with mint <= ts <= maxt to *ts and *values. On
// error both are left as they were.
Status DecodeNumeric(std::string_view chunk, std::vector<Timestamp>* ts,
                     std::vector<NumericValue>* values,
                     Timestamp mint = std::numeric_limits<Timestamp>::min(),
                     Timestamp maxt = std::numeric_limits<Timestamp>::max());
// Decodes every sample of a numeric chunk into ts[0..n) and values[0..n), where n is the
// header's count and must not exceed `capacity` (kMaxSamples always suffices). Returns
// n. Writes into caller memory without initialising it first: the query path's fastest
// bulk decode. On error the arrays hold garbage.
Result<size_t> DecodeNumericInto(std::string_view chunk, Timestamp* ts, NumericValue* values,
                                 size_t capacity);
// The same for a state chunk; the views point into the chunk.
Status DecodeState(std::string_view chunk, std::vector<Timestamp>* ts,
                   std::vector<std::string_view>* values,
                   Timestamp mint = std::numeric_limits<Timestamp>::min(),
                   Timestamp maxt = std::numeric_limits<Timestamp>::max());

}  // namespace strix::storage::chunk
