// Tests for Labels, LabelsBuilder, Matcher and the text parsers (storage/labels.h).
#include "storage/labels.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace strix::storage {
namespace {

TEST(StableHash64, MatchesPublishedXxh64Vectors) {
  // Reference values from the xxHash library (XXH64).
  EXPECT_EQ(StableHash64(""), 0xef46db3751d8e999ull);
  EXPECT_EQ(StableHash64("a"), 0xd24ec4f1a98c6e5bull);
  EXPECT_EQ(StableHash64("abc"), 0x44bc2cf5ad770999ull);
  EXPECT_EQ(StableHash64("Nobody inspects the spammish repetition"), 0xfbcea83c8a378bf1ull);
  EXPECT_EQ(StableHash64("abc", 1), 0xbea9ca8199328908ull);
  std::string bytes;
  for (int r = 0; r < 3; ++r)
    for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  EXPECT_EQ(StableHash64(bytes), 0x8e03c838c596036full);
}

TEST(StableHash64, StreamingEqualsOneShotForAnySplit) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 200; ++iter) {
    std::string data(rng() % 200, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    StableHasher h(iter);
    size_t pos = 0;
    while (pos < data.size()) {
      size_t n = std::min<size_t>(data.size() - pos, rng() % 40);
      h.Update(std::string_view(data).substr(pos, n));
      pos += n;
    }
    EXPECT_EQ(h.Digest(), StableHash64(data, iter));
  }
}

TEST(Labels, HashIsPinnedAcrossVersions) {
  // These values may be persisted: a change here breaks existing data.
  EXPECT_EQ(Labels().Hash(), 0xef46db3751d8e999ull);
  EXPECT_EQ(Labels({{"__name__", "up"}}).Hash(), 0x23d4c2cb13387598ull);
  EXPECT_EQ(Labels({{"host", "web-1"},
                    {"__name__", "node_cpu_seconds_total"},
                    {"mode", "idle"},
                    {"cpu", "0"}})
                .Hash(),
            0x9713ecef76985206ull);
}

TEST(Labels, HashSeparatesNameAndValueBoundaries) {
  EXPECT_NE(Labels({{"ab", "c"}}).Hash(), Labels({{"a", "bc"}}).Hash());
  EXPECT_NE(Labels({{"a", "b"}, {"c", "d"}}).Hash(), Labels({{"a", "b\xff"}, {"c", "d"}}).Hash());
}

TEST(Labels, ConstructionSortsKeepsLastDuplicateAndDropsEmptyValues) {
  Labels l({{"b", "2"}, {"a", "1"}, {"c", ""}, {"b", "3"}});
  std::vector<Label> got(l.begin(), l.end());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (Label{"a", "1"}));
  EXPECT_EQ(got[1], (Label{"b", "3"}));
  EXPECT_EQ(l.size(), 2u);
  EXPECT_EQ(l.Get("b"), "3");
  EXPECT_EQ(l.Get("c"), "");
  EXPECT_FALSE(l.Has("c"));
  EXPECT_TRUE(Labels({{"x", ""}}).empty());
}

TEST(Labels, EqualityIgnoresInputOrder) {
  EXPECT_EQ(Labels({{"a", "1"}, {"b", "2"}}), Labels({{"b", "2"}, {"a", "1"}}));
  EXPECT_NE(Labels({{"a", "1"}}), Labels({{"a", "2"}}));
}

TEST(Labels, OrderIsPairByPairThenPrefixFirst) {
  std::vector<Labels> sorted = {
      Labels(),
      Labels({{"a", "1"}}),
      Labels({{"a", "1"}, {"b", "1"}}),
      Labels({{"a", "1"}, {"b", "2"}}),
      Labels({{"a", "1"}, {"c", "0"}}),
      Labels({{"a", "10"}}),
      Labels({{"a", "2"}}),
      Labels({{"b", "0"}}),
  };
  for (size_t i = 0; i < sorted.size(); ++i) {
    for (size_t j = 0; j < sorted.size(); ++j) {
      EXPECT_EQ(Compare(sorted[i], sorted[j]) < 0, i < j) << i << " " << j;
      EXPECT_EQ(sorted[i] == sorted[j], i == j);
    }
  }
}

