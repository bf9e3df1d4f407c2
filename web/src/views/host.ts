// Host page (#/host/web1?range=7d, or ?from=<ms>&to=<ms>): one chart per metric name of
// the host, grouped into sections by name, one line per label combination. All charts
// share the range, the step (about one point per pixel), a crosshair and drag-zoom. Data
// is fetched with at most 6 requests in flight and drawn as it arrives; charts of a range
// that ends now follow the clock and take points from one stream (gauges, and counters as
// rates through counter_fn).
import type { HostInfo, LatestSample, SelectData, SeriesInfo } from '../api';
import { ApiError, Limiter, apiGet, hostSelector, isCounter, quoteLabel, unixSeconds, withMinMax } from '../api';
import { TimeChart, legendLabels } from '../chart';
import { h, setChildren } from '../dom';
import { LiveStream } from '../live';
import { href, navigate, type Route } from '../router';
import { chooseStep, formatAgo, formatDuration, parseDuration, rangeFromParams, setRangeParams, type TimeRange } from '../time';
import { unitFor } from '../units';
import { errorBox, rangePicker, tagChip } from '../widgets';
import { markChartsDrawn, registerCharts } from '../perf';
import type { View } from './view';

export const SECTIONS = ['CPU', 'Memory', 'Disks', 'Filesystems', 'Network', 'System', 'Strix', 'Other'] as const;

export function sectionOf(name: string): (typeof SECTIONS)[number] {
  if (/^linux_cpu_/.test(name) || name === 'cpu_usage') return 'CPU';
  if (/^linux_(memory|swap)_/.test(name) || name === 'memory_usage') return 'Memory';
  if (/^linux_disk_/.test(name) || name === 'disk_usage') return 'Disks';
  if (/^linux_filesystem_/.test(name)) return 'Filesystems';
  if (/^linux_(network|tcp)_/.test(name) || name === 'network_in' || name === 'network_out') return 'Network';
  if (/^linux_(load|processes|kernel|uptime|temperature)_/.test(name)) return 'System';
  if (/^strix_/.test(name)) return 'Strix';
  return 'Other';
}

interface Metric {
  name: string;
  kind: SeriesInfo['kind'];
  fn: 'avg' | 'rate';
  count: number;
  chart: TimeChart | null;
  card: HTMLElement;
  loaded: boolean;
}

const CHART_HEIGHT = 180;


