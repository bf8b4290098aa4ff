// Buy orders over HTTP: POST /orders (alias POST /BuyStock) starts a buyOrder workflow with
// Update-with-Start and answers its credit check; GET /orders/:id and the long-polling
// GET /orders/:id/result read it back. Every bad input is refused before any order exists.
import Router, { type RouterMiddleware } from '@koa/router';
import {
  ApplicationFailure,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { createHash, randomUUID } from 'node:crypto';
import type { Config } from '../../lib/infra/config';
import { stockInfoKey, userKey, WATCHLIST_KEY } from '../../lib/store/keys';
import type { Logger } from '../../lib/infra/logger';
import {
  BUY_ORDER_WORKFLOW_TYPE,
  ORDER_STATUS_TEXT,
  buyOrderWorkflowId,
  isFinal,
  MAX_ORDER_QUANTITY,
  ORDER_BODY_LIMIT_BYTES,
  ORDER_SEARCH_KEYS,
  ORDER_STATUS_KEYWORD,
  ORDERS_TASK_QUEUE,
  placeOrderUpdate,
  statusQuery,
  type BuyOrderInput,
  type OrderState,
} from '../../lib/contracts/orders';
import { readLatestTick } from '../../lib/store/price-history';
import type { Redis } from '../../lib/infra/redis';
import { badRequest, HttpError, notFound } from '../errors';
import { authenticate, principalOf, requireRole } from '../auth';
import { jsonTypeOf, JsonNumber, type JsonValue } from '../json-body';
import { readJsonBody } from '../read-body';
import type { Principal } from '../../lib/store/api-keys';

export interface OrderRoutesDeps {
  cfg: Config;
  log: Logger;
  redis: Redis;
  temporal: Client;
  stopping?: AbortSignal;
}

/** A buy order request, validated: what the original BuyStock endpoint took. */
export interface OrderRequest {
  user: string;
  stockId: string;
  quantity: number;
}

export const USER_ID = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
export const STOCK_ID = /^\d{15,17}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const ORDER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REQUEST_FIELDS = ['user', 'stockid', 'quantity'] as const;

/** The client-facing view of an order. */
export interface OrderView {
  orderId: string;
  user: string;
  stockid: string;
  quantity: number;
  status: string;
  phase: OrderState['phase'];
  final: boolean;
  price?: number;
  amount?: number;
  reason?: string;
  receivedAt: string;
  updatedAt: string;
}

export function orderView(s: OrderState): OrderView {
  return {
    orderId: s.orderId,
    user: s.user,
    stockid: s.stockId,
    quantity: s.quantity,
    status: s.status,
    phase: s.phase,
    final: isFinal(s.phase),
    ...(s.price !== undefined ? { price: s.price, amount: s.amount } : {}),
    ...(s.reason ? { reason: s.reason } : {}),
    receivedAt: s.receivedAt,
    updatedAt: s.updatedAt,
  };
}

/** The same (user, Idempotency-Key) always names the same order: its id is derived from them. */
export function orderIdForIdempotencyKey(user: string, key: string): string {
  const h = createHash('sha256').update(`bourse-buy-order\0${user}\0${key}`).digest('hex');
  // Shaped as a UUID (version 8, "custom"), so every order id looks alike.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function createOrderRouter(deps: OrderRoutesDeps): Router {
  const { cfg, log, redis } = deps;
  const router = new Router();

  const auth = authenticate(cfg, redis);
  // Order starts waiting on Temporal right now (this process). Past ORDER_MAX_IN_FLIGHT the server is
  // behind: a new order is refused at once, before any workflow exists, instead of queueing until
  // ORDER_START_TIMEOUT and leaving a started order behind a 503.
  let inFlight = 0;
  const asUser = requireRole('user');

  const placeOrder: RouterMiddleware = async (ctx) => {
    const idempotencyKey = ctx.get('Idempotency-Key') || undefined;
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw badRequest('Idempotency-Key', 'Idempotency-Key must be 1–255 visible ASCII characters');
    }
    const body = await readJsonBody(ctx, ORDER_BODY_LIMIT_BYTES);
    const req = validateOrderRequest(body);
    const principal = principalOf(ctx);
    if (req.user !== principal.id) {
      throw new HttpError(
        403,
        'forbidden',
        `this API key belongs to "${principal.id}"; it cannot place orders for "${req.user}"`,
        'user',
      );
    }
    await checkUserAndStock(redis, req);

    const orderId = idempotencyKey ? orderIdForIdempotencyKey(req.user, idempotencyKey) : randomUUID();
    if (inFlight >= cfg.ORDER_MAX_IN_FLIGHT) {
      throw new HttpError(
        503,
        'overloaded',
        `${inFlight} orders are already waiting for their credit check; nothing was started, retry shortly`,
        undefined,
        { 'Retry-After': '1' },
      );
    }
    inFlight += 1;
    let state: OrderState;
    try {
      state = await startOrder(deps, orderId, req);
    } finally {
      inFlight -= 1;
    }
    if (state.stockId !== req.stockId || state.quantity !== req.quantity) {
      throw new HttpError(
        422,
        'idempotency_key_reused',
        `Idempotency-Key already names order ${orderId} for ${state.quantity} × ${state.stockId}; use a new key for a different order`,
        'Idempotency-Key',
      );
    }
    ctx.status = 201;
    ctx.set('Location', `/orders/${orderId}`);
    ctx.body = orderView(state);
  };
  // Only a user places orders (an operator key is for administration, not trading).
  router.post('/orders', auth, asUser, placeOrder);
  router.post('/BuyStock', auth, asUser, placeOrder);

  // A user reads only their own orders (someone else's is a 404, as if it did not exist); an operator
  // reads any.
  router.get('/orders/:id', auth, async (ctx) => {
    const orderId = orderIdParam(ctx.params.id);
    ctx.body = orderView(await readOrder(deps, orderId, principalOf(ctx)));
  });

  router.get('/orders/:id/result', auth, async (ctx) => {
    const orderId = orderIdParam(ctx.params.id);
    const waitMs = waitParam(ctx.query.wait, cfg.RESULT_WAIT_MAX);
    const principal = principalOf(ctx);
    const started = Date.now();
    // Ownership first (a describe, which needs no worker), then the wait: nobody parks on another
    // user's order.
    const desc = await describeOrder(deps, orderId, principal);
    const final = await awaitResult(deps, orderId, waitMs, ctx.req);
    // When the wait ran out, a fresh read; when the API is stopping, what the description says (a fresh
    // read needs a worker to answer the query, and a stopping API must not linger).
    const state =
      final ??
      (deps.stopping?.aborted
        ? stateFromDescription(orderId, desc)
        : await readOrder(deps, orderId, principal));
    ctx.body = { ...orderView(state), waitedMs: Date.now() - started };
  });

  log.debug('order routes ready');
  return router;
}

