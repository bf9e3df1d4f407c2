// Tests for SymbolTable, PostingsList and MemPostings: behaviour, a property test against
// a brute-force scan, concurrency smoke tests and memory bounds.
#include "storage/index/mem_postings.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "storage/index/postings_list.h"
#include "storage/index/symbol_table.h"
#include "storage/index/testing_util.h"

namespace strix::storage::index {
namespace {

using testing::Describe;
using testing::MatchesAll;
using testing::RandomLabels;
using testing::RandomMatchers;

// --- SymbolTable ------------------------------------------------------------------------

TEST(SymbolTable, InternGivesDenseIdsAndDeduplicates) {
  SymbolTable t;
  EXPECT_EQ(t.Intern("a"), 0u);
  EXPECT_EQ(t.Intern("b"), 1u);
  EXPECT_EQ(t.Intern("a"), 0u);
  EXPECT_EQ(t.Intern(""), 2u);
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.Get(1), "b");
  EXPECT_EQ(t.Get(2), "");
}

TEST(SymbolTable, FindNeverInserts) {
  SymbolTable t;
  EXPECT_EQ(t.Find("x"), SymbolTable::kNotFound);
  EXPECT_EQ(t.size(), 0u);
  uint32_t id = t.Intern("x");
  EXPECT_EQ(t.Find("x"), id);
}

TEST(SymbolTable, ViewsStayValidAcrossGrowthAndLongSymbols) {
  SymbolTable t;
  std::string_view first = t.Get(t.Intern("first"));
  std::string big(100000, 'z');  // larger than an arena block
  uint32_t big_id = t.Intern(big);
  for (int i = 0; i < 100000; ++i) ASSERT_EQ(t.Intern("sym" + std::to_string(i)), i + 2u);
  EXPECT_EQ(first, "first");
  EXPECT_EQ(t.Get(big_id), big);
  for (int i = 0; i < 100000; i += 997) EXPECT_EQ(t.Find("sym" + std::to_string(i)), i + 2u);
}

TEST(SymbolTable, MemoryPerSymbolIsSmall) {
  SymbolTable t;
  const int n = 200000;
  for (int i = 0; i < n; ++i) t.Intern("host-" + std::to_string(i));  // ~11 bytes each
  double per = static_cast<double>(t.MemoryBytes()) / n;
  EXPECT_LT(per, 64.0) << "bytes per symbol";
}

TEST(SymbolTable, ConcurrentLookupsWhileOneWriterInterns) {
  SymbolTable t;
  const uint32_t n = 50000;
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      std::mt19937 rng(r);
      while (!done.load()) {
        uint32_t size = t.size();
        if (size == 0) continue;
        uint32_t id = rng() % size;
        std::string want = "s" + std::to_string(id);
        if (t.Get(id) != want) bad++;
        if (t.Find(want) != id) bad++;
      }
    });
  }
  for (uint32_t i = 0; i < n; ++i) ASSERT_EQ(t.Intern("s" + std::to_string(i)), i);
  done = true;
  for (auto& th : readers) th.join();
  EXPECT_EQ(bad.load(), 0);
}

// --- PostingsList -----------------------------------------------------------------------

TEST(PostingsList, MatchesStdSetUnderRandomAddsAndRemoves) {
  std::mt19937_64 rng(5);
  PostingsList list;
  std::set<uint64_t> ref;
  for (int round = 0; round < 4; ++round) {
    // Dense bursts (bitmaps), sparse values across containers and big refs.
    for (int i = 0; i < 30000; ++i) {
      uint64_t v;
      switch (rng() % 4) {
        case 0:
          v = rng() % 70000;
          break;
        case 1:
          v = 1000000 + rng() % 5000;
          break;
        case 2:
          v = rng() % (uint64_t{1} << 40);
          break;
        default:
          v = ~uint64_t{0} - rng() % 100;
          break;
      }
      ASSERT_EQ(list.Add(v), ref.insert(v).second);
    }
    for (int i = 0; i < 25000; ++i) {
      uint64_t v = ref.empty() || rng() % 3 == 0
                       ? rng() % 70000
                       : *std::next(ref.begin(), rng() % std::min<size_t>(ref.size(), 50));
      ASSERT_EQ(list.Remove(v), ref.erase(v) == 1);
    }
    // Remove most of the dense range so that bitmaps turn back into arrays.
    for (uint64_t v = 0; v < 70000; v += 1) {
      if (v % 50 == 0) continue;
      ASSERT_EQ(list.Remove(v), ref.erase(v) == 1);
    }
    ASSERT_EQ(list.size(), ref.size());
    std::vector<uint64_t> got;
    list.AppendTo(&got);
    ASSERT_EQ(got, std::vector<uint64_t>(ref.begin(), ref.end()));
    for (int i = 0; i < 2000; ++i) {
      uint64_t v = rng() % 80000;
      ASSERT_EQ(list.Contains(v), ref.count(v) == 1) << v;
    }
  }
}

