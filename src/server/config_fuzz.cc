// Fuzz target: strixd.yaml, through the server's own loading and validation (the same
// code as strixd and strix check-config). Must never crash or hang, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  (void)strix::server::ParseConfig(std::string_view(reinterpret_cast<const char*>(data), size),
                                   "strixd.yaml");
  return 0;
}
