// Nakulos POST /metrics: the body parser (simdjson DOM, error codes only) and the pieces of
// the HTTP answer that depend on it. The rules and their reasons are in
// docs/wire/nakulos.md; the comments here say how they are implemented.
//
// A post is read in four steps:
//  1. JSON as Python reads it: simdjson parses the body; if it fails on something Python's
//     json module accepts (NaN/Infinity literals, numbers beyond 64-bit integers or beyond
//     the double range), a rewritten copy is parsed instead, in which each such literal in
//     a value position became a marker object {"\u0000":"<literal>"}. Markers are only
//     recognised in a rewritten body, and a body is only rewritten when none of its
//     strings holds a NUL (\u0000), so a marker can never be confused with client data.
//  2. The top level: an object; "hostname", "metrics" and "tags" (the last occurrence of a
//     repeated key wins, as in a Python dict); the tags are read and checked in full.
//     Every whole-request error is found here, before anything is added to the batch.
//  3. The members of "metrics" are de-duplicated as a Python dict does: a repeated name
//     keeps the position of its first occurrence and the value of its last (a flat hash
//     table of member indexes, reused between posts).
//  4. Each distinct metric: its name (sanitised if needed), its value and timestamp; then
//     one series with one sample in the batch, or a counted rejection.
#include "ingest/nakulos/nakulos.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

#include "core/json_string.h"
#include "storage/labels.h"

namespace strix::ingest {
namespace {

namespace dom = simdjson::dom;
using storage::LabelPair;
using storage::Timestamp;

// ---- text helpers ----------------------------------------------------------------------

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Number of bytes of the UTF-8 sequence starting with lead byte b (1 for a stray byte).
size_t Utf8Length(unsigned char b) {
  if (b < 0xC0) return 1;
  if (b < 0xE0) return 2;
  if (b < 0xF0) return 3;
  return 4;
}

// Appends `s` with '"' and '\' escaped and control characters as \u00XX, as inside a JSON
// string (the rest of the bytes unchanged).
void AppendEscaped(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (u < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 0xF]);
    } else {
      out->push_back(c);
    }
  }
}

// `s` between double quotes for a message, escaped, cut after about 64 bytes at a
// character boundary ("..." marks the cut).
void AppendQuotedSnippet(std::string* out, std::string_view s) {
  constexpr size_t kMax = 64;
  out->push_back('"');
  if (s.size() <= kMax) {
    AppendEscaped(out, s);
  } else {
    size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    AppendEscaped(out, s.substr(0, cut));
    out->append("...");
  }
  out->push_back('"');
}

// Keys written after a dot in a path: short and made of [A-Za-z0-9_:-].
bool IsPlainKey(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_' || c == ':' ||
          c == '-')) {
      return false;
    }
  }
  return true;
}

// `root.key` for a plain key, else `root["key"]`.
void AppendKeyPath(std::string* out, std::string_view root, std::string_view key) {
  out->append(root);
  if (IsPlainKey(key)) {
    out->push_back('.');
    out->append(key);
  } else {
    out->push_back('[');
    AppendQuotedSnippet(out, key);
    out->push_back(']');
  }
}

// Whether `c` may appear in a metric name: [a-zA-Z0-9_:].
bool IsMetricNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_' || c == ':';
}

bool NeedsSanitising(std::string_view s) {
  if (s.empty() || IsDigit(s[0])) return true;
  for (char c : s) {
    if (!IsMetricNameChar(c)) return true;
  }
  return false;
}

// Appends the sanitised form of `s` (the rule of docs/wire/line-protocol.md): every
// character outside [a-zA-Z0-9_:] becomes one '_' (a multi-byte UTF-8 character too), and
// a leading digit gets a '_' before it.
void AppendSanitised(std::string_view s, std::string* out) {
  if (!s.empty() && IsDigit(s[0])) out->push_back('_');
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (IsMetricNameChar(c)) {
      out->push_back(c);
      ++i;
      continue;
    }
    out->push_back('_');
    const size_t n = Utf8Length(static_cast<unsigned char>(c));
    size_t k = 1;
    while (k < n && i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80) {
      ++k;
    }
    i += k;
  }
}

void AppendDouble(std::string* out, double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, res.ptr);
}

// ---- JSON as Python reads it -----------------------------------------------------------

// The key of the marker object a rewritten literal becomes: a single NUL.
constexpr std::string_view kMarkerKey("\0", 1);

// Whether `t` matches the JSON number grammar (Python's json uses the same one).
bool IsJsonNumber(std::string_view t) {
  size_t i = 0;
  if (i < t.size() && t[i] == '-') ++i;
  if (i == t.size()) return false;
  if (t[i] == '0') {
    ++i;
  } else if (t[i] >= '1' && t[i] <= '9') {
    while (i < t.size() && IsDigit(t[i])) ++i;
  } else {
    return false;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    const size_t d = i;
    while (i < t.size() && IsDigit(t[i])) ++i;
    if (i == d) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    const size_t d = i;
    while (i < t.size() && IsDigit(t[i])) ++i;
    if (i == d) return false;
  }
  return i == t.size();
}

