// Shared by run.mjs and bench.mjs: starts a real strixd (from a cmake build dir) on a free
// 127.0.0.1 port with a temporary data dir and web.dir = web/dist, makes users and a token
// with the strix tool, writes line protocol, and launches Debian's chromium through
// playwright-core (headless; never downloads a browser).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CHROMIUM = process.env.STRIX_CHROMIUM ?? '/usr/bin/chromium';

export const USERS = {
  admin: { password: 'admin-password-1', role: 'admin' },
  editor: { password: 'editor-password-1', role: 'editor' },
  viewer: { password: 'viewer-password-1', role: 'viewer' },
};

export function parseArgs(argv) {
  const out = { binDir: '', screenshots: '', keep: false, verbose: false, only: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--bin-dir') out.binDir = resolve(val());
    else if (a === '--screenshots') out.screenshots = resolve(val());
    else if (a === '--keep') out.keep = true;
    else if (a === '--verbose' || a === '-v') out.verbose = true;
    else if (a === '--only') out.only = val();
    else if (a === '--help' || a === '-h') {
      console.log('usage: node web/tests/run.mjs --bin-dir <cmake build dir> [--screenshots <dir>] [--keep] [--only <test>]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!out.binDir) throw new Error('--bin-dir <cmake build dir> is required (it holds src/server/strixd and tools/strix/strix)');
  return out;
}

export function binaries(binDir) {
  const strixd = join(binDir, 'src/server/strixd');
  const strix = join(binDir, 'tools/strix/strix');
  for (const b of [strixd, strix]) if (!existsSync(b)) throw new Error(`missing ${b}: build it (cmake --build ${binDir} --target strixd strix)`);
  return { strixd, strix };
}

// Builds web/dist when it is missing or older than the sources (npm run build).
export function ensureDist() {
  const index = join(WEB_DIR, 'dist/index.html');
  if (existsSync(index) && !process.env.STRIX_WEB_REBUILD) return;
  const r = spawnSync('npm', ['run', 'build'], { cwd: WEB_DIR, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
}

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function run(cmd, args, input) {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout.trim();
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A running strixd. stop() ends it by its PID (SIGTERM, then SIGKILL after 10 s).
export async function startStrix({ binDir, selfHost = 'strix-test-server', log = false }) {
  const { strixd, strix } = binaries(binDir);
  const dir = mkdtempSync(join(tmpdir(), 'strix-web-test-'));
  const data = join(dir, 'data');
  run('mkdir', ['-p', data]);
  for (const [name, u] of Object.entries(USERS)) {
    const args = ['user', 'add', name, '--data-dir', data];
    if (u.role === 'admin') args.push('--admin');
    else args.push('--role', u.role);
    run(strix, args, u.password + '\n');
  }
  const token = run(strix, ['token', 'create', '--name', 'web tests', '--scope', 'ingest,read,admin', '--data-dir', data]).split('\n').pop();
  const port = await freePort();
  const config = join(dir, 'strixd.yaml');
  writeFileSync(
    config,
    [
      `data_dir: ${data}`,
      'log_level: warn',
      'listen:',
      '  address: 127.0.0.1',
      `  port: ${port}`,
      'web:',
      `  dir: ${join(WEB_DIR, 'dist')}`,
      'storage:',
      '  out_of_order_window: 14d',
      'self_metrics:',
      '  interval: 10s',
      `  host: ${selfHost}`,
      '',
    ].join('\n'),
  );
  const logFile = join(dir, 'strixd.log');
  const proc = spawn(strixd, ['--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d) => {
    output += d;
    if (log) process.stderr.write(d);
  });
  proc.stderr.on('data', (d) => {
    output += d;
    if (log) process.stderr.write(d);
  });
  let exited = null;
  proc.on('exit', (code, sig) => (exited = { code, sig }));
  // Never leave strixd behind: on our exit, and on Ctrl-C or a kill of this script.
  const killChild = () => {
    if (exited === null) {
      try {
        process.kill(proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', killChild);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      killChild();
      rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  }
  const url = `http://127.0.0.1:${port}`;
  const server = {
    url,
    port,
    token,
    dir,
    data,
    pid: proc.pid,
    selfHost,
    output: () => output,
    async stop({ keep = false } = {}) {
      if (exited === null) {
        try {
          process.kill(proc.pid, 'SIGTERM');
        } catch {
          // already gone
        }
        for (let i = 0; i < 100 && exited === null; i++) await sleep(100);
        if (exited === null) {
          try {
            process.kill(proc.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      writeFileSync(logFile, output);
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
  for (let i = 0; i < 200; i++) {
    if (exited) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`strixd exited (${JSON.stringify(exited)}): ${output}`);
    }
    try {
      const r = await fetch(url + '/-/ready');
      if (r.ok) return server;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  await server.stop({ keep: true });
  throw new Error(`strixd did not become ready on ${url}: ${output}`);
}

// POST /write (line protocol, precision ms), gzipped when large. Throws unless 204.
export async function writeLines(server, lines, precision = 'ms') {
  const body = Array.isArray(lines) ? lines.join('\n') + '\n' : lines;
  const headers = { Authorization: `Bearer ${server.token}` };
  let payload = body;
  if (body.length > 1 << 20) {
    payload = gzipSync(body);
    headers['Content-Encoding'] = 'gzip';
  }
  const r = await fetch(`${server.url}/write?precision=${precision}`, { method: 'POST', headers, body: payload });
  if (r.status !== 204) throw new Error(`POST /write: ${r.status} ${await r.text()}`);
}

export async function api(server, path, init = {}) {
  const r = await fetch(server.url + path, {
    ...init,
    headers: { Authorization: `Bearer ${server.token}`, ...(init.headers ?? {}) },
  });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: r.status, json, text };
}

// Runs `strix simulate` when the tool has it; returns its options, or null.
export function simulate(binDir, server, opts) {
  const { strix } = binaries(binDir);
  const help = spawnSync(strix, ['simulate', '--help'], { encoding: 'utf8' });
  if (help.status !== 0) return null;
  const args = ['simulate', '--url', server.url, '--token', server.token];
  for (const [k, v] of Object.entries(opts)) args.push(`--${k}`, String(v));
  const r = spawnSync(strix, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`strix ${args.join(' ')} failed: ${r.stderr}`);
  return opts;
}

export async function launchBrowser() {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new Error('playwright-core is missing: run npm install in web/');
  }
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM} (apt install chromium)`);
  const args = ['--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

// Logs `page` in through the login form.
export async function loginUI(page, server, user, hash = '#/hosts') {
  await page.goto(`${server.url}/${hash}`);
  await page.waitForSelector('#login-user', { timeout: 10_000 });
  await page.fill('#login-user', user);
  await page.fill('#login-password', USERS[user].password);
  await Promise.all([page.waitForFunction(() => !location.hash.startsWith('#/login')), page.click('form.login-card button[type=submit]')]);
}

// Waits for the app's "all charts drawn" mark after `since` (performance.now() in page).
// On a timeout the error says what the page showed (a rare CI failure left no trace).
export async function waitChartsDrawn(page, timeout = 20_000) {
  try {
    await page.waitForFunction(() => window.__strix && window.__strix.drawn !== null, null, { timeout });
  } catch (e) {
    const state = await page
      .evaluate(() => ({
        hash: location.hash,
        charts: document.querySelectorAll('.chart-card').length,
        loaded: (window.__strix?.charts ?? []).filter((c) => c.chart.pointCount > 0).length,
        errors: [...document.querySelectorAll('.error-box, .chart-status')].map((x) => x.textContent).slice(0, 5),
        lastDraw: window.__strix?.lastDraw,
        now: performance.now(),
      }))
      .catch((x) => ({ evaluate: String(x) }));
    if (page.inflight) {
      state.inflight = [...page.inflight].map(([r, t]) => `${r.method()} ${r.url().slice(0, 160)} for ${Date.now() - t} ms`).slice(0, 10);
    }
    throw new Error(`${e.message}\n      page: ${JSON.stringify(state)}`);
  }
  return page.evaluate(() => window.__strix.drawn);
}

// Elements in `selectors` whose boxes overlap a sibling's (both visible), as messages.
export async function overlaps(page, selectors) {
  return page.evaluate((sels) => {
    const out = [];
    const visible = (el) => {
      const r = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none';
    };
    const name = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '') + (el.textContent ? ` "${el.textContent.trim().slice(0, 20)}"` : '');
    for (const sel of sels) {
      for (const parent of document.querySelectorAll(sel)) {
        const kids = [...parent.children].filter(visible);
        for (let i = 0; i < kids.length; i++) {
          for (let j = i + 1; j < kids.length; j++) {
            const a = kids[i].getBoundingClientRect();
            const b = kids[j].getBoundingClientRect();
            const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (w > 1.5 && h > 1.5) out.push(`${sel}: ${name(kids[i])} overlaps ${name(kids[j])} (${w.toFixed(0)}x${h.toFixed(0)} px)`);
          }
        }
        // Children sticking out of their parent horizontally (clipped or overflowing).
        const p = parent.getBoundingClientRect();
        for (const k of kids) {
          const r = k.getBoundingClientRect();
          if (r.right > p.right + 2 || r.left < p.left - 2) out.push(`${sel}: ${name(k)} sticks out of its parent`);
        }
      }
    }
    return out;
  }, selectors);
}

// Deterministic data for the benchmark and the tests: `metrics` names on `host`, one
// sample every `stepS` seconds for `days`, ending at `endMs`.
export function syntheticLines({ host, metrics, days, stepS, endMs, extraLabels = '' }) {
  const lines = [];
  const end = Math.floor(endMs / (stepS * 1000)) * stepS * 1000;
  const start = end - days * 86_400_000;
  for (let m = 0; m < metrics; m++) {
    const counter = m % 4 === 3;
    const name = counter ? `bench_m${String(m).padStart(2, '0')}_bytes` : `bench_m${String(m).padStart(2, '0')}`;
    // Measurement "bench", field name → series bench_<field>.
    const field = name.slice('bench_'.length);
    let acc = 0;
    for (let t = start; t < end; t += stepS * 1000) {
      const k = (t - start) / (stepS * 1000);
      if (counter) {
        acc += 1000 + ((k * 7919 + m * 104729) % 5000);
        lines.push(`bench,host=${host}${extraLabels} ${field}=${acc}u ${t}`);
      } else {
        const v = 50 + 40 * Math.sin((k / 360) * Math.PI + m) + ((k * 31 + m * 17) % 10);
        lines.push(`bench,host=${host}${extraLabels} ${field}=${v.toFixed(3)} ${t}`);
      }
    }
  }
  return { lines, start, end };
}

export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}
