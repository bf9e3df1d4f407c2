// Appender (appender.h): writes the open layout of docs/format/chunk.md in place.
#include "storage/chunk/appender.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "core/check.h"
#include "core/coding.h"
#include "storage/chunk/bits.h"
#include "storage/chunk/decoder.h"
#include "storage/chunk/internal/decimal.h"
#include "storage/chunk/internal/int_plan.h"
#include "storage/chunk/internal/xor.h"

namespace strix::storage::chunk {

namespace {

// Starting bucket widths. Timestamps: 0 for a regular interval, 7 bits for jitter up to
// +-63 ms, 17 bits for the first delta (up to 65 s) and missed scrapes.
constexpr uint8_t kDefaultTsWidths[4] = {0, 7, 17, 64};
// Integers (delta-of-delta): steady counters, then moderate and large rate changes.
constexpr uint8_t kDefaultIntWidths[4] = {0, 8, 24, 64};
// Decimal mantissas (delta): small moves of a few units in the last digit.
constexpr uint8_t kDefaultDecimalWidths[4] = {0, 4, 16, 64};

bool IsNumericEncoding(Encoding e) { return e == Encoding::kInt || e == Encoding::kDecimal; }

uint64_t AbsU(uint64_t x) { return static_cast<int64_t>(x) < 0 ? uint64_t{0} - x : x; }
uint64_t Gcd(uint64_t a, uint64_t b) {
  while (b != 0) {
    const uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}
// A divisor for the open header: the gcd if it fits 32 bits, else 1.
uint32_t ToDivisor(uint64_t g) { return g == 0 || g > 0xffffffffu ? 1 : static_cast<uint32_t>(g); }

// The residual steps of the open layout (prev = delta = 0 before the first value; the
// timestamp stream starts after first_ts with delta 0).
void OpenTimestampSteps(const std::vector<Timestamp>& ts, std::vector<uint64_t>* out) {
  out->clear();
  uint64_t delta = 0;
  for (size_t i = 1; i < ts.size(); ++i) {
    const uint64_t d = static_cast<uint64_t>(ts[i]) - static_cast<uint64_t>(ts[i - 1]);
    out->push_back(d - delta);
    delta = d;
  }
}
void OpenValueSteps(const std::vector<uint64_t>& words, int order, std::vector<uint64_t>* out) {
  out->clear();
  uint64_t prev = 0, delta = 0;
  for (uint64_t w : words) {
    if (order == 0) {
      out->push_back(w);
    } else if (order == 1) {
      out->push_back(w - prev);
    } else {
      const uint64_t d = w - prev;
      out->push_back(d - delta);
      delta = d;
    }
    prev = w;
  }
}
uint64_t StepsGcd(const std::vector<uint64_t>& steps) {
  uint64_t g = 0;
  for (uint64_t x : steps)
    if (g != 1) g = Gcd(g, AbsU(x));
  return g;
}
int64_t DivExact(uint64_t x, uint32_t d) {
  return d > 1 ? static_cast<int64_t>(x) / static_cast<int64_t>(d) : static_cast<int64_t>(x);
}

int64_t LoadI64(const uint8_t* p) {
  int64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
void StoreI64(uint8_t* p, int64_t v) { std::memcpy(p, &v, 8); }

}  // namespace

static_assert(sizeof(Appender) <= 48, "the head keeps one appender per active series");

Appender::~Appender() { std::free(buf_); }

Appender::Appender(Appender&& o) noexcept
    : buf_(std::exchange(o.buf_, nullptr)),
      bits_(std::exchange(o.bits_, 0)),
      cap_(std::exchange(o.cap_, 0)),
      v_prev_(o.v_prev_),
      v_delta_(o.v_delta_),
      t_delta_(o.t_delta_),
      kind_(o.kind_),
      enc_(o.enc_),
      lead_(o.lead_),
      trail_(o.trail_),
      has_prev2_(o.has_prev2_) {}

Appender& Appender::operator=(Appender&& o) noexcept {
  if (this != &o) {
    std::free(buf_);
    buf_ = std::exchange(o.buf_, nullptr);
    bits_ = std::exchange(o.bits_, 0);
    cap_ = std::exchange(o.cap_, 0);
    v_prev_ = o.v_prev_;
    v_delta_ = o.v_delta_;
    t_delta_ = o.t_delta_;
    kind_ = o.kind_;
    enc_ = o.enc_;
    lead_ = o.lead_;
    trail_ = o.trail_;
    has_prev2_ = o.has_prev2_;
  }
  return *this;
}

uint32_t Appender::count() const {
  return buf_ ? DecodeFixed16(reinterpret_cast<const char*>(buf_) + kOpenCountOffset) : 0;
}
Timestamp Appender::first_timestamp() const {
  return buf_ ? LoadI64(buf_ + kOpenFirstTsOffset) : 0;
}
Timestamp Appender::last_timestamp() const { return buf_ ? LoadI64(buf_ + kOpenLastTsOffset) : 0; }

void Appender::Reset() {
  std::free(buf_);
  buf_ = nullptr;
  bits_ = cap_ = 0;
}

void Appender::Reserve(size_t bytes) {
  if (bytes <= cap_) return;
  size_t want = std::max<size_t>(bytes, cap_ + cap_ / 4);
  want = (want + 15) & ~size_t{15};
  auto* p = static_cast<uint8_t*>(std::realloc(buf_, want));
  STRIX_CHECK_MSG(p != nullptr, "chunk appender: out of memory");
  std::memset(p + cap_, 0, want - cap_);
  buf_ = p;
  cap_ = static_cast<uint32_t>(want);
}

void Appender::ShrinkToFit() {
  if (!buf_) return;
  const size_t want = (static_cast<size_t>(bits_) + 7) / 8 + 8;
  if (want >= cap_) return;
  auto* p = static_cast<uint8_t*>(std::realloc(buf_, want));
  if (p == nullptr) return;  // keeping the larger buffer is fine
  buf_ = p;
  cap_ = static_cast<uint32_t>(want);
}

void Appender::InitBuffer(const OpenParams& p, uint32_t ts_divisor, uint32_t value_divisor) {
  const bool numeric = IsNumericEncoding(p.enc);
  const size_t hsize = numeric ? kOpenHeaderSizeNumeric : kOpenHeaderSizeOther;
  if (buf_) std::memset(buf_, 0, cap_);
  Reserve(hsize + 32);
  buf_[0] = kMagicV1;
  buf_[1] = static_cast<uint8_t>(kOpenFlag | (static_cast<uint8_t>(p.enc) << 4) |
                                 static_cast<uint8_t>(kind_));
  std::memcpy(buf_ + kOpenTsWidthsOffset, p.ts_widths, 4);
  std::memcpy(buf_ + kOpenTsDivisorOffset, &ts_divisor, 4);
  if (numeric) {
    buf_[kOpenValueOrderOffset] = p.order;
    std::memcpy(buf_ + kOpenValueWidthsOffset, p.value_widths, 4);
    buf_[kOpenExponentOffset] = p.exponent;
    std::memcpy(buf_ + kOpenValueDivisorOffset, &value_divisor, 4);
  }
  bits_ = static_cast<uint32_t>(hsize * 8);
  enc_ = p.enc;
  v_prev_ = v_delta_ = 0;
  t_delta_ = 0;
  lead_ = trail_ = 0;
  has_prev2_ = false;
}

Appender::OpenParams Appender::Params() const {
  OpenParams p;
  p.enc = enc_;
  std::memcpy(p.ts_widths, buf_ + kOpenTsWidthsOffset, 4);
  if (IsNumericEncoding(enc_)) {
    p.exponent = buf_[kOpenExponentOffset];
    p.order = buf_[kOpenValueOrderOffset];
    std::memcpy(p.value_widths, buf_ + kOpenValueWidthsOffset, 4);
  }
  return p;
}

uint32_t Appender::ts_divisor() const {
  return DecodeFixed32(reinterpret_cast<const char*>(buf_) + kOpenTsDivisorOffset);
}
uint32_t Appender::value_divisor() const {
  return IsNumericEncoding(enc_)
             ? DecodeFixed32(reinterpret_cast<const char*>(buf_) + kOpenValueDivisorOffset)
             : 1;
}

// Writes residual r at bit `pos` through the open layout's four buckets; returns the
// new bit position.
uint64_t Appender::PutBucketed(uint64_t pos, uint64_t r, const uint8_t* widths) {
  const int l = BitLength(r);
  const int b = (l > widths[0]) + (l > widths[1]) + (l > widths[2]);
  const int plen = b < 3 ? b + 1 : 3;
  const uint64_t code = b < 3 ? ((uint64_t{1} << b) - 1) << 1 : 7;
  const int w = widths[b];
  if (plen + w <= 64) {
    WriteBitsAt(buf_, pos, (code << w) | r, plen + w);
  } else {
    WriteBitsAt(buf_, pos, code, plen);
    WriteBitsAt(buf_, pos + static_cast<uint64_t>(plen), r, w);
  }
  return pos + static_cast<uint64_t>(plen + w);
}

void Appender::Commit(Timestamp ts, int64_t delta) {
  const uint32_t n = count();
  if (n == 0) {
    StoreI64(buf_ + kOpenFirstTsOffset, ts);
    t_delta_ = 0;
  } else {
    t_delta_ = delta;
  }
  StoreI64(buf_ + kOpenLastTsOffset, ts);
  const uint16_t c = static_cast<uint16_t>(n + 1);
  std::memcpy(buf_ + kOpenCountOffset, &c, 2);
}

bool Appender::Divides(Timestamp ts, uint64_t word) const {
  if (count() == 0) return true;
  const uint32_t td = ts_divisor();
  if (td > 1) {
    const uint64_t d = static_cast<uint64_t>(ts) - static_cast<uint64_t>(last_timestamp());
    if (static_cast<int64_t>(d - static_cast<uint64_t>(t_delta_)) % td != 0) return false;
  }
  const uint32_t vd = value_divisor();
  if (vd > 1) {
    const uint8_t order = buf_[kOpenValueOrderOffset];
    const uint64_t x = order == 0   ? word
                       : order == 1 ? word - v_prev_
                                    : (word - v_prev_) - v_delta_;
    if (static_cast<int64_t>(x) % vd != 0) return false;
  }
  return true;
}

void Appender::Put(Timestamp ts, uint64_t word) {
  const uint32_t n = count();
  // A numeric sample takes at most 3+64 timestamp bits and 13+64 value bits.
  Reserve((static_cast<size_t>(bits_) + 144 + 7) / 8 + 8);
  uint64_t pos = bits_;
  int64_t d = 0;
  if (n > 0) {
    const uint64_t du = static_cast<uint64_t>(ts) - static_cast<uint64_t>(last_timestamp());
    d = static_cast<int64_t>(du);
    const int64_t x = DivExact(du - static_cast<uint64_t>(t_delta_), ts_divisor());
    pos = PutBucketed(pos, ZigZagEncode(x), buf_ + kOpenTsWidthsOffset);
  }
  if (IsNumericEncoding(enc_)) {
    const uint8_t order = buf_[kOpenValueOrderOffset];
    uint64_t x;
    if (order == 2) {
      const uint64_t delta = word - v_prev_;
      x = delta - v_delta_;
      v_delta_ = delta;
    } else {
      x = order == 1 ? word - v_prev_ : word;
    }
    pos =
        PutBucketed(pos, ZigZagEncode(DivExact(x, value_divisor())), buf_ + kOpenValueWidthsOffset);
  } else if (n == 0) {
    WriteBitsAt(buf_, pos, word, 64);
    pos += 64;
  } else {
    internal::XorState s{v_prev_, lead_, trail_};
    internal::XorEncodeValue(s, word, [&](uint64_t v, int b) {
      WriteBitsAt(buf_, pos, v, b);
      pos += static_cast<uint64_t>(b);
    });
    lead_ = s.lead;
    trail_ = s.trail;
  }
  bits_ = static_cast<uint32_t>(pos);
  v_prev_ = word;
  Commit(ts, d);
}

Status Appender::Append(Timestamp ts, NumericValue value) {
  if (kind_ == ValueKind::kState)
    return Status::InvalidArgument("numeric sample for a state series", "chunk append");
  if (buf_ && ts <= last_timestamp())
    return Status::InvalidArgument("sample not after the last one", "chunk append");
  if (count() >= kMaxSamples) return Status::ResourceExhausted("chunk full", "chunk append");
  if (!buf_) {
    // The first sample picks the encoding: integers, decimal at the smallest exponent
    // that fits, or XOR.
    OpenParams p;
    std::copy(kDefaultTsWidths, kDefaultTsWidths + 4, p.ts_widths);
    uint64_t word = value.u;
    int64_t m = 0;
    const int e = IsIntegerKind(kind_) ? -1 : internal::MinDecimalExponent(value.f);
    if (IsIntegerKind(kind_)) {
      p.enc = Encoding::kInt;
      p.order = 2;
      std::copy(kDefaultIntWidths, kDefaultIntWidths + 4, p.value_widths);
    } else if (e >= 0 && internal::DecimalMantissa(value.f, e, &m)) {
      p.enc = Encoding::kDecimal;
      p.exponent = static_cast<uint8_t>(e);
      p.order = 1;
      std::copy(kDefaultDecimalWidths, kDefaultDecimalWidths + 4, p.value_widths);
      word = static_cast<uint64_t>(m);
    } else {
      p.enc = Encoding::kXor;
    }
    InitBuffer(p, 1, 1);
    Put(ts, word);
    return Status::Ok();
  }
  uint64_t word = value.u;
  if (enc_ == Encoding::kDecimal) {
    const int e = buf_[kOpenExponentOffset];
    int64_t m;
    if (!internal::DecimalMantissa(value.f, e, &m)) {
      // Re-encode at a larger exponent, or as XOR for good.
      OpenParams p = Params();
      const int e2 = internal::MinDecimalExponent(value.f, e + 1);
      if (e2 < 0) {
        p.enc = Encoding::kXor;
      } else {
        p.exponent = static_cast<uint8_t>(e2);
      }
      STRIX_RETURN_IF_ERROR(Rebuild(p, &ts, &value, nullptr));
      // Mantissas scaled by the new exponent may want other widths.
      if (count() >= kTuneSamples) Retune();
      return Status::Ok();
    }
    word = static_cast<uint64_t>(m);
  }
  if (!Divides(ts, word)) return Rebuild(Params(), &ts, &value, nullptr);
  Put(ts, word);
  if (count() == kTuneSamples) Retune();
  return Status::Ok();
}

Status Appender::Rebuild(OpenParams p, const Timestamp* extra_ts, const NumericValue* extra_value,
                         const std::string_view* extra_state) {
  std::vector<Timestamp> ts;
  std::vector<uint64_t> steps;
  if (enc_ == Encoding::kState) {
    std::vector<std::string_view> views;
    Status s = DecodeState(bytes(), &ts, &views);
    if (!s.ok()) return Status::Internal("appender cannot decode its own chunk", s.ToString());
    std::vector<std::string> owned(views.begin(), views.end());  // the buffer is rewritten
    if (extra_ts) {
      ts.push_back(*extra_ts);
      owned.emplace_back(*extra_state);
    }
    OpenTimestampSteps(ts, &steps);
    InitBuffer(p, ToDivisor(StepsGcd(steps)), 1);
    for (size_t i = 0; i < ts.size(); ++i) PutState(ts[i], owned[i]);
    return Status::Ok();
  }
  std::vector<NumericValue> vals;
  Status s = DecodeNumeric(bytes(), &ts, &vals);
  if (!s.ok()) return Status::Internal("appender cannot decode its own chunk", s.ToString());
  if (extra_ts) {
    ts.push_back(*extra_ts);
    vals.push_back(*extra_value);
  }
  std::vector<uint64_t> words(vals.size());
  for (size_t i = 0; i < vals.size(); ++i) {
    words[i] = vals[i].u;
    if (p.enc == Encoding::kDecimal) {
      int64_t m;
      if (!internal::DecimalMantissa(vals[i].f, p.exponent, &m)) {
        p.enc = Encoding::kXor;  // the mantissa overflowed: give up on decimal
        for (size_t j = 0; j < vals.size(); ++j) words[j] = vals[j].u;
        break;
      }
      words[i] = static_cast<uint64_t>(m);
    }
  }
  if (!IsNumericEncoding(p.enc)) p.exponent = 0;
  OpenTimestampSteps(ts, &steps);
  const uint32_t td = ToDivisor(StepsGcd(steps));
  uint32_t vd = 1;
  if (IsNumericEncoding(p.enc)) {
    OpenValueSteps(words, p.order, &steps);
    vd = ToDivisor(StepsGcd(steps));
  }
  InitBuffer(p, td, vd);
  for (size_t i = 0; i < ts.size(); ++i) Put(ts[i], words[i]);
  return Status::Ok();
}

void Appender::PutState(Timestamp ts, std::string_view value) {
  const uint32_t n = count();
  auto at = [this](uint64_t ref) {
    return std::string_view(reinterpret_cast<const char*>(buf_) + (ref >> 16), ref & 0xffff);
  };
  enum { kSame, kBack, kNew } what = kNew;
  if (n > 0 && at(v_prev_) == value) {
    what = kSame;
  } else if (n > 0 && has_prev2_ && at(v_delta_) == value) {
    what = kBack;
  }
  // Timestamp (3+64) and change (2) bits, then for a new string padding, a varint length
  // of at most two bytes and the bytes.
  Reserve((static_cast<size_t>(bits_) + 69 + 7) / 8 + (what == kNew ? 3 + value.size() : 0) + 8);
  uint64_t pos = bits_;
  int64_t d = 0;
  if (n > 0) {
    const uint64_t du = static_cast<uint64_t>(ts) - static_cast<uint64_t>(last_timestamp());
    d = static_cast<int64_t>(du);
    const int64_t x = DivExact(du - static_cast<uint64_t>(t_delta_), ts_divisor());
    pos = PutBucketed(pos, ZigZagEncode(x), buf_ + kOpenTsWidthsOffset);
    if (what == kSame) {
      pos += 1;  // '0'
    } else {
      WriteBitsAt(buf_, pos, what == kBack ? 2 : 3, 2);
      pos += 2;
    }
  }
  bits_ = static_cast<uint32_t>(pos);
  if (what == kBack) std::swap(v_prev_, v_delta_);
  if (what == kNew) {
    size_t off = (static_cast<size_t>(bits_) + 7) / 8;
    char len[10];
    const char* end = EncodeVarint64(len, value.size());
    std::memcpy(buf_ + off, len, static_cast<size_t>(end - len));
    off += static_cast<size_t>(end - len);
    std::memcpy(buf_ + off, value.data(), value.size());
    v_delta_ = v_prev_;
    has_prev2_ = n > 0;
    v_prev_ = (static_cast<uint64_t>(off) << 16) | value.size();
    bits_ = static_cast<uint32_t>((off + value.size()) * 8);
  }
  Commit(ts, d);
}

Status Appender::AppendState(Timestamp ts, std::string_view value) {
  if (kind_ != ValueKind::kState)
    return Status::InvalidArgument("state sample for a numeric series", "chunk append");
  if (value.size() > kMaxStateBytes)
    return Status::InvalidArgument("state string longer than 4096 bytes", "chunk append");
  if (buf_ && ts <= last_timestamp())
    return Status::InvalidArgument("sample not after the last one", "chunk append");
  if (count() >= kMaxSamples) return Status::ResourceExhausted("chunk full", "chunk append");
  std::string copy;
  if (buf_ && value.data() >= reinterpret_cast<const char*>(buf_) &&
      value.data() < reinterpret_cast<const char*>(buf_) + cap_) {
    copy.assign(value);  // the value lives in our buffer, which may move
    value = copy;
  }
  if (!buf_) {
    OpenParams p;
    p.enc = Encoding::kState;
    std::copy(kDefaultTsWidths, kDefaultTsWidths + 4, p.ts_widths);
    InitBuffer(p, 1, 1);
  } else if (!Divides(ts, 0)) {
    return Rebuild(Params(), &ts, nullptr, &value);
  }
  PutState(ts, value);
  if (count() == kTuneSamples) Retune();
  return Status::Ok();
}

void Appender::Retune() {
  // Samples decoded once; residuals past the start-up ones (large by construction and
  // costing the same either way) feed the histograms. Candidate divisors are the gcds of
  // all residuals, as Rebuild() will compute them.
  std::vector<Timestamp> ts;
  std::vector<NumericValue> vals;
  std::vector<std::string_view> strs;
  const bool state = enc_ == Encoding::kState;
  Status s = state ? DecodeState(bytes(), &ts, &strs) : DecodeNumeric(bytes(), &ts, &vals);
  if (!s.ok() || ts.size() < 3) return;
  const OpenParams cur = Params();
  OpenParams next = cur;
  std::vector<uint64_t> steps;
  OpenTimestampSteps(ts, &steps);
  const uint32_t td_new = ToDivisor(StepsGcd(steps));
  const uint32_t td_cur = ts_divisor();
  internal::LengthHistogram th_cur, th_new;
  for (size_t i = 1; i < steps.size(); ++i) {
    th_cur.Add(ZigZagEncode(DivExact(steps[i], td_cur)));
    th_new.Add(ZigZagEncode(DivExact(steps[i], td_new)));
  }
  const internal::BucketChoice tc = internal::ChooseOpenBuckets(th_new);
  std::copy(tc.widths, tc.widths + 4, next.ts_widths);
  uint64_t cur_bits = internal::BucketCost(th_cur, 4, cur.ts_widths);
  uint64_t new_bits = tc.bits;

  if (IsNumericEncoding(enc_)) {
    std::vector<uint64_t> words(vals.size());
    for (size_t i = 0; i < vals.size(); ++i) {
      int64_t m = 0;
      if (enc_ == Encoding::kDecimal) {
        if (!internal::DecimalMantissa(vals[i].f, cur.exponent, &m)) return;
        words[i] = static_cast<uint64_t>(m);
      } else {
        words[i] = vals[i].u;
      }
    }
    uint64_t best = ~uint64_t{0};
    for (uint8_t order = 1; order <= 2; ++order) {
      OpenValueSteps(words, order, &steps);
      const uint32_t vd = ToDivisor(StepsGcd(steps));
      internal::LengthHistogram vh;
      for (size_t i = order; i < steps.size(); ++i) vh.Add(ZigZagEncode(DivExact(steps[i], vd)));
      if (order == cur.order) {
        internal::LengthHistogram ch;
        for (size_t i = order; i < steps.size(); ++i)
          ch.Add(ZigZagEncode(DivExact(steps[i], value_divisor())));
        cur_bits += internal::BucketCost(ch, 4, cur.value_widths);
      }
      const internal::BucketChoice vc = internal::ChooseOpenBuckets(vh);
      if (vc.bits < best) {
        best = vc.bits;
        next.order = order;
        std::copy(vc.widths, vc.widths + 4, next.value_widths);
      }
    }
    new_bits += best;
  }
  if (new_bits * 16 >= cur_bits * 15) return;  // saves less than 1/16: keep
  Rebuild(next, nullptr, nullptr, nullptr).IgnoreError();
}

}  // namespace strix::storage::chunk