TEST(PostingsList, CursorAgreesWithContainsOnSortedQueries) {
  std::mt19937_64 rng(6);
  PostingsList list;
  for (int i = 0; i < 20000; ++i) list.Add(rng() % 300000);
  for (uint64_t v = 500000; v < 510000; ++v) list.Add(v);  // a bitmap container
  for (int round = 0; round < 50; ++round) {
    std::vector<uint64_t> q;
    for (int i = 0; i < 500; ++i) q.push_back(rng() % 600000);
    std::sort(q.begin(), q.end());
    PostingsList::Cursor c(list);
    for (uint64_t v : q) {
      if (rng() % 4 == 0) continue;  // skipping values keeps the sequence non-decreasing
      ASSERT_EQ(c.SeekContains(v), list.Contains(v)) << v;
    }
  }
}

TEST(PostingsList, DenseListsUseAboutTwoBytesPerRefOrLess) {
  PostingsList sparse_run;
  for (uint64_t v = 0; v < 4000; ++v) sparse_run.Add(v * 16);  // one container, array
  EXPECT_LT(sparse_run.MemoryBytes(), 4000 * 2 * 1.3 + 64);
  PostingsList dense;
  for (uint64_t v = 0; v < 1000000; ++v) dense.Add(v);  // bitmaps: 1 bit per ref
  EXPECT_LE(dense.MemoryBytes(), 16 * 8192 + 16 * 64);  // 16 bitmaps of 65536 bits
  EXPECT_EQ(dense.size(), 1000000u);
}

// --- MemPostings ------------------------------------------------------------------------

std::vector<SeriesRef> Refs(std::initializer_list<SeriesRef> r) { return r; }

TEST(MemPostings, AddIndexesEveryPairAndRemoveUnindexes) {
  MemPostings p;
  ASSERT_TRUE(p.Add(1, Labels({{"__name__", "up"}, {"host", "a"}})).ok());
  ASSERT_TRUE(p.Add(2, Labels({{"__name__", "up"}, {"host", "b"}})).ok());
  ASSERT_TRUE(p.Add(3, Labels({{"__name__", "load"}})).ok());
  EXPECT_EQ(p.Postings("__name__", "up"), Refs({1, 2}));
  EXPECT_EQ(p.Postings("host", "b"), Refs({2}));
  EXPECT_EQ(p.Postings("host", "zzz"), Refs({}));
  EXPECT_EQ(p.AllSeries(), Refs({1, 2, 3}));
  EXPECT_EQ(p.LabelNames(), (std::vector<std::string_view>{"__name__", "host"}));
  EXPECT_EQ(p.LabelValues("host"), (std::vector<std::string_view>{"a", "b"}));
  Labels got;
  ASSERT_TRUE(p.GetLabels(2, &got));
  EXPECT_EQ(got, Labels({{"__name__", "up"}, {"host", "b"}}));

  EXPECT_TRUE(p.Remove(2));
  EXPECT_FALSE(p.Remove(2));
  EXPECT_FALSE(p.Contains(2));
  EXPECT_FALSE(p.GetLabels(2, &got));
  EXPECT_EQ(p.Postings("__name__", "up"), Refs({1}));
  EXPECT_EQ(p.LabelValues("host"), (std::vector<std::string_view>{"a"}));
  EXPECT_TRUE(p.Remove(1));
  EXPECT_EQ(p.LabelNames(), (std::vector<std::string_view>{"__name__"}));
  EXPECT_EQ(p.num_series(), 1u);
}