// For a JSON number (unsigned part) that std::from_chars found out of range: whether it is
// huge (true) or tiny (false), from the position of its first significant digit and its
// exponent.
bool IsOverflow(std::string_view s) {
  const size_t e = s.find_first_of("eE");
  const std::string_view mant = s.substr(0, e);
  int64_t exp = 0;
  if (e != std::string_view::npos) {
    std::string_view x = s.substr(e + 1);
    const bool neg = !x.empty() && x[0] == '-';
    if (!x.empty() && (x[0] == '-' || x[0] == '+')) x.remove_prefix(1);
    for (char c : x) {
      if (exp < 100'000'000) exp = exp * 10 + (c - '0');
    }
    if (neg) exp = -exp;
  }
  const size_t dot = mant.find('.');
  const std::string_view ip = mant.substr(0, dot);
  const std::string_view fp =
      dot == std::string_view::npos ? std::string_view() : mant.substr(dot + 1);
  const size_t nz = ip.find_first_not_of('0');
  if (nz != std::string_view::npos) return static_cast<int64_t>(ip.size() - nz) - 1 + exp > 0;
  const size_t fz = fp.find_first_not_of('0');
  if (fz == std::string_view::npos) return false;  // zero
  return -static_cast<int64_t>(fz) - 1 + exp > 0;
}

// A JSON number simdjson refuses but Python reads: an integer outside [-2^63, 2^64 - 1],
// or a float whose magnitude exceeds the largest double. (simdjson reads tiny floats as 0,
// as Python does.)
bool IsUnrepresentableNumber(std::string_view t) {
  if (!IsJsonNumber(t)) return false;
  const bool neg = t[0] == '-';
  const std::string_view u = neg ? t.substr(1) : t;
  if (u.find_first_of(".eE") == std::string_view::npos) {
    const std::string_view limit = neg ? "9223372036854775808" : "18446744073709551615";
    return u.size() > limit.size() || (u.size() == limit.size() && u > limit);
  }
  double v = 0;
  auto res = std::from_chars(u.data(), u.data() + u.size(), v, std::chars_format::general);
  return res.ec == std::errc::result_out_of_range && IsOverflow(u);
}

bool IsStructural(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '{' || c == '}' || c == '[' ||
         c == ']' || c == ':' || c == ',' || c == '"';
}

