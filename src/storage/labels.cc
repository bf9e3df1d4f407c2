// Labels, LabelsBuilder, Matcher and the selector/labels text parsers (see labels.h).
#include "storage/labels.h"

#include <re2/re2.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>

#include "core/coding.h"

namespace strix::storage {

// ---------------------------------------------------------------------------------------
// XXH64, written from the published algorithm description.

namespace {

constexpr uint64_t kP1 = 0x9E3779B185EBCA87ull;
constexpr uint64_t kP2 = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t kP3 = 0x165667B19E3779F9ull;
constexpr uint64_t kP4 = 0x85EBCA77C2B2AE63ull;
constexpr uint64_t kP5 = 0x27D4EB2F165667C5ull;

inline uint64_t Read64(const char* p) { return DecodeFixed64(p); }
inline uint64_t Read32(const char* p) { return DecodeFixed32(p); }

inline uint64_t XxRound(uint64_t acc, uint64_t input) {
  acc += input * kP2;
  acc = std::rotl(acc, 31);
  return acc * kP1;
}

inline uint64_t XxMerge(uint64_t acc, uint64_t v) {
  acc ^= XxRound(0, v);
  return acc * kP1 + kP4;
}

}  // namespace

StableHasher::StableHasher(uint64_t seed) : seed_(seed) {
  v_[0] = seed + kP1 + kP2;
  v_[1] = seed + kP2;
  v_[2] = seed;
  v_[3] = seed - kP1;
}

void StableHasher::Update(std::string_view data) {
  const char* p = data.data();
  size_t n = data.size();
  total_ += n;
  if (buf_len_ + n < 32) {
    std::memcpy(buf_ + buf_len_, p, n);
    buf_len_ += n;
    return;
  }
  if (buf_len_ > 0) {
    size_t fill = 32 - buf_len_;
    std::memcpy(buf_ + buf_len_, p, fill);
    for (int i = 0; i < 4; ++i) v_[i] = XxRound(v_[i], Read64(buf_ + 8 * i));
    p += fill;
    n -= fill;
    buf_len_ = 0;
  }
  while (n >= 32) {
    for (int i = 0; i < 4; ++i) v_[i] = XxRound(v_[i], Read64(p + 8 * i));
    p += 32;
    n -= 32;
  }
  std::memcpy(buf_, p, n);
  buf_len_ = n;
}

uint64_t StableHasher::Digest() const {
  uint64_t h;
  if (total_ >= 32) {
    h = std::rotl(v_[0], 1) + std::rotl(v_[1], 7) + std::rotl(v_[2], 12) + std::rotl(v_[3], 18);
    for (int i = 0; i < 4; ++i) h = XxMerge(h, v_[i]);
  } else {
    h = seed_ + kP5;
  }
  h += total_;
  const char* p = buf_;
  size_t n = buf_len_;
  while (n >= 8) {
    h ^= XxRound(0, Read64(p));
    h = std::rotl(h, 27) * kP1 + kP4;
    p += 8;
    n -= 8;
  }
  if (n >= 4) {
    h ^= Read32(p) * kP1;
    h = std::rotl(h, 23) * kP2 + kP3;
    p += 4;
    n -= 4;
  }
  while (n > 0) {
    h ^= static_cast<uint64_t>(static_cast<unsigned char>(*p)) * kP5;
    h = std::rotl(h, 11) * kP1;
    ++p;
    --n;
  }
  h ^= h >> 33;
  h *= kP2;
  h ^= h >> 29;
  h *= kP3;
  h ^= h >> 32;
  return h;
}

uint64_t StableHash64(std::string_view data, uint64_t seed) {
  StableHasher h(seed);
  h.Update(data);
  return h.Digest();
}

// ---------------------------------------------------------------------------------------
// Character classes.

namespace {

inline bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
inline bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// Quotes and escapes s for messages, truncated to keep them readable.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  size_t n = std::min<size_t>(s.size(), 80);
  for (size_t i = 0; i < n; ++i) {
    char c = s[i];
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  if (n < s.size()) out += "...";
  out += '"';
  return out;
}

}  // namespace

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0])) return false;
  for (char c : name.substr(1))
    if (!IsNameChar(c)) return false;
  return true;
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || !(IsNameStart(name[0]) || name[0] == ':')) return false;
  for (char c : name.substr(1))
    if (!(IsNameChar(c) || c == ':')) return false;
  return true;
}

