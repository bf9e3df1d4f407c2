// SHA-256 (FIPS 180-4), for the pattoo agent checksums of generated payloads
// (pattoo.md §1.5: pattoo_checksum is a chain of sha256 hex digests) and the agent ids.
// The load generator may link only strix_core and zlib, so it carries this small
// implementation; it runs only while payloads are built, never while the clock runs.
//
// Thread-safety: Sha256 is a value; distinct objects may be used from distinct threads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strix::bench {

class Sha256 {
 public:
  Sha256();
  void Update(std::string_view data);
  // The digest of everything passed to Update. The object must not be used afterwards.
  std::array<uint8_t, 32> Finish();

 private:
  void Block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buf_{};
  size_t buf_len_ = 0;
  uint64_t total_bytes_ = 0;
};

// Lower-case hex of sha256(data), 64 characters (Python's hashlib.sha256(..).hexdigest()).
std::string Sha256Hex(std::string_view data);

}  // namespace strix::bench