int HexDigit(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Rewrites the literals Python's json module reads but simdjson does not (NaN, Infinity,
// -Infinity, and numbers IsUnrepresentableNumber) into marker objects {"\u0000":"<text>"},
// keeping every other byte. Only value positions are rewritten (after '[', ':', a ','
// inside an array, or at the top), so that text Python rejects ({NaN: 1}, [1 NaN]) stays
// invalid. Returns true when something was rewritten and no string of the body holds a
// \u0000 escape (a NUL would make a client object look like a marker; such a body is not
// rewritten and its parse error stands). Linear in the input.
bool RewriteForPython(std::string_view in, std::string* out, std::vector<char>* stack) {
  out->clear();
  stack->clear();
  bool changed = false;
  bool value_pos = true;
  size_t i = 0;
  const size_t n = in.size();
  while (i < n) {
    const char c = in[i];
    switch (c) {
      case ' ':
      case '\t':
      case '\n':
      case '\r':
        out->push_back(c);
        ++i;
        break;
      case '"': {
        size_t j = i + 1;
        while (j < n && in[j] != '"') {
          if (in[j] != '\\') {
            ++j;
            continue;
          }
          if (j + 5 < n && in[j + 1] == 'u' && HexDigit(in[j + 2]) == 0 &&
              HexDigit(in[j + 3]) == 0 && HexDigit(in[j + 4]) == 0 && HexDigit(in[j + 5]) == 0) {
            return false;  // a NUL in a string
          }
          j += 2;  // the escaped byte, whatever it is
        }
        if (j < n) ++j;  // the closing quote
        out->append(in.substr(i, std::min(j, n) - i));
        i = j;
        value_pos = false;
        break;
      }
      case '{':
      case '[':
        stack->push_back(c);
        value_pos = c == '[';
        out->push_back(c);
        ++i;
        break;
      case '}':
      case ']':
        if (!stack->empty()) stack->pop_back();
        value_pos = false;
        out->push_back(c);
        ++i;
        break;
      case ':':
        value_pos = true;
        out->push_back(c);
        ++i;
        break;
      case ',':
        value_pos = !stack->empty() && stack->back() == '[';
        out->push_back(c);
        ++i;
        break;
      default: {
        size_t j = i;
        while (j < n && !IsStructural(in[j])) ++j;
        const std::string_view token = in.substr(i, j - i);
        if (value_pos && (token == "NaN" || token == "Infinity" || token == "-Infinity" ||
                          IsUnrepresentableNumber(token))) {
          out->append("{\"\\u0000\":\"");
          out->append(token);
          out->append("\"}");
          changed = true;
        } else {
          out->append(token);
        }
        value_pos = false;
        i = j;
      }
    }
  }
  return changed;
}

// Errors after which RewriteForPython may help (the input may hold a literal or number
// Python reads); others (bad UTF-8, bad strings, depth) are final.
bool MayBePythonJson(simdjson::error_code err) {
  switch (err) {
    case simdjson::TAPE_ERROR:
    case simdjson::NUMBER_ERROR:
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR:
    case simdjson::NUMBER_OUT_OF_RANGE:
    case simdjson::INCORRECT_TYPE:
      return true;
    default:
      return false;
  }
}

Status BodyError(simdjson::error_code err) {
  switch (err) {
    case simdjson::UTF8_ERROR:
      return Status::InvalidArgument("body: not valid UTF-8");
    case simdjson::EMPTY:
      return Status::InvalidArgument("body: empty");
    case simdjson::DEPTH_ERROR:
      return Status::InvalidArgument("body: nesting deeper than 1024 levels");
    case simdjson::STRING_ERROR:
      return Status::InvalidArgument(
          "body: invalid JSON: a string holds an invalid escape or a lone UTF-16 surrogate");
    case simdjson::UNESCAPED_CHARS:
      return Status::InvalidArgument(
          "body: invalid JSON: a string holds an unescaped control character");
    case simdjson::UNCLOSED_STRING:
      return Status::InvalidArgument("body: invalid JSON: a string is not closed");
    case simdjson::CAPACITY:
      return Status::InvalidArgument("body: too large for the JSON parser (4 GiB)");
    case simdjson::MEMALLOC:
      return Status::ResourceExhausted("body: out of memory while parsing");
    default:
      return Status::InvalidArgument(std::string("body: invalid JSON: ") +
                                     simdjson::error_message(err));
  }
}

// ---- timestamps ------------------------------------------------------------------------

constexpr int64_t kMaxSeconds = kNakulosMaxTimestampMs / 1000;  // 9999-12-31T23:59:59

// The millisecond nearest to `seconds` × 1000 (computed exactly; a tie rounds up), if it is
// within [0, kNakulosMaxTimestampMs].
bool SecondsToMillis(double seconds, Timestamp* out) {
  if (!(seconds >= 0) || seconds >= static_cast<double>(kMaxSeconds + 1)) return false;
  const double p = seconds * 1000.0;  // < 2^48: p's integer and half-integer are exact
  const double fl = std::floor(p);
  const double frac = p - fl;  // exact
  auto ms = static_cast<int64_t>(fl);
  // p is the product rounded to a double, so it lies on the same side of fl + 0.5 as the
  // exact product, except when it lands on fl + 0.5 itself: then the rounding error decides.
  if (frac > 0.5 || (frac == 0.5 && std::fma(seconds, 1000.0, -p) >= 0)) ++ms;
  if (ms > kNakulosMaxTimestampMs) return false;
  *out = ms;
  return true;
}

// ---- problems with one metric ----------------------------------------------------------

// Which part of a metric a problem is about: the entry itself (`metrics.x`), or its
// "value" / "timestamp" member.
enum class Field : uint8_t { kEntry, kValue, kTimestamp };

enum class Code : uint8_t {
  kNone,
  kEmptyName,       // the metric name is ""
  kNameTooLong,     // size: bytes
  kBadEntry,        // not a number, boolean, string or object (culprit)
  kNoValue,         // an object without "value"
  kBadValue,        // "value" is not a number, boolean or string (culprit)
  kNotFinite,       // NaN, +-Infinity, or beyond the double range (culprit)
  kStateTooLong,    // size: bytes
  kBadTimestamp,    // "timestamp" is not a number (culprit)
  kTimestampRange,  // outside [0, year 9999] (culprit)
};

struct Problem {
  Code code = Code::kNone;
  Field field = Field::kEntry;
  dom::element culprit;
  size_t size = 0;
};

}  // namespace

// ---- NakulosParser ---------------------------------------------------------------------

struct NakulosParser::Impl {
  // A member of "metrics" (or "tags"). `winner` is the member whose value it takes (its
  // own index, or that of the key's last occurrence); `shadowed` marks a repeated key,
  // which is read at its first occurrence instead.
  struct Member {
    std::string_view key;
    dom::element value;
    uint32_t winner;
    bool shadowed;
  };
  // Buffers above this are released after the post, so that one huge post does not pin its
  // memory in every worker.
  static constexpr size_t kRetainBytes = size_t{16} << 20;

