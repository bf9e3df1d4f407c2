// Fuzz target "index": arbitrary bytes as an on-disk index (IndexReader::Open with and
// without checksum verification, then every query), and the same bytes as text for the
// label and selector parsers. Must never crash, hang, read out of bounds or allocate more
// than the input justifies. Checked invariants abort: a parsed label set prints and parses
// back to itself, and a verified index answers with sorted positions in range.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "storage/index/index_reader.h"
#include "storage/labels.h"

namespace {

using strix::storage::Labels;
using strix::storage::Matcher;
using strix::storage::MatchType;
using strix::storage::index::IndexReader;
using strix::storage::index::IndexReaderOptions;

void Check(bool cond) {
  if (!cond) std::abort();
}

void FuzzText(std::string_view text) {
  auto labels = Labels::Parse(text);
  if (labels.ok()) {
    auto again = Labels::Parse(labels->ToString());
    Check(again.ok() && *again == *labels);
    (void)labels->Hash();
  }
  auto matchers = strix::storage::ParseMatchers(text);
  if (matchers.ok()) {
    for (const Matcher& m : *matchers) {
      (void)m.Matches("");
      (void)m.Matches("web-1");
      (void)m.ToString();
    }
  }
}

void CheckPositions(const IndexReader& r, const std::vector<uint32_t>& v) {
  for (size_t i = 0; i < v.size(); ++i) {
    Check(v[i] < r.num_series());
    if (i > 0) Check(v[i - 1] < v[i]);
  }
}

void FuzzIndex(std::string_view bytes, bool verify) {
  IndexReaderOptions o;
  o.verify_checksums = verify;
  auto opened = IndexReader::Open(bytes, o);
  if (!opened.ok()) return;
  const IndexReader& r = **opened;
  bool sound = r.Verify().ok();
  for (uint32_t i = 0; i < r.num_series() && i < 64; ++i) (void)r.Series(i);
  std::vector<Matcher> ms;
  auto names = r.LabelNames();
  if (names.ok()) {
    size_t budget = 256;
    for (std::string_view n : *names) {
      auto values = r.LabelValues(n);
      if (!values.ok()) continue;
      for (std::string_view v : *values) {
        if (budget-- == 0) break;
        auto p = r.Postings(n, v);
        if (p.ok() && sound) CheckPositions(r, *p);
      }
      if (!values->empty() && ms.size() < 6) {
        std::string_view v = values->front();
        ms.push_back(Matcher::Equal(n, v));
        auto re = Matcher::Make(MatchType::kRegexMatch, n, std::string(v.substr(0, 2)) + ".*");
        if (re.ok()) ms.push_back(std::move(*re));
        ms.push_back(Matcher::NotEqual(n, ""));
      }
    }
  }
  ms.push_back(Matcher::Equal("host", ""));
  // Single matchers, pairs, and all of them.
  for (size_t i = 0; i < ms.size(); ++i) {
    auto one = r.Select(std::span<const Matcher>(&ms[i], 1));
    if (one.ok() && sound) CheckPositions(r, *one);
    if (i + 1 < ms.size()) {
      auto two = r.Select(std::span<const Matcher>(&ms[i], 2));
      if (two.ok() && sound) CheckPositions(r, *two);
    }
  }
  auto all = r.Select(ms);
  if (all.ok() && sound) CheckPositions(r, *all);
  (void)r.LabelNames(ms);
  (void)r.LabelValues("host", ms);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1 << 20)) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  FuzzText(bytes);
  FuzzIndex(bytes, /*verify=*/true);
  FuzzIndex(bytes, /*verify=*/false);
  return 0;
}
