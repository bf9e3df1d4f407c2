// Line protocol parser: one pass over each line with string_views, byte classes from a
// table, escapes and name sanitising into a reused scratch buffer only when needed. See
// line_protocol.h for the contract and docs/wire/line-protocol.md for the format.
//
// A line is parsed completely (measurement, tags, fields, timestamp) into tags_ and
// fields_ before anything reaches the batch; only a fully valid line is emitted, which
// makes a line all or nothing without undoing anything.
#include "ingest/line_protocol/line_protocol.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>

#include "core/coding.h"
#include "storage/labels.h"

namespace strix::ingest {
namespace {

using storage::ValueKind;

// Byte classes.
enum : uint16_t {
  kMeasurementStop = 1 << 0,    // ',' ' ': ends a measurement
  kKeyStop = 1 << 1,            // ',' '=' ' ': ends a tag key or a field key
  kTagValueStop = 1 << 2,       // ',' ' ': ends a tag value
  kMeasurementEscape = 1 << 3,  // ',' ' ' '\': what a backslash escapes in a measurement
  kKeyEscape = 1 << 4,          // ',' '=' ' ' '\': in tag keys, tag values, field keys
  kStringEscape = 1 << 5,       // '"' '\': in string field values
  kLabelChar = 1 << 6,          // [a-zA-Z0-9_]
  kMetricChar = 1 << 7,         // [a-zA-Z0-9_:]
  kDigit = 1 << 8,              // [0-9]
  kValueStop = 1 << 9,          // ',' ' ': ends an unquoted field value
};

struct ClassTable {
  uint16_t c[256] = {};
  constexpr ClassTable() {
    for (int i = 0; i < 256; ++i) {
      bool alpha = (i >= 'a' && i <= 'z') || (i >= 'A' && i <= 'Z');
      bool digit = i >= '0' && i <= '9';
      if (alpha || digit || i == '_') c[i] |= kLabelChar | kMetricChar;
      if (i == ':') c[i] |= kMetricChar;
      if (digit) c[i] |= kDigit;
    }
    const uint16_t separator =
        kMeasurementStop | kKeyStop | kTagValueStop | kMeasurementEscape | kKeyEscape | kValueStop;
    Add(',', separator);
    Add(' ', separator);
    Add('=', kKeyStop | kKeyEscape);
    Add('\\', kMeasurementEscape | kKeyEscape | kStringEscape);
    Add('"', kStringEscape);
  }
  constexpr void Add(char ch, uint16_t bits) { c[static_cast<unsigned char>(ch)] |= bits; }
};
constexpr ClassTable kClass;

inline uint16_t ClassOf(char c) { return kClass.c[static_cast<unsigned char>(c)]; }
inline bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Returns the first byte at or after p that is in class `stop` and not escaped (or end).
// A backslash escapes the next byte when that byte is in class `escape`; *has_escape is
// then set. Any other backslash is an ordinary byte.
inline const char* ScanTo(const char* p, const char* end, uint16_t stop, uint16_t escape,
                          bool* has_escape) {
  while (p < end) {
    uint16_t cls = ClassOf(*p);
    if (cls & stop) break;
    if (*p == '\\' && p + 1 < end && (ClassOf(p[1]) & escape)) {
      *has_escape = true;
      p += 2;
      continue;
    }
    ++p;
  }
  return p;
}

// Appends [b, e) to dst with escapes removed (a backslash before a byte of class
// `escape` is dropped; any other backslash is kept).
void AppendUnescaped(std::string* dst, const char* b, const char* e, uint16_t escape) {
  while (b < e) {
    const char* bs = static_cast<const char*>(std::memchr(b, '\\', static_cast<size_t>(e - b)));
    if (bs == nullptr) {
      dst->append(b, e);
      return;
    }
    dst->append(b, bs);
    if (bs + 1 < e && (ClassOf(bs[1]) & escape)) {
      dst->push_back(bs[1]);
      b = bs + 2;
    } else {
      dst->push_back('\\');
      b = bs + 1;
    }
  }
}

// Whether the name in [b, e) is already a valid name (no escape, every byte allowed, no
// leading digit when `digit_rule`), so that it can be used as a view of the body.
inline bool NameIsClean(const char* b, const char* e, uint16_t allowed, bool digit_rule) {
  if (digit_rule && b < e && (ClassOf(*b) & kDigit)) return false;
  for (; b < e; ++b)
    if (!(ClassOf(*b) & allowed)) return false;
  return true;
}

// Appends the name in [b, e) to dst unescaped, with every character outside `allowed`
// replaced by '_' (one '_' per UTF-8 character, not per byte) and, when `digit_rule`, a
// '_' in front if it would start with a digit. False when the bytes are not valid UTF-8.
bool AppendSanitisedName(std::string* dst, const char* b, const char* e, uint16_t escape,
                         uint16_t allowed, bool digit_rule) {
  // Unescaping only drops a backslash before an ASCII byte, so the raw bytes are valid
  // UTF-8 exactly when the unescaped ones are.
  for (const char* q = b; q < e; ++q) {
    if (static_cast<unsigned char>(*q) >= 0x80) {
      if (!storage::IsValidUtf8(std::string_view(b, static_cast<size_t>(e - b)))) return false;
      break;
    }
  }
  size_t start = dst->size();
  while (b < e) {
    unsigned char c = static_cast<unsigned char>(*b);
    if (c == '\\' && b + 1 < e && (ClassOf(b[1]) & escape)) {
      c = static_cast<unsigned char>(b[1]);
      b += 2;
    } else {
      ++b;
    }
    if (c >= 0x80) {
      if ((c & 0xc0) == 0x80) continue;  // continuation byte: same character
      dst->push_back('_');
    } else {
      dst->push_back((ClassOf(static_cast<char>(c)) & allowed) ? static_cast<char>(c) : '_');
    }
  }
  if (digit_rule && dst->size() > start && (ClassOf((*dst)[start]) & kDigit))
    dst->insert(dst->begin() + static_cast<std::ptrdiff_t>(start), '_');
  return true;
}

// Floor division for the timestamp conversions (rounds toward minus infinity).
inline int64_t FloorDiv(int64_t v, int64_t d) {
  int64_t q = v / d;
  if ((v % d) != 0 && v < 0) --q;
  return q;
}

// Parses "-?[0-9]+" in full into a magnitude; false on any other byte or when the
// magnitude exceeds `limit` (*overflow is then set).
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
  for (; b < e; ++b) {
    if (!(ClassOf(*b) & kDigit)) return false;
    uint64_t d = static_cast<uint64_t>(*b - '0');
    if (__builtin_mul_overflow(v, uint64_t{10}, &v) || __builtin_add_overflow(v, d, &v) ||
        v > limit) {
      // Keep checking the syntax so that "12x" is a syntax error, not an overflow.
      for (++b; b < e; ++b)
        if (!(ClassOf(*b) & kDigit)) return false;
      *overflow = true;
      return false;
    }
  }
  *out = v;
  return true;
}

// Whether [b, e) matches -?(digits(.digits?)?|.digits)([eE][+-]?digits)?
bool IsFloatSyntax(const char* b, const char* e) {
  if (b < e && *b == '-') ++b;
  size_t int_digits = 0, frac_digits = 0;
  while (b < e && (ClassOf(*b) & kDigit)) ++b, ++int_digits;
  if (b < e && *b == '.') {
    ++b;
    while (b < e && (ClassOf(*b) & kDigit)) ++b, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return false;
  if (b < e && (*b == 'e' || *b == 'E')) {
    ++b;
    if (b < e && (*b == '+' || *b == '-')) ++b;
    size_t exp_digits = 0;
    while (b < e && (ClassOf(*b) & kDigit)) ++b, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return b == e;
}

// Whether the token spells a NaN or an infinity in one of the usual ways.
bool IsNanOrInf(std::string_view t) {
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
  if (t.size() != 3 && t.size() != 8) return false;
  std::string lower;
  for (char c : t) lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  return lower == "nan" || lower == "inf" || lower == "infinity";
}

constexpr std::string_view kBadValue =
    "invalid field value: expected a number, a quoted string, a boolean, or an integer with "
    "an i or u suffix";

// Largest number of tags: __name__ takes one of the kMaxLabelsPerSeries labels.
constexpr size_t kMaxTags = storage::kMaxLabelsPerSeries - 1;

size_t EncodedPairBytes(std::string_view name, std::string_view value) {
  return static_cast<size_t>(VarintLength(name.size())) + name.size() +
         static_cast<size_t>(VarintLength(value.size())) + value.size();
}

// Keeps an untrusted value readable in a message: at most 32 bytes, non-printable bytes
// shown as '?'.
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

Status ParseOptions::Validate() const {
  if (static_cast<uint8_t>(precision) > static_cast<uint8_t>(Precision::kHours))
    return Status::InvalidArgument("line protocol: unknown precision value",
                                   std::to_string(static_cast<int>(precision)));
  if (max_line_bytes == 0 || max_line_bytes > kMaxLineBytesLimit)
    return Status::InvalidArgument("line protocol: max_line_bytes must be 1 to 1 GiB",
                                   std::to_string(max_line_bytes));
  if (max_fields_per_line == 0)
    return Status::InvalidArgument("line protocol: max_fields_per_line must be at least 1");
  return Status::Ok();
}

std::string LineError::ToString() const {
  return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + message;
}

LineProtocolParser::LineProtocolParser(ParseOptions options) : options_(options) {}

std::string_view LineProtocolParser::Resolve(const Text& t) const {
  if (t.in_body) return std::string_view(t.data, t.size);
  return std::string_view(scratch_).substr(t.offset, t.size);
}

const LineProtocolParser::SeenLine* LineProtocolParser::FindLine(uint64_t hash) const {
  if (slots_.empty()) return nullptr;
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.generation != generation_) return nullptr;
    if (slot.hash != hash) continue;
    const SeenLine& line = seen_lines_[slot.line];
    if (line.key_size == series_key_.size() &&
        std::memcmp(line.key, series_key_.data(), line.key_size) == 0)
      return &line;
  }
}

bool LineProtocolParser::SameFields(const SeenLine& line) const {
  if (line.field_count != fields_.size()) return false;
  for (size_t k = 0; k < fields_.size(); ++k) {
    const SeenField& sf = seen_fields_[line.first_field + k];
    const Field& f = fields_[k];
    if (sf.kind != f.kind || sf.raw_key_size != f.raw_key_size ||
        std::memcmp(sf.raw_key, f.raw_key, f.raw_key_size) != 0)
      return false;
  }
  return true;
}

void LineProtocolParser::RememberLine(uint64_t hash, const SeenLine* existing,
                                      uint32_t first_series) {
  SeenLine line{series_key_.data(), static_cast<uint32_t>(series_key_.size()),
                static_cast<uint32_t>(seen_fields_.size()), static_cast<uint32_t>(fields_.size()),
                first_series};
  for (const Field& f : fields_)
    seen_fields_.push_back(SeenField{f.raw_key, f.raw_key_size, f.kind});
  if (existing != nullptr) {  // the key's fields changed: remember the newest layout
    seen_lines_[static_cast<size_t>(existing - seen_lines_.data())] = line;
    return;
  }
  if (seen_lines_.size() >= kMaxRememberedLines) return;
  if ((seen_lines_.size() + 1) * 2 > slots_.size()) {  // keep the load at most 1/2
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(std::max<size_t>(256, old.size() * 2), Slot{});
    const size_t mask = slots_.size() - 1;
    for (const Slot& e : old) {
      if (e.generation != generation_) continue;
      size_t i = e.hash & mask;
      while (slots_[i].generation == generation_) i = (i + 1) & mask;
      slots_[i] = e;
    }
  }
  const size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  while (slots_[i].generation == generation_) i = (i + 1) & mask;
  slots_[i] = Slot{generation_, hash, static_cast<uint32_t>(seen_lines_.size())};
  seen_lines_.push_back(line);
}

bool LineProtocolParser::Fail(const char* at, std::string message) {
  error_column_ = static_cast<uint32_t>(at - line_begin_) + 1;
  error_ = std::move(message);
  return false;
}

Status LineProtocolParser::Parse(std::string_view body, int64_t now_ms, storage::WriteBatch* batch,
                                 ParseStats* stats) {
  STRIX_RETURN_IF_ERROR(options_.Validate());
  stats->lines = 0;
  stats->samples = 0;
  stats->rejected_lines = 0;
  stats->first_errors.clear();
  ++generation_;  // forget the lines of the previous body (generation 0 is never used)
  seen_lines_.clear();
  seen_fields_.clear();

  const char* p = body.data();
  const char* const end = p + body.size();
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
    const uint32_t tag =
        static_cast<uint32_t>(std::min<uint64_t>(line_no, std::numeric_limits<uint32_t>::max()));

    storage::Timestamp ts = 0;
    bool ok;
    line_begin_ = line.data();
    if (line.size() > options_.max_line_bytes) {
      ok = Fail(line.data() + options_.max_line_bytes,
                "line too long: " + std::to_string(line.size()) + " bytes (limit " +
                    std::to_string(options_.max_line_bytes) + ")");
    } else {
      ok = ParseLine(line, first, now_ms, &ts);
    }
    if (!ok) {
      ++stats->rejected_lines;
      if (stats->first_errors.size() < options_.max_errors)
        stats->first_errors.push_back(LineError{tag, error_column_, std::move(error_)});
      continue;
    }

    // Emit: the line is valid, and scratch_ no longer grows, so views into it are stable.
    const uint64_t key_hash = storage::StableHash64(series_key_);
    const SeenLine* seen = FindLine(key_hash);
    if (seen != nullptr && SameFields(*seen)) {
      for (size_t k = 0; k < fields_.size(); ++k) {
        const Field& f = fields_[k];
        const uint32_t series = seen->first_series + static_cast<uint32_t>(k);
        if (f.kind == ValueKind::kState) {
          batch->AddStateTo(series, ts, Resolve(f.state), tag);
        } else {
          batch->AddNumericTo(series, ts, f.value, tag);
        }
      }
    } else {
      labels_.clear();
      labels_.emplace_back(storage::kMetricNameLabel, std::string_view());
      for (const Tag& t : tags_) labels_.emplace_back(Resolve(t.name), Resolve(t.value));
      uint32_t first_series = 0;
      for (size_t k = 0; k < fields_.size(); ++k) {
        const Field& f = fields_[k];
        metric_.assign(metric_prefix_);
        metric_.append(Resolve(f.key));
        labels_[0].second = metric_;
        const uint32_t series = batch->StartSeries(f.kind, labels_, tag);
        if (k == 0) first_series = series;
        if (f.kind == ValueKind::kState) {
          batch->AddState(ts, Resolve(f.state));
        } else {
          batch->AddNumeric(ts, f.value);
        }
      }
      RememberLine(key_hash, seen, first_series);
    }
    stats->samples += fields_.size();
  }
  batch->Seal();
  ++generation_;  // its views point into the body
  seen_lines_.clear();
  seen_fields_.clear();
  return Status::Ok();
}

