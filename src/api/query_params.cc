// QueryParams: see query_params.h.
#include "api/query_params.h"

#include <fmt/format.h>

namespace strix::api {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      const int hi = i + 1 < s.size() ? HexValue(s[i + 1]) : -1;
      const int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument(
            fmt::format("invalid percent-encoding at offset {}: '%' must be followed by two "
                        "hex digits",
                        i));
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<QueryParams> QueryParams::Parse(std::string_view query) {
  QueryParams p;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    std::string_view name = part.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    Result<std::string> n = PercentDecode(name);
    if (!n.ok()) {
      return Status::InvalidArgument(fmt::format("query parameter name: {}", n.status().message()));
    }
    Result<std::string> v = PercentDecode(value);
    if (!v.ok()) {
      return Status::InvalidArgument(
          fmt::format("query parameter '{}': {}", *n, v.status().message()));
    }
    p.pairs_.emplace_back(std::move(*n), std::move(*v));
  }
  return p;
}

std::optional<std::string_view> QueryParams::Get(std::string_view name) const {
  for (const auto& [n, v] : pairs_) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::vector<std::string_view> QueryParams::GetAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : pairs_) {
    if (n == name) out.emplace_back(v);
  }
  return out;
}

}  // namespace strix::api
