// Labels and label matchers: the identity of a series and the way queries select series.
//
// A series is identified by a set of labels (name=value pairs); the metric name is the label
// "__name__" (kMetricNameLabel). Labels keeps its pairs sorted by name, unique, and without
// empty values (a label with an empty value is the same as no label, as in Prometheus), in
// one compact string: for each pair, varint name length, name bytes, varint value length,
// value bytes (the same encoding as WriteBatch::EncodedLabels). One allocation per set, 32
// bytes inline.
//
// Labels::Hash() is XXH64 (seed 0) over "name\xffvalue\xff" for every pair in order. 0xff
// never occurs in valid UTF-8, so distinct label sets give distinct byte strings. The hash
// may be persisted (WAL, blocks), so it must never change: labels_test.cc pins values.
//
// A Matcher selects values of one label name: = != =~ !~ with Prometheus semantics. Regexes
// use RE2 syntax and are fully anchored (`=~"foo"` does not match "foobar"); `.` matches a
// newline too. A matcher that matches the empty string also matches series that lack the
// label: host="" selects series without host, and host!~".+" likewise. Literal patterns,
// alternations of literals ("a|b|c"), "foo.*", "foo.+", ".*foo" and ".*foo.*" are matched
// without running RE2.
//
// Thread-safety: Labels, LabelsBuilder and Matcher are values; const methods may be called
// concurrently (a Matcher's compiled RE2 is shared between copies and is thread-safe).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/status.h"
#include "core/utf8.h"
#include "storage/model.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace strix::storage {

// Caps enforced by Labels::Validate().
inline constexpr size_t kMaxLabelNameBytes = 128;
inline constexpr size_t kMaxLabelValueBytes = 4096;
inline constexpr size_t kMaxLabelsPerSeries = 64;
// Caps the encoded form (all names and values plus length prefixes).
inline constexpr size_t kMaxLabelsEncodedBytes = 16 * 1024;

// XXH64 of data with the given seed (the published xxHash algorithm, computed here; stable
// across versions and platforms). Streaming form below.
uint64_t StableHash64(std::string_view data, uint64_t seed = 0);

class StableHasher {
 public:
  explicit StableHasher(uint64_t seed = 0);
  void Update(std::string_view data);
  void Update(char c) { Update(std::string_view(&c, 1)); }
  uint64_t Digest() const;

 private:
  uint64_t v_[4];
  uint64_t total_ = 0;
  uint64_t seed_;
  char buf_[32];
  size_t buf_len_ = 0;
};

// Syntax checks used by validation and by the parsers.
bool IsValidLabelName(std::string_view name);   // [a-zA-Z_][a-zA-Z0-9_]*
bool IsValidMetricName(std::string_view name);  // [a-zA-Z_:][a-zA-Z0-9_:]*
// Strict UTF-8 (core/utf8.h).
using ::strix::IsValidUtf8;

// One pair, viewing bytes owned by a Labels (or a symbol table).
struct Label {
  std::string_view name;
  std::string_view value;
  friend bool operator==(const Label&, const Label&) = default;
};

class Labels {
 public:
  // Forward iterator over the pairs in name order.
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Label;
    using difference_type = std::ptrdiff_t;
    using pointer = const Label*;
    using reference = const Label&;

    Iterator() = default;
    const Label& operator*() const { return cur_; }
    const Label* operator->() const { return &cur_; }
    Iterator& operator++() {
      Advance();
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      Advance();
      return old;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.pos_ == b.pos_; }