export function hostView(route: Route): View {
  const host = route.arg;
  const el = h('section', { class: 'page host-page' });
  let params = route.params;
  let range: TimeRange = rangeFromParams(params);
  let step = 0;
  let metrics: Metric[] = [];
  const states: { name: string; card: HTMLElement }[] = [];
  const limiter = new Limiter(6);
  let abort = new AbortController();
  let generation = 0;
  let streams: LiveStream[] = [];
  let clock = 0;
  let destroyed = false;
  let hostInfo: HostInfo | null = null;

  const head = h('div', { class: 'toolbar' });
  const info = h('div', { class: 'host-info' });
  const nav = h('nav', { class: 'section-nav', 'aria-label': 'sections' });
  const body = h('div', { class: 'sections' });
  const status = h('div', { class: 'page-status', text: 'loading…' });
  const liveBadge = h('span', { class: 'live-badge', hidden: true, text: 'live' });
  el.append(head, info, nav, status, body);

  function hiddenFor(name: string): Set<string> {
    const out = new Set<string>();
    for (const v of params.getAll('hide')) {
      const i = v.indexOf(':');
      if (i > 0 && v.slice(0, i) === name) out.add(v.slice(i + 1));
    }
    return out;
  }

  function onToggle(name: string, key: string, hidden: boolean): void {
    const p = new URLSearchParams();
    const entry = `${name}:${key}`;
    for (const [k, v] of params) if (!(k === 'hide' && v === entry)) p.append(k, v);
    if (hidden) p.append('hide', entry);
    params = p;
    navigate(href('host', host, p), { replace: true });
  }

  function go(p: URLSearchParams): void {
    navigate(href('host', host, p));
  }

  function onZoom(from: number, to: number): void {
    if (to - from < 1000) return;
    for (const m of metrics) m.chart?.setWindow({ from, to });
    const p = new URLSearchParams(params);
    setRangeParams(p, { key: 'custom', from, to });
    go(p);
  }

  function renderHead(hi: HostInfo | null): void {
    hostInfo = hi;
    setChildren(
      head,
      h('h1', { class: 'host-name', text: host }),
      hi ? h('span', { class: `badge ${hi.status}`, text: hi.status }) : null,
      liveBadge,
      h('div', { class: 'spacer' }),
      rangePicker(params, go),
    );
    setChildren(
      info,
      hi
        ? [
            h('span', { class: 'muted', text: `last seen ${formatAgo(hi.last_seen)} · ${hi.series} series` }),
            Object.entries(hi.tags).map(([k, v]) => tagChip(k, v)),
          ]
        : null,
      h('span', { class: 'muted step-info' }),
    );
  }

  function updateStepInfo(): void {
    const s = info.querySelector('.step-info');
    if (s) s.textContent = step ? `step ${formatDuration(step)}` : '';
  }

  function exploreLink(m: Metric): string {
    const p = new URLSearchParams();
    p.append('q', hostSelector(m.name, host));
    if (range.live) p.set('range', range.key);
    else setRangeParams(p, { key: 'custom', from: range.from, to: range.to });
    return href('explore', '', p);
  }

  function layout(list: SeriesInfo[]): void {
    const byName = new Map<string, Metric>();
    const stateNames = new Set<string>();
    for (const s of list) {
      const name = s.labels.__name__;
      if (!name) continue;
      if (s.kind === 'state') {
        stateNames.add(name);
        continue;
      }
      const m = byName.get(name);
      if (m) m.count++;
      else {
        byName.set(name, {
          name,
          kind: s.kind,
          fn: isCounter(s.kind) || s.kind === 'absolute' ? 'rate' : 'avg',
          count: 1,
          chart: null,
          card: h('div'),
          loaded: false,
        });
      }
    }
    metrics = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
    const groups = new Map<string, { charts: Metric[]; states: string[] }>();
    for (const s of SECTIONS) groups.set(s, { charts: [], states: [] });
    for (const m of metrics) groups.get(sectionOf(m.name))!.charts.push(m);
    for (const n of [...stateNames].sort()) groups.get(sectionOf(n))!.states.push(n);
    metrics = SECTIONS.flatMap((s) => groups.get(s)!.charts);

    const navItems: HTMLElement[] = [];
    const sections: HTMLElement[] = [];
    for (const s of SECTIONS) {
      const g = groups.get(s)!;
      if (g.charts.length === 0 && g.states.length === 0) continue;
      const grid = h('div', { class: 'chart-grid' });
      const sec = h('section', { class: 'metric-section', 'aria-label': s }, h('h2', { text: s }), grid);
      sections.push(sec);
      navItems.push(
        h('button', {
          type: 'button',
          class: 'link-btn',
          text: `${s} (${g.charts.length + g.states.length})`,
          onclick: () => sec.scrollIntoView({ behavior: 'smooth', block: 'start' }),
        }),
      );
      for (const m of g.charts) {
        const unit = unitFor(m.name, m.kind);
        const title = h('h3', { class: 'chart-title', title: m.name + (m.fn === 'rate' ? ' (rate per second)' : ''), text: m.name });
        m.card = h(
          'div',
          { class: 'card chart-card', dataset: { metric: m.name } },
          h(
            'div',
            { class: 'card-head' },
            title,
            h('span', { class: 'unit', text: unit.name + (m.fn === 'rate' && !unit.name.includes('/s') && !unit.name.startsWith('%') ? ' (rate)' : '') }),
            h('div', { class: 'spacer' }),
            h('a', { class: 'icon-link', href: exploreLink(m), title: 'Open in the explorer', text: 'explore ↗' }),
          ),
        );
        grid.appendChild(m.card);
        m.chart = new TimeChart(m.card, {
          title: m.name,
          unit,
          height: CHART_HEIGHT,
          sync: 'host',
          window: { from: range.from, to: range.to },
          hidden: hiddenFor(m.name),
          omitLabels: ['host', 'agent', 'input'],
          width: () => chartWidth || measureWidth(),
          onZoom,
          onToggle: (key, hidden) => onToggle(m.name, key, hidden),
          onUnknownSeries: () => scheduleReload(m),
        });
      }
      for (const n of g.states) {
        const card = h('div', { class: 'card state-card', dataset: { metric: n } }, h('div', { class: 'card-head' }, h('h3', { class: 'chart-title', text: n }), h('span', { class: 'unit', text: 'state' })));
        grid.appendChild(card);
        states.push({ name: n, card });
      }
    }
    setChildren(nav, navItems);
    setChildren(body, sections);
    if (metrics.length === 0 && states.length === 0) {
      setChildren(status, errorBox(`No series found for host ${host}.`));
    } else {
      status.replaceChildren();
    }
    registerCharts(metrics.map((m) => ({ name: m.name, chart: m.chart! })));
  }

  const reloadTimers = new Map<string, number>();
  function scheduleReload(m: Metric): void {
    if (reloadTimers.has(m.name)) return;
    reloadTimers.set(
      m.name,
      window.setTimeout(() => {
        reloadTimers.delete(m.name);
        void fetchMetric(m, generation, abort.signal);
      }, 2000),
    );
  }

  // The charts' width: all cards of the grid are equally wide, so one measurement serves
  // every chart (and no chart forces a layout of its own).
  let chartWidth = 0;
  function measureWidth(): number {
    const card = metrics[0]?.card;
    // The plot fills the card's content box: border-box width less 2 x (10 padding + 1 border).
    chartWidth = card ? Math.max(200, Math.floor(card.getBoundingClientRect().width - 22)) : 600;
    return chartWidth;
  }

  // Fetches the data of `batch` (metrics of one fn) in one select and hands every chart its
  // series. Batches of a few metrics keep the requests few (about 6 for 20 charts, all in
  // flight at once) while charts still draw as their batch arrives.
  async function fetchBatch(batch: Metric[], gen: number, signal: AbortSignal): Promise<void> {
    try {
      const data = await limiter.run(() =>
        apiGet<SelectData>(
          '/api/v1/select',
          {
            'match[]': batch.map((m) => hostSelector(m.name, host)),
            start: unixSeconds(range.from),
            end: unixSeconds(range.to),
            step: step / 1000,
            fn: batch[0].fn,
            minmax: withMinMax(batch[0].fn),
          },
          signal,
        ),
      );
      if (gen !== generation || destroyed) return;
      const per = new Map<string, SelectData['series']>(batch.map((m) => [m.name, []]));
      for (const s of data.series) per.get(s.labels.__name__)?.push(s);
      for (const m of batch) {
        m.chart?.setData(per.get(m.name) ?? [], data.step || step, { from: range.from, to: range.to });
        m.loaded = true;
      }
    } catch (e) {
      if (gen !== generation || destroyed || (e instanceof DOMException && e.name === 'AbortError')) return;
      for (const m of batch) m.chart?.setStatus(e instanceof ApiError ? e.message : String(e), true);
    }
  }

  function fetchMetric(m: Metric, gen: number, signal: AbortSignal): Promise<void> {
    return fetchBatch([m], gen, signal);
  }

  // Metrics in page order, cut into batches of one fn and at most 4 metrics or 48 series.
  function batches(): Metric[][] {
    const out: Metric[][] = [];
    const open: Record<string, Metric[]> = {};
    const seriesIn = (b: Metric[]) => b.reduce((a, m) => a + m.count, 0);
    for (const m of metrics) {
      let b = open[m.fn];
      if (!b || b.length >= 4 || seriesIn(b) + m.count > 48) {
        b = [];
        open[m.fn] = b;
        out.push(b);
      }
      b.push(m);
    }
    return out;
  }

  async function loadStates(): Promise<void> {
    if (states.length === 0) return;
    try {
      const latest = await apiGet<LatestSample[]>('/api/v1/latest', { 'match[]': states.map((s) => hostSelector(s.name, host)) });
      for (const s of states) {
        const rows = latest.filter((l) => l.labels.__name__ === s.name);
        const labels = legendLabels(rows.map((r) => r.labels), ['host', 'agent', 'input']);
        const table = h(
          'table',
          { class: 'state-table' },
          h(
            'tbody',
            null,
            rows.map((r, i) =>
              h('tr', null, h('td', { class: 'muted', text: labels[i] }), h('td', { class: 'state-value', text: String(r.value) }), h('td', { class: 'muted', text: formatAgo(r.ts) })),
            ),
          ),
        );
        s.card.querySelector('.state-table')?.remove();
        s.card.appendChild(table);
      }
    } catch {
      // states are a side panel; the charts matter more
    }
  }

  async function loadData(): Promise<void> {
    generation++;
    const gen = generation;
    abort.abort();
    abort = new AbortController();
    limiter.clear();
    stopLive();
    const explicit = parseDuration(params.get('step') ?? '');
    measureWidth();
    // About one point per pixel of the plot (the y axis takes some 50 px).
    step = Number.isFinite(explicit) && explicit >= 1000 ? explicit : chooseStep(range.to - range.from, chartWidth - 50);
    updateStepInfo();
    for (const m of metrics) m.loaded = false;
    const t0 = performance.now();
    await Promise.all(batches().map((b) => fetchBatch(b, gen, abort.signal)));
    if (gen !== generation || destroyed) return;
    // All charts have their data; mark once they are painted.
    requestAnimationFrame(() => {
      if (gen === generation && !destroyed) markChartsDrawn(metrics.length, performance.now() - t0);
    });
    void loadStates();
    if (range.live) startLive(gen);
  }

  function startLive(gen: number): void {
    // One stream for the whole page (a browser keeps at most 6 connections to a server):
    // gauges averaged, counters as rates (counter_fn).
    const list = metrics;
    if (list.length > 0) {
      const byName = new Map(metrics.map((m) => [m.name, m]));
      const stream = new LiveStream(
        () => {
          let since = Date.now() - step;
          for (const m of list) {
            const t = m.chart?.lastTimestamp();
            if (t != null && t < since) since = t;
          }
          return {
            'match[]': list.map((m) => hostSelector(m.name, host)),
            step: step / 1000,
            fn: 'avg',
            counter_fn: 'rate',
            minmax: withMinMax('avg'),
            since: Math.max(since, range.from),
          };
        },
        (d) => {
          if (gen !== generation) return;
          const per = new Map<string, SelectData['series']>();
          for (const s of d.series) {
            const n = s.labels.__name__;
            if (!per.has(n)) per.set(n, []);
            per.get(n)!.push(s);
          }
          for (const [n, list2] of per) byName.get(n)?.chart?.applyLive(list2);
        },
        (state) => {
          liveBadge.hidden = false;
          liveBadge.classList.toggle('retrying', state === 'retrying');
          liveBadge.textContent = state === 'live' ? 'live' : 'reconnecting';
        },
      );
      streams.push(stream);
    }
    // The window follows the clock even between events.
    const span = range.to - range.from;
    clock = window.setInterval(() => {
      const to = Date.now();
      range = { ...range, from: to - span, to };
      for (const m of metrics) m.chart?.setWindow({ from: range.from, to: range.to }, true);
    }, Math.min(60_000, Math.max(5_000, step)));
  }

  function stopLive(): void {
    for (const s of streams) s.close();
    streams = [];
    clearInterval(clock);
    liveBadge.hidden = true;
  }

  async function init(): Promise<void> {
    renderHead(null);
    try {
      const [series, hosts] = await Promise.all([
        apiGet<SeriesInfo[]>('/api/v1/series', { 'match[]': `{host=${quoteLabel(host)}}` }),
        apiGet<HostInfo[]>('/api/v1/hosts', { q: host }).catch(() => [] as HostInfo[]),
      ]);
      if (destroyed) return;
      renderHead(hosts.find((x) => x.host === host) ?? null);
      layout(series);
      await loadData();
    } catch (e) {
      if (destroyed) return;
      setChildren(status, errorBox(e instanceof ApiError ? e.message : String(e)));
    }
  }

  void init();

  return {
    el,
    title: host,
    update(r: Route): boolean {
      if (r.view !== 'host' || r.arg !== host) return false;
      const before = params;
      // Hidden series differ (a pasted link): rebuild the view.
      if (before.getAll('hide').join('\n') !== r.params.getAll('hide').join('\n')) return false;
      params = r.params;
      renderHead(hostInfo);
      updateStepInfo();
      if (['range', 'from', 'to', 'step'].some((k) => before.get(k) !== params.get(k))) {
        range = rangeFromParams(params);
        for (const m of metrics) m.chart?.setWindow({ from: range.from, to: range.to });
        void loadData();
      }
      return true;
    },
    destroy(): void {
      destroyed = true;
      generation++;
      abort.abort();
      limiter.clear();
      stopLive();
      for (const t of reloadTimers.values()) clearTimeout(t);
      for (const m of metrics) m.chart?.destroy();
      registerCharts([]);
    },
  };
}
