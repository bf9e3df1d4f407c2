// YAML config loading on yaml-cpp. yaml-cpp reports syntax errors by throwing; that is
// caught in Document::Parse*, and Section only calls yaml-cpp functions that do not
// throw (it walks mappings by iteration and converts scalars itself).
#include "core/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "core/check.h"

namespace strix::config {
namespace {

Mark ToMark(const YAML::Mark& m) {
  if (m.line < 0) return Mark{};
  return Mark{m.line + 1, m.column + 1};
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  out += '"';
  return out;
}

std::string Describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return Quote(n.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string FormatMillis(int64_t ms) {
  if (ms == 0) return "0s";
  if (ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + "d";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 32) return false;
  std::string buf(s);
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(buf.c_str(), &end, 10);
  if (errno != 0 || end != buf.c_str() + buf.size()) return false;
  *out = v;
  return true;
}

}  // namespace

// ---- Errors ---------------------------------------------------------------------------

void Errors::Add(const std::string& file, Mark mark, std::string_view key_path,
                 std::string_view message) {
  std::string line = file;
  if (mark.line > 0) {
    line += ':' + std::to_string(mark.line) + ':' + std::to_string(mark.column);
  }
  line += ": ";
  if (!key_path.empty()) {
    line += key_path;
    line += ": ";
  }
  line += message;
  lines_.push_back(std::move(line));
}

Status Errors::ToStatus() const {
  if (lines_.empty()) return Status::Ok();
  std::string msg;
  for (size_t i = 0; i < lines_.size(); ++i) {
    if (i) msg += '\n';
    msg += lines_[i];
  }
  return Status::InvalidArgument(msg);
}

// ---- Document -------------------------------------------------------------------------

Document::Document() : root_(std::make_unique<YAML::Node>()) {}
Document::Document(Document&&) noexcept = default;
Document& Document::operator=(Document&&) noexcept = default;
Document::~Document() = default;

bool Document::empty() const { return !root_ || root_->IsNull() || !root_->IsDefined(); }
const YAML::Node& Document::root() const { return *root_; }

Result<Document> Document::ParseString(std::string_view text, std::string name) {
  Document doc;
  doc.name_ = std::move(name);
  try {
    *doc.root_ = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    Errors errs;
    errs.Add(doc.name_, ToMark(e.mark), "", std::string("invalid YAML: ") + e.msg);
    return errs.ToStatus();
  }
  return doc;
}

Result<Document> Document::ParseFile(Env& env, const std::string& path) {
  auto text = ReadFileToString(env, path);
  if (!text.ok()) {
    return Status(text.status().code(),
                  std::string("cannot read config file: ") + std::string(text.status().message()),
                  path, text.status().sys_errno());
  }
  return ParseString(*text, path);
}

// ---- Section --------------------------------------------------------------------------

struct Section::Entry {
  std::string key;
  Mark mark;
  YAML::Node value;
};

Section::Section(const Document& doc, Errors* errors)
    : Section(doc.name(), doc.root(), "", errors) {}

Section::Section(const std::string& file, const YAML::Node& node, std::string path, Errors* errors)
    : file_(file), path_(std::move(path)), errors_(errors), mark_(ToMark(node.Mark())) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    errors_->Add(file_, mark_, path_,
                 "expected a mapping of keys to values, got " + Describe(node));
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node k = it->first;  // a copy: the iterator hands out a temporary proxy
    Mark km = ToMark(k.Mark());
    if (!k.IsScalar()) {
      errors_->Add(file_, km, path_, "expected a plain key, got " + Describe(k));
      continue;
    }
    const std::string& key = k.Scalar();  // k is a local copy, alive for the iteration
    bool dup =
        std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
    if (dup) {
      errors_->Add(file_, km, KeyPath(key), "duplicate key");
      continue;
    }
    entries_.push_back(Entry{key, km, it->second});
  }
}

Section::~Section() { Finish(); }

std::string Section::KeyPath(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  if (key.empty()) return path_;
  return path_ + "." + std::string(key);
}

void Section::AddError(Mark mark, std::string_view key, std::string_view message) {
  errors_->Add(file_, mark, KeyPath(key), message);
}

const Section::Entry* Section::Find(std::string_view key) {
  known_.emplace_back(key);
  for (const auto& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

bool Section::Has(std::string_view key) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const Entry& e) { return e.key == key; });
}

void Section::Error(std::string_view key, std::string_view message) {
  Mark m = mark_;
  for (const auto& e : entries_)
    if (e.key == key) m = e.mark;
  AddError(m, key, message);
}

Section& Section::Ignore(std::string_view key) {
  Find(key);
  return *this;
}

Section& Section::Required(std::string_view key) {
  if (!Has(key)) AddError(mark_, key, "required key is missing");
  return *this;
}

void Section::Finish() {
  if (finished_) return;
  finished_ = true;
  for (const auto& e : entries_) {
    if (std::find(known_.begin(), known_.end(), e.key) != known_.end()) continue;
    std::string msg = "unknown key";
    std::string best;
    size_t best_d = 3;
    for (const auto& k : known_) {
      size_t d = EditDistance(e.key, k);
      if (d < best_d) {
        best_d = d;
        best = k;
      }
    }
    if (!best.empty()) msg += " (did you mean \"" + best + "\"?)";
    AddError(e.mark, e.key, msg);
  }
}

