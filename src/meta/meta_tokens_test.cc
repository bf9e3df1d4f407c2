// Tests of API tokens in the MetaStore: the round trip, each way a token is refused (and
// that an unknown id and a wrong secret look the same), revocation by another process,
// expiry, that only a hash reaches the disk, the throttled last_used_at, listing, argument
// checks and concurrent verification.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/testing/temp_dir.h"
#include "meta/internal/test_util.h"
#include "meta/meta_store.h"

namespace strix::meta {
namespace {

using internal::RawDb;
using internal::ReadFileBytes;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;

constexpr int64_t kT0 = 1'800'000'000'000;  // 2027-01-15

TokenOptions Opts(std::string created_by, std::optional<int64_t> expires_at_ms = std::nullopt) {
  TokenOptions o;
  o.created_by = std::move(created_by);
  o.expires_at_ms = expires_at_ms;
  return o;
}

class TokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.Join("meta.db");
    store_ = Open();
    ASSERT_NE(store_, nullptr);
  }
  std::unique_ptr<MetaStore> Open() {
    MetaStoreOptions o;
    o.clock = &clock_;
    Result<std::unique_ptr<MetaStore>> r = MetaStore::Open(path_, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }
  NewToken Create(std::string_view name, Scopes scopes, TokenOptions o = {}) {
    Result<NewToken> t = store_->CreateToken(name, scopes, o);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : NewToken{};
  }
  static std::string WithSecretChar(const std::string& token, size_t pos, char c) {
    std::string s = token;
    s[kTokenPrefix.size() + kTokenIdChars + 1 + pos] = c;
    return s;
  }

  TempDir dir_;
  std::string path_;
  ManualClock clock_{kT0};
  std::unique_ptr<MetaStore> store_;
};

TEST_F(TokensTest, CreatedTokenVerifiesToItsPrincipal) {
  NewToken t = Create("agent web-01", {Scope::kIngest}, Opts("cli"));
  EXPECT_EQ(t.plaintext.size(), kTokenChars);
  EXPECT_EQ(t.plaintext.substr(0, 6 + kTokenIdChars + 1), "strix_" + t.info.id + "_");
  EXPECT_TRUE(IsValidTokenId(t.info.id));
  EXPECT_EQ(t.info.name, "agent web-01");
  EXPECT_EQ(t.info.created_by, "cli");
  EXPECT_EQ(t.info.created_at_ms, kT0);
  EXPECT_FALSE(t.info.revoked());

  Result<Principal> p = store_->VerifyToken(t.plaintext);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->kind, PrincipalKind::kToken);
  EXPECT_EQ(p->id, t.info.id);
  EXPECT_EQ(p->name, "agent web-01");
  EXPECT_EQ(p->scopes, Scopes{Scope::kIngest});
  EXPECT_TRUE(p->user.empty());
  EXPECT_TRUE(p->Allows(Scope::kIngest));
  EXPECT_FALSE(p->Allows(Scope::kRead));

  NewToken admin = Create("ops", {Scope::kAdmin});
  Result<Principal> pa = store_->VerifyToken(admin.plaintext);
  ASSERT_TRUE(pa.ok());
  EXPECT_TRUE(pa->Allows(Scope::kRead));
  EXPECT_FALSE(pa->Allows(Scope::kIngest));
}

TEST_F(TokensTest, EachTokenIsDistinct) {
  NewToken a = Create("a", {Scope::kRead});
  NewToken b = Create("a", {Scope::kRead});  // names need not be unique
  EXPECT_NE(a.info.id, b.info.id);
  EXPECT_NE(a.plaintext.substr(19), b.plaintext.substr(19));
  EXPECT_EQ(store_->VerifyToken(a.plaintext)->id, a.info.id);
  EXPECT_EQ(store_->VerifyToken(b.plaintext)->id, b.info.id);
}

