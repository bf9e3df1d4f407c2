// SHA-256 against the FIPS 180-4 example vectors, and digests that must not depend on how
// the input is split across Update() calls (block and padding boundaries).
#include "bench/loadgen/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace strix::bench {
namespace {

TEST(BenchSha256, FipsVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1'000'000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(BenchSha256, SplitUpdatesGiveTheSameDigest) {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>('a' + i % 26));
  // Lengths around the 55/56/64-byte padding and block edges.
  for (size_t len : {0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 300}) {
    const std::string whole = Sha256Hex(data.substr(0, len));
    for (size_t cut = 0; cut <= len; cut += 7) {
      Sha256 s;
      s.Update(std::string_view(data).substr(0, cut));
      s.Update(std::string_view(data).substr(cut, len - cut));
      const auto d = s.Finish();
      std::string hex;
      for (uint8_t b : d) hex += "0123456789abcdef"[b >> 4], hex += "0123456789abcdef"[b & 15];
      EXPECT_EQ(hex, whole) << "len " << len << " cut " << cut;
    }
  }
}

}  // namespace
}  // namespace strix::bench