Section& Section::Bool(std::string_view key, bool* out) {
  const Entry* e = Find(key);
  if (!e) return *this;
  if (e->value.IsScalar()) {
    const std::string& s = e->value.Scalar();
    if (s == "true" || s == "yes" || s == "on") {
      *out = true;
      return *this;
    }
    if (s == "false" || s == "no" || s == "off") {
      *out = false;
      return *this;
    }
  }
  AddError(e->mark, key, "expected true or false, got " + Describe(e->value));
  return *this;
}

Section& Section::Int(std::string_view key, int64_t* out, int64_t min, int64_t max) {
  const Entry* e = Find(key);
  if (!e) return *this;
  int64_t v;
  if (!e->value.IsScalar() || !ParseInt64(e->value.Scalar(), &v)) {
    AddError(e->mark, key, "expected an integer, got " + Describe(e->value));
    return *this;
  }
  if (v < min || v > max) {
    AddError(e->mark, key,
             "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                 ", got " + std::to_string(v));
    return *this;
  }
  *out = v;
  return *this;
}

Section& Section::Double(std::string_view key, double* out, double min, double max) {
  const Entry* e = Find(key);
  if (!e) return *this;
  if (e->value.IsScalar()) {
    std::string s = e->value.Scalar();
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(s.c_str(), &end);
    if (!s.empty() && errno == 0 && end == s.c_str() + s.size() && std::isfinite(v)) {
      if (v < min || v > max) {
        AddError(e->mark, key,
                 "expected a number from " + std::to_string(min) + " to " + std::to_string(max) +
                     ", got " + s);
      } else {
        *out = v;
      }
      return *this;
    }
  }
  AddError(e->mark, key, "expected a number, got " + Describe(e->value));
  return *this;
}

Section& Section::String(std::string_view key, std::string* out, bool non_empty) {
  const Entry* e = Find(key);
  if (!e) return *this;
  if (!e->value.IsScalar()) {
    AddError(e->mark, key, "expected a string, got " + Describe(e->value));
    return *this;
  }
  if (non_empty && e->value.Scalar().empty()) {
    AddError(e->mark, key, "expected a non-empty string");
    return *this;
  }
  *out = e->value.Scalar();
  return *this;
}

Section& Section::Duration(std::string_view key, int64_t* millis, int64_t min_millis,
                           int64_t max_millis) {
  const Entry* e = Find(key);
  if (!e) return *this;
  if (!e->value.IsScalar()) {
    AddError(e->mark, key, "expected a duration such as 10s, 5m or 7d, got " + Describe(e->value));
    return *this;
  }
  auto v = ParseDuration(e->value.Scalar());
  if (!v.ok()) {
    AddError(e->mark, key, "expected a duration such as 10s, 5m or 7d, got " + Describe(e->value));
    return *this;
  }
  if (*v < min_millis || *v > max_millis) {
    AddError(e->mark, key,
             "expected a duration from " + FormatMillis(min_millis) + " to " +
                 FormatMillis(max_millis) + ", got " + e->value.Scalar());
    return *this;
  }
  *millis = *v;
  return *this;
}

Section& Section::Bytes(std::string_view key, uint64_t* out, uint64_t min, uint64_t max) {
  const Entry* e = Find(key);
  if (!e) return *this;
  Result<uint64_t> v = e->value.IsScalar() ? ParseBytes(e->value.Scalar())
                                           : Result<uint64_t>(Status::InvalidArgument("x"));
  if (!v.ok()) {
    AddError(e->mark, key, "expected a size such as 512MiB or 4GB, got " + Describe(e->value));
    return *this;
  }
  if (*v < min || *v > max) {
    AddError(e->mark, key,
             "expected a size from " + std::to_string(min) + " to " + std::to_string(max) +
                 " bytes, got " + e->value.Scalar());
    return *this;
  }
  *out = *v;
  return *this;
}

void Section::EnumIndex(std::string_view key, const std::vector<std::string_view>& names,
                        int* index) {
  const Entry* e = Find(key);
  if (!e) return;
  if (e->value.IsScalar()) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == e->value.Scalar()) {
        *index = static_cast<int>(i);
        return;
      }
    }
  }
  std::string expected = "expected one of ";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) expected += ", ";
    expected += names[i];
  }
  AddError(e->mark, key, expected + "; got " + Describe(e->value));
}

Section& Section::StringList(std::string_view key, std::vector<std::string>* out) {
  const Entry* e = Find(key);
  if (!e) return *this;
  if (e->value.IsScalar()) {  // a single string is a one-item list
    *out = {e->value.Scalar()};
    return *this;
  }
  if (!e->value.IsSequence()) {
    AddError(e->mark, key, "expected a list of strings, got " + Describe(e->value));
    return *this;
  }
  std::vector<std::string> items;
  size_t i = 0;
  for (auto it = e->value.begin(); it != e->value.end(); ++it, ++i) {
    if (!it->IsScalar()) {
      AddError(ToMark(it->Mark()), std::string(key) + "[" + std::to_string(i) + "]",
               "expected a string, got " + Describe(*it));
      return *this;
    }
    items.push_back(it->Scalar());
  }
  *out = std::move(items);
  return *this;
}

