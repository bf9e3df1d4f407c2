// Tests of the strict UTF-8 validator: every boundary of RFC 3629's table of well-formed
// sequences, and the classic malformed cases.
#include "core/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace strix {
namespace {

TEST(Utf8, AcceptsEveryBoundaryOfTheWellFormedRanges) {
  for (const char* s : {"", "plain ascii", "\x7f", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80",
                        "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80",
                        "\xf4\x8f\xbf\xbf", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"}) {
    EXPECT_TRUE(IsValidUtf8(s)) << s;
  }
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));  // NUL is a code point
}

TEST(Utf8, RejectsOverlongsSurrogatesBigCodePointsAndTruncation) {
  for (const char* s : {"\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf",
                        "\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf",
                        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xc3", "\xe2\x82",
                        "\xf0\x9f\x98", "ok\xc3(", "\xe2\x28\xa1"}) {
    EXPECT_FALSE(IsValidUtf8(s)) << testing::PrintToString(std::string(s));
  }
}

TEST(Utf8, SequenceLengthAtAnOffset) {
  const std::string s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x80";
  EXPECT_EQ(Utf8SequenceLength(s, 0), 1u);
  EXPECT_EQ(Utf8SequenceLength(s, 1), 2u);
  EXPECT_EQ(Utf8SequenceLength(s, 3), 3u);
  EXPECT_EQ(Utf8SequenceLength(s, 6), 4u);
  EXPECT_EQ(Utf8SequenceLength(s, 10), 0u);  // a lone continuation byte
  EXPECT_EQ(Utf8SequenceLength(s, 2), 0u);   // inside a sequence
}

}  // namespace
}  // namespace strix