function orderIdParam(id: string | undefined): string {
  if (!id || !ORDER_ID.test(id)) throw badRequest('id', 'order id must be a lowercase UUID');
  return id;
}

function waitParam(raw: unknown, maxMs: number): number {
  if (raw === undefined) return maxMs;
  const text = Array.isArray(raw) ? raw[0] : raw;
  const seconds = typeof text === 'string' && /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(seconds) || seconds * 1000 > maxMs) {
    throw badRequest('wait', `wait must be a number of seconds from 0 to ${maxMs / 1000}`);
  }
  return Math.round(seconds * 1000);
}

export function validateOrderRequest(body: JsonValue): OrderRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || body instanceof JsonNumber) {
    throw badRequest(
      'body',
      `the body must be a JSON object with ${REQUEST_FIELDS.join(', ')}, not ${jsonTypeOf(body)}`,
    );
  }
  for (const key of Object.keys(body)) {
    if (!(REQUEST_FIELDS as readonly string[]).includes(key)) {
      throw badRequest(key, `unknown field "${key}"; a buy order has exactly ${REQUEST_FIELDS.join(', ')}`);
    }
  }
  for (const key of REQUEST_FIELDS) {
    if (!(key in body)) throw badRequest(key, `"${key}" is required`);
  }
  const { user, stockid, quantity } = body as Record<(typeof REQUEST_FIELDS)[number], JsonValue>;

  if (typeof user !== 'string') throw badRequest('user', `"user" must be a string, not ${jsonTypeOf(user)}`);
  if (!USER_ID.test(user)) {
    throw badRequest(
      'user',
      '"user" must be 1–64 letters, digits or _ . @ -, starting with a letter or digit',
    );
  }

  let stockId: string;
  if (stockid instanceof JsonNumber) stockId = stockid.raw;
  else if (typeof stockid === 'string') stockId = stockid;
  else
    throw badRequest(
      'stockid',
      `"stockid" must be a number or a string of digits, not ${jsonTypeOf(stockid)}`,
    );
  if (!STOCK_ID.test(stockId)) {
    throw badRequest(
      'stockid',
      `"stockid" must be a 15–17 digit TSE instrument code, not ${JSON.stringify(stockId)}`,
    );
  }

  if (!(quantity instanceof JsonNumber)) {
    throw badRequest('quantity', `"quantity" must be a number, not ${jsonTypeOf(quantity)}`);
  }
  if (!/^-?\d+$/.test(quantity.raw)) {
    throw badRequest('quantity', `"quantity" must be a whole number of shares, not ${quantity.raw}`);
  }
  if (quantity.raw.startsWith('-') || /^-?0+$/.test(quantity.raw)) {
    throw badRequest('quantity', `"quantity" must be positive, not ${quantity.raw}`);
  }
  if (quantity.raw.length > 10 || Number(quantity.raw) > MAX_ORDER_QUANTITY) {
    throw badRequest('quantity', `"quantity" must be at most ${MAX_ORDER_QUANTITY}, not ${quantity.raw}`);
  }
  return { user, stockId, quantity: Number(quantity.raw) };
}

