// Series selectors as the API takes them (Prometheus syntax, docs/api.md):
// name{label="value",other!~"re.*"}. Parsed into an editable form and written back.
import { quoteLabel } from './api';

export type Op = '=' | '!=' | '=~' | '!~';
export const OPS: Op[] = ['=', '!=', '=~', '!~'];

export interface Matcher {
  label: string;
  op: Op;
  value: string;
}

export interface Query {
  name: string;
  matchers: Matcher[];
}

// Lenient: what cannot be parsed is kept as the metric name so that nothing is lost.
export function parseSelector(text: string): Query {
  const s = text.trim();
  let i = 0;
  const ident = () => {
    const m = /^[a-zA-Z_:][a-zA-Z0-9_:.]*/.exec(s.slice(i));
    if (!m) return '';
    i += m[0].length;
    return m[0];
  };
  const ws = () => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  const q: Query = { name: ident(), matchers: [] };
  ws();
  if (i >= s.length) return q;
  if (s[i] !== '{') return { name: s, matchers: [] };
  i++;
  for (;;) {
    ws();
    if (s[i] === '}') {
      i++;
      break;
    }
    const label = ident();
    ws();
    const op = (['!=', '=~', '!~', '='] as Op[]).find((o) => s.startsWith(o, i));
    if (!label || !op) return { name: s, matchers: [] };
    i += op.length;
    ws();
    const quote = s[i];
    if (quote !== '"' && quote !== "'") return { name: s, matchers: [] };
    i++;
    let value = '';
    while (i < s.length && s[i] !== quote) {
      if (s[i] === '\\' && i + 1 < s.length) {
        const c = s[i + 1];
        value += c === 'n' ? '\n' : c;
        i += 2;
      } else value += s[i++];
    }
    if (i >= s.length) return { name: s, matchers: [] };
    i++;
    if (label === '__name__' && op === '=') q.name = value;
    else q.matchers.push({ label, op, value });
    ws();
    if (s[i] === ',') i++;
    else if (s[i] !== '}') return { name: s, matchers: [] };
  }
  return q;
}

export function formatSelector(q: Query): string {
  const ms = q.matchers.filter((m) => m.label !== '');
  const body = ms.map((m) => `${m.label}${m.op}${quoteLabel(m.value)}`).join(',');
  if (!body) return q.name;
  return `${q.name}{${body}}`;
}