TEST(Labels, ToStringUsesPrometheusFormWithEscapes) {
  EXPECT_EQ(Labels().ToString(), "{}");
  EXPECT_EQ(Labels({{"__name__", "up"}}).ToString(), "up");
  EXPECT_EQ(Labels({{"__name__", "up"}, {"job", "node"}, {"a", "x"}}).ToString(),
            "up{a=\"x\",job=\"node\"}");
  EXPECT_EQ(Labels({{"a", "q\"b\\c\nd"}}).ToString(), "{a=\"q\\\"b\\\\c\\nd\"}");
  // Not a valid metric name: kept as a label so that Parse gives it back.
  EXPECT_EQ(Labels({{"__name__", "1 up"}, {"a", "b"}}).ToString(), "{__name__=\"1 up\",a=\"b\"}");
}

TEST(Labels, ParseRoundTripsToString) {
  std::mt19937 rng(3);
  const std::vector<std::string> values = {"x",       "web-1", "a\"b", "back\\slash", "new\nline",
                                           "ünïcödé", "{}",    ",",    "=",           "  spaced "};
  for (int iter = 0; iter < 300; ++iter) {
    LabelsBuilder b;
    if (rng() % 2) b.Set("__name__", rng() % 2 ? "node_load1" : "ns:rule:rate5m");
    int n = static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i)
      b.Set(std::string(1, static_cast<char>('a' + rng() % 5)) + "_l",
            values[rng() % values.size()]);
    Labels l = b.Build();
    if (l.empty()) continue;
    Result<Labels> parsed = Labels::Parse(l.ToString());
    ASSERT_TRUE(parsed.ok()) << l.ToString() << ": " << parsed.status().ToString();
    EXPECT_EQ(*parsed, l) << l.ToString();
  }
}

TEST(Labels, ParseAcceptsSpacesTrailingCommaAndBareName) {
  Result<Labels> l = Labels::Parse("  up { job = \"node\" , host=\"a\", }  ");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(*l, Labels({{"__name__", "up"}, {"job", "node"}, {"host", "a"}}));
  EXPECT_EQ(*Labels::Parse("up"), Labels({{"__name__", "up"}}));
  EXPECT_EQ(*Labels::Parse("{}"), Labels());
  EXPECT_EQ(*Labels::Parse("{a=\"\"}"), Labels());  // empty value = no label
}

TEST(Labels, ParseRejectsMalformedText) {
  for (const char* bad :
       {"", "up{", "up{a=\"b\"", "up{a=b}", "up{a=\"b\",a=\"c\"}", "{1a=\"x\"}", "up{a=\"\\q\"}",
        "up{a=\"b\"} x", "up{a:b=\"c\"}", "{__name__=\"x\"}{}", "up{a=\"b\"c=\"d\"}", "up{a=\"x"}) {
    Result<Labels> l = Labels::Parse(bad);
    EXPECT_FALSE(l.ok()) << bad;
    if (!l.ok()) {
      EXPECT_EQ(l.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
  // Duplicate between the bare name and __name__.
  EXPECT_FALSE(Labels::Parse("up{__name__=\"down\"}").ok());
}

TEST(Labels, ValidateAcceptsWellFormedSeries) {
  EXPECT_TRUE(
      Labels({{"__name__", "ns:node_load1"}, {"host", "a"}, {"_x9", "€"}}).ValidateSeries().ok());
  EXPECT_TRUE(Labels({{"host", "a"}}).Validate().ok());
}

TEST(Labels, ValidateRejectsBadNamesValuesAndSizesWithClearMessages) {
  struct Case {
    Labels labels;
    std::string message_part;
  };
  std::vector<Case> cases = {
      {Labels({{"1a", "x"}}), "label name must match"},
      {Labels({{"a-b", "x"}}), "label name must match"},
      {Labels({{"a:b", "x"}}), "label name must match"},
      {Labels({{"__name__", "a-b"}}), "metric name must match"},
      {Labels({{"__name__", "9up"}}), "metric name must match"},
      {Labels({{"a", "bad\xc0\xaf"}}), "not valid UTF-8"},
      {Labels({{"a", std::string(kMaxLabelValueBytes + 1, 'v')}}), "label value too long"},
      {Labels({{std::string(kMaxLabelNameBytes + 1, 'n'), "v"}}), "label name too long"},
  };
  LabelsBuilder many;
  for (size_t i = 0; i <= kMaxLabelsPerSeries; ++i) many.Set("l" + std::to_string(i), "v");
  cases.push_back({many.Build(), "too many labels"});
  for (const Case& c : cases) {
    Status s = c.labels.Validate();
    ASSERT_FALSE(s.ok()) << c.labels.ToString();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find(c.message_part), std::string_view::npos) << s.ToString();
  }
  Status s = Labels({{"1a", "x"}}).Validate();
  EXPECT_NE(s.context().find("1a"), std::string_view::npos) << s.ToString();
  EXPECT_FALSE(Labels({{"host", "a"}}).ValidateSeries().ok());
}

TEST(Utf8, RejectsOverlongSurrogatesAndTruncation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac"));       // €
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));   // emoji
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xff"));
}

