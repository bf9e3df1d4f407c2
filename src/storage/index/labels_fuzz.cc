// Fuzz target "labels": the text parsers alone (Labels::Parse and ParseMatchers). A parsed
// label set must print and parse back to itself; a parsed matcher must print and parse
// back to the same type and value. The "index" target runs the same parsers on every input
// too; this one keeps the fuzzer focused on text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "storage/labels.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strix::storage;
  if (size > 64 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto labels = Labels::Parse(text);
  if (labels.ok()) {
    auto again = Labels::Parse(labels->ToString());
    if (!again.ok() || !(*again == *labels)) std::abort();
  }
  auto matchers = ParseMatchers(text);
  if (matchers.ok()) {
    for (const Matcher& m : *matchers) {
      auto again = ParseMatchers("{" + m.ToString() + "}");
      if (!again.ok() || again->size() != 1 || (*again)[0].value() != m.value() ||
          (*again)[0].type() != m.type())
        std::abort();
      (void)m.Matches("");
    }
  }
  return 0;
}
