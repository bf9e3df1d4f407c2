// Tests of JSON string quoting: escapes, UTF-8 kept, invalid bytes replaced.
#include "core/json_string.h"

#include <gtest/gtest.h>

namespace strix {
namespace {

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

TEST(JsonString, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(Quote(""), "\"\"");
  EXPECT_EQ(Quote("plain"), "\"plain\"");
  EXPECT_EQ(Quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Quote("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(Quote(std::string("\x01\x1f\0", 3)), "\"\\u0001\\u001f\\u0000\"");
  EXPECT_EQ(Quote("\x7f/"), "\"\x7f/\"");  // DEL and '/' need no escape
}

TEST(JsonString, KeepsValidUtf8AndReplacesEachInvalidByte) {
  EXPECT_EQ(Quote("caf\xc3\xa9 \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
  EXPECT_EQ(Quote("a\xff"
                  "b"),
            "\"a\xef\xbf\xbd"
            "b\"");
  EXPECT_EQ(Quote("\xc0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");  // overlong: two bytes
  EXPECT_EQ(Quote("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // surrogate
  EXPECT_EQ(Quote("x\xe2\x82"), "\"x\xef\xbf\xbd\xef\xbf\xbd\"");                // truncated
}

}  // namespace
}  // namespace strix
