// Server-Sent Events over fetch: EventSource cannot send an Authorization header, so the page reads the
// stream itself, parses it as the SSE spec says, and reconnects with Last-Event-ID. The server's `: ping`
// comments are its heartbeat: a connection silent for longer is taken for dead and reopened.

export interface SseMessage {
  event: string;
  id?: string;
  data: string;
}

/** The SSE wire format, fed chunk by chunk: lines, fields, and a blank line dispatching each event. */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  /** The last id seen (the spec's "last event ID buffer"): sent back on reconnect. */
  lastEventId: string | undefined;
  /** A `retry:` field: how long to wait before reconnecting, ms. */
  retryMs: number | undefined;

  constructor(private readonly emit: (m: SseMessage) => void) {}

  /** A new connection: a half-received event of the old one is dropped; the last event id is kept. */
  reset(): void {
    this.buffer = '';
    this.event = '';
    this.data = [];
    this.id = undefined;
  }

  push(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
      if (!m || (m[0] === '\r' && m.index === this.buffer.length - 1)) return;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return; // a comment (keep-alive)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }

  private dispatch(): void {
    if (this.id !== undefined) this.lastEventId = this.id;
    if (this.data.length > 0) {
      this.emit({ event: this.event || 'message', id: this.lastEventId, data: this.data.join('\n') });
    }
    this.event = '';
    this.data = [];
    this.id = undefined;
  }
}

export type StreamState = 'connecting' | 'open' | 'down';

export interface StreamOptions {
  url: string;
  headers: () => Record<string, string>;
  onMessage: (m: SseMessage) => void;
  /** `resumed`: the connection was opened with Last-Event-ID, so it brings what was missed. */
  onState: (s: StreamState, detail?: string, resumed?: boolean) => void;
  /** Silence (no event, no `: ping`) this long means a dead connection: it is dropped and reopened. */
  idleMs?: number;
}

/** Three missed heartbeats of the server's 15 s SSE_HEARTBEAT. */
const IDLE_MS = 45_000;

/**
 * Keeps one SSE stream open until stopped: reconnects after a drop or a silence longer than idleMs (with
 * backoff, and Last-Event-ID so no order event is missed), and stops for good when the key is refused.
 */
export function openEventStream(o: StreamOptions): { stop(): void } {
  const stopped = new AbortController();
  const parser = new SseParser(o.onMessage);
  // Drops in a row: the wait before reconnecting doubles with each, from the server's retry: or 1 s.
  let drops = 0;

  const connectOnce = async (): Promise<void> => {
    const conn = new AbortController();
    const cut = () => conn.abort(new Error('the stream went silent'));
    const stop = () => conn.abort();
    stopped.signal.addEventListener('abort', stop, { once: true });
    let idle = setTimeout(cut, o.idleMs ?? IDLE_MS);
    try {
      const resumed = parser.lastEventId !== undefined;
      const headers = { ...o.headers(), Accept: 'text/event-stream' };
      if (resumed) Object.assign(headers, { 'Last-Event-ID': parser.lastEventId });
      const res = await fetch(o.url, { headers, signal: conn.signal });
      // A refused key will not be accepted on a retry: the page long-polls instead.
      if (res.status === 401 || res.status === 403) {
        stopped.abort();
        return o.onState('down', `the key was refused (${res.status})`);
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      parser.reset();
      drops = 0;
      o.onState('open', undefined, resumed);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        clearTimeout(idle);
        idle = setTimeout(cut, o.idleMs ?? IDLE_MS);
        parser.push(value);
      }
      o.onState('down', 'the stream ended');
    } catch (err) {
      if (!stopped.signal.aborted) o.onState('down', String(conn.signal.reason ?? err));
    } finally {
      clearTimeout(idle);
      stopped.signal.removeEventListener('abort', stop);
      conn.abort();
    }
  };

  const run = async (): Promise<void> => {
    while (!stopped.signal.aborted) {
      o.onState('connecting');
      await connectOnce();
      if (stopped.signal.aborted) return;
      const wait = Math.min((parser.retryMs ?? 1_000) * 2 ** drops++, 30_000);
      await new Promise((r) => setTimeout(r, wait));
    }
  };
  void run();
  return { stop: () => stopped.abort() };
}