/** Unknown users and stocks without a price are refused here, before any order exists. */
async function checkUserAndStock(redis: Redis, req: OrderRequest): Promise<void> {
  let userExists: number;
  let tick: Awaited<ReturnType<typeof readLatestTick>>;
  let known: [number, number] = [0, 0];
  try {
    [userExists, tick] = await Promise.all([
      redis.exists(userKey(req.user)),
      readLatestTick(redis, req.stockId),
    ]);
    if (!tick) {
      known = await Promise.all([
        redis.exists(stockInfoKey(req.stockId)),
        redis.sismember(WATCHLIST_KEY, req.stockId),
      ]);
    }
  } catch (err) {
    throw new HttpError(503, 'unavailable', `Redis is unavailable: ${(err as Error).message}`, undefined, {
      'Retry-After': '5',
    });
  }
  if (!userExists) throw new HttpError(422, 'unknown_user', `no user "${req.user}"`, 'user');
  if (!tick) {
    if (known[0] || known[1]) {
      throw new HttpError(
        422,
        'no_price',
        `no price recorded yet for stock ${req.stockId}; try again in a minute`,
        'stockid',
      );
    }
    throw new HttpError(422, 'unknown_stock', `unknown stock ${req.stockId}`, 'stockid');
  }
}

// gRPC codes that say the request itself is wrong (or the server misconfigured): retrying cannot help.
const PERMANENT_GRPC_CODES = new Set([3, 7, 9, 12, 16]); // INVALID_ARGUMENT, PERMISSION_DENIED, FAILED_PRECONDITION, UNIMPLEMENTED, UNAUTHENTICATED

function isPermanentRpcError(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return PERMANENT_GRPC_CODES.has(code);
  }
  return false;
}

/**
 * Runs a Temporal call with a gRPC deadline, and also answers when the deadline passes even if the
 * call has not given up yet (a lazy connection's first connect is not bounded by the call's deadline).
 * An abandoned call may still land later; that is harmless: a retry with the same key finds its order.
 */
