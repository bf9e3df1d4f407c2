// PattooDatapoint: one datapoint as a pattoo agent builds it (spec pattoo.md 1.4), before
// it is turned into the wire JSON of spec 1.2 by agents/pattoo/. Inputs that can serve a
// pattoo-compatible page (the linux input for the spoke) produce these.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace strix::agents {

// pattoo_data_type codes (spec 1.6).
enum PattooDataType : int {
  kPattooString = 2,
  kPattooCounter32 = 32,
  kPattooCounter64 = 64,
  kPattooInt = 99,
  kPattooFloat = 101,
};

struct PattooMetadata {
  std::string key;    // already normalised: lower case, stripped, without "pattoo"
  std::string value;  // str(value).strip()
  bool checksum =
      true;  // false: descriptive only (update_checksum=False), left out of the checksum
};

struct PattooValue {
  enum class Type { kInt, kFloat, kString } type = Type::kInt;
  int64_t i = 0;  // kInt: written as a JSON integer
  double f = 0;   // kFloat: written as a JSON number with a fraction or exponent (2.7, 12.0)
  std::string s;  // kString
};

struct PattooDatapoint {
  std::string key;  // lower case, no "pattoo"
  int data_type = kPattooInt;
  PattooValue value;
  int64_t timestamp_ms = 0;
  std::vector<PattooMetadata> metadata;  // insertion order (it feeds the checksum)
};

}  // namespace strix::agents
