// Chunk header parsing and the integer-stream parameter block (docs/format/chunk.md).
#include "storage/chunk/format.h"

#include <cstring>
#include <string>

#include "core/coding.h"

namespace strix::storage::chunk {

std::string_view EncodingName(Encoding e) {
  switch (e) {
    case Encoding::kInt:
      return "int";
    case Encoding::kDecimal:
      return "decimal";
    case Encoding::kXor:
      return "xor";
    case Encoding::kState:
      return "state";
  }
  return "unknown";
}

bool EncodingFitsKind(Encoding e, ValueKind kind) {
  switch (e) {
    case Encoding::kInt:
      return IsIntegerKind(kind);
    case Encoding::kDecimal:
    case Encoding::kXor:
      return IsFloatKind(kind);
    case Encoding::kState:
      return kind == ValueKind::kState;
  }
  return false;
}

namespace {

Status Corrupt(std::string_view what) { return Status::Corruption(what, "chunk header"); }

int64_t LoadI64(const char* p) {
  int64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

Status ParseHeader(std::string_view chunk, ChunkHeader* h, size_t* offset) {
  if (chunk.size() < 2) return Corrupt("chunk shorter than its header");
  if (static_cast<uint8_t>(chunk[0]) != kMagicV1) return Corrupt("bad magic or version byte");
  const uint8_t b1 = static_cast<uint8_t>(chunk[1]);
  const uint8_t enc = (b1 >> 4) & 7;
  const uint8_t kind = b1 & 0x0f;
  if (enc < 1 || enc > 4) return Corrupt("unknown encoding");
  if (kind < 1 || kind > 6) return Corrupt("unknown value kind");
  h->encoding = static_cast<Encoding>(enc);
  h->kind = static_cast<ValueKind>(kind);
  h->open = (b1 & kOpenFlag) != 0;
  if (!EncodingFitsKind(h->encoding, h->kind)) return Corrupt("encoding does not fit the kind");
  uint64_t span;
  if (h->open) {
    const size_t hsize = (h->encoding == Encoding::kInt || h->encoding == Encoding::kDecimal)
                             ? kOpenHeaderSizeNumeric
                             : kOpenHeaderSizeOther;
    if (chunk.size() < hsize) return Corrupt("open chunk shorter than its header");
    h->count = DecodeFixed16(chunk.data() + kOpenCountOffset);
    h->first_ts = LoadI64(chunk.data() + kOpenFirstTsOffset);
    h->last_ts = LoadI64(chunk.data() + kOpenLastTsOffset);
    if (h->last_ts < h->first_ts) return Corrupt("last timestamp before first");
    span = static_cast<uint64_t>(h->last_ts) - static_cast<uint64_t>(h->first_ts);
    *offset = hsize;
  } else {
    std::string_view in = chunk.substr(2);
    uint64_t count;
    int64_t first;
    if (!GetVarint64(&in, &count) || !GetVarsint64(&in, &first) || !GetVarint64(&in, &span))
      return Corrupt("truncated sealed header");
    if (count > kMaxSamples) return Corrupt("sample count above the chunk limit");
    h->count = static_cast<uint32_t>(count);
    h->first_ts = first;
    h->last_ts = static_cast<int64_t>(static_cast<uint64_t>(first) + span);
    if (h->last_ts < h->first_ts) return Corrupt("last timestamp overflows");
    *offset = chunk.size() - in.size();
  }
  if (h->count == 0) return Corrupt("chunk holds no samples");
  if (h->count == 1 && span != 0) return Corrupt("one sample but a time span");
  if (h->count > 1 && span < h->count - 1) return Corrupt("time span too short for the count");
  return Status::Ok();
}

Result<ChunkHeader> ParseHeader(std::string_view chunk) {
  ChunkHeader h;
  size_t offset;
  Status s = ParseHeader(chunk, &h, &offset);
  if (!s.ok()) return s;
  return h;
}

bool ValidWidths(int k, const uint8_t* widths) {
  if (k < 1 || k > 4) return false;
  for (int i = 0; i < k; ++i) {
    if (widths[i] > 64) return false;
    if (i > 0 && widths[i] <= widths[i - 1]) return false;
  }
  return true;
}

namespace {

uint8_t FlagsOf(const IntParams& p) {
  return static_cast<uint8_t>(p.order | (p.offset ? 4 : 0) | ((p.k - 1) << 3) |
                              (p.gcd > 1 ? 32 : 0));
}

}  // namespace

void PutIntParams(std::string* out, const IntParams& p, bool with_x0) {
  out->push_back(static_cast<char>(FlagsOf(p)));
  for (int i = 0; i < p.k; ++i) out->push_back(static_cast<char>(p.widths[i]));
  if (p.gcd > 1) PutVarint64(out, p.gcd);
  if (p.offset) PutVarsint64(out, static_cast<int64_t>(p.base));
  if (with_x0 && p.order >= 1) PutVarsint64(out, static_cast<int64_t>(p.x0));
  if (p.order >= 2) PutVarsint64(out, static_cast<int64_t>(p.d1));
}

size_t IntParamsSize(const IntParams& p, bool with_x0) {
  size_t n = 1 + p.k;
  if (p.gcd > 1) n += VarintLength(p.gcd);
  if (p.offset) n += VarintLength(ZigZagEncode(static_cast<int64_t>(p.base)));
  if (with_x0 && p.order >= 1) n += VarintLength(ZigZagEncode(static_cast<int64_t>(p.x0)));
  if (p.order >= 2) n += VarintLength(ZigZagEncode(static_cast<int64_t>(p.d1)));
  return n;
}

Status GetIntParams(std::string_view* in, bool with_x0, IntParams* p) {
  if (in->empty()) return Status::Corruption("truncated stream parameters", "chunk header");
  const uint8_t flags = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  if ((flags & 0xc0) != 0) return Status::Corruption("bad stream parameter flags", "chunk header");
  *p = IntParams();
  p->order = flags & 3;
  p->offset = (flags & 4) != 0;
  p->k = static_cast<uint8_t>(((flags >> 3) & 3) + 1);
  if (in->size() < p->k) return Status::Corruption("truncated bucket widths", "chunk header");
  std::memcpy(p->widths, in->data(), p->k);
  in->remove_prefix(p->k);
  if (!ValidWidths(p->k, p->widths)) return Status::Corruption("bad bucket widths", "chunk header");
  int64_t v;
  if (flags & 32) {
    if (!GetVarint64(in, &p->gcd) || p->gcd < 2)
      return Status::Corruption("bad stream divisor", "chunk header");
  }
  if (p->offset) {
    if (!GetVarsint64(in, &v)) return Status::Corruption("truncated stream base", "chunk header");
    p->base = static_cast<uint64_t>(v);
  }
  if (with_x0 && p->order >= 1) {
    if (!GetVarsint64(in, &v)) return Status::Corruption("truncated first value", "chunk header");
    p->x0 = static_cast<uint64_t>(v);
  }
  if (p->order >= 2) {
    if (!GetVarsint64(in, &v)) return Status::Corruption("truncated first delta", "chunk header");
    p->d1 = static_cast<uint64_t>(v);
  }
  return Status::Ok();
}

}  // namespace strix::storage::chunk
