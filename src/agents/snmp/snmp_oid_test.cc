// Tests of OID parsing, formatting, ordering and symbolic resolution.
#include "agents/snmp/snmp_oid.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace strix::agents::snmp {
namespace {

TEST(SnmpOid, ParsesWithAndWithoutLeadingDot) {
  EXPECT_EQ(*ParseNumericOid(".1.3.6.1.2.1.1.3.0"), (Oid{1, 3, 6, 1, 2, 1, 1, 3, 0}));
  EXPECT_EQ(*ParseNumericOid("1.3.6.1"), (Oid{1, 3, 6, 1}));
  EXPECT_EQ(*ParseNumericOid(".1.3.4294967295"), (Oid{1, 3, 4294967295u}));
}

TEST(SnmpOid, RejectsMalformed) {
  for (const char* bad : {"", ".", "1", ".1", "1..3", "1.3.", ".1.3.x", "1.3.-1", "1.3.4294967296",
                          " 1.3", "1.3 ", "..1.3"}) {
    EXPECT_FALSE(ParseNumericOid(bad).ok()) << bad;
  }
  std::string longest = "1";
  for (int i = 1; i < 129; ++i) longest += ".1";
  EXPECT_FALSE(ParseNumericOid(longest).ok());
}

TEST(SnmpOid, FormatsWithLeadingDotAndRoundTrips) {
  EXPECT_EQ(FormatOid({1, 3, 6, 1, 2, 1}), ".1.3.6.1.2.1");
  EXPECT_EQ(FormatOid({}), "");
  EXPECT_EQ(FormatOid(*ParseNumericOid("1.3.6.1.4.1.99999.1.0")), ".1.3.6.1.4.1.99999.1.0");
}

TEST(SnmpOid, PrefixSuffixAndOrder) {
  const Oid col = {1, 3, 6, 1, 2, 1, 2, 2, 1, 10};
  Oid row = col;
  row.push_back(3);
  EXPECT_TRUE(OidStartsWith(row, col));
  EXPECT_FALSE(OidStartsWith(col, row));
  EXPECT_EQ(OidSuffix(row, col), "3");
  EXPECT_EQ(OidSuffix({1, 3, 1, 4, 192, 0, 2, 1}, {1, 3}), "1.4.192.0.2.1");
  EXPECT_EQ(OidSuffix(col, col), "");
  EXPECT_LT(CompareOids({1, 3, 6}, {1, 3, 6, 1}), 0);
  EXPECT_LT(CompareOids({1, 3, 6, 1}, {1, 3, 7}), 0);
  EXPECT_EQ(CompareOids({1, 3}, {1, 3}), 0);
  EXPECT_GT(CompareOids({1, 10}, {1, 9, 5}), 0);
}

TEST(SnmpOid, ResolveTakesNumericWithoutMibs) {
  EXPECT_EQ(*ResolveOid(".1.3.6.1.2.1.1.5.0"), (Oid{1, 3, 6, 1, 2, 1, 1, 5, 0}));
}

TEST(SnmpOid, UnknownNameIsNotFoundWithTheSearchPath) {
  Result<Oid> r = ResolveOid("NO-SUCH-MIB::noSuchObjectAnywhere");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("cannot resolve"), std::string::npos)
      << r.status().ToString();
}

// IF-MIB is in Debian's snmp-mibs-downloader (non-free), not in libsnmp-base, which ships
// only net-snmp's own MIBs: resolve it when present, else skip with the reason.
TEST(SnmpOid, SymbolicIfMibNameWhenMibFilesArePresent) {
  Result<Oid> r = ResolveOid("IF-MIB::ifHCInOctets");
  if (!r.ok())
    GTEST_SKIP() << "IF-MIB not installed (snmp-mibs-downloader): " << r.status().ToString();
  EXPECT_EQ(*r, (Oid{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6}));
  EXPECT_EQ(*ResolveOid("ifHCInOctets"), *r);
}

// A MIB of our own (testdata/mibs/STRIX-TEST-MIB.txt), so that name resolution is tested
// whatever MIB packages are installed.
TEST(SnmpOid, SymbolicNamesFromATestMib) {
  const char* src = std::getenv("STRIX_SOURCE_DIR");
  ASSERT_NE(src, nullptr) << "run through ctest, which sets STRIX_SOURCE_DIR";
  SetMibDirectories(std::string(src) + "/src/agents/snmp/testdata/mibs");
  Result<Oid> r = ResolveOid("STRIX-TEST-MIB::strixTestCounter.0");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (Oid{1, 3, 6, 1, 4, 1, 99999, 1, 0}));
  Result<Oid> bare = ResolveOid("strixTestGauge.0");
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_EQ(*bare, (Oid{1, 3, 6, 1, 4, 1, 99999, 3, 0}));
  EXPECT_FALSE(ResolveOid("STRIX-TEST-MIB::noSuchName").ok());
  SetMibDirectories("");
}

}  // namespace
}  // namespace strix::agents::snmp
