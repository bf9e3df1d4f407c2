// Fuzz target: what the API parses from a request's URL before any handler runs: the
// query string (percent-decoding), times, durations and match[] selectors. Must never
// crash or hang, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/internal/api_impl.h"
#include "api/query_params.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strix::api;
  if (size > 16 * 1024) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto q = QueryParams::Parse(in);
  if (q.ok()) {
    for (const char* name : {"start", "end"}) {
      if (auto v = q->Get(name)) (void)ParseTimeParam(*v, 1'800'000'000'000);
    }
    if (auto v = q->Get("step")) (void)ParseDurationParam(*v);
    (void)ParseMatchParams(*q, true);
  }
  (void)ParseTimeParam(in, 0);
  (void)ParseDurationParam(in);
  (void)PercentDecode(in);
  return 0;
}
