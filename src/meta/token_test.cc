// Tests of the token text format, its hash (pinned to docs/format/meta.md's definition)
// and the scope rules, without a database.
#include "meta/token.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <set>
#include <string>
#include <vector>

#include "meta/principal.h"

namespace strix::meta {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class TokenTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }
};

TEST_F(TokenTest, FormatThenParseGivesBackIdAndSecret) {
  for (int i = 0; i < 200; ++i) {
    std::string id = GenerateTokenId();
    TokenSecret secret = GenerateTokenSecret();
    std::string text = FormatToken(id, secret);
    ASSERT_EQ(text.size(), kTokenChars);
    ASSERT_EQ(text.substr(0, 6), "strix_");
    Result<ParsedToken> p = ParseToken(text);
    ASSERT_TRUE(p.ok()) << p.status().ToString() << " " << text;
    EXPECT_EQ(p->id, id);
    EXPECT_EQ(p->secret, secret);
  }
}

TEST_F(TokenTest, EdgeSecretsRoundTrip) {
  TokenSecret zeros{};
  TokenSecret ones;
  ones.fill(0xff);
  std::string z = FormatToken("aaaaaaaaaaaa", zeros);
  EXPECT_EQ(z, "strix_aaaaaaaaaaaa_" + std::string(52, 'a'));
  std::string o = FormatToken("777777777777", ones);
  // 255 one-bits are 51 '7's; the last character holds one 1 and four padding zeros: 'q'.
  EXPECT_EQ(o, "strix_777777777777_" + std::string(51, '7') + "q");
  EXPECT_EQ(ParseToken(z)->secret, zeros);
  EXPECT_EQ(ParseToken(o)->secret, ones);
}

TEST_F(TokenTest, SecretIsRfc4648Base32LowerCase) {
  // Python: base64.b32encode(bytes(range(1, 33))).decode().rstrip("=").lower()
  TokenSecret secret;
  for (size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<uint8_t>(i + 1);
  EXPECT_EQ(FormatToken("abcdefgh2345", secret),
            "strix_abcdefgh2345_aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qa");
}

TEST_F(TokenTest, GeneratedIdsAreValidAndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    std::string id = GenerateTokenId();
    EXPECT_TRUE(IsValidTokenId(id)) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_NE(GenerateTokenSecret(), GenerateTokenSecret());
}

TEST_F(TokenTest, MalformedTokensAreRejectedWithoutEchoingThem) {
  const std::string good = FormatToken("abcdefgh2345", GenerateTokenSecret());
  std::vector<std::string> bad = {
      "",
      "strix_",
      good.substr(0, good.size() - 1),                       // too short
      good + "a",                                            // too long
      "Strix" + good.substr(5),                              // prefix case
      "stri__" + good.substr(6),                             // prefix
      good.substr(0, 6) + "ABCDEFGH2345" + good.substr(18),  // upper-case id
      good.substr(0, 6) + "abcdefgh2341" + good.substr(18),  // '1' is not base32
      good.substr(0, 18) + "-" + good.substr(19),            // separator
      good.substr(0, 19) + "0" + good.substr(20),            // '0' is not base32
      good.substr(0, 19) + "=" + good.substr(20),            // no padding characters
      good.substr(0, 70) + "b",                              // last char: padding bits set
      good.substr(0, 70) + "r",
      std::string(71, '\0'),
  };
  for (const std::string& text : bad) {
    Result<ParsedToken> p = ParseToken(text);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_EQ(p.status().code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(p.status().message(), "malformed token");
    if (text.size() > 20) {
      EXPECT_THAT(p.status().ToString(), Not(HasSubstr(text.substr(19))));
    }
  }
}

TEST_F(TokenTest, HashIsTheDocumentedBlake2bConstruction) {
  TokenSecret secret = GenerateTokenSecret();
  const std::string id = "k3v9xq2mfa7d";
  std::string msg = "strix-token-v1";
  msg.push_back('\0');
  msg += id;
  msg.push_back('\0');
  msg.append(reinterpret_cast<const char*>(secret.data()), secret.size());
  TokenHash want;
  crypto_generichash(want.data(), want.size(), reinterpret_cast<const uint8_t*>(msg.data()),
                     msg.size(), nullptr, 0);
  EXPECT_EQ(HashTokenSecret(id, secret), want);
  EXPECT_TRUE(TokenHashesEqual(HashTokenSecret(id, secret), want));
}

TEST_F(TokenTest, HashBindsTheId) {
  TokenSecret secret = GenerateTokenSecret();
  EXPECT_NE(HashTokenSecret("aaaaaaaaaaaa", secret), HashTokenSecret("aaaaaaaaaaab", secret));
  TokenSecret other = secret;
  other[31] ^= 1;
  EXPECT_FALSE(TokenHashesEqual(HashTokenSecret("aaaaaaaaaaaa", secret),
                                HashTokenSecret("aaaaaaaaaaaa", other)));
}

TEST(Scopes, AdminImpliesReadButNotIngest) {
  Scopes admin{Scope::kAdmin};
  EXPECT_TRUE(admin.Allows(Scope::kAdmin));
  EXPECT_TRUE(admin.Allows(Scope::kRead));
  EXPECT_FALSE(admin.Allows(Scope::kIngest));
  EXPECT_FALSE(admin.Contains(Scope::kRead));

  Scopes ingest{Scope::kIngest};
  EXPECT_TRUE(ingest.Allows(Scope::kIngest));
  EXPECT_FALSE(ingest.Allows(Scope::kRead));
  EXPECT_FALSE(ingest.Allows(Scope::kAdmin));

  Scopes read{Scope::kRead};
  EXPECT_TRUE(read.Allows(Scope::kRead));
  EXPECT_FALSE(read.Allows(Scope::kIngest));
  EXPECT_FALSE(read.Allows(Scope::kAdmin));

  Scopes all{Scope::kIngest, Scope::kAdmin};
  EXPECT_TRUE(all.Allows(Scope::kIngest));
  EXPECT_TRUE(all.Allows(Scope::kRead));
  EXPECT_TRUE(all.Allows(Scope::kAdmin));
}

TEST(Scopes, ParseAndPrint) {
  Result<Scopes> s = Scopes::Parse("admin, ingest");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, (Scopes{Scope::kIngest, Scope::kAdmin}));
  EXPECT_EQ(s->ToString(), "ingest,admin");
  EXPECT_EQ(Scopes::Parse("read,read")->ToString(), "read");
  EXPECT_EQ(Scopes::Parse("ingest,read,admin")->bits(), 7u);
  EXPECT_EQ(Scopes().ToString(), "");
  for (const char* bad : {"", "write", "read,", "Admin", "read;ingest"}) {
    Result<Scopes> r = Scopes::Parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(Scopes, UnknownStoredBitsGrantNothing) {
  EXPECT_EQ(Scopes::FromBits(0xf8).bits(), 0u);
  EXPECT_EQ(Scopes::FromBits(0x0a), Scopes{Scope::kRead});
}

}  // namespace
}  // namespace strix::meta
