// AppendJsonString: a string as a quoted JSON string, for every JSON writer (the API's
// JsonWriter, the pattoo page encoder, ingest error bodies). Escapes '"', '\\' and the
// control characters (\n \r \t \b \f, others as \u00XX); valid UTF-8 is copied as is and
// each byte that does not start a valid sequence (core/utf8.h) becomes U+FFFD, so the
// output is valid JSON whatever the input.
//
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace strix {

void AppendJsonString(std::string* out, std::string_view s);

}  // namespace strix
