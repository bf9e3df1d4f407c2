// Hash routing: every view's state lives in the URL after '#', e.g.
// #/host/web1?range=7d or #/explore?q=cpu_usage{host="web1"}&fn=max. Navigation and range
// changes push history entries (back/forward work); edits that are not navigation (a
// filter being typed, a series hidden) replace the current entry.

export interface Route {
  view: string; // "hosts", "host", "explore", "login"
  arg: string; // the host name for "host"
  params: URLSearchParams;
}

export function parseHash(hash: string = location.hash): Route {
  let h = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!h.startsWith('/')) h = '/' + h;
  const qi = h.indexOf('?');
  const path = qi >= 0 ? h.slice(0, qi) : h;
  const params = new URLSearchParams(qi >= 0 ? h.slice(qi + 1) : '');
  const parts = path.split('/').filter((p) => p !== '');
  const view = parts[0] ?? 'hosts';
  let arg = '';
  if (parts.length > 1) {
    try {
      arg = decodeURIComponent(parts.slice(1).join('/'));
    } catch {
      arg = parts.slice(1).join('/');
    }
  }
  return { view, arg, params };
}

export function href(view: string, arg = '', params?: URLSearchParams | Record<string, string>): string {
  let s = '#/' + view;
  if (arg) s += '/' + encodeURIComponent(arg);
  const p = params instanceof URLSearchParams ? params : new URLSearchParams(params ?? {});
  const q = p.toString();
  if (q) s += '?' + q;
  return s;
}

let listener: (r: Route) => void = () => {};

export function onRoute(cb: (r: Route) => void): void {
  listener = cb;
  window.addEventListener('hashchange', () => cb(parseHash()));
}

// Goes to `target` (a "#/..." string) and renders it. replace: no new history entry and
// no re-render (the view already shows that state; only the URL follows it).
export function navigate(target: string, opts: { replace?: boolean } = {}): void {
  if (canonical(target) === canonical(location.hash)) return;
  if (opts.replace) {
    history.replaceState(history.state, '', target);
    return;
  }
  history.pushState(null, '', target);
  listener(parseHash());
}

function canonical(hash: string): string {
  const r = parseHash(hash);
  return href(r.view, r.arg, r.params);
}

export function currentRoute(): Route {
  return parseHash();
}
