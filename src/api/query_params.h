// URL query strings and application/x-www-form-urlencoded bodies: name=value pairs,
// percent-decoded ('+' is a space), in order, with repeated names kept (match[]=a&match[]=b).
//
// Thread-safety: value type.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace strix::api {

// Decodes %XX escapes (and '+' as a space when `plus_is_space`). A '%' not followed by two
// hex digits is InvalidArgument naming its offset.
Result<std::string> PercentDecode(std::string_view s, bool plus_is_space = true);

class QueryParams {
 public:
  // Parses "a=1&b=x%20y&flag". A name without '=' has the value "".
  static Result<QueryParams> Parse(std::string_view query);

  // The first value of `name`, if present.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Every value of `name`, in order.
  std::vector<std::string_view> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

}  // namespace strix::api
