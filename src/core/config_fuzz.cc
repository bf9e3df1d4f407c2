// Fuzz target: YAML config documents read through a Section with every kind of field.
// Must never crash or hang, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strix::config;
  if (size > 64 * 1024) return 0;
  auto doc = Document::ParseString(std::string_view(reinterpret_cast<const char*>(data), size),
                                   "fuzz.yaml");
  if (!doc.ok()) return 0;
  Errors errors;
  {
    Section root(*doc, &errors);
    std::string s;
    int64_t i = 0;
    uint64_t u = 0;
    double d = 0;
    bool b = false;
    std::vector<std::string> list;
    enum class E { kA, kB } e = E::kA;
    root.String("name", &s)
        .Int("count", &i, -100, 100)
        .Bytes("size", &u, 0, 1ull << 40)
        .Duration("every", &i, 0, 86'400'000)
        .Double("ratio", &d, 0, 1)
        .Bool("on", &b)
        .StringList("items", &list)
        .Enum("mode", &e, {{"a", E::kA}, {"b", E::kB}})
        .Map("sub", [&](Section& sub) { sub.Int("n", &i, 0, 10).Required("n"); })
        .List("list", [&](Section& item, size_t) { item.String("k", &s); })
        .Entries("named", [&](Section& item, const std::string&) { item.Bool("on", &b); });
  }
  (void)errors.ToStatus();
  return 0;
}
