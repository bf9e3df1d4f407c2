// Fuzz target "agent_httpd_request": arbitrary bytes as a request head for
// ParseRequestHead (and FindHeadEnd). It must never crash or read out of bounds, and an
// accepted head must be well formed: a token method of at most 32 bytes, a path starting
// with '/', path and query of visible ASCII only, version 1.0 or 1.1. The answer head
// formatted for it must hold no bare CR or LF outside its line ends.
// Seeds: testdata/fuzz/agent_httpd_request/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agents/httpd/request.h"
#include "core/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strix::agents::httpd;  // NOLINT
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t end = FindHeadEnd(in);
  STRIX_CHECK(end == std::string_view::npos || (end >= 2 && end <= in.size()));
  if (end != std::string_view::npos) STRIX_CHECK(in[end - 1] == '\n');
  auto r = ParseRequestHead(end == std::string_view::npos ? in : in.substr(0, end));
  if (!r.ok()) {
    int status = StatusForParseError(r.status());
    STRIX_CHECK(status == 400 || status == 505);
    return 0;
  }
  STRIX_CHECK(!r->method.empty() && r->method.size() <= 32);
  STRIX_CHECK(!r->path.empty() && r->path[0] == '/');
  for (char c : r->path + r->query) {
    unsigned char u = static_cast<unsigned char>(c);
    STRIX_CHECK(u > 0x20 && u < 0x7f);
  }
  STRIX_CHECK(r->version_minor == 0 || r->version_minor == 1);
  Response resp = TextResponse(200, r->path);
  resp.headers.emplace_back(r->method, r->query);
  std::string head = FormatResponseHead(resp, resp.body.size(), "", r->method);
  for (size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\n') STRIX_CHECK(i > 0 && head[i - 1] == '\r');
    if (head[i] == '\r') STRIX_CHECK(i + 1 < head.size() && head[i + 1] == '\n');
  }
  return 0;
}
