// Fuzz target: API token text (docs/format/meta.md, "Tokens"). ParseToken must never
// crash, must accept only canonical tokens (formatting what it parsed gives back the exact
// input), and hashing what it parsed must work. Seeds: testdata/fuzz/meta_token/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/check.h"
#include "meta/token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strix::meta;
  static const bool ready = InitCrypto().ok();
  STRIX_CHECK(ready);
  std::string_view text(reinterpret_cast<const char*>(data), size);
  strix::Result<ParsedToken> p = ParseToken(text);
  if (!p.ok()) {
    STRIX_CHECK(p.status().code() == strix::StatusCode::kUnauthenticated);
    STRIX_CHECK(p.status().message() == "malformed token");
    return 0;
  }
  STRIX_CHECK(IsValidTokenId(p->id));
  STRIX_CHECK(FormatToken(p->id, p->secret) == text);
  TokenHash h = HashTokenSecret(p->id, p->secret);
  STRIX_CHECK(TokenHashesEqual(h, HashTokenSecret(p->id, p->secret)));
  return 0;
}
