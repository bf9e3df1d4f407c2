// Browser benchmark of the dashboard against a real strixd:
//   node web/tests/bench.mjs --bin-dir build/release [--runs 5] [--json <file>]
// Writes a host "bench" with 20 metrics x 7 days (one sample a minute; every fourth metric
// a byte counter) and a host "bench100k" with one series of 100,800 samples (every 6 s for
// 7 days), flushes them into blocks, then measures in headless chromium:
//   host_page_*: navigation (full page load) to all 20 charts drawn, #/host/bench?range=7d;
//   in_app_*:    the same page reached from the hosts list (hash navigation);
//   dense_*:     the explorer drawing 100,800 raw points, then cursor moves (input event to
//                the frame that shows it), a client-side re-scale of all 100k points and a
//                drag-zoom end to end (mouse up to the refetched chart drawn).
// Prints one JSON object. strixd is stopped by its PID at the end.
import { loadavg } from 'node:os';
import { ensureDist, launchBrowser, loginUI, sleep, startStrix, syntheticLines, writeLines, api } from './lib.mjs';

const argv = process.argv.slice(2);
let runs = 5;
const ri = argv.indexOf('--runs');
if (ri >= 0) {
  runs = Number(argv[ri + 1]);
  argv.splice(ri, 2);
}
let jsonPath = '';
const ji = argv.indexOf('--json');
if (ji >= 0) {
  jsonPath = argv[ji + 1];
  argv.splice(ji, 2);
}
const { parseArgs } = await import('./lib.mjs');
const args = parseArgs(argv);

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, min: +s[0].toFixed(1), median: +q(0.5).toFixed(1), p95: +q(0.95).toFixed(1), max: +s[s.length - 1].toFixed(1) };
};

