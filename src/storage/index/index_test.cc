// Tests for the on-disk index: IndexWriter/IndexReader round trips, a property test of
// Select against a brute-force scan, writer argument checks, corruption (truncation at every
// section boundary and every byte, bit flips) and the golden file in testdata/index/.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "core/coding.h"
#include "core/env.h"
#include "core/testing/temp_dir.h"
#include "storage/index/index_reader.h"
#include "storage/index/index_writer.h"
#include "storage/index/internal/format.h"
#include "storage/index/testing_util.h"

namespace strix::storage::index {
namespace {

using testing::Describe;
using testing::MatchesAll;
using testing::RandomLabels;
using testing::RandomMatchers;

// Unique random series, sorted by labels, each with a payload naming its position.
std::vector<IndexSeries> RandomSeries(std::mt19937& rng, int n) {
  std::map<Labels, std::string> unique;
  for (int i = 0; i < n; ++i) {
    std::string payload(rng() % 12, '\0');
    for (char& c : payload) c = static_cast<char>(rng());
    unique.emplace(RandomLabels(rng), payload);
  }
  std::vector<IndexSeries> out;
  for (auto& [l, p] : unique) out.push_back({l, p});
  return out;
}

std::unique_ptr<IndexReader> OpenOrDie(std::string_view data, bool verify = true) {
  IndexReaderOptions o;
  o.verify_checksums = verify;
  Result<std::unique_ptr<IndexReader>> r = IndexReader::Open(data, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(*r) : nullptr;
}

TEST(Index, RoundTripGivesBackSeriesPostingsNamesAndValues) {
  std::mt19937 rng(1);
  std::vector<IndexSeries> series = RandomSeries(rng, 500);
  Result<std::string> data = BuildIndex(series);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  auto r = OpenOrDie(*data);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(r->Verify().ok()) << r->Verify().ToString();
  ASSERT_EQ(r->num_series(), series.size());
  std::map<std::pair<std::string, std::string>, std::vector<uint32_t>> pairs;
  std::map<std::string, std::set<std::string>> values;
  for (uint32_t i = 0; i < series.size(); ++i) {
    Result<IndexSeriesEntry> e = r->Series(i);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ(e->labels, series[i].labels);
    EXPECT_EQ(e->payload, series[i].payload);
    for (const Label& l : series[i].labels) {
      pairs[{std::string(l.name), std::string(l.value)}].push_back(i);
      values[std::string(l.name)].insert(std::string(l.value));
    }
  }
  EXPECT_EQ(r->Series(static_cast<uint32_t>(series.size())).status().code(),
            StatusCode::kOutOfRange);
  for (const auto& [pair, want] : pairs) EXPECT_EQ(*r->Postings(pair.first, pair.second), want);
  EXPECT_TRUE(r->Postings("host", "nonexistent")->empty());
  EXPECT_TRUE(r->Postings("nonexistent", "h1")->empty());
  std::vector<std::string_view> names = *r->LabelNames();
  ASSERT_EQ(names.size(), values.size());
  for (const auto& [name, vals] : values) {
    std::vector<std::string_view> got = *r->LabelValues(name);
    EXPECT_EQ(std::vector<std::string>(got.begin(), got.end()),
              std::vector<std::string>(vals.begin(), vals.end()));
  }
}

TEST(Index, SelectMatchesBruteForceOnRandomData) {
  for (FilterStrategy strategy :
       {FilterStrategy::kAuto, FilterStrategy::kMerge, FilterStrategy::kLabels}) {
    std::mt19937 rng(static_cast<unsigned>(strategy) + 7);
    for (int round = 0; round < 4; ++round) {
      std::vector<IndexSeries> series = RandomSeries(rng, 50 + 400 * round);
      std::string data = *BuildIndex(series);
      auto r = OpenOrDie(data);
      ASSERT_NE(r, nullptr);
      r->set_filter_strategy_for_testing(strategy);
      for (int q = 0; q < 400; ++q) {
        std::vector<Matcher> ms = RandomMatchers(rng);
        std::vector<uint32_t> want;
        for (uint32_t i = 0; i < series.size(); ++i)
          if (MatchesAll(series[i].labels, ms)) want.push_back(i);
        Result<std::vector<uint32_t>> got = r->Select(ms);
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        ASSERT_EQ(*got, want) << Describe(ms);
        if (q % 20 == 0 && !ms.empty()) {
          std::set<std::string> names, hosts;
          for (uint32_t i : want) {
            for (const Label& l : series[i].labels) names.insert(std::string(l.name));
            if (series[i].labels.Has("host"))
              hosts.insert(std::string(series[i].labels.Get("host")));
          }
          std::vector<std::string_view> gn = *r->LabelNames(ms);
          std::vector<std::string_view> gh = *r->LabelValues("host", ms);
          EXPECT_EQ(std::vector<std::string>(gn.begin(), gn.end()),
                    std::vector<std::string>(names.begin(), names.end()));
          EXPECT_EQ(std::vector<std::string>(gh.begin(), gh.end()),
                    std::vector<std::string>(hosts.begin(), hosts.end()));
        }
      }
    }
  }
}

TEST(Index, EmptyIndexOpensAndSelectsNothing) {
  std::string data = *BuildIndex({});
  auto r = OpenOrDie(data);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->num_series(), 0u);
  EXPECT_TRUE(r->Select({})->empty());
  EXPECT_TRUE(r->LabelNames()->empty());
  EXPECT_TRUE(r->Verify().ok());
}

TEST(Index, WriterThroughEnvAndReaderOverMappedFile) {
  strix::testing::TempDir dir;
  Env& env = Env::Default();
  std::string path = dir.Join("index");
  std::mt19937 rng(3);
  std::vector<IndexSeries> series = RandomSeries(rng, 2000);
  std::vector<std::string_view> symbols;
  for (const IndexSeries& s : series) {
    for (const Label& l : s.labels) {
      symbols.push_back(l.name);
      symbols.push_back(l.value);
    }
  }
  std::sort(symbols.begin(), symbols.end());
  symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
  {
    auto file = env.NewWritableFile(path);
    ASSERT_TRUE(file.ok());
    auto w = IndexWriter::Create(file->get(), symbols);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    for (const IndexSeries& s : series) ASSERT_TRUE((*w)->AddSeries(s.labels, s.payload).ok());
    ASSERT_TRUE((*w)->Finish().ok());
    EXPECT_EQ((*w)->bytes_written(), (*file)->Size());
    ASSERT_TRUE((*file)->Sync().ok());
    ASSERT_TRUE((*file)->Close().ok());
  }
  EXPECT_EQ(*ReadFileToString(env, path), *BuildIndex(series));
  auto region = env.MapReadOnly(path);
  ASSERT_TRUE(region.ok());
  auto r = IndexReader::Open(std::move(*region));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE((*r)->Verify().ok());
  EXPECT_EQ((*r)->num_series(), series.size());
  EXPECT_EQ((*r)->Series(17)->labels, series[17].labels);
}

TEST(IndexWriter, RejectsUnsortedSymbolsOutOfOrderSeriesAndUnknownStrings) {
  StringFile f;
  std::vector<std::string_view> unsorted = {"b", "a"};
  EXPECT_EQ(IndexWriter::Create(&f, unsorted).status().code(), StatusCode::kInvalidArgument);
  std::vector<std::string_view> dup = {"a", "a"};
  EXPECT_FALSE(IndexWriter::Create(&f, dup).ok());

  StringFile g;
  std::vector<std::string_view> symbols = {"__name__", "a", "b", "host", "up"};
  auto w = std::move(*IndexWriter::Create(&g, symbols));
  ASSERT_TRUE(w->AddSeries(Labels({{"__name__", "up"}, {"host", "b"}}), "x").ok());
  EXPECT_EQ(w->AddSeries(Labels({{"__name__", "up"}, {"host", "a"}}), "").code(),
            StatusCode::kInvalidArgument);                                           // out of order
  EXPECT_FALSE(w->AddSeries(Labels({{"__name__", "up"}, {"host", "b"}}), "").ok());  // equal
  EXPECT_FALSE(w->AddSeries(Labels({{"__name__", "up"}, {"zone", "b"}}), "").ok());  // unknown
  EXPECT_FALSE(w->AddSeries(Labels(), "").ok());
  ASSERT_TRUE(w->AddSeries(Labels({{"host", "a"}}), "y").ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_FALSE(w->Finish().ok());
  auto r = OpenOrDie(g.data());
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->num_series(), 2u);
  EXPECT_TRUE(r->Verify().ok());
  std::vector<IndexSeries> same = {{Labels({{"a", "1"}}), ""}, {Labels({{"a", "1"}}), ""}};
  EXPECT_FALSE(BuildIndex(same).ok());
}

// Section boundaries of a valid index: the offsets in its TOC.
std::vector<uint64_t> SectionBoundaries(const std::string& data) {
  std::vector<uint64_t> b = {0, internal::kHeaderBytes};
  const char* toc = data.data() + data.size() - internal::kTocBytes;
  for (int i = 0; i <= internal::kNumSections; ++i) {
    uint64_t off = DecodeFixed64(toc + 8 * i);
    b.push_back(off);
    b.push_back(off - internal::kCrcBytes);
  }
  b.push_back(data.size() - 4);
  b.push_back(data.size() - 1);
  return b;
}

// Runs every query; the answers do not matter, only that nothing crashes or reads out of
// bounds (the asan build checks the latter).
void ExerciseReader(const IndexReader& r) {
  (void)r.Verify();
  for (uint32_t i = 0; i < std::min<uint32_t>(r.num_series(), 50); ++i) (void)r.Series(i);
  auto names = r.LabelNames();
  if (names.ok()) {
    for (std::string_view n : *names) {
      auto values = r.LabelValues(n);
      if (!values.ok()) continue;
      for (std::string_view v : *values) (void)r.Postings(n, v);
    }
  }
  std::mt19937 rng(1);
  for (int q = 0; q < 20; ++q) {
    std::vector<Matcher> ms = RandomMatchers(rng);
    (void)r.Select(ms);
    if (!ms.empty()) (void)r.LabelValues("host", ms);
  }
}

TEST(IndexReader, TruncationAtEverySectionBoundaryIsCorruption) {
  std::mt19937 rng(9);
  std::string data = *BuildIndex(RandomSeries(rng, 300));
  for (uint64_t cut : SectionBoundaries(data)) {
    ASSERT_LT(cut, data.size());
    Result<std::unique_ptr<IndexReader>> r =
        IndexReader::Open(std::string_view(data).substr(0, cut));
    ASSERT_FALSE(r.ok()) << "cut at " << cut;
    EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
    EXPECT_NE(r.status().context().find("section="), std::string_view::npos);
  }
}

TEST(IndexReader, TruncationAtEveryByteNeverCrashes) {
  std::mt19937 rng(10);
  std::string data = *BuildIndex(RandomSeries(rng, 40));
  for (size_t cut = 0; cut < data.size(); ++cut) {
    std::string copy = data.substr(0, cut);  // a fresh allocation, so asan sees overreads
    for (bool verify : {true, false}) {
      IndexReaderOptions o;
      o.verify_checksums = verify;
      auto r = IndexReader::Open(copy, o);
      ASSERT_FALSE(r.ok()) << cut;
      EXPECT_TRUE(r.status().IsCorruption());
    }
  }
}

TEST(IndexReader, EverySingleBitFlipIsDetectedWithChecksums) {
  std::mt19937 rng(11);
  std::string data = *BuildIndex(RandomSeries(rng, 30));
  for (size_t byte = 0; byte < data.size(); ++byte) {
    std::string copy = data;
    copy[byte] = static_cast<char>(copy[byte] ^ (1 << (rng() % 8)));
    auto r = IndexReader::Open(copy);
    ASSERT_FALSE(r.ok()) << "flip in byte " << byte << " went unnoticed";
    EXPECT_TRUE(r.status().IsCorruption());
  }
}

TEST(IndexReader, RandomDamageWithoutChecksumsNeverCrashes) {
  std::mt19937 rng(12);
  std::string data = *BuildIndex(RandomSeries(rng, 200));
  int opened = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string copy = data;
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips; ++f) {
      size_t at = rng() % copy.size();
      if (rng() % 2) {
        copy[at] = static_cast<char>(copy[at] ^ (1 << (rng() % 8)));
      } else {
        copy[at] = static_cast<char>(rng());
      }
    }
    IndexReaderOptions o;
    o.verify_checksums = false;
    auto r = IndexReader::Open(copy, o);
    if (!r.ok()) {
      EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
      continue;
    }
    ++opened;
    ExerciseReader(**r);
    // The CRCs still catch the damage.
    EXPECT_FALSE((*r)->Verify().ok());
  }
  EXPECT_GT(opened, 100);  // damage inside sections must reach the lazy decoders
}

