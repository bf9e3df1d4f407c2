// Widgets shared by views: the time-range picker, tag chips, error boxes.
import { h } from './dom';
import { RANGES, formatTime, fromLocalInput, rangeFromParams, setRangeParams, toLocalInput } from './time';

// Preset buttons (15m … 1y), a custom from/to form and a zoom-out button. `apply` gets new
// URL parameters (the caller navigates, which pushes a history entry).
export function rangePicker(params: URLSearchParams, apply: (p: URLSearchParams) => void): HTMLElement {
  const r = rangeFromParams(params);
  const go = (key: string, from?: number, to?: number) => {
    const p = new URLSearchParams(params);
    setRangeParams(p, { key, from, to });
    apply(p);
  };
  const fromIn = h('input', { type: 'datetime-local', value: toLocalInput(r.from), 'aria-label': 'from' });
  const toIn = h('input', { type: 'datetime-local', value: toLocalInput(r.to), 'aria-label': 'to' });
  const err = h('span', { class: 'form-error', role: 'alert' });
  const custom = h(
    'form',
    {
      class: 'custom-range',
      hidden: r.key !== 'custom',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const f = fromLocalInput(fromIn.value);
        const t = fromLocalInput(toIn.value);
        if (!Number.isFinite(f) || !Number.isFinite(t) || t <= f) {
          err.textContent = 'from must be before to';
          return;
        }
        go('custom', f, t);
      },
    },
    fromIn,
    h('span', { class: 'muted', text: '→' }),
    toIn,
    h('button', { type: 'submit', text: 'Apply' }),
    err,
  );
  const buttons = RANGES.map((k) =>
    h('button', {
      type: 'button',
      class: 'seg' + (r.key === k ? ' active' : ''),
      'aria-pressed': String(r.key === k),
      text: k,
      onclick: () => go(k),
    }),
  );
  const customBtn = h('button', {
    type: 'button',
    class: 'seg' + (r.key === 'custom' ? ' active' : ''),
    'aria-pressed': String(r.key === 'custom'),
    text: 'custom',
    onclick: () => {
      custom.hidden = !custom.hidden;
      if (!custom.hidden) fromIn.focus();
    },
  });
  const zoomOut = h('button', {
    type: 'button',
    class: 'seg',
    title: 'Zoom out (twice the span)',
    text: '−',
    'aria-label': 'zoom out',
    onclick: () => {
      const span = r.to - r.from;
      if (r.live) {
        const next = RANGES.find((k) => rangeFromParams(new URLSearchParams({ range: k })).to - rangeFromParams(new URLSearchParams({ range: k })).from > span * 1.01);
        go(next ?? RANGES[RANGES.length - 1]);
      } else {
        const mid = (r.from + r.to) / 2;
        let t = mid + span;
        let f = mid - span;
        if (t > Date.now()) {
          t = Date.now();
          f = t - 2 * span;
        }
        go('custom', f, t);
      }
    },
  });
  const label = h('span', {
    class: 'range-label muted',
    text: r.live ? `last ${r.key}` : `${formatTime(r.from)} → ${formatTime(r.to)}`,
  });
  return h(
    'div',
    { class: 'range-picker' },
    h('div', { class: 'segmented', role: 'group', 'aria-label': 'time range' }, buttons, customBtn, zoomOut),
    label,
    custom,
  );
}

export function tagChip(k: string, v: string, onclick?: () => void): HTMLElement {
  const text = v === '' ? k : `${k}:${v}`;
  return onclick
    ? h('button', { type: 'button', class: 'chip', text, title: `filter by ${text}`, onclick })
    : h('span', { class: 'chip', text });
}

export function errorBox(message: string): HTMLElement {
  return h('div', { class: 'error-box', role: 'alert', text: message });
}