let server = null;
let browser = null;
let code = 0;
const loadStart = loadavg().map((x) => +x.toFixed(2));
try {
  ensureDist();
  server = await startStrix({ binDir: args.binDir });
  const now = Date.now();
  const t0 = Date.now();
  const { lines } = syntheticLines({ host: 'bench', metrics: 20, days: 7, stepS: 60, endMs: now });
  for (let i = 0; i < lines.length; i += 50_000) await writeLines(server, lines.slice(i, i + 50_000));
  const dense = [];
  const end = Math.floor(now / 6000) * 6000;
  for (let t = end - 7 * 86_400_000; t < end; t += 6000) {
    const k = (t - end) / 6000;
    dense.push(`dense,host=bench100k value=${(50 + 30 * Math.sin(k / 500) + ((k * 7919) % 13)).toFixed(2)} ${t}`);
  }
  for (let i = 0; i < dense.length; i += 50_000) await writeLines(server, dense.slice(i, i + 50_000));
  const flush = await api(server, '/api/v1/admin/flush', { method: 'POST' });
  if (flush.status !== 200) throw new Error(`flush: ${flush.status} ${flush.text}`);
  const writeSeconds = (Date.now() - t0) / 1000;

  browser = await launchBrowser();
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await loginUI(page, server, 'admin');

  // ---- 20 charts over 7 days
  const full = [];
  const selects = [];
  for (let i = 0; i < runs + 1; i++) {
    let n = 0;
    const onReq = (r) => r.url().includes('/api/v1/select') && n++;
    page.on('request', onReq);
    await page.goto('about:blank');
    await page.goto(`${server.url}/#/host/bench?range=7d`);
    await page.waitForFunction(() => window.__strix?.drawn, null, { timeout: 30_000 });
    const d = await page.evaluate(() => ({ at: window.__strix.drawn.at, charts: window.__strix.drawn.charts }));
    page.off('request', onReq);
    if (d.charts !== 20) throw new Error(`expected 20 charts, drew ${d.charts}`);
    if (i > 0) full.push(d.at); // the first run warms the server's caches
    selects.push(n);
  }
  const inApp = [];
  for (let i = 0; i < runs; i++) {
    await page.goto(`${server.url}/#/hosts`);
    await page.waitForSelector('tr[data-host="bench"] a');
    await page.click('tr[data-host="bench"] a');
    await page.waitForFunction(() => window.__strix?.drawn, null, { timeout: 30_000 });
    const ms = await page.evaluate(() => window.__strix.drawn.at - window.__strix.navStart);
    // Default range is 1h; measure the 7-day range through the picker as users do.
    await page.click('.range-picker .seg:text-is("7d")');
    await page.waitForFunction(() => location.hash.includes('range=7d') && window.__strix?.drawn, null, { timeout: 30_000 });
    const ms7 = await page.evaluate(() => window.__strix.drawn.at - window.__strix.navStart);
    inApp.push({ ms, ms7 });
  }

  // ---- one chart of 100,800 raw points
  const denseLoad = [];
  for (let i = 0; i < 3; i++) {
    await page.goto('about:blank');
    await page.goto(`${server.url}/#/explore?` + new URLSearchParams([['q', 'dense_value{host="bench100k"}'], ['step', '0'], ['range', '7d']]).toString());
    await page.waitForFunction(() => window.__strix?.drawn, null, { timeout: 60_000 });
    denseLoad.push(await page.evaluate(() => window.__strix.drawn.at));
  }
  const points = await page.evaluate(() => window.__strix.explorePoints);
  if (!(points >= 100_000)) throw new Error(`the dense chart holds ${points} points`);
  const box = await page.locator('.explore-chart .u-over').boundingBox();
  // Cursor: input event to the next frame, over 120 moves.
  await page.evaluate(() => {
    window.__lat = [];
    document.querySelector('.explore-chart .u-over').addEventListener('mousemove', (ev) => {
      const t = ev.timeStamp;
      requestAnimationFrame(() => setTimeout(() => window.__lat.push(performance.now() - t), 0));
    });
  });
  for (let i = 0; i < 120; i++) {
    await page.mouse.move(box.x + 5 + ((i * 37) % (box.width - 10)), box.y + box.height / 2);
  }
  await sleep(200);
  const cursor = await page.evaluate(() => window.__lat);
  // setCursor work per move (synchronous part: nearest-point search, legend text).
  const setCursor = await page.evaluate(() => {
    const u = window.__strix.charts[0].chart.plot;
    const w = u.over.clientWidth;
    const t = performance.now();
    for (let i = 0; i < 500; i++) u.setCursor({ left: (i * 13) % w, top: 50 });
    return (performance.now() - t) / 500;
  });
  // Client-side re-scale (what a drag shows at once, before the refetch): the full 7 days
  // (all 100,800 points drawn) and windows of a half, a third and a quarter.
  const rescale = await page.evaluate(async () => {
    const c = window.__strix.charts[0].chart;
    const u = c.plot;
    const [a, b] = [u.scales.x.min, u.scales.x.max];
    const full = [];
    const part = [];
    for (let i = 0; i < 12; i++) {
      const k = i % 4;
      const span = k === 0 ? b - a : (b - a) / (k + 1);
      const from = k === 0 ? a : a + span / 3;
      const t = performance.now();
      c.setWindow({ from, to: from + span });
      await new Promise((r) => setTimeout(r, 0));
      (k === 0 ? full : part).push(window.__strix.lastDraw - t);
    }
    c.setWindow({ from: a, to: b });
    return { full, part };
  });
  // Drag-zoom end to end: mouse up → URL pushed → raw data of the new range fetched → drawn.
  const zoom = [];
  for (let i = 0; i < 3; i++) {
    await page.goto(`${server.url}/#/explore?` + new URLSearchParams([['q', 'dense_value{host="bench100k"}'], ['step', '0'], ['range', '7d']]).toString());
    await page.waitForFunction(() => window.__strix?.drawn && window.__strix.explorePoints >= 100000, null, { timeout: 60_000 });
    const b = await page.locator('.explore-chart .u-over').boundingBox();
    await page.evaluate(() => document.addEventListener('mouseup', () => (window.__up = performance.now()), { capture: true, once: true }));
    await page.mouse.move(b.x + b.width * 0.2, b.y + b.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width * 0.5, b.y + b.height / 2, { steps: 4 });
    await page.mouse.up();
    await page.waitForFunction(() => location.hash.includes('from=') && window.__strix.drawn, null, { timeout: 30_000 });
    zoom.push(await page.evaluate(() => window.__strix.drawn.at - window.__up));
  }

  const os = await import('node:os');
  const result = {
    machine: { cpus: os.cpus().length, chromium: browser.version(), load_average_start: loadStart, load_average_end: os.loadavg().map((x) => +x.toFixed(2)) },
    data: { bench_samples: lines.length, dense_samples: dense.length, write_and_flush_s: +writeSeconds.toFixed(1) },
    host_page_20_charts_7d: { navigation_to_all_drawn_ms: stats(full), select_requests: selects[selects.length - 1] },
    in_app_navigation: { hosts_to_host_1h_ms: stats(inApp.map((x) => x.ms)), range_1h_to_7d_ms: stats(inApp.map((x) => x.ms7)) },
    dense_100k: {
      points,
      navigation_to_drawn_ms: stats(denseLoad),
      cursor_event_to_frame_ms: stats(cursor),
      set_cursor_ms: +setCursor.toFixed(3),
      rescale_full_100k_redraw_ms: stats(rescale.full),
      rescale_window_redraw_ms: stats(rescale.part),
      drag_zoom_to_refetched_drawn_ms: stats(zoom),
    },
  };
  console.log(JSON.stringify(result, null, 2));
  if (jsonPath) (await import('node:fs')).writeFileSync(jsonPath, JSON.stringify(result, null, 2) + '\n');
} catch (e) {
  console.error(`bench failed: ${e?.stack ?? e}`);
  code = 1;
} finally {
  await browser?.close().catch(() => {});
  if (server) await server.stop();
}
process.exit(code);