TEST(IndexReader, ImplausibleCountsAreRejectedBeforeAllocating) {
  std::mt19937 rng(13);
  std::string data = *BuildIndex(RandomSeries(rng, 20));
  // Claim 2^32-1 series in the series index; the CRC is off, the counts are checked.
  const char* toc = data.data() + data.size() - internal::kTocBytes;
  uint64_t at = DecodeFixed64(toc + 8 * internal::kSeriesIndex);
  std::string copy = data;
  EncodeFixed32(copy.data() + at, 0xffffffffu);
  IndexReaderOptions o;
  o.verify_checksums = false;
  auto r = IndexReader::Open(copy, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().context().find("section=series_index"), std::string_view::npos)
      << r.status().ToString();
  // Claim 2^32-1 symbols.
  copy = data;
  EncodeFixed32(copy.data() + internal::kHeaderBytes, 0xffffffffu);
  r = IndexReader::Open(copy, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().context().find("section=symbols"), std::string_view::npos);
}

// --- Golden file ------------------------------------------------------------------------

std::string SourceDir() {
  const char* d = std::getenv("STRIX_SOURCE_DIR");
  return d != nullptr ? d : ".";
}

std::string HexDecode(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

std::vector<IndexSeries> ReadGoldenText() {
  std::ifstream in(SourceDir() + "/testdata/index/golden.txt");
  EXPECT_TRUE(in.good()) << "testdata/index/golden.txt missing (STRIX_SOURCE_DIR?)";
  std::vector<IndexSeries> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t tab = line.find('\t');
    EXPECT_NE(tab, std::string::npos) << line;
    Result<Labels> l = Labels::Parse(line.substr(0, tab));
    EXPECT_TRUE(l.ok()) << line << ": " << l.status().ToString();
    if (l.ok()) out.push_back({*l, HexDecode(line.substr(tab + 1))});
  }
  std::sort(out.begin(), out.end(),
            [](const IndexSeries& a, const IndexSeries& b) { return a.labels < b.labels; });
  return out;
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good()) << path;
}

