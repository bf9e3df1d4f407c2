// Time ranges as the URL holds them (range=7d, or from=<ms>&to=<ms>), the step that gives
// about one point per pixel, and time formatting.

export const RANGES = ['15m', '1h', '6h', '24h', '7d', '30d', '90d', '1y'] as const;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 365 * 86_400_000,
};

// "7d", "1h30m", "90s", "250ms" → milliseconds; a bare number is seconds. NaN if invalid.
export function parseDuration(text: string): number {
  const t = text.trim();
  if (t === '') return NaN;
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    pos = re.lastIndex;
  }
  return pos === t.length && pos > 0 ? total : NaN;
}

// 3600000 → "1h", 5400000 → "1h30m".
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  let s = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [u, n] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (s >= n) {
      parts.push(`${Math.floor(s / n)}${u}`);
      s %= n;
    }
  }
  return parts.join('');
}

export interface TimeRange {
  from: number; // ms
  to: number; // ms
  live: boolean; // ends now: charts follow the clock and take streamed points
  key: string; // "7d" or "custom"
}

export const DEFAULT_RANGE = '1h';

// Reads range=, or from=&to=, from URL parameters.
export function rangeFromParams(p: URLSearchParams, now = Date.now()): TimeRange {
  const from = Number(p.get('from'));
  const to = Number(p.get('to'));
  if (p.has('from') && p.has('to') && Number.isFinite(from) && Number.isFinite(to) && to > from) {
    return { from, to, live: false, key: 'custom' };
  }
  const key = p.get('range') ?? DEFAULT_RANGE;
  let span = parseDuration(key);
  if (!Number.isFinite(span) || span <= 0) span = parseDuration(DEFAULT_RANGE);
  return { from: now - span, to: now, live: true, key };
}

// Writes a range into URL parameters (removing the other form).
export function setRangeParams(p: URLSearchParams, r: { key: string; from?: number; to?: number }): void {
  p.delete('range');
  p.delete('from');
  p.delete('to');
  if (r.key === 'custom' && r.from !== undefined && r.to !== undefined) {
    p.set('from', String(Math.round(r.from)));
    p.set('to', String(Math.round(r.to)));
  } else {
    p.set('range', r.key);
  }
}

const NICE_STEPS_S = [
  1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200,
  86400, 172800, 604800,
];

// The smallest nice step (>= 1 s) giving at most one point per pixel.
export function chooseStep(rangeMs: number, widthPx: number): number {
  const raw = rangeMs / Math.max(50, widthPx) / 1000;
  for (const s of NICE_STEPS_S) if (s >= raw) return s * 1000;
  return Math.ceil(raw / 86400) * 86400 * 1000;
}

const pad = (n: number) => String(n).padStart(2, '0');

// Local time for <input type="datetime-local">.
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(s: string): number {
  const t = new Date(s).getTime();
  return Number.isFinite(t) ? t : NaN;
}

export function formatTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// "12 s ago", "3 min ago", "2 h ago", "5 d ago".
export function formatAgo(ms: number | null, now = Date.now()): string {
  if (ms === null || !Number.isFinite(ms)) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}
