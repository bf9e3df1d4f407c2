// Bounded inflate and one-shot gzip on zlib (see gzip.h). The output buffer grows by
// doubling up to limit + 1 bytes: producing that last byte is how an overrun is seen,
// without ever holding more than the limit allows.
#include "server/http/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <string>

#include "core/check.h"

namespace strix::server::http {
namespace {

enum class Wrap { kGzip, kZlib, kRaw };

// zlib's window-bits argument for each wrapper.
int WindowBits(Wrap wrap) {
  switch (wrap) {
    case Wrap::kGzip:
      return 15 + 16;
    case Wrap::kZlib:
      return 15;
    case Wrap::kRaw:
      return -15;
  }
  return 15;
}

std::string_view Name(Wrap wrap) { return wrap == Wrap::kGzip ? "gzip" : "deflate"; }

// Ends a zlib stream on every return path.
class InflateStream {
 public:
  InflateStream() = default;
  InflateStream(const InflateStream&) = delete;
  InflateStream& operator=(const InflateStream&) = delete;
  ~InflateStream() {
    if (live_) inflateEnd(&zs_);
  }
  bool Init(Wrap wrap) {
    live_ = inflateInit2(&zs_, WindowBits(wrap)) == Z_OK;
    return live_;
  }
  z_stream* get() { return &zs_; }

 private:
  z_stream zs_{};
  bool live_ = false;
};

// True if `data` starts with a zlib header (RFC 1950 section 2.2: CM = 8, FCHECK).
bool HasZlibHeader(std::string_view data) {
  if (data.size() < 2) return false;
  const auto b0 = static_cast<unsigned char>(data[0]);
  const auto b1 = static_cast<unsigned char>(data[1]);
  return (b0 & 0x0f) == 8 && (b0 >> 4) <= 7 && ((b0 << 8) | b1) % 31 == 0;
}

bool HasGzipMagic(std::string_view data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
         static_cast<unsigned char>(data[1]) == 0x8b;
}

Status Corrupt(Wrap wrap, const z_stream& zs) {
  std::string msg = "corrupt " + std::string(Name(wrap)) + " data";
  return Status::InvalidArgument(msg, zs.msg != nullptr ? zs.msg : "");
}

Status TooLarge(size_t limit) {
  return Status::ResourceExhausted("decompressed body exceeds the limit",
                                   std::to_string(limit) + " bytes");
}

Result<std::string> InflateBoundedAs(std::string_view data, size_t limit, Wrap wrap) {
  if (data.empty()) {
    return Status::InvalidArgument("truncated " + std::string(Name(wrap)) + " data", "empty");
  }
  InflateStream stream;
  if (!stream.Init(wrap)) return Status::Internal("zlib: inflateInit2 failed");
  z_stream& zs = *stream.get();

  // One byte past the limit is room enough to see an overrun.
  const size_t cap = limit == SIZE_MAX ? limit : limit + 1;
  std::string out;
  out.resize(std::min(cap, std::max<size_t>(4096, data.size() * 4)));
  size_t produced = 0;
  auto in = reinterpret_cast<const unsigned char*>(data.data());
  size_t in_left = data.size();

  for (;;) {
    if (zs.avail_in == 0 && in_left > 0) {
      const size_t chunk = std::min<size_t>(in_left, UINT_MAX);
      zs.next_in = const_cast<unsigned char*>(in);
      zs.avail_in = static_cast<uInt>(chunk);
      in += chunk;
      in_left -= chunk;
    }
    if (produced == out.size()) {
      if (out.size() >= cap) return TooLarge(limit);
      out.resize(std::min(cap, out.size() * 2));
    }
    const size_t room = std::min<size_t>(out.size() - produced, UINT_MAX);
    zs.next_out = reinterpret_cast<unsigned char*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    produced += room - zs.avail_out;
    if (produced > limit) return TooLarge(limit);
    const size_t remaining = zs.avail_in + in_left;

    if (rc == Z_STREAM_END) {
      if (remaining == 0) break;
      if (wrap != Wrap::kGzip) {
        return Status::InvalidArgument("trailing bytes after deflate data",
                                       std::to_string(remaining) + " bytes");
      }
      // Another gzip member may follow (RFC 1952 section 2.2); anything else is junk.
      // (A magic split across two 4 GiB input chunks is left to inflate's header check.)
      std::string_view rest(reinterpret_cast<const char*>(zs.next_in), zs.avail_in);
      if ((rest.size() >= 2 || in_left == 0) && !HasGzipMagic(rest)) {
        return Status::InvalidArgument("trailing bytes after gzip data",
                                       std::to_string(remaining) + " bytes");
      }
      if (inflateReset(&zs) != Z_OK) return Status::Internal("zlib: inflateReset failed");
      continue;
    }
    if (rc == Z_BUF_ERROR) {
      if (zs.avail_out == 0) continue;  // output full: grow and go on
      return Status::InvalidArgument("truncated " + std::string(Name(wrap)) + " data");
    }
    if (rc != Z_OK) {
      if (rc == Z_MEM_ERROR) return Status::ResourceExhausted("zlib: out of memory");
      return Corrupt(wrap, zs);
    }
    if (remaining == 0 && zs.avail_out != 0) {
      // All input consumed and room left, yet the stream has not ended.
      return Status::InvalidArgument("truncated " + std::string(Name(wrap)) + " data");
    }
  }
  out.resize(produced);
  return out;
}

}  // namespace

Result<std::string> GunzipBounded(std::string_view data, size_t limit) {
  return InflateBoundedAs(data, limit, Wrap::kGzip);
}

Result<std::string> InflateBounded(std::string_view data, size_t limit) {
  return InflateBoundedAs(data, limit, HasZlibHeader(data) ? Wrap::kZlib : Wrap::kRaw);
}

std::string Gzip(std::string_view data, int level) {
  if (level < 0 || level > 9) level = Z_DEFAULT_COMPRESSION;
  z_stream zs{};
  // deflateInit2 fails only on bad arguments or out of memory; both are fatal here.
  STRIX_CHECK(deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out;
  out.resize(deflateBound(&zs, data.size()));
  size_t produced = 0;
  auto in = reinterpret_cast<const unsigned char*>(data.data());
  size_t in_left = data.size();
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.avail_in == 0 && in_left > 0) {
      const size_t chunk = std::min<size_t>(in_left, UINT_MAX);
      zs.next_in = const_cast<unsigned char*>(in);
      zs.avail_in = static_cast<uInt>(chunk);
      in += chunk;
      in_left -= chunk;
    }
    if (produced == out.size()) out.resize(out.size() * 2 + 64);
    const size_t room = std::min<size_t>(out.size() - produced, UINT_MAX);
    zs.next_out = reinterpret_cast<unsigned char*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(room);
    rc = deflate(&zs, in_left == 0 ? Z_FINISH : Z_NO_FLUSH);
    produced += room - zs.avail_out;
    STRIX_CHECK(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR);
  }
  deflateEnd(&zs);
  out.resize(produced);
  return out;
}

}  // namespace strix::server::http
