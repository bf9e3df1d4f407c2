// Chunk decoding (decoder.h). The sealed layout decodes its timestamp and value streams
// one after the other, a batch at a time, through kernels specialised at compile time;
// the open layout reads both from one interleaved stream, sample by sample.
#include "storage/chunk/decoder.h"

#include <algorithm>
#include <cstring>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/coding.h"
#include "storage/chunk/internal/decimal.h"
#include "storage/chunk/internal/xor.h"

namespace strix::storage::chunk {

namespace {

using IntStream = BatchDecoder::IntStream;

// Residual through the bucket table (open layout, one field at a time).
inline uint64_t ReadBucketed(BitReader& r, const IntStream& s) {
  r.Refill();
  const unsigned idx = static_cast<unsigned>(r.buf >> 61);
  const unsigned total = static_cast<unsigned>(s.totals >> (idx * 8)) & 0xff;
  if (__builtin_expect(total <= 56, 1)) {
    const uint64_t res = (r.buf >> (64 - total)) & s.masks[idx];
    r.Consume(total);
    return res;
  }
  r.Consume(s.table[idx].plen);
  return r.ReadWide(s.table[idx].width);
}

// The batch kernel. The bit buffer is refilled once per group of `per_refill` fields,
// which the setup sized so that a group never needs more than the 56 bits a refill
// guarantees; a field wider than that (a 64-bit outlier) reads on the slow path and
// refills again. Timestamp kernels (kIncreasing) also check the order of the values.
template <int kOrder, bool kOffset, int kMode, bool kIncreasing>
__attribute__((always_inline)) inline bool KernelBody(IntStream& s, BitReader& rd, uint64_t* out,
                                                      size_t n) {
  // The reader lives in scalar locals so that it stays in registers; only the rare wide
  // read goes through a BitReader copy.
  const uint8_t* const data = rd.data;
  const size_t size = rd.size;
  size_t pos = rd.pos;
  uint64_t buf = rd.buf;
  unsigned avail = rd.avail;
  auto refill = [&]() {
    uint64_t word;
    if (__builtin_expect(pos + 8 <= size, 1)) {
      word = LoadBE64(data + pos);
    } else {
      uint8_t tmp[8] = {};
      if (pos < size) std::memcpy(tmp, data + pos, size - pos);
      word = LoadBE64(tmp);
    }
    buf |= word >> avail;
    pos += (63 - avail) >> 3;
    avail |= 56;
  };
  auto read_wide = [&](unsigned skip, unsigned width) {
    BitReader r;
    r.data = data;
    r.size = size;
    r.pos = pos;
    r.buf = buf;
    r.avail = avail;
    r.Consume(skip);
    const uint64_t v = r.ReadWide(width);
    r.Refill();
    pos = r.pos;
    buf = r.buf;
    avail = r.avail;
    return v;
  };
  uint64_t prev = s.prev;
  uint64_t delta = s.delta;
  uint64_t last = s.last;
  const uint64_t base = s.base;
  const uint64_t g = s.gcd;
  const unsigned w = s.width;
  const uint64_t totals = s.totals;
  const uint64_t* masks = s.masks;
  const size_t per = s.per_refill;
  bool bad = false;
  size_t i = 0;
  auto emit = [&](uint64_t res) {
    const uint64_t x = kOffset ? base + res * g : static_cast<uint64_t>(ZigZagDecode(res)) * g;
    uint64_t v;
    if constexpr (kOrder == 0) {
      v = x;
    } else if constexpr (kOrder == 1) {
      v = prev += x;
    } else if constexpr (kOrder == 2) {
      delta += x;
      v = prev += delta;
    } else {  // linear: prev is the trend x0 + i*slope, delta the slope
      prev += delta;
      v = prev + x;
    }
    if constexpr (kIncreasing) {
      bad |= static_cast<int64_t>(v) <= static_cast<int64_t>(last);
      last = v;
    }
    out[i++] = v;
  };
  if constexpr (kMode == 0 && (kOrder == 1 || kOrder == 3)) {
    // No bits: an arithmetic progression v_k = a + k*b, k = 1..n. Increasing iff v_1 is
    // above the last value, b > 0 and v_n stays within int64.
    const uint64_t c = kOffset ? base : 0;
    const uint64_t a = kOrder == 1 ? prev : prev + c;
    const uint64_t b = kOrder == 1 ? c : delta;
    if constexpr (kIncreasing) {
      const int64_t v1 = static_cast<int64_t>(a + b);
      const __int128 end =
          static_cast<__int128>(v1) + static_cast<__int128>(n - 1) * static_cast<int64_t>(b);
      bad = v1 <= static_cast<int64_t>(last) || static_cast<int64_t>(b) <= 0 ||
            end > std::numeric_limits<int64_t>::max();
    }
    uint64_t v0 = a + b, v1 = a + 2 * b, v2 = a + 3 * b, v3 = a + 4 * b;
    const uint64_t b4 = 4 * b;
    for (; i + 4 <= n; i += 4) {
      out[i] = v0;
      out[i + 1] = v1;
      out[i + 2] = v2;
      out[i + 3] = v3;
      v0 += b4;
      v1 += b4;
      v2 += b4;
      v3 += b4;
    }
    for (; i < n; ++i) out[i] = a + (i + 1) * b;
    const uint64_t final_v = a + n * b;
    prev = kOrder == 1 ? final_v : prev + n * b;
    last = final_v;
  } else if constexpr (kMode == 0) {
    while (i < n) emit(0);
  } else {
    while (i < n) {
      refill();
      const size_t end = std::min(n, i + per);
      while (i < end) {
        uint64_t res;
        if constexpr (kMode == 1) {
          if (__builtin_expect(w <= 56, 1)) {
            res = buf >> (64 - w);
            buf <<= w;
            avail -= w;
          } else {
            res = read_wide(0, w);
          }
        } else {
          const unsigned idx = static_cast<unsigned>(buf >> 61);
          const unsigned total = static_cast<unsigned>(totals >> (idx * 8)) & 0xff;
          if (__builtin_expect(total <= 56, 1)) {
            res = (buf >> (64 - total)) & masks[idx];
            buf <<= total;
            avail -= total;
          } else {
            res = read_wide(s.table[idx].plen, s.table[idx].width);
          }
        }
        emit(res);
      }
    }
  }
  s.prev = prev;
  s.delta = delta;
  s.last = last;
  rd.pos = pos;
  rd.buf = buf;
  rd.avail = avail;
  return !bad;
}

template <int kOrder, bool kOffset, int kMode, bool kIncreasing>
bool KernelGeneric(IntStream& s, BitReader& r, uint64_t* out, size_t n) {
  return KernelBody<kOrder, kOffset, kMode, kIncreasing>(s, r, out, n);
}

#if defined(__x86_64__)
// The same kernel with BMI2's single-cycle variable shifts (shlx/shrx), chosen at run
// time on CPUs that have it.
template <int kOrder, bool kOffset, int kMode, bool kIncreasing>
__attribute__((target("bmi2"))) bool KernelBmi2(IntStream& s, BitReader& r, uint64_t* out,
                                                size_t n) {
  return KernelBody<kOrder, kOffset, kMode, kIncreasing>(s, r, out, n);
}
bool HaveBmi2() {
  static const bool have = __builtin_cpu_supports("bmi2");
  return have;
}
#endif

template <int kOrder, bool kOffset, int kMode, bool kIncreasing>
BatchDecoder::Kernel PickTarget() {
#if defined(__x86_64__)
  if (HaveBmi2()) return &KernelBmi2<kOrder, kOffset, kMode, kIncreasing>;
#endif
  return &KernelGeneric<kOrder, kOffset, kMode, kIncreasing>;
}

template <int kOrder, bool kOffset, bool kIncreasing>
BatchDecoder::Kernel PickMode(int mode) {
  switch (mode) {
    case 0:
      return PickTarget<kOrder, kOffset, 0, kIncreasing>();
    case 1:
      return PickTarget<kOrder, kOffset, 1, kIncreasing>();
    default:
      return PickTarget<kOrder, kOffset, 2, kIncreasing>();
  }
}

template <bool kIncreasing>
BatchDecoder::Kernel PickOrder(int order, bool offset, int mode) {
  switch (order) {
    case 0:
      return offset ? PickMode<0, true, kIncreasing>(mode) : PickMode<0, false, kIncreasing>(mode);
    case 1:
      return offset ? PickMode<1, true, kIncreasing>(mode) : PickMode<1, false, kIncreasing>(mode);
    case 2:
      return offset ? PickMode<2, true, kIncreasing>(mode) : PickMode<2, false, kIncreasing>(mode);
    default:
      return offset ? PickMode<3, true, kIncreasing>(mode) : PickMode<3, false, kIncreasing>(mode);
  }
}

BatchDecoder::Kernel PickKernel(int order, bool offset, int mode, bool increasing) {
  return increasing ? PickOrder<true>(order, offset, mode) : PickOrder<false>(order, offset, mode);
}

// One step of an open-layout stream (zigzag, a divisor).
inline uint64_t OpenStep(IntStream& s, uint64_t res) {
  const uint64_t x = static_cast<uint64_t>(ZigZagDecode(res)) * s.gcd;
  switch (s.order) {
    case 0:
      s.prev = x;
      break;
    case 1:
      s.prev += x;
      break;
    default:
      s.delta += x;
      s.prev += s.delta;
      break;
  }
  return s.prev;
}

// Mantissas to doubles, in place: double(m) / 10^e, the exact formula of the format.
void ToDoubles(uint64_t* v, size_t n, int exponent) {
  const double p = internal::kPow10[exponent];
  size_t i = 0;
#if defined(__SSE2__)
  // Two at a time. For |m| < 2^51, adding m to the bits of 1.5 * 2^52 and subtracting
  // that double gives double(m) exactly; check the range first.
  __m128i range = _mm_setzero_si128();
  const __m128i bias = _mm_set1_epi64x(int64_t{1} << 51);
  for (size_t j = 0; j + 2 <= n; j += 2)
    range = _mm_or_si128(range,
                         _mm_add_epi64(_mm_loadu_si128(reinterpret_cast<__m128i*>(v + j)), bias));
  alignas(16) uint64_t lanes[2];
  _mm_store_si128(reinterpret_cast<__m128i*>(lanes), range);
  if (((lanes[0] | lanes[1]) >> 52) == 0) {
    const __m128i magic_i = _mm_set1_epi64x(0x4338000000000000);
    const __m128d magic_d = _mm_set1_pd(6755399441055744.0);
    const __m128d pv = _mm_set1_pd(p);
    for (; i + 2 <= n; i += 2) {
      const __m128i m = _mm_loadu_si128(reinterpret_cast<__m128i*>(v + i));
      __m128d d = _mm_sub_pd(_mm_castsi128_pd(_mm_add_epi64(m, magic_i)), magic_d);
      if (exponent != 0) d = _mm_div_pd(d, pv);
      _mm_storeu_pd(reinterpret_cast<double*>(v + i), d);
    }
  }
#endif
  for (; i < n; ++i) {
    const double d = static_cast<double>(static_cast<int64_t>(v[i])) / p;
    std::memcpy(&v[i], &d, 8);
  }
}

}  // namespace

Status BatchDecoder::Fail(std::string_view what) {
  status_ = Status::Corruption(what, "chunk");
  return status_;
}

void BatchDecoder::FailDecode(std::string_view what) {
  status_ = Status::Corruption(what, "chunk");
}

void BatchDecoder::SetupStream(IntStream* s, const IntParams& p, bool increasing) {
  s->order = p.order;
  s->offset = p.offset;
  s->base = p.base;
  s->gcd = p.gcd;
  s->prev = 0;
  s->delta = 0;
  s->last = 0;
  s->ninit = 0;
  s->init_next = 0;
  s->totals = 0;
  s->per_refill = 1;
  if (p.k == 1) {
    s->mode = p.widths[0] == 0 ? 0 : 1;
    s->width = p.widths[0];
    if (s->width >= 1 && s->width <= 56) s->per_refill = static_cast<uint8_t>(56 / s->width);
  } else {
    s->mode = 2;
  }
  unsigned max_fast = 1;
  for (unsigned idx = 0; idx < 8; ++idx) {
    for (int b = 0; b < p.k; ++b) {
      const int plen = BucketPrefixLen(p.k, b);
      if ((idx >> (3 - plen)) == BucketPrefixCode(p.k, b)) {
        const unsigned total = static_cast<unsigned>(plen + p.widths[b]);
        s->table[idx].plen = static_cast<uint8_t>(plen);
        s->table[idx].width = p.widths[b];
        s->masks[idx] = p.widths[b] >= 64 ? ~uint64_t{0} : (uint64_t{1} << p.widths[b]) - 1;
        s->totals |= static_cast<uint64_t>(total) << (8 * idx);
        if (total <= 56) max_fast = std::max(max_fast, total);
        break;
      }
    }
  }
  if (s->mode == 2) s->per_refill = static_cast<uint8_t>(56 / max_fast);
  s->kernel = PickKernel(p.order, p.offset, s->mode, increasing);
}

Status BatchDecoder::Init(std::string_view chunk) {
  chunk_ = chunk;
  next_ = 0;
  size_t off = 0;
  status_ = ParseHeader(chunk, &header_, &off);
  if (!status_.ok()) {
    header_ = ChunkHeader();
    return status_;
  }
  const auto* bytes = reinterpret_cast<const uint8_t*>(chunk.data());
  const Encoding enc = header_.encoding;
  const bool numeric = enc == Encoding::kInt || enc == Encoding::kDecimal;
  xor_prev_ = 0;
  xor_lead_ = xor_trail_ = 0;
  dict_.clear();
  state_prev_ = state_prev2_ = 0;
  state_has_prev2_ = false;
  exponent_ = 0;

  if (header_.open) {
    IntParams tp;
    tp.order = 2;
    tp.k = 4;
    std::memcpy(tp.widths, bytes + kOpenTsWidthsOffset, 4);
    if (!ValidWidths(4, tp.widths)) return Fail("bad open timestamp widths");
    tp.gcd = DecodeFixed32(chunk.data() + kOpenTsDivisorOffset);
    if (tp.gcd == 0) return Fail("bad open timestamp divisor");
    SetupStream(&ts_, tp, true);
    ts_.init[0] = static_cast<uint64_t>(header_.first_ts);
    ts_.ninit = 1;
    ts_.prev = ts_.init[0];
    if (numeric) {
      IntParams vp;
      vp.order = bytes[kOpenValueOrderOffset];
      vp.k = 4;
      std::memcpy(vp.widths, bytes + kOpenValueWidthsOffset, 4);
      if (vp.order > 2) return Fail("bad open value order");
      if (!ValidWidths(4, vp.widths)) return Fail("bad open value widths");
      vp.gcd = DecodeFixed32(chunk.data() + kOpenValueDivisorOffset);
      if (vp.gcd == 0) return Fail("bad open value divisor");
      SetupStream(&values_, vp, false);
      exponent_ = bytes[kOpenExponentOffset];
      if (exponent_ > (enc == Encoding::kDecimal ? kMaxDecimalExponent : 0))
        return Fail("bad decimal exponent");
    }
    value_offset_ = off;
    ts_reader_ = BitReader(bytes + off, chunk.size() - off);
    return status_;
  }

  std::string_view in = chunk.substr(off);
  uint64_t ts_bytes = 0;
  const uint64_t t0 = static_cast<uint64_t>(header_.first_ts);
  if (header_.count >= 2) {
    IntParams tp;
    Status s = GetIntParams(&in, /*with_x0=*/false, &tp);
    if (!s.ok()) return status_ = s;
    if (tp.order == 0) return Fail("timestamp stream of order 0");
    if (!GetVarint64(&in, &ts_bytes)) return Fail("truncated timestamp stream length");
    SetupStream(&ts_, tp, true);
    ts_.init[0] = t0;
    ts_.ninit = 1;
    ts_.prev = t0;
    if (tp.order == 3) ts_.delta = tp.d1;
    if (tp.order == 2) {
      ts_.init[1] = t0 + tp.d1;
      ts_.ninit = 2;
      ts_.prev = ts_.init[1];
      ts_.delta = tp.d1;
    }
  } else {
    SetupStream(&ts_, IntParams(), true);
    ts_.init[0] = t0;
    ts_.ninit = 1;
  }
  if (enc == Encoding::kDecimal) {
    if (in.empty()) return Fail("truncated decimal exponent");
    exponent_ = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    if (exponent_ > kMaxDecimalExponent) return Fail("bad decimal exponent");
  }
  if (numeric) {
    IntParams vp;
    Status s = GetIntParams(&in, /*with_x0=*/true, &vp);
    if (!s.ok()) return status_ = s;
    if (static_cast<uint32_t>(InitialValues(vp.order)) > header_.count)
      return Fail("value order above the sample count");
    SetupStream(&values_, vp, false);
    if (vp.order >= 1) {
      values_.init[0] = values_.prev = vp.x0;
      values_.ninit = 1;
    }
    if (vp.order == 3) values_.delta = vp.d1;
    if (vp.order == 2) {
      values_.init[1] = values_.prev = vp.x0 + vp.d1;
      values_.delta = vp.d1;
      values_.ninit = 2;
    }
  } else if (enc == Encoding::kState) {
    uint64_t d;
    if (!GetVarint64(&in, &d)) return Fail("truncated state dictionary size");
    if (d == 0 || d > header_.count) return Fail("bad state dictionary size");
    dict_.reserve(d);
    for (uint64_t i = 0; i < d; ++i) {
      uint64_t len;
      if (!GetVarint64(&in, &len) || len > kMaxStateBytes || len > in.size())
        return Fail("bad state dictionary string");
      const uint64_t at = static_cast<uint64_t>(in.data() - chunk.data());
      dict_.push_back((at << 16) | len);
      in.remove_prefix(len);
    }
  }
  if (ts_bytes > in.size()) return Fail("timestamp stream longer than the chunk");
  const auto* streams = reinterpret_cast<const uint8_t*>(in.data());
  ts_reader_ = BitReader(streams, ts_bytes);
  value_offset_ = static_cast<size_t>(in.data() - chunk.data()) + ts_bytes;
  value_reader_ = BitReader(streams + ts_bytes, in.size() - ts_bytes);
  return status_;
}

bool BatchDecoder::DecodeInts(IntStream& s, BitReader& r, uint64_t* out, size_t n) {
  size_t i = 0;
  bool ok = true;
  while (i < n && s.init_next < s.ninit) {
    const uint64_t v = s.init[s.init_next];
    // Only the second initial value (t0 + d1) can be out of order.
    if (s.init_next > 0) ok &= static_cast<int64_t>(v) > static_cast<int64_t>(s.last);
    s.last = v;
    ++s.init_next;
    out[i++] = v;
  }
  if (i < n) ok &= s.kernel(s, r, out + i, n - i);
  return ok;
}

bool BatchDecoder::DecodeXor(BitReader& rd, uint64_t* out, size_t n) {
  BitReader r = rd;
  internal::XorState s{xor_prev_, xor_lead_, xor_trail_};
  size_t i = 0;
  if (next_ == 0 && n > 0) {
    s.prev = r.ReadWide(64);
    out[i++] = s.prev;
  }
  bool ok = true;
  for (; i < n; ++i) {
    ok &= internal::XorDecodeValue(r, s);
    out[i] = s.prev;
  }
  xor_prev_ = s.prev;
  xor_lead_ = s.lead;
  xor_trail_ = s.trail;
  rd = r;
  return ok;
}

bool BatchDecoder::DecodeSealedState(uint64_t* out, size_t n) {
  const uint64_t d = dict_.size();
  if (d == 1) {
    std::fill(out, out + n, dict_[0]);
    return true;
  }
  const unsigned wfirst = static_cast<unsigned>(CeilLog2(d));
  const unsigned wchange = static_cast<unsigned>(CeilLog2(d - 1));
  BitReader r = value_reader_;
  uint64_t idx = state_prev_;
  size_t i = 0;
  if (next_ == 0 && n > 0) {
    idx = r.Read(wfirst);
    if (idx >= d) return false;
    out[i++] = dict_[idx];
  }
  for (; i < n; ++i) {
    r.Refill();
    const bool changed = (r.buf >> 63) != 0;
    r.Consume(1);
    if (changed) {
      const uint64_t j = r.Read(wchange);
      idx = j < idx ? j : j + 1;
      if (idx >= d) return false;
    }
    out[i] = dict_[idx];
  }
  state_prev_ = idx;
  value_reader_ = r;
  return true;
}

bool BatchDecoder::ReadInlineString(BitReader& r, uint64_t* ref) {
  const uint64_t c = r.consumed_bits();
  const uint64_t aligned = (c + 7) & ~uint64_t{7};
  if (aligned > c && r.Read(static_cast<unsigned>(aligned - c)) != 0) return false;
  uint64_t len = 0;
  for (int i = 0;; ++i) {
    if (i == 2) return false;  // kMaxStateBytes needs at most two varint bytes
    const uint64_t byte = r.Read(8);
    len |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) break;
  }
  if (len > kMaxStateBytes) return false;
  const uint64_t start = r.consumed_bits() / 8;
  if (start > r.size || len > r.size - start) return false;
  *ref = ((value_offset_ + start) << 16) | len;
  r.SeekBit((start + len) * 8);
  return true;
}