Section& Section::StringMap(std::string_view key,
                            std::vector<std::pair<std::string, std::string>>* out) {
  const Entry* e = Find(key);
  if (!e) return *this;
  if (e->value.IsNull()) return *this;
  if (!e->value.IsMap()) {
    AddError(e->mark, key, "expected a mapping of names to values, got " + Describe(e->value));
    return *this;
  }
  std::vector<std::pair<std::string, std::string>> items;
  for (auto it = e->value.begin(); it != e->value.end(); ++it) {
    const std::string name = it->first.IsScalar() ? it->first.Scalar() : std::string();
    if (!it->second.IsScalar()) {
      AddError(ToMark(it->second.Mark()), std::string(key) + "." + name,
               "expected a string, got " + Describe(it->second));
      continue;
    }
    for (const auto& [k, v] : items) {
      if (k == name) {
        AddError(ToMark(it->first.Mark()), std::string(key) + "." + name, "duplicate key");
      }
    }
    items.emplace_back(name, it->second.Scalar());
  }
  *out = std::move(items);
  return *this;
}

Section& Section::Map(std::string_view key, const std::function<void(Section&)>& fn) {
  const Entry* e = Find(key);
  if (!e) return *this;
  Section sub(file_, e->value, KeyPath(key), errors_);
  if (e->value.IsMap() || e->value.IsNull()) fn(sub);
  sub.Finish();
  return *this;
}

Section& Section::List(std::string_view key, const std::function<void(Section&, size_t)>& fn) {
  const Entry* e = Find(key);
  if (!e) return *this;
  if (e->value.IsNull()) return *this;
  if (!e->value.IsSequence()) {
    AddError(e->mark, key, "expected a list, got " + Describe(e->value));
    return *this;
  }
  size_t i = 0;
  for (auto it = e->value.begin(); it != e->value.end(); ++it, ++i) {
    Section item(file_, *it, KeyPath(key) + "[" + std::to_string(i) + "]", errors_);
    if (it->IsMap()) fn(item, i);
    item.Finish();
  }
  return *this;
}

Section& Section::Entries(std::string_view key,
                          const std::function<void(Section&, const std::string&)>& fn) {
  const Entry* e = Find(key);
  if (!e) return *this;
  Section outer(file_, e->value, KeyPath(key), errors_);
  for (const auto& entry : outer.entries_) {
    outer.known_.push_back(entry.key);
    Section item(file_, entry.value, outer.KeyPath(entry.key), errors_);
    if (entry.value.IsMap() || entry.value.IsNull()) fn(item, entry.key);
    item.Finish();
  }
  return *this;
}

// ---- value parsers --------------------------------------------------------------------

Result<int64_t> ParseDuration(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("empty duration");
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start || i - start > 12) return Status::InvalidArgument("bad duration", text);
    int64_t n = 0;
    for (size_t k = start; k < i; ++k) n = n * 10 + (text[k] - '0');
    size_t ustart = i;
    while (i < text.size() && ((text[i] >= 'a' && text[i] <= 'z'))) ++i;
    std::string_view unit = text.substr(ustart, i - ustart);
    int64_t mult;
    if (unit == "ms")
      mult = 1;
    else if (unit == "s")
      mult = 1000;
    else if (unit == "m")
      mult = 60'000;
    else if (unit == "h")
      mult = 3'600'000;
    else if (unit == "d")
      mult = 86'400'000;
    else if (unit == "w")
      mult = 7 * 86'400'000LL;
    else
      return Status::InvalidArgument("bad duration unit", text);
    if (n > std::numeric_limits<int64_t>::max() / mult - total / mult)
      return Status::InvalidArgument("duration too long", text);
    total += n * mult;
  }
  return total;
}

Result<uint64_t> ParseBytes(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0 || i > 19) return Status::InvalidArgument("bad size", text);
  uint64_t n = 0;
  for (size_t k = 0; k < i; ++k) n = n * 10 + static_cast<uint64_t>(text[k] - '0');
  std::string_view unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  uint64_t mult;
  if (unit.empty() || unit == "B")
    mult = 1;
  else if (unit == "KB" || unit == "kB")
    mult = 1000;
  else if (unit == "MB")
    mult = 1000 * 1000;
  else if (unit == "GB")
    mult = 1000ull * 1000 * 1000;
  else if (unit == "TB")
    mult = 1000ull * 1000 * 1000 * 1000;
  else if (unit == "KiB")
    mult = 1ull << 10;
  else if (unit == "MiB")
    mult = 1ull << 20;
  else if (unit == "GiB")
    mult = 1ull << 30;
  else if (unit == "TiB")
    mult = 1ull << 40;
  else
    return Status::InvalidArgument("bad size unit", text);
  if (n > std::numeric_limits<uint64_t>::max() / mult)
    return Status::InvalidArgument("size too large", text);
  return n * mult;
}

}  // namespace strix::config