  dom::parser json;
  std::string padded;  // the body plus SIMDJSON_PADDING zero bytes
  std::string compat;  // RewriteForPython output, padded likewise
  std::vector<char> stack;
  bool rewritten = false;  // the DOM is that of `compat`: markers may occur
  std::vector<Member> members;
  std::vector<uint32_t> table;  // open addressing: member index + 1, 0 = empty
  std::vector<uint32_t> order;  // member indexes sorted by key (DeduplicateBySorting)
  std::string scratch;          // a sanitised metric name
  std::vector<LabelPair> labels;

  Status Run(std::string_view body, Timestamp now_ms, const NakulosParseOptions& options,
             storage::WriteBatch* batch, NakulosParseResult* result);
  Status ParseJson(std::string_view body, dom::element* root);
  Status ReadTags(dom::object tags, NakulosParseResult* result);
  void Deduplicate();
  void DeduplicateBySorting();
  Problem EmitMetric(uint32_t tag, std::string_view name, dom::element entry, std::string_view host,
                     Timestamp now_ms, storage::WriteBatch* batch);
  std::string Message(std::string_view name, const Problem& p) const;

  // Whether `e` is a marker of a rewritten literal; if so, *token is its text.
  bool IsMarker(dom::element e, std::string_view* token) const;
  // `e` for a message: `string "…"`, the number, true/false, null, an array, an object,
  // or a rewritten literal's text.
  std::string Describe(dom::element e) const;
  void AppendDescription(std::string* out, dom::element e) const;
  void ReleaseIfLarge();
};

NakulosParser::NakulosParser(NakulosParseOptions options)
    : options_(options), impl_(std::make_unique<Impl>()) {}

NakulosParser::~NakulosParser() = default;

namespace {

void ResetResult(NakulosParseResult* r) {
  r->hostname.clear();
  r->tags_present = false;
  r->tags.clear();
  r->metrics = 0;
  r->accepted = 0;
  r->rejected = 0;
  r->first_errors.clear();
}

}  // namespace

Status NakulosParser::Parse(std::string_view body, Timestamp now_ms, storage::WriteBatch* batch,
                            NakulosParseResult* result) {
  ResetResult(result);
  Status s = impl_->Run(body, now_ms, options_, batch, result);
  if (!s.ok()) ResetResult(result);
  impl_->ReleaseIfLarge();
  return s;
}

bool NakulosParser::Impl::IsMarker(dom::element e, std::string_view* token) const {
  if (!rewritten || e.type() != dom::element_type::OBJECT) return false;
  dom::object o;
  if (e.get_object().get(o) != simdjson::SUCCESS || o.size() != 1) return false;
  const dom::key_value_pair kv = *o.begin();
  return kv.key == kMarkerKey && kv.value.get_string().get(*token) == simdjson::SUCCESS;
}

void NakulosParser::Impl::AppendDescription(std::string* out, dom::element e) const {
  switch (e.type()) {
    case dom::element_type::STRING: {
      std::string_view s;
      if (e.get_string().get(s) != simdjson::SUCCESS) break;
      out->append("string ");
      AppendQuotedSnippet(out, s);
      return;
    }
    case dom::element_type::INT64: {
      int64_t v = 0;
      if (e.get_int64().get(v) != simdjson::SUCCESS) break;
      out->append(std::to_string(v));
      return;
    }
    case dom::element_type::UINT64: {
      uint64_t v = 0;
      if (e.get_uint64().get(v) != simdjson::SUCCESS) break;
      out->append(std::to_string(v));
      return;
    }
    case dom::element_type::DOUBLE: {
      double v = 0;
      if (e.get_double().get(v) != simdjson::SUCCESS) break;
      AppendDouble(out, v);
      return;
    }
    case dom::element_type::BOOL: {
      bool v = false;
      if (e.get_bool().get(v) != simdjson::SUCCESS) break;
      out->append(v ? "true" : "false");
      return;
    }
    case dom::element_type::NULL_VALUE:
      out->append("null");
      return;
    case dom::element_type::ARRAY:
      out->append("an array");
      return;
    case dom::element_type::OBJECT: {
      std::string_view token;
      if (IsMarker(e, &token)) {
        if (token.size() <= 64) {
          out->append(token);
        } else {
          out->append(token.substr(0, 64));
          out->append("...");
        }
      } else {
        out->append("an object");
      }
      return;
    }
  }
  out->append("a value");
}

std::string NakulosParser::Impl::Describe(dom::element e) const {
  std::string s;
  AppendDescription(&s, e);
  return s;
}

Status NakulosParser::Impl::ParseJson(std::string_view body, dom::element* root) {
  // Python's json.loads(bytes) reads a body that starts with a UTF-8 byte order mark.
  if (body.size() >= 3 && body.compare(0, 3, "\xEF\xBB\xBF") == 0) body.remove_prefix(3);
  padded.assign(body);
  padded.append(simdjson::SIMDJSON_PADDING, '\0');
  rewritten = false;
  simdjson::error_code err = json.parse(padded.data(), body.size(), false).get(*root);
  if (err != simdjson::SUCCESS && MayBePythonJson(err) && RewriteForPython(body, &compat, &stack)) {
    const size_t size = compat.size();
    compat.append(simdjson::SIMDJSON_PADDING, '\0');
    if (json.parse(compat.data(), size, false).get(*root) == simdjson::SUCCESS) {
      rewritten = true;
      err = simdjson::SUCCESS;
    }
  }
  if (err != simdjson::SUCCESS) return BodyError(err);
  return Status::Ok();
}