template <Encoding kEnc>
bool BatchDecoder::DecodeOpen(Timestamp* ts, uint64_t* raw, size_t n) {
  BitReader r = ts_reader_;
  bool ok = true;
  for (size_t i = 0; i < n; ++i) {
    const bool first = next_ + i == 0;
    ts[i] = first ? header_.first_ts : static_cast<Timestamp>(OpenStep(ts_, ReadBucketed(r, ts_)));
    if constexpr (kEnc == Encoding::kInt || kEnc == Encoding::kDecimal) {
      raw[i] = OpenStep(values_, ReadBucketed(r, values_));
    } else if constexpr (kEnc == Encoding::kXor) {
      if (first) {
        xor_prev_ = r.ReadWide(64);
      } else {
        internal::XorState s{xor_prev_, xor_lead_, xor_trail_};
        ok &= internal::XorDecodeValue(r, s);
        xor_prev_ = s.prev;
        xor_lead_ = s.lead;
        xor_trail_ = s.trail;
      }
      raw[i] = xor_prev_;
    } else {
      if (first) {
        if (!ReadInlineString(r, &state_prev_)) return false;
      } else {
        r.Refill();
        const unsigned top = static_cast<unsigned>(r.buf >> 62);
        if (top >= 2) {  // '1x': a change
          r.Consume(2);
          if (top == 2) {  // '10': back to the value before the previous one
            if (!state_has_prev2_) return false;
            std::swap(state_prev_, state_prev2_);
          } else {  // '11': a string follows
            state_prev2_ = state_prev_;
            state_has_prev2_ = true;
            if (!ReadInlineString(r, &state_prev_)) return false;
          }
        } else {
          r.Consume(1);
        }
      }
      raw[i] = state_prev_;
    }
  }
  ts_reader_ = r;
  return ok;
}

