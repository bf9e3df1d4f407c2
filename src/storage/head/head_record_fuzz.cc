// Fuzz target: the head's WAL payloads (samples/series and delete records) on arbitrary
// bytes. The first byte picks the decoder.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string_view>

#include "storage/head/wal_records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strix::storage;
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 3 == 2) {
    Timestamp from, to;
    std::vector<SeriesRef> refs;
    (void)head::DecodeDelete(in, &from, &to, &refs);
    return 0;
  }
  std::map<SeriesRef, ValueKind> kinds;
  head::SamplesVisitor v;
  v.on_def = [&](const head::SeriesDef& d) {
    kinds[d.ref] = d.kind;
    return strix::Status::Ok();
  };
  v.kind_of = [&](SeriesRef r, ValueKind* k) {
    auto it = kinds.find(r);
    if (it == kinds.end()) return false;
    *k = it->second;
    return true;
  };
  uint64_t sum = 0;
  v.on_numeric = [&](SeriesRef r, Timestamp t, uint64_t b) {
    sum += r + b + static_cast<uint64_t>(t);
  };
  v.on_state = [&](SeriesRef, Timestamp, std::string_view s) { sum += s.size(); };
  (void)head::DecodeSamples(in, data[0] % 3 == 1, v);
  return static_cast<int>(sum & 0);
}
