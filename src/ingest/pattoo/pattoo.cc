// pattoo agent API: the body parser (simdjson DOM, error codes only) and the router that
// reproduces pattoo's answers (Flask 1.1 on Werkzeug 1.0, pattoo 2020-08 HEAD). The rules
// and their sources are in docs/wire/pattoo.md; the comments here say how they are
// implemented.
//
// A post is read in four steps:
//  1. JSON as Python reads it: simdjson parses the body; if it fails on something Python's
//     json module accepts (NaN/Infinity literals, numbers beyond 64 bits or beyond the
//     double range, lone UTF-16 surrogates in \u escapes), a rewritten copy is parsed
//     instead, where those literals and numbers became strings and the surrogates U+FFFD.
//  2. The receive route's checks: an object with exactly the 4 top-level keys (duplicate
//     keys count once, the last one wins, as in a Python dict), and a cache file name that
//     pattoo could create.
//  3. The ingester's structure checks (pattoo-shared converter.cache_to_keypairs): the
//     pair table and every pair id of every datapoint must resolve, else nothing is
//     stored. Each key-value pair is classified and its sanitised name computed once.
//  4. Each datapoint: its pairs (last one wins per key), the required keys, the data type,
//     the value and timestamp, the labels; then one series with one sample in the batch.
#include "ingest/pattoo/pattoo.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "storage/labels.h"
#include "storage/model.h"

namespace strix::ingest {
namespace {

namespace dom = simdjson::dom;
using storage::LabelPair;
using storage::ValueKind;

// ---- answers (Werkzeug 1.0 HTTPException bodies, Flask 1.1 string responses) -----------

constexpr std::string_view kHtmlType = "text/html; charset=utf-8";
constexpr std::string_view kOkBody = "OK";
constexpr std::string_view kStatusBody = "The Pattoo Agent API is Operational.\n";
constexpr std::string_view kNotFoundBody =
    "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n"
    "<title>404 Not Found</title>\n"
    "<h1>Not Found</h1>\n"
    "<p>The requested URL was not found on the server. If you entered the URL manually "
    "please check your spelling and try again.</p>\n";
constexpr std::string_view kMethodNotAllowedBody =
    "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n"
    "<title>405 Method Not Allowed</title>\n"
    "<h1>Method Not Allowed</h1>\n"
    "<p>The method is not allowed for the requested URL.</p>\n";
constexpr std::string_view kInvalidFormatBody =
    "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n"
    "<title>500 Internal Server Error</title>\n"
    "<h1>Internal Server Error</h1>\n"
    "<p>Invalid data format received.</p>\n";
constexpr std::string_view kInvalidDataBody =
    "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n"
    "<title>500 Internal Server Error</title>\n"
    "<h1>Internal Server Error</h1>\n"
    "<p>Invalid JSON data received.</p>\n";
constexpr std::string_view kReceiveAllow = "OPTIONS, POST";
constexpr std::string_view kStatusAllow = "GET, HEAD, OPTIONS";

PattooApiResponse Answer(int status, std::string_view body, PattooRoute route,
                         std::string_view allow = {}) {
  PattooApiResponse r;
  r.status = status;
  r.content_type = std::string(kHtmlType);
  r.allow = std::string(allow);
  r.body = std::string(body);
  r.route = route;
  return r;
}

// ---- keys of a datapoint ---------------------------------------------------------------

// The role of a pair key. Roles 1..10 are the keys every datapoint must have (pattoo's
// DATAPOINT_KEYS without pattoo_metadata, plus AGENT_METADATA_KEYS); anything else that is
// not reserved is agent metadata and becomes a label.
enum Role : uint8_t {
  kRoleMeta = 0,
  kRoleKey,
  kRoleValue,
  kRoleDataType,
  kRoleTimestamp,
  kRoleChecksum,
  kRoleAgentId,
  kRolePolledTarget,
  kRoleProgram,
  kRoleHostname,
  kRolePollingInterval,
  kRoleIgnored,  // pattoo_metadata: reserved, never sent by agents, never stored
  kRoleCount,
};
constexpr int kFirstRequired = kRoleKey;
constexpr int kLastRequired = kRolePollingInterval;
constexpr std::string_view kRoleNames[kRoleCount] = {
    "",
    "pattoo_key",
    "pattoo_value",
    "pattoo_data_type",
    "pattoo_timestamp",
    "pattoo_checksum",
    "pattoo_agent_id",
    "pattoo_agent_polled_target",
    "pattoo_agent_program",
    "pattoo_agent_hostname",
    "pattoo_agent_polling_interval",
    "pattoo_metadata",
};
// Labels Strix sets itself; a metadata key that sanitises to one of them is a conflict.
constexpr Role kLabelRoles[] = {kRoleAgentId, kRoleHostname, kRolePolledTarget, kRoleProgram,
                                kRoleChecksum};
// Strix's main label, the polled target (PRODUCT.md, data model): a copy of
// pattoo_agent_polled_target, so that pattoo data sits with every other input's.
constexpr std::string_view kHostLabel = "host";

Role ClassifyKey(std::string_view key) {
  if (key.size() < 10 || key.compare(0, 7, "pattoo_") != 0) return kRoleMeta;
  for (int r = kRoleKey; r < kRoleCount; ++r) {
    if (key == kRoleNames[r]) return static_cast<Role>(r);
  }
  return kRoleMeta;
}

// pattoo's data type codes (pattoo-shared constants.py). None (JSON null) is DATA_NONE.
enum DataType : uint8_t {
  kTypeInvalid,
  kTypeNone,
  kTypeFloat,
  kTypeInt,
  kTypeCounter64,
  kTypeCounter32,
  kTypeString
};

DataType TypeFromCode(double code) {
  if (code == 101) return kTypeFloat;
  if (code == 99) return kTypeInt;
  if (code == 64) return kTypeCounter64;
  if (code == 32) return kTypeCounter32;
  if (code == 2) return kTypeString;
  return kTypeInvalid;
}

// Python's `value in [101, 99, 64, 32, 2, None]`: numbers compare by value (64.0 == 64),
// booleans are 1 and 0 (never in the list), strings never equal a number.
DataType ReadDataType(dom::element e) {
  switch (e.type()) {
    case dom::element_type::NULL_VALUE:
      return kTypeNone;
    case dom::element_type::INT64: {
      int64_t v = 0;
      if (e.get_int64().get(v) != simdjson::SUCCESS) return kTypeInvalid;
      return v >= 0 && v <= 101 ? TypeFromCode(static_cast<double>(v)) : kTypeInvalid;
    }
    case dom::element_type::UINT64:
      return kTypeInvalid;  // above 2^63: no code is that large
    case dom::element_type::DOUBLE: {
      double v = 0;
      if (e.get_double().get(v) != simdjson::SUCCESS) return kTypeInvalid;
      return TypeFromCode(v);
    }
    default:
      return kTypeInvalid;
  }
}

// ---- text helpers ----------------------------------------------------------------------

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Number of bytes of the UTF-8 sequence starting with lead byte b (1 for a stray byte).
size_t Utf8Length(unsigned char b) {
  if (b < 0xC0) return 1;
  if (b < 0xE0) return 2;
  if (b < 0xF0) return 3;
  return 4;
}

// `s` for an error message: cut after about 64 bytes at a character boundary.
std::string Snippet(std::string_view s) {
  constexpr size_t kMax = 64;
  if (s.size() <= kMax) return std::string(s);
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "...";
}

std::string Quote(std::string_view s) { return "\"" + Snippet(s) + "\""; }

// Whether `c` may appear in a sanitised name: [a-zA-Z0-9_], plus ':' in metric names.
bool IsNameChar(char c, bool metric) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_' ||
         (metric && c == ':');
}

bool NeedsSanitising(std::string_view s, bool metric) {
  if (s.empty() || IsDigit(s[0])) return true;
  for (char c : s) {
    if (!IsNameChar(c, metric)) return true;
  }
  return false;
}

// Appends the sanitised form of `s` to *out: every character outside the name set becomes
// one '_' (a multi-byte UTF-8 character too), and a leading digit gets a '_' before it.
void AppendSanitised(std::string_view s, bool metric, std::string* out) {
  if (!s.empty() && IsDigit(s[0])) out->push_back('_');
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (IsNameChar(c, metric)) {
      out->push_back(c);
      ++i;
      continue;
    }
    out->push_back('_');
    size_t n = Utf8Length(static_cast<unsigned char>(c));
    size_t k = 1;
    while (k < n && i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80) {
      ++k;
    }
    i += k;
  }
}