// With STRIX_UPDATE_GOLDEN=1, rewrites golden.index and the fuzz seeds.
void MaybeUpdateGolden(const std::string& golden) {
  if (std::getenv("STRIX_UPDATE_GOLDEN") == nullptr) return;
  const std::string dir = SourceDir() + "/testdata";
  WriteFile(dir + "/index/golden.index", golden);
  WriteFile(dir + "/fuzz/index/golden.index", golden);
  WriteFile(dir + "/fuzz/index/empty.index", *BuildIndex({}));
  std::mt19937 rng(21);
  WriteFile(dir + "/fuzz/index/random-60.index", *BuildIndex(RandomSeries(rng, 60)));
  WriteFile(dir + "/fuzz/index/random-5.index", *BuildIndex(RandomSeries(rng, 5)));
  std::vector<IndexSeries> one = {{Labels({{"__name__", "up"}}), "p"}};
  WriteFile(dir + "/fuzz/index/one.index", *BuildIndex(one));
  WriteFile(dir + "/fuzz/index/truncated.index", golden.substr(0, golden.size() / 2));
  std::string garbage(300, '\0');
  for (char& c : garbage) c = static_cast<char>(rng());
  WriteFile(dir + "/fuzz/index/garbage.bin", garbage);
  WriteFile(dir + "/fuzz/index/header-only.bin", golden.substr(0, 8));
  WriteFile(dir + "/fuzz/index/selector.txt",
            "node_cpu{host=~\"web-.*\",mode!~'idle|iowait',cpu!=\"0\",zone=``}");
  WriteFile(dir + "/fuzz/index/labels.txt", "up{host=\"a\\\"b\\\\c\\nd\",job=\"node\",}");
  WriteFile(dir + "/fuzz/index/bad-regex.txt", "{a=~\"(\"}");
}

