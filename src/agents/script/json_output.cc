// The JSON form of a script's output: one object of name -> number, read with simdjson's
// DOM parser (error codes only, no exceptions). See json_output.h for the rules.
#include "agents/script/json_output.h"

#include <simdjson.h>

#include <cmath>
#include <string>
#include <utility>

#include "agents/lineproto/lineproto.h"

namespace strix::agents::script {
namespace {

namespace dom = simdjson::dom;

// A parser that grew beyond this for a large output is dropped afterwards, so that one big
// output does not keep its buffers for the agent's lifetime.
constexpr size_t kKeepParserCapacity = 64 << 10;

std::string_view TypeName(dom::element_type t) {
  switch (t) {
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::OBJECT:
      return "an object";
    case dom::element_type::STRING:
      return "a string";
    case dom::element_type::BOOL:
      return "a boolean";
    case dom::element_type::NULL_VALUE:
      return "null";
    default:
      return "a number";
  }
}

// Keeps an untrusted key readable in a log line: at most 64 bytes, control bytes as '?'.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  if (s.size() > 64) out += "...";
  return out;
}

}  // namespace

JsonOutputParser::JsonOutputParser() = default;
JsonOutputParser::~JsonOutputParser() = default;

Status JsonOutputParser::Parse(std::string* text, std::string_view measurement, int64_t ts_ms,
                               std::vector<Point>* out, JsonOutputStats* stats) {
  *stats = JsonOutputStats();
  if (parser_ == nullptr) parser_ = std::make_unique<dom::parser>();
  const size_t size = text->size();
  text->reserve(size + simdjson::SIMDJSON_PADDING);

  dom::element doc;
  simdjson::error_code err = parser_->parse(text->data(), size, false).get(doc);
  Status status;
  if (err != simdjson::SUCCESS) {
    status = Status::InvalidArgument("output is not valid JSON", simdjson::error_message(err));
  } else if (dom::object obj; doc.get_object().get(obj) != simdjson::SUCCESS) {
    status = Status::InvalidArgument("JSON output is not an object",
                                     std::string("it is ") + std::string(TypeName(doc.type())));
  } else {
    Point p;
    p.measurement.assign(measurement);
    p.timestamp_ms = ts_ms;
    auto garbage = [stats](std::string_view key, std::string why) {
      if (stats->garbage_keys++ == 0)
        stats->first_garbage = "key \"" + Printable(key) + "\": " + why;
    };
    for (dom::key_value_pair kv : obj) {
      double v = 0;
      int64_t i = 0;
      uint64_t u = 0;
      switch (kv.value.type()) {
        case dom::element_type::INT64:
          if (kv.value.get_int64().get(i) == simdjson::SUCCESS) v = static_cast<double>(i);
          break;
        case dom::element_type::UINT64:
          if (kv.value.get_uint64().get(u) == simdjson::SUCCESS) v = static_cast<double>(u);
          break;
        case dom::element_type::DOUBLE:
          if (kv.value.get_double().get(v) != simdjson::SUCCESS) v = 0;
          break;
        default:
          garbage(kv.key, "value is " + std::string(TypeName(kv.value.type())) + ", not a number");
          continue;
      }
      if (kv.key.empty()) {
        garbage(kv.key, "empty key");
        continue;
      }
      // strixd's metric name is <measurement>_<key>, the key sanitised to one byte per
      // character (simdjson has checked that it is UTF-8).
      size_t metric_size = measurement.size() + 1;
      for (char c : kv.key)
        if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++metric_size;
      if (metric_size > lineproto::kMaxNameBytes) {
        garbage(kv.key, "metric name too long: " + std::to_string(metric_size) + " bytes");
        continue;
      }
      if (p.fields.size() == lineproto::kMaxFieldsPerLine) {
        garbage(kv.key, "more than " + std::to_string(lineproto::kMaxFieldsPerLine) + " keys");
        continue;
      }
      if (!std::isfinite(v)) {  // simdjson refuses 1e400; kept as a guard
        garbage(kv.key, "value is not finite");
        continue;
      }
      p.fields.push_back(Field{std::string(kv.key), FieldValue::Gauge(v)});
    }
    stats->fields = p.fields.size();
    if (!p.fields.empty()) out->push_back(std::move(p));
  }
  if (parser_->capacity() > kKeepParserCapacity) parser_.reset();
  return status;
}

}  // namespace strix::agents::script