bool LineProtocolParser::ParseLine(std::string_view line, size_t first, int64_t now_ms,
                                   storage::Timestamp* ts) {
  scratch_.clear();
  tags_.clear();
  fields_.clear();
  const char* p = line.data() + first;
  const char* end = line.data() + line.size();
  while (end > p && IsBlank(end[-1])) --end;  // trailing blanks

  const char* key_begin = p;
  if (!ParseMeasurement(p, end)) return false;
  if (p < end && *p == ',' && !ParseTags(p, end)) return false;
  series_key_ = std::string_view(key_begin, static_cast<size_t>(p - key_begin));
  // p is at the end of the line or at the space before the fields.
  if (p == end) return Fail(p, "missing fields: expected a space, then field=value");
  while (p < end && *p == ' ') ++p;
  if (!ParseFields(p, end)) return false;
  return ParseTimestamp(p, end, now_ms, ts);
}

bool LineProtocolParser::ParseMeasurement(const char*& p, const char* end) {
  const char* begin = p;
  bool has_escape = false;
  p = ScanTo(p, end, kMeasurementStop, kMeasurementEscape, &has_escape);
  if (p == begin) return Fail(begin, "missing measurement: a line must start with its name");
  metric_prefix_.clear();
  if (!has_escape && NameIsClean(begin, p, kMetricChar, /*digit_rule=*/true)) {
    metric_prefix_.assign(begin, p);
  } else if (!AppendSanitisedName(&metric_prefix_, begin, p, kMeasurementEscape, kMetricChar,
                                  /*digit_rule=*/true)) {
    return Fail(begin, "measurement is not valid UTF-8");
  }
  metric_prefix_.push_back('_');
  if (metric_prefix_.size() >= storage::kMaxLabelValueBytes)
    return Fail(begin, "measurement too long: " + std::to_string(metric_prefix_.size() - 1) +
                           " bytes (the metric name is limited to " +
                           std::to_string(storage::kMaxLabelValueBytes) + ")");
  return true;
}