Status NakulosParser::Impl::Run(std::string_view body, Timestamp now_ms,
                                const NakulosParseOptions& options, storage::WriteBatch* batch,
                                NakulosParseResult* result) {
  dom::element root;
  STRIX_RETURN_IF_ERROR(ParseJson(body, &root));

  std::string_view token;
  dom::object top;
  if (IsMarker(root, &token) || root.get_object().get(top) != simdjson::SUCCESS) {
    return Status::InvalidArgument("body: expected a JSON object, got " + Describe(root));
  }
  // The last occurrence of a repeated key wins. client_id and unknown keys are ignored.
  dom::element hostname_el;
  dom::element metrics_el;
  dom::element tags_el;
  bool have_hostname = false;
  bool have_metrics = false;
  bool have_tags = false;
  for (dom::key_value_pair kv : top) {
    if (kv.key == "hostname") {
      hostname_el = kv.value;
      have_hostname = true;
    } else if (kv.key == "metrics") {
      metrics_el = kv.value;
      have_metrics = true;
    } else if (kv.key == "tags") {
      tags_el = kv.value;
      have_tags = true;
    }
  }
  if (!have_hostname) return Status::InvalidArgument("body: missing \"hostname\"");
  if (!have_metrics) return Status::InvalidArgument("body: missing \"metrics\"");

  std::string_view host;
  if (hostname_el.get_string().get(host) != simdjson::SUCCESS) {
    return Status::InvalidArgument("hostname: expected a string, got " + Describe(hostname_el));
  }
  if (host.empty()) return Status::InvalidArgument("hostname: empty");
  if (host.size() > storage::kMaxLabelValueBytes) {
    return Status::InvalidArgument("hostname: too long: " + std::to_string(host.size()) +
                                   " bytes (limit " + std::to_string(storage::kMaxLabelValueBytes) +
                                   ")");
  }
  dom::object metrics;
  if (IsMarker(metrics_el, &token) || metrics_el.get_object().get(metrics) != simdjson::SUCCESS) {
    return Status::InvalidArgument("metrics: expected an object, got " + Describe(metrics_el));
  }
  if (have_tags && tags_el.type() != dom::element_type::NULL_VALUE) {
    dom::object tags;
    if (IsMarker(tags_el, &token) || tags_el.get_object().get(tags) != simdjson::SUCCESS) {
      return Status::InvalidArgument("tags: expected an object, got " + Describe(tags_el));
    }
    STRIX_RETURN_IF_ERROR(ReadTags(tags, result));
    result->tags_present = true;
  }
  result->hostname.assign(host);

  // From here on nothing fails the request: each metric is stored or rejected alone.
  members.clear();
  for (dom::key_value_pair kv : metrics) {
    members.push_back({kv.key, kv.value, static_cast<uint32_t>(members.size()), false});
  }
  Deduplicate();
  uint32_t tag = 0;
  for (const Member& m : members) {
    if (m.shadowed) continue;
    const Problem p = EmitMetric(tag, m.key, members[m.winner].value, host, now_ms, batch);
    ++tag;
    if (p.code == Code::kNone) {
      ++result->accepted;
      continue;
    }
    ++result->rejected;
    if (result->first_errors.size() < options.max_errors) {
      result->first_errors.push_back(Message(m.key, p));
    }
  }
  result->metrics = tag;
  return Status::Ok();
}

// A Python dict's view of the members: for a repeated key, the first occurrence takes the
// last one's value and the later occurrences are shadowed. Keys come from the client, so a
// body could be made of keys whose hashes collide: past a probe budget linear in n, the
// table gives way to sorting, so the worst case stays O(n log n) comparisons.
void NakulosParser::Impl::Deduplicate() {
  const size_t n = members.size();
  if (n < 2) return;
  size_t size = 16;
  while (size < 2 * n) size *= 2;
  const size_t mask = size - 1;
  table.assign(size, 0);
  const std::hash<std::string_view> hasher;
  size_t budget = 8 * n + 64;
  for (size_t i = 0; i < n; ++i) {
    size_t h = hasher(members[i].key) & mask;
    for (;;) {
      const uint32_t slot = table[h];
      if (slot == 0) {
        table[h] = static_cast<uint32_t>(i + 1);
        break;
      }
      Member& first = members[slot - 1];
      if (first.key == members[i].key) {
        first.winner = static_cast<uint32_t>(i);
        members[i].shadowed = true;
        break;
      }
      if (budget-- == 0) {
        DeduplicateBySorting();
        return;
      }
      h = (h + 1) & mask;
    }
  }
}