Status BatchDecoder::CheckStreamEnd(const BitReader& r, std::string_view what) const {
  const uint64_t total = static_cast<uint64_t>(r.size) * 8;
  const uint64_t used = r.consumed_bits();
  if (used > total) return Status::Corruption("stream read past its end", what);
  const uint64_t pad = total - used;
  if (pad >= 8) return Status::Corruption("bytes left after the stream", what);
  if (pad > 0 && (r.data[r.size - 1] & ((1u << pad) - 1)) != 0)
    return Status::Corruption("nonzero padding bits", what);
  return Status::Ok();
}

size_t BatchDecoder::DecodeRaw(Timestamp* ts, uint64_t* raw, size_t max) {
  if (!status_.ok() || next_ >= header_.count || max == 0) return 0;
  const size_t n = std::min<size_t>(max, header_.count - next_);
  bool ok = true;
  bool increasing = true;
  const char* why = "bad value stream";
  if (!header_.open) {
    increasing = DecodeInts(ts_, ts_reader_, reinterpret_cast<uint64_t*>(ts), n);
    switch (header_.encoding) {
      case Encoding::kInt:
        DecodeInts(values_, value_reader_, raw, n);
        break;
      case Encoding::kDecimal:
        DecodeInts(values_, value_reader_, raw, n);
        ToDoubles(raw, n, exponent_);
        break;
      case Encoding::kXor:
        ok = DecodeXor(value_reader_, raw, n);
        why = "impossible XOR window";
        break;
      case Encoding::kState:
        ok = DecodeSealedState(raw, n);
        why = "state index out of range";
        break;
    }
    if (ts_reader_.overrun()) {
      ok = false;
      why = "timestamp stream read past its end";
    } else if (value_reader_.overrun()) {
      ok = false;
      why = "value stream read past its end";
    }
  } else {
    switch (header_.encoding) {
      case Encoding::kInt:
        ok = DecodeOpen<Encoding::kInt>(ts, raw, n);
        break;
      case Encoding::kDecimal:
        ok = DecodeOpen<Encoding::kDecimal>(ts, raw, n);
        ToDoubles(raw, n, exponent_);
        break;
      case Encoding::kXor:
        ok = DecodeOpen<Encoding::kXor>(ts, raw, n);
        why = "impossible XOR window";
        break;
      case Encoding::kState:
        ok = DecodeOpen<Encoding::kState>(ts, raw, n);
        why = "bad state change or string";
        break;
    }
    if (ts_reader_.overrun()) {
      ok = false;
      why = "stream read past its end";
    }
  }
  if (!ok) {
    FailDecode(why);
    return 0;
  }
  if (header_.open) {  // sealed timestamp kernels check this as they go
    increasing = next_ == 0 || ts[0] > last_ts_;
    for (size_t i = 1; i < n; ++i) increasing &= ts[i] > ts[i - 1];
  }
  if (!increasing) {
    FailDecode("timestamps not strictly increasing");
    return 0;
  }
  next_ += static_cast<uint32_t>(n);
  last_ts_ = ts[n - 1];
  if (next_ == header_.count) {
    if (last_ts_ != header_.last_ts) {
      FailDecode("last timestamp differs from the header");
      return 0;
    }
    Status s = CheckStreamEnd(ts_reader_, header_.open ? "chunk stream" : "timestamp stream");
    if (s.ok() && !header_.open) s = CheckStreamEnd(value_reader_, "value stream");
    if (!s.ok()) {
      status_ = s;
      return 0;
    }
  }
  return n;
}

