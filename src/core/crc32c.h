// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every Strix
// on-disk record. Uses the SSE4.2 crc32 instruction when the CPU has it, and a
// slicing-by-8 table otherwise; both give identical results (RFC 3720 vectors in the
// test). Mask/Unmask (as leveldb) keep the CRC of data that itself contains CRCs from
// being trivially self-consistent. Pure functions: thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace strix::crc32c {

// CRC of data, continuing from the CRC `init` of earlier bytes (0 to start).
uint32_t Extend(uint32_t init, const void* data, size_t n);
inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

// Same results without the hardware path; exposed for tests and benchmarks.
uint32_t ExtendPortable(uint32_t init, const void* data, size_t n);
bool HardwareAvailable();

constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace strix::crc32c
