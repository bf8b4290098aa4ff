// The user's order-event stream (written by the order-events consumer) as the SSE route reads it:
// resume after a Last-Event-ID, then block for new entries. Each feed holds its own Redis connection
// (XREAD BLOCK occupies one), closed with the feed.
import { duplicateRedis, type Redis } from '../infra/redis';
import { orderEventStreamKey } from './keys';

export interface FeedEntry {
  /** The stream position, to continue after. */
  position: string;
  /** The order event id, `<orderId>:<seq>`: the SSE `id:`. */
  eventId: string;
  /** The order view JSON, as the SSE `data:`. */
  view: string;
}

export interface OrderEventFeed {
  /**
   * Where to continue for a client that last saw `lastEventId`: that entry's position, or undefined if
   * the stream no longer holds it (trimmed or unknown). Without an id: the stream's end now.
   */
  positionAfter(lastEventId?: string): Promise<string | undefined>;
  /** Entries after `position`, waiting at most blockMs for one; [] when none came. */
  read(position: string, blockMs: number, count?: number): Promise<FeedEntry[]>;
  close(): void;
}

const toEntries = (raw: [string, string[]][]): FeedEntry[] =>
  raw.map(([position, fields]) => {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1]!;
    return { position, eventId: f.id ?? '', view: f.order ?? '{}' };
  });

/** A feed on its own connection, duplicated from `redis`. */
export function openOrderEventFeed(redis: Redis, user: string): OrderEventFeed {
  // Queue commands until connected, even when the API's own client fails fast.
  const conn = duplicateRedis(redis);
  const key = orderEventStreamKey(user);
  return {
    async positionAfter(lastEventId) {
      if (lastEventId === undefined) {
        const last = await conn.xrevrange(key, '+', '-', 'COUNT', 1);
        return last[0]?.[0] ?? '0-0';
      }
      // The stream is bounded (ORDER_EVENTS_STREAM_MAXLEN): looking through it whole is cheap.
      let end = '+';
      for (;;) {
        const page = await conn.xrevrange(key, end, '-', 'COUNT', 500);
        const hit = toEntries(page).find((e) => e.eventId === lastEventId);
        if (hit) return hit.position;
        if (page.length < 500) return undefined;
        end = `(${page[page.length - 1][0]}`;
      }
    },
    async read(position, blockMs, count = 100) {
      const r = await conn.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', key, position);
      return r ? toEntries(r[0][1]) : [];
    },
    close() {
      conn.disconnect();
    },
  };
}
