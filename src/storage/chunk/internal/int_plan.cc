// Integer-stream planning: exhaustive search over orders, mappings and bucket widths.
// Bucket widths are only ever chosen among the bit lengths that occur, so the search is
// O(D^3) in the number D of distinct lengths (small for compressible data).
#include "storage/chunk/internal/int_plan.h"

#include <algorithm>
#include <numeric>
#include <vector>

namespace strix::storage::chunk::internal {

namespace {

// Distinct lengths in ascending order and the running count of residuals up to each.
struct Lengths {
  int d = 0;
  int len[65];
  uint64_t cum[65];
  explicit Lengths(const LengthHistogram& h) {
    uint64_t c = 0;
    for (int l = 0; l <= 64; ++l) {
      if (h.hist[l] == 0) continue;
      c += h.hist[l];
      len[d] = l;
      cum[d] = c;
      ++d;
    }
  }
};

}  // namespace

BucketChoice ChooseBuckets(const LengthHistogram& h, int max_k) {
  const Lengths ls(h);
  BucketChoice best;
  if (ls.d == 0) return best;  // no residuals: one bucket of width 0
  const uint64_t n = ls.cum[ls.d - 1];
  const uint64_t lmax = static_cast<uint64_t>(ls.len[ls.d - 1]);
  const int top = ls.d - 1;
  // Costs include 8 bits per width byte so that an extra bucket must pay for itself.
  uint64_t best_cost = n * lmax + 8;
  best.k = 1;
  best.widths[0] = static_cast<uint8_t>(lmax);
  auto len = [&](int i) { return static_cast<uint64_t>(ls.len[i]); };
  if (max_k >= 2) {
    for (int a = 0; a < top; ++a) {
      const uint64_t c = ls.cum[a] * (1 + len(a)) + (n - ls.cum[a]) * (1 + lmax) + 16;
      if (c < best_cost) {
        best_cost = c;
        best.k = 2;
        best.widths[0] = static_cast<uint8_t>(len(a));
        best.widths[1] = static_cast<uint8_t>(lmax);
      }
    }
  }
  if (max_k >= 3) {
    for (int a = 0; a < top; ++a) {
      const uint64_t ca = ls.cum[a] * (1 + len(a));
      for (int b = a + 1; b < top; ++b) {
        const uint64_t c =
            ca + (ls.cum[b] - ls.cum[a]) * (2 + len(b)) + (n - ls.cum[b]) * (2 + lmax) + 24;
        if (c < best_cost) {
          best_cost = c;
          best.k = 3;
          best.widths[0] = static_cast<uint8_t>(len(a));
          best.widths[1] = static_cast<uint8_t>(len(b));
          best.widths[2] = static_cast<uint8_t>(lmax);
        }
      }
    }
  }
  if (max_k >= 4) {
    for (int a = 0; a < top; ++a) {
      const uint64_t ca = ls.cum[a] * (1 + len(a));
      for (int b = a + 1; b < top; ++b) {
        const uint64_t cb = ca + (ls.cum[b] - ls.cum[a]) * (2 + len(b));
        if (cb >= best_cost) continue;
        for (int c = b + 1; c < top; ++c) {
          const uint64_t cost =
              cb + (ls.cum[c] - ls.cum[b]) * (3 + len(c)) + (n - ls.cum[c]) * (3 + lmax) + 32;
          if (cost < best_cost) {
            best_cost = cost;
            best.k = 4;
            best.widths[0] = static_cast<uint8_t>(len(a));
            best.widths[1] = static_cast<uint8_t>(len(b));
            best.widths[2] = static_cast<uint8_t>(len(c));
            best.widths[3] = static_cast<uint8_t>(lmax);
          }
        }
      }
    }
  }
  best.bits = BucketCost(h, best.k, best.widths);
  return best;
}

BucketChoice ChooseOpenBuckets(const LengthHistogram& h) {
  // Candidate widths: the lengths below 64 that occur, padded with the smallest unused
  // ones so that three strictly increasing widths always exist. cum[l] counts residuals
  // of length <= l, so each candidate scheme costs O(1).
  uint64_t cum[65];
  uint64_t c = 0;
  for (int l = 0; l <= 64; ++l) cum[l] = c += h.hist[l];
  const uint64_t n = cum[64];
  int cand[64];
  int d = 0;
  for (int l = 0; l < 64; ++l)
    if (h.hist[l]) cand[d++] = l;
  for (int l = 0; d < 3 && l < 64; ++l) {
    if (h.hist[l]) continue;
    cand[d++] = l;
  }
  std::sort(cand, cand + d);
  BucketChoice best;
  best.k = 4;
  uint64_t best_bits = ~uint64_t{0};
  for (int a = 0; a < d; ++a) {
    const uint64_t wa = static_cast<uint64_t>(cand[a]);
    const uint64_t ca = cum[wa] * (1 + wa);
    for (int b = a + 1; b < d; ++b) {
      const uint64_t wb = static_cast<uint64_t>(cand[b]);
      const uint64_t cb = ca + (cum[wb] - cum[wa]) * (2 + wb);
      if (cb >= best_bits) continue;
      for (int e = b + 1; e < d; ++e) {
        const uint64_t we = static_cast<uint64_t>(cand[e]);
        const uint64_t bits = cb + (cum[we] - cum[wb]) * (3 + we) + (n - cum[we]) * (3 + 64);
        if (bits < best_bits) {
          best_bits = bits;
          best.widths[0] = static_cast<uint8_t>(wa);
          best.widths[1] = static_cast<uint8_t>(wb);
          best.widths[2] = static_cast<uint8_t>(we);
          best.widths[3] = 64;
        }
      }
    }
  }
  best.bits = best_bits;
  return best;
}

uint64_t BucketCost(const LengthHistogram& h, int k, const uint8_t* widths) {
  uint64_t bits = 0;
  int b = 0;
  for (int l = 0; l <= 64; ++l) {
    while (b < k - 1 && widths[b] < l) ++b;
    if (h.hist[l])
      bits += static_cast<uint64_t>(h.hist[l]) *
              static_cast<uint64_t>(BucketPrefixLen(k, b) + widths[b]);
  }
  return bits;
}

namespace {

uint64_t AbsU(uint64_t x) {
  const int64_t s = static_cast<int64_t>(x);
  return s < 0 ? uint64_t{0} - x : x;
}

// Steps reused across candidates and the final write (one encoder per thread at a time).
thread_local std::vector<uint64_t> tl_steps;

// Steps of p's order for i in [InitialValues(order), n), written to out[0..].
size_t ComputeSteps(const uint64_t* v, size_t n, const IntParams& p, uint64_t* out) {
  const size_t start = static_cast<size_t>(InitialValues(p.order));
  if (start >= n) return 0;
  switch (p.order) {
    case 0:
      std::copy(v, v + n, out);
      break;
    case 1:
      for (size_t i = 1; i < n; ++i) out[i - 1] = v[i] - v[i - 1];
      break;
    case 2:
      for (size_t i = 2; i < n; ++i) out[i - 2] = (v[i] - v[i - 1]) - (v[i - 1] - v[i - 2]);
      break;
    default: {
      uint64_t trend = v[0];
      for (size_t i = 1; i < n; ++i) {
        trend += p.d1;
        out[i - 1] = v[i] - trend;
      }
      break;
    }
  }
  return n - start;
}

void AddPlan(const IntParams& q, const BucketChoice& bc, const PlanOptions& opt, IntPlan* best,
             bool* have) {
  IntPlan plan;
  plan.params = q;
  plan.params.k = bc.k;
  std::copy(bc.widths, bc.widths + 4, plan.params.widths);
  plan.payload_bits = bc.bits;
  plan.params_bytes = IntParamsSize(plan.params, opt.with_x0);
  if (!*have || plan.cost_bits() < best->cost_bits()) {
    *best = plan;
    *have = true;
  }
}

// Binary GCD (Stein): shifts and subtractions only.
uint64_t Gcd(uint64_t a, uint64_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  const int shift = __builtin_ctzll(a | b);
  a >>= __builtin_ctzll(a);
  do {
    b >>= __builtin_ctzll(b);
    if (a > b) std::swap(a, b);
    b -= a;
  } while (b != 0);
  return a << shift;
}

// Tracks the common divisor of a sequence; testing divisibility by the current divisor
// costs a multiplication, so the gcd itself is recomputed only when it shrinks.
class DivisorTracker {
 public:
  void Add(uint64_t v) {
    if (g_ == 1 || v == 0) return;
    if (g_ != 0 && __builtin_ctzll(v) >= shift_ && (v >> shift_) * inverse_ <= limit_) return;
    Set(Gcd(g_, v));
  }
  uint64_t gcd() const { return g_ == 0 ? 1 : g_; }