TEST(IndexGolden, WriterReproducesGoldenFileByteForByte) {
  std::vector<IndexSeries> series = ReadGoldenText();
  ASSERT_EQ(series.size(), 12u);
  Result<std::string> built = BuildIndex(series);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  MaybeUpdateGolden(*built);
  Result<std::string> golden =
      ReadFileToString(Env::Default(), SourceDir() + "/testdata/index/golden.index");
  ASSERT_TRUE(golden.ok()) << golden.status().ToString();
  EXPECT_EQ(*built, *golden) << "the index format changed: update docs/format/index.md, bump "
                                "the version, and regenerate with STRIX_UPDATE_GOLDEN=1";
}

TEST(IndexGolden, GoldenFileReadsBackToKnownSeries) {
  std::vector<IndexSeries> series = ReadGoldenText();
  Result<std::string> golden =
      ReadFileToString(Env::Default(), SourceDir() + "/testdata/index/golden.index");
  ASSERT_TRUE(golden.ok());
  auto r = OpenOrDie(*golden);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(r->Verify().ok());
  ASSERT_EQ(r->num_series(), series.size());
  for (uint32_t i = 0; i < series.size(); ++i) {
    EXPECT_EQ(r->Series(i)->labels, series[i].labels);
    EXPECT_EQ(r->Series(i)->payload, series[i].payload);
  }
  auto sel = [&](const char* text) {
    std::vector<std::string> out;
    std::vector<uint32_t> positions = *r->Select(*ParseMatchers(text));
    for (uint32_t pos : positions) out.push_back(r->Series(pos)->labels.ToString());
    return out;
  };
  EXPECT_EQ(sel("node_load1{host=~\"web-.*\"}"),
            (std::vector<std::string>{"node_load1{host=\"web-1\",job=\"node\"}",
                                      "node_load1{host=\"web-2\",job=\"node\"}"}));
  EXPECT_EQ(sel("{host=\"web-1\",job=\"\"}"),
            (std::vector<std::string>{"ns:rule:rate5m{host=\"web-1\"}"}));
  EXPECT_EQ(sel("{units=\"°C\"}").size(), 1u);
  EXPECT_EQ(sel("{job=\"node\",mode!=\"idle\"}").size(), 5u);
  std::vector<std::string_view> hosts = *r->LabelValues("host");
  EXPECT_EQ(std::vector<std::string>(hosts.begin(), hosts.end()),
            (std::vector<std::string>{"ahu-1", "db-1", "switch-3", "web-1", "web-2"}));
}

}  // namespace
}  // namespace strix::storage::index
