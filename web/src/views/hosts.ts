// Hosts overview (#/hosts?q=web&tag=env:prod): every host with its tags, status, last
// seen time, series count and a one-hour sparkline of a headline metric. The sparklines of
// all hosts come from two select requests (not one per host). Editors and admins edit tags
// inline (PUT /api/v1/hosts/<host>/tags).
import type { HostInfo, SelectData, SelectSeries } from '../api';
import { ApiError, apiGet, apiSend, canEdit, unixSeconds } from '../api';
import { h, setChildren } from '../dom';
import { href, navigate, type Route } from '../router';
import { colors, onThemeChange, seriesColor } from '../theme';
import { formatAgo, formatTime } from '../time';
import { fmtNumber } from '../units';
import { errorBox, tagChip } from '../widgets';
import type { View } from './view';

interface Spark {
  label: string; // "CPU %" or "load 1m"
  ts: number[];
  v: number[];
  max: number | null; // fixed top of the y range (100 for percentages)
  format: (v: number) => string;
}

interface Row {
  host: HostInfo;
  tr: HTMLTableRowElement;
  tagsCell: HTMLTableCellElement;
  canvas: HTMLCanvasElement;
  sparkText: HTMLElement;
  editing: boolean;
}

const SPARK_W = 120;
const SPARK_H = 28;

function tagMatches(host: HostInfo, filter: string): boolean {
  const i = filter.indexOf(':');
  if (i < 0) return filter in host.tags;
  return host.tags[filter.slice(0, i)] === filter.slice(i + 1);
}

// Busy % per timestamp from the rates of linux_cpu_time_ms{cpu="total"} by mode.
function cpuBusy(series: SelectSeries[]): { ts: number[]; v: number[] } {
  const acc = new Map<number, { total: number; idle: number }>();
  for (const s of series) {
    const mode = s.labels.mode ?? '';
    if (mode === 'guest' || mode === 'guest_nice') continue; // counted inside user/nice
    const idle = mode === 'idle' || mode === 'iowait';
    s.timestamps.forEach((t, i) => {
      const v = Number(s.values[i]);
      if (!Number.isFinite(v)) return;
      const a = acc.get(t) ?? { total: 0, idle: 0 };
      a.total += v;
      if (idle) a.idle += v;
      acc.set(t, a);
    });
  }
  const ts = [...acc.keys()].sort((a, b) => a - b);
  const v = ts.map((t) => {
    const a = acc.get(t)!;
    return a.total > 0 ? Math.min(100, Math.max(0, 100 * (1 - a.idle / a.total))) : 0;
  });
  return { ts, v };
}

export function buildSparks(headline: SelectData | null, cpu: SelectData | null): Map<string, Spark> {
  const out = new Map<string, Spark>();
  const pct = (v: number) => fmtNumber(v) + ' %';
  const byHost = (d: SelectData | null, name: string) => {
    const m = new Map<string, SelectSeries[]>();
    for (const s of d?.series ?? []) {
      if (s.labels.__name__ !== name) continue;
      const host = s.labels.host ?? '';
      if (!m.has(host)) m.set(host, []);
      m.get(host)!.push(s);
    }
    return m;
  };
  const load = byHost(headline, 'linux_load_1m');
  for (const [host, list] of load) {
    const s = list[0];
    out.set(host, { label: 'load 1m', ts: s.timestamps, v: s.values.map(Number), max: null, format: (v) => fmtNumber(v) });
  }
  for (const [host, list] of byHost(cpu, 'linux_cpu_time_ms')) {
    const b = cpuBusy(list);
    if (b.ts.length) out.set(host, { label: 'CPU busy %', ts: b.ts, v: b.v, max: 100, format: pct });
  }
  for (const [host, list] of byHost(headline, 'cpu_usage')) {
    // Prefer the series with the fewest labels (the host total).
    const s = [...list].sort((a, b) => Object.keys(a.labels).length - Object.keys(b.labels).length)[0];
    out.set(host, { label: 'CPU %', ts: s.timestamps, v: s.values.map(Number), max: 100, format: pct });
  }
  return out;
}