bool LineProtocolParser::MakeLabelName(const char* begin, const char* end, bool has_escape,
                                       Text* out) {
  if (!has_escape && NameIsClean(begin, end, kLabelChar, /*digit_rule=*/true)) {
    *out = Text{begin, 0, static_cast<uint32_t>(end - begin), true};
    return true;
  }
  size_t offset = scratch_.size();
  if (!AppendSanitisedName(&scratch_, begin, end, kKeyEscape, kLabelChar, /*digit_rule=*/true))
    return false;
  *out = Text{nullptr, static_cast<uint32_t>(offset),
              static_cast<uint32_t>(scratch_.size() - offset), false};
  return true;
}

LineProtocolParser::Text LineProtocolParser::MakeText(const char* begin, const char* end,
                                                      bool has_escape, uint16_t escape) {
  if (!has_escape) return Text{begin, 0, static_cast<uint32_t>(end - begin), true};
  size_t offset = scratch_.size();
  AppendUnescaped(&scratch_, begin, end, escape);
  return Text{nullptr, static_cast<uint32_t>(offset),
              static_cast<uint32_t>(scratch_.size() - offset), false};
}

bool LineProtocolParser::ParseTags(const char*& p, const char* end) {
  size_t non_empty = 0;
  while (p < end && *p == ',') {
    ++p;
    const char* key_begin = p;
    bool key_escape = false;
    p = ScanTo(p, end, kKeyStop, kKeyEscape, &key_escape);
    if (p == key_begin) {
      return Fail(key_begin, p < end && *p == '=' ? "empty tag key"
                                                  : "invalid tag: expected tag=value after ','");
    }
    if (p == end || *p != '=')
      return Fail(key_begin, "invalid tag: expected '=' after the tag key");
    const char* key_end = p++;
    const char* value_begin = p;
    bool value_escape = false;
    p = ScanTo(p, end, kTagValueStop, kKeyEscape, &value_escape);

    Text name;
    if (!MakeLabelName(key_begin, key_end, key_escape, &name))
      return Fail(key_begin, "tag key is not valid UTF-8");
    std::string_view name_view = Resolve(name);
    if (name_view == storage::kMetricNameLabel)
      return Fail(key_begin, "tag key __name__ is reserved for the metric name");
    if (name_view.size() > storage::kMaxLabelNameBytes)
      return Fail(key_begin, "tag key too long: " + std::to_string(name_view.size()) +
                                 " bytes (limit " + std::to_string(storage::kMaxLabelNameBytes) +
                                 ")");
    Text value = MakeText(value_begin, p, value_escape, kKeyEscape);
    std::string_view value_view = Resolve(value);
    if (!storage::IsValidUtf8(value_view)) return Fail(value_begin, "tag value is not valid UTF-8");
    if (value_view.size() > storage::kMaxLabelValueBytes)
      return Fail(value_begin, "tag value too long: " + std::to_string(value_view.size()) +
                                   " bytes (limit " + std::to_string(storage::kMaxLabelValueBytes) +
                                   ")");
    if (value_view.empty()) continue;  // an empty value is the same as no label
    if (++non_empty > kMaxTags)
      return Fail(key_begin, "too many tags: more than " + std::to_string(kMaxTags));
    tags_.push_back(Tag{name, value, static_cast<uint32_t>(key_begin - line_begin_)});
  }
  // p is at the end or at an unescaped space (a tag value stops only at ',' or ' ').

  std::sort(tags_.begin(), tags_.end(), [this](const Tag& a, const Tag& b) {
    std::string_view an = Resolve(a.name), bn = Resolve(b.name);
    return an < bn || (an == bn && a.column < b.column);
  });
  tags_encoded_bytes_ = 0;
  for (size_t i = 0; i < tags_.size(); ++i) {
    std::string_view n = Resolve(tags_[i].name);
    if (i > 0 && Resolve(tags_[i - 1].name) == n) {
      return Fail(line_begin_ + tags_[i].column,
                  "duplicate tag key \"" + std::string(n) + "\" (after replacing characters)");
    }
    tags_encoded_bytes_ += EncodedPairBytes(n, Resolve(tags_[i].value));
  }
  return true;
}