TEST_F(TokensTest, WrongSecretAndUnknownIdAreTheSameInvalidToken) {
  NewToken t = Create("ci", {Scope::kRead});
  // Change the secret's first character: still canonical base32, another secret.
  const char first = t.plaintext[19];
  std::string wrong = WithSecretChar(t.plaintext, 0, first == 'a' ? 'b' : 'a');
  Result<Principal> w = store_->VerifyToken(wrong);
  ASSERT_FALSE(w.ok());

  std::string unknown = FormatToken(t.info.id == "aaaaaaaaaaaa" ? "bbbbbbbbbbbb" : "aaaaaaaaaaaa",
                                    ParseToken(t.plaintext)->secret);
  Result<Principal> u = store_->VerifyToken(unknown);
  ASSERT_FALSE(u.ok());

  EXPECT_EQ(w.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(w.status(), u.status());  // code, message and context all equal
  EXPECT_EQ(w.status().message(), "invalid token");
  EXPECT_EQ(w.status().context(), "");
}

TEST_F(TokensTest, MalformedTokenIsUnauthenticated) {
  NewToken t = Create("ci", {Scope::kRead});
  for (std::string bad : {std::string(), std::string("Bearer ") + t.plaintext,
                          t.plaintext.substr(1), t.plaintext + " ", std::string("strix_"),
                          WithSecretChar(t.plaintext, 51, 'b'), std::string("\xff\xfe")}) {
    Result<Principal> p = store_->VerifyToken(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(p.status().message(), "malformed token");
  }
}

TEST_F(TokensTest, RevocationByAnotherProcessIsSeenAtOnce) {
  NewToken t = Create("agent", {Scope::kIngest});
  ASSERT_TRUE(store_->VerifyToken(t.plaintext).ok());

  auto cli = Open();  // the strix CLI, on the same file
  ASSERT_NE(cli, nullptr);
  ASSERT_TRUE(cli->RevokeToken(t.info.id).ok());

  Result<Principal> p = store_->VerifyToken(t.plaintext);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(p.status().message(), "token revoked");
  EXPECT_THAT(std::string(p.status().context()), HasSubstr(t.info.id));

  Result<std::vector<TokenInfo>> list = store_->ListTokens();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE((*list)[0].revoked());
  EXPECT_EQ((*list)[0].revoked_at_ms, kT0);

  // A token created by the CLI works in the server at once too.
  Result<NewToken> t2 = cli->CreateToken("cli-made", {Scope::kRead});
  ASSERT_TRUE(t2.ok());
  EXPECT_TRUE(store_->VerifyToken(t2->plaintext).ok());
}

TEST_F(TokensTest, RevokeIsIdempotentAndKnowsUnknownIds) {
  NewToken t = Create("x", {Scope::kRead});
  ASSERT_TRUE(store_->RevokeToken(t.info.id).ok());
  clock_.Advance(5000);
  ASSERT_TRUE(store_->RevokeToken(t.info.id).ok());
  EXPECT_EQ(store_->ListTokens()->at(0).revoked_at_ms, kT0);  // the first revocation's time

  Status st = store_->RevokeToken(t.info.id == "zzzzzzzzzzzz" ? "yyyyyyyyyyyy" : "zzzzzzzzzzzz");
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->RevokeToken("not-an-id").code(), StatusCode::kInvalidArgument);
}

TEST_F(TokensTest, ExpiredTokenIsRefused) {
  NewToken t = Create("temp", {Scope::kRead}, Opts("", kT0 + 60'000));
  EXPECT_EQ(t.info.expires_at_ms, kT0 + 60'000);
  EXPECT_TRUE(store_->VerifyToken(t.plaintext).ok());
  clock_.Advance(59'999);
  EXPECT_TRUE(store_->VerifyToken(t.plaintext).ok());
  clock_.Advance(1);
  Result<Principal> p = store_->VerifyToken(t.plaintext);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(p.status().message(), "token expired");
  // A wrong secret for an expired token says only "invalid token".
  std::string wrong = WithSecretChar(t.plaintext, 3, t.plaintext[22] == 'c' ? 'd' : 'c');
  EXPECT_EQ(store_->VerifyToken(wrong).status().message(), "invalid token");
}

TEST_F(TokensTest, OnlyTheHashReachesTheDisk) {
  NewToken t = Create("secretive", {Scope::kAdmin});
  Result<ParsedToken> parsed = ParseToken(t.plaintext);
  ASSERT_TRUE(parsed.ok());
  const std::string secret_text = t.plaintext.substr(19);
  const std::string secret_raw(reinterpret_cast<const char*>(parsed->secret.data()),
                               parsed->secret.size());
  const TokenHash hash = HashTokenSecret(t.info.id, parsed->secret);
  const std::string hash_raw(reinterpret_cast<const char*>(hash.data()), hash.size());

  auto check = [&](const std::string& bytes, const char* what) {
    EXPECT_EQ(bytes.find(secret_text), std::string::npos) << what;
    EXPECT_EQ(bytes.find(secret_raw), std::string::npos) << what;
    EXPECT_EQ(bytes.find(secret_text.substr(0, 16)), std::string::npos) << what;
  };
  // While open, the row is in the WAL; after close it is in the database file.
  std::string db = ReadFileBytes(path_);
  std::string wal = ReadFileBytes(path_ + "-wal");
  check(db, "db");
  check(wal, "wal");
  EXPECT_NE((db + wal).find(hash_raw), std::string::npos) << "the scan must see the hash";
  ASSERT_TRUE(store_->Close().ok());
  db = ReadFileBytes(path_);
  check(db, "db after close");
  EXPECT_NE(db.find(hash_raw), std::string::npos);
  EXPECT_NE(db.find(t.info.id), std::string::npos);  // the id is public and stored
  RawDb raw(path_);
  EXPECT_EQ(raw.Int("SELECT length(secret_hash) FROM tokens"), 32);
}

TEST_F(TokensTest, LastUsedIsWrittenAtMostOncePerMinute) {
  NewToken t = Create("agent", {Scope::kIngest});
  auto cli = Open();  // sees only what is in the database
  ASSERT_NE(cli, nullptr);
  auto stored_last_used = [&]() { return cli->ListTokens()->at(0).last_used_at_ms; };
  EXPECT_EQ(stored_last_used(), std::nullopt);

  clock_.Set(kT0 + 1000);
  ASSERT_TRUE(store_->VerifyToken(t.plaintext).ok());
  EXPECT_EQ(store_->ListTokens()->at(0).last_used_at_ms, kT0 + 1000);  // memory, unflushed
  EXPECT_EQ(stored_last_used(), std::nullopt);
  ASSERT_TRUE(store_->FlushActivity().ok());
  EXPECT_EQ(stored_last_used(), kT0 + 1000);

  clock_.Set(kT0 + 31'000);  // within the minute: nothing to write
  ASSERT_TRUE(store_->VerifyToken(t.plaintext).ok());
  ASSERT_TRUE(store_->FlushActivity().ok());
  EXPECT_EQ(stored_last_used(), kT0 + 1000);

  clock_.Set(kT0 + 61'000);
  ASSERT_TRUE(store_->VerifyToken(t.plaintext).ok());
  clock_.Set(kT0 + 62'000);
  ASSERT_TRUE(store_->VerifyToken(t.plaintext).ok());
  ASSERT_TRUE(store_->FlushActivity().ok());
  EXPECT_EQ(stored_last_used(), kT0 + 62'000);

  // Close flushes too.
  clock_.Set(kT0 + 200'000);
  ASSERT_TRUE(store_->VerifyToken(t.plaintext).ok());
  ASSERT_TRUE(store_->Close().ok());
  EXPECT_EQ(stored_last_used(), kT0 + 200'000);
}

TEST_F(TokensTest, FailedVerificationsRecordNoUse) {
  NewToken t = Create("agent", {Scope::kIngest});
  ASSERT_TRUE(store_->RevokeToken(t.info.id).ok());
  EXPECT_FALSE(store_->VerifyToken(t.plaintext).ok());
  ASSERT_TRUE(store_->FlushActivity().ok());
  EXPECT_EQ(store_->ListTokens()->at(0).last_used_at_ms, std::nullopt);
}

TEST_F(TokensTest, ListShowsEveryTokenWithoutSecrets) {
  NewToken a = Create("first", {Scope::kIngest});
  clock_.Advance(10);
  NewToken b = Create("second", {Scope::kRead, Scope::kAdmin}, Opts("admin", kT0 + 86'400'000));
  ASSERT_TRUE(store_->RevokeToken(a.info.id).ok());
  Result<std::vector<TokenInfo>> list = store_->ListTokens();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  const TokenInfo& la = (*list)[0];
  const TokenInfo& lb = (*list)[1];
  EXPECT_EQ(la.id, a.info.id);
  EXPECT_EQ(la.name, "first");
  EXPECT_EQ(la.scopes, Scopes{Scope::kIngest});
  EXPECT_EQ(la.created_by, "");
  EXPECT_TRUE(la.revoked());
  EXPECT_EQ(lb.id, b.info.id);
  EXPECT_EQ(lb.scopes.ToString(), "read,admin");
  EXPECT_EQ(lb.created_by, "admin");
  EXPECT_EQ(lb.created_at_ms, kT0 + 10);
  EXPECT_EQ(lb.expires_at_ms, kT0 + 86'400'000);
  EXPECT_FALSE(lb.revoked());
  for (const TokenInfo& i : *list) {
    for (const NewToken* n : {&a, &b}) {
      EXPECT_THAT(i.name + i.created_by, Not(HasSubstr(n->plaintext.substr(19, 10))));
    }
  }
}

TEST_F(TokensTest, CreateChecksItsArguments) {
  EXPECT_EQ(store_->CreateToken("", {Scope::kRead}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateToken("bad\xc3", {Scope::kRead}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      store_->CreateToken(std::string(kMaxTokenNameBytes + 1, 'n'), {Scope::kRead}).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateToken("no scopes", Scopes()).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateToken("past", {Scope::kRead}, Opts("", kT0)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateToken("by", {Scope::kRead}, Opts("\xed\xa0\x80")).status().code(),
            StatusCode::kInvalidArgument);  // a UTF-16 surrogate
  EXPECT_TRUE(store_->ListTokens()->empty());
}

TEST_F(TokensTest, ConcurrentVerificationFromManyThreads) {
  std::vector<NewToken> tokens;
  for (int i = 0; i < 8; ++i) tokens.push_back(Create("t" + std::to_string(i), {Scope::kRead}));
  ASSERT_TRUE(store_->RevokeToken(tokens[7].info.id).ok());
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < 400; ++i) {
        const NewToken& t = tokens[(i + th) % tokens.size()];
        Result<Principal> p = store_->VerifyToken(t.plaintext);
        if (p.ok() && p->id == t.info.id) {
          ++ok;
        } else if (!p.ok() && p.status().message() == "token revoked") {
          ++refused;
        } else {
          ++other;
        }
        if (i % 50 == 0) store_->FlushActivity().IgnoreError();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4 * 400 * 7 / 8);
  EXPECT_EQ(refused.load(), 4 * 400 / 8);
  EXPECT_EQ(other.load(), 0);
}

}  // namespace
}  // namespace strix::meta
