// The dashboard's only door to strixd: fetch wrappers for the /api/v1/ endpoints
// (docs/api.md), the session (user, role, CSRF value) and the JSON shapes they answer.
// Every non-GET request carries X-CSRF-Token; a 401 anywhere sends the user to the login.

export type Role = 'viewer' | 'editor' | 'admin';

export interface Session {
  user: string;
  role: Role;
  csrf: string;
  expires_ms: number;
}

export interface HostInfo {
  host: string;
  tags: Record<string, string>;
  first_seen: number | null;
  last_seen: number | null;
  series: number;
  status: 'up' | 'stale';
}

export type Labels = Record<string, string>;

export type Kind = 'gauge' | 'counter32' | 'counter64' | 'derive' | 'absolute' | 'state';

export interface SeriesInfo {
  labels: Labels;
  kind: Kind;
  first: number;
  last: number;
}

export interface SelectSeries {
  labels: Labels;
  kind: Kind;
  resolution: number;
  timestamps: number[];
  values: (number | string)[];
  min?: number[];
  max?: number[];
}

export interface SelectData {
  from: number;
  to: number;
  step: number;
  fn: string;
  series: SelectSeries[];
}

export interface LatestSample {
  labels: Labels;
  kind: Kind;
  ts: number;
  value: number | string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errorType = '',
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

export type Params = Record<string, string | number | string[] | undefined | null>;

let session: Session | null = null;
let unauthorized: () => void = () => {};

export function currentSession(): Session | null {
  return session;
}

export function setSession(s: Session | null): void {
  session = s;
}

export function canEdit(): boolean {
  return session?.role === 'editor' || session?.role === 'admin';
}

// Called on a 401 from any endpoint except login and me.
export function onUnauthorized(cb: () => void): void {
  unauthorized = cb;
}

export function isCounter(kind: Kind): boolean {
  return kind === 'counter32' || kind === 'counter64' || kind === 'derive';
}

export function query(params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const x of v) q.append(k, x);
    else q.append(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

async function decode<T>(res: Response, path: string): Promise<T> {
  let body: unknown = null;
  const text = await res.text();
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  const obj = body as { status?: string; data?: T; error?: string; errorType?: string } | null;
  if (res.ok && obj && obj.status === 'success') return obj.data as T;
  if (res.ok && !obj) return undefined as T;
  const ra = res.headers.get('retry-after');
  const message = obj?.error ?? `${res.status} ${res.statusText || 'error'} from ${path}`;
  if (res.status === 401 && !path.endsWith('/login') && !path.endsWith('/me')) unauthorized();
  throw new ApiError(res.status, message, obj?.errorType ?? '', ra ? Number(ra) : null);
}

export async function apiGet<T>(path: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
  const url = path + query(params);
  const res = await fetch(url, {
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
    signal,
  });
  return decode<T>(res, path);
}

export async function apiSend<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (session) headers['X-CSRF-Token'] = session.csrf;
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return decode<T>(res, path);
}

export async function login(user: string, password: string): Promise<Session> {
  const s = await apiSend<Session>('POST', '/api/v1/login', { user, password });
  session = s;
  return s;
}

export async function fetchMe(): Promise<Session | null> {
  try {
    session = await apiGet<Session>('/api/v1/me');
    return session;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      session = null;
      return null;
    }
    throw e;
  }
}

export async function logout(): Promise<void> {
  try {
    await apiSend('POST', '/api/v1/logout');
  } finally {
    session = null;
  }
}

// Bands for consolidations of values only: strixd's min/max of a bucket are those of the
// stored values, which for a counter are its raw totals, not rates.
export function withMinMax(fn: string): 1 | undefined {
  return fn === 'rate' || fn === 'increase' || fn === 'count' ? undefined : 1;
}

// Quotes a label value for a selector: "web \"1\"".
export function quoteLabel(v: string): string {
  return '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"';
}

// A metric's selector restricted to one host: name{host="x"}.
export function hostSelector(name: string, host: string): string {
  return `${name}{host=${quoteLabel(host)}}`;
}

// Times for start/end: unix seconds with milliseconds.
export function unixSeconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

// Runs at most `limit` tasks at once, in the order they were added.
export class Limiter {
  private running = 0;
  private queue: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  run<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.running++;
        task()
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            const next = this.queue.shift();
            if (next) next();
          });
      };
      if (this.running < this.limit) start();
      else this.queue.push(start);
    });
  }

  // Drops tasks that have not started.
  clear(): void {
    this.queue = [];
  }
}
