// Explorer (#/explore?q=cpu_usage{host="web1"}&q=...&fn=auto&step=auto&range=1h&hide=..):
// queries built from a metric name and label matchers (autocompleted from the label
// endpoints), overlaid on one chart, with a consolidation function and a step, legend
// toggles kept in the URL, and CSV / PNG export.
import type { Kind, SelectData, SelectSeries, SeriesInfo } from '../api';
import { ApiError, apiGet, isCounter, unixSeconds, withMinMax } from '../api';
import { TimeChart } from '../chart';
import { download, h, setChildren } from '../dom';
import { LiveStream } from '../live';
import { markChartsDrawn, registerCharts } from '../perf';
import { href, navigate, type Route } from '../router';
import { OPS, formatSelector, parseSelector, type Matcher, type Query } from '../selector';
import { chooseStep, formatDuration, parseDuration, rangeFromParams, setRangeParams, type TimeRange } from '../time';
import { fmtSI, unitFor, type Unit } from '../units';
import { errorBox, rangePicker } from '../widgets';
import type { View } from './view';

const FNS = ['auto', 'avg', 'min', 'max', 'first', 'last', 'sum', 'count', 'rate', 'increase'];
const STEPS = ['auto', 'raw', '1s', '10s', '1m', '5m', '15m', '1h', '6h', '1d'];

// Autocomplete lists, cached for the page's life.
const cache = new Map<string, Promise<string[]>>();
function cached(key: string, load: () => Promise<string[]>): Promise<string[]> {
  let p = cache.get(key);
  if (!p) {
    p = load().catch(() => {
      cache.delete(key);
      return [] as string[];
    });
    cache.set(key, p);
  }
  return p;
}

let datalistSeq = 0;
function datalist(): HTMLDataListElement {
  return h('datalist', { id: `dl-${++datalistSeq}` });
}
function fillList(dl: HTMLDataListElement, values: string[]): void {
  setChildren(dl, values.slice(0, 500).map((v) => h('option', { value: v })));
}

interface QueryRow {
  el: HTMLElement;
  read(): Query;
}

