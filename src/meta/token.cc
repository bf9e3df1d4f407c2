// Token text format, generation and hashing on libsodium. See token.h and
// docs/format/meta.md.
#include "meta/token.h"

#include <sodium.h>

#include <atomic>

#include "core/check.h"

namespace strix::meta {
namespace {

constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::string_view kHashDomain = "strix-token-v1";
constexpr std::string_view kSessionHashDomain = "strix-session-v1";

std::atomic<bool> g_sodium_ready{false};

void CheckSodium() {
  STRIX_CHECK_MSG(g_sodium_ready.load(std::memory_order_acquire),
                  "meta: InitCrypto() was not called (or failed)");
}

// The 5-bit value of a base32 character, or -1.
int Base32Value(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

}  // namespace

bool IsValidTokenId(std::string_view id) {
  if (id.size() != kTokenIdChars) return false;
  for (char c : id) {
    if (Base32Value(c) < 0) return false;
  }
  return true;
}

Result<ParsedToken> ParseToken(std::string_view text) {
  auto malformed = [](const char* why) { return Status::Unauthenticated("malformed token", why); };
  if (text.size() != kTokenChars) return malformed("wrong length");
  if (text.substr(0, kTokenPrefix.size()) != kTokenPrefix) return malformed("no strix_ prefix");
  std::string_view id = text.substr(kTokenPrefix.size(), kTokenIdChars);
  if (!IsValidTokenId(id)) return malformed("id is not 12 base32 characters");
  if (text[kTokenPrefix.size() + kTokenIdChars] != '_') return malformed("no _ after the id");
  std::string_view enc = text.substr(kTokenPrefix.size() + kTokenIdChars + 1);

  ParsedToken out{id, {}};
  // Big-endian bit stream: 52 characters x 5 bits = 260 bits, of which the last 4 are
  // padding and must be zero (canonical form).
  uint32_t acc = 0;
  int nbits = 0;
  size_t o = 0;
  for (char c : enc) {
    int v = Base32Value(c);
    if (v < 0) {
      sodium_memzero(out.secret.data(), out.secret.size());
      return malformed("secret is not base32");
    }
    acc = (acc << 5) | static_cast<uint32_t>(v);
    nbits += 5;
    if (nbits >= 8) {
      nbits -= 8;
      out.secret[o++] = static_cast<uint8_t>(acc >> nbits);
      acc &= (1u << nbits) - 1;
    }
  }
  STRIX_CHECK(o == kTokenSecretBytes && nbits == 4);
  if (acc != 0) {
    sodium_memzero(out.secret.data(), out.secret.size());
    return malformed("secret has non-zero padding bits");
  }
  return out;
}

std::string FormatToken(std::string_view id, const TokenSecret& secret) {
  STRIX_CHECK(IsValidTokenId(id));
  std::string out;
  out.reserve(kTokenChars);
  out.append(kTokenPrefix);
  out.append(id);
  out.push_back('_');
  uint32_t acc = 0;
  int nbits = 0;
  for (uint8_t b : secret) {
    acc = (acc << 8) | b;
    nbits += 8;
    while (nbits >= 5) {
      nbits -= 5;
      out.push_back(kBase32[(acc >> nbits) & 31]);
    }
    acc &= (1u << nbits) - 1;
  }
  if (nbits > 0) out.push_back(kBase32[(acc << (5 - nbits)) & 31]);
  STRIX_CHECK(out.size() == kTokenChars);
  return out;
}

Status InitCrypto() {
  if (g_sodium_ready.load(std::memory_order_acquire)) return Status::Ok();
  if (sodium_init() < 0) return Status::Internal("meta: libsodium failed to initialise");
  g_sodium_ready.store(true, std::memory_order_release);
  return Status::Ok();
}

std::string GenerateTokenId() {
  CheckSodium();
  std::string id(kTokenIdChars, 'a');
  for (char& c : id) c = kBase32[randombytes_uniform(32)];
  return id;
}

TokenSecret GenerateTokenSecret() {
  CheckSodium();
  TokenSecret s;
  randombytes_buf(s.data(), s.size());
  return s;
}

namespace {

TokenHash HashSecret(std::string_view domain, std::string_view id, const TokenSecret& secret) {
  CheckSodium();
  crypto_generichash_state st;
  static const uint8_t kZero = 0;
  crypto_generichash_init(&st, nullptr, 0, kTokenHashBytes);
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(domain.data()), domain.size());
  crypto_generichash_update(&st, &kZero, 1);
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(id.data()), id.size());
  crypto_generichash_update(&st, &kZero, 1);
  crypto_generichash_update(&st, secret.data(), secret.size());
  TokenHash out;
  crypto_generichash_final(&st, out.data(), out.size());
  sodium_memzero(&st, sizeof(st));
  return out;
}

}  // namespace

TokenHash HashTokenSecret(std::string_view id, const TokenSecret& secret) {
  return HashSecret(kHashDomain, id, secret);
}

TokenHash HashSessionSecret(std::string_view id, const TokenSecret& secret) {
  return HashSecret(kSessionHashDomain, id, secret);
}

bool TokenHashesEqual(const TokenHash& a, const TokenHash& b) {
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace strix::meta