// ---------------------------------------------------------------------------------------
// Labels.

namespace {

void AppendPair(std::string* out, std::string_view name, std::string_view value) {
  PutLengthPrefixed(out, name);
  PutLengthPrefixed(out, value);
}

// Decodes one pair from a trusted or untrusted encoding.
bool NextPair(std::string_view* in, Label* out) {
  return GetLengthPrefixed(in, &out->name) && GetLengthPrefixed(in, &out->value);
}

// Decodes a length-prefixed string from an encoding we produced ourselves.
inline std::string_view ReadTrustedString(const char** p) {
  const auto* u = reinterpret_cast<const unsigned char*>(*p);
  uint32_t len = *u & 0x7f;
  int shift = 7;
  while (*u++ & 0x80) {
    len |= static_cast<uint32_t>(*u & 0x7f) << shift;
    shift += 7;
  }
  const char* start = reinterpret_cast<const char*>(u);
  *p = start + len;
  return std::string_view(start, len);
}

// Sorts by name keeping the last of equal names, drops empty values, encodes.
template <typename Pair>
std::string EncodeSorted(std::vector<Pair>& pairs) {
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const Pair& a, const Pair& b) { return a.first < b.first; });
  std::string out;
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i + 1 < pairs.size() && pairs[i + 1].first == pairs[i].first) continue;  // last wins
    if (pairs[i].second.empty()) continue;
    AppendPair(&out, pairs[i].first, pairs[i].second);
  }
  return out;
}

void AppendEscapedValue(std::string* out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        *out += "\\\\";
        break;
      case '"':
        *out += "\\\"";
        break;
      case '\n':
        *out += "\\n";
        break;
      default:
        *out += c;
    }
  }
}

}  // namespace

Labels::Iterator::Iterator(std::string_view data) : rest_(data) { Advance(); }

void Labels::Iterator::Advance() {
  if (rest_.empty()) {
    pos_ = nullptr;
    return;
  }
  pos_ = rest_.data();
  // data_ is always our own canonical encoding, so decoding needs no checks.
  const char* p = rest_.data();
  const char* end = p + rest_.size();
  cur_.name = ReadTrustedString(&p);
  cur_.value = ReadTrustedString(&p);
  rest_ = std::string_view(p, static_cast<size_t>(end - p));
}

Labels::Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  std::vector<std::pair<std::string_view, std::string_view>> v(pairs.begin(), pairs.end());
  data_ = EncodeSorted(v);
}

Labels Labels::FromPairs(std::span<const std::pair<std::string_view, std::string_view>> pairs) {
  std::vector<std::pair<std::string_view, std::string_view>> v(pairs.begin(), pairs.end());
  Labels l;
  l.data_ = EncodeSorted(v);
  return l;
}

Labels Labels::FromLabels(std::span<const Label> pairs) {
  std::vector<std::pair<std::string_view, std::string_view>> v;
  v.reserve(pairs.size());
  for (const Label& p : pairs) v.emplace_back(p.name, p.value);
  Labels l;
  l.data_ = EncodeSorted(v);
  return l;
}