// Canonical decimal ("0" or [1-9][0-9]*) that fits in uint32; the form Python's str()
// gives a non-negative int, so the key a pair id resolves to.
bool ParseCanonicalIndex(std::string_view s, uint32_t* out) {
  if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > std::numeric_limits<uint32_t>::max()) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

std::string FormatDouble(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

// A JSON scalar or container, described for an error message.
std::string Describe(dom::element e) {
  switch (e.type()) {
    case dom::element_type::STRING: {
      std::string_view s;
      if (e.get_string().get(s) != simdjson::SUCCESS) return "a string";
      return "string " + Quote(s);
    }
    case dom::element_type::INT64: {
      int64_t v = 0;
      if (e.get_int64().get(v) != simdjson::SUCCESS) return "a number";
      return std::to_string(v);
    }
    case dom::element_type::UINT64: {
      uint64_t v = 0;
      if (e.get_uint64().get(v) != simdjson::SUCCESS) return "a number";
      return std::to_string(v);
    }
    case dom::element_type::DOUBLE: {
      double v = 0;
      if (e.get_double().get(v) != simdjson::SUCCESS) return "a number";
      return FormatDouble(v);
    }
    case dom::element_type::BOOL:
      return "a boolean";
    case dom::element_type::NULL_VALUE:
      return "null";
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::OBJECT:
      return "an object";
  }
  return "a value";
}

// ---- Python float() on a string ------------------------------------------------------

enum class NumberError : uint8_t { kOk, kNotNumber, kNotFinite, kOutOfRange, kNegative };

// Removes underscores that sit between two digits (Python 3.6+ accepts "1_000"); false
// when an underscore is anywhere else.
bool StripUnderscores(std::string_view s, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (i == 0 || i + 1 == s.size() || !IsDigit(s[i - 1]) || !IsDigit(s[i + 1])) return false;
      continue;
    }
    out->push_back(s[i]);
  }
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Whether a decimal mantissa/exponent that from_chars found out of range is huge (true)
// or tiny (false). `s` is digits [. digits] [e|E [sign] digits], unsigned.
bool IsOverflow(std::string_view s) {
  size_t e = s.find_first_of("eE");
  std::string_view mant = s.substr(0, e);
  int64_t exp = 0;
  if (e != std::string_view::npos) {
    std::string_view x = s.substr(e + 1);
    bool neg = !x.empty() && x[0] == '-';
    if (!x.empty() && (x[0] == '-' || x[0] == '+')) x.remove_prefix(1);
    for (char c : x) {
      if (exp < 100'000'000) exp = exp * 10 + (c - '0');
    }
    if (neg) exp = -exp;
  }
  size_t dot = mant.find('.');
  std::string_view ip = mant.substr(0, dot);
  std::string_view fp = dot == std::string_view::npos ? std::string_view() : mant.substr(dot + 1);
  size_t nz = ip.find_first_not_of('0');
  if (nz != std::string_view::npos) return static_cast<int64_t>(ip.size() - nz) - 1 + exp > 0;
  size_t fz = fp.find_first_not_of('0');
  if (fz == std::string_view::npos) return false;  // zero
  return -static_cast<int64_t>(fz) - 1 + exp > 0;
}

// Python float(s) for the decimal forms: surrounding whitespace, a sign, digits with single
// underscores between them, an optional fraction and exponent; "nan", "inf" and
// "infinity" in any case give kNotFinite. Hexadecimal and non-ASCII digits are not
// accepted (Python takes the latter).
NumberError ParsePythonFloat(std::string_view s, std::string* buf, double* out) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (EqualsIgnoreCase(s, "nan") || EqualsIgnoreCase(s, "inf") || EqualsIgnoreCase(s, "infinity")) {
    return NumberError::kNotFinite;
  }
  if (!StripUnderscores(s, buf)) return NumberError::kNotNumber;
  // digits [. digits*] | . digits ; then [eE [+-] digits]
  std::string_view t = *buf;
  size_t i = 0;
  size_t mant_digits = 0;
  while (i < t.size() && IsDigit(t[i])) ++i, ++mant_digits;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && IsDigit(t[i])) ++i, ++mant_digits;
  }
  if (mant_digits == 0) return NumberError::kNotNumber;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < t.size() && IsDigit(t[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return NumberError::kNotNumber;
  }
  if (i != t.size()) return NumberError::kNotNumber;
  double v = 0;
  auto res = std::from_chars(t.data(), t.data() + t.size(), v, std::chars_format::general);
  if (res.ec == std::errc::result_out_of_range) {
    if (IsOverflow(t)) return NumberError::kOutOfRange;
    v = 0;  // underflow: Python gives 0.0
  } else if (res.ec != std::errc() || res.ptr != t.data() + t.size()) {
    return NumberError::kNotNumber;
  }
  *out = neg ? -v : v;
  return NumberError::kOk;
}

// An exact non-negative integer from a string: whitespace, an optional '+' (or "-0"),
// digits with single underscores between them. kNotNumber when the string has another
// form (the caller then tries ParsePythonFloat).
NumberError ParseStringCounter(std::string_view s, std::string* buf, uint64_t* out) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || !StripUnderscores(s, buf)) return NumberError::kNotNumber;
  uint64_t v = 0;
  for (char c : *buf) {
    if (!IsDigit(c)) return NumberError::kNotNumber;
    if (v > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(c - '0')) / 10) {
      return NumberError::kOutOfRange;
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (neg && v != 0) return NumberError::kNegative;
  *out = v;
  return NumberError::kOk;
}

