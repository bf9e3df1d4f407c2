// pattoo decoder (decode.h): a spoke's page to Points, with strixd's mapping of pattoo
// datapoints (docs/wire/pattoo.md). simdjson DOM, error codes only.
//
// Steps: parse; check the four top-level keys and pattoo_datapoints' shape; index
// key_value_pairs by key text (views of the DOM); then per datapoint resolve its ids,
// classify each pair (a reserved key, or metadata), check every rule and build the point.
// A structure error found on the way truncates `out` back to its size at entry.
#include "agents/pattoo/decode.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <array>
#include <charconv>
#include <cmath>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "agents/lineproto/lineproto.h"

namespace strix::agents::pattoo {
namespace {

namespace dom = simdjson::dom;

// The reserved keys of a datapoint (spec 1.2), in the order of "missing ..." messages.
enum Slot : int {
  kKey,
  kDataType,
  kValue,
  kTimestamp,
  kChecksum,
  kAgentId,
  kAgentHostname,
  kAgentPolledTarget,
  kAgentProgram,
  kAgentPollingInterval,
  kSlotCount,
};
constexpr std::array<std::string_view, kSlotCount> kSlotNames = {
    "pattoo_key",
    "pattoo_data_type",
    "pattoo_value",
    "pattoo_timestamp",
    "pattoo_checksum",
    "pattoo_agent_id",
    "pattoo_agent_hostname",
    "pattoo_agent_polled_target",
    "pattoo_agent_program",
    "pattoo_agent_polling_interval",
};

// Label names a metadata key must not sanitise to.
constexpr std::array<std::string_view, 7> kReservedLabels = {
    "__name__",
    "host",
    "pattoo_agent_id",
    "pattoo_agent_hostname",
    "pattoo_agent_polled_target",
    "pattoo_agent_program",
    "pattoo_checksum",
};

int SlotOf(std::string_view key) {
  for (int i = 0; i < kSlotCount; ++i) {
    if (kSlotNames[i] == key) return i;
  }
  return -1;
}

std::string_view TypeName(const dom::element& e) {
  switch (e.type()) {
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

// A value for an error message: `string "…"` (cut after 64 bytes), a number as text, or
// the type's name.
std::string Describe(const dom::element& e) {
  switch (e.type()) {
    case dom::element_type::STRING: {
      std::string_view s;
      s = e.get_string().value_unsafe();
      if (s.size() > 64) {
        size_t n = 64;
        while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
        return fmt::format("string \"{}…\"", s.substr(0, n));
      }
      return fmt::format("string \"{}\"", s);
    }
    case dom::element_type::INT64: {
      int64_t v = 0;
      v = e.get_int64().value_unsafe();
      return fmt::format("{}", v);
    }
    case dom::element_type::UINT64: {
      uint64_t v = 0;
      v = e.get_uint64().value_unsafe();
      return fmt::format("{}", v);
    }
    case dom::element_type::DOUBLE: {
      double v = 0;
      v = e.get_double().value_unsafe();
      return fmt::format("{}", v);
    }
    default:
      return std::string(TypeName(e));
  }
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A number written as Python's float() reads it (surrounding whitespace, a sign, '_'
// between digits, fraction, exponent; "nan", "inf" and "infinity" are read too, and
// rejected by the caller). Returns false when the text is not such a number.
struct ParsedNumber {
  double f = 0;
  bool is_integer = false;  // digits only (after an optional '+'): `u` holds it exactly
  uint64_t u = 0;
  bool out_of_range = false;
};
bool ParsePythonNumber(std::string_view s, ParsedNumber* out) {
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  if (s.empty()) return false;
  std::string text;
  text.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (i == 0 || i + 1 == s.size() || !IsDigit(s[i - 1]) || !IsDigit(s[i + 1])) return false;
      continue;
    }
    text.push_back(s[i]);
  }
  std::string_view t = text;
  bool plus = !t.empty() && t[0] == '+';
  if (plus) t.remove_prefix(1);
  if (t.empty() || t[0] == '+' || (t[0] == '-' && plus)) return false;
  bool digits_only = true;
  for (char c : t) digits_only = digits_only && IsDigit(c);
  if (digits_only) {
    out->is_integer = true;
    auto r = std::from_chars(t.data(), t.data() + t.size(), out->u);
    if (r.ec == std::errc::result_out_of_range) out->is_integer = false;
  }
  // from_chars reads "inf", "infinity" and "nan" in any case, as float() does.
  auto r = std::from_chars(t.data(), t.data() + t.size(), out->f);
  if (r.ptr != t.data() + t.size()) return false;
  if (r.ec == std::errc::result_out_of_range) {
    out->out_of_range = true;
  } else if (r.ec != std::errc()) {
    return false;
  }
  return true;
}

// Bytes of a varint holding n (WriteBatch's label encoding).
size_t VarintBytes(size_t n) {
  size_t b = 1;
  while (n >= 128) {
    n >>= 7;
    ++b;
  }
  return b;
}

class Decoder {
 public:
  Decoder(int64_t now_ms, std::vector<Point>* out, DecodeStats* stats)
      : now_ms_(now_ms), out_(out), stats_(stats) {}

  Status Run(std::string_view json) {
    dom::element root;
    simdjson::error_code err = parser_.parse(json.data(), json.size()).get(root);
    if (err != simdjson::SUCCESS) {
      return Status::InvalidArgument("pattoo page: not valid JSON", simdjson::error_message(err));
    }
    dom::object top;
    if (root.get_object().get(top) != simdjson::SUCCESS) {
      return Status::InvalidArgument("pattoo page: not a JSON object", TypeName(root));
    }
    constexpr std::array<std::string_view, 4> kTopKeys = {
        "pattoo_agent_id", "pattoo_agent_polling_interval", "pattoo_agent_timestamp",
        "pattoo_datapoints"};
    std::array<bool, 4> seen{};
    dom::element datapoints;
    for (dom::key_value_pair kv : top) {
      size_t i = 0;
      while (i < kTopKeys.size() && kTopKeys[i] != kv.key) ++i;
      if (i == kTopKeys.size()) {
        return Status::InvalidArgument("pattoo page: unexpected top-level key", Cut(kv.key));
      }
      seen[i] = true;
      if (i == 3) datapoints = kv.value;
    }
    for (size_t i = 0; i < kTopKeys.size(); ++i) {
      if (!seen[i])
        return Status::InvalidArgument("pattoo page: missing top-level key", kTopKeys[i]);
    }
    dom::object dp;
    if (datapoints.get_object().get(dp) != simdjson::SUCCESS) {
      return Status::InvalidArgument("pattoo page: pattoo_datapoints is not an object",
                                     TypeName(datapoints));
    }
    dom::element kvp_el, dpp_el;
    bool have_kvp = false, have_dpp = false;
    for (dom::key_value_pair kv : dp) {
      if (kv.key == "key_value_pairs") {
        kvp_el = kv.value;
        have_kvp = true;
      } else if (kv.key == "datapoint_pairs") {
        dpp_el = kv.value;
        have_dpp = true;
      } else {
        return Status::InvalidArgument("pattoo page: unexpected key in pattoo_datapoints",
                                       Cut(kv.key));
      }
    }
    if (!have_kvp || !have_dpp) {
      return Status::InvalidArgument(
          "pattoo page: pattoo_datapoints needs key_value_pairs and datapoint_pairs");
    }
    dom::object kvp;
    if (kvp_el.get_object().get(kvp) != simdjson::SUCCESS) {
      return Status::InvalidArgument("pattoo page: key_value_pairs is not an object",
                                     TypeName(kvp_el));
    }
    dom::array dpp;
    if (dpp_el.get_array().get(dpp) != simdjson::SUCCESS) {
      return Status::InvalidArgument("pattoo page: datapoint_pairs is not an array",
                                     TypeName(dpp_el));
    }
    for (dom::key_value_pair kv : kvp) pairs_[kv.key] = kv.value;  // the last one wins

    uint64_t n = 0;
    for (dom::element d : dpp) {
      STRIX_RETURN_IF_ERROR(Datapoint(n, d));
      ++n;
    }
    stats_->datapoints = n;
    return Status::Ok();
  }

 private:
  // A key of the page cut for a message.
  static std::string Cut(std::string_view s) {
    return s.size() > 64 ? std::string(s.substr(0, 64)) + "…" : std::string(s);
  }

  // Finds the entry an id names, as Python's key_value_pairs.get(str(id)) does.
  bool Lookup(const dom::element& id, dom::element* entry, std::string* id_text) {
    char buf[24];
    std::string_view key;
    switch (id.type()) {
      case dom::element_type::INT64: {
        int64_t v = 0;
        v = id.get_int64().value_unsafe();
        key = std::string_view(buf, std::to_chars(buf, buf + sizeof buf, v).ptr - buf);
        break;
      }
      case dom::element_type::UINT64: {
        uint64_t v = 0;
        v = id.get_uint64().value_unsafe();
        key = std::string_view(buf, std::to_chars(buf, buf + sizeof buf, v).ptr - buf);
        break;
      }
      case dom::element_type::STRING:
        key = id.get_string().value_unsafe();
        break;
      case dom::element_type::BOOL: {
        bool b = false;
        b = id.get_bool().value_unsafe();
        key = b ? "True" : "False";
        break;
      }
      case dom::element_type::NULL_VALUE:
        key = "None";
        break;
      default:  // a float, an array or an object names nothing
        *id_text = Describe(id);
        return false;
    }
    *id_text = Describe(id);
    auto it = pairs_.find(key);
    if (it == pairs_.end()) return false;
    *entry = it->second;
    return true;
  }

  // Records a skipped datapoint; the page goes on (returns OK).
  Status Skip(uint64_t n, std::string_view key, std::string_view message) {
    ++stats_->skipped;
    if (stats_->first_error.ok()) {
      std::string where = key.empty() ? fmt::format("datapoint {}", n)
                                      : fmt::format("datapoint {} ({})", n, Cut(key));
      stats_->first_error =
          Status::InvalidArgument(fmt::format("{}: {}", where, message), "pattoo page");
    }
    return Status::Ok();
  }

  Status Datapoint(uint64_t n, const dom::element& d) {
    dom::array ids;
    if (d.get_array().get(ids) != simdjson::SUCCESS) {
      return Status::InvalidArgument("pattoo page: datapoint is not an array of pair ids",
                                     fmt::format("datapoint {} is {}", n, TypeName(d)));
    }
    std::array<dom::element, kSlotCount> slot;
    std::array<bool, kSlotCount> have{};
    metadata_.clear();
    bool bad_pair_key = false;
    bool too_many_metadata = false;
    for (dom::element id : ids) {
      dom::element entry;
      std::string id_text;
      if (!Lookup(id, &entry, &id_text)) {
        return Status::InvalidArgument("pattoo page: pair id not found in key_value_pairs",
                                       fmt::format("datapoint {}, id {}", n, id_text));
      }
      dom::array pair;
      if (entry.get_array().get(pair) != simdjson::SUCCESS || pair.size() != 2) {
        return Status::InvalidArgument(
            "pattoo page: key_value_pairs entry is not a [key, value] array",
            fmt::format("datapoint {}, id {}", n, id_text));
      }
      dom::element key_el = pair.at(0).value_unsafe();
      dom::element value = pair.at(1).value_unsafe();
      std::string_view key;
      if (key_el.get_string().get(key) != simdjson::SUCCESS) {
        bad_pair_key = true;
        continue;
      }
      int s = SlotOf(key);
      if (s >= 0) {
        slot[s] = value;
        have[s] = true;
        continue;
      }
      if (key == "pattoo_metadata") continue;  // reserved; agents never send it
      bool replaced = false;
      for (auto& m : metadata_) {
        if (m.first == key) {
          m.second = value;  // a repeated key: the last one wins
          replaced = true;
          break;
        }
      }
      if (replaced) continue;
      if (metadata_.size() == kMaxMetadataKeys) {
        too_many_metadata = true;
        continue;
      }
      metadata_.emplace_back(key, value);
    }

    // pattoo_key first, so that every later message can name the datapoint.
    std::string_view raw_key;
    if (have[kKey]) raw_key = slot[kKey].get_string().value_unsafe();
    if (bad_pair_key) return Skip(n, raw_key, "a pair key is not a string");
    std::string missing;
    for (int i = 0; i < kSlotCount; ++i) {
      if (have[i] || i == kTimestamp) continue;
      missing += missing.empty() ? "missing " : ", ";
      missing += kSlotNames[i];
    }
    if (!missing.empty()) return Skip(n, raw_key, missing);
    if (slot[kKey].type() != dom::element_type::STRING) {
      return Skip(n, {}, fmt::format("pattoo_key {} is not a string", Describe(slot[kKey])));
    }
    if (raw_key.empty()) return Skip(n, {}, "pattoo_key is empty");
    if (too_many_metadata) {
      return Skip(n, raw_key,
                  fmt::format("too many metadata keys: more than {}", kMaxMetadataKeys));
    }
    std::string name = lineproto::SanitizeMetricName(raw_key);
    if (name.size() > kMaxNameBytes) {
      return Skip(n, raw_key, "pattoo_key too long: the metric name is limited to 4096 bytes");
    }

    // Kind and value.
    FieldValue value;
    std::string error;
    if (!ReadValue(slot[kDataType], slot[kValue], &value, &error)) {
      return Skip(n, raw_key, error);
    }
    int64_t ts = now_ms_;
    if (have[kTimestamp] && !ReadTimestamp(slot[kTimestamp], &ts)) {
      return Skip(n, raw_key,
                  fmt::format("pattoo_timestamp {} is not an integer number of milliseconds in the "
                              "int64 range",
                              Describe(slot[kTimestamp])));
    }

    // Labels: host, the agent fields, the checksum, then metadata.
    Point p;
    p.timestamp_ms = ts;
    std::string_view agent_values[5];
    constexpr Slot kLabelSlots[5] = {kAgentHostname, kAgentId, kAgentPolledTarget, kAgentProgram,
                                     kChecksum};
    for (int i = 0; i < 5; ++i) {
      const dom::element& e = slot[kLabelSlots[i]];
      std::string_view field = kSlotNames[kLabelSlots[i]];
      if (e.get_string().get(agent_values[i]) != simdjson::SUCCESS) {
        return Skip(n, raw_key, fmt::format("{} {} is not a string", field, Describe(e)));
      }
      if (agent_values[i].size() > kMaxValueBytes) {
        return Skip(n, raw_key,
                    fmt::format("{} too long: {} bytes (limit {})", field, agent_values[i].size(),
                                kMaxValueBytes));
      }
    }
    auto add_tag = [&p](std::string_view k, std::string_view v) {
      if (!v.empty()) p.tags.emplace_back(std::string(k), std::string(v));
    };
    add_tag("host", agent_values[2]);
    for (int i = 0; i < 5; ++i) add_tag(kSlotNames[kLabelSlots[i]], agent_values[i]);
    labels_seen_.clear();
    for (const auto& [mkey, mvalue] : metadata_) {
      std::string_view v;
      if (mvalue.get_string().get(v) != simdjson::SUCCESS) continue;  // only strings are labels
      if (mkey.empty()) return Skip(n, raw_key, "metadata key is empty");
      std::string label = lineproto::SanitizeLabelName(mkey);
      if (label.size() > kMaxLabelNameBytes) {
        return Skip(n, raw_key,
                    fmt::format("metadata key \"{}\" too long: label names are limited to {} bytes",
                                Cut(mkey), kMaxLabelNameBytes));
      }
      if (v.size() > kMaxValueBytes) {
        return Skip(n, raw_key,
                    fmt::format("metadata \"{}\" value too long: {} bytes (limit {})", Cut(mkey),
                                v.size(), kMaxValueBytes));
      }
      bool used = false;
      for (std::string_view r : kReservedLabels) used = used || r == label;
      for (const std::string& other : labels_seen_) used = used || other == label;
      if (used) {
        return Skip(n, raw_key,
                    fmt::format("metadata key \"{}\" gives label name \"{}\", which is already "
                                "used (after replacing characters)",
                                Cut(mkey), label));
      }
      labels_seen_.push_back(label);
      add_tag(label, v);
    }
    if (p.tags.size() > kMaxTags) {
      return Skip(n, raw_key,
                  fmt::format("too many labels: {} (limit {})", p.tags.size() + 1, kMaxTags + 1));
    }
    size_t encoded = VarintBytes(8) + 8 + VarintBytes(name.size()) + name.size();
    for (const auto& [k, v] : p.tags) {
      encoded += VarintBytes(k.size()) + k.size() + VarintBytes(v.size()) + v.size();
    }
    if (encoded > kMaxEncodedLabels) {
      return Skip(
          n, raw_key,
          fmt::format("labels too large: {} encoded bytes (limit {})", encoded, kMaxEncodedLabels));
    }

    std::string field;
    SplitMetricName(name, &p.measurement, &field);
    p.fields.push_back(Field{std::move(field), std::move(value)});
    out_->push_back(std::move(p));
    return Status::Ok();
  }

  // Reads pattoo_data_type and pattoo_value into a field value.
  bool ReadValue(const dom::element& type_el, const dom::element& v, FieldValue* out,
                 std::string* error) {
    int type = 0;
    switch (type_el.type()) {
      case dom::element_type::INT64: {
        int64_t t = 0;
        t = type_el.get_int64().value_unsafe();
        type = (t >= 0 && t <= 1000) ? static_cast<int>(t) : -1;
        break;
      }
      case dom::element_type::UINT64:
        type = -1;
        break;
      case dom::element_type::DOUBLE: {
        double t = 0;
        t = type_el.get_double().value_unsafe();
        type = (t >= 0 && t <= 1000 && t == std::trunc(t)) ? static_cast<int>(t) : -1;
        break;
      }
      case dom::element_type::NULL_VALUE:
        *error = "pattoo_data_type is null (DATA_NONE): nothing to store";
        return false;
      default:
        type = -1;
    }
    if (type != 101 && type != 99 && type != 64 && type != 32 && type != 2) {
      *error =
          fmt::format("pattoo_data_type {} is not 101, 99, 64, 32, 2 or null", Describe(type_el));
      return false;
    }
    if (type == 2) {
      std::string_view s;
      if (v.get_string().get(s) != simdjson::SUCCESS) {
        *error = fmt::format("pattoo_value {} of a STRING datapoint is not a string", Describe(v));
        return false;
      }
      if (s.size() > kMaxValueBytes) {
        *error = fmt::format("pattoo_value too long for a state: {} bytes (limit {})", s.size(),
                             kMaxValueBytes);
        return false;
      }
      *out = FieldValue::State(std::string(s));
      return true;
    }
    const bool counter = type == 64 || type == 32;
    // Each JSON form as a double, and as an exact integer where it is one.
    double f = 0;
    bool exact = false;
    uint64_t u = 0;
    bool negative_int = false;
    switch (v.type()) {
      case dom::element_type::INT64: {
        int64_t i = 0;
        i = v.get_int64().value_unsafe();
        f = static_cast<double>(i);
        negative_int = i < 0;
        exact = !negative_int;
        u = exact ? static_cast<uint64_t>(i) : 0;
        break;
      }
      case dom::element_type::UINT64:
        u = v.get_uint64().value_unsafe();
        f = static_cast<double>(u);
        exact = true;
        break;
      case dom::element_type::DOUBLE:
        f = v.get_double().value_unsafe();
        break;
      case dom::element_type::STRING: {
        std::string_view s;
        s = v.get_string().value_unsafe();
        ParsedNumber num;
        if (!ParsePythonNumber(s, &num)) {
          *error = fmt::format("pattoo_value {} is not a number", Describe(v));
          return false;
        }
        if (num.out_of_range) {
          *error = fmt::format("pattoo_value {} is out of range for {}", Describe(v),
                               counter ? "a 64-bit counter" : "a double");
          return false;
        }
        f = num.f;
        if (counter && num.is_integer) {
          exact = true;
          u = num.u;
        }
        break;
      }
      default:
        *error = fmt::format("pattoo_value {} is not a number", Describe(v));
        return false;
    }
    if (!std::isfinite(f)) {
      *error = fmt::format("pattoo_value {} is not finite", Describe(v));
      return false;
    }
    if (!counter) {
      *out = FieldValue::Gauge(f);
      return true;
    }
    if (exact) {
      *out = FieldValue::Counter(u);
      return true;
    }
    if (negative_int || f < 0) {
      *error = fmt::format("pattoo_value {} is negative: counters are >= 0", Describe(v));
      return false;
    }
    if (f >= 18446744073709551616.0) {
      *error = fmt::format("pattoo_value {} is out of range for a 64-bit counter", Describe(v));
      return false;
    }
    double whole = std::trunc(f);
    if (whole != f) ++stats_->truncated_counters;
    *out = FieldValue::Counter(static_cast<uint64_t>(whole));
    return true;
  }

  static bool ReadTimestamp(const dom::element& e, int64_t* ts) {
    switch (e.type()) {
      case dom::element_type::INT64:
        return e.get_int64().get(*ts) == simdjson::SUCCESS;
      case dom::element_type::DOUBLE: {
        double f = 0;
        f = e.get_double().value_unsafe();
        if (f != std::trunc(f) || f < -9223372036854775808.0 || f >= 9223372036854775808.0) {
          return false;
        }
        *ts = static_cast<int64_t>(f);
        return true;
      }
      default:
        return false;
    }
  }

  int64_t now_ms_;
  std::vector<Point>* out_;
  DecodeStats* stats_;
  dom::parser parser_;
  std::unordered_map<std::string_view, dom::element> pairs_;
  std::vector<std::pair<std::string_view, dom::element>> metadata_;
  std::vector<std::string> labels_seen_;
};

}  // namespace

void SplitMetricName(std::string_view name, std::string* measurement, std::string* field) {
  size_t cut = name.size() >= 3 ? name.find('_', 1) : std::string_view::npos;
  if (cut != std::string_view::npos && cut + 1 == name.size()) cut = std::string_view::npos;
  if (cut == std::string_view::npos) {
    measurement->assign(name);
    field->assign("value");
    return;
  }
  measurement->assign(name.substr(0, cut));
  field->assign(name.substr(cut + 1));
}

Status DecodePage(std::string_view json, int64_t now_ms, std::vector<Point>* out,
                  DecodeStats* stats) {
  *stats = {};
  const size_t before = out->size();
  Decoder decoder(now_ms, out, stats);
  Status s = decoder.Run(json);
  if (!s.ok()) {
    out->resize(before);
    *stats = {};
  }
  return s;
}

}  // namespace strix::agents::pattoo
