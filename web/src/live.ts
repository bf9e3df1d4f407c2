// Live updates through GET /api/v1/stream (server-sent events, docs/api.md): each `data`
// event has the shape of a select's data. The URL is rebuilt on every reconnect so that
// since= follows what the page already holds; failed connections back off up to 60 s.
import type { Params, SelectData } from './api';
import { query } from './api';

export class LiveStream {
  private es: EventSource | null = null;
  private timer = 0;
  private backoff = 2000;
  private closed = false;

  constructor(
    private readonly params: () => Params,
    private readonly onData: (d: SelectData) => void,
    private readonly onState: (state: 'live' | 'retrying') => void = () => {},
  ) {
    this.open();
  }

  private open(): void {
    if (this.closed) return;
    const es = new EventSource('/api/v1/stream' + query(this.params()), { withCredentials: true });
    this.es = es;
    es.addEventListener('open', () => {
      this.backoff = 2000;
      this.onState('live');
    });
    es.addEventListener('data', (ev) => {
      try {
        this.onData(JSON.parse((ev as MessageEvent<string>).data) as SelectData);
      } catch {
        // a malformed event is skipped; the next one carries the newest bucket again
      }
    });
    es.addEventListener('error', () => {
      this.onState('retrying');
      // The browser retries by itself unless the answer was not an event stream (CLOSED);
      // either way reconnect ourselves so since= is current.
      es.close();
      if (this.closed) return;
      clearTimeout(this.timer);
      this.timer = window.setTimeout(() => this.open(), this.backoff);
      this.backoff = Math.min(60_000, this.backoff * 2);
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.es?.close();
    this.es = null;
  }
}