async function within<T>(temporal: Client, ms: number, call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([temporal.withDeadline(Date.now() + ms, call), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function temporalUnavailable(orderId: string, err: unknown, what: string): HttpError {
  return new HttpError(
    503,
    'unavailable',
    `${what}: ${(err as Error)?.message ?? err}. Retry with the same Idempotency-Key to find this order.`,
    undefined,
    { 'Retry-After': '5', 'X-Order-Id': orderId },
  );
}

/** Update-with-Start, bounded by ORDER_START_TIMEOUT: the answer is the credit check's. */
async function startOrder(
  { cfg, log, temporal }: OrderRoutesDeps,
  orderId: string,
  req: OrderRequest,
): Promise<OrderState> {
  const input: BuyOrderInput = {
    orderId,
    user: req.user,
    stockId: req.stockId,
    quantity: req.quantity,
    verifyTimeoutMs: cfg.VERIFY_TIMEOUT,
    receivedAt: new Date().toISOString(),
  };
  const summary = `${req.user} buys ${req.quantity} × ${req.stockId}`;
  const startWorkflowOperation = new WithStartWorkflowOperation(BUY_ORDER_WORKFLOW_TYPE, {
    workflowId: buyOrderWorkflowId(orderId),
    taskQueue: ORDERS_TASK_QUEUE,
    args: [input],
    // A retry finds the running order; a finished order's id is never reused for a second one.
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: [
      { key: ORDER_SEARCH_KEYS.user, value: req.user },
      { key: ORDER_SEARCH_KEYS.stock, value: req.stockId },
      { key: ORDER_SEARCH_KEYS.quantity, value: req.quantity },
      { key: ORDER_SEARCH_KEYS.status, value: ORDER_STATUS_KEYWORD.pending },
    ],
    memo: { summary, user: req.user, stockId: req.stockId, quantity: req.quantity },
    staticSummary: summary,
    staticDetails: `Buy order ${orderId}: ${summary}, received ${input.receivedAt} through the API.`,
  });
  try {
    return await within(temporal, cfg.ORDER_START_TIMEOUT, () =>
      temporal.workflow.executeUpdateWithStart(placeOrderUpdate, {
        startWorkflowOperation,
        // One update id per order: a retried POST attaches to the first one's update.
        updateId: `place-${orderId}`,
      }),
    );
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return readOrder({ cfg, temporal }, orderId);
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause;
      const type = cause instanceof ApplicationFailure ? cause.type : undefined;
      if (type === 'unknown_user') throw new HttpError(422, 'unknown_user', `no user "${req.user}"`, 'user');
      if (type === 'no_price') {
        throw new HttpError(422, 'no_price', `no price recorded yet for stock ${req.stockId}`, 'stockid');
      }
    }
    if (isPermanentRpcError(err)) throw err; // a bug or misconfiguration: 500, not "retry later"
    log.warn('order not started', { orderId, err, stack: (err as Error)?.stack });
    throw temporalUnavailable(orderId, err, 'the order service did not answer in time');
  }
}

type OrderDescription = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['describe']>>;

/**
 * The order's workflow description (no worker needed), if the reader may see it: another user's order
 * is a 404, the same answer as for an order that does not exist, so ids of others' orders leak nothing.
 */
async function describeOrder(
  { cfg, temporal }: Pick<OrderRoutesDeps, 'cfg' | 'temporal'>,
  orderId: string,
  reader?: Principal,
): Promise<OrderDescription> {
  const handle = temporal.workflow.getHandle(buyOrderWorkflowId(orderId));
  try {
    const desc = await within(temporal, cfg.ORDER_START_TIMEOUT, () => handle.describe());
    if (desc.type !== BUY_ORDER_WORKFLOW_TYPE) throw notFound(`no order ${orderId}`, 'id');
    if (reader && reader.role !== 'operator') {
      if (desc.typedSearchAttributes.get(ORDER_SEARCH_KEYS.user) !== reader.id) {
        throw notFound(`no order ${orderId}`, 'id');
      }
    }
    return desc;
  } catch (err) {
    if (err instanceof HttpError) throw err;
    if (err instanceof WorkflowNotFoundError) throw notFound(`no order ${orderId}`, 'id');
    throw temporalUnavailable(orderId, err, 'the order service did not answer in time');
  }
}

/** The order's current state: its result once finished (no worker needed), else its status query. */
async function readOrder(
  deps: Pick<OrderRoutesDeps, 'cfg' | 'temporal'>,
  orderId: string,
  reader?: Principal,
): Promise<OrderState> {
  const { cfg, temporal } = deps;
  const desc = await describeOrder(deps, orderId, reader);
  const handle = temporal.workflow.getHandle<() => Promise<OrderState>>(buyOrderWorkflowId(orderId));
  try {
    return await within(temporal, cfg.ORDER_START_TIMEOUT, async () => {
      if (desc.status.name === 'COMPLETED') return handle.result();
      if (desc.status.name === 'RUNNING') return handle.query(statusQuery);
      throw new HttpError(
        410,
        'order_aborted',
        `order ${orderId} ended abnormally (${desc.status.name})`,
        'id',
      );
    });
  } catch (err) {
    if (err instanceof HttpError) throw err;
    if (err instanceof WorkflowNotFoundError) throw notFound(`no order ${orderId}`, 'id');
    throw temporalUnavailable(orderId, err, 'the order service did not answer in time');
  }
}

/** What the description alone says of a running order (its search attributes), without a worker. */
function stateFromDescription(orderId: string, desc: OrderDescription): OrderState {
  const keyword = desc.typedSearchAttributes.get(ORDER_SEARCH_KEYS.status);
  const phase =
    (Object.entries(ORDER_STATUS_KEYWORD).find(([, k]) => k === keyword)?.[0] as OrderState['phase']) ??
    'pending';
  return {
    orderId,
    user: desc.typedSearchAttributes.get(ORDER_SEARCH_KEYS.user) ?? '',
    stockId: desc.typedSearchAttributes.get(ORDER_SEARCH_KEYS.stock) ?? '',
    quantity: desc.typedSearchAttributes.get(ORDER_SEARCH_KEYS.quantity) ?? 0,
    phase,
    status: ORDER_STATUS_TEXT[phase],
    receivedAt: desc.startTime.toISOString(),
    updatedAt: new Date().toISOString(),
  };
}

/**
 * Parks on the workflow's completion (the SDK's long poll for the close event) for at most waitMs.
 * Resolves with the final state, or undefined when the wait ran out. Aborted if the client leaves.
 */
async function awaitResult(
  { temporal, stopping }: OrderRoutesDeps,
  orderId: string,
  waitMs: number,
  req: NodeJS.EventEmitter,
): Promise<OrderState | undefined> {
  const handle = temporal.workflow.getHandle<() => Promise<OrderState>>(buyOrderWorkflowId(orderId));
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error('wait ran out')), waitMs);
  const clientGone = () => ac.abort(new Error('client went away'));
  req.once('close', clientGone);
  // A stopping API does not hold a long poll for up to a minute: it answers the current state now, and
  // the client asks again (another replica, or this one restarted).
  const onStop = () => ac.abort(new Error('the API is stopping'));
  if (stopping?.aborted) onStop();
  stopping?.addEventListener('abort', onStop, { once: true });
  try {
    return await temporal.withAbortSignal(ac.signal, () => handle.result());
  } catch (err) {
    if (ac.signal.aborted) return undefined;
    if (err instanceof WorkflowNotFoundError) throw notFound(`no order ${orderId}`, 'id');
    if (err instanceof WorkflowFailedError) {
      throw new HttpError(410, 'order_aborted', `order ${orderId} ended abnormally: ${err.message}`, 'id');
    }
    throw temporalUnavailable(orderId, err, 'the order service did not answer');
  } finally {
    clearTimeout(timer);
    req.off('close', clientGone);
    stopping?.removeEventListener('abort', onStop);
  }
}
