// Sample series for the chunk tests and benchmarks: deterministic generators of
// node-exporter-like data at a 10 s interval (slow 2-decimal random walks, byte gauges,
// counters with varying rates, constants, spiky series, non-decimal floats) and helpers
// that compare decoded samples bit for bit. Test-only; not part of the library.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/model.h"

namespace strix::storage::chunk::testing {

// SplitMix64: tiny, fast and identical on every platform (golden files depend on it).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  uint64_t Below(uint64_t n) { return n ? Next() % n : 0; }
  // Uniform integer in [lo, hi].
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1p-53; }
  // Standard normal (Box-Muller); uses libm, so keep it out of golden data.
  double Normal() {
    const double u = Uniform() + 0x1p-54;
    const double v = Uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
  }

 private:
  uint64_t s_;
};

struct Series {
  std::vector<Timestamp> ts;
  std::vector<NumericValue> values;
  void Add(Timestamp t, double f) {
    NumericValue v;
    v.f = f;
    ts.push_back(t);
    values.push_back(v);
  }
  void AddU(Timestamp t, uint64_t u) {
    NumericValue v;
    v.u = u;
    ts.push_back(t);
    values.push_back(v);
  }
  size_t size() const { return ts.size(); }
};

struct StateSeries {
  std::vector<Timestamp> ts;
  std::vector<std::string> values;
  std::vector<std::string_view> views() const { return {values.begin(), values.end()}; }
};

// Timestamps at `step` ms from `start`; with jitter_ms > 0 each one moves by up to
// +-jitter_ms (keeping them strictly increasing).
inline std::vector<Timestamp> Timestamps(Rng& rng, size_t n, Timestamp start = 1700000000000,
                                         int64_t step = 10000, int64_t jitter_ms = 0) {
  std::vector<Timestamp> ts(n);
  for (size_t i = 0; i < n; ++i) {
    ts[i] =
        start + static_cast<int64_t>(i) * step + (jitter_ms ? rng.Range(-jitter_ms, jitter_ms) : 0);
    if (i > 0 && ts[i] <= ts[i - 1]) ts[i] = ts[i - 1] + 1;
  }
  return ts;
}

// The node-exporter-like shapes the benchmark reports on.
enum class Shape {
  kWalk2,      // gauge: slowly changing random walk with 2 decimals (load, temperature)
  kByteGauge,  // gauge: integer bytes moving by a few KiB (memory available)
  kCounter,    // counter64: bytes counter, 1 KB/s..1 MB/s, rate +-30% slowly, 2% noise
  kConstant,   // gauge: constant (capacity, up)
  kSpiky,      // gauge: 2-decimal baseline with rare large spikes
  kFloat,      // gauge: computed non-decimal floats (ratios), XOR territory
};

inline const char* ShapeName(Shape s) {
  switch (s) {
    case Shape::kWalk2:
      return "walk2";
    case Shape::kByteGauge:
      return "bytes_gauge";
    case Shape::kCounter:
      return "counter";
    case Shape::kConstant:
      return "constant";
    case Shape::kSpiky:
      return "spiky";
    case Shape::kFloat:
      return "float";
  }
  return "?";
}

inline ValueKind ShapeKind(Shape s) {
  return s == Shape::kCounter ? ValueKind::kCounter64 : ValueKind::kGauge;
}

// One series of n samples; jitter_ms as in Timestamps().
inline Series MakeSeries(Shape shape, size_t n, uint64_t seed, int64_t jitter_ms = 0) {
  Rng rng(seed);
  Series s;
  const std::vector<Timestamp> ts = Timestamps(rng, n, 1700000000000, 10000, jitter_ms);
  int64_t m = 2000 + rng.Range(0, 3000);  // 20.00 .. 50.00
  int64_t bytes = (int64_t{6} << 30) + rng.Range(0, 1 << 20) * 1024;
  uint64_t counter = rng.Next() >> 20;
  const double rate = std::pow(10.0, 3.0 + 3.0 * rng.Uniform());  // 1 KB/s .. 1 MB/s
  double phase = rng.Uniform() * 6.28;
  for (size_t i = 0; i < n; ++i) {
    switch (shape) {
      case Shape::kWalk2:
        if (rng.Below(2)) m += static_cast<int64_t>(std::lround(rng.Normal() * 3.0));
        s.Add(ts[i], static_cast<double>(m) / 100.0);
        break;
      case Shape::kByteGauge:
        bytes += static_cast<int64_t>(std::lround(rng.Normal() * 6.0)) * 1024;
        s.Add(ts[i], static_cast<double>(bytes));
        break;
      case Shape::kCounter: {
        phase += 0.01;
        const double r = rate * (1.0 + 0.3 * std::sin(phase)) * (1.0 + 0.02 * rng.Normal());
        if (i > 0) counter += static_cast<uint64_t>(std::max(0.0, r * 10.0));
        s.AddU(ts[i], counter);
        break;
      }
      case Shape::kConstant:
        s.Add(ts[i], 1.0);
        break;
      case Shape::kSpiky: {
        const int64_t base = 500 + rng.Range(-3, 3);
        const int64_t v = rng.Below(40) == 0 ? 10000 + rng.Range(0, 90000) : base;
        s.Add(ts[i], static_cast<double>(v) / 100.0);
        break;
      }
      case Shape::kFloat:
        s.Add(ts[i], 0.25 + rng.Uniform() / 3.0);
        break;
    }
  }
  return s;
}

}  // namespace strix::storage::chunk::testing
