// pattoo encoder (encode.h): PattooDatapoints to the JSON of pattoo spec 1.2, with the
// SHA-256 checksum chain of spec 1.5 (libsodium) and Python-compatible number text.
#include "agents/pattoo/encode.h"

#include <sodium.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "core/check.h"
#include "core/utf8.h"

namespace strix::agents::pattoo {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// `s` when it is valid UTF-8, else a copy in *scratch with each invalid byte replaced by
// U+FFFD.
std::string_view ValidUtf8(std::string_view s, std::string* scratch) {
  if (IsValidUtf8(s)) return s;
  scratch->clear();
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      scratch->append("\xEF\xBF\xBD");
      ++i;
    } else {
      scratch->append(s.substr(i, n));
      i += n;
    }
  }
  return *scratch;
}

bool ContainsPattoo(std::string_view key) {
  constexpr std::string_view kWord = "pattoo";
  if (key.size() < kWord.size()) return false;
  for (size_t i = 0; i + kWord.size() <= key.size(); ++i) {
    size_t k = 0;
    while (k < kWord.size()) {
      char c = key[i + k];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != kWord[k]) break;
      ++k;
    }
    if (k == kWord.size()) return true;
  }
  return false;
}

bool ValidDataType(int t) {
  return t == kPattooString || t == kPattooCounter32 || t == kPattooCounter64 || t == kPattooInt ||
         t == kPattooFloat;
}

// What PattooShared's DataPoint would accept (spec 1.4).
bool ValidDatapoint(const PattooDatapoint& dp) {
  if (dp.key.empty() || ContainsPattoo(dp.key) || !ValidDataType(dp.data_type)) return false;
  if (dp.data_type == kPattooString) return dp.value.type == PattooValue::Type::kString;
  switch (dp.value.type) {
    case PattooValue::Type::kInt:
      return true;
    case PattooValue::Type::kFloat:
      return std::isfinite(dp.value.f);
    case PattooValue::Type::kString:
      return false;
  }
  return false;
}

// The metadata items DataPoint.add() keeps: non-empty keys without "pattoo", first wins.
bool UsableMetadata(const std::vector<PattooMetadata>& all, size_t i) {
  const PattooMetadata& m = all[i];
  if (m.key.empty() || ContainsPattoo(m.key)) return false;
  for (size_t k = 0; k < i; ++k) {
    if (all[k].key == m.key) return false;
  }
  return true;
}

// One step of the chain: c = sha256_hex(prev + a + b), written over `hex` (64 chars).
void ChainStep(std::string* hex, std::string_view a, std::string_view b) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  auto feed = [&](std::string_view s) {
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  };
  feed(*hex);
  feed(a);
  feed(b);
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&st, digest);
  hex->resize(2 * crypto_hash_sha256_BYTES);
  for (size_t i = 0; i < crypto_hash_sha256_BYTES; ++i) {
    (*hex)[2 * i] = kHex[digest[i] >> 4];
    (*hex)[2 * i + 1] = kHex[digest[i] & 15];
  }
}

// The chain over key + type and the checksum metadata (spec 1.5 steps 1 and 2).
std::string ChecksumOfDatapoint(const PattooDatapoint& dp) {
  std::string scratch;
  std::string hex;  // empty: the first step hashes key + type alone
  std::string type = std::to_string(dp.data_type);
  ChainStep(&hex, ValidUtf8(dp.key, &scratch), type);
  for (size_t i = 0; i < dp.metadata.size(); ++i) {
    const PattooMetadata& m = dp.metadata[i];
    if (!m.checksum || !UsableMetadata(dp.metadata, i)) continue;
    std::string kfix;
    std::string_view k = ValidUtf8(m.key, &kfix);
    ChainStep(&hex, k, ValidUtf8(m.value, &scratch));
  }
  return hex;
}