// ---- Python-compatible JSON ------------------------------------------------------------

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
    size_t d = i;
    while (i < t.size() && IsDigit(t[i])) ++i;
    if (i == d) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    size_t d = i;
    while (i < t.size() && IsDigit(t[i])) ++i;
    if (i == d) return false;
  }
  return i == t.size();
}

// A JSON number simdjson refuses but Python reads: an integer outside
// [-2^63, 2^64 - 1], or a float whose magnitude exceeds the largest double.
bool IsUnrepresentableNumber(std::string_view t) {
  if (!IsJsonNumber(t)) return false;
  bool neg = t[0] == '-';
  std::string_view u = neg ? t.substr(1) : t;
  if (u.find_first_of(".eE") == std::string_view::npos) {
    std::string_view limit = neg ? "9223372036854775808" : "18446744073709551615";
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

bool ParseHex4(std::string_view s, uint32_t* out) {
  if (s.size() < 4) return false;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    char c = s[i];
    uint32_t d;
    if (IsDigit(c)) {
      d = static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
    v = v * 16 + d;
  }
  *out = v;
  return true;
}

// Rewrites what Python's json module reads but simdjson does not into forms simdjson
// reads, keeping everything else byte for byte: NaN, Infinity and -Infinity literals and
// unrepresentable numbers in value positions become JSON strings of the same text, and a
// \u escape of a lone surrogate becomes \ufffd. Only value positions are rewritten (after
// '[', ':', a ',' inside an array, or at the top), so that text Python rejects (`{NaN: 1}`,
// `[1 NaN]`) stays invalid. Returns whether anything changed. Linear in the input.
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
        out->push_back('"');
        size_t j = i + 1;
        while (j < n && in[j] != '"') {
          if (in[j] != '\\') {
            out->push_back(in[j]);
            ++j;
            continue;
          }
          if (j + 1 >= n) {
            out->push_back('\\');
            ++j;
            break;
          }
          uint32_t cp = 0;
          if (in[j + 1] == 'u' && ParseHex4(in.substr(j + 2), &cp)) {
            uint32_t low = 0;
            if (cp >= 0xD800 && cp <= 0xDBFF && j + 12 <= n && in[j + 6] == '\\' &&
                in[j + 7] == 'u' && ParseHex4(in.substr(j + 8), &low) && low >= 0xDC00 &&
                low <= 0xDFFF) {
              out->append(in.substr(j, 12));  // a proper pair
              j += 12;
            } else if (cp >= 0xD800 && cp <= 0xDFFF) {
              out->append("\\ufffd");
              changed = true;
              j += 6;
            } else {
              out->append(in.substr(j, 6));
              j += 6;
            }
            continue;
          }
          out->append(in.substr(j, 2));
          j += 2;
        }
        if (j < n) {
          out->push_back('"');
          ++j;
        }
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
        std::string_view token = in.substr(i, j - i);
        if (value_pos && (token == "NaN" || token == "Infinity" || token == "-Infinity" ||
                          IsUnrepresentableNumber(token))) {
          out->push_back('"');
          out->append(token);
          out->push_back('"');
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
// Python reads); others (bad UTF-8, unescaped control characters, depth) stay final.
bool MayBePythonJson(simdjson::error_code err) {
  switch (err) {
    case simdjson::TAPE_ERROR:
    case simdjson::NUMBER_ERROR:
    case simdjson::STRING_ERROR:
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

// ---- the cache file name pattoo builds -------------------------------------------------

// pattoo writes each post to "<str(pattoo_agent_timestamp)>_<source>_<6 digits>.json".
// A '/' (no such directory), a NUL (Python refuses it) or a name over 255 bytes (NAME_MAX)
// makes the write fail, and pattoo answers 500.
constexpr size_t kNameMax = 255;
constexpr size_t kCacheNameExtra = 1 + 1 + 6 + 5;  // "_" "_" suffix ".json"

bool HasSlashOrNul(std::string_view s) {
  return s.find('/') != std::string_view::npos || s.find('\0') != std::string_view::npos;
}

// Whether any string or key inside `e` holds a '/' (it would appear in Python's repr()).
bool ContainsSlash(dom::element e) {
  switch (e.type()) {
    case dom::element_type::STRING: {
      std::string_view s;
      return e.get_string().get(s) == simdjson::SUCCESS && s.find('/') != std::string_view::npos;
    }
    case dom::element_type::ARRAY: {
      dom::array a;
      if (e.get_array().get(a) != simdjson::SUCCESS) return false;
      for (dom::element x : a) {
        if (ContainsSlash(x)) return true;
      }
      return false;
    }
    case dom::element_type::OBJECT: {
      dom::object o;
      if (e.get_object().get(o) != simdjson::SUCCESS) return false;
      for (dom::key_value_pair kv : o) {
        if (kv.key.find('/') != std::string_view::npos || ContainsSlash(kv.value)) return true;
      }
      return false;
    }
    default:
      return false;
  }
}

// Empty when pattoo could create the cache file, else why not.
std::string CacheNameProblem(dom::element ts, std::string_view source) {
  if (HasSlashOrNul(source)) return "the receive URL's source holds '/' or NUL";
  size_t ts_len = 0;
  switch (ts.type()) {
    case dom::element_type::STRING: {
      std::string_view s;
      if (ts.get_string().get(s) != simdjson::SUCCESS) return {};
      if (HasSlashOrNul(s)) return "pattoo_agent_timestamp holds '/' or NUL";
      ts_len = s.size();
      break;
    }
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
      ts_len = 20;  // at most 20 characters; only the length matters
      break;
    case dom::element_type::BOOL:
      ts_len = 5;  // "False"
      break;
    case dom::element_type::NULL_VALUE:
      ts_len = 4;  // "None"
      break;
    case dom::element_type::DOUBLE:
      ts_len = 24;  // repr() of a float
      break;
    case dom::element_type::ARRAY:
    case dom::element_type::OBJECT:
      if (ContainsSlash(ts)) return "pattoo_agent_timestamp holds '/'";
      return {};
  }
  if (ts_len + source.size() + kCacheNameExtra > kNameMax) {
    return "the cache file name would exceed 255 bytes";
  }
  return {};
}

}  // namespace

// ---- PattooParser ----------------------------------------------------------------------

std::string_view PattooVerdictName(PattooVerdict v) {
  switch (v) {
    case PattooVerdict::kAccepted:
      return "accepted";
    case PattooVerdict::kNotJson:
      return "not_json";
    case PattooVerdict::kNotAnObject:
      return "not_an_object";
    case PattooVerdict::kWrongKeys:
      return "wrong_keys";
    case PattooVerdict::kBadCacheName:
      return "bad_cache_name";
  }
  return "unknown";
}

std::string PattooDatapointError::ToString() const {
  std::string s = "datapoint " + std::to_string(datapoint);
  if (!key.empty()) s += " (" + key + ")";
  s += ": ";
  s += message;
  return s;
}

struct PattooParser::Impl {
  enum NameState : uint8_t { kNameNone, kNameView, kNameInScratch, kNameEmpty, kNameTooLong };
  // A sanitised name: a view of the DOM, or (kNameInScratch) a range of scratch that
  // FixName() turns into a view once scratch stops growing.
  struct Name {
    std::string_view text;
    uint32_t offset = 0;
    uint32_t size = 0;
    NameState state = kNameNone;
  };
  // One entry of key_value_pairs, classified once per post.
  struct Pair {
    enum Shape : uint8_t { kOk, kNotAPair, kNonStringKey };
    dom::element value;
    std::string_view key;
    Name metric;          // role kRoleKey with a string value: the metric name
    uint32_t key_id = 0;  // role kRoleMeta: index in meta_keys
    Shape shape = kOk;
    Role role = kRoleMeta;
  };
  // A distinct metadata key of the post, so that datapoints compare ids, not strings.
  struct MetaKey {
    Name name;                       // the label name
    uint32_t name_id = 0;            // distinct label names get distinct ids
    bool reserved_conflict = false;  // the name is __name__ or a label Strix sets itself
  };
  static constexpr uint32_t kNoPair = std::numeric_limits<uint32_t>::max();
  // Buffers above this are released after the post, so that one huge post does not pin
  // its memory in every worker.
  static constexpr size_t kRetainBytes = size_t{16} << 20;

  dom::parser json;
  std::string padded;  // the body plus SIMDJSON_PADDING zero bytes
  std::string compat;  // RewriteForPython output, padded likewise
  std::vector<char> stack;
  std::vector<Pair> pairs;
  std::vector<uint32_t> dense;                            // canonical decimal key -> index in pairs
  std::unordered_map<std::string_view, uint32_t> sparse;  // any other key -> index
  std::vector<uint32_t> ids;      // resolved pair indexes of all datapoints, in order
  std::vector<uint32_t> dp_ends;  // end of each datapoint's run in ids
  std::string scratch;            // sanitised names
  std::string number;             // a numeric string without underscores
  std::vector<MetaKey> meta_keys;
  std::unordered_map<std::string_view, uint32_t> key_ids;   // metadata key -> key_id
  std::unordered_map<std::string_view, uint32_t> name_ids;  // label name -> name_id
  // Per key_id and name_id: the last datapoint (index + 1) that used it; and for key_ids,
  // where in `meta` its pair is. Stamps spare clearing them per datapoint.
  std::vector<uint32_t> key_stamp;
  std::vector<uint32_t> key_slot;
  std::vector<uint32_t> name_stamp;
  std::vector<uint32_t> meta;  // the current datapoint's metadata pairs
  // Rank of every label name of the post in name order: the fixed names (__name__, then
  // kLabelRoles) and each name_id. Labels are handed to WriteBatch::StartSeries already in
  // order, so its sort costs n - 1 compares.
  uint32_t fixed_rank[2 + std::size(kLabelRoles)];  // ... and kHostLabel last
  std::vector<uint32_t> name_rank;
  std::vector<std::string_view> sorted_names;
  struct RankedLabel {
    uint32_t rank;
    std::string_view name;
    std::string_view value;
  };
  std::vector<RankedLabel> ranked;
  std::vector<LabelPair> labels;
  std::string_view metric;  // the current datapoint's pattoo_key, for its error
  uint32_t slots[kRoleCount];

  // Step 1 and 2: JSON, verdict. Returns the Status for Parse().
  Status ParseBody(std::string_view body, std::string_view source, dom::element* datapoints,
                   PattooParseStats* stats);
  // Step 3: the pair table and the structure; InvalidArgument when the post is dropped.
  Status IndexPairs(dom::element datapoints);
  uint32_t Resolve(dom::element id);
  // Step 4.
  void EmitDatapoints(const PattooParseOptions& options, storage::WriteBatch* batch,
                      PattooParseStats* stats);
  // Empty on success; else the reason the datapoint is rejected.
  std::string EmitOne(uint32_t index, uint32_t begin, uint32_t end, storage::WriteBatch* batch,
                      PattooParseStats* stats);
  // The sanitised form of `text` (a metric name or a label name) within `limit` bytes.
  Name MakeName(std::string_view text, bool metric_name, size_t limit);
  void FixName(Name* name) const {
    if (name->state == kNameInScratch) {
      name->text = std::string_view(scratch).substr(name->offset, name->size);
    }
  }
  void ReleaseIfLarge();
};

PattooParser::PattooParser(PattooParseOptions options)
    : options_(options), impl_(std::make_unique<Impl>()) {}

PattooParser::~PattooParser() = default;

Status PattooParser::Parse(std::string_view body, std::string_view source,
                           storage::WriteBatch* batch, PattooParseStats* stats) {
  *stats = PattooParseStats();
  dom::element datapoints;
  Status s = impl_->ParseBody(body, source, &datapoints, stats);
  if (s.ok()) {
    Status structure = impl_->IndexPairs(datapoints);
    if (structure.ok()) {
      impl_->EmitDatapoints(options_, batch, stats);
    } else {
      stats->post_error = std::move(structure);
    }
  } else {
    stats->post_error = s;
  }
  impl_->ReleaseIfLarge();
  return s;
}

Status PattooParser::Impl::ParseBody(std::string_view body, std::string_view source,
                                     dom::element* datapoints, PattooParseStats* stats) {
  // Flask reads a body that starts with a UTF-8 byte order mark as utf-8-sig.
  if (body.size() >= 3 && body.compare(0, 3, "\xEF\xBB\xBF") == 0) body.remove_prefix(3);
  padded.assign(body);
  padded.append(simdjson::SIMDJSON_PADDING, '\0');
  dom::element root;
  simdjson::error_code err = json.parse(padded.data(), body.size(), false).get(root);
  if (err != simdjson::SUCCESS && MayBePythonJson(err) && RewriteForPython(body, &compat, &stack)) {
    const size_t size = compat.size();
    compat.append(simdjson::SIMDJSON_PADDING, '\0');
    err = json.parse(compat.data(), size, false).get(root);
  }
  if (err != simdjson::SUCCESS) {
    stats->verdict = PattooVerdict::kNotJson;
    return Status::InvalidArgument("pattoo: body is not valid JSON", simdjson::error_message(err));
  }
  dom::object top;
  if (root.get_object().get(top) != simdjson::SUCCESS) {
    stats->verdict = PattooVerdict::kNotAnObject;
    return Status::InvalidArgument("pattoo: body is not a JSON object", Describe(root));
  }
  // Exactly pattoo_agent_id, pattoo_agent_polling_interval, pattoo_agent_timestamp and
  // pattoo_datapoints (CACHE_KEYS), each at least once; the last occurrence wins.
  constexpr std::string_view kCacheKeys[4] = {"pattoo_agent_id", "pattoo_agent_polling_interval",
                                              "pattoo_agent_timestamp", "pattoo_datapoints"};
  dom::element values[4];
  bool seen[4] = {false, false, false, false};
  for (dom::key_value_pair kv : top) {
    int which = -1;
    for (int k = 0; k < 4; ++k) {
      if (kv.key == kCacheKeys[k]) which = k;
    }
    if (which < 0) {
      stats->verdict = PattooVerdict::kWrongKeys;
      return Status::InvalidArgument("pattoo: unexpected top-level key", Quote(kv.key));
    }
    values[which] = kv.value;
    seen[which] = true;
  }
  for (int k = 0; k < 4; ++k) {
    if (!seen[k]) {
      stats->verdict = PattooVerdict::kWrongKeys;
      return Status::InvalidArgument("pattoo: missing top-level key", kCacheKeys[k]);
    }
  }
  std::string problem = CacheNameProblem(values[2], source);
  if (!problem.empty()) {
    stats->verdict = PattooVerdict::kBadCacheName;
    return Status::InvalidArgument("pattoo: pattoo could not create its cache file", problem);
  }
  *datapoints = values[3];
  return Status::Ok();
}

Status PattooParser::Impl::IndexPairs(dom::element datapoints) {
  auto invalid = [](std::string_view what, std::string_view context = {}) {
    return Status::InvalidArgument(std::string("pattoo: post dropped: ") + std::string(what),
                                   context);
  };
  dom::object dp;
  if (datapoints.get_object().get(dp) != simdjson::SUCCESS) {
    return invalid("pattoo_datapoints is not an object", Describe(datapoints));
  }
  dom::element kvp_el;
  dom::element dpp_el;
  bool have_kvp = false;
  bool have_dpp = false;
  for (dom::key_value_pair kv : dp) {
    if (kv.key == "key_value_pairs") {
      kvp_el = kv.value;
      have_kvp = true;
    } else if (kv.key == "datapoint_pairs") {
      dpp_el = kv.value;
      have_dpp = true;
    } else {
      return invalid("unexpected key in pattoo_datapoints", Quote(kv.key));
    }
  }
  if (!have_kvp || !have_dpp) {
    return invalid("pattoo_datapoints needs key_value_pairs and datapoint_pairs");
  }
  dom::object kvp;
  if (kvp_el.get_object().get(kvp) != simdjson::SUCCESS) {
    return invalid("key_value_pairs is not an object", Describe(kvp_el));
  }
  dom::array dpp;
  if (dpp_el.get_array().get(dpp) != simdjson::SUCCESS) {
    return invalid("datapoint_pairs is not an array", Describe(dpp_el));
  }

  // The pair table: every entry classified once, its name sanitised once.
  pairs.clear();
  sparse.clear();
  scratch.clear();
  meta_keys.clear();
  key_ids.clear();
  name_ids.clear();
  dense.assign(kvp.size(), kNoPair);
  for (dom::key_value_pair kv : kvp) {
    Pair p;
    dom::array arr;
    if (kv.value.get_array().get(arr) != simdjson::SUCCESS || arr.size() != 2) {
      p.shape = Pair::kNotAPair;
    } else {
      auto it = arr.begin();
      dom::element key_el = *it;
      ++it;
      p.value = *it;
      if (key_el.get_string().get(p.key) != simdjson::SUCCESS) {
        p.shape = Pair::kNonStringKey;
      } else {
        p.role = ClassifyKey(p.key);
        std::string_view text;
        if (p.role == kRoleKey && p.value.get_string().get(text) == simdjson::SUCCESS) {
          p.metric = MakeName(text, true, storage::kMaxLabelValueBytes);
        } else if (p.role == kRoleMeta) {
          auto [it, inserted] = key_ids.emplace(p.key, static_cast<uint32_t>(meta_keys.size()));
          if (inserted) {
            meta_keys.emplace_back();
            meta_keys.back().name = MakeName(p.key, false, storage::kMaxLabelNameBytes);
          }
          p.key_id = it->second;
        }
      }
    }
    const uint32_t index = static_cast<uint32_t>(pairs.size());
    pairs.push_back(p);
    uint32_t n = 0;
    if (ParseCanonicalIndex(kv.key, &n) && n < dense.size()) {
      dense[n] = index;  // a repeated key: the last one wins
    } else {
      sparse[kv.key] = index;
    }
  }
  // scratch is complete: turn offsets into views, and number the distinct label names.
  for (Pair& p : pairs) FixName(&p.metric);
  for (MetaKey& k : meta_keys) {
    FixName(&k.name);
    k.name_id = name_ids.emplace(k.name.text, static_cast<uint32_t>(name_ids.size())).first->second;
    k.reserved_conflict = k.name.text == storage::kMetricNameLabel || k.name.text == kHostLabel;
    for (Role r : kLabelRoles)
      k.reserved_conflict = k.reserved_conflict || k.name.text == kRoleNames[r];
  }
  key_stamp.assign(meta_keys.size(), 0);
  key_slot.assign(meta_keys.size(), 0);
  name_stamp.assign(name_ids.size(), 0);
  sorted_names.clear();
  sorted_names.push_back(storage::kMetricNameLabel);
  for (Role r : kLabelRoles) sorted_names.push_back(kRoleNames[r]);
  sorted_names.push_back(kHostLabel);
  for (const auto& [name, id] : name_ids) sorted_names.push_back(name);
  std::sort(sorted_names.begin(), sorted_names.end());
  auto rank_of = [this](std::string_view name) {
    return static_cast<uint32_t>(std::lower_bound(sorted_names.begin(), sorted_names.end(), name) -
                                 sorted_names.begin());
  };
  fixed_rank[0] = rank_of(storage::kMetricNameLabel);
  for (size_t r = 0; r < std::size(kLabelRoles); ++r) {
    fixed_rank[r + 1] = rank_of(kRoleNames[kLabelRoles[r]]);
  }
  fixed_rank[1 + std::size(kLabelRoles)] = rank_of(kHostLabel);
  name_rank.assign(name_ids.size(), 0);
  for (const auto& [name, id] : name_ids) name_rank[id] = rank_of(name);

  // Every id of every datapoint must name a [key, value] pair, or pattoo drops the post.
  ids.clear();
  dp_ends.clear();
  uint32_t index = 0;
  for (dom::element d : dpp) {
    dom::array id_list;
    if (d.get_array().get(id_list) != simdjson::SUCCESS) {
      return invalid("datapoint is not an array of pair ids",
                     "datapoint " + std::to_string(index) + " is " + Describe(d));
    }
    for (dom::element id : id_list) {
      uint32_t p = Resolve(id);
      if (p == kNoPair) {
        return invalid("pair id not found in key_value_pairs",
                       "datapoint " + std::to_string(index) + ", id " + Describe(id));
      }
      if (pairs[p].shape == Pair::kNotAPair) {
        return invalid("key_value_pairs entry is not a [key, value] array",
                       "datapoint " + std::to_string(index) + ", id " + Describe(id));
      }
      ids.push_back(p);
    }
    dp_ends.push_back(static_cast<uint32_t>(ids.size()));
    ++index;
  }
  return Status::Ok();
}

PattooParser::Impl::Name PattooParser::Impl::MakeName(std::string_view text, bool metric_name,
                                                      size_t limit) {
  Name name;
  if (text.empty()) {
    name.state = kNameEmpty;
  } else if (!NeedsSanitising(text, metric_name)) {
    name.state = text.size() > limit ? kNameTooLong : kNameView;
    name.text = text;
  } else {
    const size_t start = scratch.size();
    AppendSanitised(text, metric_name, &scratch);
    const size_t size = scratch.size() - start;
    if (size > limit) {
      scratch.resize(start);
      name.state = kNameTooLong;
    } else {
      name.state = kNameInScratch;
      name.offset = static_cast<uint32_t>(start);
      name.size = static_cast<uint32_t>(size);
    }
  }
  return name;
}

// The pair that Python's key_value_pairs.get(str(id)) finds, or kNoPair. str() of an
// integer is its decimal form, of a string the string, of true/false/null "True", "False"
// and "None". Floats, arrays and objects never resolve (their repr() is not a key any
// agent writes).
uint32_t PattooParser::Impl::Resolve(dom::element id) {
  auto sparse_lookup = [this](std::string_view key) -> uint32_t {
    if (sparse.empty()) return kNoPair;
    auto it = sparse.find(key);
    return it == sparse.end() ? kNoPair : it->second;
  };
  switch (id.type()) {
    case dom::element_type::INT64: {
      int64_t i = 0;
      if (id.get_int64().get(i) != simdjson::SUCCESS) return kNoPair;
      if (i >= 0 && static_cast<uint64_t>(i) < dense.size()) return dense[static_cast<size_t>(i)];
      char buf[24];
      auto res = std::to_chars(buf, buf + sizeof buf, i);
      return sparse_lookup(std::string_view(buf, static_cast<size_t>(res.ptr - buf)));
    }
    case dom::element_type::UINT64: {  // above 2^63: never a dense index
      uint64_t u = 0;
      if (id.get_uint64().get(u) != simdjson::SUCCESS) return kNoPair;
      char buf[24];
      auto res = std::to_chars(buf, buf + sizeof buf, u);
      return sparse_lookup(std::string_view(buf, static_cast<size_t>(res.ptr - buf)));
    }
    case dom::element_type::STRING: {
      std::string_view s;
      if (id.get_string().get(s) != simdjson::SUCCESS) return kNoPair;
      uint32_t n = 0;
      if (ParseCanonicalIndex(s, &n) && n < dense.size()) return dense[n];
      return sparse_lookup(s);
    }
    case dom::element_type::BOOL: {
      bool b = false;
      if (id.get_bool().get(b) != simdjson::SUCCESS) return kNoPair;
      return sparse_lookup(b ? "True" : "False");
    }
    case dom::element_type::NULL_VALUE:
      return sparse_lookup("None");
    default:
      return kNoPair;
  }
}

void PattooParser::Impl::EmitDatapoints(const PattooParseOptions& options,
                                        storage::WriteBatch* batch, PattooParseStats* stats) {
  uint32_t begin = 0;
  for (size_t d = 0; d < dp_ends.size(); ++d) {
    const uint32_t end = dp_ends[d];
    ++stats->datapoints;
    metric = {};
    std::string error = EmitOne(static_cast<uint32_t>(d), begin, end, batch, stats);
    if (error.empty()) {
      ++stats->samples;
    } else {
      ++stats->rejected;
      if (stats->first_errors.size() < options.max_errors) {
        stats->first_errors.push_back(
            PattooDatapointError{static_cast<uint32_t>(d), Snippet(metric), std::move(error)});
      }
    }
    begin = end;
  }
}

std::string PattooParser::Impl::EmitOne(uint32_t index, uint32_t begin, uint32_t end,
                                        storage::WriteBatch* batch, PattooParseStats* stats) {
  const uint32_t stamp = index + 1;
  // The datapoint's pairs as a Python dict: for a repeated key the last pair wins.
  std::fill(std::begin(slots), std::end(slots), kNoPair);
  meta.clear();
  bool non_string_key = false;
  bool too_many = false;
  for (uint32_t k = begin; k < end; ++k) {
    const uint32_t p = ids[k];
    const Pair& pair = pairs[p];
    if (pair.shape == Pair::kNonStringKey) {
      non_string_key = true;
      continue;
    }
    if (pair.role != kRoleMeta) {
      slots[pair.role] = p;
      continue;
    }
    const uint32_t kid = pair.key_id;
    if (key_stamp[kid] == stamp) {
      meta[key_slot[kid]] = p;
    } else if (meta.size() < storage::kMaxLabelsPerSeries) {
      key_stamp[kid] = stamp;
      key_slot[kid] = static_cast<uint32_t>(meta.size());
      meta.push_back(p);
    } else {
      too_many = true;
    }
  }
  if (slots[kRoleKey] != kNoPair &&
      pairs[slots[kRoleKey]].value.get_string().get(metric) != simdjson::SUCCESS) {
    metric = {};
  }

  std::string missing;
  for (int r = kFirstRequired; r <= kLastRequired; ++r) {
    if (slots[r] == kNoPair) {
      if (!missing.empty()) missing += ", ";
      missing += kRoleNames[r];
    }
  }
  if (!missing.empty()) return "missing " + missing;
  if (non_string_key) return "a pair key is not a string";

  // pattoo_data_type and the value.
  const dom::element type_el = pairs[slots[kRoleDataType]].value;
  const DataType type = ReadDataType(type_el);
  if (type == kTypeInvalid) {
    return "pattoo_data_type " + Describe(type_el) + " is not 101, 99, 64, 32, 2 or null";
  }
  if (type == kTypeNone) return "pattoo_data_type is null (DATA_NONE): nothing to store";

  const dom::element value_el = pairs[slots[kRoleValue]].value;
  ValueKind kind = ValueKind::kGauge;
  storage::NumericValue value{.u = 0};
  std::string_view state;
  auto number_error = [&](NumberError e, std::string_view what) -> std::string {
    switch (e) {
      case NumberError::kNotFinite:
        return "pattoo_value " + Describe(value_el) + " is not finite";
      case NumberError::kOutOfRange:
        return "pattoo_value " + Describe(value_el) + " is out of range for " + std::string(what);
      case NumberError::kNegative:
        return "pattoo_value " + Describe(value_el) + " is negative: counters are >= 0";
      default:
        return "pattoo_value " + Describe(value_el) + " is not a number";
    }
  };
  if (type == kTypeFloat || type == kTypeInt) {
    double v = 0;
    switch (value_el.type()) {
      case dom::element_type::INT64: {
        int64_t i = 0;
        if (value_el.get_int64().get(i) != simdjson::SUCCESS)
          return number_error(NumberError::kNotNumber, "");
        v = static_cast<double>(i);
        break;
      }
      case dom::element_type::UINT64: {
        uint64_t u = 0;
        if (value_el.get_uint64().get(u) != simdjson::SUCCESS)
          return number_error(NumberError::kNotNumber, "");
        v = static_cast<double>(u);
        break;
      }
      case dom::element_type::DOUBLE:
        if (value_el.get_double().get(v) != simdjson::SUCCESS)
          return number_error(NumberError::kNotNumber, "");
        break;
      case dom::element_type::STRING: {
        std::string_view s;
        if (value_el.get_string().get(s) != simdjson::SUCCESS)
          return number_error(NumberError::kNotNumber, "");
        NumberError e = ParsePythonFloat(s, &number, &v);
        if (e != NumberError::kOk) return number_error(e, "a double");
        break;
      }
      default:
        return "pattoo_value " + Describe(value_el) + " is not a number";
    }
    if (!std::isfinite(v)) return number_error(NumberError::kNotFinite, "");
    value.f = v;
  } else if (type == kTypeCounter64 || type == kTypeCounter32) {
    kind = type == kTypeCounter64 ? ValueKind::kCounter64 : ValueKind::kCounter32;
    double v = 0;
    bool from_double = false;
    switch (value_el.type()) {
      case dom::element_type::UINT64:
        if (value_el.get_uint64().get(value.u) != simdjson::SUCCESS)
          return number_error(NumberError::kNotNumber, "");
        break;
      case dom::element_type::INT64: {
        int64_t i = 0;
        if (value_el.get_int64().get(i) != simdjson::SUCCESS)
          return number_error(NumberError::kNotNumber, "");
        if (i < 0) return number_error(NumberError::kNegative, "");
        value.u = static_cast<uint64_t>(i);
        break;
      }
      case dom::element_type::DOUBLE:
        if (value_el.get_double().get(v) != simdjson::SUCCESS)
          return number_error(NumberError::kNotNumber, "");
        from_double = true;
        break;
      case dom::element_type::STRING: {
        std::string_view s;
        if (value_el.get_string().get(s) != simdjson::SUCCESS)
          return number_error(NumberError::kNotNumber, "");
        NumberError e = ParseStringCounter(s, &number, &value.u);
        if (e == NumberError::kNotNumber) {
          e = ParsePythonFloat(s, &number, &v);
          from_double = true;
        }
        if (e != NumberError::kOk) return number_error(e, "a 64-bit counter");
        break;
      }
      default:
        return "pattoo_value " + Describe(value_el) + " is not a number";
    }
    if (from_double) {
      if (!std::isfinite(v)) return number_error(NumberError::kNotFinite, "");
      if (v < 0) return number_error(NumberError::kNegative, "");
      if (v >= 18446744073709551616.0)
        return number_error(NumberError::kOutOfRange, "a 64-bit counter");
      const double whole = std::trunc(v);
      if (whole != v) ++stats->truncated_counters;
      value.u = static_cast<uint64_t>(whole);
    }
  } else {  // kTypeString
    kind = ValueKind::kState;
    if (value_el.get_string().get(state) != simdjson::SUCCESS) {
      return "pattoo_value " + Describe(value_el) + " of a STRING datapoint is not a string";
    }
    if (state.size() > kPattooMaxStateBytes) {
      return "pattoo_value too long for a state: " + std::to_string(state.size()) +
             " bytes (limit " + std::to_string(kPattooMaxStateBytes) + ")";
    }
  }

  // pattoo_timestamp: integer milliseconds (an integral float is accepted).
  const dom::element ts_el = pairs[slots[kRoleTimestamp]].value;
  storage::Timestamp ts = 0;
  bool ts_ok = false;
  if (ts_el.type() == dom::element_type::INT64) {
    ts_ok = ts_el.get_int64().get(ts) == simdjson::SUCCESS;
  } else if (ts_el.type() == dom::element_type::DOUBLE) {
    double v = 0;
    if (ts_el.get_double().get(v) == simdjson::SUCCESS && std::trunc(v) == v &&
        v >= -9223372036854775808.0 && v < 9223372036854775808.0) {
      ts = static_cast<storage::Timestamp>(v);
      ts_ok = true;
    }
  }
  if (!ts_ok) {
    return "pattoo_timestamp " + Describe(ts_el) +
           " is not an integer number of milliseconds in the int64 range";
  }

  // Labels: __name__, the agent's identity, the checksum, then the metadata.
  const Pair& key_pair = pairs[slots[kRoleKey]];
  if (key_pair.value.type() != dom::element_type::STRING) {
    return "pattoo_key " + Describe(key_pair.value) + " is not a string";
  }
  if (key_pair.metric.state == kNameEmpty) return "pattoo_key is empty";
  if (key_pair.metric.state == kNameTooLong) {
    return "pattoo_key too long: the metric name is limited to " +
           std::to_string(storage::kMaxLabelValueBytes) + " bytes";
  }
  ranked.clear();
  ranked.push_back({fixed_rank[0], storage::kMetricNameLabel, key_pair.metric.text});
  size_t encoded = 0;
  auto account = [&encoded](std::string_view name, std::string_view value) {
    // varint lengths (at most 2 bytes each for names and values within the caps) + bytes
    encoded +=
        (name.size() < 128 ? 1 : 2) + name.size() + (value.size() < 128 ? 1 : 2) + value.size();
  };
  account(storage::kMetricNameLabel, key_pair.metric.text);
  for (size_t i = 0; i < std::size(kLabelRoles); ++i) {
    const Role r = kLabelRoles[i];
    const dom::element v = pairs[slots[r]].value;
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) {
      return std::string(kRoleNames[r]) + " " + Describe(v) + " is not a string";
    }
    if (s.size() > storage::kMaxLabelValueBytes) {
      return std::string(kRoleNames[r]) + " too long: " + std::to_string(s.size()) +
             " bytes (limit " + std::to_string(storage::kMaxLabelValueBytes) + ")";
    }
    if (s.empty()) continue;  // an empty label is no label
    ranked.push_back({fixed_rank[i + 1], kRoleNames[r], s});
    account(kRoleNames[r], s);
    if (r == kRolePolledTarget) {
      ranked.push_back({fixed_rank[1 + std::size(kLabelRoles)], kHostLabel, s});
      account(kHostLabel, s);
    }
  }
  if (too_many) {
    return "too many metadata keys: more than " + std::to_string(storage::kMaxLabelsPerSeries);
  }
  for (uint32_t m : meta) {
    const Pair& pair = pairs[m];
    const MetaKey& mk = meta_keys[pair.key_id];
    std::string_view v;
    // pattoo keeps only metadata whose value is a string (converter._keypairs).
    if (pair.value.get_string().get(v) != simdjson::SUCCESS) continue;
    if (mk.name.state == kNameEmpty) return "metadata key is empty";
    if (mk.name.state == kNameTooLong) {
      return "metadata key " + Quote(pair.key) + " too long: label names are limited to " +
             std::to_string(storage::kMaxLabelNameBytes) + " bytes";
    }
    if (v.size() > storage::kMaxLabelValueBytes) {
      return "metadata " + Quote(pair.key) + " value too long: " + std::to_string(v.size()) +
             " bytes (limit " + std::to_string(storage::kMaxLabelValueBytes) + ")";
    }
    // The reserved names always conflict (their label may be absent when its value is
    // empty); so does a label name an earlier metadata label of this datapoint has.
    if (mk.reserved_conflict || name_stamp[mk.name_id] == stamp) {
      return "metadata key " + Quote(pair.key) + " gives label name " + Quote(mk.name.text) +
             ", which is already used (after replacing characters)";
    }
    if (v.empty()) continue;
    name_stamp[mk.name_id] = stamp;
    ranked.push_back({name_rank[mk.name_id], mk.name.text, v});
    account(mk.name.text, v);
  }
  if (ranked.size() > storage::kMaxLabelsPerSeries) {
    return "too many labels: " + std::to_string(ranked.size()) + " (limit " +
           std::to_string(storage::kMaxLabelsPerSeries) + ")";
  }
  if (encoded > storage::kMaxLabelsEncodedBytes) {
    return "labels too large: " + std::to_string(encoded) + " encoded bytes (limit " +
           std::to_string(storage::kMaxLabelsEncodedBytes) + ")";
  }

  // Names are distinct here (conflicts were rejected), so ranks are too.
  for (size_t i = 1; i < ranked.size(); ++i) {
    const RankedLabel x = ranked[i];
    size_t j = i;
    for (; j > 0 && ranked[j - 1].rank > x.rank; --j) ranked[j] = ranked[j - 1];
    ranked[j] = x;
  }
  labels.clear();
  for (const RankedLabel& l : ranked) labels.emplace_back(l.name, l.value);
  batch->StartSeries(kind, labels, index);
  if (kind == ValueKind::kState) {
    batch->AddState(ts, state);
  } else {
    batch->AddNumeric(ts, value);
  }
  return {};
}

void PattooParser::Impl::ReleaseIfLarge() {
  if (padded.capacity() > kRetainBytes || compat.capacity() > kRetainBytes ||
      ids.capacity() * sizeof(uint32_t) > kRetainBytes) {
    json = dom::parser();
    padded = std::string();
    compat = std::string();
    stack = std::vector<char>();
    pairs = std::vector<Pair>();
    dense = std::vector<uint32_t>();
    sparse = std::unordered_map<std::string_view, uint32_t>();
    ids = std::vector<uint32_t>();
    dp_ends = std::vector<uint32_t>();
    scratch = std::string();
  }
}

// ---- PattooAgentApi --------------------------------------------------------------------

namespace {

int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoding as Werkzeug's url_unquote does it: invalid escapes stay as they are, and
// '+' is not a space in a path.
void PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 && HexValue(in[i + 2]) >= 0) {
      out->push_back(static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
      i += 2;
    } else {
      out->push_back(in[i]);
    }
  }
}

// Flask's Request.is_json: the media type (lower case, parameters dropped) is
// application/json or application/*+json.
bool IsJsonContentType(std::string_view ct) {
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && IsAsciiSpace(ct.front())) ct.remove_prefix(1);
  while (!ct.empty() && IsAsciiSpace(ct.back())) ct.remove_suffix(1);
  std::string mt(ct);
  for (char& c : mt) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (mt == "application/json") return true;
  return mt.size() > 17 && mt.compare(0, 12, "application/") == 0 &&
         mt.compare(mt.size() - 5, 5, "+json") == 0;
}

// Werkzeug upper-cases the method before matching.
bool MethodIs(std::string_view method, std::string_view lower) {
  return EqualsIgnoreCase(method, lower);
}

}  // namespace

