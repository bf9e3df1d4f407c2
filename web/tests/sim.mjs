// The values `strix simulate` writes (docs/simulate.md, "Random numbers" and "Series"), in
// JavaScript with BigInt, so the browser tests can check what the dashboard shows against
// the generator rather than against strixd alone.
const M = (1n << 64n) - 1n;

function mix(x) {
  x = (x + 0x9e3779b97f4a7c15n) & M;
  x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
  x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & M;
  return x ^ (x >> 31n);
}

function fnv1a64(s) {
  let h = 0xcbf29ce484222325n;
  for (const c of Buffer.from(s, 'utf8')) h = ((h ^ BigInt(c)) * 0x100000001b3n) & M;
  return h;
}

const key = (seed, host, name) => mix(mix(mix(BigInt(seed)) ^ BigInt(host)) ^ fnv1a64(name));
const unit = (k, i) => Number(mix(k ^ mix(BigInt.asUintN(64, BigInt(i)))) >> 11n) * 2 ** -53;
const U = (k, i, a, b) => a + (b - a) * unit(k, i);
const ONCE = M; // the index of per-host draws: 2^64 - 1

// cpu_usage of host index `host` at ts (ms).
export function cpuUsage(seed, host, ts) {
  const k = key(seed, host, 'cpu_usage');
  const base = U(k, ONCE, 20, 60);
  const w = Math.sin((2 * Math.PI * new Date(ts).getUTCHours()) / 24);
  const v = Math.min(100, Math.max(0, base + 20 * w + U(k, ts, -5, 5)));
  return Math.round(v * 1000) / 1000;
}

// linux_memory_total_bytes: 4 GiB x 2^min(3, floor(4u)).
export function memoryTotal(seed, host) {
  const u = unit(key(seed, host, 'param/memory_total'), ONCE);
  return 4 * 2 ** 30 * 2 ** Math.min(3, Math.floor(4 * u));
}

// The worked example of docs/simulate.md: seed 1, host 0, ts 1,799,913,600,000.
export function selfCheck() {
  const c = cpuUsage(1, 0, 1_799_913_600_000);
  const m = memoryTotal(1, 0);
  if (Math.abs(c - 66.387) > 1e-9 || m !== 8589934592) {
    throw new Error(`tests/sim.mjs disagrees with docs/simulate.md: cpu_usage ${c} (66.387), memory total ${m} (8589934592)`);
  }
}
