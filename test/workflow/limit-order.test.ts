// Limit orders on Temporal's time-skipping test server: the real buyOrder workflow, its activities
// replaced by test functions. A day order expires at its close and releases its reservation; a gtc
// order sleeps 29 days, ignores a price that does not cross, and fills once on a crossing signal sent
// twice; a cancel while it waits releases; a reservation that finds the price crossed already fills at once.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  makeTelemetryFilterString,
  Runtime,
  Worker,
  type WorkflowBundle,
} from '@temporalio/worker';
import type { OrderActivities } from '../../activities/orders';
import type {
  FillRequest,
  Filled,
  OrderStep,
  ReserveRequest,
  ReserveResult,
} from '../../activities/order-steps';
import {
  BUY_ORDER_WORKFLOW_TYPE,
  ORDER_STATUS_TEXT,
  buyOrderWorkflowId,
  cancelOrderUpdate,
  priceCrossedSignal,
  statusQuery,
  type BuyOrderInput,
  type FinalOutcome,
  type OrderEvent,
  type OrderState,
  type PriceCrossing,
  type TimeInForce,
} from '../../lib/contracts/orders';
import { INDEXED_VALUE_TYPE, ORDER_SEARCH_ATTRIBUTES } from '../../lib/infra/temporal';
import { ensureTestServer } from '../../scripts/stack/test-server';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const LIMIT = 1_000;
const QUANTITY = 100;
const TEST_TIMEOUT_MS = 60_000;

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundle;

beforeAll(async () => {
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
  });
  const path = ensureTestServer();
  [env, workflowBundle] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } }),
    bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      logger: new DefaultLogger('ERROR'),
    }),
  ]);
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      Object.entries(ORDER_SEARCH_ATTRIBUTES).map(([name, type]) => [name, INDEXED_VALUE_TYPE[type]]),
    ),
  });
}, 300_000);

afterAll(async () => {
  await env?.teardown();
});

interface Recorded {
  reserved: ReserveRequest[];
  fills: FillRequest[];
  verified: number;
  settled: OrderStep[];
  released: OrderStep[];
  events: OrderEvent[];
}

function limitActivities(rec: Recorded, crossedAtOnce?: PriceCrossing): OrderActivities {
  const publish = (events: OrderEvent[] = []) => {
    for (const e of events) if (!rec.events.some((r) => r.eventId === e.eventId)) rec.events.push(e);
  };
  const reserve = async (req: ReserveRequest): Promise<ReserveResult> => {
    rec.reserved.push(req);
    const price = req.limitPrice ?? LIMIT;
    return {
      outcome: 'reserved',
      price,
      amount: price * req.quantity,
      availableCredit: 10_000_000,
      ...(crossedAtOnce ? { crossing: crossedAtOnce } : {}),
    };
  };
  const finish =
    (to: OrderStep[]) =>
    async (step: OrderStep): Promise<FinalOutcome> => {
      to.push(step);
      publish(step.publish);
      const final = step.publish?.at(-1)?.after;
      return { phase: final?.phase ?? 'failed', ...(final?.reason ? { reason: final.reason } : {}) };
    };
  return {
    reserveCredit: reserve,
    reserveShares: reserve,
    async verifyUser({ publish: events }: OrderStep): Promise<boolean> {
      rec.verified += 1;
      publish(events);
      return true;
    },
    settleOrder: finish(rec.settled),
    releaseCredit: finish(rec.released),
    async publishOrderEvent(event: OrderEvent): Promise<void> {
      publish([event]);
    },
    async fillLimitOrder(req: FillRequest): Promise<Filled> {
      rec.fills.push(req);
      return {
        price: req.crossing.price,
        amount: req.crossing.price * req.quantity,
        priceMinute: req.crossing.minute,
      };
    },
  };
}