   private:
    friend class Labels;
    explicit Iterator(std::string_view data);
    void Advance();
    std::string_view rest_;
    const char* pos_ = nullptr;  // start of cur_ in the encoding; nullptr at end
    Label cur_;
  };
  using const_iterator = Iterator;

  Labels() = default;
  // Sorts by name; for a repeated name the last pair wins; pairs with empty values are
  // dropped. No validation (see Validate()).
  Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);
  static Labels FromPairs(std::span<const std::pair<std::string_view, std::string_view>> pairs);
  static Labels FromLabels(std::span<const Label> pairs);
  // From the encoding described above (e.g. WriteBatch::EncodedLabels). Pairs may come in
  // any order and empty values are dropped; malformed bytes or a repeated name are an
  // InvalidArgument error. No other validation.
  static Result<Labels> FromEncoded(std::string_view encoded);
  // Parses the Prometheus text form written by ToString(): `name{a="x",b="y"}`,
  // `{a="x"}` or `name`, with optional spaces and a trailing comma; values escape \\, \"
  // and \n. A repeated name is an error. The result is Validate()d.
  static Result<Labels> Parse(std::string_view text);

  Iterator begin() const { return Iterator(data_); }
  Iterator end() const { return Iterator(); }
  // Number of pairs (walks the encoding).
  size_t size() const;
  bool empty() const { return data_.empty(); }

  // The value of `name`, or "" when there is no such label.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  std::string_view MetricName() const { return Get(kMetricNameLabel); }

  // Stable hash (see the file comment).
  uint64_t Hash() const;

  // Prometheus text form: `metric{a="x",b="y"}`; `metric` alone when there is no other
  // label; `{}` when empty. A metric name that is not a valid metric name is written as a
  // __name__ label instead. Values escape backslash, double quote and newline.
  std::string ToString() const;

  // Checks names ([a-zA-Z_][a-zA-Z0-9_]*), the metric name ([a-zA-Z_:][a-zA-Z0-9_:]*),
  // UTF-8 values and the kMax* caps. InvalidArgument names the offending label.
  Status Validate() const;
  // Validate() plus: a __name__ label must be present.
  Status ValidateSeries() const;

  // The canonical encoding (sorted, unique, no empty values).
  std::string_view encoded() const { return data_; }
  // Heap bytes held.
  size_t MemoryBytes() const;

  friend bool operator==(const Labels& a, const Labels& b) { return a.data_ == b.data_; }
  // Pair by pair: by name, then by value; a prefix sorts first (Prometheus order).
  friend std::strong_ordering operator<=>(const Labels& a, const Labels& b);

 private:
  friend class LabelsBuilder;
  friend int Compare(const Labels& a, const Labels& b);
  std::string data_;
};

// Negative, zero or positive as a <, == or > b (the order of operator<=>).
int Compare(const Labels& a, const Labels& b);

// Edits a label set: Set/Del in any order, then Build().
class LabelsBuilder {
 public:
  LabelsBuilder() = default;
  explicit LabelsBuilder(const Labels& base) { Reset(base); }
  void Reset(const Labels& base);
  // Setting an empty value deletes the label.
  LabelsBuilder& Set(std::string_view name, std::string_view value);
  LabelsBuilder& Del(std::string_view name);
  std::string_view Get(std::string_view name) const;
  Labels Build() const;

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;  // sorted by name, unique
};

enum class MatchType : uint8_t {
  kEqual,         // =
  kNotEqual,      // !=
  kRegexMatch,    // =~
  kRegexNoMatch,  // !~
};
std::string_view MatchTypeString(MatchType type);  // "=", "!=", "=~", "!~"

class Matcher {
 public:
  // Compiles regexes; an invalid pattern is InvalidArgument naming the pattern.
  static Result<Matcher> Make(MatchType type, std::string_view name, std::string_view value);
  static Matcher Equal(std::string_view name, std::string_view value);
  static Matcher NotEqual(std::string_view name, std::string_view value);

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }
  // != and !~.
  bool negated() const {
    return type_ == MatchType::kNotEqual || type_ == MatchType::kRegexNoMatch;
  }

  // Whether a series whose label `name` has `value` matches; "" stands for a series
  // without the label.
  bool Matches(std::string_view value) const { return negated() != MatchesPattern(value); }
  bool MatchesEmpty() const { return matches_empty_; }

  // Index helpers, about the pattern before negation (what = or =~ would accept):
  // when non-null, exactly these values are accepted (sorted, unique);
  const std::vector<std::string>* literal_set() const {
    return kind_ == Kind::kSet ? &set_ : nullptr;
  }
  // every accepted value starts with this (may be empty).
  std::string_view literal_prefix() const { return prefix_; }

  // `name="value"` (the value quoted as in ParseMatchers).
  std::string ToString() const;

  // Runs the compiled RE2 regardless of fast paths (regex matchers only); for tests.
  bool MatchesPatternWithRegexForTesting(std::string_view value) const;

 private:
  enum class Kind : uint8_t { kSet, kPrefix, kSuffix, kContains, kRegex };
  Matcher() = default;
  bool MatchesPattern(std::string_view value) const;
  void Classify();

  MatchType type_ = MatchType::kEqual;
  Kind kind_ = Kind::kSet;
  bool matches_empty_ = false;
  bool needs_more_ = false;  // kPrefix: the value must be longer than fixed_ (".+")
  std::string name_;
  std::string value_;
  std::vector<std::string> set_;  // kSet
  std::string fixed_;             // kPrefix, kSuffix, kContains
  std::string prefix_;            // literal_prefix()
  std::shared_ptr<const re2::RE2> re_;
};

// Parses a series selector: `metric{a="x", b!~"y.*"}`, `{a=~'x'}`, `metric`. Strings use
// double quotes, single quotes (escapes \\ \" \' \n \t \r) or backquotes (raw). A metric
// name before the braces becomes a __name__="metric" matcher. `{}` gives no matchers.
Result<std::vector<Matcher>> ParseMatchers(std::string_view selector);

}  // namespace strix::storage