function drawSpark(canvas: HTMLCanvasElement, s: Spark | undefined, from: number, to: number): void {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = SPARK_W * dpr;
  canvas.height = SPARK_H * dpr;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.scale(dpr, dpr);
  ctx.clearRect(0, 0, SPARK_W, SPARK_H);
  if (!s || s.ts.length === 0) return;
  let top = s.max ?? 0;
  if (s.max === null) for (const v of s.v) if (v > top) top = v;
  if (top <= 0) top = 1;
  const px = (t: number) => ((t - from) / (to - from)) * (SPARK_W - 2) + 1;
  const py = (v: number) => SPARK_H - 2 - (Math.max(0, v) / top) * (SPARK_H - 4);
  ctx.strokeStyle = colors().grid;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(0, SPARK_H - 1.5);
  ctx.lineTo(SPARK_W, SPARK_H - 1.5);
  ctx.stroke();
  const path = new Path2D();
  let started = false;
  for (let i = 0; i < s.ts.length; i++) {
    const gap = i > 0 && s.ts[i] - s.ts[i - 1] > 150_000;
    if (!started || gap) path.moveTo(px(s.ts[i]), py(s.v[i]));
    else path.lineTo(px(s.ts[i]), py(s.v[i]));
    started = true;
  }
  ctx.strokeStyle = seriesColor(0);
  ctx.lineWidth = 1.5;
  ctx.stroke(path);
}