Result<Labels> Labels::FromEncoded(std::string_view encoded) {
  std::vector<std::pair<std::string_view, std::string_view>> v;
  std::string_view in = encoded;
  bool sorted = true;
  bool has_empty = false;
  while (!in.empty()) {
    Label l;
    if (!NextPair(&in, &l))
      return Status::InvalidArgument("malformed encoded labels",
                                     "offset " + std::to_string(encoded.size() - in.size()));
    if (!v.empty() && !(v.back().first < l.name)) sorted = false;
    if (l.value.empty()) has_empty = true;
    v.emplace_back(l.name, l.value);
  }
  if (!sorted) {
    std::sort(v.begin(), v.end());
    for (size_t i = 1; i < v.size(); ++i)
      if (v[i].first == v[i - 1].first)
        return Status::InvalidArgument("duplicate label name", Quote(v[i].first));
  }
  Labels out;
  if (sorted && !has_empty) {
    // Re-encode anyway so that non-minimal varints become canonical.
    for (auto& [n, val] : v) AppendPair(&out.data_, n, val);
    return out;
  }
  for (auto& [n, val] : v)
    if (!val.empty()) AppendPair(&out.data_, n, val);
  return out;
}

size_t Labels::size() const {
  size_t n = 0;
  for (auto it = begin(); it != end(); ++it) ++n;
  return n;
}

std::string_view Labels::Get(std::string_view name) const {
  for (const Label& l : *this) {
    if (l.name == name) return l.value;
    if (l.name > name) break;
  }
  return {};
}

bool Labels::Has(std::string_view name) const { return !Get(name).empty(); }

uint64_t Labels::Hash() const {
  StableHasher h;
  for (const Label& l : *this) {
    h.Update(l.name);
    h.Update('\xff');
    h.Update(l.value);
    h.Update('\xff');
  }
  return h.Digest();
}

std::string Labels::ToString() const {
  std::string out;
  std::string_view metric = MetricName();
  bool name_outside = !metric.empty() && IsValidMetricName(metric);
  if (name_outside) out.append(metric);
  bool first = true;
  for (const Label& l : *this) {
    if (name_outside && l.name == kMetricNameLabel) continue;
    out += first ? "{" : ",";
    first = false;
    out.append(l.name);
    out += "=\"";
    AppendEscapedValue(&out, l.value);
    out += '"';
  }
  if (!first) {
    out += '}';
  } else if (!name_outside) {
    out += "{}";
  }
  return out;
}

Status Labels::Validate() const {
  if (data_.size() > kMaxLabelsEncodedBytes)
    return Status::InvalidArgument("labels too large", std::to_string(data_.size()) +
                                                           " encoded bytes, limit " +
                                                           std::to_string(kMaxLabelsEncodedBytes));
  size_t n = 0;
  for (const Label& l : *this) {
    if (++n > kMaxLabelsPerSeries)
      return Status::InvalidArgument("too many labels",
                                     "limit " + std::to_string(kMaxLabelsPerSeries));
    if (l.name.size() > kMaxLabelNameBytes)
      return Status::InvalidArgument(
          "label name too long",
          "label " + Quote(l.name) + ", limit " + std::to_string(kMaxLabelNameBytes) + " bytes");
    if (!IsValidLabelName(l.name))
      return Status::InvalidArgument("label name must match [a-zA-Z_][a-zA-Z0-9_]*",
                                     "label " + Quote(l.name));
    if (l.value.size() > kMaxLabelValueBytes)
      return Status::InvalidArgument(
          "label value too long", "label " + Quote(l.name) + ", " + std::to_string(l.value.size()) +
                                      " bytes, limit " + std::to_string(kMaxLabelValueBytes));
    if (!IsValidUtf8(l.value))
      return Status::InvalidArgument("label value is not valid UTF-8", "label " + Quote(l.name));
    if (l.name == kMetricNameLabel && !IsValidMetricName(l.value))
      return Status::InvalidArgument("metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*",
                                     "metric " + Quote(l.value));
  }
  return Status::Ok();
}

Status Labels::ValidateSeries() const {
  STRIX_RETURN_IF_ERROR(Validate());
  if (MetricName().empty())
    return Status::InvalidArgument("series has no metric name (__name__ label)", ToString());
  return Status::Ok();
}

size_t Labels::MemoryBytes() const {
  // libstdc++ keeps up to 15 bytes inline.
  return data_.capacity() > 15 ? data_.capacity() + 1 : 0;
}