 private:
  void Set(uint64_t g) {
    g_ = g;
    if (g_ <= 1) return;
    const ExactDivider d(g);
    shift_ = d.shift;
    inverse_ = d.inverse;
    limit_ = ~uint64_t{0} / (g >> shift_);
  }
  uint64_t g_ = 0;
  int shift_ = 0;
  uint64_t inverse_ = 1;
  uint64_t limit_ = 0;
};

// Adds the best mapping of steps x[0..m) under order/initial values `p`.
void Consider(const uint64_t* x, size_t m, IntParams p, const PlanOptions& opt, IntPlan* best,
              bool* have) {
  // Pass 1: minimum and common divisor of the steps, and the zigzag histogram on the
  // guess that the divisor will be 1 (it usually is).
  int64_t mn = m ? static_cast<int64_t>(x[0]) : 0;
  DivisorTracker div;
  LengthHistogram hz[2];
  size_t i = 0;
  for (; i + 2 <= m; i += 2) {
    const int64_t s0 = static_cast<int64_t>(x[i]), s1 = static_cast<int64_t>(x[i + 1]);
    mn = std::min(mn, std::min(s0, s1));
    div.Add(AbsU(x[i]));
    div.Add(AbsU(x[i + 1]));
    hz[0].Add(ZigZagEncode(s0));
    hz[1].Add(ZigZagEncode(s1));
  }
  if (i < m) {
    const int64_t s0 = static_cast<int64_t>(x[i]);
    mn = std::min(mn, s0);
    div.Add(AbsU(x[i]));
    hz[0].Add(ZigZagEncode(s0));
  }
  uint64_t g = div.gcd();
  if (g > (uint64_t{1} << 62)) g = 1;
  IntParams zz = p, off = p;
  zz.gcd = off.gcd = g;
  off.offset = true;
  off.base = static_cast<uint64_t>(mn);
  // Pass 2: the offset histogram (and the zigzag one again if there is a divisor).
  LengthHistogram ho[2];
  const ResidualMapper mz(zz), mo(off);
  if (g > 1) hz[0] = hz[1] = LengthHistogram();
  for (i = 0; i + 2 <= m; i += 2) {
    ho[0].Add(mo(x[i]));
    ho[1].Add(mo(x[i + 1]));
    if (g > 1) {
      hz[0].Add(mz(x[i]));
      hz[1].Add(mz(x[i + 1]));
    }
  }
  if (i < m) {
    ho[0].Add(mo(x[i]));
    if (g > 1) hz[0].Add(mz(x[i]));
  }
  for (int l = 0; l <= 64; ++l) {
    hz[0].hist[l] += hz[1].hist[l];
    ho[0].hist[l] += ho[1].hist[l];
  }
  AddPlan(zz, ChooseBuckets(hz[0], 4), opt, best, have);
  const BucketChoice bo = ChooseBuckets(ho[0], 4);
  AddPlan(off, bo, opt, best, have);
  // When every offset residual is zero the divisor only costs bytes.
  if (g > 1 && ho[0].hist[0] == m) {
    off.gcd = 1;
    AddPlan(off, bo, opt, best, have);
  }
}

// a / b rounded to nearest (b > 0).
int64_t DivRound(int64_t a, int64_t b) {
  int64_t q = a / b;
  const int64_t r = a % b;
  if (2 * (r < 0 ? -r : r) >= b) q += a < 0 ? -1 : 1;
  return q;
}

}  // namespace

namespace {

// Rough cost of a candidate from every 4th step: the smaller of the zigzag and the
// offset bit-length sums. Only ranks candidates; the winners are then costed exactly.
uint64_t ProxyCost(const uint64_t* x, size_t m) {
  int64_t mn = 0;
  uint64_t zz = 0;
  for (size_t i = 0; i < m; i += 4) {
    const int64_t s = static_cast<int64_t>(x[i]);
    mn = i == 0 || s < mn ? s : mn;
    zz += static_cast<uint64_t>(BitLength(ZigZagEncode(s)));
  }
  uint64_t off = 0;
  for (size_t i = 0; i < m; i += 4)
    off += static_cast<uint64_t>(BitLength(x[i] - static_cast<uint64_t>(mn)));
  return std::min(zz, off);
}

}  // namespace

IntPlan PlanIntStream(const uint64_t* v, size_t n, const PlanOptions& opt) {
  IntPlan best;
  bool have = false;
  // A constant step (a regular interval, a constant or a steady counter) costs no bits
  // under order 1 with that step as the offset base: check that first.
  if (n >= 2 && opt.min_order <= 1 && opt.max_order >= 1) {
    const uint64_t d = v[1] - v[0];
    size_t i = 2;
    while (i < n && v[i] - v[i - 1] == d) ++i;
    if (i == n) {
      IntParams p;
      p.order = 1;
      p.offset = d != 0;  // zigzag needs no base for a constant
      p.base = d;
      p.x0 = v[0];
      best.params = p;
      best.payload_bits = 0;
      best.params_bytes = IntParamsSize(p, opt.with_x0);
      return best;
    }
  }
  // One step array per candidate, computed once.
  if (tl_steps.size() < 4 * n) tl_steps.resize(4 * n);
  // Candidate orders with their initial values.
  IntParams cand[4];
  int ncand = 0;
  for (int order = opt.min_order; order <= opt.max_order; ++order) {
    if (static_cast<size_t>(InitialValues(order)) > n || (order >= 2 && n < 3)) continue;
    IntParams p;
    p.order = static_cast<uint8_t>(order);
    p.x0 = v[0];
    if (order == 2) p.d1 = v[1] - v[0];
    if (order == 3) {
      // Linear: the slope through the end points (jitter around a regular grid).
      p.d1 = static_cast<uint64_t>(
          DivRound(static_cast<int64_t>(v[n - 1] - v[0]), static_cast<int64_t>(n - 1)));
    }
    cand[ncand++] = p;
  }
  uint64_t* steps[4];
  size_t nsteps[4];
  for (int c = 0; c < ncand; ++c) {
    steps[c] = tl_steps.data() + static_cast<size_t>(c) * n;
    nsteps[c] = ComputeSteps(v, n, cand[c], steps[c]);
  }
  // With enough samples, cost only the two most promising candidates exactly.
  bool keep[4] = {true, true, true, true};
  if (n >= 32 && ncand > 2) {
    uint64_t proxy[4];
    for (int c = 0; c < ncand; ++c) proxy[c] = ProxyCost(steps[c], nsteps[c]);
    for (int c = 0; c < ncand; ++c) {
      int better = 0;
      for (int d = 0; d < ncand; ++d)
        better += proxy[d] < proxy[c] || (proxy[d] == proxy[c] && d < c);
      keep[c] = better < 2;
    }
  }
  for (int c = 0; c < ncand; ++c) {
    if (!keep[c]) continue;
    Consider(steps[c], nsteps[c], cand[c], opt, &best, &have);
    // No payload at all (a regular interval, a constant): other orders can only tie.
    if (best.payload_bits == 0) break;
  }
  return best;
}

void WriteResiduals(const IntParams& p, const uint64_t* v, size_t n, BitWriter* w) {
  if (p.k == 1 && p.widths[0] == 0) return;  // no payload
  if (tl_steps.size() < n) tl_steps.resize(n);
  const size_t m = ComputeSteps(v, n, p, tl_steps.data());
  const uint64_t* x = tl_steps.data();
  uint64_t code[4];
  int plen[4];
  int width[4];
  // Widths past k never match: a length above widths[k-1] cannot occur.
  int cut[3] = {64, 64, 64};
  for (int b = 0; b < p.k; ++b) {
    code[b] = BucketPrefixCode(p.k, b);
    plen[b] = BucketPrefixLen(p.k, b);
    width[b] = p.widths[b];
    if (b < 3 && b < p.k - 1) cut[b] = p.widths[b];
  }
  const ResidualMapper map(p);
  for (size_t i = 0; i < m; ++i) {
    const uint64_t r = map(x[i]);
    const int l = BitLength(r);
    const int b = (l > cut[0]) + (l > cut[1]) + (l > cut[2]);
    const int wb = width[b];
    if (plen[b] + wb <= 64 && wb < 64) {
      w->Write((code[b] << wb) | r, plen[b] + wb);
    } else {
      w->Write(code[b], plen[b]);
      w->Write(r, wb);
    }
  }
}

}  // namespace strix::storage::chunk::internal
