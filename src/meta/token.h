// The API token format and its hashing (docs/format/meta.md, "Tokens"):
//
//   strix_<id>_<secret>          71 bytes, e.g.
//   strix_k3v9xq2mfa7d_q4ejr...  (id: 12 chars, secret: 52 chars)
//
// id is 12 characters of lower-case RFC 4648 base32 ("a-z2-7"): 60 random bits, public
// (listed, logged, used to revoke). secret is 32 bytes from libsodium's CSPRNG in
// lower-case base32 without padding (52 characters; the last one carries 1 bit, so it
// must be 'a' or 'q'). Only BLAKE2b-256("strix-token-v1" 0x00 id 0x00 secret-bytes) is
// stored. Parsing is strict (one canonical spelling per token) and never echoes the text.
//
// These functions do no I/O; MetaStore stores and looks tokens up. The fuzz target
// token_fuzz.cc checks that ParseToken accepts exactly what FormatToken produces.
//
// Thread-safety: all functions may be called concurrently.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/status.h"

namespace strix::meta {

inline constexpr std::string_view kTokenPrefix = "strix_";
inline constexpr size_t kTokenIdChars = 12;
inline constexpr size_t kTokenSecretBytes = 32;
inline constexpr size_t kTokenSecretChars = 52;  // ceil(256 / 5)
inline constexpr size_t kTokenChars =
    kTokenPrefix.size() + kTokenIdChars + 1 + kTokenSecretChars;  // 71
inline constexpr size_t kTokenHashBytes = 32;                     // BLAKE2b-256

using TokenSecret = std::array<uint8_t, kTokenSecretBytes>;
using TokenHash = std::array<uint8_t, kTokenHashBytes>;

struct ParsedToken {
  std::string_view id;  // a view of the parsed text
  TokenSecret secret;
};

// Splits and decodes a token. Unauthenticated("malformed token", <what is wrong>) when
// the text is not a canonical token; the context never contains the text itself.
Result<ParsedToken> ParseToken(std::string_view text);

// "strix_<id>_<secret>". `id` must satisfy IsValidTokenId.
std::string FormatToken(std::string_view id, const TokenSecret& secret);

// 12 characters of [a-z2-7].
bool IsValidTokenId(std::string_view id);

// Makes libsodium ready (sodium_init); idempotent and thread-safe. MetaStore::Open calls
// it; the functions below abort if it was never successfully called.
Status InitCrypto();

// A fresh random id and secret (randombytes_buf / randombytes_uniform).
std::string GenerateTokenId();
TokenSecret GenerateTokenSecret();

// BLAKE2b-256 of "strix-token-v1" 0x00 id 0x00 secret: what the database stores.
TokenHash HashTokenSecret(std::string_view id, const TokenSecret& secret);
// The same with "strix-session-v1": browser sessions use the token format for their
// cookie, and this separate domain keeps a session's hash from ever verifying as a token.
TokenHash HashSessionSecret(std::string_view id, const TokenSecret& secret);

// Constant-time comparison (sodium_memcmp).
bool TokenHashesEqual(const TokenHash& a, const TokenHash& b);

}  // namespace strix::meta
