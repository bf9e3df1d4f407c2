// Units from metric names (docs/agents/linux.md: the unit is the name's suffix) and the
// series kind: counters are drawn as per-second rates, so linux_disk_read_bytes is bytes/s,
// network byte counters bits/s, CPU and disk busy milliseconds a percentage.
import type { Kind } from './api';
import { isCounter } from './api';

export interface Unit {
  name: string; // shown beside the chart title: "bytes/s", "%", ""
  factor: number; // applied to every value before drawing
  // `digits` significant digits (default 3); axes ask for more when ticks would repeat.
  format: (v: number, digits?: number) => string;
}

function trim(s: string): string {
  return s.includes('.') && !s.includes('e') ? s.replace(/\.?0+$/, '') : s;
}

export function fmtNumber(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e15 || a < 1e-4) return v.toExponential(Math.max(2, digits - 1));
  if (a >= 10 ** digits) return trim(v.toFixed(0));
  return trim(v.toPrecision(digits));
}

function scaled(v: number, base: number, prefixes: string[], suffix: string, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  let a = Math.abs(v);
  let i = 0;
  while (a >= base && i < prefixes.length - 1) {
    a /= base;
    i++;
  }
  const n = v < 0 ? -a : a;
  const unit = prefixes[i] + suffix;
  const text = fmtNumber(n, digits);
  return unit ? text + ' ' + unit : text;
}

export const fmtSI = (v: number, suffix = '', digits = 3) =>
  Math.abs(v) < 1000 ? fmtNumber(v, digits) + (suffix ? ' ' + suffix : '') : scaled(v, 1000, ['', 'k', 'M', 'G', 'T', 'P', 'E'], suffix, digits);

export const fmtBytes = (v: number, perSecond = false, digits = 3) =>
  scaled(v, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'], perSecond ? '/s' : '', digits);

export const fmtBits = (v: number, digits = 3) => scaled(v, 1000, ['bit', 'kbit', 'Mbit', 'Gbit', 'Tbit', 'Pbit'], '/s', digits);

export function fmtDurationSeconds(s: number, digits = 3): string {
  if (!Number.isFinite(s)) return String(s);
  const a = Math.abs(s);
  const f = (x: number) => fmtNumber(x, digits);
  if (a === 0) return '0 s';
  if (a < 1e-3) return f(s * 1e6) + ' µs';
  if (a < 1) return f(s * 1e3) + ' ms';
  if (a < 120) return f(s) + ' s';
  if (a < 7200) return f(s / 60) + ' min';
  if (a < 172800) return f(s / 3600) + ' h';
  return f(s / 86400) + ' d';
}

const pct = (v: number, d?: number) => fmtNumber(v, d) + ' %';

// Labels for axis ticks: the fewest digits (3 to 8) that keep neighbouring ticks distinct.
export function tickLabels(splits: number[], format: Unit['format']): string[] {
  let labels: string[] = [];
  for (let d = 3; d <= 8; d++) {
    labels = splits.map((v) => (v == null ? '' : format(v, d)));
    if (new Set(labels).size === labels.length) return labels;
  }
  return labels;
}

// The unit of metric `name` of kind `kind`; counters are rates (fn=rate).
export function unitFor(name: string, kind: Kind): Unit {
  const n = name.endsWith('_total') ? name.slice(0, -6) : name;
  const rate = isCounter(kind) || kind === 'absolute';
  if (rate) {
    // Network byte counters as bits per second, as links are rated.
    if (/_bytes$/.test(n) && /network|(^|_)net_|_(rx|tx)_bytes$|_(receive|transmit)_bytes$/.test(n)) {
      return { name: 'bits/s', factor: 8, format: fmtBits };
    }
    if (/^network_(in|out)$/.test(n)) return { name: 'bits/s', factor: 8, format: fmtBits };
    if (/_bytes$/.test(n)) return { name: 'bytes/s', factor: 1, format: (v, d) => fmtBytes(v, true, d) };
    if (/_ms$/.test(n)) {
      if (/cpu/.test(n)) return { name: '% of a CPU', factor: 0.1, format: pct };
      if (/io_time_ms$|busy/.test(n) && !/weighted/.test(n)) return { name: '% busy', factor: 0.1, format: pct };
      return { name: 'ms/s', factor: 1, format: (v, d) => fmtNumber(v, d) + ' ms/s' };
    }
    if (/_seconds$/.test(n)) return { name: '%', factor: 100, format: pct };
    return { name: '/s', factor: 1, format: (v, d) => fmtSI(v, '/s', d) };
  }
  if (/_bytes$/.test(n)) return { name: 'bytes', factor: 1, format: (v, d) => fmtBytes(v, false, d) };
  if (/_seconds$/.test(n)) return { name: 'duration', factor: 1, format: fmtDurationSeconds };
  if (/_ms$/.test(n)) return { name: 'duration', factor: 0.001, format: fmtDurationSeconds };
  if (/_hz$/.test(n)) return { name: 'Hz', factor: 1, format: (v, d) => fmtSI(v, 'Hz', d) };
  if (/_celsius$/.test(n)) return { name: '°C', factor: 1, format: (v, d) => fmtNumber(v, d) + ' °C' };
  if (/_usage$|percent/.test(n)) return { name: '%', factor: 1, format: pct };
  if (/_ratio$/.test(n)) return { name: '%', factor: 100, format: pct };
  if (kind === 'state') return { name: 'state', factor: 1, format: String };
  return { name: '', factor: 1, format: (v, d) => fmtSI(v, '', d) };
}
