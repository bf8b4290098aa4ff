// Wakes a parked long poll the moment the read model holds its order's final view: the apply script
// (apply.ts) publishes that view on the order's channel, one subscriber connection per process
// listens. The read model is an accelerator here, never the source of truth: the long poll also waits
// on the workflow's close (lib/orders/client.ts awaitResult) and answers with whichever comes first,
// so a stopped order-events consumer or a Redis outage only makes the answer slower, never lost.
import type { OrderView } from '../../contracts/http/orders';
import { duplicateRedis, type Redis } from '../../infra/redis';
import { orderFinalChannel, orderViewsKey } from '../../store/keys';

type Listener = (view: string) => void;

export interface FinalNotifier {
  /**
   * The order's final view once the read model has it (at once if it has it already), or undefined
   * when `signal` aborts first. Never rejects: when Redis cannot be asked it waits for the abort.
   */
  waitFinal(user: string, orderId: string, signal: AbortSignal): Promise<OrderView | undefined>;
  /** The order's final view if the read model holds it now (undefined too when Redis cannot be asked). */
  stored(user: string, orderId: string): Promise<OrderView | undefined>;
  /** Open subscriptions (for tests). */
  readonly channels: number;
}

const parseFinal = (raw: string | null | undefined): OrderView | undefined => {
  if (!raw) return undefined;
  const view = JSON.parse(raw) as OrderView;
  return view.final ? view : undefined;
};

/**
 * One subscriber connection, duplicated from `redis` while at least one long poll waits and closed
 * when the last one leaves (a process with no parked polls holds no extra connection).
 */
export function createFinalNotifier(redis: Redis): FinalNotifier {
  let sub: Redis | undefined;
  const listeners = new Map<string, Set<Listener>>();
  /** Per channel: its SUBSCRIBE, which every waiter on it awaits before reading the stored view. */
  const subscribed = new Map<string, Promise<unknown>>();

  const connection = (): Redis => {
    if (sub) return sub;
    // On a Redis Cluster too: PUBLISH is broadcast to every node, so one node's subscription hears it.
    const conn = duplicateRedis(redis);
    conn.on('message', (channel: string, message: string) => {
      for (const l of listeners.get(channel) ?? []) l(message);
    });
    // Without a listener ioredis reports connection errors as unhandled; the Temporal path covers them.
    conn.on('error', () => undefined);
    sub = conn;
    return conn;
  };

  const leave = (channel: string, l: Listener) => {
    const set = listeners.get(channel);
    set?.delete(l);
    if (set && set.size === 0) {
      listeners.delete(channel);
      subscribed.delete(channel);
      if (listeners.size === 0) {
        sub?.disconnect();
        sub = undefined;
      } else {
        sub?.unsubscribe(channel).catch(() => undefined);
      }
    }
  };

  return {
    get channels() {
      return listeners.size;
    },
    async stored(user, orderId) {
      try {
        return parseFinal(await redis.hget(orderViewsKey(user), orderId));
      } catch {
        return undefined;
      }
    },
    async waitFinal(user, orderId, signal) {
      if (signal.aborted) return undefined;
      const channel = orderFinalChannel(user, orderId);
      let wake!: Listener;
      const published = new Promise<string>((resolve) => (wake = resolve));
      const aborted = new Promise<undefined>((resolve) =>
        signal.addEventListener('abort', () => resolve(undefined), { once: true }),
      );
      const conn = connection();
      if (!listeners.has(channel)) {
        listeners.set(channel, new Set());
        subscribed.set(channel, conn.subscribe(channel));
      }
      listeners.get(channel)!.add(wake);
      try {
        // Subscribed first, then the stored view: a final view applied in between is seen either way.
        const stored = await Promise.race([
          subscribed
            .get(channel)!
            .then(() => redis.hget(orderViewsKey(user), orderId))
            .then(parseFinal),
          aborted,
        ]);
        if (stored || signal.aborted) return stored;
        return await Promise.race([published.then(parseFinal), aborted]);
      } catch {
        return aborted;
      } finally {
        leave(channel, wake);
      }
    },
  };
}
