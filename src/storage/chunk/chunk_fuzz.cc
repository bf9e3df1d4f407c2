// Fuzz target "chunk": feeds bytes to every decoding path (header, iterator with Seek,
// batch decoder, bulk decode). When the bytes decode, re-encodes the samples with the
// one-shot encoder and with the appender and checks that both decode to exactly the same
// samples and that the appender's chunk reseals to the one-shot bytes. Must never crash,
// read out of bounds or disagree with itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/check.h"
#include "storage/chunk/appender.h"
#include "storage/chunk/decoder.h"
#include "storage/chunk/encoder.h"
#include "storage/chunk/format.h"

namespace {

using namespace strix::storage;         // NOLINT
using namespace strix::storage::chunk;  // NOLINT

void CheckNumeric(ValueKind kind, const std::vector<Timestamp>& ts,
                  const std::vector<NumericValue>& vs) {
  std::string sealed;
  STRIX_CHECK(Encode(kind, ts, vs, &sealed).ok());
  std::vector<Timestamp> ts2;
  std::vector<NumericValue> vs2;
  STRIX_CHECK(DecodeNumeric(sealed, &ts2, &vs2).ok());
  STRIX_CHECK(ts2 == ts);
  for (size_t i = 0; i < vs.size(); ++i) STRIX_CHECK(vs2[i].u == vs[i].u);

  Appender app(kind);
  for (size_t i = 0; i < ts.size(); ++i) STRIX_CHECK(app.Append(ts[i], vs[i]).ok());
  ts2.clear();
  vs2.clear();
  STRIX_CHECK(DecodeNumeric(app.bytes(), &ts2, &vs2).ok());
  STRIX_CHECK(ts2 == ts);
  for (size_t i = 0; i < vs.size(); ++i) STRIX_CHECK(vs2[i].u == vs[i].u);
  std::string resealed;
  STRIX_CHECK(Reencode(app.bytes(), &resealed).ok());
  STRIX_CHECK(resealed == sealed);
}

void CheckState(const std::vector<Timestamp>& ts, const std::vector<std::string_view>& vs) {
  std::string sealed;
  STRIX_CHECK(EncodeState(ts, vs, &sealed).ok());
  std::vector<Timestamp> ts2;
  std::vector<std::string_view> vs2;
  STRIX_CHECK(DecodeState(sealed, &ts2, &vs2).ok());
  STRIX_CHECK(ts2 == ts && vs2 == vs);
  Appender app(ValueKind::kState);
  for (size_t i = 0; i < ts.size(); ++i) STRIX_CHECK(app.AppendState(ts[i], vs[i]).ok());
  ts2.clear();
  vs2.clear();
  STRIX_CHECK(DecodeState(app.bytes(), &ts2, &vs2).ok());
  STRIX_CHECK(ts2 == ts && vs2 == vs);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1 << 20)) return 0;
  const std::string copy(reinterpret_cast<const char*>(data), size);  // exact bounds for ASan
  const std::string_view chunk(copy);
  auto header = ParseHeader(chunk);

  // The iterator, with a Seek into the middle.
  {
    Iterator it(chunk);
    size_t n = 0;
    Timestamp last = 0;
    while (it.Next()) {
      STRIX_CHECK(n == 0 || it.timestamp() > last);
      last = it.timestamp();
      if (header.ok() && header->kind == ValueKind::kState) (void)it.state().size();
      ++n;
    }
    if (it.status().ok()) STRIX_CHECK(header.ok() && n == header->count);
    Iterator seek(chunk);
    if (header.ok() && seek.Seek(header->first_ts / 2 + header->last_ts / 2)) {
      STRIX_CHECK(seek.timestamp() >= header->first_ts / 2 + header->last_ts / 2);
    }
  }
  if (!header.ok()) return 0;

  std::vector<Timestamp> ts;
  if (header->kind == ValueKind::kState) {
    std::vector<std::string_view> vs;
    if (!DecodeState(chunk, &ts, &vs).ok()) return 0;
    CheckState(ts, vs);
  } else {
    std::vector<NumericValue> vs;
    if (!DecodeNumeric(chunk, &ts, &vs).ok()) return 0;
    CheckNumeric(header->kind, ts, vs);
  }
  return 0;
}