int Compare(const Labels& a, const Labels& b) {
  const char* pa = a.data_.data();
  const char* ea = pa + a.data_.size();
  const char* pb = b.data_.data();
  const char* eb = pb + b.data_.size();
  while (pa < ea && pb < eb) {
    // Name, then value, of the next pair on each side.
    for (int field = 0; field < 2; ++field) {
      std::string_view x = ReadTrustedString(&pa);
      std::string_view y = ReadTrustedString(&pb);
      if (int c = x.compare(y); c != 0) return c < 0 ? -1 : 1;
    }
  }
  if (pa >= ea && pb >= eb) return 0;
  return pa >= ea ? -1 : 1;
}

std::strong_ordering operator<=>(const Labels& a, const Labels& b) {
  int c = Compare(a, b);
  return c < 0 ? std::strong_ordering::less
               : (c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal);
}

// ---------------------------------------------------------------------------------------
// LabelsBuilder.

void LabelsBuilder::Reset(const Labels& base) {
  pairs_.clear();
  for (const Label& l : base) pairs_.emplace_back(std::string(l.name), std::string(l.value));
}

LabelsBuilder& LabelsBuilder::Set(std::string_view name, std::string_view value) {
  if (value.empty()) return Del(name);
  auto it = std::lower_bound(pairs_.begin(), pairs_.end(), name,
                             [](const auto& p, std::string_view n) { return p.first < n; });
  if (it != pairs_.end() && it->first == name) {
    it->second.assign(value);
  } else {
    pairs_.insert(it, {std::string(name), std::string(value)});
  }
  return *this;
}

LabelsBuilder& LabelsBuilder::Del(std::string_view name) {
  auto it = std::lower_bound(pairs_.begin(), pairs_.end(), name,
                             [](const auto& p, std::string_view n) { return p.first < n; });
  if (it != pairs_.end() && it->first == name) pairs_.erase(it);
  return *this;
}

std::string_view LabelsBuilder::Get(std::string_view name) const {
  auto it = std::lower_bound(pairs_.begin(), pairs_.end(), name,
                             [](const auto& p, std::string_view n) { return p.first < n; });
  if (it != pairs_.end() && it->first == name) return it->second;
  return {};
}

Labels LabelsBuilder::Build() const {
  Labels l;
  for (const auto& [n, v] : pairs_) AppendPair(&l.data_, n, v);
  return l;
}

// ---------------------------------------------------------------------------------------
// Matcher.

std::string_view MatchTypeString(MatchType type) {
  switch (type) {
    case MatchType::kEqual:
      return "=";
    case MatchType::kNotEqual:
      return "!=";
    case MatchType::kRegexMatch:
      return "=~";
    case MatchType::kRegexNoMatch:
      return "!~";
  }
  return "?";
}

