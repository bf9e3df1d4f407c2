// Browser tests of the dashboard against a real strixd:
//   node web/tests/run.mjs --bin-dir build/release [--screenshots <dir>] [--keep] [--only <name>]
// Starts strixd (temp data dir, web.dir = web/dist, users admin/editor/viewer, a token),
// fills it with `strix simulate` plus a host of known values, drives /usr/bin/chromium
// headless through playwright-core, and checks login, the hosts list, host page data, URL
// round trips, live updates, roles, export and layout (no overlaps, readable contrast) in
// both themes. Exit code 1 on any failure. strixd is stopped by its PID at the end.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  USERS,
  api,
  ensureDist,
  launchBrowser,
  loginUI,
  overlaps,
  parseArgs,
  simulate,
  sleep,
  startStrix,
  waitChartsDrawn,
  writeLines,
} from './lib.mjs';
import { cpuUsage, memoryTotal, selfCheck } from './sim.mjs';

const args = parseArgs(process.argv.slice(2));
const results = [];
const pageErrors = [];
let failShot = null; // the page a failed test's screenshot is taken of

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function test(name, fn) {
  if (args.only && !name.includes(args.only)) return;
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok    ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({ name, ok: false, error: e });
    console.log(`FAIL  ${name} (${Date.now() - t0} ms)\n      ${String(e?.stack ?? e).split('\n').slice(0, 5).join('\n      ')}`);
    if (args.screenshots && failShot) {
      mkdirSync(args.screenshots, { recursive: true });
      const file = join(args.screenshots, `FAIL-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.png`);
      await failShot.screenshot({ path: file }).catch(() => {});
      console.log(`      screenshot: ${file}`);
    }
  }
}

// Known values: test_gauge = (minute % 10) * 10 + 5 every minute of the last 3 hours.
const MIN = 60_000;
const knownValue = (t) => ((t / MIN) % 10) * 10 + 5;

const LAYOUT_SELECTORS = [
  'header.top',
  '.toolbar',
  '.range-picker',
  '.segmented',
  '.host-info',
  '.section-nav',
  '.card-head',
  '.legend',
  '.chips',
  '.query-row',
  '.query-actions',
  '.matcher',
  'table.hosts thead tr',
  'table.hosts tbody tr',
  '.spark-cell',
  '.login-card',
];

// Text elements whose contrast against their background must be >= 4.5:1.
async function contrastProblems(page) {
  return page.evaluate(() => {
    const parse = (c) => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
    };
    const lum = ({ r, g, b }) => {
      const f = (v) => {
        v /= 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const bgOf = (el) => {
      const layers = [];
      for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c && c.a > 0) {
          layers.push(c);
          if (c.a >= 1) break;
        }
      }
      let base = { r: 255, g: 255, b: 255 };
      for (let i = layers.length - 1; i >= 0; i--) {
        const c = layers[i];
        base = { r: c.r * c.a + base.r * (1 - c.a), g: c.g * c.a + base.g * (1 - c.a), b: c.b * c.a + base.b * (1 - c.a) };
      }
      return base;
    };
    const out = [];
    const sel = 'h1, h2, h3, a, button, th, td, label, .muted, .chip, .badge, .unit, .legend li, .range-label, .user, .spark-value, .form-error, .chart-status, input, select, .live-badge';
    for (const el of document.querySelectorAll(sel)) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || !el.textContent?.trim() && el.tagName !== 'INPUT') continue;
      const cs = getComputedStyle(el);
      if (cs.visibility === 'hidden' || Number(cs.opacity) < 1 || el.closest('.off,[disabled]')) continue;
      const fg = parse(cs.color);
      if (!fg) continue;
      const bg = bgOf(el);
      const l1 = lum(fg);
      const l2 = lum(bg);
      const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      if (ratio < 4.5) out.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 24)}": ${ratio.toFixed(2)}:1`);
    }
    return [...new Set(out)];
  });
}

