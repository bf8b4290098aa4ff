// The page's HTTP client: every call carries the API key; an error answer becomes a value the page shows.

// The wire types are the server's own (type-only imports: nothing of lib/ is bundled).
export type { OrderRequestBody, OrderView } from '../../lib/contracts/http/orders';
export type { PriceTick } from '../../lib/contracts/price-tick';
export type { Account } from '../../lib/store/account';

export interface Stock {
  stockid: string;
  name?: string;
  price?: number;
  minute?: string;
}

/** What an answer means to the page: a body, or an error to show. */
export type Answer<T> =
  { ok: true; status: number; body: T } | { ok: false; status: number; message: string; field?: string };

export class ApiClient {
  constructor(private readonly key: () => string | undefined) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    const key = this.key();
    return { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...extra };
  }

  async get<T>(path: string, signal?: AbortSignal): Promise<Answer<T>> {
    return this.send<T>(path, { headers: this.headers(), signal });
  }

  /** A POST with a JSON body, or (body undefined) none. */
  async post<T>(path: string, body?: unknown, extra: Record<string, string> = {}): Promise<Answer<T>> {
    if (body === undefined) return this.send<T>(path, { method: 'POST', headers: this.headers(extra) });
    return this.send<T>(path, {
      method: 'POST',
      headers: this.headers({ 'Content-Type': 'application/json', ...extra }),
      body: JSON.stringify(body),
    });
  }

  private async send<T>(path: string, init: RequestInit): Promise<Answer<T>> {
    let res: Response;
    try {
      res = await fetch(path, init);
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      return { ok: false, status: 0, message: `the API is unreachable: ${String(err)}` };
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { message: text };
    }
    if (res.ok) return { ok: true, status: res.status, body: body as T };
    const err = body as { error?: string; message?: string; field?: string };
    return { ok: false, status: res.status, message: err.message ?? `HTTP ${res.status}`, field: err.field };
  }
}

/** A fresh Idempotency-Key per order the user submits: a retried submit reuses it. */
export function newIdempotencyKey(): string {
  // randomUUID needs a secure context (https or localhost); a plain-http host still gets 122 random bits.
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