void NakulosParser::Impl::DeduplicateBySorting() {
  const size_t n = members.size();
  order.resize(n);
  for (size_t i = 0; i < n; ++i) {
    order[i] = static_cast<uint32_t>(i);
    members[i].winner = static_cast<uint32_t>(i);
    members[i].shadowed = false;
  }
  std::sort(order.begin(), order.end(), [this](uint32_t a, uint32_t b) {
    const int c = members[a].key.compare(members[b].key);
    return c < 0 || (c == 0 && a < b);
  });
  for (size_t begin = 0; begin < n;) {
    size_t end = begin + 1;
    while (end < n && members[order[end]].key == members[order[begin]].key) {
      members[order[end]].shadowed = true;
      ++end;
    }
    members[order[begin]].winner = order[end - 1];
    begin = end;
  }
}

Status NakulosParser::Impl::ReadTags(dom::object tags, NakulosParseResult* result) {
  // Distinct keys in first-occurrence order, each with the last value (a Python dict); at
  // most kNakulosMaxTags of them, so the linear search stays bounded.
  members.clear();
  for (dom::key_value_pair kv : tags) {
    bool repeated = false;
    for (Member& m : members) {
      if (m.key == kv.key) {
        m.value = kv.value;
        repeated = true;
        break;
      }
    }
    if (repeated) continue;
    if (members.size() == kNakulosMaxTags) {
      return Status::InvalidArgument("tags: more than " + std::to_string(kNakulosMaxTags) +
                                     " tags");
    }
    members.push_back({kv.key, kv.value, 0, false});
  }
  auto path = [](std::string_view key) {
    std::string s;
    AppendKeyPath(&s, "tags", key);
    return s;
  };
  result->tags.reserve(members.size());
  for (const Member& m : members) {
    if (m.key.size() > kNakulosMaxTagBytes) {
      return Status::InvalidArgument(path(m.key) +
                                     ": key too long: " + std::to_string(m.key.size()) +
                                     " bytes (limit " + std::to_string(kNakulosMaxTagBytes) + ")");
    }
    std::string text;
    std::string_view token;
    switch (m.value.type()) {
      case dom::element_type::STRING: {
        std::string_view s;
        if (m.value.get_string().get(s) == simdjson::SUCCESS) text.assign(s);
        break;
      }
      case dom::element_type::INT64:
      case dom::element_type::UINT64:
      case dom::element_type::DOUBLE:
        AppendDescription(&text, m.value);
        break;
      case dom::element_type::BOOL: {
        bool b = false;
        if (m.value.get_bool().get(b) == simdjson::SUCCESS) text = b ? "true" : "false";
        break;
      }
      case dom::element_type::OBJECT:
        if (IsMarker(m.value, &token)) {
          // A number beyond 64 bits keeps its exact text; NaN, Infinity and numbers beyond
          // the double range are refused.
          double v = 0;
          auto res = std::from_chars(token.data(), token.data() + token.size(), v,
                                     std::chars_format::general);
          if (!IsJsonNumber(token) || res.ec != std::errc() || !std::isfinite(v)) {
            return Status::InvalidArgument(path(m.key) + ": expected a finite number, got " +
                                           Describe(m.value));
          }
          text.assign(token);
          break;
        }
        [[fallthrough]];
      default:
        return Status::InvalidArgument(
            path(m.key) + ": expected a string, a number or a boolean, got " + Describe(m.value));
    }
    if (text.size() > kNakulosMaxTagBytes) {
      return Status::InvalidArgument(path(m.key) +
                                     ": value too long: " + std::to_string(text.size()) +
                                     " bytes (limit " + std::to_string(kNakulosMaxTagBytes) + ")");
    }
    result->tags.emplace_back(std::string(m.key), std::move(text));
  }
  return Status::Ok();
}

