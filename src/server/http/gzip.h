// zlib wrappers for HTTP bodies: bounded decompression of request bodies sent with
// Content-Encoding gzip/x-gzip/deflate, and gzip compression of responses. No I/O.
//
// Every decoder stops once its output would pass `limit`, so a small "gzip bomb" costs
// at most `limit` bytes of memory and the time to inflate them. A limit overrun is
// Status::ResourceExhausted (the server answers 413); damaged, truncated or trailing
// input is Status::InvalidArgument with zlib's description (the server answers 400).
//
// Thread-safety: free functions with no shared state; call them from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace strix::server::http {

// Decodes a gzip stream (RFC 1952). Concatenated members decode as one body, as gunzip
// does. Empty input, a truncated member and bytes after the last member are errors.
Result<std::string> GunzipBounded(std::string_view data, size_t limit);

// Decodes HTTP's "deflate": a zlib stream (RFC 1950) or, as browsers also accept, raw
// deflate data (RFC 1951) when the input has no zlib header.
Result<std::string> InflateBounded(std::string_view data, size_t limit);

// Compresses `data` as one gzip member at zlib `level` (1 fastest .. 9 smallest).
std::string Gzip(std::string_view data, int level);

}  // namespace strix::server::http
