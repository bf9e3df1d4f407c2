#include "agents/common/config_text.h"

#include <gtest/gtest.h>

namespace strix::agents {
namespace {

TEST(ConfigText, FieldNames) {
  EXPECT_TRUE(IsFieldName("in_octets"));
  EXPECT_TRUE(IsFieldName("_x1"));
  EXPECT_FALSE(IsFieldName(""));
  EXPECT_FALSE(IsFieldName("1a"));
  EXPECT_FALSE(IsFieldName("a-b"));
  EXPECT_TRUE(IsFieldName(std::string(128, 'a')));
  EXPECT_FALSE(IsFieldName(std::string(129, 'a')));
}

TEST(ConfigText, HostPortForms) {
  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(ParseHostPort("plc1", 502, &host, &port));
  EXPECT_EQ(host, "plc1");
  EXPECT_EQ(port, 502);
  ASSERT_TRUE(ParseHostPort("192.0.2.1:1502", 502, &host, &port));
  EXPECT_EQ(host, "192.0.2.1");
  EXPECT_EQ(port, 1502);
  ASSERT_TRUE(ParseHostPort("[2001:db8::7]:1161", 161, &host, &port));
  EXPECT_EQ(host, "2001:db8::7");
  EXPECT_EQ(port, 1161);
  ASSERT_TRUE(ParseHostPort("2001:db8::7", 161, &host, &port));
  EXPECT_EQ(host, "2001:db8::7");
  EXPECT_EQ(port, 161);
  for (const char* bad :
       {"", ":502", "h:0", "h:65536", "h:x", "[]", "[::1", "[::1]x", "a b", "a/b"}) {
    EXPECT_FALSE(ParseHostPort(bad, 502, &host, &port)) << bad;
  }
  EXPECT_EQ(HostPortLabel("plc1", 502, 502), "plc1");
  EXPECT_EQ(HostPortLabel("plc1", 1502, 502), "plc1:1502");
  EXPECT_EQ(HostPortLabel("2001:db8::7", 1161, 161), "[2001:db8::7]:1161");
}

TEST(ConfigText, YamlText) {
  EXPECT_EQ(YamlQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(YamlQuote(std::string("x\n\x01", 3)), "\"x\\x0a\\x01\"");
  EXPECT_EQ(YamlNumber(0.1), "0.1");
  EXPECT_EQ(YamlNumber(8), "8");
}

}  // namespace
}  // namespace strix::agents
