// Strict UTF-8 (RFC 3629): the one validator every parser and store uses. Rejects overlong
// forms, surrogates (U+D800..U+DFFF), code points above U+10FFFF and truncated sequences.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace strix {

// The length (1..4) of the well-formed sequence starting at s[i], or 0 when none starts
// there. i must be < s.size().
size_t Utf8SequenceLength(std::string_view s, size_t i);

bool IsValidUtf8(std::string_view s);

}  // namespace strix
