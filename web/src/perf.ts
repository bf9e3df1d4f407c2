// Hooks for tests and benchmarks (web/tests/): the time all charts of a page were drawn
// (window.__strixChartsDrawn, performance mark "strix:charts-drawn") and the charts of the
// current page (window.__strix.charts), so a test can read what a chart holds.
import type { TimeChart } from './chart';

interface StrixDebug {
  charts: { name: string; chart: TimeChart }[];
  navStart: number;
  drawn: { at: number; charts: number; ms: number } | null;
  lastDraw: number; // performance.now() of the latest uPlot draw of any chart
  chart(name: string): { points: number; last: number | null; keys: string[] } | null;
}

declare global {
  interface Window {
    __strix: StrixDebug;
    __strixChartsDrawn?: number;
  }
}

window.__strix = {
  charts: [],
  navStart: 0,
  drawn: null,
  lastDraw: 0,
  chart(name: string) {
    const c = this.charts.find((x) => x.name === name)?.chart;
    return c ? { points: c.pointCount, last: c.lastTimestamp(), keys: c.keys } : null;
  },
};

export function navStarted(): void {
  window.__strix.navStart = performance.now();
  window.__strix.drawn = null;
  window.__strixChartsDrawn = undefined;
  performance.mark('strix:nav');
}

export function registerCharts(list: { name: string; chart: TimeChart }[]): void {
  window.__strix.charts = list;
}

export function markChartsDrawn(charts: number, ms: number): void {
  const at = performance.now();
  window.__strix.drawn = { at, charts, ms };
  window.__strixChartsDrawn = at;
  performance.mark('strix:charts-drawn', { detail: { charts } });
}

export function noteDraw(): void {
  window.__strix.lastDraw = performance.now();
}