TEST(Labels, FromEncodedSortsAndRejectsDuplicatesAndGarbage) {
  std::string enc;
  auto put = [&](std::string_view s) {
    enc.push_back(static_cast<char>(s.size()));
    enc.append(s);
  };
  put("b");
  put("2");
  put("a");
  put("1");
  put("e");
  put("");
  Result<Labels> l = Labels::FromEncoded(enc);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(*l, Labels({{"a", "1"}, {"b", "2"}}));
  put("a");
  put("3");
  EXPECT_FALSE(Labels::FromEncoded(enc).ok());
  EXPECT_FALSE(Labels::FromEncoded("\x05"
                                   "ab")
                   .ok());
  Labels canonical({{"x", "y"}, {"z", "w"}});
  EXPECT_EQ(*Labels::FromEncoded(canonical.encoded()), canonical);
}

TEST(LabelsBuilder, SetDelAndEmptyValueDeletes) {
  Labels base({{"__name__", "up"}, {"job", "node"}, {"host", "a"}});
  LabelsBuilder b(base);
  b.Set("host", "b").Set("zone", "z1").Del("job").Set("__name__", "");
  EXPECT_EQ(b.Get("host"), "b");
  EXPECT_EQ(b.Build(), Labels({{"host", "b"}, {"zone", "z1"}}));
  b.Reset(base);
  EXPECT_EQ(b.Build(), base);
}

// --- Matchers ---------------------------------------------------------------------------

struct MatchCase {
  MatchType type;
  const char* pattern;
  const char* value;  // "" = label absent
  bool want;
};

