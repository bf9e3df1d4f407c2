// Configuration loading: YAML files into options structs (one struct per component,
// each field with its default, leveldb options.h style).
//
// A component describes its fields once, with their types and limits:
//
//   Status LoadWalOptions(config::Section& s, WalOptions* o) {
//     s.Bytes("segment_bytes", &o->segment_bytes, 1 << 20, 1ull << 32)
//      .Enum("on_corruption", &o->on_corruption, {{"truncate", kTruncate}, {"fail", kFail}});
//   }
//
// Every problem becomes one line "file:line:column: key.path: what was expected, got what"
// and all of them are reported together (a missing required key, a wrong type, a value
// out of range, an unknown key with a did-you-mean, a duplicate key, a YAML syntax
// error). Absent keys leave the default in place.
//
// Thread-safety: a Document is immutable after parsing and may be shared; a Section and
// its Errors belong to one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/env.h"
#include "core/result.h"
#include "core/status.h"

namespace YAML {
class Node;
}

namespace strix::config {

// A position in a config file, 1-based; 0 when unknown.
struct Mark {
  int line = 0;
  int column = 0;
};

// The accumulated problems of one load.
class Errors {
 public:
  void Add(const std::string& file, Mark mark, std::string_view key_path, std::string_view message);
  bool empty() const { return lines_.empty(); }
  const std::vector<std::string>& lines() const { return lines_; }
  // OK when empty, else kInvalidArgument whose message is every line joined by '\n'.
  Status ToStatus() const;

 private:
  std::vector<std::string> lines_;
};

class Section;

// A parsed YAML file.
class Document {
 public:
  // Parses `path` read through `env`. A YAML syntax error is a kInvalidArgument whose
  // message is "path:line:column: invalid YAML: <reason>".
  static Result<Document> ParseFile(Env& env, const std::string& path);
  // Parses text; `name` stands for the file name in errors.
  static Result<Document> ParseString(std::string_view text, std::string name);

  Document(Document&&) noexcept;
  Document& operator=(Document&&) noexcept;
  ~Document();

  const std::string& name() const { return name_; }
  // True when the document is empty (an empty file configures nothing).
  bool empty() const;
  const YAML::Node& root() const;

 private:
  Document();
  std::string name_;
  std::unique_ptr<YAML::Node> root_;
};

// A reader over one YAML mapping. Each typed method declares a key as known and, if the
// key is present, converts and validates its value into *out. Finish() then reports keys
// that no method declared.
class Section {
 public:
  // Binds to `node`, which must be a mapping (or null/absent, read as empty). `path` is
  // the dotted key path of the mapping ("" for the root).
  Section(const std::string& file, const YAML::Node& node, std::string path, Errors* errors);
  Section(const Document& doc, Errors* errors);
  ~Section();
  Section(const Section&) = delete;
  Section& operator=(const Section&) = delete;

  Section& Bool(std::string_view key, bool* out);
  Section& Int(std::string_view key, int64_t* out, int64_t min, int64_t max);
  template <typename T>
  Section& Int(std::string_view key, T* out, int64_t min, int64_t max) {
    int64_t v = static_cast<int64_t>(*out);
    Int(key, &v, min, max);
    *out = static_cast<T>(v);
    return *this;
  }
  Section& Double(std::string_view key, double* out, double min, double max);
  // Any scalar. With non_empty, "" is rejected.
  Section& String(std::string_view key, std::string* out, bool non_empty = false);
  // A duration with a unit: 250ms, 10s, 5m, 2h, 7d, 1w (or a combination such as 1h30m).
  // Stored in milliseconds.
  Section& Duration(std::string_view key, int64_t* millis, int64_t min_millis, int64_t max_millis);
  // A size: a plain number of bytes, or with a unit B, KB, MB, GB, TB (powers of 1000)
  // or KiB, MiB, GiB, TiB (powers of 1024).
  Section& Bytes(std::string_view key, uint64_t* out, uint64_t min, uint64_t max);
  // One of a fixed set of words.
  template <typename E>
  Section& Enum(std::string_view key, E* out,
                std::initializer_list<std::pair<std::string_view, E>> choices) {
    std::vector<std::string_view> names;
    for (const auto& c : choices) names.push_back(c.first);
    int index = -1;
    EnumIndex(key, names, &index);
    if (index >= 0) *out = (choices.begin() + index)->second;
    return *this;
  }
  Section& StringList(std::string_view key, std::vector<std::string>* out);
  // A mapping of names to scalar values (labels: {site: lab}), in file order.
  Section& StringMap(std::string_view key, std::vector<std::pair<std::string, std::string>>* out);
  // A nested mapping, read by `fn`. Absent: fn is not called.
  Section& Map(std::string_view key, const std::function<void(Section&)>& fn);
  // A sequence of mappings: fn is called for each item with its index.
  Section& List(std::string_view key, const std::function<void(Section&, size_t)>& fn);
  // A mapping whose keys are names chosen by the user (e.g. inputs by name): fn is
  // called for each entry with its key.
  Section& Entries(std::string_view key,
                   const std::function<void(Section&, const std::string&)>& fn);

  // Marks keys that must be present.
  Section& Required(std::string_view key);
  bool Has(std::string_view key) const;
  // Records a custom validation problem at `key` (or at the section if key is empty).
  void Error(std::string_view key, std::string_view message);
  // Declares a key as known without reading it.
  Section& Ignore(std::string_view key);

  // Reports unknown keys. Called by the destructor if not called before.
  void Finish();

  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }
  // Where the section starts in its file (for messages that point at another section).
  Mark mark() const { return mark_; }

 private:
  struct Entry;
  const Entry* Find(std::string_view key);  // marks known
  std::string KeyPath(std::string_view key) const;
  void AddError(Mark mark, std::string_view key, std::string_view message);
  void EnumIndex(std::string_view key, const std::vector<std::string_view>& names, int* index);

  std::string file_;
  std::string path_;
  Errors* errors_;
  Mark mark_;
  std::vector<Entry> entries_;
  std::vector<std::string> known_;
  bool finished_ = false;
};

// Parses "10s", "1h30m", "250ms" into milliseconds.
Result<int64_t> ParseDuration(std::string_view text);
// Parses "128MiB", "1GB", "4096".
Result<uint64_t> ParseBytes(std::string_view text);

}  // namespace strix::config
