#include "core/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace strix::crc32c {
namespace {

// RFC 3720 (iSCSI), appendix B.4.
TEST(Crc32c, Rfc3720Vectors) {
  std::string zeros(32, '\0');
  EXPECT_EQ(Value(zeros), 0x8a9136aau);
  std::string ones(32, '\xff');
  EXPECT_EQ(Value(ones), 0x62a8ab43u);
  std::string inc(32, '\0');
  for (int i = 0; i < 32; ++i) inc[i] = static_cast<char>(i);
  EXPECT_EQ(Value(inc), 0x46dd794eu);
  std::string dec(32, '\0');
  for (int i = 0; i < 32; ++i) dec[i] = static_cast<char>(31 - i);
  EXPECT_EQ(Value(dec), 0x113fdb5cu);
  const unsigned char scsi_read[48] = {0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00,
                                       0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00,
                                       0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                       0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(Value(scsi_read, sizeof(scsi_read)), 0xd9963a56u);
}

TEST(Crc32c, CheckValue) { EXPECT_EQ(Value("123456789"), 0xe3069283u); }

TEST(Crc32c, ExtendEqualsWhole) {
  std::string s = "hello, time series world";
  for (size_t split = 0; split <= s.size(); ++split) {
    uint32_t a = Value(s.data(), split);
    EXPECT_EQ(Extend(a, s.data() + split, s.size() - split), Value(s));
  }
}

TEST(Crc32c, PortableMatchesDispatchedOnRandomData) {
  std::mt19937_64 rng(42);
  for (int len : {0, 1, 7, 8, 9, 63, 64, 65, 1000, 4097}) {
    std::string s(len, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    for (int off = 0; off < 3 && off <= len; ++off) {
      EXPECT_EQ(ExtendPortable(0, s.data() + off, len - off), Value(s.data() + off, len - off))
          << "len " << len << " off " << off;
    }
  }
}

TEST(Crc32c, MaskRoundTripAndDiffers) {
  uint32_t crc = Value("foo");
  EXPECT_NE(Mask(crc), crc);
  EXPECT_NE(Mask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Unmask(Mask(Mask(crc)))), crc);
}

}  // namespace
}  // namespace strix::crc32c