async function checkLayout(page, what) {
  const o = await overlaps(page, LAYOUT_SELECTORS);
  assert(o.length === 0, `${what}: overlapping elements:\n        ${o.slice(0, 8).join('\n        ')}`);
  const c = await contrastProblems(page);
  assert(c.length === 0, `${what}: low contrast:\n        ${c.slice(0, 8).join('\n        ')}`);
}

let server = null;
let browser = null;
try {
  ensureDist();
  server = await startStrix({ binDir: args.binDir, log: args.verbose });
  console.log(`strixd pid ${server.pid} on ${server.url} (data ${server.data})`);

  // ---- data
  const SEED = 7;
  selfCheck();
  const sim = simulate(args.binDir, server, { hosts: 3, days: 2, 'per-hour': 60, seed: SEED, prefix: 'sim_' });
  if (!sim) console.log('note: this strix has no simulate command; only the known-values host is written');
  const now = Date.now();
  const end = Math.floor(now / MIN) * MIN;
  const lines = [];
  for (let t = end - 3 * 3_600_000; t <= end; t += MIN) {
    lines.push(`test,host=webtest gauge=${knownValue(t)} ${t}`);
    lines.push(`test,host=webtest,interface=eth0 rx_bytes=${(t / MIN) * 1000}u ${t}`);
  }
  await writeLines(server, lines);
  // Into blocks and tiers, so that longer ranges come from the 1-minute tier (min/max bands).
  const flush = await api(server, '/api/v1/admin/flush', { method: 'POST' });
  if (flush.status !== 200) throw new Error(`POST /api/v1/admin/flush: ${flush.status} ${flush.text}`);
  const simHosts = sim ? ['sim_0', 'sim_1', 'sim_2'] : [];

  browser = await launchBrowser();
  const newPage = async (opts = {}) => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, ...opts });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => {
      pageErrors.push(e.message);
      console.log(`      page error: ${e.message}`);
    });
    // Requests in flight, for the message of a wait that times out (lib.mjs).
    page.inflight = new Map();
    page.on('request', (r) => page.inflight.set(r, Date.now()));
    page.on('requestfinished', (r) => page.inflight.delete(r));
    page.on('requestfailed', (r) => page.inflight.delete(r));
    return page;
  };

  // ---- login
  const page = await newPage();
  failShot = page;
  await test('login: unauthenticated visit shows the login page', async () => {
    await page.goto(server.url + '/#/host/webtest?range=1h');
    await page.waitForSelector('#login-user', { timeout: 10_000 });
    assert(page.url().includes('#/login'), `URL ${page.url()}`);
    assert(decodeURIComponent(page.url()).includes('next=#/host/webtest'), `next= missing in ${page.url()}`);
  });
  await test('login: wrong password is refused with the message shown', async () => {
    await page.fill('#login-user', 'admin');
    await page.fill('#login-password', 'not-the-password');
    await page.click('form.login-card button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#login-error')?.textContent !== '', null, { timeout: 10_000 });
    const msg = await page.textContent('#login-error');
    assert(/invalid user name or password/.test(msg), `message: ${msg}`);
    assert(page.url().includes('#/login'), 'left the login page');
  });
  await test('login: right password goes to the page asked for; header shows user and role', async () => {
    await page.fill('#login-password', USERS.admin.password);
    await page.click('form.login-card button[type=submit]');
    await page.waitForFunction(() => location.hash.startsWith('#/host/webtest'), null, { timeout: 10_000 });
    const user = await page.textContent('header .user');
    assert(user.includes('admin') && user.includes('admin'), `header user: ${user}`);
  });

  if (args.only) await loginUI(page, server, 'admin'); // the login tests may have been skipped

  // ---- hosts
  await test('hosts: lists the simulated hosts, the known host and strixd itself', async () => {
    await page.goto(server.url + '/#/hosts');
    await page.waitForSelector('tr[data-host="webtest"]', { timeout: 10_000 });
    const hosts = await page.$$eval('tr[data-host]', (rows) => rows.map((r) => r.dataset.host));
    for (const h of [...simHosts, 'webtest']) assert(hosts.includes(h), `host ${h} missing in ${hosts}`);
    const badge = await page.textContent('tr[data-host="webtest"] .badge');
    assert(badge === 'up', `webtest status ${badge}`);
    // The strix self host appears once self-metrics were stored (every 10 s).
    const deadline = Date.now() + 15_000;
    let found = hosts.includes(server.selfHost);
    while (!found && Date.now() < deadline) {
      await sleep(1000);
      const r = await api(server, '/api/v1/hosts');
      found = r.json.data.some((h) => h.host === server.selfHost);
    }
    assert(found, `self host ${server.selfHost} not listed`);
  });
  await test('hosts: sparklines come from at most two select requests', async () => {
    const selects = [];
    const onReq = (r) => r.url().includes('/api/v1/select') && selects.push(r.url());
    page.on('request', onReq);
    await page.reload();
    await page.waitForSelector('tr[data-host="webtest"]');
    await sleep(1000);
    page.off('request', onReq);
    assert(selects.length >= 1 && selects.length <= 2, `${selects.length} select requests: ${selects.join(' ')}`);
    if (sim) {
      const txt = await page.textContent('tr[data-host="sim_0"] .spark-value');
      assert(/%/.test(txt), `sim_0 sparkline value "${txt}"`);
    }
  });
  await test('hosts: text filter lives in the URL and survives a reload', async () => {
    await page.fill('input.filter', 'webt');
    await page.waitForFunction(() => location.hash.includes('q=webt'), null, { timeout: 5000 });
    const visible = await page.$$eval('tr[data-host]', (rows) => rows.filter((r) => !r.hidden).map((r) => r.dataset.host));
    assert(visible.length === 1 && visible[0] === 'webtest', `visible ${visible}`);
    await page.reload();
    await page.waitForSelector('tr[data-host="webtest"]');
    assert((await page.inputValue('input.filter')) === 'webt', 'filter lost on reload');
    const visible2 = await page.$$eval('tr[data-host]', (rows) => rows.filter((r) => !r.hidden).map((r) => r.dataset.host));
    assert(visible2.length === 1, `after reload visible ${visible2}`);
    await page.fill('input.filter', '');
  });
  await test('hosts: an admin edits tags inline; a tag chip filters', async () => {
    await page.goto(server.url + '/#/hosts');
    await page.waitForSelector('tr[data-host="webtest"] .edit-tags');
    await page.click('tr[data-host="webtest"] .edit-tags');
    await page.click('tr[data-host="webtest"] .tag-editor-actions button:text("+ tag")');
    await page.fill('tr[data-host="webtest"] .tag-edit-row:last-child .tk', 'team');
    await page.fill('tr[data-host="webtest"] .tag-edit-row:last-child .tv', 'blue');
    await page.click('tr[data-host="webtest"] button:text("Save")');
    await page.waitForSelector('tr[data-host="webtest"] .chip:text("team:blue")', { timeout: 5000 });
    const r = await api(server, '/api/v1/hosts?q=webtest');
    const tags = r.json.data.find((h) => h.host === 'webtest')?.tags;
    assert(tags?.team === 'blue', `server tags ${JSON.stringify(tags)}`);
    await page.click('tr[data-host="webtest"] .chip:text("team:blue")');
    await page.waitForFunction(() => location.hash.includes('tag=team%3Ablue'));
    const visible = await page.$$eval('tr[data-host]', (rows) => rows.filter((r) => !r.hidden).map((r) => r.dataset.host));
    assert(visible.length === 1 && visible[0] === 'webtest', `tag filter shows ${visible}`);
    await page.goBack();
    await page.waitForFunction(() => !location.hash.includes('tag='));
    const visible2 = await page.$$eval('tr[data-host]', (rows) => rows.filter((r) => !r.hidden).length);
    assert(visible2 > 1, 'back did not clear the tag filter');
  });

  // ---- host page
  const captured = [];
  page.on('response', async (r) => {
    if (!r.url().includes('/api/v1/select')) return;
    try {
      captured.push({ url: r.url(), status: r.status(), body: await r.json() });
    } catch {
      // navigated away
    }
  });
  await test('host page: the known host charts exactly the written values', async () => {
    captured.length = 0;
    await page.goto(server.url + '/#/host/webtest?range=1h');
    await waitChartsDrawn(page);
    const charts = await page.$$eval('.chart-card', (cs) => cs.map((c) => c.dataset.metric));
    assert(charts.includes('test_gauge') && charts.includes('test_rx_bytes'), `charts ${charts}`);
    const g = captured.find((c) => decodeURIComponent(c.url).includes('test_gauge{'));
    assert(g && g.status === 200, 'no select response for test_gauge');
    const s = g.body.data.series.find((x) => x.labels.__name__ === 'test_gauge');
    assert(s.timestamps.length >= 55, `only ${s.timestamps.length} points in 1 h`);
    s.timestamps.forEach((t, i) => assert(Math.abs(s.values[i] - knownValue(t)) < 1e-9, `value at ${t}: ${s.values[i]} != ${knownValue(t)}`));
    const c = captured.find((x) => decodeURIComponent(x.url).includes('test_rx_bytes{'));
    assert(c && /fn=rate/.test(c.url), 'counter not fetched as a rate');
    const rates = c.body.data.series.find((x) => x.labels.__name__ === 'test_rx_bytes').values.filter((v) => v !== null);
    assert(rates.length > 0 && rates.every((v) => Math.abs(v - 1000 / 60) < 1e-6), `rates ${rates.slice(0, 5)}`);
    const unit = await page.textContent('.chart-card[data-metric="test_rx_bytes"] .unit');
    assert(unit === 'bits/s', `unit of a network byte counter: ${unit}`);
    const info = await page.evaluate(() => window.__strix.chart('test_gauge'));
    assert(info.points >= 55, `chart holds ${info.points} points`);
  });
  if (sim) {
    await test('host page: a simulated host shows every metric, with the server\'s data', async () => {
      captured.length = 0;
      await page.goto(server.url + '/#/host/sim_0?range=24h');
      const drawn = await waitChartsDrawn(page);
      const series = await api(server, '/api/v1/series?match[]=' + encodeURIComponent('{host="sim_0"}'));
      const names = [...new Set(series.json.data.map((s) => s.labels.__name__))];
      const charts = await page.$$eval('.chart-card', (cs) => cs.map((c) => c.dataset.metric));
      for (const n of names) assert(charts.includes(n), `no chart for ${n}`);
      assert(drawn.charts === names.length, `drawn ${drawn.charts} charts of ${names.length}`);
      const sections = await page.$$eval('.metric-section h2', (hs) => hs.map((h) => h.textContent));
      for (const s of ['CPU', 'Memory', 'Disks', 'Filesystems', 'Network', 'System']) assert(sections.includes(s), `section ${s} missing: ${sections}`);
      // Every select the page made answers the same through the API with a token.
      const fetched = new Set(captured.flatMap((c) => c.body.data.series.map((x) => x.labels.__name__)));
      for (const n of names) assert(fetched.has(n), `no select answer carried ${n}`);
      assert(captured.length <= names.length, `${captured.length} selects for ${names.length} charts`);
      for (const c of captured.slice(0, 6)) {
        const u = new URL(c.url);
        const direct = await api(server, u.pathname + u.search);
        assert(JSON.stringify(direct.json.data) === JSON.stringify(c.body.data), `page data differs from the API for ${u.search}`);
      }
      const cpu = captured.find((c) => decodeURIComponent(c.url).includes('match[]=cpu_usage{'));
      const vals = cpu.body.data.series.find((x) => x.labels.__name__ === 'cpu_usage').values;
      assert(vals.length > 100 && vals.every((v) => v >= 0 && v <= 100), `cpu_usage values ${vals.slice(0, 5)}`);
      // Against the generator (docs/simulate.md): the memory total is the host's constant,
      // and the four CPU modes' rates add up to 4000 ms/s (4 CPUs).
      const answered = (name) => captured.flatMap((c) => c.body.data.series).filter((x) => x.labels.__name__ === name);
      const total = answered('linux_memory_total_bytes')[0].values;
      assert(total.length > 100 && total.every((v) => v === memoryTotal(SEED, 0)), `memory total ${total[0]} != ${memoryTotal(SEED, 0)}`);
      const modes = answered('linux_cpu_time_ms');
      assert(modes.length === 4, `${modes.length} cpu modes`);
      const sums = new Map();
      for (const m of modes) m.timestamps.forEach((t, i) => sums.set(t, (sums.get(t) ?? 0) + m.values[i]));
      const bad = [...sums.values()].filter((v) => Math.abs(v - 4000) > 40);
      assert(sums.size > 100 && bad.length === 0, `cpu mode rates do not add up to 4000 ms/s: ${bad.slice(0, 3)}`);
      const legend = await page.$$eval('.chart-card[data-metric="linux_cpu_time_ms"] .legend li .ln', (l) => l.map((x) => x.textContent));
      assert(legend.length === 4 && legend.every((l) => l.startsWith('mode=')), `cpu legend ${legend}`);
    });
  }

  if (sim) {
    await test('explorer: raw cpu_usage samples are the generator\'s values', async () => {
      captured.length = 0;
      await page.goto(`${server.url}/#/explore?` + new URLSearchParams([['q', 'cpu_usage{host="sim_1"}'], ['step', '0'], ['range', '6h']]).toString());
      await waitChartsDrawn(page);
      const c = captured.find((x) => /step=0(&|$)/.test(x.url));
      assert(c, 'no raw select');
      const s = c.body.data.series[0];
      assert(s.timestamps.length >= 300, `${s.timestamps.length} raw samples in 6 h`);
      s.timestamps.forEach((t, i) => {
        const want = cpuUsage(SEED, 1, t);
        assert(Math.abs(s.values[i] - want) <= 0.001 + 1e-9, `cpu_usage at ${t}: ${s.values[i]}, generator ${want}`);
      });
      const info = await page.evaluate(() => window.__strix.chart('explore'));
      assert(info.points >= s.timestamps.length, `chart holds ${info.points} of ${s.timestamps.length} points`);
    });
  }

  // ---- URL round trips
  const host = sim ? 'sim_0' : 'webtest';
  await test('url: range buttons, drag zoom, reload, back and forward', async () => {
    await page.goto(`${server.url}/#/host/${host}?range=24h`);
    await waitChartsDrawn(page);
    await page.click('.range-picker .seg:text-is("6h")');
    await page.waitForFunction(() => location.hash.includes('range=6h'));
    await waitChartsDrawn(page);
    const box = await page.locator('.chart-card .u-over').first().boundingBox();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => location.hash.includes('from=') && location.hash.includes('to='), null, { timeout: 5000 });
    await waitChartsDrawn(page);
    const zoomed = page.url();
    const p = new URL(zoomed.replace('#/', '')).searchParams;
    const span = Number(p.get('to')) - Number(p.get('from'));
    assert(span > 0.25 * 6 * 3_600_000 && span < 0.35 * 6 * 3_600_000, `zoomed span ${span} ms`);
    await page.reload();
    await waitChartsDrawn(page);
    assert(page.url() === zoomed, `reload changed the URL: ${page.url()}`);
    assert((await page.textContent('.range-picker .seg.active')) === 'custom', 'custom range not active after reload');
    await page.goBack();
    await page.waitForFunction(() => location.hash.includes('range=6h'));
    await waitChartsDrawn(page);
    assert((await page.textContent('.range-picker .seg.active')) === '6h', '6h not active after back');
    await page.goBack();
    await page.waitForFunction(() => location.hash.includes('range=24h'));
    await page.goForward();
    await page.waitForFunction(() => location.hash.includes('range=6h'));
    await waitChartsDrawn(page);
    // Host page to hosts list and back.
    await page.click('header .main-nav a:text("Hosts")');
    await page.waitForSelector('tr[data-host]');
    await page.goBack();
    await page.waitForFunction(() => location.hash.includes('range=6h'));
    await waitChartsDrawn(page);
  });
  await test('url: hidden legend series are in the URL and survive a reload', async () => {
    const metric = sim ? 'linux_cpu_time_ms' : 'test_rx_bytes';
    await page.goto(`${server.url}/#/host/${host}?range=1h`);
    await waitChartsDrawn(page);
    const item = page.locator(`.chart-card[data-metric="${metric}"] .legend li`).first();
    const label = await item.locator('.ln').textContent();
    await item.click();
    await page.waitForFunction((m) => decodeURIComponent(location.hash).includes(`hide=${m}:`), metric);
    await page.reload();
    await waitChartsDrawn(page);
    const cls = await page.locator(`.chart-card[data-metric="${metric}"] .legend li`).first().getAttribute('class');
    assert(cls.includes('off'), `series ${label} visible after reload`);
    const shown = await page.evaluate((m) => {
      const c = window.__strix.charts.find((x) => x.name === m).chart;
      return c.plot.series[1].show;
    }, metric);
    assert(shown === false, 'uPlot still shows the hidden series');
  });
  await test('explorer: queries, fn and step round trip through the URL; CSV and PNG export', async () => {
    const h = sim ? 'sim_0' : 'webtest';
    const q1 = sim ? `cpu_usage{host="${h}"}` : `test_gauge{host="${h}"}`;
    const url = `${server.url}/#/explore?` + new URLSearchParams([['q', q1], ['fn', 'max'], ['step', '5m'], ['range', '24h']]).toString();
    captured.length = 0;
    await page.goto(url);
    await waitChartsDrawn(page);
    const c = captured.find((x) => x.url.includes('/api/v1/select'));
    assert(c && /fn=max/.test(c.url) && /step=300(&|$)/.test(c.url), `select ${c?.url}`);
    const check = async () => {
      assert((await page.inputValue('.query-row input.metric')) === q1.split('{')[0], 'metric input');
      assert((await page.inputValue('.query-row .m-label')) === 'host', 'matcher label');
      assert((await page.inputValue('.query-row .m-value')) === h, 'matcher value');
      assert((await page.inputValue('.query-actions select[aria-label="consolidation function"]')) === 'max', 'fn select');
      assert((await page.inputValue('.query-actions select[aria-label="step"]')) === '5m', 'step select');
    };
    await check();
    // Autocomplete: metric names, then label names and values of the metric.
    await page.waitForFunction(() => document.querySelectorAll('#metric-names option').length > 3);
    await page.focus('.query-row .m-label');
    await page.waitForFunction(() => {
      const l = document.querySelector('.query-row .m-label');
      return [...document.getElementById(l.getAttribute('list')).options].some((o) => o.value === 'host');
    });
    await page.focus('.query-row .m-value');
    await page.waitForFunction((hh) => {
      const v = document.querySelector('.query-row .m-value');
      return [...document.getElementById(v.getAttribute('list')).options].some((o) => o.value === hh);
    }, h);
    await page.reload();
    await waitChartsDrawn(page);
    await check();
    // Add a second query through the form.
    await page.click('button:text("+ Add query")');
    await page.fill('.query-row:nth-child(2) input.metric', sim ? 'memory_usage' : 'test_gauge');
    await page.click('.query-row:nth-child(2) button:text("+ label")');
    await page.fill('.query-row:nth-child(2) .m-label', 'host');
    await page.fill('.query-row:nth-child(2) .m-value', h);
    await page.click('button:text("Run")');
    await page.waitForFunction(() => new URLSearchParams(location.hash.split('?')[1]).getAll('q').length === 2);
    await waitChartsDrawn(page);
    const keys = await page.evaluate(() => window.__strix.chart('explore').keys);
    assert(keys.length >= (sim ? 2 : 1), `explorer series ${keys}`);
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('.explore-chart button:text("CSV")')]);
    const text = readFileSync(await csv.path(), 'utf8');
    assert(text.startsWith('time,') && text.split('\n').length > 100, `CSV: ${text.slice(0, 100)}`);
    const [png] = await Promise.all([page.waitForEvent('download'), page.click('.explore-chart button:text("PNG")')]);
    const bytes = readFileSync(await png.path());
    assert(bytes.length > 5000 && bytes.subarray(1, 4).toString() === 'PNG', `PNG of ${bytes.length} bytes`);
  });

  // ---- live
  await test('live: a point written with a token reaches the chart without a refetch', async () => {
    const probe = await fetch(`${server.url}/api/v1/stream?match[]=test_gauge&step=10&since=${Date.now()}`, {
      headers: { Authorization: `Bearer ${server.token}` },
      signal: AbortSignal.timeout(3000),
    }).catch((e) => ({ status: 0, e }));
    assert(probe.status === 200, `GET /api/v1/stream answers ${probe.status} (the live endpoint is needed)`);
    probe.body?.cancel?.();
    await page.goto(`${server.url}/#/host/webtest?range=15m`);
    await waitChartsDrawn(page);
    await page.waitForSelector('.live-badge:not([hidden])', { timeout: 10_000 });
    const before = await page.evaluate(() => window.__strix.chart('test_gauge'));
    let selects = 0;
    const onReq = (r) => r.url().includes('/api/v1/select') && selects++;
    page.on('request', onReq);
    const t = Date.now();
    await writeLines(server, [`test,host=webtest gauge=42 ${t}`]);
    await page.waitForFunction(
      ([last]) => {
        const c = window.__strix.chart('test_gauge');
        return c && c.last !== null && c.last > last;
      },
      [before.last],
      { timeout: 15_000 },
    );
    const after = await page.evaluate(() => window.__strix.chart('test_gauge'));
    page.off('request', onReq);
    assert(after.points > before.points, `points ${before.points} → ${after.points}`);
    assert(selects === 0, `${selects} select requests during the live update`);
  });

  // ---- roles
  await test('roles: a viewer has no tag editing and a forced PUT gets 403', async () => {
    const vp = await newPage();
    await loginUI(vp, server, 'viewer');
    await vp.waitForSelector('tr[data-host="webtest"]');
    assert((await vp.textContent('header .user')).includes('viewer'), 'role not shown');
    assert((await vp.$$('.edit-tags')).length === 0, 'a viewer sees tag edit buttons');
    const status = await vp.evaluate(async () => {
      const me = await (await fetch('/api/v1/me')).json();
      const r = await fetch('/api/v1/hosts/webtest/tags', {
        method: 'PUT',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.data.csrf },
        body: JSON.stringify({ hacked: 'yes' }),
      });
      return r.status;
    });
    assert(status === 403, `forced PUT answered ${status}`);
    const r = await api(server, '/api/v1/hosts?q=webtest');
    assert(!('hacked' in r.json.data[0].tags), 'tags changed');
    await vp.context().close();
  });
  await test('roles: an editor may edit tags (the edit control is there)', async () => {
    const ep = await newPage();
    await loginUI(ep, server, 'editor');
    await ep.waitForSelector('tr[data-host="webtest"] .edit-tags');
    await ep.context().close();
  });

  // ---- screenshots and layout, both themes, two window sizes
  await test('layout: every page in light and dark at 1280x800 and 1920x1080', async () => {
    const dir = args.screenshots;
    if (dir) mkdirSync(dir, { recursive: true });
    for (const theme of ['light', 'dark']) {
      for (const [w, hgt] of [
        [1280, 800],
        [1920, 1080],
      ]) {
        const lp = await newPage({ viewport: { width: w, height: hgt }, colorScheme: theme });
        await lp.addInitScript((t) => localStorage.setItem('strix-theme', t), theme);
        const shot = async (name, full = false) => {
          await checkLayout(lp, `${name} ${theme} ${w}x${hgt}`);
          if (dir) await lp.screenshot({ path: join(dir, `${name}-${theme}-${w}.png`), fullPage: full });
        };
        await lp.goto(server.url + '/');
        await lp.waitForSelector('#login-user');
        await lp.fill('#login-user', 'admin');
        if (w === 1280) {
          // One refused login per theme (the server slows an address down after five).
          await lp.fill('#login-password', 'wrong-password');
          await lp.click('form.login-card button[type=submit]');
          await lp.waitForFunction(() => document.querySelector('#login-error')?.textContent !== '');
        }
        await shot('login');
        await lp.fill('#login-password', USERS.admin.password);
        await lp.click('form.login-card button[type=submit]');
        await lp.waitForSelector('tr[data-host="webtest"]');
        await sleep(500);
        await shot('hosts');
        await lp.click('tr[data-host="webtest"] .edit-tags');
        await shot('hosts-edit');
        await lp.goto(`${server.url}/#/host/${host}?range=24h`);
        await waitChartsDrawn(lp);
        await shot('host', true);
        await lp.click('.range-picker .seg:text-is("custom")');
        await shot('host-custom');
        await lp.goto(`${server.url}/#/host/${server.selfHost}?range=15m`);
        await waitChartsDrawn(lp);
        await shot('host-self');
        const q = sim ? [['q', `cpu_usage{host="sim_0"}`], ['q', `cpu_usage{host="sim_1"}`]] : [['q', 'test_gauge{host="webtest"}']];
        await lp.goto(`${server.url}/#/explore?` + new URLSearchParams([...q, ['range', '24h']]).toString());
        await waitChartsDrawn(lp);
        await shot('explore');
        await lp.context().close();
      }
    }
  });

  // ---- logout, then throttled logins (last: they slow down this address for a while)
  await test('logout: ends the session and shows the login page', async () => {
    await page.goto(server.url + '/#/hosts');
    await page.waitForSelector('tr[data-host]');
    await page.click('header button:text("Log out")');
    await page.waitForSelector('#login-user');
    const me = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
    assert(me === 401, `/api/v1/me after logout: ${me}`);
  });
  await test('login: too many failures show the server\'s message with the wait', async () => {
    let msg = '';
    for (let i = 0; i < 10 && !/too many/i.test(msg); i++) {
      await page.fill('#login-user', 'editor');
      await page.fill('#login-password', `wrong-${i}`);
      await page.evaluate(() => (document.querySelector('#login-error').textContent = ''));
      await page.click('form.login-card button[type=submit]');
      await page.waitForFunction(() => document.querySelector('#login-error')?.textContent !== '');
      msg = await page.textContent('#login-error');
    }
    assert(/too many/i.test(msg) && /try again in \d+ s/.test(msg), `message: ${msg}`);
  });
  await test('no uncaught errors in any page', async () => {
    assert(pageErrors.length === 0, `page errors:\n        ${pageErrors.slice(0, 5).join('\n        ')}`);
  });
} catch (e) {
  results.push({ name: 'setup', ok: false, error: e });
  console.log(`FAIL  setup: ${e?.stack ?? e}`);
} finally {
  await browser?.close().catch(() => {});
  if (server) {
    await server.stop({ keep: args.keep });
    console.log(`strixd (pid ${server.pid}) stopped${args.keep ? `; files kept in ${server.dir}` : ''}`);
  }
}

const failed = results.filter((r) => !r.ok);
console.log(`\n${results.length - failed.length} passed, ${failed.length} failed`);
if (args.screenshots) console.log(`screenshots in ${args.screenshots}`);
process.exit(failed.length ? 1 : 0);
