// Orders over HTTP: POST /orders (a buy, or a sell with side; POST /BuyStock and POST /SellStock are
// the two sides' fixed forms) answers the check; GET /orders/:id and the long-polling
// GET /orders/:id/result read the order back; POST /orders/:id/cancel withdraws it. Only HTTP here: the rules, the
// Temporal calls and the long poll (lib/orders/long-poll.ts) live in lib/orders.
import Router from '@koa/router';
import type Koa from 'koa';
import type { OperationOf } from '../../lib/contracts/http';
import type { OperationInput } from '../../lib/contracts/http/operation';
import type { OrderRequestBody } from '../../lib/contracts/http/orders';
import { isFinal, type OrderSide } from '../../lib/contracts/orders';
import { OrderError } from '../../lib/orders/errors';
import { orderView } from '../../lib/orders/view';
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

type PlaceHeaders = OperationInput<OperationOf<'placeOrder'>>['headers'];

/** The user whose orders a key may read: its own; an operator any (undefined). */
const readerOf = (ctx: Koa.Context) => {
  const p = principalOf(ctx);
  return p.role === 'operator' ? undefined : p.id;
};

export function createOrderRouter(deps: RouteDeps): Router {
  const { cfg, placer, results } = deps;
  const router = new Router();

  /** A POST placing an order; `fixedSide` for the endpoints whose path names the side. */
  const placeOrder =
    (fixedSide?: OrderSide) =>
    // POST /BuyStock's and /SellStock's body is POST /orders's without side: each mount checks it fits.
    async (ctx: Koa.Context, { headers, body }: { headers: PlaceHeaders; body: OrderRequestBody }) => {
      const receivedAt = new Date();
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
      const req = {
        user: body.user,
        stockId: body.stockid,
        quantity: body.quantity,
        side,
        ...(body.type === 'limit' && body.limitPrice !== undefined
          ? {
              limit: {
                limitPrice: body.limitPrice,
                ...(body.timeInForce ? { timeInForce: body.timeInForce } : {}),
              },
            }
          : {}),
      };
      const idempotencyKey = headers['idempotency-key'];
      const state = await http(() => placer.place(req, idempotencyKey, receivedAt));
      deps.metrics.creditCheckSeconds.observe((Date.now() - receivedAt.getTime()) / 1000);
      // 202: recorded on the burst intake, its check still to come (lib/orders/intake.ts).
      ctx.status = state.phase === 'queued' ? 202 : 201;
      ctx.set('Location', `/orders/${state.orderId}`);
      ctx.body = orderView(state);
    };
  mount(router, deps, 'placeOrder', placeOrder());
  mount(router, deps, 'buyStock', placeOrder('buy'));
  mount(router, deps, 'sellStock', placeOrder('sell'));

  mount(router, deps, 'cancelOrder', async (ctx, { params }) => {
    const orderId = params.id;
    const state = await http(() => placer.cancel(orderId, principalOf(ctx).id, readerOf(ctx)));
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
    const orderId = params.id;
    ctx.body = orderView(await http(() => results.read(orderId, readerOf(ctx))));
  });

  mount(router, deps, 'awaitOrderResult', async (ctx, { params, query }) => {
    const orderId = params.id;
    const asked = query.wait;
    const maxMs = cfg.RESULT_WAIT_MAX;
    const waitMs = asked === undefined ? maxMs : Math.min(Math.round(asked * 1000), maxMs);
    const clientGone = new AbortController();
    const onClose = () => clientGone.abort(new Error('client went away'));
    ctx.req.once('close', onClose);
    try {
      const { view, waitedMs } = await http(() =>
        results.awaitFinal({ orderId, reader: readerOf(ctx), waitMs, signal: clientGone.signal }),
      );
      ctx.body = {
        ...view,
        waitedMs,
        ...(asked !== undefined && asked * 1000 > maxMs ? { waitClampedTo: maxMs / 1000 } : {}),
      };
    } finally {
      ctx.req.off('close', onClose);
    }
  });

  return router;
}
