// Fuzz target "gzip": arbitrary bytes as a gzip body and as a deflate body, under a
// small limit. Neither decoder may crash, read out of bounds or return more than the
// limit; an overrun is ResourceExhausted and nothing else is. Then the same bytes,
// compressed by Gzip() at a level taken from the first byte, must decode to themselves.
// Seeds: testdata/fuzz/gzip/ (members, concatenations, zlib and raw deflate, damage).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/check.h"
#include "server/http/gzip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using strix::StatusCode;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr size_t kLimit = 1 << 16;
  for (int deflate = 0; deflate < 2; ++deflate) {
    auto r = deflate != 0 ? strix::server::http::InflateBounded(input, kLimit)
                          : strix::server::http::GunzipBounded(input, kLimit);
    if (r.ok()) {
      STRIX_CHECK(r->size() <= kLimit);
    } else {
      STRIX_CHECK(r.status().code() == StatusCode::kInvalidArgument ||
                  r.status().code() == StatusCode::kResourceExhausted);
      STRIX_CHECK(!r.status().message().empty());
    }
  }
  const int level = size > 0 ? data[0] % 10 : 6;
  auto back = strix::server::http::GunzipBounded(strix::server::http::Gzip(input, level), size);
  STRIX_CHECK(back.ok() && *back == input);
  return 0;
}