TEST(MemPostings, RejectsDuplicateRefAndEmptyLabels) {
  MemPostings p;
  ASSERT_TRUE(p.Add(7, Labels({{"a", "b"}})).ok());
  EXPECT_EQ(p.Add(7, Labels({{"a", "c"}})).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(p.Add(8, Labels()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(p.Postings("a", "c"), Refs({}));
}

TEST(MemPostings, EmptyMatchingMatchersSelectSeriesWithoutTheLabel) {
  MemPostings p;
  ASSERT_TRUE(p.Add(1, Labels({{"__name__", "up"}, {"host", "a"}})).ok());
  ASSERT_TRUE(p.Add(2, Labels({{"__name__", "up"}})).ok());
  ASSERT_TRUE(p.Add(3, Labels({{"__name__", "down"}, {"host", "b"}})).ok());
  auto sel = [&](const char* text) { return p.Select(*ParseMatchers(text)); };
  EXPECT_EQ(sel("{host=\"\"}"), Refs({2}));
  EXPECT_EQ(sel("{host!~\".+\"}"), Refs({2}));
  EXPECT_EQ(sel("{host!=\"\"}"), Refs({1, 3}));
  EXPECT_EQ(sel("{host=~\"a|\"}"), Refs({1, 2}));
  EXPECT_EQ(sel("{host!=\"a\"}"), Refs({2, 3}));
  EXPECT_EQ(sel("up{host!=\"a\"}"), Refs({2}));
  EXPECT_EQ(sel("{nosuch=\"\"}"), Refs({1, 2, 3}));
  EXPECT_EQ(sel("{nosuch=\"x\"}"), Refs({}));
  EXPECT_EQ(sel("{host=~\".*\"}"), Refs({1, 2, 3}));
  EXPECT_EQ(sel("{host!~\".*\"}"), Refs({}));
  EXPECT_EQ(sel("{}"), Refs({1, 2, 3}));
  EXPECT_EQ(sel("{__name__=~\"u.\"}"), Refs({1, 2}));  // anchored: not "down"
}

// Every Select, LabelValues and LabelNames answer equals a brute-force scan over the
// series' labels, for every filter strategy, while series come and go.
TEST(MemPostings, SelectMatchesBruteForceOnRandomData) {
  for (FilterStrategy strategy : {FilterStrategy::kAuto, FilterStrategy::kProbe,
                                  FilterStrategy::kMerge, FilterStrategy::kLabels}) {
    std::mt19937 rng(static_cast<unsigned>(strategy) + 100);
    MemPostings p;
    p.set_filter_strategy_for_testing(strategy);
    std::map<SeriesRef, Labels> live;
    SeriesRef next = 1;
    for (int round = 0; round < 6; ++round) {
      for (int i = 0; i < 300; ++i) {
        Labels l = RandomLabels(rng);
        // Refs with gaps, some far apart, to spread over postings containers.
        next += 1 + (rng() % 10 == 0 ? 70000 : rng() % 3);
        ASSERT_TRUE(p.Add(next, l).ok());
        live[next] = l;
      }
      for (int i = 0; i < 100 && !live.empty(); ++i) {
        auto it = std::next(live.begin(), rng() % live.size());
        ASSERT_TRUE(p.Remove(it->first));
        live.erase(it);
      }
      for (int q = 0; q < 300; ++q) {
        std::vector<Matcher> ms = RandomMatchers(rng);
        std::vector<SeriesRef> want;
        for (const auto& [ref, l] : live)
          if (MatchesAll(l, ms)) want.push_back(ref);
        ASSERT_EQ(p.Select(ms), want) << Describe(ms);
        if (q % 10 == 0) {
          std::set<std::string_view> names;
          std::set<std::string> hosts;
          for (SeriesRef r : want) {
            for (const Label& lab : live[r]) names.insert(lab.name);
            if (live[r].Has("host")) hosts.insert(std::string(live[r].Get("host")));
          }
          if (!ms.empty()) {
            std::vector<std::string_view> got_names = p.LabelNames(ms);
            ASSERT_EQ(got_names, std::vector<std::string_view>(names.begin(), names.end()));
            std::vector<std::string_view> got_hosts = p.LabelValues("host", ms);
            ASSERT_EQ(std::vector<std::string>(got_hosts.begin(), got_hosts.end()),
                      std::vector<std::string>(hosts.begin(), hosts.end()));
          }
        }
      }
    }
    ASSERT_EQ(p.num_series(), live.size());
    for (const auto& [ref, l] : live) {
      Labels got;
      ASSERT_TRUE(p.GetLabels(ref, &got));
      ASSERT_EQ(got, l);
    }
  }
}

TEST(MemPostings, ReadersSeeConsistentAnswersWhileAWriterAddsAndRemoves) {
  MemPostings p;
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  Matcher host_a = Matcher::Equal("host", "a");
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        std::vector<SeriesRef> got = p.Select(std::span<const Matcher>(&host_a, 1));
        if (!std::is_sorted(got.begin(), got.end())) bad++;
        // Series with host=a have even refs (see below); removed ones never come back.
        for (SeriesRef ref : got)
          if (ref % 2 != 0) bad++;
        p.LabelValues("host");
      }
    });
  }
  for (SeriesRef ref = 0; ref < 20000; ++ref) {
    ASSERT_TRUE(p.Add(ref, Labels({{"__name__", "m"},
                                   {"host", ref % 2 == 0 ? "a" : "b"},
                                   {"i", std::to_string(ref)}}))
                    .ok());
    if (ref % 3 == 0) p.Remove(ref / 2);
  }
  done = true;
  for (auto& th : readers) th.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(MemPostings, StatsReportFewBytesPerSeries) {
  MemPostings p;
  const int hosts = 200;
  SeriesRef ref = 0;
  for (int h = 0; h < hosts; ++h) {
    std::string host = "host-" + std::to_string(h) + ".example.com";
    for (int m = 0; m < 50; ++m) {
      ASSERT_TRUE(p.Add(ref++, Labels({{"__name__", "metric_" + std::to_string(m)},
                                       {"host", host},
                                       {"job", "node"},
                                       {"cpu", std::to_string(m % 4)}}))
                      .ok());
    }
  }
  MemPostingsStats s = p.Stats();
  EXPECT_EQ(s.series, 10000u);
  EXPECT_EQ(s.label_pairs, 50u + 200u + 1u + 4u);
  double per_series = static_cast<double>(s.total_bytes()) / s.series;
  // Symbols and maps are amortised over few series here; the 1M-series benchmark reports
  // the steady state.
  EXPECT_LT(per_series, 120.0) << "symbols " << s.symbol_bytes << " postings " << s.postings_bytes
                               << " maps " << s.map_bytes << " series " << s.series_bytes;
}

}  // namespace
}  // namespace strix::storage::index