void AppendAgentChecksum(std::string* hex, const PostInfo& info) {
  std::string scratch;
  ChainStep(hex, "pattoo_agent_hostname", ValidUtf8(info.agent_hostname, &scratch));
  ChainStep(hex, "pattoo_agent_id", ValidUtf8(info.agent_id, &scratch));
  ChainStep(hex, "pattoo_agent_polled_target", ValidUtf8(info.polled_target, &scratch));
  ChainStep(hex, "pattoo_agent_program", ValidUtf8(info.agent_program, &scratch));
}

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

// Assigns pair ids and writes key_value_pairs entries as pairs are first met.
class PairTable {
 public:
  // Writes the id of the pair (JSON key text, JSON value text) to `ids`, creating it in
  // `kvp_` when it is new.
  void Add(std::string_view key_json, std::string_view value_json, std::string* ids) {
    probe_.assign(key_json);
    probe_.push_back(':');
    probe_.append(value_json);
    auto [it, inserted] = ids_.try_emplace(probe_, static_cast<uint32_t>(ids_.size()));
    if (inserted) {
      if (it->second != 0) kvp_.push_back(',');
      kvp_.push_back('"');
      AppendInt(&kvp_, it->second);
      kvp_.append("\":[");
      kvp_.append(key_json);
      kvp_.push_back(',');
      kvp_.append(value_json);
      kvp_.push_back(']');
    }
    if (ids->back() != '[') ids->push_back(',');
    AppendInt(ids, it->second);
  }
  const std::string& kvp() const { return kvp_; }

 private:
  std::unordered_map<std::string, uint32_t> ids_;  // "<key json>:<value json>" -> id
  std::string probe_;
  std::string kvp_;
};

std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

}  // namespace

void AppendPythonFloat(std::string* out, double v) {
  STRIX_CHECK(std::isfinite(v));
  // The shortest round-trip digits, in scientific form: [-]d[.ddd]e(+|-)XX.
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
  bool negative = !sci.empty() && sci[0] == '-';
  if (negative) sci.remove_prefix(1);
  size_t e_pos = sci.find('e');
  std::string_view mantissa = sci.substr(0, e_pos);
  int exp = 0;
  std::string_view exp_text = sci.substr(e_pos + 1);
  if (!exp_text.empty() && exp_text[0] == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp);
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits.push_back(c);
  }
  if (negative) out->push_back('-');
  // Python's repr (float_repr_style "short"): positional when -4 <= exp < 16.
  if (exp >= -4 && exp < 16) {
    if (exp >= 0) {
      size_t int_digits = static_cast<size_t>(exp) + 1;
      if (digits.size() <= int_digits) {
        out->append(digits);
        out->append(int_digits - digits.size(), '0');
        out->append(".0");
      } else {
        out->append(digits, 0, int_digits);
        out->push_back('.');
        out->append(digits, int_digits, std::string::npos);
      }
    } else {
      out->append("0.");
      out->append(static_cast<size_t>(-exp - 1), '0');
      out->append(digits);
    }
    return;
  }
  out->push_back(digits[0]);
  if (digits.size() > 1) {
    out->push_back('.');
    out->append(digits, 1, std::string::npos);
  }
  out->push_back('e');
  out->push_back(exp < 0 ? '-' : '+');
  int a = exp < 0 ? -exp : exp;
  if (a < 10) out->push_back('0');
  AppendInt(out, a);
}

std::string DatapointChecksum(const PattooDatapoint& dp) { return ChecksumOfDatapoint(dp); }

std::string DatapointChecksum(const PattooDatapoint& dp, const PostInfo& info) {
  std::string hex = ChecksumOfDatapoint(dp);
  AppendAgentChecksum(&hex, info);
  return hex;
}