TEST(Matcher, PrometheusSemanticsTable) {
  const MatchCase cases[] = {
      {MatchType::kEqual, "foo", "foo", true},
      {MatchType::kEqual, "foo", "foobar", false},
      {MatchType::kEqual, "foo", "", false},
      {MatchType::kEqual, "", "", true},  // host="" selects series without host
      {MatchType::kEqual, "", "x", false},
      {MatchType::kNotEqual, "foo", "foo", false},
      {MatchType::kNotEqual, "foo", "bar", true},
      {MatchType::kNotEqual, "foo", "", true},
      {MatchType::kNotEqual, "", "", false},
      {MatchType::kNotEqual, "", "x", true},
      // Anchoring: a regex must match the whole value.
      {MatchType::kRegexMatch, "foo", "foo", true},
      {MatchType::kRegexMatch, "foo", "foobar", false},
      {MatchType::kRegexMatch, "foo", "xfoo", false},
      {MatchType::kRegexMatch, "o", "foo", false},
      {MatchType::kRegexMatch, "foo|bar", "foobar", false},
      {MatchType::kRegexMatch, "foo|bar", "bar", true},
      {MatchType::kRegexMatch, "^foo$", "foo", true},
      {MatchType::kRegexMatch, "foo.*", "foo", true},
      {MatchType::kRegexMatch, "foo.*", "foobar", true},
      {MatchType::kRegexMatch, "foo.*", "xfoo", false},
      {MatchType::kRegexMatch, "foo.+", "foo", false},
      {MatchType::kRegexMatch, "foo.+", "foo!", true},
      {MatchType::kRegexMatch, ".*foo", "xxfoo", true},
      {MatchType::kRegexMatch, ".*foo", "foox", false},
      {MatchType::kRegexMatch, ".*foo.*", "afoob", true},
      {MatchType::kRegexMatch, ".*foo.*", "fo", false},
      {MatchType::kRegexMatch, "a|b|c", "b", true},
      {MatchType::kRegexMatch, "a|b|c", "ab", false},
      {MatchType::kRegexMatch, "a|b|c", "", false},
      {MatchType::kRegexMatch, "a|", "", true},
      {MatchType::kRegexMatch, ".*", "", true},
      {MatchType::kRegexMatch, ".*", "multi\nline", true},  // . matches newline
      {MatchType::kRegexMatch, "a.c", "a\nc", true},
      {MatchType::kRegexMatch, ".+", "", false},
      {MatchType::kRegexMatch, ".+", "x", true},
      {MatchType::kRegexMatch, "", "", true},
      {MatchType::kRegexMatch, "", "x", false},
      {MatchType::kRegexMatch, "foo\\.bar", "foo.bar", true},
      {MatchType::kRegexMatch, "foo\\.bar", "fooxbar", false},
      {MatchType::kRegexMatch, "foo.bar", "fooxbar", true},
      {MatchType::kRegexMatch, "(?i)FOO", "foo", true},
      {MatchType::kRegexMatch, "[0-9]+", "123", true},
      {MatchType::kRegexMatch, "[0-9]+", "12a", false},
      {MatchType::kRegexMatch, "web-0(1|2)[0-9]", "web-015", true},
      {MatchType::kRegexMatch, "web-0(1|2)[0-9]", "web-035", false},
      {MatchType::kRegexMatch, "ab?c", "ac", true},
      {MatchType::kRegexMatch, "ab*", "a", true},
      {MatchType::kRegexMatch, "ab+", "abbb", true},
      {MatchType::kRegexNoMatch, "foo", "foo", false},
      {MatchType::kRegexNoMatch, "foo", "foobar", true},
      {MatchType::kRegexNoMatch, "foo", "", true},
      {MatchType::kRegexNoMatch, ".+", "", true},  // !~".+" selects series without the label
      {MatchType::kRegexNoMatch, ".+", "x", false},
      {MatchType::kRegexNoMatch, ".*", "", false},
      {MatchType::kRegexNoMatch, "foo|bar", "baz", true},
      {MatchType::kRegexNoMatch, "foo|bar", "bar", false},
      {MatchType::kRegexNoMatch, "", "", false},
      {MatchType::kRegexNoMatch, "", "x", true},
  };
  for (const MatchCase& c : cases) {
    Result<Matcher> m = Matcher::Make(c.type, "l", c.pattern);
    ASSERT_TRUE(m.ok()) << c.pattern << ": " << m.status().ToString();
    EXPECT_EQ(m->Matches(c.value), c.want)
        << "l" << MatchTypeString(c.type) << "\"" << c.pattern << "\" on \"" << c.value << "\"";
    EXPECT_EQ(m->MatchesEmpty(), m->Matches("")) << c.pattern;
    if (c.type == MatchType::kRegexMatch || c.type == MatchType::kRegexNoMatch) {
      EXPECT_EQ(m->negated() != m->MatchesPatternWithRegexForTesting(c.value), c.want)
          << "RE2 itself disagrees on \"" << c.pattern << "\"";
    }
  }
}

TEST(Matcher, InvalidRegexIsAnErrorNamingThePattern) {
  for (const char* bad : {"(", "a)|(b", "[z-a]", "x{2,1}", "\\", "a**"}) {
    Result<Matcher> m = Matcher::Make(MatchType::kRegexMatch, "job", bad);
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(m.status().context().find("job=~"), std::string_view::npos) << m.status().ToString();
  }
}

