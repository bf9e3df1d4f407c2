// Tests of MetaStore's users: argon2id hashes as stored, login answers that do not tell an
// unknown user from a wrong password, validation, password changes, and the upgrade of a
// schema-1 database (hosts and tokens kept, users table added).
#include <gtest/gtest.h>

#include "core/testing/temp_dir.h"
#include "meta/internal/schema.h"
#include "meta/internal/test_util.h"
#include "meta/meta_store.h"

namespace strix::meta {
namespace {

using internal::RawDb;
using testing::TempDir;

class UsersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.Join("meta.db");
    MetaStoreOptions o;
    o.clock = &clock_;
    Result<std::unique_ptr<MetaStore>> r = MetaStore::Open(path_, o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    store_ = std::move(r).value();
  }

  TempDir dir_;
  std::string path_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<MetaStore> store_;
};

TEST_F(UsersTest, CreatedUserLogsInAndTheHashIsArgon2id) {
  Result<UserInfo> u = store_->CreateUser("alice", Role::kAdmin, "correct horse battery");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->created_at_ms, 1'700'000'000'000);
  clock_.Advance(5'000);
  Result<UserInfo> in = store_->VerifyPassword("alice", "correct horse battery");
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->role, Role::kAdmin);
  EXPECT_EQ(in->last_login_ms, 1'700'000'005'000);

  RawDb raw(path_);
  const std::string hash = raw.Text("SELECT password_hash FROM users WHERE name = 'alice'");
  EXPECT_EQ(hash.rfind("$argon2id$v=19$m=65536,t=2,p=1$", 0), 0u) << hash;
  EXPECT_EQ(hash.find("horse"), std::string::npos);
  EXPECT_EQ(raw.Int("SELECT last_login_ms FROM users WHERE name = 'alice'"), 1'700'000'005'000);
}

TEST_F(UsersTest, WrongPasswordAndUnknownUserGetTheSameAnswer) {
  ASSERT_TRUE(store_->CreateUser("bob", Role::kViewer, "0123456789ab").ok());
  Status wrong = store_->VerifyPassword("bob", "0123456789ac").status();
  Status unknown = store_->VerifyPassword("nobody", "0123456789ab").status();
  Status bad_name = store_->VerifyPassword("bad name!", "0123456789ab").status();
  for (const Status& s : {wrong, unknown, bad_name}) {
    EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(s.ToString(), wrong.ToString());
  }
  EXPECT_EQ(store_->VerifyPassword("bob", "").status().ToString(), wrong.ToString());
  RawDb raw(path_);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM users WHERE last_login_ms IS NOT NULL"), 0);
}

TEST_F(UsersTest, NamesAndPasswordsAreValidatedAndNamesAreUnique) {
  EXPECT_EQ(store_->CreateUser("", Role::kViewer, "0123456789").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateUser("a b", Role::kViewer, "0123456789").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CreateUser(std::string(65, 'a'), Role::kViewer, "0123456789").status().code(),
            StatusCode::kInvalidArgument);
  Status short_pw = store_->CreateUser("carol", Role::kViewer, "123456789").status();
  EXPECT_EQ(short_pw.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(short_pw.ToString().find("at least 10"), std::string::npos) << short_pw.ToString();
  EXPECT_EQ(store_->CreateUser("carol", Role::kViewer, "0123456789\xff").status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->CreateUser("carol.o-k_1@lab", Role::kEditor, "0123456789").ok());
  EXPECT_EQ(store_->CreateUser("carol.o-k_1@lab", Role::kAdmin, "9876543210").status().code(),
            StatusCode::kAlreadyExists);
  // The first one still holds.
  Result<UserInfo> in = store_->VerifyPassword("carol.o-k_1@lab", "0123456789");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->role, Role::kEditor);
}

TEST_F(UsersTest, SetPasswordReplacesTheOldOne) {
  ASSERT_TRUE(store_->CreateUser("dave", Role::kEditor, "first password").ok());
  ASSERT_TRUE(store_->SetPassword("dave", "second password").ok());
  EXPECT_EQ(store_->VerifyPassword("dave", "first password").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_TRUE(store_->VerifyPassword("dave", "second password").ok());
  EXPECT_EQ(store_->SetPassword("nobody", "second password").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->SetPassword("dave", "short").code(), StatusCode::kInvalidArgument);
}

TEST_F(UsersTest, ListUsersByNameWithoutHashes) {
  ASSERT_TRUE(store_->CreateUser("zed", Role::kViewer, "0123456789").ok());
  ASSERT_TRUE(store_->CreateUser("amy", Role::kAdmin, "0123456789").ok());
  Result<std::vector<UserInfo>> all = store_->ListUsers();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "amy");
  EXPECT_EQ((*all)[0].role, Role::kAdmin);
  EXPECT_EQ((*all)[1].name, "zed");
  EXPECT_FALSE((*all)[1].last_login_ms.has_value());
}

