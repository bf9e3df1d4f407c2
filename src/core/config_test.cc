#include "core/config.h"

#include <gtest/gtest.h>

#include "core/testing/temp_dir.h"

namespace strix::config {
namespace {

// A small options tree shaped like a real component's.
enum class Policy { kTruncate, kFail };
struct WalOptions {
  uint64_t segment_bytes = 128 << 20;
  Policy on_corruption = Policy::kTruncate;
  int64_t sync_interval_ms = 0;
};
struct Options {
  std::string data_dir = "./var";
  int64_t workers = 2;
  bool verbose = false;
  double ratio = 0.5;
  std::vector<std::string> listen = {"127.0.0.1:8888"};
  WalOptions wal;
  struct Tier {
    std::string name;
    int64_t step_ms = 0;
  };
  std::vector<Tier> tiers;
};

void Bind(Section& s, Options* o) {
  s.String("data_dir", &o->data_dir, /*non_empty=*/true)
      .Int("workers", &o->workers, 1, 256)
      .Bool("verbose", &o->verbose)
      .Double("ratio", &o->ratio, 0, 1)
      .StringList("listen", &o->listen)
      .Map("wal",
           [&](Section& w) {
             w.Bytes("segment_bytes", &o->wal.segment_bytes, 1 << 20, 1ull << 32)
                 .Enum("on_corruption", &o->wal.on_corruption,
                       {{"truncate", Policy::kTruncate}, {"fail", Policy::kFail}})
                 .Duration("sync_interval", &o->wal.sync_interval_ms, 0, 60'000);
           })
      .List("tiers", [&](Section& t, size_t) {
        Options::Tier tier;
        t.Required("name")
            .String("name", &tier.name, true)
            .Duration("step", &tier.step_ms, 1000, 86'400'000);
        o->tiers.push_back(tier);
      });
}

Status Load(std::string_view text, Options* o, const std::string& name = "strixd.yaml") {
  auto doc = Document::ParseString(text, name);
  if (!doc.ok()) return doc.status();
  Errors errors;
  {
    Section root(*doc, &errors);
    Bind(root, o);
  }
  return errors.ToStatus();
}

TEST(Config, ValidFileFillsOptions) {
  Options o;
  Status s = Load(R"(
data_dir: /srv/strix
workers: 4
verbose: yes
ratio: 0.25
listen: [127.0.0.1:1, 127.0.0.1:2]
wal:
  segment_bytes: 64MiB
  on_corruption: fail
  sync_interval: 50ms
tiers:
  - name: 1m
    step: 1m
  - name: 1h
    step: 1h
)",
                  &o);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(o.data_dir, "/srv/strix");
  EXPECT_EQ(o.workers, 4);
  EXPECT_TRUE(o.verbose);
  EXPECT_DOUBLE_EQ(o.ratio, 0.25);
  EXPECT_EQ(o.listen.size(), 2u);
  EXPECT_EQ(o.wal.segment_bytes, 64u << 20);
  EXPECT_EQ(o.wal.on_corruption, Policy::kFail);
  EXPECT_EQ(o.wal.sync_interval_ms, 50);
  ASSERT_EQ(o.tiers.size(), 2u);
  EXPECT_EQ(o.tiers[1].step_ms, 3'600'000);
}

TEST(Config, AbsentKeysKeepDefaultsAndEmptyFileIsValid) {
  Options o;
  ASSERT_TRUE(Load("", &o).ok());
  EXPECT_EQ(o.data_dir, "./var");
  EXPECT_EQ(o.wal.segment_bytes, 128u << 20);
  ASSERT_TRUE(Load("# only a comment\n", &o).ok());
}

TEST(Config, WrongTypeNamesFileLineColumnKeyAndExpectation) {
  Options o;
  Status s = Load("data_dir: /x\nwal:\n  segment_bytes: lots\n", &o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "strixd.yaml:3:3: wal.segment_bytes: expected a size such as 512MiB or 4GB, got "
            "\"lots\"");
  EXPECT_EQ(o.wal.segment_bytes, 128u << 20);  // untouched
}

TEST(Config, OutOfRangeSaysTheRange) {
  Options o;
  Status s = Load("workers: 0\n", &o);
  EXPECT_EQ(s.message(), "strixd.yaml:1:1: workers: expected an integer from 1 to 256, got 0");
  s = Load("wal:\n  sync_interval: 2h\n", &o);
  EXPECT_EQ(s.message(),
            "strixd.yaml:2:3: wal.sync_interval: expected a duration from 0s to 1m, got 2h");
}

TEST(Config, UnknownKeySuggestsTheNearestKnownKey) {
  Options o;
  Status s = Load("wal:\n  segment_byte: 1GiB\n", &o);
  EXPECT_EQ(s.message(),
            "strixd.yaml:2:3: wal.segment_byte: unknown key (did you mean \"segment_bytes\"?)");
  s = Load("zzzzzzzz: 1\n", &o);
  EXPECT_EQ(s.message(), "strixd.yaml:1:1: zzzzzzzz: unknown key");
}

TEST(Config, BadEnumListsTheChoices) {
  Options o;
  Status s = Load("wal: {on_corruption: ignore}\n", &o);
  EXPECT_EQ(s.message(),
            "strixd.yaml:1:7: wal.on_corruption: expected one of truncate, fail; got \"ignore\"");
}

TEST(Config, AllProblemsAreReportedTogether) {
  Options o;
  Status s = Load("workers: many\nverbose: maybe\ntiers:\n  - step: 1m\n", &o);
  ASSERT_FALSE(s.ok());
  std::string m(s.message());
  EXPECT_NE(m.find("strixd.yaml:1:1: workers: expected an integer"), std::string::npos) << m;
  EXPECT_NE(m.find("strixd.yaml:2:1: verbose: expected true or false, got \"maybe\""),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("strixd.yaml:4:5: tiers[0].name: required key is missing"), std::string::npos)
      << m;
}

TEST(Config, DuplicateKeyIsAnError) {
  Options o;
  Status s = Load("workers: 2\nworkers: 3\n", &o);
  EXPECT_EQ(s.message(), "strixd.yaml:2:1: workers: duplicate key");
}

TEST(Config, SyntaxErrorNamesFileLineColumn) {
  Options o;
  Status s = Load("wal:\n  segment_bytes: [1, 2\nworkers: 3\n", &o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("strixd.yaml:", 0), 0u) << s.message();
  EXPECT_NE(s.message().find("invalid YAML"), std::string_view::npos) << s.message();
}

TEST(Config, MappingExpectedWhereScalarGiven) {
  Options o;
  Status s = Load("wal: 5\n", &o);
  EXPECT_EQ(s.message(), "strixd.yaml:1:6: wal: expected a mapping of keys to values, got \"5\"");
}

TEST(Config, BrokenFileOnDiskNamesItsPathLineAndKey) {
  testing::TempDir dir;
  std::string path = dir.Join("strixd.yaml");
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), path,
                                  "data_dir: ./var\n\nwal:\n  on_corruption: truncate\n"
                                  "  segment_bytes: -5\n")
                  .ok());
  auto doc = Document::ParseFile(Env::Default(), path);
  ASSERT_TRUE(doc.ok());
  Errors errors;
  Options o;
  {
    Section root(*doc, &errors);
    Bind(root, &o);
  }
  ASSERT_EQ(errors.lines().size(), 1u);
  EXPECT_EQ(errors.lines()[0], path +
                                   ":5:3: wal.segment_bytes: expected a size such as 512MiB "
                                   "or 4GB, got \"-5\"");
}

