// Bit-level I/O for the chunk codecs (docs/format/chunk.md): MSB-first bit streams.
//
// BitWriter fills pre-sized memory through a 64-bit accumulator (the one-shot encoder).
// WriteBitsAt ORs bits into a zero-filled byte buffer in place (the appender, whose
// buffer must be a valid chunk after every sample). BitReader reads a stream with a
// branch-free refill that keeps at least 56 bits buffered; bytes past the end of the
// stream read as zero, and consumed_bits() tells the caller whether it read past the end,
// so a decoder checks once per batch instead of once per field. Reading never touches
// memory outside [data, data + size).
//
// Thread-safety: plain values; one thread per object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace strix::storage::chunk {

inline uint64_t LoadBE64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}
inline void StoreBE64(uint8_t* p, uint64_t v) {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

// Number of significant bits of v: 0 for 0, 64 for values >= 2^63.
inline int BitLength(uint64_t v) { return v == 0 ? 0 : 64 - __builtin_clzll(v); }

// Writes an MSB-first bit stream into memory the caller sized beforehand (encoders
// know the exact bit count of every stream before writing it). Full 64-bit words are
// stored as they fill; Finish() writes the last partial word, zero-padded to a byte.
class BitWriter {
 public:
  explicit BitWriter(char* dst) : p_(dst) {}

  // Writes the low `n` bits of v (0 <= n <= 64); the bits of v above n must be zero.
  __attribute__((always_inline)) void Write(uint64_t v, int n) {
    if (n == 0) return;
    const int free = 64 - used_;
    if (n < free) {
      acc_ |= v << (free - n);
      used_ += n;
      return;
    }
    const int rest = n - free;  // 0..63
    acc_ |= v >> rest;
    const uint64_t be = __builtin_bswap64(acc_);
    std::memcpy(p_, &be, 8);
    p_ += 8;
    used_ = rest;
    acc_ = rest ? v << (64 - rest) : 0;
  }

  // Flushes the pending bits; returns the end of the written bytes.
  char* Finish() {
    const int bytes = (used_ + 7) / 8;
    for (int i = 0; i < bytes; ++i) *p_++ = static_cast<char>(acc_ >> (56 - 8 * i));
    acc_ = 0;
    used_ = 0;
    return p_;
  }

 private:
  char* p_;
  uint64_t acc_ = 0;
  int used_ = 0;  // pending bits at the top of acc_, 0..63
};

// ORs the low `n` bits of v (n <= 64, higher bits of v zero) into buf at bit offset
// `bitpos`. The bytes from bitpos/8 on must be zero except for the bits already written,
// and buf must have 8 writable bytes from bitpos/8 (16 when n > 57).
inline void WriteBitsAt(uint8_t* buf, uint64_t bitpos, uint64_t v, int n) {
  if (n == 0) return;
  if (n > 57) {
    WriteBitsAt(buf, bitpos, v >> 32, n - 32);
    WriteBitsAt(buf, bitpos + static_cast<uint64_t>(n - 32), v & 0xffffffffu, 32);
    return;
  }
  uint8_t* p = buf + (bitpos >> 3);
  const int off = static_cast<int>(bitpos & 7);
  StoreBE64(p, LoadBE64(p) | ((v << (64 - n)) >> off));
}

// Reads an MSB-first bit stream. Invariant: consumed bits = pos*8 - avail, and the top
// `avail` bits of buf are the next bits of the stream (zero past its end).
struct BitReader {
  const uint8_t* data = nullptr;
  size_t size = 0;  // bytes in the stream
  size_t pos = 0;   // next byte to load
  uint64_t buf = 0;
  unsigned avail = 0;

  BitReader() = default;
  BitReader(const uint8_t* d, size_t n) : data(d), size(n) {}

  // Ensures avail >= 56.
  void Refill() {
    if (__builtin_expect(pos + 8 <= size, 1)) {
      buf |= LoadBE64(data + pos) >> avail;
    } else {
      uint8_t tmp[8] = {};
      if (pos < size) std::memcpy(tmp, data + pos, size - pos);
      buf |= LoadBE64(tmp) >> avail;
    }
    pos += (63 - avail) >> 3;
    avail |= 56;
  }
  // n <= avail.
  void Consume(unsigned n) {
    buf <<= n;
    avail -= n;
  }
  // Reads n <= 56 bits.
  uint64_t Read(unsigned n) {
    Refill();
    const uint64_t v = (buf >> 1) >> (63 - n);
    Consume(n);
    return v;
  }
  // Reads n <= 64 bits.
  uint64_t ReadWide(unsigned n) {
    if (n <= 56) return Read(n);
    const uint64_t hi = Read(n - 32);
    return (hi << 32) | Read(32);
  }
  uint64_t consumed_bits() const { return static_cast<uint64_t>(pos) * 8 - avail; }
  bool overrun() const { return consumed_bits() > static_cast<uint64_t>(size) * 8; }
  // Repositions at an absolute bit offset (may be past the end: reads then give zeros).
  void SeekBit(uint64_t bit) {
    pos = static_cast<size_t>(bit >> 3);
    buf = 0;
    avail = 0;
    const unsigned skip = static_cast<unsigned>(bit & 7);
    if (skip) {
      Refill();
      Consume(skip);
    }
  }
};

}  // namespace strix::storage::chunk