std::string EncodePost(const PostInfo& info, const std::vector<PattooDatapoint>& dps,
                       EncodeStats* stats) {
  EncodeStats local;
  if (stats == nullptr) stats = &local;
  *stats = {};

  // The pairs every datapoint shares, as JSON text (in PattooShared's order, spec 1.4).
  const std::string interval_json = JsonString(std::to_string(info.polling_interval_ms));
  const std::string agent_pairs[4][2] = {
      {JsonString("pattoo_agent_hostname"), JsonString(info.agent_hostname)},
      {JsonString("pattoo_agent_id"), JsonString(info.agent_id)},
      {JsonString("pattoo_agent_polled_target"), JsonString(info.polled_target)},
      {JsonString("pattoo_agent_program"), JsonString(info.agent_program)},
  };

  PairTable pairs;
  std::string dpp;  // the datapoint_pairs array's content
  std::unordered_set<std::string> checksums;
  std::string key_json, value_json;
  for (const PattooDatapoint& dp : dps) {
    if (!ValidDatapoint(dp)) {
      ++stats->invalid;
      continue;
    }
    std::string checksum = DatapointChecksum(dp, info);
    if (!checksums.insert(checksum).second) {
      ++stats->duplicates;
      continue;
    }
    ++stats->datapoints;
    if (!dpp.empty()) dpp.push_back(',');
    dpp.push_back('[');
    for (size_t i = 0; i < dp.metadata.size(); ++i) {
      if (!UsableMetadata(dp.metadata, i)) continue;
      key_json.clear();
      AppendJsonString(&key_json, dp.metadata[i].key);
      value_json.clear();
      AppendJsonString(&value_json, dp.metadata[i].value);
      pairs.Add(key_json, value_json, &dpp);
    }
    pairs.Add("\"pattoo_agent_polling_interval\"", interval_json, &dpp);
    for (const auto& p : agent_pairs) pairs.Add(p[0], p[1], &dpp);
    value_json.clear();
    AppendJsonString(&value_json, dp.key);
    pairs.Add("\"pattoo_key\"", value_json, &dpp);
    value_json.clear();
    AppendInt(&value_json, dp.data_type);
    pairs.Add("\"pattoo_data_type\"", value_json, &dpp);
    value_json.clear();
    switch (dp.value.type) {
      case PattooValue::Type::kInt:
        AppendInt(&value_json, dp.value.i);
        break;
      case PattooValue::Type::kFloat:
        AppendPythonFloat(&value_json, dp.value.f);
        break;
      case PattooValue::Type::kString:
        AppendJsonString(&value_json, dp.value.s);
        break;
    }
    pairs.Add("\"pattoo_value\"", value_json, &dpp);
    value_json.clear();
    AppendInt(&value_json, dp.timestamp_ms);
    pairs.Add("\"pattoo_timestamp\"", value_json, &dpp);
    value_json.clear();
    AppendJsonString(&value_json, checksum);
    pairs.Add("\"pattoo_checksum\"", value_json, &dpp);
    dpp.push_back(']');
  }

  std::string out;
  out.reserve(pairs.kvp().size() + dpp.size() + 256);
  out.append("{\"pattoo_agent_id\":");
  AppendJsonString(&out, info.agent_id);
  out.append(",\"pattoo_agent_polling_interval\":");
  AppendInt(&out, info.polling_interval_ms);
  out.append(",\"pattoo_agent_timestamp\":");
  AppendInt(&out, info.timestamp_ms);
  out.append(",\"pattoo_datapoints\":{\"key_value_pairs\":{");
  out.append(pairs.kvp());
  out.append("},\"datapoint_pairs\":[");
  out.append(dpp);
  out.append("]}}");
  return out;
}

std::string NewAgentId() {
  STRIX_CHECK(sodium_init() >= 0);
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  std::string id(64, '0');
  for (size_t i = 0; i < sizeof bytes; ++i) {
    id[2 * i] = kHex[bytes[i] >> 4];
    id[2 * i + 1] = kHex[bytes[i] & 15];
  }
  return id;
}

bool IsValidAgentId(std::string_view id) {
  if (id.size() != 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace strix::agents::pattoo
