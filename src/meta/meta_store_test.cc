// Tests of opening the metadata database: creation, WAL and pragmas, migrations from an
// empty file and idempotent reopening, concurrent first opens, refusal of garbage, damaged,
// foreign and too-new files with a Status naming the path, lock contention with another
// "process" (a raw SQLite connection), and calls after Close.
#include "meta/meta_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/testing/temp_dir.h"
#include "meta/internal/schema.h"
#include "meta/internal/test_util.h"

namespace strix::meta {
namespace {

using internal::RawDb;
using ::testing::HasSubstr;
using testing::TempDir;

std::unique_ptr<MetaStore> MustOpen(const std::string& path, MetaStoreOptions o = {}) {
  Result<std::unique_ptr<MetaStore>> r = MetaStore::Open(path, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

TEST(MetaStoreOpen, CreatesTheFileInWalModeAtTheLatestSchema) {
  TempDir dir;
  const std::string path = dir.Join("meta.db");
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->schema_version(), internal::LatestSchemaVersion());
  EXPECT_EQ(store->path(), path);

  RawDb raw(path);
  EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw.Int("PRAGMA user_version"), internal::LatestSchemaVersion());
  EXPECT_EQ(raw.Int("PRAGMA application_id"), internal::kApplicationId);
  for (const char* table : {"hosts", "host_tags", "tokens"}) {
    EXPECT_EQ(raw.Int(std::string("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                                  "name = '") +
                      table + "'"),
              1)
        << table;
  }
  EXPECT_EQ(raw.Text("PRAGMA integrity_check"), "ok");
}

TEST(MetaStoreOpen, MigratesAnEmptyFile) {
  TempDir dir;
  const std::string path = dir.Join("meta.db");
  WriteFile(path, "");
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->schema_version(), internal::LatestSchemaVersion());
}

TEST(MetaStoreOpen, ReopenKeepsDataAndAppliesNothing) {
  TempDir dir;
  const std::string path = dir.Join("meta.db");
  std::string plaintext;
  {
    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->SetHostTags("web-01", {{"site", "paris"}}).ok());
    Result<NewToken> t = store->CreateToken("ci", {Scope::kRead});
    ASSERT_TRUE(t.ok());
    plaintext = t->plaintext;
    ASSERT_TRUE(store->Close().ok());
    EXPECT_TRUE(store->Close().ok());  // idempotent
  }
  for (int i = 0; i < 3; ++i) {
    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->schema_version(), internal::LatestSchemaVersion());
    Result<Host> h = store->GetHost("web-01");
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->tags.at("site"), "paris");
    EXPECT_TRUE(store->VerifyToken(plaintext).ok());
  }
  RawDb raw(path);
  EXPECT_EQ(raw.Int("PRAGMA user_version"), internal::LatestSchemaVersion());
  EXPECT_EQ(raw.Int("SELECT count(*) FROM hosts"), 1);
}

TEST(MetaStoreOpen, ConcurrentFirstOpensMigrateOnce) {
  TempDir dir;
  const std::string path = dir.Join("meta.db");
  std::vector<std::thread> threads;
  std::vector<Status> results(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      Result<std::unique_ptr<MetaStore>> r = MetaStore::Open(path);
      results[i] = r.status();
    });
  }
  for (auto& t : threads) t.join();
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  RawDb raw(path);
  EXPECT_EQ(raw.Int("PRAGMA user_version"), internal::LatestSchemaVersion());
  EXPECT_EQ(raw.Int("SELECT count(*) FROM sqlite_schema WHERE name = 'hosts'"), 1);
}

TEST(MetaStoreOpen, GarbageFileIsRefusedWithAStatusNamingThePath) {
  TempDir dir;
  const std::string path = dir.Join("meta.db");
  std::string garbage;
  for (int i = 0; i < 500; ++i) garbage += "this is not a database; ";
  WriteFile(path, garbage);
  Result<std::unique_ptr<MetaStore>> r = MetaStore::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("not a database"));
  EXPECT_EQ(r.status().context(), path);
  EXPECT_EQ(internal::ReadFileBytes(path), garbage);  // left as it was
}