namespace {

// One element of a "simple" regex: a literal byte, ".*" or ".+".
struct Atom {
  enum Type : uint8_t { kLit, kDotStar, kDotPlus } type;
  char c;
};

bool IsRegexMeta(char c) { return std::strchr("\\.+*?()|[]{}^$", c) != nullptr && c != '\0'; }
bool IsQuantifier(char c) { return c == '*' || c == '+' || c == '?' || c == '{'; }

// Parses an alternative made only of literals (plain or backslash-escaped punctuation),
// ".*" and ".+". Anything else (classes, groups, flags, anchors, quantified literals,
// \Q..\E, \d, ...) makes it "not simple" and the matcher falls back to RE2.
bool ParseSimple(std::string_view alt, std::vector<Atom>* atoms) {
  atoms->clear();
  size_t i = 0;
  while (i < alt.size()) {
    char c = alt[i];
    if (c == '.') {
      if (i + 1 < alt.size() && alt[i + 1] == '*') {
        atoms->push_back({Atom::kDotStar, 0});
      } else if (i + 1 < alt.size() && alt[i + 1] == '+') {
        atoms->push_back({Atom::kDotPlus, 0});
      } else {
        return false;
      }
      i += 2;
      if (i < alt.size() && IsQuantifier(alt[i])) return false;  // ".*?", ".+*", ...
      continue;
    }
    char lit;
    if (c == '\\') {
      if (i + 1 >= alt.size()) return false;
      char e = alt[i + 1];
      if (static_cast<unsigned char>(e) >= 0x80 || !std::ispunct(static_cast<unsigned char>(e)))
        return false;
      lit = e;
      i += 2;
    } else if (IsRegexMeta(c)) {
      return false;
    } else {
      lit = c;
      i += 1;
    }
    if (i < alt.size() && IsQuantifier(alt[i])) return false;
    atoms->push_back({Atom::kLit, lit});
  }
  return true;
}

// Splits on '|' outside escapes. Only meaningful when every piece turns out simple.
std::vector<std::string_view> SplitAlternatives(std::string_view p) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') {
      ++i;
      continue;
    }
    if (p[i] == '|') {
      out.push_back(p.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(p.substr(start));
  return out;
}

bool AllLiterals(const std::vector<Atom>& atoms, size_t from, size_t to, std::string* out) {
  out->clear();
  for (size_t i = from; i < to; ++i) {
    if (atoms[i].type != Atom::kLit) return false;
    *out += atoms[i].c;
  }
  return true;
}

void AppendQuoted(std::string* out, std::string_view v) {
  *out += '"';
  for (char c : v) {
    switch (c) {
      case '\\':
        *out += "\\\\";
        break;
      case '"':
        *out += "\\\"";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\r':
        *out += "\\r";
        break;
      default:
        *out += c;
    }
  }
  *out += '"';
}

}  // namespace

void Matcher::Classify() {
  kind_ = Kind::kRegex;
  std::vector<std::string_view> alts = SplitAlternatives(value_);
  std::vector<Atom> atoms;
  std::vector<std::string> lits;
  bool all_literal = true;
  for (std::string_view alt : alts) {
    std::string s;
    if (!ParseSimple(alt, &atoms) || !AllLiterals(atoms, 0, atoms.size(), &s)) {
      all_literal = false;
      break;
    }
    lits.push_back(std::move(s));
  }
  if (all_literal) {
    std::sort(lits.begin(), lits.end());
    lits.erase(std::unique(lits.begin(), lits.end()), lits.end());
    kind_ = Kind::kSet;
    set_ = std::move(lits);
    return;
  }
  if (alts.size() != 1 || !ParseSimple(alts[0], &atoms) || atoms.empty()) return;
  size_t n = atoms.size();
  bool dot_first = atoms[0].type != Atom::kLit;
  bool dot_last = atoms[n - 1].type != Atom::kLit;
  std::string lit;
  if (!dot_first && dot_last && AllLiterals(atoms, 0, n - 1, &lit)) {
    kind_ = Kind::kPrefix;
    needs_more_ = atoms[n - 1].type == Atom::kDotPlus;
    fixed_ = lit;
    prefix_ = lit;
  } else if (n == 1 && dot_first) {  // ".*" or ".+"
    kind_ = Kind::kPrefix;
    needs_more_ = atoms[0].type == Atom::kDotPlus;
  } else if (atoms[0].type == Atom::kDotStar && !dot_last && AllLiterals(atoms, 1, n, &lit)) {
    kind_ = Kind::kSuffix;
    fixed_ = lit;
  } else if (n >= 3 && atoms[0].type == Atom::kDotStar && atoms[n - 1].type == Atom::kDotStar &&
             AllLiterals(atoms, 1, n - 1, &lit)) {
    kind_ = Kind::kContains;
    fixed_ = lit;
  }
}