size_t BatchDecoder::DecodeState(Timestamp* ts, std::string_view* values, size_t max) {
  if (header_.kind != ValueKind::kState) {
    if (status_.ok()) status_ = Status::InvalidArgument("not a state chunk", "chunk");
    return 0;
  }
  uint64_t refs[128];
  size_t total = 0;
  while (total < max) {
    const size_t got = DecodeRaw(ts + total, refs, std::min<size_t>(128, max - total));
    if (got == 0) break;
    for (size_t i = 0; i < got; ++i) values[total + i] = StateString(refs[i]);
    total += got;
  }
  return total;
}

bool Iterator::Fill() {
  if (done_) return false;
  n_ = static_cast<uint32_t>(dec_.DecodeRaw(ts_, raw_, kBatch));
  i_ = 0;
  if (n_ == 0) {
    done_ = true;
    return false;
  }
  return true;
}

bool Iterator::Seek(Timestamp t) {
  if (n_ > 0) {
    if (ts_[i_] >= t) return true;
    if (ts_[n_ - 1] >= t) {
      i_ = static_cast<uint32_t>(std::lower_bound(ts_ + i_, ts_ + n_, t) - ts_);
      return true;
    }
  }
  if (done_) return false;
  if (dec_.status().ok() && t > dec_.header().last_ts) {
    done_ = true;
    n_ = 0;
    return false;
  }
  while (Fill()) {
    if (ts_[n_ - 1] >= t) {
      i_ = static_cast<uint32_t>(std::lower_bound(ts_, ts_ + n_, t) - ts_);
      return true;
    }
  }
  return false;
}