TEST(MetaStoreOpen, DamagedDatabaseIsRefused) {
  TempDir dir;
  const std::string path = dir.Join("meta.db");
  {
    MetaStoreOptions fast;
    fast.synchronous_full = false;
    auto store = MustOpen(path, fast);
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(store
                      ->SetHostTags("host-" + std::to_string(i),
                                    {{"rack", std::string(100, 'r')}, {"room", "b"}})
                      .ok());
    }
  }
  std::string bytes = internal::ReadFileBytes(path);
  RawDb probe(path);
  const int64_t page = probe.Int("PRAGMA page_size");
  const int64_t pages = probe.Int("PRAGMA page_count");
  ASSERT_GT(pages, 6);
  // Overwrite every page after the first two (schema) with a repeating pattern.
  for (int64_t p = 2; p < pages; ++p) {
    for (int64_t i = 0; i < page; ++i) bytes[p * page + i] = static_cast<char>(0x5a ^ (i & 7));
  }
  WriteFile(path, bytes);
  Result<std::unique_ptr<MetaStore>> r = MetaStore::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("database is damaged"));
  EXPECT_LT(r.status().message().size(), 300u);
  EXPECT_EQ(r.status().context(), path);
}

TEST(MetaStoreOpen, AnotherApplicationsDatabaseIsLeftAlone) {
  TempDir dir;
  const std::string path = dir.Join("other.db");
  {
    RawDb raw(path);
    ASSERT_EQ(raw.Exec("CREATE TABLE users (name TEXT)"), SQLITE_OK);
  }
  Result<std::unique_ptr<MetaStore>> r = MetaStore::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("not a Strix metadata database"));
  EXPECT_EQ(r.status().context(), path);
  RawDb raw(path);
  EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "delete");  // not switched to WAL

  const std::string path2 = dir.Join("other2.db");
  {
    RawDb raw2(path2);
    ASSERT_EQ(raw2.Exec("PRAGMA application_id = 42"), SQLITE_OK);
  }
  r = MetaStore::Open(path2);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("application_id 0x2a"));
}

TEST(MetaStoreOpen, NewerSchemaIsRefused) {
  TempDir dir;
  const std::string path = dir.Join("meta.db");
  MustOpen(path).reset();
  {
    RawDb raw(path);
    ASSERT_EQ(raw.Exec("PRAGMA user_version = 999"), SQLITE_OK);
  }
  Result<std::unique_ptr<MetaStore>> r = MetaStore::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("999 is newer"));
}

TEST(MetaStoreOpen, MissingDirectoryIsNotFound) {
  TempDir dir;
  const std::string path = dir.Join("no/such/dir/meta.db");
  Result<std::unique_ptr<MetaStore>> r = MetaStore::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << r.status().ToString();
  EXPECT_EQ(r.status().context(), path);
}

TEST(MetaStoreLocking, WritesWaitForAnotherProcessThenFailReadsDoNot) {
  TempDir dir;
  const std::string path = dir.Join("meta.db");
  MetaStoreOptions o;
  o.busy_timeout_ms = 200;
  auto store = MustOpen(path, o);
  ASSERT_NE(store, nullptr);
  Result<NewToken> t = store->CreateToken("agent", {Scope::kIngest});
  ASSERT_TRUE(t.ok());

  RawDb other(path);  // the CLI, holding the write lock
  ASSERT_EQ(other.Exec("BEGIN IMMEDIATE"), SQLITE_OK);
  auto start = std::chrono::steady_clock::now();
  Status st = store->RevokeToken(t->info.id);
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_TRUE(store->VerifyToken(t->plaintext).ok());  // the reader is not blocked
  EXPECT_TRUE(store->ListHosts().ok());

  // Released within the timeout: the write waits and succeeds.
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    other.Exec("COMMIT");
  });
  EXPECT_TRUE(store->RevokeToken(t->info.id).ok());
  release.join();
}

TEST(MetaStoreClose, CallsAfterCloseFail) {
  TempDir dir;
  auto store = MustOpen(dir.Join("meta.db"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Close().ok());
  EXPECT_EQ(store->VerifyToken(FormatToken("aaaaaaaaaaaa", TokenSecret{})).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->CreateToken("x", {Scope::kRead}).status().code(),
            StatusCode::kFailedPrecondition);
  HostSeen seen{"web", 1};
  EXPECT_EQ(store->TouchHosts({&seen, 1}).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->ListHosts().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->FlushActivity().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace strix::meta
