// What every benchmark scenario shares: percentiles with their sample counts, an open-loop load
// generator, and the one function that talks to the order API (so a header is added in one place).
import { readFileSync } from 'node:fs';
import { sleep } from '../wait';

export { sleep };
export const say = (msg: string) => process.stdout.write(`[bench] ${msg}\n`);

export interface Stats {
  /** How many samples the figures rest on. */
  n: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    n: s.length,
    p50: r(percentile(s, 50)),
    p99: r(percentile(s, 99)),
    p999: r(percentile(s, 99.9)),
    max: r(s[s.length - 1] ?? NaN),
  };
}

export const fmt = (s: Stats, unit = 'ms') =>
  `p50 ${s.p50} / p99 ${s.p99} / p99.9 ${s.p999} ${unit} (n=${s.n})`;

export interface Fired<T> {
  /** From the request's scheduled send time to its answer (so a late timer counts against us). */
  ms: number;
  answeredAt: number;
  value?: T;
  error?: string;
}

/**
 * Open loop: request i leaves at start + i/rate whether or not earlier ones were answered, so a slow
 * system meets the same offered load instead of slowing its own clients down.
 */
export async function openLoop<T>(
  rate: number,
  seconds: number,
  fire: () => Promise<T>,
): Promise<{ results: Fired<T>[]; elapsedSeconds: number }> {
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const inflight: Promise<Fired<T>>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    inflight.push(
      fire().then(
        (value) => ({ ms: performance.now() - due, answeredAt: performance.now(), value }),
        (err: unknown) => ({
          ms: performance.now() - due,
          answeredAt: performance.now(),
          error: String((err as Error)?.message ?? err),
        }),
      ),
    );
  }
  const results = await Promise.all(inflight);
  const last = Math.max(...results.map((r) => r.answeredAt));
  return { results, elapsedSeconds: (last - started) / 1000 };
}

export interface OrderAnswer {
  status: number;
  body: {
    orderId?: string;
    status?: string;
    final?: boolean;
    phase?: string;
    error?: string;
    updatedAt?: string;
  };
}

/**
 * The order API as a client sees it. Every benchmark request goes through `call`: when the API asks
 * for credentials (Authorization: Bearer <key>), they are added here and nowhere else.
 */
export function orderApi(baseUrl: string) {
  const call = async (user: string, path: string, init: RequestInit = {}): Promise<OrderAnswer> => {
    const key = benchKeys.get(user);
    const res = await fetch(`${baseUrl}${path}`, {
      ...init,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(init.headers as Record<string, string>),
      },
    });
    return { status: res.status, body: (await res.json()) as OrderAnswer['body'] };
  };
  return {
    placeOrder: (user: string, stockId: string, quantity = 1) =>
      call(user, '/orders', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"user":"${user}","stockid":${stockId},"quantity":${quantity}}`,
      }),
    result: (user: string, orderId: string, waitSeconds: number) =>
      call(user, `/orders/${orderId}/result?wait=${waitSeconds}`),
  };
}

/** Each bench user's API key (issued with the user); `call` sends it as Authorization: Bearer. */
export const benchKeys = new Map<string, string>();
export type OrderApi = ReturnType<typeof orderApi>;

/** Peak resident memory (VmHWM) of a process, in MiB, or undefined if it is gone. */
export function peakRssMiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Math.round(Number(kb) / 1024) : undefined;
  } catch {
    return undefined;
  }
}