namespace {

template <typename V, typename DecodeFn>
Status DecodeAll(std::string_view chunk, bool want_state, std::vector<Timestamp>* ts,
                 std::vector<V>* values, Timestamp mint, Timestamp maxt, DecodeFn decode) {
  BatchDecoder d;
  STRIX_RETURN_IF_ERROR(d.Init(chunk));
  const ChunkHeader& h = d.header();
  if ((h.kind == ValueKind::kState) != want_state)
    return Status::InvalidArgument(want_state ? "not a state chunk" : "not a numeric chunk",
                                   "chunk");
  if (h.last_ts < mint || h.first_ts > maxt) return Status::Ok();
  const size_t old = ts->size();
  ts->resize(old + h.count);
  values->resize(old + h.count);
  const size_t got = decode(d, ts->data() + old, values->data() + old, h.count);
  if (got != h.count) {
    ts->resize(old);
    values->resize(old);
    return d.status().ok() ? Status::Internal("short decode", "chunk") : d.status();
  }
  if (mint > h.first_ts || maxt < h.last_ts) {
    const auto b = ts->begin() + static_cast<ptrdiff_t>(old);
    const auto lo = std::lower_bound(b, ts->end(), mint);
    const auto hi = std::upper_bound(lo, ts->end(), maxt);
    const ptrdiff_t ilo = lo - ts->begin();
    const ptrdiff_t ihi = hi - ts->begin();
    values->erase(values->begin() + ihi, values->end());
    values->erase(values->begin() + static_cast<ptrdiff_t>(old), values->begin() + ilo);
    ts->erase(hi, ts->end());
    ts->erase(b, ts->begin() + ilo);
  }
  return Status::Ok();
}

}  // namespace