Problem NakulosParser::Impl::EmitMetric(uint32_t tag, std::string_view name, dom::element entry,
                                        std::string_view host, Timestamp now_ms,
                                        storage::WriteBatch* batch) {
  Problem p;
  auto fail = [&p](Code code, Field field, dom::element culprit = {}, size_t size = 0) {
    p.code = code;
    p.field = field;
    p.culprit = culprit;
    p.size = size;
    return p;
  };

  // The name: as sent when it is a valid metric name, else sanitised (and the original
  // kept in the nakulos_name label).
  if (name.empty()) return fail(Code::kEmptyName, Field::kEntry);
  if (name.size() > storage::kMaxLabelValueBytes) {
    return fail(Code::kNameTooLong, Field::kEntry, {}, name.size());
  }
  const bool sanitised = NeedsSanitising(name);
  std::string_view metric_name = name;
  if (sanitised) {
    scratch.clear();
    AppendSanitised(name, &scratch);
    if (scratch.size() > storage::kMaxLabelValueBytes) {
      return fail(Code::kNameTooLong, Field::kEntry, {}, scratch.size());
    }
    metric_name = scratch;
  }

  // The entry: {"value": v[, "timestamp": t]} (other members ignored) or a bare value.
  std::string_view token;
  dom::element value_el = entry;
  Field value_field = Field::kEntry;
  dom::element ts_el;
  bool have_ts = false;
  if (entry.type() == dom::element_type::OBJECT && !IsMarker(entry, &token)) {
    dom::object o;
    if (entry.get_object().get(o) != simdjson::SUCCESS)
      return fail(Code::kBadEntry, Field::kEntry, entry);
    bool have_value = false;
    for (dom::key_value_pair kv : o) {
      if (kv.key == "value") {
        value_el = kv.value;
        have_value = true;
      } else if (kv.key == "timestamp") {
        ts_el = kv.value;
        have_ts = true;
      }
    }
    if (!have_value) return fail(Code::kNoValue, Field::kEntry);
    value_field = Field::kValue;
  }

  // The value.
  storage::ValueKind kind = storage::ValueKind::kGauge;
  double gauge = 0;
  std::string_view state;
  switch (value_el.type()) {
    case dom::element_type::INT64: {
      int64_t v = 0;
      if (value_el.get_int64().get(v) != simdjson::SUCCESS)
        return fail(Code::kBadValue, value_field, value_el);
      gauge = static_cast<double>(v);
      break;
    }
    case dom::element_type::UINT64: {
      uint64_t v = 0;
      if (value_el.get_uint64().get(v) != simdjson::SUCCESS)
        return fail(Code::kBadValue, value_field, value_el);
      gauge = static_cast<double>(v);
      break;
    }
    case dom::element_type::DOUBLE:
      if (value_el.get_double().get(gauge) != simdjson::SUCCESS)
        return fail(Code::kBadValue, value_field, value_el);
      break;
    case dom::element_type::BOOL: {
      bool b = false;
      if (value_el.get_bool().get(b) != simdjson::SUCCESS)
        return fail(Code::kBadValue, value_field, value_el);
      gauge = b ? 1.0 : 0.0;
      break;
    }
    case dom::element_type::STRING:
      if (value_el.get_string().get(state) != simdjson::SUCCESS)
        return fail(Code::kBadValue, value_field, value_el);
      if (state.size() > kNakulosMaxStateBytes) {
        return fail(Code::kStateTooLong, value_field, value_el, state.size());
      }
      kind = storage::ValueKind::kState;
      break;
    case dom::element_type::OBJECT: {
      if (!IsMarker(value_el, &token)) return fail(Code::kBadValue, value_field, value_el);
      // NaN, +-Infinity, a number beyond the double range: not finite. An integer beyond
      // 64 bits: the nearest double.
      auto res = std::from_chars(token.data(), token.data() + token.size(), gauge,
                                 std::chars_format::general);
      if (!IsJsonNumber(token) || res.ec != std::errc() || !std::isfinite(gauge)) {
        return fail(Code::kNotFinite, value_field, value_el);
      }
      break;
    }
    default:
      return fail(value_field == Field::kEntry ? Code::kBadEntry : Code::kBadValue, value_field,
                  value_el);
  }

  // The timestamp: epoch seconds, to the nearest millisecond; the server's time if absent.
  Timestamp ts = now_ms;
  if (have_ts) {
    switch (ts_el.type()) {
      case dom::element_type::INT64: {
        int64_t v = 0;
        if (ts_el.get_int64().get(v) != simdjson::SUCCESS || v < 0 || v > kMaxSeconds) {
          return fail(Code::kTimestampRange, Field::kTimestamp, ts_el);
        }
        ts = v * 1000;
        break;
      }
      case dom::element_type::UINT64:
        return fail(Code::kTimestampRange, Field::kTimestamp, ts_el);
      case dom::element_type::DOUBLE: {
        double v = 0;
        if (ts_el.get_double().get(v) != simdjson::SUCCESS || !SecondsToMillis(v, &ts)) {
          return fail(Code::kTimestampRange, Field::kTimestamp, ts_el);
        }
        break;
      }
      case dom::element_type::OBJECT:
        if (IsMarker(ts_el, &token)) {
          // Beyond 64 bits or the double range either way; NaN and Infinity are not finite.
          const bool literal = !IsJsonNumber(token);
          return fail(literal ? Code::kNotFinite : Code::kTimestampRange, Field::kTimestamp, ts_el);
        }
        [[fallthrough]];
      default:
        return fail(Code::kBadTimestamp, Field::kTimestamp, ts_el);
    }
  }

  // Labels in name order (__name__ < host < nakulos_name), so StartSeries' sort is one pass.
  labels.clear();
  labels.emplace_back(storage::kMetricNameLabel, metric_name);
  labels.emplace_back(kNakulosHostLabel, host);
  if (sanitised) labels.emplace_back(kNakulosNameLabel, name);
  batch->StartSeries(kind, labels, tag);
  if (kind == storage::ValueKind::kState) {
    batch->AddState(ts, state);
  } else {
    batch->AddGauge(ts, gauge);
  }
  return p;
}

