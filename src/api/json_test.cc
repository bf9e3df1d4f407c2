#include "api/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace strix::api {
namespace {

TEST(JsonWriter, NestedContainersGetCommasOnlyBetweenElements) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("a").BeginArray().Int(1).Int(-2).EndArray();
  w.Key("b").BeginObject().EndObject().Key("c").BeginArray().EndArray();
  w.Key("d").Bool(true).Key("e").Null().EndObject();
  EXPECT_EQ(out, R"({"a":[1,-2],"b":{},"c":[],"d":true,"e":null})");
}

TEST(JsonWriter, EscapesControlCharactersQuotesAndBackslashes) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\t\x01"), R"("a\"b\\c\n\t\u0001")");
}

TEST(JsonWriter, InvalidUtf8BecomesReplacementCharacterValidIsKept) {
  EXPECT_EQ(JsonQuote("caf\xC3\xA9"), "\"caf\xC3\xA9\"");
  EXPECT_EQ(JsonQuote("x\xFFy"), "\"x\xEF\xBF\xBDy\"");
  EXPECT_EQ(JsonQuote("\xC3"), "\"\xEF\xBF\xBD\"");                  // truncated sequence
  EXPECT_EQ(JsonQuote("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // overlong
  EXPECT_EQ(JsonQuote("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
  EXPECT_EQ(JsonQuote("\xF0\x9F\x98\x80"), "\"\xF0\x9F\x98\x80\"");
}

TEST(JsonWriter, DoublesRoundTripAndNonFiniteIsNull) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray().Double(42.5).Double(80).Double(0.1).Double(std::nan(""));
  w.Double(std::numeric_limits<double>::infinity()).EndArray();
  EXPECT_EQ(out, "[42.5,80,0.1,null,null]");
}

TEST(JsonWriter, PyFloatAlwaysShowsAFraction) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray().PyFloat(80).PyFloat(42.5).PyFloat(1795300401).PyFloat(-0.0).EndArray();
  EXPECT_EQ(out, "[80.0,42.5,1795300401.0,-0.0]");
}

TEST(JsonWriter, UnsignedKeepsAll64Bits) {
  std::string out;
  JsonWriter w(&out);
  w.Uint(18446744073709551615ull);
  EXPECT_EQ(out, "18446744073709551615");
}

}  // namespace
}  // namespace strix::api