TEST_F(UsersTest, DisabledUserIsToldOnlyWithTheRightPassword) {
  ASSERT_TRUE(store_->CreateUser("erin", Role::kViewer, "0123456789").ok());
  {
    RawDb raw(path_);
    ASSERT_EQ(raw.Exec("UPDATE users SET disabled_at_ms = 1 WHERE name = 'erin'"), 0);
  }
  Status right = store_->VerifyPassword("erin", "0123456789").status();
  EXPECT_EQ(right.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(right.ToString().find("user disabled"), std::string::npos);
  Status wrong = store_->VerifyPassword("erin", "9876543210").status();
  EXPECT_EQ(wrong.ToString().find("disabled"), std::string::npos);
}

TEST_F(UsersTest, RoleChangesAndDisablingHoldForExistingSessions) {
  ASSERT_TRUE(store_->CreateUser("fay", Role::kViewer, "0123456789").ok());
  Result<NewSession> s = store_->CreateSession("fay", 60'000);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE(store_->SetUserRole("fay", Role::kEditor).ok());
  Result<SessionInfo> v = store_->VerifySession(s->cookie);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->role, Role::kEditor);
  EXPECT_EQ(store_->SetUserRole("nobody", Role::kAdmin).code(), StatusCode::kNotFound);

  ASSERT_TRUE(store_->SetUserDisabled("fay", true).ok());
  EXPECT_FALSE(store_->VerifySession(s->cookie).ok()) << "disabling ends the sessions";
  EXPECT_NE(store_->VerifyPassword("fay", "0123456789").status().ToString().find("disabled"),
            std::string::npos);
  ASSERT_TRUE(store_->SetUserDisabled("fay", false).ok());
  EXPECT_TRUE(store_->VerifyPassword("fay", "0123456789").ok());
  EXPECT_EQ(store_->SetUserDisabled("nobody", true).code(), StatusCode::kNotFound);

  Result<NewSession> again = store_->CreateSession("fay", 60'000);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(store_->DeleteUser("fay").ok());
  EXPECT_FALSE(store_->VerifySession(again->cookie).ok()) << "sessions go with the user";
  EXPECT_FALSE(store_->VerifyPassword("fay", "0123456789").ok());
  EXPECT_EQ(store_->DeleteUser("fay").code(), StatusCode::kNotFound);
}

TEST(UsersUpgrade, ASchemaOneDatabaseKeepsItsDataAndGainsUsersAndSessions) {
  TempDir dir;
  const std::string path = dir.Join("meta.db");
  {
    RawDb raw(path);
    ASSERT_EQ(raw.Exec("BEGIN"), 0);
    ASSERT_EQ(raw.Exec(internal::Migrations()[0].sql), 0);
    ASSERT_EQ(raw.Exec("PRAGMA user_version = 1"), 0);
    ASSERT_EQ(raw.Exec("INSERT INTO hosts (name, first_seen_ms, last_seen_ms) "
                       "VALUES ('web-01', 1, 2)"),
              0);
    ASSERT_EQ(raw.Exec("INSERT INTO host_tags VALUES (1, 'site', 'lab')"), 0);
    ASSERT_EQ(raw.Exec("COMMIT"), 0);
  }
  Result<std::unique_ptr<MetaStore>> r = MetaStore::Open(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->schema_version(), internal::LatestSchemaVersion());
  Result<Host> h = (*r)->GetHost("web-01");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->tags.at("site"), "lab");
  EXPECT_EQ(h->last_seen_ms, 2);
  EXPECT_TRUE((*r)->CreateUser("admin", Role::kAdmin, "0123456789").ok());
  Result<NewSession> s = (*r)->CreateSession("admin", 60'000);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE((*r)->VerifySession(s->cookie).ok());
}

TEST(Roles, NamesRoundTrip) {
  for (Role r : {Role::kViewer, Role::kEditor, Role::kAdmin}) {
    Result<Role> back = ParseRole(RoleName(r));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, r);
  }
  EXPECT_EQ(ParseRole("root").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strix::meta