export function exploreView(route: Route): View {
  const el = h('section', { class: 'page explore-page' });
  let params = route.params;
  let range: TimeRange = rangeFromParams(params);
  let chart: TimeChart | null = null;
  let stream: LiveStream[] = [];
  let clock = 0;
  let gen = 0;
  let destroyed = false;
  let rows: QueryRow[] = [];

  const metricList = datalist();
  metricList.id = 'metric-names';
  void cached('__name__', () => apiGet<string[]>('/api/v1/label/__name__/values')).then((v) => fillList(metricList, v));

  const head = h('div', { class: 'toolbar' });
  const rowsEl = h('div', { class: 'queries' });
  const fnSel = h('select', { 'aria-label': 'consolidation function' }, FNS.map((f) => h('option', { value: f, text: f })));
  const stepSel = h('select', { 'aria-label': 'step' }, STEPS.map((s) => h('option', { value: s, text: s })));
  const form = h(
    'form',
    {
      class: 'card query-panel',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        run();
      },
    },
    rowsEl,
    h(
      'div',
      { class: 'query-actions' },
      h('button', { type: 'button', text: '+ Add query', onclick: () => addRow({ name: '', matchers: [] }, true) }),
      h('label', null, 'fn ', fnSel),
      h('label', null, 'step ', stepSel),
      h('div', { class: 'spacer' }),
      h('button', { type: 'submit', class: 'primary', text: 'Run' }),
    ),
    metricList,
  );
  const status = h('div', { class: 'page-status' });
  const title = h('h3', { class: 'chart-title' });
  const unitEl = h('span', { class: 'unit' });
  const stepInfo = h('span', { class: 'muted' });
  const chartCard = h(
    'div',
    { class: 'card chart-card explore-chart', hidden: true },
    h(
      'div',
      { class: 'card-head' },
      title,
      unitEl,
      stepInfo,
      h('div', { class: 'spacer' }),
      h('button', { type: 'button', text: 'CSV', title: 'Export the visible series as CSV', onclick: exportCsv }),
      h('button', { type: 'button', text: 'PNG', title: 'Export the chart as a PNG image', onclick: exportPng }),
    ),
  );
  el.append(head, form, status, chartCard);

  function addRow(q: Query, focus = false): void {
    const letter = String.fromCharCode(65 + (rows.length % 26));
    const metric = h('input', {
      class: 'metric',
      list: 'metric-names',
      placeholder: 'metric name',
      'aria-label': `query ${letter} metric name`,
      value: q.name,
      autocomplete: 'off',
      spellcheck: 'false',
    });
    const matchersEl = h('div', { class: 'matchers' });
    const labelsList = datalist();
    const addMatcher = (m: Matcher) => {
      const valuesList = datalist();
      const label = h('input', { class: 'm-label', list: labelsList.id, placeholder: 'label', 'aria-label': 'label name', value: m.label, size: 8, autocomplete: 'off' });
      const op = h('select', { class: 'm-op', 'aria-label': 'operator' }, OPS.map((o) => h('option', { value: o, text: o })));
      op.value = m.op;
      const value = h('input', { class: 'm-value', list: valuesList.id, placeholder: 'value', 'aria-label': 'label value', value: m.value, size: 10, autocomplete: 'off' });
      label.addEventListener('focus', () => {
        const name = metric.value.trim();
        void cached('labels:' + name, () => apiGet<string[]>('/api/v1/labels', name ? { 'match[]': name } : {})).then((v) =>
          fillList(labelsList, v.filter((x) => x !== '__name__')),
        );
      });
      value.addEventListener('focus', () => {
        const name = metric.value.trim();
        const l = label.value.trim();
        if (!l) return;
        void cached(`values:${name}:${l}`, () =>
          apiGet<string[]>(`/api/v1/label/${encodeURIComponent(l)}/values`, name ? { 'match[]': name } : {}),
        ).then((v) => fillList(valuesList, v));
      });
      const wrap = h(
        'div',
        { class: 'matcher' },
        label,
        op,
        value,
        valuesList,
        h('button', { type: 'button', class: 'icon-btn', title: 'remove matcher', 'aria-label': 'remove matcher', text: '×', onclick: () => wrap.remove() }),
      );
      matchersEl.appendChild(wrap);
      return wrap;
    };
    for (const m of q.matchers) addMatcher(m);
    const row: QueryRow = {
      el: h(
        'div',
        { class: 'query-row' },
        h('span', { class: 'q-letter', text: letter }),
        metric,
        matchersEl,
        labelsList,
        h('button', {
          type: 'button',
          class: 'small',
          text: '+ label',
          onclick: () => (addMatcher({ label: '', op: '=', value: '' }).querySelector('input') as HTMLInputElement).focus(),
        }),
        h('button', {
          type: 'button',
          class: 'icon-btn',
          title: 'remove query',
          'aria-label': `remove query ${letter}`,
          text: '×',
          onclick: () => {
            rows = rows.filter((r) => r !== row);
            row.el.remove();
            if (rows.length === 0) addRow({ name: '', matchers: [] });
          },
        }),
      ),
      read: () => ({
        name: metric.value.trim(),
        matchers: [...matchersEl.querySelectorAll('.matcher')].map((w) => ({
          label: (w.querySelector('.m-label') as HTMLInputElement).value.trim(),
          op: (w.querySelector('.m-op') as HTMLSelectElement).value as Matcher['op'],
          value: (w.querySelector('.m-value') as HTMLInputElement).value,
        })),
      }),
    };
    rows.push(row);
    rowsEl.appendChild(row.el);
    if (focus) metric.focus();
  }

  function go(p: URLSearchParams): void {
    navigate(href('explore', '', p));
  }

  function run(): void {
    const p = new URLSearchParams();
    for (const r of rows) {
      const s = formatSelector(r.read());
      if (s) p.append('q', s);
    }
    if (fnSel.value !== 'auto') p.set('fn', fnSel.value);
    if (stepSel.value !== 'auto') p.set('step', stepSel.value === 'raw' ? '0' : stepSel.value);
    setRangeParams(p, range.live ? { key: range.key } : { key: 'custom', from: range.from, to: range.to });
    // Hidden series stay hidden while the queries are the same.
    if (p.getAll('q').join('\n') === params.getAll('q').join('\n')) for (const v of params.getAll('hide')) p.append('hide', v);
    go(p);
  }

  function syncForm(): void {
    setChildren(head, h('h1', { text: 'Explore' }), h('div', { class: 'spacer' }), rangePicker(params, go));
    rows = [];
    rowsEl.replaceChildren();
    const qs = params.getAll('q');
    for (const q of qs) addRow(parseSelector(q));
    if (qs.length === 0) addRow({ name: '', matchers: [] });
    fnSel.value = FNS.includes(params.get('fn') ?? '') ? params.get('fn')! : 'auto';
    const st = params.get('step');
    stepSel.value = st === '0' ? 'raw' : st && STEPS.includes(st) ? st : 'auto';
    if (st && st !== '0' && !STEPS.includes(st)) {
      stepSel.appendChild(h('option', { value: st, text: st }));
      stepSel.value = st;
    }
  }

  function stepMs(): number {
    const st = params.get('step');
    if (st === '0' || st === 'raw') return 0;
    const d = parseDuration(st ?? '');
    if (Number.isFinite(d) && d >= 1000) return d;
    const w = Math.max(300, (chartCard.clientWidth || el.clientWidth || 1200) - 80);
    return chooseStep(range.to - range.from, w);
  }

  function effectiveUnit(name: string, kind: Kind, fn: string, step: number): Unit {
    if (step === 0) return unitFor(name, kind === 'state' ? 'state' : 'gauge');
    if (fn === 'rate') return unitFor(name, 'counter64');
    if (fn === 'count') return { name: 'samples', factor: 1, format: (v, d) => fmtSI(v, '', d) };
    if (fn === 'increase') {
      const u = unitFor(name, 'gauge');
      return u.name === 'bytes' ? u : { name: '', factor: 1, format: (v, d) => fmtSI(v, '', d) };
    }
    return unitFor(name, isCounter(kind) ? 'gauge' : kind);
  }

  async function load(): Promise<void> {
    gen++;
    const g = gen;
    stopLive();
    const qs = params.getAll('q');
    if (qs.length === 0) {
      chartCard.hidden = true;
      status.replaceChildren(h('p', { class: 'muted', text: 'Choose a metric (and optionally label matchers), then Run.' }));
      return;
    }
    chartCard.hidden = false;
    status.textContent = 'loading…';
    const step = stepMs();
    const fnParam = params.get('fn') ?? 'auto';
    const t0 = performance.now();
    try {
      const parts = await Promise.all(
        qs.map(async (sel) => {
          let fn = fnParam;
          let kind: Kind = 'gauge';
          if (fn === 'auto') {
            const info = await apiGet<SeriesInfo[]>('/api/v1/series', { 'match[]': sel, start: unixSeconds(range.from), end: unixSeconds(range.to) });
            kind = info.find((i) => i.kind !== 'state')?.kind ?? 'gauge';
            fn = isCounter(kind) || kind === 'absolute' ? 'rate' : 'avg';
          }
          const data = await apiGet<SelectData>('/api/v1/select', {
            'match[]': sel,
            start: unixSeconds(range.from),
            end: unixSeconds(range.to),
            step: step / 1000,
            fn,
            minmax: step > 0 ? withMinMax(fn) : undefined,
          });
          if (fnParam !== 'auto') kind = data.series.find((s) => s.kind !== 'state')?.kind ?? kind;
          const name = parseSelector(sel).name;
          return { sel, fn, data, unit: effectiveUnit(name, kind, fn, step) };
        }),
      );
      if (g !== gen || destroyed) return;
      // One unit for the chart: the queries' own if they agree, else each query's values
      // pre-scaled and a plain number axis.
      const same = parts.every((p) => p.unit.name === parts[0].unit.name && p.unit.factor === parts[0].unit.factor);
      const unit: Unit = same ? parts[0].unit : { name: 'mixed units', factor: 1, format: (v, d) => fmtSI(v, '', d) };
      const series: SelectSeries[] = [];
      const seen = new Set<string>();
      for (const p of parts) {
        for (const s of p.data.series) {
          const key = JSON.stringify(s.labels) + p.fn;
          if (seen.has(key)) continue;
          seen.add(key);
          if (!same && p.unit.factor !== 1) {
            const f = p.unit.factor;
            series.push({ ...s, values: s.values.map((v) => Number(v) * f), min: s.min?.map((v) => v * f), max: s.max?.map((v) => v * f) });
          } else series.push(s);
        }
      }
      title.textContent = qs.join('  ·  ');
      title.title = qs.join('\n');
      unitEl.textContent = unit.name;
      const fns = [...new Set(parts.map((p) => p.fn))].join(', ');
      stepInfo.textContent = step === 0 ? 'raw samples' : `${fns} · step ${formatDuration(step)}`;
      chart?.destroy();
      chart = new TimeChart(chartCard, {
        title: qs.join(' · '),
        unit,
        height: 420,
        window: { from: range.from, to: range.to },
        hidden: new Set(params.getAll('hide')),
        onZoom,
        onToggle,
        maxBands: 6,
      });
      chart.setData(series, step, { from: range.from, to: range.to });
      registerCharts([{ name: 'explore', chart }]);
      const points = series.reduce((a, s) => a + s.timestamps.length, 0);
      status.replaceChildren();
      if (series.length === 0) status.replaceChildren(errorBox('No series match these queries in this range.'));
      requestAnimationFrame(() => {
        if (g === gen) markChartsDrawn(1, performance.now() - t0);
      });
      (window.__strix as unknown as { explorePoints: number }).explorePoints = points;
      if (range.live) startLive(g, parts.map((p) => ({ sel: p.sel, fn: p.fn })), step);
    } catch (e) {
      if (g !== gen || destroyed) return;
      setChildren(status, errorBox(e instanceof ApiError ? e.message : String(e)));
    }
  }

  function onZoom(from: number, to: number): void {
    if (to - from < 10) return;
    chart?.setWindow({ from, to });
    const p = new URLSearchParams(params);
    setRangeParams(p, { key: 'custom', from, to });
    go(p);
  }

  function onToggle(key: string, hidden: boolean): void {
    const p = new URLSearchParams();
    for (const [k, v] of params) if (!(k === 'hide' && v === key)) p.append(k, v);
    if (hidden) p.append('hide', key);
    params = p;
    navigate(href('explore', '', p), { replace: true });
  }

  function startLive(g: number, queries: { sel: string; fn: string }[], step: number): void {
    // One stream per consolidation function, not per query: a browser keeps at most 6
    // connections to a server.
    const byFn = new Map<string, string[]>();
    for (const q of queries) {
      if (!byFn.has(q.fn)) byFn.set(q.fn, []);
      byFn.get(q.fn)!.push(q.sel);
    }
    for (const [fn, sels] of byFn) {
      stream.push(
        new LiveStream(
          () => ({
            'match[]': sels,
            step: step / 1000,
            fn,
            minmax: step > 0 ? withMinMax(fn) : undefined,
            since: chart?.lastTimestamp() ?? Date.now() - step,
          }),
          (d) => {
            if (g === gen) chart?.applyLive(d.series);
          },
        ),
      );
    }
    const span = range.to - range.from;
    clock = window.setInterval(() => {
      const to = Date.now();
      range = { ...range, from: to - span, to };
      chart?.setWindow({ from: range.from, to: range.to }, true);
    }, Math.min(60_000, Math.max(2_000, step)));
  }

  function stopLive(): void {
    for (const s of stream) s.close();
    stream = [];
    clearInterval(clock);
  }

  function exportCsv(): void {
    if (!chart) return;
    const { header, rows: data } = chart.table();
    const esc = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const lines = [header.map(esc).join(',')];
    for (const r of data) lines.push([new Date(r[0]!).toISOString(), ...r.slice(1).map((v) => (v == null ? '' : String(v)))].join(','));
    download(new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }), 'strix-export.csv');
  }

  async function exportPng(): Promise<void> {
    const blob = await chart?.png();
    if (blob) download(blob, 'strix-chart.png');
  }

  syncForm();
  void load();

  return {
    el,
    title: 'Explore',
    update(r: Route): boolean {
      if (r.view !== 'explore') return false;
      const before = params;
      params = r.params;
      range = rangeFromParams(params);
      syncForm();
      const hideOnly =
        ['q', 'fn', 'step', 'range', 'from', 'to'].every((k) => before.getAll(k).join('\n') === params.getAll(k).join('\n'));
      if (!hideOnly || before.getAll('hide').join('\n') !== params.getAll('hide').join('\n')) void load();
      return true;
    },
    destroy(): void {
      destroyed = true;
      gen++;
      stopLive();
      chart?.destroy();
      registerCharts([]);
    },
  };
}
