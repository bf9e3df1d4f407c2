// JsonWriter: builds JSON text into a std::string with no intermediate document, for
// every response body of the API. Commas and nesting are tracked by the writer; strings
// are escaped, and invalid UTF-8 in them becomes U+FFFD so a response is always valid
// JSON whatever a client stored. Non-finite doubles are written as null.
//
//   std::string out;
//   JsonWriter w(&out);
//   w.BeginObject().Key("status").String("success").Key("data").BeginArray();
//   for (...) w.Double(v);
//   w.EndArray().EndObject();
//
// Thread-safety: none; one writer per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strix::api {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // The key of the next member of the current object.
  JsonWriter& Key(std::string_view key);

  JsonWriter& String(std::string_view s);
  JsonWriter& Int(int64_t v);
  JsonWriter& Uint(uint64_t v);
  // Shortest text that reads back as the same double ("42.5", "80", "1e+16").
  JsonWriter& Double(double v);
  // As Python's repr of a float: always with a fraction or exponent ("80.0"), for the
  // compatibility endpoints whose clients expect floats.
  JsonWriter& PyFloat(double v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // Already-serialised JSON, inserted as one value.
  JsonWriter& Raw(std::string_view json);

  // Appends `s` to `out` as a quoted JSON string.
  static void AppendQuoted(std::string* out, std::string_view s);

 private:
  void BeforeValue();

  std::string* out_;
  // One entry per open container: true until its first element is written.
  std::vector<bool> first_;
  bool after_key_ = false;
};

// `s` as a quoted JSON string.
std::string JsonQuote(std::string_view s);

}  // namespace strix::api