Status DecodeNumeric(std::string_view chunk, std::vector<Timestamp>* ts,
                     std::vector<NumericValue>* values, Timestamp mint, Timestamp maxt) {
  return DecodeAll(
      chunk, false, ts, values, mint, maxt,
      [](BatchDecoder& d, Timestamp* t, NumericValue* v, size_t n) { return d.Decode(t, v, n); });
}

Result<size_t> DecodeNumericInto(std::string_view chunk, Timestamp* ts, NumericValue* values,
                                 size_t capacity) {
  BatchDecoder d;
  STRIX_RETURN_IF_ERROR(d.Init(chunk));
  const ChunkHeader& h = d.header();
  if (h.kind == ValueKind::kState) return Status::InvalidArgument("not a numeric chunk", "chunk");
  if (h.count > capacity) return Status::InvalidArgument("output arrays too small", "chunk");
  const size_t got = d.Decode(ts, values, h.count);
  if (got != h.count)
    return d.status().ok() ? Status::Internal("short decode", "chunk") : d.status();
  return got;
}

Status DecodeState(std::string_view chunk, std::vector<Timestamp>* ts,
                   std::vector<std::string_view>* values, Timestamp mint, Timestamp maxt) {
  return DecodeAll(chunk, true, ts, values, mint, maxt,
                   [](BatchDecoder& d, Timestamp* t, std::string_view* v, size_t n) {
                     return d.DecodeState(t, v, n);
                   });
}

}  // namespace strix::storage::chunk
