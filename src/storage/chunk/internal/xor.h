// Gorilla XOR coding of float64 bits (docs/format/chunk.md, "XOR values"), shared by the
// one-shot encoder, the appender and the decoder. Per value after the first (64 raw bits):
//   '0'                       same bits as the previous value
//   '10' + window bits        XOR fits the previous window [lead, 64 - trail)
//   '11' + lead:5 + sig:6 + sig bits   new window (sig 0 means 64)
// The window starts as the full 64 bits. The encoder reuses the window when that is no
// longer than opening a new one.
#pragma once

#include <cstdint>

#include "storage/chunk/bits.h"

namespace strix::storage::chunk::internal {

struct XorState {
  uint64_t prev = 0;
  uint8_t lead = 0;
  uint8_t trail = 0;
};

// Encodes `bits` after s.prev, calling emit(value, nbits) with nbits <= 64.
template <typename Emit>
inline void XorEncodeValue(XorState& s, uint64_t bits, Emit&& emit) {
  const uint64_t x = bits ^ s.prev;
  s.prev = bits;
  if (x == 0) {
    emit(0, 1);
    return;
  }
  int lead = __builtin_clzll(x);
  if (lead > 31) lead = 31;
  const int trail = __builtin_ctzll(x);
  const int sig = 64 - lead - trail;
  const int win = 64 - s.lead - s.trail;
  if (lead >= s.lead && trail >= s.trail && win <= 11 + sig) {
    emit(2, 2);
    emit(x >> s.trail, win);
    return;
  }
  emit((uint64_t{3} << 11) | (static_cast<uint64_t>(lead) << 6) | static_cast<uint64_t>(sig & 63),
       13);
  emit(x >> trail, sig);
  s.lead = static_cast<uint8_t>(lead);
  s.trail = static_cast<uint8_t>(trail);
}

// Bits XorEncodeValue would emit, without emitting.
inline uint64_t XorValueCost(XorState& s, uint64_t bits) {
  uint64_t n = 0;
  XorEncodeValue(s, bits, [&n](uint64_t, int b) { n += static_cast<uint64_t>(b); });
  return n;
}

// Decodes one value after the first; false when the window is impossible (corruption).
inline bool XorDecodeValue(BitReader& r, XorState& s) {
  r.Refill();
  if ((r.buf >> 63) == 0) {
    r.Consume(1);
    return true;
  }
  if (((r.buf >> 62) & 1) == 0) {
    r.Consume(2);
    const unsigned win = 64u - s.lead - s.trail;
    s.prev ^= r.ReadWide(win) << s.trail;
    return true;
  }
  const unsigned hdr = static_cast<unsigned>((r.buf >> 51) & 0x7ff);
  r.Consume(13);
  const unsigned lead = hdr >> 6;
  unsigned sig = hdr & 63;
  if (sig == 0) sig = 64;
  if (lead + sig > 64) return false;
  s.lead = static_cast<uint8_t>(lead);
  s.trail = static_cast<uint8_t>(64 - lead - sig);
  s.prev ^= r.ReadWide(sig) << s.trail;
  return true;
}

}  // namespace strix::storage::chunk::internal