TEST(Config, MissingFileSaysSo) {
  auto doc = Document::ParseFile(Env::Default(), "/nonexistent/strixd.yaml");
  ASSERT_FALSE(doc.ok());
  EXPECT_TRUE(doc.status().IsNotFound());
  EXPECT_NE(doc.status().message().find("cannot read config file"), std::string_view::npos);
}

TEST(Config, EntriesVisitsUserNamedKeys) {
  auto doc = Document::ParseString("inputs:\n  cpu: {interval: 10s}\n  disk: {interval: 1m}\n",
                                   "agent.yaml");
  ASSERT_TRUE(doc.ok());
  Errors errors;
  std::vector<std::pair<std::string, int64_t>> seen;
  {
    Section root(*doc, &errors);
    root.Entries("inputs", [&](Section& in, const std::string& name) {
      int64_t iv = 0;
      in.Duration("interval", &iv, 1000, 86'400'000);
      seen.emplace_back(name, iv);
    });
  }
  ASSERT_TRUE(errors.empty()) << errors.ToStatus().ToString();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], (std::pair<std::string, int64_t>{"cpu", 10'000}));
  EXPECT_EQ(seen[1], (std::pair<std::string, int64_t>{"disk", 60'000}));
}

TEST(ParseDuration, UnitsAndCombinations) {
  EXPECT_EQ(*ParseDuration("250ms"), 250);
  EXPECT_EQ(*ParseDuration("10s"), 10'000);
  EXPECT_EQ(*ParseDuration("1h30m"), 5'400'000);
  EXPECT_EQ(*ParseDuration("7d"), 604'800'000);
  EXPECT_EQ(*ParseDuration("2w"), 1'209'600'000);
  EXPECT_FALSE(ParseDuration("10").ok());  // a unit is required
  EXPECT_FALSE(ParseDuration("s").ok());
  EXPECT_FALSE(ParseDuration("5x").ok());
  EXPECT_FALSE(ParseDuration("-5s").ok());
  EXPECT_FALSE(ParseDuration("999999999999w").ok());
}

TEST(ParseBytes, UnitsAndOverflow) {
  EXPECT_EQ(*ParseBytes("4096"), 4096u);
  EXPECT_EQ(*ParseBytes("1KiB"), 1024u);
  EXPECT_EQ(*ParseBytes("1KB"), 1000u);
  EXPECT_EQ(*ParseBytes("2 GiB"), 2ull << 30);
  EXPECT_FALSE(ParseBytes("1PB").ok());
  EXPECT_FALSE(ParseBytes("99999999999TiB").ok());
  EXPECT_FALSE(ParseBytes("").ok());
}

TEST(Config, StringMapKeepsFileOrderAndRejectsNonScalars) {
  auto doc = Document::ParseString("labels:\n  site: lab\n  rack: 7\n  bad: [1]\n", "a.yaml");
  ASSERT_TRUE(doc.ok());
  Errors errors;
  std::vector<std::pair<std::string, std::string>> labels;
  {
    Section root(*doc, &errors);
    root.StringMap("labels", &labels);
  }
  ASSERT_EQ(errors.lines().size(), 1u);
  EXPECT_EQ(errors.lines()[0], "a.yaml:4:8: labels.bad: expected a string, got a list");
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0], (std::pair<std::string, std::string>{"site", "lab"}));
  EXPECT_EQ(labels[1], (std::pair<std::string, std::string>{"rack", "7"}));
}

}  // namespace
}  // namespace strix::config