/** Starts a limit buy expiring `expiresInMs` of server time from now; runs `during` while it lives. */
async function runLimitOrder(
  name: string,
  timeInForce: TimeInForce,
  expiresInMs: number,
  during: (handle: ReturnType<typeof env.client.workflow.getHandle>) => Promise<void>,
  crossedAtOnce?: PriceCrossing,
): Promise<{ result: OrderState; rec: Recorded; waitedMs: number }> {
  const orderId = `${name}-${Date.now()}`;
  const rec: Recorded = { reserved: [], fills: [], verified: 0, settled: [], released: [], events: [] };
  const taskQueue = `limit-${orderId}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue,
    workflowBundle,
    activities: limitActivities(rec, crossedAtOnce),
    shutdownGraceTime: '1s',
  });
  const startedAt = await env.currentTimeMs();
  const input: BuyOrderInput = {
    orderId,
    user: 'user2',
    stockId: '44891482026867833',
    quantity: QUANTITY,
    verifyTimeoutMs: 60_000,
    receivedAt: new Date(startedAt).toISOString(),
    limit: { limitPrice: LIMIT, timeInForce, expiresAt: new Date(startedAt + expiresInMs).toISOString() },
  };
  const result = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start<(i: BuyOrderInput) => Promise<OrderState>>(
      BUY_ORDER_WORKFLOW_TYPE,
      { workflowId: buyOrderWorkflowId(orderId), taskQueue, args: [input] },
    );
    await during(handle);
    return handle.result();
  });
  // The workflow's own clock: from its start to its last state change.
  return { result, rec, waitedMs: Date.parse(result.updatedAt) - startedAt };
}

/** Waits (in real time, without skipping the server's) until the order is Open. */
async function whenOpen(handle: ReturnType<typeof env.client.workflow.getHandle>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await handle.query(statusQuery)).phase === 'open') return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the order never became Open');
}

test(
  'a day order expires at its close, unfilled, and its reservation is released',
  async () => {
    const closeInMs = 3 * HOUR_MS + 30 * 60_000;
    const { result, rec, waitedMs } = await runLimitOrder('day', 'day', closeInMs, async () => undefined);
    expect(result.status).toBe('Expired: Limit order expired unfilled.');
    expect(result.status).toBe(ORDER_STATUS_TEXT.expired);
    expect(result.phase).toBe('expired');
    expect(rec.reserved.map((r) => r.limitPrice)).toEqual([LIMIT]);
    expect(rec.fills).toEqual([]);
    expect(rec.verified).toBe(0);
    expect(rec.settled).toEqual([]);
    expect(rec.released.map((s) => s.unlist)).toEqual([{ stockId: '44891482026867833', side: 'buy' }]);
    expect(rec.events.map((e) => e.after.phase)).toEqual(['open', 'expired']);
    expect(rec.events[0].after.status).toBe('Open: Limit order waiting for its price.');
    // It waited on a timer for the close: not earlier, and not a day later.
    expect(waitedMs).toBeGreaterThanOrEqual(closeInMs);
    expect(waitedMs).toBeLessThan(closeInMs + HOUR_MS);
  },
  TEST_TIMEOUT_MS,
);

test(
  'a gtc order sleeps 29 days, ignores a price that does not cross, and fills once on a crossing signal',
  async () => {
    const { result, rec, waitedMs } = await runLimitOrder('gtc', 'gtc', 30 * DAY_MS, async (handle) => {
      await whenOpen(handle);
      await env.sleep(29 * DAY_MS);
      expect((await handle.query(statusQuery)).phase).toBe('open');
      await handle.signal(priceCrossedSignal, { price: LIMIT + 1, minute: new Date().toISOString() });
      expect((await handle.query(statusQuery)).phase).toBe('open');
      const crossing = { price: LIMIT - 20, minute: new Date().toISOString() };
      await handle.signal(priceCrossedSignal, crossing);
      // A repeat (the consumer's at-least-once) changes nothing.
      await handle.signal(priceCrossedSignal, { price: LIMIT - 50, minute: crossing.minute });
    });
    expect(result.status).toBe(ORDER_STATUS_TEXT.succeeded);
    expect(rec.fills.map((f) => f.crossing.price)).toEqual([LIMIT - 20]);
    expect(result.price).toBe(LIMIT - 20);
    expect(result.amount).toBe((LIMIT - 20) * QUANTITY);
    expect(result.limit).toMatchObject({ limitPrice: LIMIT, timeInForce: 'gtc' });
    expect(rec.verified).toBe(1);
    expect(rec.settled).toHaveLength(1);
    expect(rec.released).toEqual([]);
    expect(rec.events.map((e) => e.after.phase)).toEqual(['open', 'inProgress', 'succeeded']);
    expect(waitedMs).toBeGreaterThanOrEqual(29 * DAY_MS);
    expect(waitedMs).toBeLessThan(30 * DAY_MS);
  },
  TEST_TIMEOUT_MS,
);

test(
  'a cancel while the order waits releases its reservation',
  async () => {
    let canceled: OrderState | undefined;
    const { result, rec } = await runLimitOrder('cancel', 'gtc', 30 * DAY_MS, async (handle) => {
      await whenOpen(handle);
      await env.sleep(2 * DAY_MS);
      canceled = await handle.executeUpdate(cancelOrderUpdate, { args: [{ by: 'user2' }] });
    });
    expect(canceled?.status).toBe(ORDER_STATUS_TEXT.canceled);
    expect(result.status).toBe('Canceled: Order canceled by the user.');
    expect(rec.fills).toEqual([]);
    expect(rec.verified).toBe(0);
    expect(rec.released).toHaveLength(1);
    expect(rec.released[0].unlist).toEqual({ stockId: '44891482026867833', side: 'buy' });
    expect(rec.events.map((e) => e.after.phase)).toEqual(['open', 'canceled']);
  },
  TEST_TIMEOUT_MS,
);

test(
  'a limit the latest price crosses already fills at once, at that price',
  async () => {
    const crossing = { price: LIMIT - 5, minute: new Date().toISOString() };
    const { result, rec, waitedMs } = await runLimitOrder(
      'marketable',
      'day',
      HOUR_MS,
      async () => undefined,
      crossing,
    );
    expect(result.status).toBe(ORDER_STATUS_TEXT.succeeded);
    expect(rec.fills.map((f) => f.crossing)).toEqual([crossing]);
    expect(result.price).toBe(LIMIT - 5);
    expect(waitedMs).toBeLessThan(HOUR_MS);
  },
  TEST_TIMEOUT_MS,
);