bool LineProtocolParser::ParseFields(const char*& p, const char* end) {
  while (true) {
    const char* key_begin = p;
    if (fields_.size() == options_.max_fields_per_line) {
      return Fail(key_begin,
                  "too many fields: more than " + std::to_string(options_.max_fields_per_line));
    }
    bool key_escape = false;
    p = ScanTo(p, end, kKeyStop, kKeyEscape, &key_escape);
    if (p == end || *p != '=') {
      return Fail(key_begin, p == key_begin ? "invalid field: expected field=value"
                                            : "invalid field: expected '=' after the field key");
    }
    if (p == key_begin) return Fail(key_begin, "empty field key");
    const char* key_end = p++;

    Field f;
    f.raw_key = key_begin;
    f.raw_key_size = static_cast<uint32_t>(key_end - key_begin);
    // The metric name is metric_prefix_ + key; a clean key stays a view of the body.
    if (!key_escape && NameIsClean(key_begin, key_end, kMetricChar, /*digit_rule=*/false)) {
      f.key = Text{key_begin, 0, static_cast<uint32_t>(key_end - key_begin), true};
    } else {
      size_t offset = scratch_.size();
      if (!AppendSanitisedName(&scratch_, key_begin, key_end, kKeyEscape, kMetricChar,
                               /*digit_rule=*/false))
        return Fail(key_begin, "field key is not valid UTF-8");
      f.key = Text{nullptr, static_cast<uint32_t>(offset),
                   static_cast<uint32_t>(scratch_.size() - offset), false};
    }
    size_t metric_size = metric_prefix_.size() + f.key.size;
    if (metric_size > storage::kMaxLabelValueBytes) {
      return Fail(key_begin, "metric name too long: " + std::to_string(metric_size) +
                                 " bytes (limit " + std::to_string(storage::kMaxLabelValueBytes) +
                                 ")");
    }
    size_t encoded = tags_encoded_bytes_ +
                     static_cast<size_t>(VarintLength(storage::kMetricNameLabel.size())) +
                     storage::kMetricNameLabel.size() +
                     static_cast<size_t>(VarintLength(metric_size)) + metric_size;
    if (encoded > storage::kMaxLabelsEncodedBytes) {
      return Fail(key_begin, "labels too large: " + std::to_string(encoded) +
                                 " encoded bytes (limit " +
                                 std::to_string(storage::kMaxLabelsEncodedBytes) + ")");
    }

    if (!ParseFieldValue(p, end, &f)) return false;
    fields_.push_back(f);
    if (p == end || *p == ' ') return true;
    // *p == ','
    ++p;
  }
}

