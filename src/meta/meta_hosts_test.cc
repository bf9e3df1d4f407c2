// Tests of hosts in the MetaStore: new hosts visible to another process at once, seen
// times kept in memory and flushed (min/max, out of order, by Close), concurrent
// TouchHosts with a flusher, tag replacement and UTF-8 rules, removal (cascading tags, a
// host that keeps sending comes back), and what a second store on the same file sees.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "core/testing/temp_dir.h"
#include "meta/internal/test_util.h"
#include "meta/meta_store.h"

namespace strix::meta {
namespace {

using internal::RawDb;
using testing::TempDir;

class HostsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.Join("meta.db");
    store_ = Open();
    ASSERT_NE(store_, nullptr);
  }
  std::unique_ptr<MetaStore> Open() {
    Result<std::unique_ptr<MetaStore>> r = MetaStore::Open(path_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }
  Status Touch(MetaStore* s, std::vector<HostSeen> seen) { return s->TouchHosts(seen); }
  Host MustGet(MetaStore* s, std::string_view name) {
    Result<Host> h = s->GetHost(name);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return h.ok() ? *h : Host{};
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<MetaStore> store_;
};

TEST_F(HostsTest, NewHostIsInTheDatabaseAtOnce) {
  ASSERT_TRUE(Touch(store_.get(), {{"web-01", 1000}, {"db-01", 1500}}).ok());
  auto other = Open();  // another process: sees only the database
  ASSERT_NE(other, nullptr);
  Result<std::vector<Host>> hosts = other->ListHosts();
  ASSERT_TRUE(hosts.ok());
  ASSERT_EQ(hosts->size(), 2u);
  EXPECT_EQ((*hosts)[0].name, "db-01");  // by name
  EXPECT_EQ((*hosts)[0].first_seen_ms, 1500);
  EXPECT_EQ((*hosts)[0].last_seen_ms, 1500);
  EXPECT_EQ((*hosts)[1].name, "web-01");
  EXPECT_TRUE((*hosts)[1].tags.empty());
}

TEST_F(HostsTest, SeenTimesStayInMemoryUntilFlushed) {
  ASSERT_TRUE(Touch(store_.get(), {{"web-01", 1000}}).ok());
  RawDb raw(path_);
  const int64_t changes_before = raw.Int("PRAGMA data_version");
  for (int64_t t = 2000; t <= 10'000; t += 1000) {
    ASSERT_TRUE(Touch(store_.get(), {{"web-01", t}}).ok());
  }
  EXPECT_EQ(raw.Int("PRAGMA data_version"), changes_before);  // nothing was written
  EXPECT_EQ(raw.Int("SELECT last_seen_ms FROM hosts WHERE name = 'web-01'"), 1000);
  // This process already sees the newest time.
  EXPECT_EQ(MustGet(store_.get(), "web-01").last_seen_ms, 10'000);
  EXPECT_EQ(store_->ListHosts()->at(0).last_seen_ms, 10'000);

  ASSERT_TRUE(store_->FlushActivity().ok());
  EXPECT_EQ(raw.Int("SELECT last_seen_ms FROM hosts WHERE name = 'web-01'"), 10'000);
  EXPECT_EQ(raw.Int("SELECT first_seen_ms FROM hosts WHERE name = 'web-01'"), 1000);
  const int64_t after_flush = raw.Int("PRAGMA data_version");
  ASSERT_TRUE(store_->FlushActivity().ok());  // nothing dirty: no transaction
  EXPECT_EQ(raw.Int("PRAGMA data_version"), after_flush);
}

TEST_F(HostsTest, FirstSeenIsTheMinimumLastSeenTheMaximum) {
  ASSERT_TRUE(Touch(store_.get(), {{"plc", 5000}}).ok());
  ASSERT_TRUE(Touch(store_.get(), {{"plc", 3000}, {"plc", 9000}, {"plc", 7000}}).ok());
  ASSERT_TRUE(store_->FlushActivity().ok());
  auto other = Open();
  Host h = MustGet(other.get(), "plc");
  EXPECT_EQ(h.first_seen_ms, 3000);
  EXPECT_EQ(h.last_seen_ms, 9000);
}

TEST_F(HostsTest, CloseFlushesAndReopenKnowsTheHosts) {
  ASSERT_TRUE(Touch(store_.get(), {{"a", 1}, {"b", 2}}).ok());
  ASSERT_TRUE(Touch(store_.get(), {{"a", 100}}).ok());
  ASSERT_TRUE(store_->Close().ok());
  store_ = Open();
  EXPECT_EQ(MustGet(store_.get(), "a").last_seen_ms, 100);
  // Known at open: touching them writes nothing until the flush.
  RawDb raw(path_);
  const int64_t v = raw.Int("PRAGMA data_version");
  ASSERT_TRUE(Touch(store_.get(), {{"a", 200}, {"b", 300}}).ok());
  EXPECT_EQ(raw.Int("PRAGMA data_version"), v);
  ASSERT_TRUE(store_->FlushActivity().ok());
  EXPECT_EQ(raw.Int("SELECT last_seen_ms FROM hosts WHERE name = 'b'"), 300);
}

TEST_F(HostsTest, ConcurrentTouchFromManyThreadsWithAFlusher) {
  constexpr int kThreads = 4;
  constexpr int kHosts = 300;
  constexpr int kRounds = 50;
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::thread flusher([&] {
    while (!done.load()) {
      if (!store_->FlushActivity().ok()) ++errors;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      std::vector<std::string> names;
      for (int h = 0; h < kHosts; ++h) names.push_back("host-" + std::to_string(h));
      for (int r = 0; r < kRounds; ++r) {
        std::vector<HostSeen> batch;
        // Each thread touches an overlapping third of the hosts per round.
        for (int h = (r + th) % 3; h < kHosts; h += 3) {
          batch.push_back({names[h], int64_t{1000} * r + th * 10 + h % 7});
        }
        if (!store_->TouchHosts(batch).ok()) ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  done = true;
  flusher.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_TRUE(store_->FlushActivity().ok());

  // Expected: the min and max of what was reported for each host.
  std::vector<int64_t> first(kHosts, INT64_MAX), last(kHosts, INT64_MIN);
  for (int th = 0; th < kThreads; ++th) {
    for (int r = 0; r < kRounds; ++r) {
      for (int h = (r + th) % 3; h < kHosts; h += 3) {
        int64_t t = int64_t{1000} * r + th * 10 + h % 7;
        first[h] = std::min(first[h], t);
        last[h] = std::max(last[h], t);
      }
    }
  }
  auto other = Open();
  Result<std::vector<Host>> hosts = other->ListHosts();
  ASSERT_TRUE(hosts.ok());
  ASSERT_EQ(hosts->size(), static_cast<size_t>(kHosts));
  for (const Host& h : *hosts) {
    int i = std::stoi(h.name.substr(5));
    EXPECT_EQ(h.first_seen_ms, first[i]) << h.name;
    EXPECT_EQ(h.last_seen_ms, last[i]) << h.name;
  }
}

TEST_F(HostsTest, SetHostTagsReplacesAllTags) {
  ASSERT_TRUE(store_->SetHostTags("web-01", {{"a", "1"}, {"b", "2"}}).ok());
  ASSERT_TRUE(store_->SetHostTags("web-01", {{"b", "3"}, {"c", "4"}}).ok());
  EXPECT_EQ(MustGet(store_.get(), "web-01").tags, (Tags{{"b", "3"}, {"c", "4"}}));
  ASSERT_TRUE(store_->SetHostTags("web-01", {}).ok());
  EXPECT_TRUE(MustGet(store_.get(), "web-01").tags.empty());
  RawDb raw(path_);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM host_tags"), 0);
}

TEST_F(HostsTest, SetHostTagsCreatesTheHostWithoutSeenTimes) {
  ASSERT_TRUE(store_->SetHostTags("new", {{"site", "lyon"}}).ok());
  Host h = MustGet(store_.get(), "new");
  EXPECT_EQ(h.first_seen_ms, std::nullopt);
  EXPECT_EQ(h.last_seen_ms, std::nullopt);
  // Data arrives later: the seen times appear, the tags stay.
  ASSERT_TRUE(Touch(store_.get(), {{"new", 42}}).ok());
  auto other = Open();
  h = MustGet(other.get(), "new");
  EXPECT_EQ(h.first_seen_ms, 42);
  EXPECT_EQ(h.last_seen_ms, 42);
  EXPECT_EQ(h.tags, (Tags{{"site", "lyon"}}));
}

TEST_F(HostsTest, TagsAreArbitraryUtf8) {
  Tags tags = {{"emplacement", "bâtiment C, étage 2"},
               {"key with spaces = and \"quotes\"", "value\twith\ttabs\nand newline"},
               {"日本", "東京 🦉"},
               {"empty", ""}};
  ASSERT_TRUE(store_->SetHostTags("hôte-ü", tags).ok());
  auto other = Open();
  Host h = MustGet(other.get(), "hôte-ü");
  EXPECT_EQ(h.tags, tags);
}

TEST_F(HostsTest, InvalidTagsAreRejectedAndChangeNothing) {
  const Tags good = {{"site", "paris"}};
  ASSERT_TRUE(store_->SetHostTags("web", good).ok());
  const std::vector<Tags> bad = {
      {{"", "x"}},                               // empty key
      {{"k\xff", "x"}},                          // invalid byte in a key
      {{"k", "bad \xc3\x28 value"}},             // broken 2-byte sequence
      {{"k", "\xe0\x80\xaf"}},                   // overlong '/'
      {{"k", "\xed\xa0\x80"}},                   // surrogate
      {{"k", "\xf4\x90\x80\x80"}},               // above U+10FFFF
      {{"ok", "fine"}, {"k", "trunc\xe2\x82"}},  // truncated at the end
      {{std::string(kMaxTagKeyBytes + 1, 'k'), "v"}},
      {{"k", std::string(kMaxTagValueBytes + 1, 'v')}},
  };
  for (const Tags& t : bad) {
    Status st = store_->SetHostTags("web", t);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  }
  Tags many;
  for (size_t i = 0; i <= kMaxTagsPerHost; ++i) many["k" + std::to_string(i)] = "v";
  EXPECT_EQ(store_->SetHostTags("web", many).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->SetHostTags("bad\x80host", good).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->SetHostTags("", good).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MustGet(store_.get(), "web").tags, good);
  EXPECT_EQ(store_->ListHosts()->size(), 1u);
}

TEST_F(HostsTest, TouchSkipsInvalidNamesAndRecordsTheRest) {
  Status st = Touch(store_.get(), {{"ok-1", 1}, {"", 2}, {"bad\xc0\xaf", 3}, {"ok-2", 4}});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  Result<std::vector<Host>> hosts = store_->ListHosts();
  ASSERT_TRUE(hosts.ok());
  ASSERT_EQ(hosts->size(), 2u);
  EXPECT_EQ((*hosts)[0].name, "ok-1");
  EXPECT_EQ((*hosts)[1].name, "ok-2");
}

TEST_F(HostsTest, RemoveHostDeletesItsTagsAndKnowsUnknownHosts) {
  ASSERT_TRUE(Touch(store_.get(), {{"gone", 10}}).ok());
  ASSERT_TRUE(store_->SetHostTags("gone", {{"a", "1"}, {"b", "2"}}).ok());
  ASSERT_TRUE(store_->SetHostTags("kept", {{"a", "1"}}).ok());
  ASSERT_TRUE(Touch(store_.get(), {{"gone", 20}}).ok());  // pending activity is dropped too
  ASSERT_TRUE(store_->RemoveHost("gone").ok());
  EXPECT_EQ(store_->GetHost("gone").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_->FlushActivity().ok());  // must not bring it back
  EXPECT_EQ(store_->GetHost("gone").status().code(), StatusCode::kNotFound);
  RawDb raw(path_);
  EXPECT_EQ(raw.Int("SELECT count(*) FROM host_tags"), 1);  // foreign key cascade
  EXPECT_EQ(store_->RemoveHost("gone").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->RemoveHost("never").code(), StatusCode::kNotFound);
  EXPECT_EQ(MustGet(store_.get(), "kept").tags.size(), 1u);
}

TEST_F(HostsTest, RemovedHostThatKeepsSendingComesBackWithoutTags) {
  ASSERT_TRUE(Touch(store_.get(), {{"web", 10}}).ok());
  ASSERT_TRUE(store_->SetHostTags("web", {{"a", "1"}}).ok());
  ASSERT_TRUE(store_->RemoveHost("web").ok());
  ASSERT_TRUE(Touch(store_.get(), {{"web", 30}}).ok());
  Host h = MustGet(store_.get(), "web");
  EXPECT_EQ(h.first_seen_ms, 30);
  EXPECT_TRUE(h.tags.empty());
}

TEST_F(HostsTest, HostRemovedByAnotherProcessReappearsAtTheNextFlush) {
  ASSERT_TRUE(Touch(store_.get(), {{"web", 10}}).ok());
  auto cli = Open();
  ASSERT_TRUE(cli->RemoveHost("web").ok());
  EXPECT_EQ(cli->GetHost("web").status().code(), StatusCode::kNotFound);
  // The server still knows the host in memory; its next batch and flush re-create it.
  ASSERT_TRUE(Touch(store_.get(), {{"web", 20}}).ok());
  ASSERT_TRUE(store_->FlushActivity().ok());
  Host h = MustGet(cli.get(), "web");
  EXPECT_EQ(h.last_seen_ms, 20);
}

TEST_F(HostsTest, ListHostsOrdersByNameBytesWithTagsSorted) {
  ASSERT_TRUE(store_->SetHostTags("b", {{"z", "1"}, {"a", "2"}}).ok());
  ASSERT_TRUE(store_->SetHostTags("B", {}).ok());
  ASSERT_TRUE(Touch(store_.get(), {{"a", 5}, {"é", 6}}).ok());
  Result<std::vector<Host>> hosts = store_->ListHosts();
  ASSERT_TRUE(hosts.ok());
  std::vector<std::string> names;
  for (const Host& h : *hosts) names.push_back(h.name);
  EXPECT_EQ(names, (std::vector<std::string>{"B", "a", "b", "é"}));
  EXPECT_EQ((*hosts)[2].tags, (Tags{{"a", "2"}, {"z", "1"}}));
  EXPECT_EQ(store_->GetHost("c").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace strix::meta
