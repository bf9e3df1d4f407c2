// Names of value kinds.
#include "storage/model.h"

namespace strix::storage {

std::string_view ValueKindName(ValueKind k) {
  switch (k) {
    case ValueKind::kGauge:
      return "gauge";
    case ValueKind::kCounter32:
      return "counter32";
    case ValueKind::kCounter64:
      return "counter64";
    case ValueKind::kDerive:
      return "derive";
    case ValueKind::kAbsolute:
      return "absolute";
    case ValueKind::kState:
      return "state";
  }
  return "unknown";
}

bool ParseValueKind(std::string_view name, ValueKind* out) {
  for (auto k : {ValueKind::kGauge, ValueKind::kCounter32, ValueKind::kCounter64,
                 ValueKind::kDerive, ValueKind::kAbsolute, ValueKind::kState}) {
    if (ValueKindName(k) == name) {
      *out = k;
      return true;
    }
  }
  return false;
}

}  // namespace strix::storage