Result<Matcher> Matcher::Make(MatchType type, std::string_view name, std::string_view value) {
  Matcher m;
  m.type_ = type;
  m.name_ = std::string(name);
  m.value_ = std::string(value);
  if (type == MatchType::kEqual || type == MatchType::kNotEqual) {
    m.kind_ = Kind::kSet;
    m.set_.push_back(m.value_);
  } else {
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_dot_nl(true);
    // Compile the pattern alone first: "a)|(b" is not a regex, although "^(?:a)|(b)$" is.
    RE2 alone(m.value_, opts);
    if (!alone.ok())
      return Status::InvalidArgument(
          "invalid regex in matcher: " + alone.error(),
          std::string(name) + std::string(MatchTypeString(type)) + Quote(value));
    auto re = std::make_shared<const RE2>("^(?:" + m.value_ + ")$", opts);
    if (!re->ok())
      return Status::InvalidArgument(
          "invalid regex in matcher: " + re->error(),
          std::string(name) + std::string(MatchTypeString(type)) + Quote(value));
    m.re_ = std::move(re);
    m.Classify();
    if (m.kind_ == Kind::kRegex) {
      std::string lo, hi;
      if (m.re_->PossibleMatchRange(&lo, &hi, 64)) {
        size_t k = 0;
        while (k < lo.size() && k < hi.size() && lo[k] == hi[k]) ++k;
        m.prefix_ = lo.substr(0, k);
      }
    }
  }
  m.matches_empty_ = m.Matches("");
  return m;
}

Matcher Matcher::Equal(std::string_view name, std::string_view value) {
  return std::move(Make(MatchType::kEqual, name, value).value());
}

Matcher Matcher::NotEqual(std::string_view name, std::string_view value) {
  return std::move(Make(MatchType::kNotEqual, name, value).value());
}

bool Matcher::MatchesPattern(std::string_view v) const {
  switch (kind_) {
    case Kind::kSet:
      if (set_.size() == 1) return v == set_[0];
      return std::binary_search(set_.begin(), set_.end(), v);
    case Kind::kPrefix:
      return v.size() >= fixed_.size() + (needs_more_ ? 1 : 0) && v.starts_with(fixed_);
    case Kind::kSuffix:
      return v.ends_with(fixed_);
    case Kind::kContains:
      return v.find(fixed_) != std::string_view::npos;
    case Kind::kRegex:
      return RE2::PartialMatch(re2::StringPiece(v.data(), v.size()), *re_);
  }
  return false;
}

bool Matcher::MatchesPatternWithRegexForTesting(std::string_view v) const {
  if (re_ == nullptr) return MatchesPattern(v);
  return RE2::PartialMatch(re2::StringPiece(v.data(), v.size()), *re_);
}

std::string Matcher::ToString() const {
  std::string out = name_;
  out.append(MatchTypeString(type_));
  AppendQuoted(&out, value_);
  return out;
}

// ---------------------------------------------------------------------------------------
// Text parsers.