export function hostsView(route: Route): View {
  const el = h('section', { class: 'page hosts-page' });
  let params = route.params;
  let hosts: HostInfo[] = [];
  let rows: Row[] = [];
  let sparks = new Map<string, Spark>();
  let sparkWindow = { from: Date.now() - 3_600_000, to: Date.now() };
  let refreshTimer = 0;
  let typingTimer = 0;
  let destroyed = false;

  const search = h('input', {
    type: 'search',
    class: 'filter',
    placeholder: 'Filter by host name',
    'aria-label': 'filter hosts by name',
    value: params.get('q') ?? '',
    oninput: () => {
      applyFilter();
      clearTimeout(typingTimer);
      typingTimer = window.setTimeout(() => {
        const p = new URLSearchParams(params);
        if (search.value) p.set('q', search.value);
        else p.delete('q');
        params = p;
        navigate(href('hosts', '', p), { replace: true });
      }, 250);
    },
  });
  const tagSelect = h('select', {
    'aria-label': 'filter by tag',
    onchange: () => {
      if (tagSelect.value) addTagFilter(tagSelect.value);
    },
  });
  const activeTags = h('div', { class: 'active-filters' });
  const count = h('span', { class: 'muted count' });
  const status = h('div', { class: 'page-status' });
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'hosts' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { text: 'Host' }),
        h('th', { text: 'Status' }),
        h('th', { text: 'Last seen' }),
        h('th', { class: 'num', text: 'Series' }),
        h('th', { text: 'Last hour' }),
        h('th', { text: 'Tags' }),
      ),
    ),
    tbody,
  );
  el.append(
    h('div', { class: 'toolbar' }, h('h1', { text: 'Hosts' }), count, h('div', { class: 'spacer' }), search, tagSelect),
    activeTags,
    status,
    h('div', { class: 'table-wrap' }, table),
  );

  function tagFilters(): string[] {
    return params.getAll('tag');
  }

  function addTagFilter(t: string): void {
    const p = new URLSearchParams(params);
    if (!p.getAll('tag').includes(t)) p.append('tag', t);
    navigate(href('hosts', '', p));
  }

  function removeTagFilter(t: string): void {
    const p = new URLSearchParams();
    for (const [k, v] of params) if (!(k === 'tag' && v === t)) p.append(k, v);
    navigate(href('hosts', '', p));
  }

  function renderFilters(): void {
    const tags = new Set<string>();
    for (const ho of hosts) for (const [k, v] of Object.entries(ho.tags)) tags.add(`${k}:${v}`);
    const active = tagFilters();
    setChildren(
      tagSelect,
      h('option', { value: '', text: tags.size ? 'Filter by tag…' : 'No tags' }),
      [...tags].sort().map((t) => h('option', { value: t, text: t, disabled: active.includes(t) })),
    );
    tagSelect.value = '';
    setChildren(
      activeTags,
      active.map((t) =>
        h(
          'button',
          { type: 'button', class: 'chip active', title: `remove filter ${t}`, onclick: () => removeTagFilter(t) },
          t,
          h('span', { class: 'x', 'aria-hidden': 'true', text: ' ×' }),
        ),
      ),
    );
  }

  function applyFilter(): void {
    const q = search.value.trim().toLowerCase();
    const tags = tagFilters();
    let shown = 0;
    for (const r of rows) {
      const ok = (q === '' || r.host.host.toLowerCase().includes(q)) && tags.every((t) => tagMatches(r.host, t));
      r.tr.hidden = !ok;
      if (ok) shown++;
    }
    count.textContent = shown === hosts.length ? `${hosts.length} hosts` : `${shown} of ${hosts.length} hosts`;
  }

  function renderTags(r: Row): void {
    const chips = Object.entries(r.host.tags)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => tagChip(k, v, () => addTagFilter(`${k}:${v}`)));
    const edit = canEdit()
      ? h('button', {
          type: 'button',
          class: 'icon-btn edit-tags',
          title: `Edit the tags of ${r.host.host}`,
          'aria-label': `edit tags of ${r.host.host}`,
          text: '✎',
          onclick: () => startEdit(r),
        })
      : null;
    setChildren(r.tagsCell, h('div', { class: 'chips' }, chips, edit));
  }

  function startEdit(r: Row): void {
    r.editing = true;
    const list = h('div', { class: 'tag-editor-rows' });
    const err = h('div', { class: 'form-error', role: 'alert' });
    const addRow = (k = '', v = '') => {
      const row = h(
        'div',
        { class: 'tag-edit-row' },
        h('input', { class: 'tk', value: k, placeholder: 'key', 'aria-label': 'tag key', size: 10 }),
        h('input', { class: 'tv', value: v, placeholder: 'value', 'aria-label': 'tag value', size: 12 }),
        h('button', { type: 'button', class: 'icon-btn', title: 'remove tag', 'aria-label': 'remove tag', text: '×', onclick: () => row.remove() }),
      );
      list.appendChild(row);
      return row;
    };
    for (const [k, v] of Object.entries(r.host.tags).sort(([a], [b]) => a.localeCompare(b))) addRow(k, v);
    const form = h(
      'form',
      {
        class: 'tag-editor',
        onsubmit: async (ev: Event) => {
          ev.preventDefault();
          const tags: Record<string, string> = {};
          for (const row of list.querySelectorAll('.tag-edit-row')) {
            const k = (row.querySelector('.tk') as HTMLInputElement).value.trim();
            const v = (row.querySelector('.tv') as HTMLInputElement).value.trim();
            if (k === '' && v === '') continue;
            if (k === '') {
              err.textContent = 'a tag needs a key';
              return;
            }
            tags[k] = v;
          }
          save.disabled = true;
          err.textContent = '';
          try {
            const res = await apiSend<{ host: string; tags: Record<string, string> }>(
              'PUT',
              `/api/v1/hosts/${encodeURIComponent(r.host.host)}/tags`,
              tags,
            );
            r.host.tags = res?.tags ?? tags;
            r.editing = false;
            renderTags(r);
            renderFilters();
            applyFilter();
          } catch (e) {
            err.textContent = e instanceof Error ? e.message : String(e);
            save.disabled = false;
          }
        },
      },
      list,
      h(
        'div',
        { class: 'tag-editor-actions' },
        h('button', { type: 'button', text: '+ tag', onclick: () => (addRow().querySelector('.tk') as HTMLInputElement).focus() }),
        h('button', {
          type: 'button',
          text: 'Cancel',
          onclick: () => {
            r.editing = false;
            renderTags(r);
          },
        }),
      ),
      err,
    );
    const save = h('button', { type: 'submit', class: 'primary', text: 'Save' });
    form.querySelector('.tag-editor-actions')!.prepend(save);
    setChildren(r.tagsCell, form);
    (list.querySelector('.tk') as HTMLInputElement | null)?.focus();
  }

  function renderRows(): void {
    rows = hosts.map((ho) => {
      const canvas = h('canvas', { class: 'spark', width: SPARK_W, height: SPARK_H, style: `width:${SPARK_W}px;height:${SPARK_H}px` });
      const sparkText = h('span', { class: 'spark-value' });
      const tagsCell = h('td', { class: 'tags' });
      const tr = h(
        'tr',
        { dataset: { host: ho.host } },
        h('td', { class: 'host' }, h('a', { href: href('host', ho.host), text: ho.host })),
        h('td', null, h('span', { class: `badge ${ho.status}`, text: ho.status })),
        h('td', { title: ho.last_seen ? formatTime(ho.last_seen) : '', text: formatAgo(ho.last_seen) }),
        h('td', { class: 'num', text: String(ho.series) }),
        h('td', null, h('div', { class: 'spark-cell' }, canvas, sparkText)),
        tagsCell,
      );
      const r: Row = { host: ho, tr, tagsCell, canvas, sparkText, editing: false };
      renderTags(r);
      return r;
    });
    setChildren(tbody, rows.map((r) => r.tr));
    if (rows.length === 0) {
      tbody.appendChild(h('tr', null, h('td', { colspan: '6', class: 'empty', text: 'No hosts have sent data yet.' })));
    }
    drawSparks();
  }

  function drawSparks(): void {
    for (const r of rows) {
      const s = sparks.get(r.host.host);
      drawSpark(r.canvas, s, sparkWindow.from, sparkWindow.to);
      r.sparkText.textContent = s && s.v.length ? s.format(s.v[s.v.length - 1]) : '';
      r.canvas.title = s ? s.label : 'no headline metric';
      r.sparkText.title = s ? s.label : '';
    }
  }

  async function loadSparks(): Promise<void> {
    const to = Date.now();
    const from = to - 3_600_000;
    const common = { start: unixSeconds(from), end: unixSeconds(to), step: 60 };
    const [headline, cpu] = await Promise.all([
      apiGet<SelectData>('/api/v1/select', { 'match[]': ['cpu_usage', 'linux_load_1m'], fn: 'avg', ...common }).catch(() => null),
      apiGet<SelectData>('/api/v1/select', { 'match[]': ['linux_cpu_time_ms{cpu="total"}'], fn: 'rate', ...common }).catch(() => null),
    ]);
    if (destroyed) return;
    sparkWindow = { from, to };
    sparks = buildSparks(headline, cpu);
    drawSparks();
  }

  async function load(first: boolean): Promise<void> {
    try {
      const list = await apiGet<HostInfo[]>('/api/v1/hosts');
      if (destroyed) return;
      if (rows.some((r) => r.editing)) return; // do not throw away an edit in progress
      hosts = list.sort((a, b) => a.host.localeCompare(b.host));
      status.replaceChildren();
      renderFilters();
      renderRows();
      applyFilter();
      await loadSparks();
    } catch (e) {
      if (destroyed) return;
      if (first) setChildren(status, errorBox(e instanceof ApiError ? e.message : String(e)));
    }
  }

  const offTheme = onThemeChange(drawSparks);
  status.textContent = 'loading…';
  void load(true);
  refreshTimer = window.setInterval(() => void load(false), 60_000);

  return {
    el,
    title: 'Hosts',
    update(r: Route): boolean {
      if (r.view !== 'hosts') return false;
      params = r.params;
      if (search.value !== (params.get('q') ?? '')) search.value = params.get('q') ?? '';
      renderFilters();
      applyFilter();
      return true;
    },
    destroy(): void {
      destroyed = true;
      offTheme();
      clearInterval(refreshTimer);
      clearTimeout(typingTimer);
    },
  };
}
