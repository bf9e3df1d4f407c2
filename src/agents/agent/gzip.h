// Gzip: compresses the agent's post bodies (zlib, gzip wrapper).
// Thread-safety: stateless functions.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace strix::agents {

Result<std::string> GzipCompress(std::string_view data, int level = 6);
// For tests and tools: inflates a gzip body, failing past max_bytes.
Result<std::string> GzipDecompress(std::string_view data, size_t max_bytes = 256 << 20);

}  // namespace strix::agents
