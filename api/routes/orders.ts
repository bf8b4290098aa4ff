// Orders over HTTP: POST /orders (a buy, or a sell with side; POST /BuyStock and POST /SellStock are
// the two sides' fixed forms) answers the check; GET /orders/:id and the long-polling
// GET /orders/:id/result read the order back; POST /orders/:id/cancel withdraws it. Only HTTP here: the rules, the
// Temporal calls and the read model's wake-up live in lib/orders.
import Router from '@koa/router';
import type Koa from 'koa';
import type { OrderRequestBody } from '../../lib/contracts/http/orders';
import { isFinal, type OrderSide } from '../../lib/contracts/orders';
import { OrderError } from '../../lib/orders/errors';
import { stateFromDescription, type OrderDescription } from '../../lib/orders/client';
import { orderView, type OrderView } from '../../lib/orders/view';
import { principalOf } from '../auth';
import { HttpError, httpErrorOf } from '../errors';
import { mount } from './mount';
import type { RouteDeps } from './deps';

/** Order errors leave as their HTTP form. */
async function http<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw err instanceof OrderError ? httpErrorOf(err) : err;
  }
}

/** The user whose orders a key may read: its own; an operator any (undefined). */
const readerOf = (ctx: Koa.Context) => {
  const p = principalOf(ctx);
  return p.role === 'operator' ? undefined : p.id;
};

export function createOrderRouter(deps: RouteDeps): Router {
  const { cfg, orders, placer } = deps;
  const router = new Router();

  /** A POST placing an order; `fixedSide` for the endpoints whose path names the side. */
  const placeOrder =
    (fixedSide?: OrderSide) =>
    async (ctx: Koa.Context, input: { headers: Record<string, unknown>; body: unknown }) => {
      const receivedAt = new Date();
      const body = input.body as OrderRequestBody; // validated by the operation's schema
      const principal = principalOf(ctx);
      if (body.user !== principal.id) {
        throw new HttpError(
          403,
          'forbidden',
          `this API key belongs to "${principal.id}"; it cannot place orders for "${body.user}"`,
          'user',
        );
      }
      const side = fixedSide ?? body.side ?? 'buy';
      const req = { user: body.user, stockId: body.stockid, quantity: body.quantity, side };
      const idempotencyKey = input.headers['idempotency-key'] as string | undefined;
      const state = await http(() => placer.place(req, idempotencyKey, receivedAt));
      deps.metrics.creditCheckSeconds.observe((Date.now() - receivedAt.getTime()) / 1000);
      ctx.status = 201;
      ctx.set('Location', `/orders/${state.orderId}`);
      ctx.body = orderView(state);
    };
  mount(router, deps, 'placeOrder', placeOrder());
  mount(router, deps, 'buyStock', placeOrder('buy'));
  mount(router, deps, 'sellStock', placeOrder('sell'));

  mount(router, deps, 'cancelOrder', async (ctx, { params }) => {
    const orderId = params.id as string;
    const state = await http(() => orders.cancel(orderId, principalOf(ctx).id, readerOf(ctx)));
    if (state.phase !== 'canceled' && isFinal(state.phase)) {
      throw new HttpError(
        409,
        'order_final',
        `order ${orderId} is final: ${state.status}`,
        'id',
        {},
        {
          status: state.status,
          phase: state.phase,
        },
      );
    }
    ctx.body = orderView(state);
  });

  mount(router, deps, 'getOrder', async (ctx, { params }) => {
    const orderId = params.id as string;
    ctx.body = orderView(await http(() => orders.read(orderId, readerOf(ctx))));
  });

  mount(router, deps, 'awaitOrderResult', async (ctx, { params, query }) => {
    const orderId = params.id as string;
    const asked = query.wait as number | undefined;
    const maxMs = cfg.RESULT_WAIT_MAX;
    const waitMs = asked === undefined ? maxMs : Math.min(Math.round(asked * 1000), maxMs);
    const reader = readerOf(ctx);
    const started = Date.now();
    // An order final in the reader's own read model is answered from it, without a Temporal call (its
    // view is under the reader's key: that is the ownership check). Otherwise ownership by a describe
    // (no worker needed): nobody waits on Temporal for another user's order; the reader's read model
    // is asked again beside it (parkUntilFinal).
    const stored = reader === undefined ? undefined : await deps.finals.stored(reader, orderId);
    if (stored) {
      ctx.body = { ...stored, waitedMs: Date.now() - started };
      return;
    }
    const described = http(() => orders.describe(orderId, reader));
    const final = await http(() => parkUntilFinal(deps, reader, orderId, waitMs, ctx.req, described));
    // When the wait ran out, a fresh read; when the API is stopping, what the description says (a
    // fresh read needs a worker to answer the query, and a stopping API must not linger).
    const view: OrderView =
      final ??
      orderView(
        deps.stopping?.aborted
          ? stateFromDescription(orderId, await described)
          : await http(() => orders.read(orderId, reader)),
      );
    ctx.body = {
      ...view,
      waitedMs: Date.now() - started,
      ...(asked !== undefined && asked * 1000 > maxMs ? { waitClampedTo: maxMs / 1000 } : {}),
    };
  });

  return router;
}

/**
 * Waits for the order's final view for at most waitMs: from the read model the moment its consumer
 * applies the final event (a Redis pub/sub wake-up, usually before Temporal has recorded the close),
 * or from the workflow's close event, whichever comes first. Cut short when the client leaves or the
 * API stops. `described` is the ownership check (it rejects with the 404 for another user's order);
 * the close is awaited only after it. A user's read model is asked without waiting for it: the view
 * is looked up and subscribed to under the reader's own key, so finding it there proves the order
 * theirs, and the describe's time (the tail of this answer under load) is off the path. An operator
 * (`reader` undefined) reads the owner from the description first.
 */
async function parkUntilFinal(
  { orders, finals, stopping }: RouteDeps,
  reader: string | undefined,
  orderId: string,
  waitMs: number,
  req: NodeJS.EventEmitter,
  described: Promise<OrderDescription>,
): Promise<OrderView | undefined> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error('wait ran out')), waitMs);
  const clientGone = () => ac.abort(new Error('client went away'));
  req.once('close', clientGone);
  // A stopping API does not hold a long poll: it answers the current state now, and the client asks
  // again (another replica, or this one restarted).
  const onStop = () => ac.abort(new Error('the API is stopping'));
  if (stopping?.aborted) onStop();
  stopping?.addEventListener('abort', onStop, { once: true });
  try {
    const closed = described
      .then(() => orders.awaitResult(orderId, ac.signal))
      .then((s) => s && orderView(s));
    // The loser is cut by the abort below; an error of the close wait (or of the describe) after the
    // read model answered is nobody's to handle.
    closed.catch(() => undefined);
    const owner = reader ?? stateFromDescription(orderId, await described).user;
    return await Promise.race([closed, finals.waitFinal(owner, orderId, ac.signal)]);
  } finally {
    ac.abort(new Error('answered'));
    clearTimeout(timer);
    req.off('close', clientGone);
    stopping?.removeEventListener('abort', onStop);
  }
}