namespace {

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  bool Done() const { return i_ >= s_.size(); }
  char Peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool Consume(char c) {
    if (Peek() == c && !Done()) {
      ++i_;
      return true;
    }
    return false;
  }
  size_t pos() const { return i_; }
  // [a-zA-Z_][a-zA-Z0-9_]* (with ':' too when metric).
  std::string_view Name(bool metric) {
    size_t start = i_;
    auto ok_first = [&](char c) { return IsNameStart(c) || (metric && c == ':'); };
    auto ok = [&](char c) { return IsNameChar(c) || (metric && c == ':'); };
    if (i_ < s_.size() && ok_first(s_[i_])) {
      ++i_;
      while (i_ < s_.size() && ok(s_[i_])) ++i_;
    }
    return s_.substr(start, i_ - start);
  }
  // A quoted string. `quotes` lists the accepted opening quotes; escapes depend on the
  // caller: exposition values know \\ \" \n, selector strings also \' \t \r.
  Status String(std::string_view quotes, bool selector_escapes, std::string* out) {
    char q = Peek();
    if (Done() || quotes.find(q) == std::string_view::npos)
      return Error("expected a quoted string");
    ++i_;
    out->clear();
    while (true) {
      if (Done()) return Error("unterminated string");
      char c = s_[i_++];
      if (c == q) return Status::Ok();
      if (c == '\\' && q != '`') {
        if (Done()) return Error("unterminated string");
        char e = s_[i_++];
        switch (e) {
          case '\\':
            *out += '\\';
            break;
          case '"':
            *out += '"';
            break;
          case 'n':
            *out += '\n';
            break;
          case '\'':
          case 't':
          case 'r':
            if (!selector_escapes) {
              --i_;
              return Error("unknown escape sequence");
            }
            *out += e == '\'' ? '\'' : (e == 't' ? '\t' : '\r');
            break;
          default:
            --i_;
            return Error("unknown escape sequence");
        }
        continue;
      }
      *out += c;
    }
  }
  Status Error(std::string_view what) const {
    return Status::InvalidArgument(what, "at offset " + std::to_string(i_) + " of " + Quote(s_));
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

Result<Labels> Labels::Parse(std::string_view text) {
  Cursor c(text);
  std::vector<std::pair<std::string, std::string>> pairs;
  c.SkipSpace();
  std::string_view metric = c.Name(/*metric=*/true);
  if (!metric.empty()) pairs.emplace_back(std::string(kMetricNameLabel), std::string(metric));
  c.SkipSpace();
  if (c.Consume('{')) {
    while (true) {
      c.SkipSpace();
      if (c.Consume('}')) break;
      std::string_view name = c.Name(/*metric=*/false);
      if (name.empty()) return c.Error("expected a label name");
      c.SkipSpace();
      if (!c.Consume('=')) return c.Error("expected '='");
      c.SkipSpace();
      std::string value;
      STRIX_RETURN_IF_ERROR(c.String("\"", /*selector_escapes=*/false, &value));
      for (const auto& p : pairs)
        if (p.first == name) return c.Error("duplicate label name " + Quote(name));
      pairs.emplace_back(std::string(name), std::move(value));
      c.SkipSpace();
      if (c.Consume(',')) continue;
      if (c.Consume('}')) break;
      return c.Error("expected ',' or '}'");
    }
  } else if (metric.empty()) {
    return c.Error("expected a metric name or '{'");
  }
  c.SkipSpace();
  if (!c.Done()) return c.Error("unexpected trailing characters");
  std::vector<std::pair<std::string_view, std::string_view>> views(pairs.begin(), pairs.end());
  Labels out;
  out.data_ = EncodeSorted(views);
  STRIX_RETURN_IF_ERROR(out.Validate());
  return out;
}

Result<std::vector<Matcher>> ParseMatchers(std::string_view selector) {
  Cursor c(selector);
  std::vector<Matcher> out;
  c.SkipSpace();
  std::string_view metric = c.Name(/*metric=*/true);
  if (!metric.empty()) out.push_back(Matcher::Equal(kMetricNameLabel, metric));
  c.SkipSpace();
  if (c.Consume('{')) {
    while (true) {
      c.SkipSpace();
      if (c.Consume('}')) break;
      std::string_view name = c.Name(/*metric=*/false);
      if (name.empty()) return c.Error("expected a label name");
      c.SkipSpace();
      MatchType type;
      if (c.Consume('=')) {
        type = c.Consume('~') ? MatchType::kRegexMatch : MatchType::kEqual;
      } else if (c.Consume('!')) {
        if (c.Consume('=')) {
          type = MatchType::kNotEqual;
        } else if (c.Consume('~')) {
          type = MatchType::kRegexNoMatch;
        } else {
          return c.Error("expected '!=' or '!~'");
        }
      } else {
        return c.Error("expected one of = != =~ !~");
      }
      c.SkipSpace();
      std::string value;
      STRIX_RETURN_IF_ERROR(c.String("\"'`", /*selector_escapes=*/true, &value));
      Result<Matcher> m = Matcher::Make(type, name, value);
      if (!m.ok()) return m.status();
      out.push_back(std::move(*m));
      c.SkipSpace();
      if (c.Consume(',')) continue;
      if (c.Consume('}')) break;
      return c.Error("expected ',' or '}'");
    }
  } else if (metric.empty()) {
    return c.Error("expected a metric name or '{'");
  }
  c.SkipSpace();
  if (!c.Done()) return c.Error("unexpected trailing characters");
  return out;
}

}  // namespace strix::storage