TEST(Matcher, FastPathsAreDetected) {
  auto make = [](const char* p) { return *Matcher::Make(MatchType::kRegexMatch, "l", p); };
  ASSERT_NE(make("a|b|c").literal_set(), nullptr);
  EXPECT_EQ(*make("c|a|b|a").literal_set(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(*make("foo\\.bar").literal_set(), (std::vector<std::string>{"foo.bar"}));
  EXPECT_EQ(make("foo.*").literal_set(), nullptr);
  EXPECT_EQ(make("foo.*").literal_prefix(), "foo");
  EXPECT_EQ(make("foo.+").literal_prefix(), "foo");
  EXPECT_EQ(make("web-0(1|2)[0-9]").literal_prefix(), "web-0");
  EXPECT_EQ(make("a|b").literal_prefix(), "");
  EXPECT_EQ(make("(?i)foo").literal_prefix(), "");
  EXPECT_EQ(make("ab?c").literal_prefix(), "a");
  ASSERT_NE(Matcher::Equal("l", "x").literal_set(), nullptr);
}

// Random patterns built from pieces the fast paths handle and pieces they must refuse; the
// fast path and RE2 must agree on every value, and every accepted value must start with
// literal_prefix().
TEST(Matcher, FastPathsAgreeWithRe2OnRandomPatterns) {
  const std::vector<std::string> pieces = {"a",  "b",   ".*",   ".+",  "|",  "\\.", ".",  "a?",
                                           "b*", "(a)", "[ab]", "\\|", "ab", "c",   "\\*"};
  const std::string alphabet = "abc.|*\n";
  std::mt19937 rng(11);
  int checked = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string p;
    int n = 1 + static_cast<int>(rng() % 5);
    for (int i = 0; i < n; ++i) p += pieces[rng() % pieces.size()];
    Result<Matcher> m = Matcher::Make(MatchType::kRegexMatch, "l", p);
    if (!m.ok()) continue;
    for (int k = 0; k < 30; ++k) {
      std::string v(rng() % 6, 'a');
      for (char& c : v) c = alphabet[rng() % alphabet.size()];
      bool fast = m->Matches(v);
      ASSERT_EQ(fast, m->MatchesPatternWithRegexForTesting(v)) << "pattern " << p << " value " << v;
      if (fast) {
        EXPECT_TRUE(std::string_view(v).starts_with(m->literal_prefix())) << p << " " << v;
        if (m->literal_set() != nullptr) {
          EXPECT_TRUE(std::binary_search(m->literal_set()->begin(), m->literal_set()->end(), v));
        }
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 10000);
}

TEST(ParseMatchers, ParsesSelectorsWithAllOperatorsAndQuotes) {
  Result<std::vector<Matcher>> ms =
      ParseMatchers("node_cpu{host=\"a\", mode!~'idle|iowait', cpu=~`[0-9]\\d`, x!=\"q\\\"\",}");
  ASSERT_TRUE(ms.ok()) << ms.status().ToString();
  ASSERT_EQ(ms->size(), 5u);
  EXPECT_EQ((*ms)[0].ToString(), "__name__=\"node_cpu\"");
  EXPECT_EQ((*ms)[1].ToString(), "host=\"a\"");
  EXPECT_EQ((*ms)[2].type(), MatchType::kRegexNoMatch);
  EXPECT_EQ((*ms)[2].value(), "idle|iowait");
  EXPECT_EQ((*ms)[3].value(), "[0-9]\\d");  // raw string
  EXPECT_EQ((*ms)[4].type(), MatchType::kNotEqual);
  EXPECT_EQ((*ms)[4].value(), "q\"");
  EXPECT_TRUE(ParseMatchers("{}")->empty());
  EXPECT_EQ(ParseMatchers("up")->size(), 1u);
  // ToString output parses back to the same matcher.
  for (const Matcher& m : *ms) {
    Result<std::vector<Matcher>> again = ParseMatchers("{" + m.ToString() + "}");
    ASSERT_TRUE(again.ok()) << m.ToString();
    EXPECT_EQ((*again)[0].value(), m.value());
    EXPECT_EQ((*again)[0].type(), m.type());
  }
}

TEST(ParseMatchers, RejectsMalformedSelectors) {
  for (const char* bad : {"", "{a~\"x\"}", "{a=\"x\"", "{a=x}", "{a=~\"(\"}", "up{a=\"x\"} y",
                          "{=\"x\"}", "{a!\"x\"}", "{a=\"\\z\"}"}) {
    EXPECT_FALSE(ParseMatchers(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace strix::storage
