// Login page (#/login?next=<hash>): user and password, POST /api/v1/login; a refused
// login (401) or too many attempts (429, with Retry-After) is shown in the form.
import { ApiError, login } from '../api';
import { h } from '../dom';
import type { Route } from '../router';
import type { View } from './view';

export function loginView(route: Route, done: (next: string) => void): View {
  const user = h('input', { id: 'login-user', name: 'user', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const message = h('div', { class: 'form-error', role: 'alert', 'aria-live': 'polite', id: 'login-error' });
  const submit = h('button', { type: 'submit', class: 'primary', text: 'Log in' });
  const form = h(
    'form',
    {
      class: 'card login-card',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        message.textContent = '';
        submit.disabled = true;
        try {
          await login(user.value.trim(), password.value);
          password.value = '';
          const next = route.params.get('next');
          done(next && next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/hosts');
        } catch (e) {
          let text = e instanceof Error ? e.message : String(e);
          if (e instanceof ApiError && e.status === 429 && e.retryAfter) {
            text += ` (try again in ${e.retryAfter} s)`;
          }
          message.textContent = text;
          password.select();
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h1', { text: 'Log in to Strix' }),
    h('label', { for: 'login-user', text: 'User' }),
    user,
    h('label', { for: 'login-password', text: 'Password' }),
    password,
    message,
    submit,
  );
  const el = h('section', { class: 'page login-page' }, form);
  setTimeout(() => user.focus(), 0);
  return { el, title: 'Log in', destroy() {} };
}
