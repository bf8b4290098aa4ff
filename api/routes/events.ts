// GET /events: Server-Sent Events for the key's user. Order events come from the user's bounded Redis
// stream (written by the order-events consumer, so every API replica sees every order), price ticks
// from the store's new-tick reader (one per process). A client that reads too slowly is dropped once SSE_BUFFER_BYTES are
// waiting for it; a closed socket stops everything at once. Only HTTP here: reads go through the store.
import Router from '@koa/router';
import type { ServerResponse } from 'node:http';
import type { OrderEventFeed } from '../../lib/store/order-event-feed';
import { principalOf } from '../auth';
import { HttpError } from '../errors';
import type { RouteDeps } from './deps';
import { fromStore, mount } from './mount';

/** How long one XREAD blocks; a closed feed interrupts it at once. */
const READ_BLOCK_MS = 15_000;

export function createEventsRouter(deps: RouteDeps): Router {
  const { cfg, store, log } = deps;
  const router = new Router();
  let open = 0;

  mount(router, deps, 'streamEvents', async (ctx, { headers }) => {
    const user = principalOf(ctx).id;
    if (open >= cfg.SSE_MAX_CLIENTS) {
      throw new HttpError(
        503,
        'too_many_streams',
        `this API process serves ${cfg.SSE_MAX_CLIENTS} event streams already; retry shortly`,
        undefined,
        { 'Retry-After': '5' },
      );
    }
    const lastEventId = headers['last-event-id'];
    const feed = store.openOrderEventFeed(user);
    let position: string | undefined;
    try {
      position = await fromStore(() => feed.positionAfter(lastEventId), 'the event stream (Redis)');
    } catch (err) {
      feed.close();
      throw err;
    }
    open++;
    ctx.status = 200;
    ctx.respond = false;
    const res = ctx.res;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    const stream = new EventStream(res, cfg.SSE_BUFFER_BYTES, () => {
      open--;
      feed.close();
      unsubscribe();
      clearInterval(heartbeat);
      clearTimeout(lifetime);
      deps.stopping?.removeEventListener('abort', end);
    });
    const end = () => stream.end();
    const unsubscribe = store.onNewTick((tick) => stream.send('price', JSON.stringify(tick)));
    const heartbeat = setInterval(() => stream.comment('ping'), cfg.SSE_HEARTBEAT);
    const lifetime = setTimeout(end, cfg.SSE_MAX_DURATION);
    ctx.req.once('close', end);
    res.once('close', end);
    deps.stopping?.addEventListener('abort', end, { once: true });
    if (deps.stopping?.aborted) end();
    stream.comment('connected');
    if (position === undefined) {
      stream.send(
        'reset',
        JSON.stringify({ reason: `event ${lastEventId} is no longer held; re-read GET /orders` }),
      );
    }
    void pump(feed, stream, position).catch((err: unknown) => {
      if (!stream.closed)
        log.warn('event stream ended by a read error', { user, err: (err as Error).message });
      stream.end();
    });
  });

  return router;
}

/** Order events from the feed to the client until the stream closes. */
async function pump(feed: OrderEventFeed, stream: EventStream, from: string | undefined): Promise<void> {
  let position = from ?? (await feed.positionAfter()) ?? '0-0';
  while (!stream.closed) {
    for (const e of await feed.read(position, READ_BLOCK_MS)) {
      stream.send('order', e.view, e.eventId);
      position = e.position;
    }
  }
}

/** One SSE response with a bound on what may wait unread in it. */
class EventStream {
  closed = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly maxBufferedBytes: number,
    private readonly onClose: () => void,
  ) {}

  send(event: string, data: string, id?: string): void {
    this.write(`event: ${event}\n${id ? `id: ${id}\n` : ''}data: ${data}\n\n`);
  }

  comment(text: string): void {
    this.write(`: ${text}\n\n`);
  }

  private write(text: string): void {
    if (this.closed) return;
    this.res.write(text);
    // Node buffers what the socket does not take: a client that stopped reading is cut off here.
    if (this.res.writableLength > this.maxBufferedBytes) {
      this.res.destroy();
      this.end();
    }
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.res.destroyed) this.res.end();
    this.onClose();
  }
}
