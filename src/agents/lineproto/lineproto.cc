// Line protocol encoder and strict decoder for the agent. See lineproto.h for the contract
// and docs/wire/line-protocol.md for the grammar, the limits and the error messages, which
// Decode reproduces so that the agent rejects exactly what strixd would.
//
// Decode reads one line at a time into a reused Point: measurement, tags, fields and the
// timestamp are all checked before the point is appended, so a line is all or nothing.
// Checks that depend on sanitised names (duplicate tag keys, __name__, name lengths, the
// encoded size of a series' labels) compute the sanitised form, as strixd stores it.
#include "agents/lineproto/lineproto.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <system_error>
#include <utility>

#include "core/coding.h"

namespace strix::agents::lineproto {
namespace {

constexpr std::string_view kMetricNameLabel = "__name__";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Appends `name` sanitised: one '_' per character outside [a-zA-Z0-9_] (plus ':' when
// `metric`), and per byte of an invalid sequence; a leading '_' before a leading digit.
void AppendSanitised(std::string* dst, std::string_view name, bool metric) {
  const size_t start = dst->size();
  const auto* p = reinterpret_cast<const unsigned char*>(name.data());
  size_t i = 0;
  while (i < name.size()) {
    const char c = static_cast<char>(p[i]);
    if (p[i] < 0x80) {
      dst->push_back((IsAlpha(c) || IsDigit(c) || c == '_' || (metric && c == ':')) ? c : '_');
      ++i;
      continue;
    }
    const size_t len = Utf8SequenceLength(name, i);
    dst->push_back('_');
    i += len == 0 ? 1 : len;
  }
  if (dst->size() > start && IsDigit((*dst)[start]))
    dst->insert(dst->begin() + static_cast<std::ptrdiff_t>(start), '_');
}

// The size of `name` after sanitising (which keeps ASCII bytes, turns each character into
// one byte, and adds one for a leading digit). `name` must be valid UTF-8.
size_t SanitisedSize(std::string_view name, bool digit_rule) {
  size_t n = 0;
  for (char c : name)
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++n;
  if (digit_rule && !name.empty() && IsDigit(name[0])) ++n;
  return n;
}

// ---- encoding ---------------------------------------------------------------------------

enum EscapeSet : uint8_t {
  kMeasurementEscapes,  // ',' ' ' '\'
  kKeyEscapes,          // ',' '=' ' ' '\'
  kStringEscapes,       // '"' '\'
};

bool NeedsEscape(char c, EscapeSet set) {
  switch (set) {
    case kMeasurementEscapes:
      return c == ',' || c == ' ' || c == '\\';
    case kKeyEscapes:
      return c == ',' || c == '=' || c == ' ' || c == '\\';
    case kStringEscapes:
      return c == '"' || c == '\\';
  }
  return false;
}

// Appends `s` with the bytes of `set` escaped and each '\n' replaced by `newline`.
void AppendEscaped(std::string* out, std::string_view s, EscapeSet set, char newline) {
  for (char c : s) {
    if (c == '\n') c = newline;
    if (NeedsEscape(c, set)) out->push_back('\\');
    out->push_back(c);
  }
}

void AppendFieldValue(std::string* out, const FieldValue& v) {
  char buf[32];
  switch (v.kind) {
    case ValueKind::kGauge: {
      auto r = std::to_chars(buf, buf + sizeof(buf), v.f);
      out->append(buf, r.ptr);
      return;
    }
    case ValueKind::kCounter: {
      auto r = std::to_chars(buf, buf + sizeof(buf), v.u);
      out->append(buf, r.ptr);
      out->push_back('u');
      return;
    }
    case ValueKind::kCounter32: {
      auto r = std::to_chars(buf, buf + sizeof(buf), v.u & 0xFFFFFFFFu);
      out->append(buf, r.ptr);
      out->append("u32");
      return;
    }
    case ValueKind::kDerive: {
      auto r = std::to_chars(buf, buf + sizeof(buf), v.i);
      out->append(buf, r.ptr);
      out->push_back('i');
      return;
    }
    case ValueKind::kState: {
      std::string_view s = v.s;
      if (s.size() > kMaxStateBytes) {
        size_t n = kMaxStateBytes;  // cut before a continuation byte: a whole character
        while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
        s = s.substr(0, n);
      }
      out->push_back('"');
      AppendEscaped(out, s, kStringEscapes, ' ');
      out->push_back('"');
      return;
    }
  }
}

// ---- decoding ---------------------------------------------------------------------------

constexpr std::string_view kBadValue =
    "invalid field value: expected a number, a quoted string, a boolean, or an integer with "
    "an i or u suffix";

// Scans from p to the first unescaped byte for which stop(c) holds (or end). A backslash
// escapes the next byte when that byte is in `set`; *escaped is then set.
template <typename Stop>
const char* ScanTo(const char* p, const char* end, Stop stop, EscapeSet set, bool* escaped) {
  while (p < end) {
    if (stop(*p)) break;
    if (*p == '\\' && p + 1 < end && NeedsEscape(p[1], set)) {
      *escaped = true;
      p += 2;
      continue;
    }
    ++p;
  }
  return p;
}

// Assigns [b, e) to *dst with the escapes of `set` removed.
void AssignUnescaped(std::string* dst, const char* b, const char* e, EscapeSet set, bool escaped) {
  if (!escaped) {
    dst->assign(b, e);
    return;
  }
  dst->clear();
  while (b < e) {
    if (*b == '\\' && b + 1 < e && NeedsEscape(b[1], set)) ++b;
    dst->push_back(*b++);
  }
}

inline int64_t FloorDiv(int64_t v, int64_t d) {
  int64_t q = v / d;
  if ((v % d) != 0 && v < 0) --q;
  return q;
}

// "-?[0-9]+" in full, magnitude at most `limit`. False on a syntax error, or with
// *overflow set when the digits are fine but the magnitude is too large.
bool ParseDecimal(const char* b, const char* e, uint64_t limit, bool* negative, uint64_t* out,
                  bool* overflow) {
  *negative = false;
  *overflow = false;
  if (b < e && *b == '-') {
    *negative = true;
    ++b;
  }
  if (b == e) return false;
  uint64_t v = 0;
  bool over = false;
  for (; b < e; ++b) {
    if (!IsDigit(*b)) return false;
    if (!over) {
      const auto d = static_cast<uint64_t>(*b - '0');
      if (__builtin_mul_overflow(v, uint64_t{10}, &v) || __builtin_add_overflow(v, d, &v) ||
          v > limit)
        over = true;
    }
  }
  if (over) {
    *overflow = true;
    return false;
  }
  *out = v;
  return true;
}

// -?(digits(.digits?)?|.digits)([eE][+-]?digits)?
bool IsFloatSyntax(const char* b, const char* e) {
  if (b < e && *b == '-') ++b;
  size_t digits = 0;
  while (b < e && IsDigit(*b)) ++b, ++digits;
  if (b < e && *b == '.') {
    ++b;
    while (b < e && IsDigit(*b)) ++b, ++digits;
  }
  if (digits == 0) return false;
  if (b < e && (*b == 'e' || *b == 'E')) {
    ++b;
    if (b < e && (*b == '+' || *b == '-')) ++b;
    size_t exp_digits = 0;
    while (b < e && IsDigit(*b)) ++b, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return b == e;
}

bool IsNanOrInf(std::string_view t) {
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
  if (t.size() != 3 && t.size() != 8) return false;
  std::string lower;
  for (char c : t) lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  return lower == "nan" || lower == "inf" || lower == "infinity";
}

size_t EncodedPairBytes(size_t name, size_t value) {
  return static_cast<size_t>(VarintLength(name)) + name + static_cast<size_t>(VarintLength(value)) +
         value;
}

// Decodes one text; members are reused from line to line.
class Decoder {
 public:
  Decoder(int64_t default_ts_ms, Precision precision)
      : default_ts_ms_(default_ts_ms), precision_(precision) {}

  // Parses one data line (no \n, no final \r; `first` is its first non-blank byte) into
  // point_. False with column_ and error_ set when the line is invalid.
  bool ParseLine(std::string_view line, size_t first);

  Point point_;
  uint32_t column_ = 0;
  std::string error_;

 private:
  bool Fail(const char* at, std::string message) {
    column_ = static_cast<uint32_t>(at - line_begin_) + 1;
    error_ = std::move(message);
    return false;
  }
  bool ParseMeasurement(const char*& p, const char* end);
  bool ParseTags(const char*& p, const char* end);
  bool ParseFields(const char*& p, const char* end);
  bool ParseFieldValue(const char*& p, const char* end, FieldValue* v);
  bool ParseTimestamp(const char*& p, const char* end);

  const int64_t default_ts_ms_;
  const Precision precision_;
  const char* line_begin_ = nullptr;
  size_t metric_prefix_size_ = 0;  // sanitised measurement + '_'
  size_t tags_encoded_bytes_ = 0;  // the sanitised tags as strixd encodes them
  std::string key_;
  std::string value_;
  // Sanitised tag keys of the line with their column, for the duplicate check.
  std::vector<std::pair<std::string, const char*>> tag_names_;
};

bool Decoder::ParseLine(std::string_view line, size_t first) {
  line_begin_ = line.data();
  point_.tags.clear();
  point_.fields.clear();
  const char* p = line.data() + first;
  const char* end = line.data() + line.size();
  while (end > p && IsBlank(end[-1])) --end;

  if (!ParseMeasurement(p, end)) return false;
  if (p < end && *p == ',' && !ParseTags(p, end)) return false;
  if (p == end) return Fail(p, "missing fields: expected a space, then field=value");
  while (p < end && *p == ' ') ++p;
  if (!ParseFields(p, end)) return false;
  return ParseTimestamp(p, end);
}

bool Decoder::ParseMeasurement(const char*& p, const char* end) {
  const char* begin = p;
  bool escaped = false;
  p = ScanTo(
      p, end, [](char c) { return c == ',' || c == ' '; }, kMeasurementEscapes, &escaped);
  if (p == begin) return Fail(begin, "missing measurement: a line must start with its name");
  AssignUnescaped(&point_.measurement, begin, p, kMeasurementEscapes, escaped);
  if (!IsValidUtf8(point_.measurement)) return Fail(begin, "measurement is not valid UTF-8");
  const size_t sanitised = SanitisedSize(point_.measurement, /*digit_rule=*/true);
  metric_prefix_size_ = sanitised + 1;
  if (metric_prefix_size_ >= kMaxNameBytes) {
    return Fail(begin, "measurement too long: " + std::to_string(sanitised) +
                           " bytes (the metric name is limited to " +
                           std::to_string(kMaxNameBytes) + ")");
  }
  return true;
}

bool Decoder::ParseTags(const char*& p, const char* end) {
  tag_names_.clear();
  while (p < end && *p == ',') {
    ++p;
    const char* key_begin = p;
    bool key_escaped = false;
    p = ScanTo(
        p, end, [](char c) { return c == ',' || c == '=' || c == ' '; }, kKeyEscapes, &key_escaped);
    if (p == key_begin) {
      return Fail(key_begin, p < end && *p == '=' ? "empty tag key"
                                                  : "invalid tag: expected tag=value after ','");
    }
    if (p == end || *p != '=')
      return Fail(key_begin, "invalid tag: expected '=' after the tag key");
    const char* key_end = p++;
    const char* value_begin = p;
    bool value_escaped = false;
    p = ScanTo(
        p, end, [](char c) { return c == ',' || c == ' '; }, kKeyEscapes, &value_escaped);

    AssignUnescaped(&key_, key_begin, key_end, kKeyEscapes, key_escaped);
    if (!IsValidUtf8(key_)) return Fail(key_begin, "tag key is not valid UTF-8");
    std::string name;
    AppendSanitised(&name, key_, /*metric=*/false);
    if (name == kMetricNameLabel)
      return Fail(key_begin, "tag key __name__ is reserved for the metric name");
    if (name.size() > kMaxLabelNameBytes) {
      return Fail(key_begin, "tag key too long: " + std::to_string(name.size()) + " bytes (limit " +
                                 std::to_string(kMaxLabelNameBytes) + ")");
    }
    AssignUnescaped(&value_, value_begin, p, kKeyEscapes, value_escaped);
    if (!IsValidUtf8(value_)) return Fail(value_begin, "tag value is not valid UTF-8");
    if (value_.size() > kMaxNameBytes) {
      return Fail(value_begin, "tag value too long: " + std::to_string(value_.size()) +
                                   " bytes (limit " + std::to_string(kMaxNameBytes) + ")");
    }
    if (value_.empty()) continue;  // an empty value is the same as no label
    if (point_.tags.size() == kMaxTags)
      return Fail(key_begin, "too many tags: more than " + std::to_string(kMaxTags));
    point_.tags.emplace_back(key_, value_);
    tag_names_.emplace_back(std::move(name), key_begin);
  }
  // Duplicates after sanitising: the later one (in the line) is named.
  std::vector<size_t> order(tag_names_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [this](size_t a, size_t b) {
    return tag_names_[a].first < tag_names_[b].first ||
           (tag_names_[a].first == tag_names_[b].first && a < b);
  });
  tags_encoded_bytes_ = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const auto& [name, column] = tag_names_[order[k]];
    if (k > 0 && tag_names_[order[k - 1]].first == name)
      return Fail(column, "duplicate tag key \"" + name + "\" (after replacing characters)");
    tags_encoded_bytes_ += EncodedPairBytes(name.size(), point_.tags[order[k]].second.size());
  }
  return true;
}

bool Decoder::ParseFields(const char*& p, const char* end) {
  while (true) {
    const char* key_begin = p;
    if (point_.fields.size() == kMaxFieldsPerLine)
      return Fail(key_begin, "too many fields: more than " + std::to_string(kMaxFieldsPerLine));
    bool escaped = false;
    p = ScanTo(
        p, end, [](char c) { return c == ',' || c == '=' || c == ' '; }, kKeyEscapes, &escaped);
    if (p == end || *p != '=') {
      return Fail(key_begin, p == key_begin ? "invalid field: expected field=value"
                                            : "invalid field: expected '=' after the field key");
    }
    if (p == key_begin) return Fail(key_begin, "empty field key");
    const char* key_end = p++;

    Field& f = point_.fields.emplace_back();
    AssignUnescaped(&f.key, key_begin, key_end, kKeyEscapes, escaped);
    if (!IsValidUtf8(f.key)) return Fail(key_begin, "field key is not valid UTF-8");
    const size_t metric_size = metric_prefix_size_ + SanitisedSize(f.key, /*digit_rule=*/false);
    if (metric_size > kMaxNameBytes) {
      return Fail(key_begin, "metric name too long: " + std::to_string(metric_size) +
                                 " bytes (limit " + std::to_string(kMaxNameBytes) + ")");
    }
    const size_t encoded =
        tags_encoded_bytes_ + EncodedPairBytes(kMetricNameLabel.size(), metric_size);
    if (encoded > kMaxLabelsEncodedBytes) {
      return Fail(key_begin, "labels too large: " + std::to_string(encoded) +
                                 " encoded bytes (limit " + std::to_string(kMaxLabelsEncodedBytes) +
                                 ")");
    }
    if (!ParseFieldValue(p, end, &f.value)) return false;
    if (p == end || *p == ' ') return true;
    ++p;  // ','
  }
}

bool Decoder::ParseFieldValue(const char*& p, const char* end, FieldValue* v) {
  const char* begin = p;
  if (p < end && *p == '"') {
    const char* q = ++p;
    bool escaped = false;
    while (q < end && *q != '"') {
      if (*q == '\\' && q + 1 < end && NeedsEscape(q[1], kStringEscapes)) {
        escaped = true;
        q += 2;
      } else {
        ++q;
      }
    }
    if (q == end)
      return Fail(begin, "unterminated string field value: expected a closing double quote");
    const char* s_begin = p;
    p = q + 1;
    if (p < end && *p != ',' && *p != ' ') {
      return Fail(p,
                  "unexpected text after a string field value: expected ',', a space or the "
                  "end of the line");
    }
    v->kind = ValueKind::kState;
    AssignUnescaped(&v->s, s_begin, q, kStringEscapes, escaped);
    if (v->s.size() > kMaxStateBytes) {
      return Fail(begin, "string field value too long: " + std::to_string(v->s.size()) +
                             " bytes (limit " + std::to_string(kMaxStateBytes) + ")");
    }
    if (!IsValidUtf8(v->s)) return Fail(begin, "string field value is not valid UTF-8");
    return true;
  }

  while (p < end && *p != ',' && *p != ' ') ++p;
  const std::string_view token(begin, static_cast<size_t>(p - begin));
  if (token.empty()) return Fail(begin, std::string(kBadValue));
  const char c = token[0];
  if (c == 't' || c == 'T' || c == 'f' || c == 'F') {
    if (token == "t" || token == "T" || token == "true" || token == "True" || token == "TRUE") {
      *v = FieldValue::Gauge(1.0);
    } else if (token == "f" || token == "F" || token == "false" || token == "False" ||
               token == "FALSE") {
      *v = FieldValue::Gauge(0.0);
    } else {
      return Fail(begin, std::string(kBadValue));
    }
    return true;
  }
  if (!(c == '-' || c == '.' || IsDigit(c))) {
    if (IsNanOrInf(token))
      return Fail(begin, "invalid field value: NaN and infinity are not accepted");
    return Fail(begin, std::string(kBadValue));
  }
  const char* tb = token.data();
  const char* te = tb + token.size();
  bool negative = false, overflow = false;
  uint64_t magnitude = 0;
  if (token.back() == 'i') {
    if (!ParseDecimal(tb, te - 1, uint64_t{1} << 63, &negative, &magnitude, &overflow) ||
        (!negative && magnitude == (uint64_t{1} << 63))) {
      if (overflow || magnitude == (uint64_t{1} << 63)) {
        return Fail(begin,
                    "integer field value out of range: an i value must fit in a signed 64-bit "
                    "integer");
      }
      return Fail(begin, std::string(kBadValue));
    }
    *v = FieldValue::Derive(static_cast<int64_t>(negative ? uint64_t{0} - magnitude : magnitude));
    return true;
  }
  if (token.size() > 3 && token.ends_with("u32")) {
    if (!ParseDecimal(tb, te - 3, 0xFFFFFFFFu, &negative, &magnitude, &overflow)) {
      if (overflow) {
        return Fail(begin, "u32 field value out of range: a 32-bit counter must be below 2^32");
      }
      return Fail(begin, std::string(kBadValue));
    }
    if (negative) return Fail(begin, "u32 field value is negative: a counter must be >= 0");
    *v = FieldValue::Counter32(static_cast<uint32_t>(magnitude));
    return true;
  }
  if (token.back() == 'u') {
    if (!ParseDecimal(tb, te - 1, std::numeric_limits<uint64_t>::max(), &negative, &magnitude,
                      &overflow)) {
      if (overflow) {
        return Fail(begin,
                    "unsigned field value out of range: a u value must fit in an unsigned "
                    "64-bit integer");
      }
      return Fail(begin, std::string(kBadValue));
    }
    if (negative) return Fail(begin, "unsigned field value is negative: a u value must be >= 0");
    *v = FieldValue::Counter(magnitude);
    return true;
  }
  if (!IsFloatSyntax(tb, te)) {
    if (IsNanOrInf(token))
      return Fail(begin, "invalid field value: NaN and infinity are not accepted");
    return Fail(begin, std::string(kBadValue));
  }
  double d = 0;
  auto [ptr, ec] = std::from_chars(tb, te, d);
  if (ec == std::errc::result_out_of_range) {
    // Overflow and underflow look alike here; strtod tells them apart (a value below the
    // smallest subnormal becomes 0).
    value_.assign(tb, te);
    d = std::strtod(value_.c_str(), nullptr);
    if (std::isinf(d)) {
      return Fail(begin,
                  "float field value out of range: its magnitude exceeds the largest double "
                  "(about 1.8e308)");
    }
  } else if (ec != std::errc() || ptr != te) {
    return Fail(begin, std::string(kBadValue));
  }
  *v = FieldValue::Gauge(d);
  return true;
}

bool Decoder::ParseTimestamp(const char*& p, const char* end) {
  while (p < end && *p == ' ') ++p;
  if (p == end) {
    point_.timestamp_ms = default_ts_ms_;
    return true;
  }
  const char* begin = p;
  while (p < end && !IsBlank(*p)) ++p;
  const char* token_end = p;
  bool negative = false, overflow = false;
  uint64_t magnitude = 0;
  if (!ParseDecimal(begin, token_end, uint64_t{1} << 63, &negative, &magnitude, &overflow) ||
      (!negative && magnitude == (uint64_t{1} << 63))) {
    if (overflow || magnitude == (uint64_t{1} << 63))
      return Fail(begin, "timestamp out of range: it must fit in a signed 64-bit integer");
    return Fail(begin, "invalid timestamp: expected an integer (" +
                           std::string(PrecisionName(precision_)) + " since the epoch)");
  }
  while (p < end && IsBlank(*p)) ++p;
  if (p != end) return Fail(p, "unexpected text after the timestamp");

  const int64_t t =
      negative ? static_cast<int64_t>(uint64_t{0} - magnitude) : static_cast<int64_t>(magnitude);
  int64_t factor = 1;
  switch (precision_) {
    case Precision::kNanoseconds:
      point_.timestamp_ms = FloorDiv(t, 1'000'000);
      return true;
    case Precision::kMicroseconds:
      point_.timestamp_ms = FloorDiv(t, 1'000);
      return true;
    case Precision::kMilliseconds:
      point_.timestamp_ms = t;
      return true;
    case Precision::kSeconds:
      factor = 1'000;
      break;
    case Precision::kMinutes:
      factor = 60'000;
      break;
    case Precision::kHours:
      factor = 3'600'000;
      break;
  }
  if (__builtin_mul_overflow(t, factor, &point_.timestamp_ms)) {
    return Fail(begin, "timestamp out of range: " + std::string(begin, token_end) + " " +
                           std::string(PrecisionName(precision_)) +
                           " does not fit in a signed 64-bit number of milliseconds");
  }
  return true;
}

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 32)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (s.size() > 32) out += "...";
  return out;
}

}  // namespace

Result<Precision> ParsePrecision(std::string_view name) {
  if (name.empty() || name == "ns" || name == "n") return Precision::kNanoseconds;
  if (name == "us" || name == "u") return Precision::kMicroseconds;
  if (name == "ms") return Precision::kMilliseconds;
  if (name == "s") return Precision::kSeconds;
  if (name == "m") return Precision::kMinutes;
  if (name == "h") return Precision::kHours;
  return Status::InvalidArgument("unknown precision \"" + Printable(name) +
                                 "\": expected ns, us, ms or s (or n, u, m, h)");
}

std::string_view PrecisionName(Precision p) {
  switch (p) {
    case Precision::kNanoseconds:
      return "ns";
    case Precision::kMicroseconds:
      return "us";
    case Precision::kMilliseconds:
      return "ms";
    case Precision::kSeconds:
      return "s";
    case Precision::kMinutes:
      return "m";
    case Precision::kHours:
      return "h";
  }
  return "?";
}

std::string SanitizeMetricName(std::string_view name) {
  std::string out;
  AppendSanitised(&out, name, /*metric=*/true);
  return out;
}

std::string SanitizeLabelName(std::string_view name) {
  std::string out;
  AppendSanitised(&out, name, /*metric=*/false);
  return out;
}

void Encode(const Point& p, std::string* out) {
  if (p.measurement.empty()) return;
  const size_t start = out->size();

  // The series key: measurement and tags.
  std::string_view m = p.measurement;
  if (m[0] == '#' || m[0] == '\t') {  // would start a comment, or be skipped as a blank
    out->push_back('_');
    m.remove_prefix(1);
  }
  AppendEscaped(out, m, kMeasurementEscapes, '_');
  for (const Tag& t : p.tags) {
    if (t.first.empty() || t.second.empty()) continue;
    out->push_back(',');
    AppendEscaped(out, t.first, kKeyEscapes, '_');
    out->push_back('=');
    AppendEscaped(out, t.second, kKeyEscapes, ' ');
  }
  const size_t key_size = out->size() - start;

  char ts[24];
  ts[0] = ' ';
  const auto ts_end = std::to_chars(ts + 1, ts + sizeof(ts), p.timestamp_ms).ptr;
  const size_t ts_size = static_cast<size_t>(ts_end - ts);
  if (key_size + 2 + ts_size > kMaxLineBytes) {  // not even one field "x=0" would fit
    out->resize(start);
    return;
  }

  size_t line_start = start;
  size_t fields_in_line = 0;
  std::string key_copy;  // made only when a point needs more than one line
  for (const Field& f : p.fields) {
    if (f.key.empty()) continue;
    if (f.value.kind == ValueKind::kGauge && !std::isfinite(f.value.f)) continue;
    const size_t field_start = out->size();
    out->push_back(fields_in_line == 0 ? ' ' : ',');
    AppendEscaped(out, f.key, kKeyEscapes, '_');
    out->push_back('=');
    AppendFieldValue(out, f.value);
    const size_t field_size = out->size() - field_start - 1;
    if (key_size + 1 + field_size + ts_size > kMaxLineBytes) {  // too long for any line
      out->resize(field_start);
      continue;
    }
    if (fields_in_line > 0 && (fields_in_line == kMaxFieldsPerLine ||
                               out->size() - line_start + ts_size > kMaxLineBytes)) {
      // Move this field to a new line with the same key and timestamp.
      std::string field(out->data() + field_start + 1, field_size);
      out->resize(field_start);
      out->append(ts, ts_size);
      out->push_back('\n');
      if (key_copy.empty()) key_copy.assign(out->data() + start, key_size);
      line_start = out->size();
      out->append(key_copy);
      out->push_back(' ');
      out->append(field);
      fields_in_line = 1;
      continue;
    }
    ++fields_in_line;
  }
  if (fields_in_line == 0) {  // the current line has no field: drop its key
    out->resize(line_start);
    return;
  }
  out->append(ts, ts_size);
  out->push_back('\n');
}

Status Decode(std::string_view text, int64_t default_ts_ms, Precision precision,
              std::vector<Point>* out, DecodeStats* stats) {
  *stats = DecodeStats();
  if (static_cast<uint8_t>(precision) > static_cast<uint8_t>(Precision::kHours)) {
    return Status::InvalidArgument("line protocol: unknown precision value",
                                   std::to_string(static_cast<int>(precision)));
  }
  Decoder d(default_ts_ms, precision);
  const char* p = text.data();
  const char* const end = p + text.size();
  uint64_t line_no = 0;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* line_end = nl != nullptr ? nl : end;
    std::string_view line(p, static_cast<size_t>(line_end - p));
    p = nl != nullptr ? nl + 1 : end;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = 0;
    while (first < line.size() && IsBlank(line[first])) ++first;
    if (first == line.size() || line[first] == '#') continue;  // blank line or comment
    ++stats->lines;

    bool ok;
    if (line.size() > kMaxLineBytes) {
      d.column_ = static_cast<uint32_t>(kMaxLineBytes) + 1;
      d.error_ = "line too long: " + std::to_string(line.size()) + " bytes (limit " +
                 std::to_string(kMaxLineBytes) + ")";
      ok = false;
    } else {
      ok = d.ParseLine(line, first);
    }
    if (!ok) {
      ++stats->rejected_lines;
      if (stats->first_errors.size() < kMaxErrorsKept) {
        stats->first_errors.push_back("line " + std::to_string(line_no) + ", column " +
                                      std::to_string(d.column_) + ": " + d.error_);
      }
      continue;
    }
    out->push_back(std::move(d.point_));
    d.point_ = Point();
    ++stats->points;
  }
  return Status::Ok();
}

}  // namespace strix::agents::lineproto