PattooAgentApi::PattooAgentApi(PattooParseOptions options) : parser_(options) {}

PattooApiResponse PattooAgentApi::StorageFailureResponse() {
  return Answer(500, kInvalidDataBody, PattooRoute::kReceive);
}

PattooApiResponse PattooAgentApi::Handle(const PattooApiRequest& request,
                                         storage::WriteBatch* batch, PattooParseStats* stats) {
  *stats = PattooParseStats();
  std::string_view target = request.target;
  target = target.substr(0, target.find('?'));
  std::string path;
  PercentDecode(target, &path);
  std::string_view rest = path;
  if (rest.size() <= kPattooAgentApiPrefix.size() + 1 ||
      rest.compare(0, kPattooAgentApiPrefix.size(), kPattooAgentApiPrefix) != 0 ||
      rest[kPattooAgentApiPrefix.size()] != '/') {
    return Answer(404, kNotFoundBody, PattooRoute::kNotFound);
  }
  rest.remove_prefix(kPattooAgentApiPrefix.size() + 1);
  const std::string_view m = request.method;

  if (rest == "status") {
    if (MethodIs(m, "get") || MethodIs(m, "head")) {
      return Answer(200, kStatusBody, PattooRoute::kStatus);
    }
    if (MethodIs(m, "options")) return Answer(200, "", PattooRoute::kOptions, kStatusAllow);
    return Answer(405, kMethodNotAllowedBody, PattooRoute::kMethodNotAllowed, kStatusAllow);
  }
  if (rest == "key" || rest == "validation" || rest == "encrypted") {
    return Answer(404, kNotFoundBody, PattooRoute::kEncrypted);
  }
  constexpr std::string_view kReceive = "receive/";
  if (rest.size() <= kReceive.size() || rest.compare(0, kReceive.size(), kReceive) != 0 ||
      rest.find('/', kReceive.size()) != std::string_view::npos) {
    return Answer(404, kNotFoundBody, PattooRoute::kNotFound);
  }
  if (MethodIs(m, "options")) return Answer(200, "", PattooRoute::kOptions, kReceiveAllow);
  if (!MethodIs(m, "post")) {
    return Answer(405, kMethodNotAllowedBody, PattooRoute::kMethodNotAllowed, kReceiveAllow);
  }
  source_.assign(rest.substr(kReceive.size()));

  // Flask's request.json is None unless the Content-Type is JSON; pattoo answers 404 for a
  // body that is not a dict, and None is not one.
  if (!IsJsonContentType(request.content_type)) {
    stats->verdict = PattooVerdict::kNotAnObject;
    stats->post_error =
        Status::InvalidArgument("pattoo: Content-Type is not JSON", request.content_type);
    return Answer(404, kNotFoundBody, PattooRoute::kReceive);
  }
  parser_.Parse(request.body, source_, batch, stats).IgnoreError();  // verdict in *stats
  switch (stats->verdict) {
    case PattooVerdict::kAccepted: {
      PattooApiResponse r = Answer(200, kOkBody, PattooRoute::kReceive);
      r.store_batch = true;
      return r;
    }
    case PattooVerdict::kNotJson:
      return Answer(500, kInvalidFormatBody, PattooRoute::kReceive);
    case PattooVerdict::kNotAnObject:
      return Answer(404, kNotFoundBody, PattooRoute::kReceive);
    case PattooVerdict::kWrongKeys:
    case PattooVerdict::kBadCacheName:
      return Answer(500, kInvalidDataBody, PattooRoute::kReceive);
  }
  return Answer(500, kInvalidDataBody, PattooRoute::kReceive);
}

}  // namespace strix::ingest
