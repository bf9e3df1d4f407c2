// The dashboard's entry: header (navigation, user and role, theme, logout), the session
// check (GET /api/v1/me; 401 shows the login page) and the hash router that mounts views.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { currentSession, fetchMe, logout, onUnauthorized, setSession } from './api';
import { h, setChildren } from './dom';
import { navStarted } from './perf';
import { href, navigate, onRoute, parseHash, type Route } from './router';
import { currentTheme, initTheme, onThemeChange, toggleTheme } from './theme';
import { exploreView } from './views/explore';
import { hostView } from './views/host';
import { hostsView } from './views/hosts';
import { loginView } from './views/login';
import type { View } from './views/view';

initTheme();

const app = document.getElementById('app')!;
const navHosts = h('a', { href: '#/hosts', text: 'Hosts' });
const navExplore = h('a', { href: '#/explore', text: 'Explore' });
const userEl = h('span', { class: 'user' });
const themeBtn = h('button', { type: 'button', class: 'icon-btn theme-toggle', onclick: toggleTheme });
const logoutBtn = h('button', {
  type: 'button',
  text: 'Log out',
  onclick: async () => {
    try {
      await logout();
    } catch {
      // the cookie may be gone already; the login page follows either way
    }
    navigate(href('login'));
  },
});
const header = h(
  'header',
  { class: 'top' },
  h('a', { class: 'brand', href: '#/hosts' }, h('span', { class: 'logo', 'aria-hidden': 'true', text: '◉' }), 'Strix'),
  h('nav', { class: 'main-nav' }, navHosts, navExplore),
  h('div', { class: 'spacer' }),
  userEl,
  themeBtn,
  logoutBtn,
);
const main = h('main', { id: 'main' });
setChildren(app, header, main);

function renderThemeBtn(): void {
  const dark = currentTheme() === 'dark';
  themeBtn.textContent = dark ? '☀ Light' : '☾ Dark';
  themeBtn.title = dark ? 'Switch to the light theme' : 'Switch to the dark theme';
  themeBtn.setAttribute('aria-label', themeBtn.title);
}
renderThemeBtn();
onThemeChange(renderThemeBtn);

function renderHeader(route: Route): void {
  const s = currentSession();
  userEl.textContent = s ? `${s.user} · ${s.role}` : '';
  userEl.hidden = !s;
  logoutBtn.hidden = !s;
  navHosts.parentElement!.hidden = !s;
  navHosts.classList.toggle('active', route.view === 'hosts' || route.view === 'host');
  navExplore.classList.toggle('active', route.view === 'explore');
}

let view: View | null = null;
let viewName = '';

function mount(v: View, name: string): void {
  view?.destroy();
  view = v;
  viewName = name;
  setChildren(main, v.el);
  document.title = `${v.title} · Strix`;
}

async function render(route: Route): Promise<void> {
  navStarted();
  if (route.view !== 'login' && !currentSession()) {
    try {
      await fetchMe();
    } catch (e) {
      setChildren(main, h('div', { class: 'error-box', role: 'alert', text: `Cannot reach strixd: ${e instanceof Error ? e.message : e}` }));
      return;
    }
    if (!currentSession()) {
      const next = location.hash && !location.hash.startsWith('#/login') ? location.hash : '';
      navigate(href('login', '', next ? { next } : {}), { replace: true });
      route = parseHash();
    }
  }
  renderHeader(route);
  if (view && viewName === route.view && view.update?.(route)) return;
  switch (route.view) {
    case 'login':
      mount(
        loginView(route, (next) => {
          navigate(next, { replace: true });
          void render(parseHash());
        }),
        'login',
      );
      break;
    case 'host':
      mount(hostView(route), 'host');
      break;
    case 'explore':
      mount(exploreView(route), 'explore');
      break;
    default:
      if (route.view !== 'hosts') navigate(href('hosts'), { replace: true });
      mount(hostsView(parseHash()), 'hosts');
  }
}

onUnauthorized(() => {
  setSession(null); // expired or ended elsewhere: log in again
  if (parseHash().view === 'login') return;
  navigate(href('login', '', { next: location.hash }), { replace: true });
  void render(parseHash());
});

onRoute((r) => void render(r));
void render(parseHash());