bool LineProtocolParser::ParseFieldValue(const char*& p, const char* end, Field* f) {
  const char* begin = p;
  if (p < end && *p == '"') {
    const char* q = ++p;
    bool has_escape = false;
    while (q < end && *q != '"') {
      if (*q == '\\' && q + 1 < end && (ClassOf(q[1]) & kStringEscape)) {
        has_escape = true;
        q += 2;
      } else {
        ++q;
      }
    }
    if (q == end)
      return Fail(begin, "unterminated string field value: expected a closing double quote");
    Text s = MakeText(p, q, has_escape, kStringEscape);
    p = q + 1;
    if (p < end && *p != ',' && *p != ' ') {
      return Fail(p,
                  "unexpected text after a string field value: expected ',', a space or the "
                  "end of the line");
    }
    std::string_view sv = Resolve(s);
    if (sv.size() > kMaxStateBytes) {
      return Fail(begin, "string field value too long: " + std::to_string(sv.size()) +
                             " bytes (limit " + std::to_string(kMaxStateBytes) + ")");
    }
    if (!storage::IsValidUtf8(sv)) return Fail(begin, "string field value is not valid UTF-8");
    f->kind = ValueKind::kState;
    f->state = s;
    f->value.u = 0;
    return true;
  }

  while (p < end && !(ClassOf(*p) & kValueStop)) ++p;
  std::string_view token(begin, static_cast<size_t>(p - begin));
  if (token.empty()) return Fail(begin, std::string(kBadValue));
  char c = token[0];
  if (c == 't' || c == 'T' || c == 'f' || c == 'F') {
    bool value;
    if (token == "t" || token == "T" || token == "true" || token == "True" || token == "TRUE") {
      value = true;
    } else if (token == "f" || token == "F" || token == "false" || token == "False" ||
               token == "FALSE") {
      value = false;
    } else {
      return Fail(begin, std::string(kBadValue));
    }
    f->kind = ValueKind::kGauge;
    f->value.f = value ? 1.0 : 0.0;
    return true;
  }
  if (!(c == '-' || c == '.' || (ClassOf(c) & kDigit))) {
    if (IsNanOrInf(token))
      return Fail(begin, "invalid field value: NaN and infinity are not accepted");
    return Fail(begin, std::string(kBadValue));
  }

  const char* tb = token.data();
  const char* te = tb + token.size();
  if (token.back() == 'i') {
    bool negative, overflow;
    uint64_t magnitude;
    if (!ParseDecimal(tb, te - 1, uint64_t{1} << 63, &negative, &magnitude, &overflow)) {
      if (overflow) {
        return Fail(begin,
                    "integer field value out of range: an i value must fit in a signed 64-bit "
                    "integer");
      }
      return Fail(begin, std::string(kBadValue));
    }
    if (!negative && magnitude == (uint64_t{1} << 63)) {
      return Fail(begin,
                  "integer field value out of range: an i value must fit in a signed 64-bit "
                  "integer");
    }
    f->kind = ValueKind::kDerive;
    // Modular negation, then the (C++20 well-defined) conversion: exact down to -2^63.
    f->value.i = static_cast<int64_t>(negative ? uint64_t{0} - magnitude : magnitude);
    return true;
  }
  if (token.size() > 3 && token.ends_with("u32")) {
    // Strix's extension for 32-bit counters (SNMP Counter32): rates tell wraps at 2^32.
    bool negative, overflow;
    uint64_t magnitude;
    if (!ParseDecimal(tb, te - 3, 0xFFFFFFFFu, &negative, &magnitude, &overflow)) {
      if (overflow) {
        return Fail(begin, "u32 field value out of range: a 32-bit counter must be below 2^32");
      }
      return Fail(begin, std::string(kBadValue));
    }
    if (negative) return Fail(begin, "u32 field value is negative: a counter must be >= 0");
    f->kind = ValueKind::kCounter32;
    f->value.u = magnitude;
    return true;
  }
  if (token.back() == 'u') {
    bool negative, overflow;
    uint64_t magnitude;
    if (!ParseDecimal(tb, te - 1, std::numeric_limits<uint64_t>::max(), &negative, &magnitude,
                      &overflow)) {
      if (overflow) {
        return Fail(begin,
                    "unsigned field value out of range: a u value must fit in an unsigned 64-bit "
                    "integer");
      }
      return Fail(begin, std::string(kBadValue));
    }
    if (negative) return Fail(begin, "unsigned field value is negative: a u value must be >= 0");
    f->kind = ValueKind::kCounter64;
    f->value.u = magnitude;
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
    // from_chars reports underflow and overflow alike; strtod tells them apart (a value
    // below the smallest subnormal becomes 0, as in InfluxDB).
    number_buf_.assign(tb, te);
    errno = 0;
    d = std::strtod(number_buf_.c_str(), nullptr);
    if (std::isinf(d)) {
      return Fail(begin,
                  "float field value out of range: its magnitude exceeds the largest "
                  "double (about 1.8e308)");
    }
  } else if (ec != std::errc() || ptr != te) {
    return Fail(begin, std::string(kBadValue));
  }
  f->kind = ValueKind::kGauge;
  f->value.f = d;
  return true;
}

