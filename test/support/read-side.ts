// What the read-side tests (and the bench) share: a verifier the test decides order by order, the
// order-events consumer in-process, and a Server-Sent Events client over fetch.
import type { Verifier } from '../../activities/verifier';
import { createKafka, TOPICS } from '../../lib/infra/kafka';
import { createLogger } from '../../lib/infra/logger';
import { createRedis } from '../../lib/infra/redis';
import type { Config } from '../../lib/infra/config';
import { startOrderEventsConsumer } from '../../lib/orders/read-model/consumer';
import { newGroupAtEnd } from './price-helpers';
import { testConfig } from './test-stack';

/** A verifier that answers each order when the test says so (decide), and records when it did. */
export interface ControlledVerifier extends Verifier {
  decide(orderId: string, verified: boolean): void;
  /** Order id → when its answer was given (Date.now()). */
  decidedAt: Map<string, number>;
}

export function controlledVerifier(): ControlledVerifier {
  const waiting = new Map<string, { promise: Promise<boolean>; resolve: (v: boolean) => void }>();
  const decidedAt = new Map<string, number>();
  const slot = (orderId: string) => {
    let s = waiting.get(orderId);
    if (!s) {
      let resolve!: (v: boolean) => void;
      const promise = new Promise<boolean>((r) => (resolve = r));
      waiting.set(orderId, (s = { promise, resolve }));
    }
    return s;
  };
  return {
    kind: 'http',
    decidedAt,
    decide(orderId, verified) {
      decidedAt.set(orderId, Date.now());
      slot(orderId).resolve(verified);
    },
    verify({ orderId }, signal) {
      return new Promise<boolean>((resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        slot(orderId).promise.then(resolve, reject);
      });
    },
  };
}

/** The order-events consumer in this process, from the topic's end now (a group of its own). */
export async function startReadModel(cfg: Config = testConfig()) {
  const kafka = createKafka(cfg);
  const redis = createRedis(cfg);
  const running = await startOrderEventsConsumer({
    kafka,
    redis,
    log: createLogger('read-model-test', 'error'),
    groupId: await newGroupAtEnd(kafka, TOPICS.orderEvents),
    fromBeginning: false,
    maxAttempts: 3,
    streamMaxLen: cfg.ORDER_EVENTS_STREAM_MAXLEN,
    sessionTimeoutMs: 6_000,
  });
  return {
    async stop() {
      await running.stop();
      redis.disconnect();
    },
  };
}

export interface SseEvent {
  event: string;
  id?: string;
  data: string;
  at: number;
}

export interface SseClient {
  events: SseEvent[];
  comments: string[];
  status: number;
  /** Resolves with the first event from index `from` on that matches. */
  next(match: (e: SseEvent) => boolean, timeoutMs?: number, from?: number): Promise<SseEvent>;
  close(): void;
  /** Resolves when the server ended the stream. */
  ended: Promise<void>;
}

/** Opens GET /events with these headers and parses the stream as it arrives. */
export async function openSse(url: string, headers: Record<string, string>): Promise<SseClient> {
  const ac = new AbortController();
  const res = await fetch(`${url}/events`, { headers, signal: ac.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  const ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of res.body) {
        buffered += decoder.decode(chunk as Uint8Array, { stream: true });
        let cut: number;
        while ((cut = buffered.indexOf('\n\n')) >= 0) {
          const block = buffered.slice(0, cut);
          buffered = buffered.slice(cut + 2);
          const e: SseEvent = { event: 'message', data: '', at: Date.now() };
          let isEvent = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else {
              const [field, ...rest] = line.split(':');
              const value = rest.join(':').replace(/^ /, '');
              isEvent = true;
              if (field === 'event') e.event = value;
              else if (field === 'id') e.id = value;
              else if (field === 'data') e.data += value;
            }
          }
          if (isEvent) events.push(e);
          notify();
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    events,
    comments,
    status: res.status,
    ended,
    close: () => ac.abort(),
    next(match, timeoutMs = 10_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = events.slice(from).find(match);
          if (hit) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(hit);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no matching SSE event within ${timeoutMs} ms; got ${events.map((e) => e.event).join(',')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** The p-th percentile (0–100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
