// TimeChart: one uPlot time-series chart with its own legend, built from the columns of
// /api/v1/select. It aligns several series on one time axis (holes between them are
// `undefined`, which uPlot spans), breaks lines where a series has no data for more than
// 1.5 steps (an explicit `null`), draws a min/max band when the data came from a
// consolidated tier, merges streamed points in place (setData, never a new chart), and
// hands drag selections to the page as a zoom.
import uPlot from 'uplot';
import type { Labels, SelectSeries } from './api';
import { h, setChildren } from './dom';
import { noteDraw } from './perf';
import { colors, seriesColor, onThemeChange } from './theme';
import { tickLabels, type Unit } from './units';

type Y = (number | null | undefined)[];

export interface ChartOptions {
  title: string;
  unit: Unit;
  height: number;
  sync?: string; // cursor sync key shared by the charts of a page
  window: { from: number; to: number };
  hidden?: Set<string>; // series keys hidden at start
  onZoom?: (from: number, to: number) => void;
  onToggle?: (key: string, hidden: boolean) => void;
  onDraw?: () => void;
  // Called when a streamed point belongs to a series the chart does not have.
  onUnknownSeries?: () => void;
  // Labels left out of legend entries (besides those all series share).
  omitLabels?: string[];
  maxBands?: number; // draw min/max bands only up to this many series (default 12)
  width?: () => number; // the plot width in px, when the page knows it
}

interface Entry {
  id: string; // labelsKey: matches streamed series
  key: string; // the legend text, unique within the chart: what hidden sets and URLs hold
  label: string;
  y: Y;
  min: Y | null;
  max: Y | null;
  value: HTMLElement | null; // legend readout
  item: HTMLElement | null;
}

export function labelsKey(l: Labels): string {
  const names = Object.keys(l).sort();
  return names.map((n) => `${n}=${JSON.stringify(l[n])}`).join(',');
}

// The labels in which the series differ, as "k=v k2=v2" per series.
export function legendLabels(list: Labels[], omit: string[] = []): string[] {
  const names = new Set<string>();
  for (const l of list) for (const n of Object.keys(l)) names.add(n);
  const varying = [...names]
    .filter((n) => !omit.includes(n))
    .filter((n) => list.some((l) => l[n] !== list[0][n]))
    .sort();
  return list.map((l) => {
    if (varying.length === 0) return l.__name__ ?? 'value';
    if (varying.length === 1) return `${varying[0]}=${l[varying[0]] ?? ''}`;
    return varying.map((n) => `${n}=${l[n] ?? ''}`).join(' ');
  });
}

// Typical spacing of a sorted timestamp array (median of up to 2000 sampled deltas).
function typicalDelta(ts: number[]): number {
  const n = ts.length;
  if (n < 2) return 0;
  const stride = Math.max(1, Math.floor((n - 1) / 2000));
  const d: number[] = [];
  for (let i = stride; i < n; i += stride) d.push((ts[i] - ts[i - stride]) / stride);
  d.sort((a, b) => a - b);
  return d[d.length >> 1];
}

function numeric(values: (number | string)[], factor: number): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = (typeof v === 'number' ? v : Number(v)) * factor;
  }
  return out;
}