bool LineProtocolParser::ParseTimestamp(const char*& p, const char* end, int64_t now_ms,
                                        storage::Timestamp* ts) {
  // p is at the end or at the space after the last field value.
  while (p < end && *p == ' ') ++p;
  if (p == end) {
    *ts = now_ms;
    return true;
  }
  const char* begin = p;
  while (p < end && !IsBlank(*p)) ++p;
  const char* token_end = p;
  bool negative, overflow;
  uint64_t magnitude;
  if (!ParseDecimal(begin, token_end, uint64_t{1} << 63, &negative, &magnitude, &overflow)) {
    if (overflow)
      return Fail(begin, "timestamp out of range: it must fit in a signed 64-bit integer");
    return Fail(begin, "invalid timestamp: expected an integer (" +
                           std::string(PrecisionName(options_.precision)) + " since the epoch)");
  }
  if (!negative && magnitude == (uint64_t{1} << 63))
    return Fail(begin, "timestamp out of range: it must fit in a signed 64-bit integer");
  while (p < end && IsBlank(*p)) ++p;
  if (p != end) return Fail(p, "unexpected text after the timestamp");

  int64_t v =
      negative ? static_cast<int64_t>(uint64_t{0} - magnitude) : static_cast<int64_t>(magnitude);
  int64_t ms = 0;
  int64_t factor = 1;
  switch (options_.precision) {
    case Precision::kNanoseconds:
      *ts = FloorDiv(v, 1'000'000);
      return true;
    case Precision::kMicroseconds:
      *ts = FloorDiv(v, 1'000);
      return true;
    case Precision::kMilliseconds:
      *ts = v;
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
  if (__builtin_mul_overflow(v, factor, &ms)) {
    return Fail(begin, "timestamp out of range: " + std::string(begin, token_end) + " " +
                           std::string(PrecisionName(options_.precision)) +
                           " does not fit in a signed 64-bit number of milliseconds");
  }
  *ts = ms;
  return true;
}

}  // namespace strix::ingest
