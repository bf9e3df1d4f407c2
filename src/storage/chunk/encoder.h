// One-shot chunk encoder: turns the samples of one series into the smallest sealed chunk
// it can find (docs/format/chunk.md). Used when the head flushes chunks into immutable
// blocks and by compaction. For every stream it tries each order (raw, delta,
// delta-of-delta), each residual mapping (zigzag, offset from the minimum) with the
// common divisor of the steps, and every bucket scheme of up to four widths drawn from
// the residual bit lengths; float chunks are written as decimal mantissas or Gorilla XOR,
// whichever is smaller.
//
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "storage/chunk/format.h"
#include "storage/model.h"

namespace strix::storage::chunk {

struct EncodeOptions {
  // Float kinds only: which value encoding to use. kSmallest tries both; forcing
  // kDecimal fails with InvalidArgument when a value is not decimal.
  enum class Float { kSmallest, kDecimal, kXor };
  Float float_encoding = Float::kSmallest;
};

// Encodes a numeric chunk (every kind but state) and appends it to *out. Needs
// 1..kMaxSamples samples with strictly increasing timestamps; `values` is read as
// .f for float kinds and .u for integer kinds. On error *out is unchanged.
Status Encode(ValueKind kind, std::span<const Timestamp> ts, std::span<const NumericValue> values,
              std::string* out, const EncodeOptions& options = {});

// Encodes a state chunk (strings of at most kMaxStateBytes) and appends it to *out.
Status EncodeState(std::span<const Timestamp> ts, std::span<const std::string_view> values,
                   std::string* out);

// Decodes any valid chunk (sealed or open) and appends its smallest sealed encoding.
Status Reencode(std::string_view chunk, std::string* out);

}  // namespace strix::storage::chunk
