// Tests of the bounded inflater and the gzip writer (gzip.h): interoperability with the
// gzip command-line tool and zlib's own compress2, concatenated members, the limit
// (exact fit, one byte over, a bomb), and each way input can be damaged.
#include "server/http/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <string>

#include "core/env.h"
#include "core/testing/temp_dir.h"

namespace strix::server::http {
namespace {

using ::strix::testing::TempDir;

std::string Text(size_t n) {
  std::string s;
  s.reserve(n);
  for (size_t i = 0; s.size() < n; ++i) s += "sample " + std::to_string(i * 7919 % 1000) + ",";
  s.resize(n);
  return s;
}

// Runs a shell command and returns its standard output.
std::string RunShell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  EXPECT_NE(p, nullptr) << cmd;
  if (p == nullptr) return out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  EXPECT_EQ(::pclose(p), 0) << cmd;
  return out;
}

// A gzip member holding `n` zero bytes, built without holding them: a bomb.
std::string GzipZeros(size_t n) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY), Z_OK);
  std::string zeros(1 << 16, '\0');
  std::string out;
  char buf[1 << 16];
  size_t left = n;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    const size_t chunk = std::min(left, zeros.size());
    zs.next_in = reinterpret_cast<Bytef*>(zeros.data());
    zs.avail_in = static_cast<uInt>(chunk);
    left -= chunk;
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof buf;
      rc = deflate(&zs, left == 0 ? Z_FINISH : Z_NO_FLUSH);
      out.append(buf, sizeof buf - zs.avail_out);
    } while (zs.avail_out == 0);
  }
  deflateEnd(&zs);
  return out;
}

TEST(Gzip, RoundTripsAtEverySize) {
  for (size_t n : {0u, 1u, 100u, 4096u, 100000u, 1u << 20}) {
    const std::string plain = Text(n);
    const std::string packed = Gzip(plain, 6);
    auto back = GunzipBounded(packed, n);
    ASSERT_TRUE(back.ok()) << n << ": " << back.status().ToString();
    EXPECT_EQ(*back, plain) << n;
  }
}

TEST(Gzip, ReadsWhatTheGzipToolWritesAndTheToolReadsOurs) {
  TempDir dir;
  const std::string plain = Text(300000);
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), dir.Join("a"), plain).ok());
  const std::string by_tool = RunShell("gzip -c -9 " + dir.Join("a"));
  ASSERT_GT(by_tool.size(), 18u);
  auto back = GunzipBounded(by_tool, plain.size());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, plain);

  ASSERT_TRUE(WriteFileAtomically(Env::Default(), dir.Join("b.gz"), Gzip(plain, 1)).ok());
  EXPECT_EQ(RunShell("gzip -dc " + dir.Join("b.gz")), plain);
}

TEST(Gzip, ConcatenatedMembersDecodeAsOneBody) {
  const std::string packed = Gzip("first,", 6) + Gzip("second", 1);
  auto back = GunzipBounded(packed, 100);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, "first,second");
}

TEST(Gzip, LimitIsInclusive) {
  const std::string plain = Text(10000);
  const std::string packed = Gzip(plain, 6);
  EXPECT_TRUE(GunzipBounded(packed, 10000).ok());
  auto over = GunzipBounded(packed, 9999);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), StatusCode::kResourceExhausted) << over.status().ToString();
}

TEST(Gzip, BombStopsAtTheLimit) {
  const std::string bomb = GzipZeros(size_t{32} << 20);  // 32 MiB of zeros in ~32 KiB
  ASSERT_LT(bomb.size(), 64u << 10);
  auto r = GunzipBounded(bomb, 4 << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().ToString().find("4194304"), std::string::npos) << r.status().ToString();
}

TEST(Gzip, TruncatedInputIsAnError) {
  const std::string packed = Gzip(Text(5000), 6);
  for (size_t keep : {size_t{1}, size_t{10}, packed.size() / 2, packed.size() - 1}) {
    auto r = GunzipBounded(packed.substr(0, keep), 1 << 20);
    ASSERT_FALSE(r.ok()) << keep;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << keep;
  }
  auto empty = GunzipBounded("", 100);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("truncated"), std::string_view::npos);
}

TEST(Gzip, DamagedInputIsAnErrorNamingTheProblem) {
  std::string packed = Gzip(Text(5000), 6);
  std::string bad_magic = packed;
  bad_magic[0] = 'x';
  auto r1 = GunzipBounded(bad_magic, 1 << 20);
  ASSERT_FALSE(r1.ok());
  EXPECT_NE(r1.status().ToString().find("incorrect header check"), std::string::npos)
      << r1.status().ToString();

  std::string bad_crc = packed;
  bad_crc[bad_crc.size() - 6] ^= 0x55;  // the CRC-32 of the trailer
  auto r2 = GunzipBounded(bad_crc, 1 << 20);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.status().ToString().find("incorrect data check"), std::string::npos)
      << r2.status().ToString();

  auto r3 = GunzipBounded(packed + "junk", 1 << 20);
  ASSERT_FALSE(r3.ok());
  EXPECT_NE(r3.status().message().find("trailing bytes"), std::string_view::npos)
      << r3.status().ToString();
}

TEST(Inflate, ReadsZlibAndRawDeflate) {
  const std::string plain = Text(20000);
  // zlib format, by zlib's own one-shot API.
  uLongf zlen = compressBound(plain.size());
  std::string zlib(zlen, '\0');
  ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(zlib.data()), &zlen,
                      reinterpret_cast<const Bytef*>(plain.data()), plain.size(), 6),
            Z_OK);
  zlib.resize(zlen);
  auto a = InflateBounded(zlib, plain.size());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(*a, plain);

  // Raw deflate: the zlib stream without its 2-byte header and 4-byte Adler-32.
  auto b = InflateBounded(zlib.substr(2, zlib.size() - 6), plain.size());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(*b, plain);

  auto c = InflateBounded(zlib, plain.size() - 1);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kResourceExhausted);

  auto d = InflateBounded(zlib + "x", plain.size());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
}

TEST(Gzip, AllLevelsProduceValidOutput) {
  const std::string plain = Text(50000);
  for (int level = 0; level <= 9; ++level) {
    auto back = GunzipBounded(Gzip(plain, level), plain.size());
    ASSERT_TRUE(back.ok()) << level;
    EXPECT_EQ(*back, plain) << level;
  }
}

}  // namespace
}  // namespace strix::server::http
