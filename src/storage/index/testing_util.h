// Test helpers shared by the index tests: random label sets and random matchers drawn
// from small pools (so that matchers hit, miss, match "" and need RE2), and the brute-force
// selection every index answer is compared with. Test-only; not part of the library.
#pragma once

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "storage/labels.h"

namespace strix::storage::index::testing {

inline const std::vector<std::string>& PoolFor(const std::string& name) {
  static const std::vector<std::string> metric = {"m_a", "m_b", "m_c", "node:load1"};
  static const std::vector<std::string> host = {"h0",  "h1",  "h2",    "h10",   "h11",
                                                "h12", "h20", "web-1", "web-2", "db"};
  static const std::vector<std::string> cpu = {"0", "1", "2", "3"};
  static const std::vector<std::string> mode = {"idle", "user", "system", "iowait"};
  static const std::vector<std::string> zone = {"eu", "us", "ünï"};
  if (name == "__name__") return metric;
  if (name == "host") return host;
  if (name == "cpu") return cpu;
  if (name == "mode") return mode;
  return zone;
}

inline Labels RandomLabels(std::mt19937& rng) {
  LabelsBuilder b;
  for (const char* name : {"__name__", "host", "cpu", "mode", "zone"}) {
    if (std::string(name) != "__name__" && rng() % 3 == 0) continue;
    const auto& pool = PoolFor(name);
    b.Set(name, pool[rng() % pool.size()]);
  }
  return b.Build();
}

inline Matcher RandomMatcher(std::mt19937& rng) {
  static const std::vector<std::string> names = {"__name__", "host", "cpu",
                                                 "mode",     "zone", "absent"};
  static const std::vector<std::string> regexes = {
      "h1.*", "h.*",       ".*",  ".+",      "h1|h2|x", "",      "h[0-9]", "(?i)H1",    "1.*|u.*",
      "m_.",  "idle|user", ".*e", "nomatch", "0|",      ".*s.*", "h1.+",   "web-(1|3)", "d.?"};
  const std::string& name = names[rng() % names.size()];
  MatchType type = static_cast<MatchType>(rng() % 4);
  std::string value;
  if (type == MatchType::kEqual || type == MatchType::kNotEqual) {
    int pick = static_cast<int>(rng() % 6);
    if (pick == 0) {
      value = "";
    } else if (pick == 1) {
      value = "nonexistent";
    } else {
      const auto& pool = PoolFor(name == "absent" ? "zone" : name);
      value = pool[rng() % pool.size()];
    }
  } else {
    value = regexes[rng() % regexes.size()];
  }
  return std::move(Matcher::Make(type, name, value).value());
}

inline std::vector<Matcher> RandomMatchers(std::mt19937& rng) {
  std::vector<Matcher> ms;
  int n = static_cast<int>(rng() % 4);  // zero matchers selects everything
  for (int i = 0; i < n; ++i) ms.push_back(RandomMatcher(rng));
  return ms;
}

inline bool MatchesAll(const Labels& l, const std::vector<Matcher>& ms) {
  return std::all_of(ms.begin(), ms.end(),
                     [&](const Matcher& m) { return m.Matches(l.Get(m.name())); });
}

inline std::string Describe(const std::vector<Matcher>& ms) {
  std::string s = "{";
  for (const Matcher& m : ms) s += m.ToString() + ",";
  return s + "}";
}

}  // namespace strix::storage::index::testing
