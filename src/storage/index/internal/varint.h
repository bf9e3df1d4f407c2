// A bounds-checked varint32 decoder for the index's hot loops (postings lists, series
// entries): unrolled when at least 5 bytes remain, byte by byte near the end. Accepts the
// same encodings as core/coding.h GetVarint32 (at most 5 bytes, value < 2^32).
#pragma once

#include <cstdint>

namespace strix::storage::index::internal {

// Decodes at *p, advancing it; false (and *p unchanged) on truncated or overlong input.
inline bool ReadVarint32(const char** p, const char* end, uint32_t* v) {
  const auto* s = reinterpret_cast<const uint8_t*>(*p);
  const auto* e = reinterpret_cast<const uint8_t*>(end);
  uint32_t r = 0;
  for (int i = 0; i < 5; ++i) {
    if (s + i >= e) return false;
    uint32_t b = s[i];
    if (i == 4 && b > 0x0f) return false;  // more than 32 bits
    r |= (b & 0x7f) << (7 * i);
    if (b < 0x80) {
      *v = r;
      *p += i + 1;
      return true;
    }
  }
  return false;
}

}  // namespace strix::storage::index::internal