std::string NakulosParser::Impl::Message(std::string_view name, const Problem& p) const {
  std::string s;
  if (p.code == Code::kEmptyName) return "metrics[\"\"]: empty metric name";
  AppendKeyPath(&s, "metrics", name);
  if (p.field == Field::kValue) s.append(".value");
  if (p.field == Field::kTimestamp) s.append(".timestamp");
  s.append(": ");
  switch (p.code) {
    case Code::kNone:
    case Code::kEmptyName:
      break;
    case Code::kNameTooLong:
      s.append("metric name too long: " + std::to_string(p.size) + " bytes (limit " +
               std::to_string(storage::kMaxLabelValueBytes) + ")");
      break;
    case Code::kBadEntry:
      s.append("expected a number, a boolean, a string or an object with \"value\", got ");
      AppendDescription(&s, p.culprit);
      break;
    case Code::kNoValue:
      s.append("object has no \"value\"");
      break;
    case Code::kBadValue:
      s.append("expected a number, a boolean or a string, got ");
      AppendDescription(&s, p.culprit);
      break;
    case Code::kNotFinite:
      s.append(p.field == Field::kTimestamp ? "expected a finite number (epoch seconds), got "
                                            : "expected a finite number, got ");
      AppendDescription(&s, p.culprit);
      break;
    case Code::kStateTooLong:
      s.append("string too long: " + std::to_string(p.size) + " bytes (limit " +
               std::to_string(kNakulosMaxStateBytes) + ")");
      break;
    case Code::kBadTimestamp:
      s.append("expected a number (epoch seconds), got ");
      AppendDescription(&s, p.culprit);
      break;
    case Code::kTimestampRange:
      s.append("out of range: ");
      AppendDescription(&s, p.culprit);
      s.append(" (epoch seconds from 0 to 253402300799.999: years 1970 to 9999)");
      break;
  }
  return s;
}

void NakulosParser::Impl::ReleaseIfLarge() {
  if (padded.capacity() > kRetainBytes || compat.capacity() > kRetainBytes ||
      members.capacity() * sizeof(Member) > kRetainBytes) {
    json = dom::parser();
    padded = std::string();
    compat = std::string();
    stack = std::vector<char>();
    members = std::vector<Member>();
    table = std::vector<uint32_t>();
    order = std::vector<uint32_t>();
  }
}

// ---- names for the read side ----------------------------------------------------------

NakulosStoredName NakulosStoredNameOf(std::string_view name) {
  NakulosStoredName n;
  if (!NeedsSanitising(name)) {
    n.metric.assign(name);
  } else if (!name.empty()) {
    AppendSanitised(name, &n.metric);
    n.original.assign(name);
  }
  return n;
}

// ---- the answer ------------------------------------------------------------------------

void NakulosCountStorageRejections(uint64_t n, NakulosParseResult* result) {
  const uint64_t moved = std::min(n, result->accepted);
  result->accepted -= moved;
  result->rejected += moved;
}

void NakulosNoteStorageRejection(const storage::WriteBatch& batch, uint32_t series_tag,
                                 std::string_view reason, NakulosParseResult* result,
                                 size_t max_errors) {
  if (result->first_errors.size() >= max_errors) return;
  std::string_view metric;
  bool found = false;
  for (const storage::WriteBatch::Series& s : batch.series()) {
    if (s.tag != series_tag) continue;
    storage::EncodedLabelsIterator it(batch.EncodedLabels(s));
    std::string_view name;
    std::string_view value;
    while (it.Next(&name, &value)) {
      if (name == storage::kMetricNameLabel && !found) {
        metric = value;
        found = true;
      } else if (name == kNakulosNameLabel) {
        metric = value;  // the name as sent
        found = true;
      }
    }
    break;
  }
  std::string s;
  if (found) {
    AppendKeyPath(&s, "metrics", metric);
  } else {
    s = "metrics (series " + std::to_string(series_tag) + ")";
  }
  s.append(": ");
  s.append(reason);
  result->first_errors.push_back(std::move(s));
}

std::string NakulosRejectionBody(const NakulosParseResult& result) {
  std::string error = std::to_string(result.rejected) + " of " + std::to_string(result.metrics) +
                      " metrics rejected";
  if (!result.first_errors.empty()) {
    error.append("; first: ");
    error.append(result.first_errors.front());
  }
  std::string out = "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":";
  AppendJsonString(&out, error);
  out.append(",\"accepted\":" + std::to_string(result.accepted));
  out.append(",\"rejected\":" + std::to_string(result.rejected));
  out.append(",\"errors\":[");
  for (size_t i = 0; i < result.first_errors.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(&out, result.first_errors[i]);
  }
  out.append("]}\n");
  return out;
}

}  // namespace strix::ingest