// First index in sorted `xs` with xs[i] >= t.
function lowerBound(xs: number[], t: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// One ResizeObserver for every chart (entries carry the width: no layout reads).
const resizeTargets = new Map<Element, TimeChart>();
let sharedObserver: ResizeObserver | null = null;
function resizeObserver(): ResizeObserver {
  sharedObserver ??= new ResizeObserver((entries) => {
    for (const e of entries) resizeTargets.get(e.target)?.resized(e.contentRect.width);
  });
  return sharedObserver;
}

export class TimeChart {
  readonly el: HTMLElement;
  private readonly plotEl: HTMLElement;
  private readonly legendEl: HTMLElement;
  private readonly statusEl: HTMLElement;
  private u: uPlot | null = null;
  private x: number[] = [];
  private entries: Entry[] = [];
  private index = new Map<string, number>();
  private band = false;
  private gapThr = Infinity;
  private win: { from: number; to: number };
  private hidden: Set<string>;
  private observed = false;
  private offTheme: () => void;
  private lastWidth = 0;

  constructor(
    parent: HTMLElement,
    private readonly opts: ChartOptions,
  ) {
    this.win = { ...opts.window };
    this.hidden = new Set(opts.hidden ?? []);
    this.plotEl = h('div', { class: 'plot', style: `height:${opts.height}px` });
    this.statusEl = h('div', { class: 'chart-status', text: 'loading…' });
    this.legendEl = h('ul', { class: 'legend' });
    this.el = h('div', { class: 'chart' }, this.plotEl, this.statusEl, this.legendEl);
    parent.appendChild(this.el);
    this.offTheme = onThemeChange(() => {
      this.u?.redraw(true, true);
      if (this.u) this.renderLegend();
    });
  }

  get plot(): uPlot | null {
    return this.u;
  }

  get pointCount(): number {
    return this.x.length;
  }

  // Series keys in legend order.
  get keys(): string[] {
    return this.entries.map((e) => e.key);
  }

  setStatus(text: string, error = false): void {
    this.statusEl.textContent = text;
    this.statusEl.className = 'chart-status' + (error ? ' error' : '');
    this.statusEl.hidden = text === '';
  }

  // Replaces everything the chart shows with the answer of a select.
  setData(list: SelectSeries[], step: number, window: { from: number; to: number }): void {
    this.win = { ...window };
    const numericList = list.filter((s) => s.kind !== 'state');
    const f = this.opts.unit.factor;
    const labels = legendLabels(
      numericList.map((s) => s.labels),
      this.opts.omitLabels,
    );
    let longest: number[] = [];
    for (const s of numericList) if (s.timestamps.length > longest.length) longest = s.timestamps;
    this.gapThr = 1.5 * Math.max(step, typicalDelta(longest), 1);
    this.band =
      numericList.length <= (this.opts.maxBands ?? 12) &&
      numericList.some((s) => s.resolution > 0 && s.min && s.max && s.min.length === s.timestamps.length);

    const cols = numericList.map((s) => ({
      ts: s.timestamps,
      v: numeric(s.values, f),
      min: null as number[] | null,
      max: null as number[] | null,
    }));
    if (this.band) {
      numericList.forEach((s, i) => {
        const ok = s.min && s.max && s.min.length === s.timestamps.length;
        cols[i].min = ok ? numeric(s.min!, f) : cols[i].v;
        cols[i].max = ok ? numeric(s.max!, f) : cols[i].v;
      });
    }
    const aligned = this.align(cols);
    const before = this.entries;
    const sameShape =
      this.u !== null &&
      before.length === numericList.length &&
      this.u.series.length === 1 + before.length * (this.band ? 3 : 1) &&
      numericList.every((s, i) => before[i].id === labelsKey(s.labels) && before[i].label === labels[i]);
    this.x = aligned.x;
    this.entries = numericList.map((s, i) => ({
      id: labelsKey(s.labels),
      key: labels[i],
      label: labels[i],
      y: aligned.ys[i],
      min: aligned.mins[i],
      max: aligned.maxs[i],
      value: null,
      item: null,
    }));
    this.index = new Map(this.entries.map((e, i) => [e.id, i]));
    if (sameShape && this.u) {
      // Same series: new data into the same chart (one redraw, legend kept).
      this.entries.forEach((e, i) => {
        e.value = before[i].value;
        e.item = before[i].item;
      });
      this.u.setData(this.data());
      this.updateReadout(null);
    } else {
      this.build();
    }
    const points = numericList.reduce((a, s) => a + s.timestamps.length, 0);
    this.setStatus(numericList.length === 0 ? 'no data in this range' : points === 0 ? 'no data in this range' : '');
  }

  // Aligns columns on one x array. Gap markers (x = previous + 1 ms, value null) break the
  // line where a series has no point for more than gapThr.
  private align(cols: { ts: number[]; v: number[]; min: number[] | null; max: number[] | null }[]): {
    x: number[];
    ys: Y[];
    mins: (Y | null)[];
    maxs: (Y | null)[];
  } {
    const thr = this.gapThr;
    if (cols.length === 1) {
      const c = cols[0];
      const x: number[] = [];
      const y: Y = [];
      const mn: Y | null = c.min ? [] : null;
      const mx: Y | null = c.max ? [] : null;
      for (let i = 0; i < c.ts.length; i++) {
        if (i > 0 && c.ts[i] - c.ts[i - 1] > thr) {
          x.push(c.ts[i - 1] + 1);
          y.push(null);
          mn?.push(null);
          mx?.push(null);
        }
        x.push(c.ts[i]);
        y.push(c.v[i]);
        mn?.push(c.min![i]);
        mx?.push(c.max![i]);
      }
      return { x, ys: [y], mins: [mn], maxs: [mx] };
    }
    let total = 0;
    for (const c of cols) total += c.ts.length * 2;
    const all = new Float64Array(total);
    let n = 0;
    for (const c of cols) {
      for (let i = 0; i < c.ts.length; i++) {
        all[n++] = c.ts[i];
        if (i > 0 && c.ts[i] - c.ts[i - 1] > thr) all[n++] = c.ts[i - 1] + 1;
      }
    }
    const sorted = all.subarray(0, n).sort();
    const x: number[] = [];
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) x.push(sorted[i]);
    const ys: Y[] = [];
    const mins: (Y | null)[] = [];
    const maxs: (Y | null)[] = [];
    for (const c of cols) {
      const y: Y = new Array(x.length).fill(undefined);
      const mn: Y | null = c.min ? new Array(x.length).fill(undefined) : null;
      const mx: Y | null = c.max ? new Array(x.length).fill(undefined) : null;
      let j = 0;
      let marked = -1;
      for (let k = 0; k < x.length; k++) {
        const t = x[k];
        while (j < c.ts.length && c.ts[j] < t) j++;
        if (j < c.ts.length && c.ts[j] === t) {
          y[k] = c.v[j];
          if (mn) mn[k] = c.min![j];
          if (mx) mx[k] = c.max![j];
        } else if (j > 0 && j < c.ts.length && marked !== j && c.ts[j] - c.ts[j - 1] > thr) {
          marked = j;
          y[k] = null;
          if (mn) mn[k] = null;
          if (mx) mx[k] = null;
        }
      }
      ys.push(y);
      mins.push(mn);
      maxs.push(mx);
    }
    return { x, ys, mins, maxs };
  }

  private data(): uPlot.AlignedData {
    const d: (number | null | undefined)[][] = [this.x];
    for (const e of this.entries) {
      d.push(e.y);
      if (this.band) d.push(e.max ?? [], e.min ?? []);
    }
    return d as unknown as uPlot.AlignedData;
  }

  // uPlot series index of entry i.
  private sidx(i: number): number {
    return 1 + i * (this.band ? 3 : 1);
  }

  private build(): void {
    this.u?.destroy();
    this.u = null;
    // A page of many charts passes the width it measured once (no layout per chart).
    const width = Math.max(200, this.opts.width?.() || this.plotEl.clientWidth || this.el.clientWidth || 600);
    this.lastWidth = width;
    const unit = this.opts.unit;
    const series: uPlot.Series[] = [{}];
    const bands: uPlot.Band[] = [];
    this.entries.forEach((e, i) => {
      const show = !this.hidden.has(e.key);
      series.push({
        label: e.label,
        stroke: () => seriesColor(i),
        width: 1.5,
        show,
        points: { show: false },
        value: (_u, v) => (v == null ? '–' : unit.format(v)),
      });
      if (this.band) {
        const s = series.length;
        series.push({ label: e.label + ' max', stroke: 'transparent', width: 0, show, points: { show: false } });
        series.push({ label: e.label + ' min', stroke: 'transparent', width: 0, show, points: { show: false } });
        bands.push({ series: [s, s + 1], fill: () => seriesColor(i, 0.18) });
      }
    });
    const axisStroke = () => colors().axis;
    const gridStroke = () => colors().grid;
    const opts: uPlot.Options = {
      width,
      height: this.opts.height,
      ms: 1,
      pxAlign: 0,
      legend: { show: false },
      padding: [8, 8, 0, 0],
      cursor: {
        sync: this.opts.sync ? { key: this.opts.sync, setSeries: false } : undefined,
        drag: { x: true, y: false, setScale: false },
        points: { size: 6 },
      },
      scales: {
        x: { time: true, range: () => [this.win.from, this.win.to] },
        y: {
          range: (_u, min, max) => {
            if (min == null || max == null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
            let lo = min >= 0 && min <= max * 0.5 ? 0 : min;
            let hi = max;
            if (lo === hi) {
              const d = Math.abs(hi) * 0.1 || 1;
              lo = lo === 0 ? 0 : lo - d;
              hi += d;
            }
            return uPlot.rangeNum(lo, hi, 0.08, true) as uPlot.Range.MinMax;
          },
        },
      },
      axes: [
        {
          stroke: axisStroke,
          grid: { stroke: gridStroke, width: 1 },
          ticks: { stroke: gridStroke, width: 1, size: 4 },
          font: '11px system-ui, sans-serif',
        },
        {
          stroke: axisStroke,
          grid: { stroke: gridStroke, width: 1 },
          ticks: { stroke: gridStroke, width: 1, size: 4 },
          font: '11px system-ui, sans-serif',
          values: (_u, splits) => tickLabels(splits, unit.format),
          size: (_u, values) => {
            const longest = (values ?? []).reduce((m, v) => Math.max(m, String(v).length), 0);
            return Math.max(40, Math.ceil(longest * 6.4) + 14);
          },
        },
      ],
      series,
      bands,
      hooks: {
        setSelect: [
          (u) => {
            const s = u.select;
            if (s.width >= 4 && this.opts.onZoom) {
              const from = u.posToVal(s.left, 'x');
              const to = u.posToVal(s.left + s.width, 'x');
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              this.opts.onZoom(Math.round(from), Math.round(to));
            }
          },
        ],
        setCursor: [(u) => this.updateReadout(u)],
        draw: [
          () => {
            noteDraw();
            this.opts.onDraw?.();
          },
        ],
      },
    };
    this.u = new uPlot(opts, this.data(), this.plotEl);
    this.renderLegend();
    if (!this.observed) {
      this.observed = true;
      resizeObserver().observe(this.plotEl);
      resizeTargets.set(this.plotEl, this);
    }
  }

  // Called by the shared ResizeObserver with the plot element's new content width.
  resized(width: number): void {
    const w = Math.floor(width);
    if (this.u && w > 0 && w !== this.lastWidth) {
      this.lastWidth = w;
      this.u.setSize({ width: w, height: this.opts.height });
    }
  }

  private renderLegend(): void {
    const items = this.entries.map((e, i) => {
      const value = h('span', { class: 'lv' });
      const item = h(
        'li',
        {
          class: this.hidden.has(e.key) ? 'off' : '',
          title: e.id,
          tabindex: '0',
          role: 'switch',
          'aria-checked': String(!this.hidden.has(e.key)),
          onclick: () => this.toggle(i),
          onkeydown: (ev: KeyboardEvent) => {
            if (ev.key === 'Enter' || ev.key === ' ') {
              ev.preventDefault();
              this.toggle(i);
            }
          },
        },
        h('span', { class: 'sw', style: `background:${seriesColor(i)}` }),
        h('span', { class: 'ln', text: e.label }),
        value,
      );
      e.value = value;
      e.item = item;
      return item;
    });
    setChildren(this.legendEl, items);
    this.legendEl.hidden = this.entries.length <= 1 && this.entries[0]?.label === (this.opts.title || '');
    this.updateReadout(null);
  }

  private toggle(i: number): void {
    const e = this.entries[i];
    const hide = !this.hidden.has(e.key);
    if (hide) this.hidden.add(e.key);
    else this.hidden.delete(e.key);
    e.item?.classList.toggle('off', hide);
    e.item?.setAttribute('aria-checked', String(!hide));
    if (this.u) {
      const s = this.sidx(i);
      this.u.batch(() => {
        this.u!.setSeries(s, { show: !hide });
        if (this.band) {
          this.u!.setSeries(s + 1, { show: !hide });
          this.u!.setSeries(s + 2, { show: !hide });
        }
      });
    }
    this.opts.onToggle?.(e.key, hide);
  }

  private lastDefined(y: Y): number | null {
    for (let i = y.length - 1; i >= 0; i--) {
      const v = y[i];
      if (v !== undefined && v !== null) return v;
    }
    return null;
  }

  private updateReadout(u: uPlot | null): void {
    const idx = u?.cursor.idx;
    const fmt = this.opts.unit.format;
    this.entries.forEach((e, i) => {
      if (!e.value) return;
      let v: number | null | undefined;
      if (u && idx != null) {
        const j = u.cursor.idxs?.[this.sidx(i)];
        v = j == null ? null : e.y[j];
      } else {
        v = this.lastDefined(e.y);
      }
      e.value.textContent = v == null ? '–' : fmt(v);
    });
  }

  // Moves the visible window. `follow`: a live chart following the clock, which also drops
  // the points that fell off the left edge.
  setWindow(window: { from: number; to: number }, follow = false): void {
    this.win.from = window.from;
    this.win.to = window.to;
    if (follow) this.trim();
    this.u?.setData(this.data());
  }

  private trim(): void {
    // Keep one point left of the edge so the line reaches it.
    const k = lowerBound(this.x, this.win.from) - 1;
    if (k <= 0) return;
    this.x.splice(0, k);
    for (const e of this.entries) {
      e.y.splice(0, k);
      e.min?.splice(0, k);
      e.max?.splice(0, k);
    }
  }

  // Merges streamed points: a timestamp the chart has replaces its value (the newest bucket
  // grows), a newer one appends.
  applyLive(list: SelectSeries[]): void {
    if (!this.u) return;
    const f = this.opts.unit.factor;
    let unknown = false;
    for (const s of list) {
      if (s.kind === 'state') continue;
      const i = this.index.get(labelsKey(s.labels));
      if (i === undefined) {
        if (s.timestamps.length > 0) unknown = true;
        continue;
      }
      const e = this.entries[i];
      for (let p = 0; p < s.timestamps.length; p++) {
        const t = s.timestamps[p];
        const raw = s.values[p];
        const v = (typeof raw === 'number' ? raw : Number(raw)) * f;
        const mn = s.min ? s.min[p] * f : v;
        const mx = s.max ? s.max[p] * f : v;
        this.put(e, t, v, mn, mx);
      }
    }
    if (this.x.length > 0) this.setStatus('');
    this.trim();
    this.u.setData(this.data());
    if (unknown) this.opts.onUnknownSeries?.();
  }

  private insertAt(k: number, t: number): void {
    this.x.splice(k, 0, t);
    for (const o of this.entries) {
      o.y.splice(k, 0, undefined);
      o.min?.splice(k, 0, undefined);
      o.max?.splice(k, 0, undefined);
    }
  }

  private put(e: Entry, t: number, v: number, mn: number, mx: number): void {
    const n = this.x.length;
    let k: number;
    if (n === 0 || t > this.x[n - 1]) {
      // Newer than everything: a gap marker first if this series was silent too long.
      let last = -1;
      for (let j = n - 1; j >= 0; j--) {
        if (e.y[j] !== undefined && e.y[j] !== null) {
          last = j;
          break;
        }
      }
      if (last >= 0 && t - this.x[last] > this.gapThr) {
        const g = last + 1;
        if (g >= n) this.insertAt(n, this.x[last] + 1);
        e.y[g] = null;
        if (e.min) e.min[g] = null;
        if (e.max) e.max[g] = null;
      }
      k = this.x.length;
      this.insertAt(k, t);
    } else {
      k = lowerBound(this.x, t);
      if (this.x[k] !== t) this.insertAt(k, t);
    }
    e.y[k] = v;
    if (e.min) e.min[k] = mn;
    if (e.max) e.max[k] = mx;
  }

  // For the stream's since=: the oldest of the series' newest points, so that a series
  // that lags behind the others gets its missing points too. Null when empty.
  lastTimestamp(): number | null {
    let oldest: number | null = null;
    for (const e of this.entries) {
      for (let k = this.x.length - 1; k >= 0; k--) {
        const v = e.y[k];
        if (v !== null && v !== undefined) {
          oldest = oldest === null ? this.x[k] : Math.min(oldest, this.x[k]);
          break;
        }
      }
    }
    return oldest ?? (this.x.length ? this.x[this.x.length - 1] : null);
  }

  // Rows of the visible series for CSV: [time, v1, v2, ...], and the header.
  table(): { header: string[]; rows: (number | null)[][] } {
    const vis = this.entries.filter((e) => !this.hidden.has(e.key));
    const header = ['time', ...vis.map((e) => e.label + (this.opts.unit.name ? ` (${this.opts.unit.name})` : ''))];
    const rows: (number | null)[][] = [];
    for (let k = 0; k < this.x.length; k++) {
      const row: (number | null)[] = [this.x[k]];
      let any = false;
      for (const e of vis) {
        const v = e.y[k];
        if (v !== undefined && v !== null) any = true;
        row.push(v ?? null);
      }
      if (any) rows.push(row);
    }
    return { header, rows };
  }

  // The chart as a PNG: plot canvas on the theme's background, title above, legend below.
  async png(): Promise<Blob | null> {
    if (!this.u) return null;
    const src = this.u.ctx.canvas;
    const ratio = src.width / Math.max(1, this.u.width);
    const c = colors();
    const font = 12 * ratio;
    const pad = 10 * ratio;
    const vis = this.entries.map((e, i) => ({ e, i })).filter(({ e }) => !this.hidden.has(e.key));
    const measure = document.createElement('canvas').getContext('2d')!;
    measure.font = `${font}px system-ui, sans-serif`;
    // Lay out legend entries in rows.
    const rowsOf: { text: string; i: number; x: number; y: number }[] = [];
    let x = pad;
    let line = 0;
    for (const { e, i } of vis) {
      const text = e.label;
      const w = measure.measureText(text).width + font * 2.2;
      if (x + w > src.width - pad && x > pad) {
        x = pad;
        line++;
      }
      rowsOf.push({ text, i, x, y: line });
      x += w;
    }
    const titleH = font * 2;
    const legendH = vis.length ? (line + 1) * font * 1.6 + pad : 0;
    const out = document.createElement('canvas');
    out.width = src.width;
    out.height = Math.ceil(titleH + src.height + legendH);
    const ctx = out.getContext('2d')!;
    ctx.fillStyle = c.bg;
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.fillStyle = c.text;
    ctx.font = `600 ${font * 1.1}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    ctx.fillText(this.opts.title + (this.opts.unit.name ? `  (${this.opts.unit.name})` : ''), pad, titleH / 2);
    ctx.drawImage(src, 0, titleH);
    ctx.font = `${font}px system-ui, sans-serif`;
    for (const r of rowsOf) {
      const y = titleH + src.height + pad / 2 + r.y * font * 1.6 + font * 0.8;
      ctx.fillStyle = seriesColor(r.i);
      ctx.fillRect(r.x, y - font * 0.35, font * 0.9, font * 0.7);
      ctx.fillStyle = c.text;
      ctx.fillText(r.text, r.x + font * 1.3, y);
    }
    return new Promise((resolve) => out.toBlob((b) => resolve(b), 'image/png'));
  }

  destroy(): void {
    this.offTheme();
    if (this.observed) {
      resizeObserver().unobserve(this.plotEl);
      resizeTargets.delete(this.plotEl);
    }
    this.u?.destroy();
    this.u = null;
    this.el.remove();
  }
}
