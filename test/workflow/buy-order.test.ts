// The 60 s verification rule and the cancel, proven in seconds: the real buyOrder workflow on Temporal's
// time-skipping test server, its activities replaced by test functions. A stalled verifier is cut at
// 60 s of (skipped) time, once, and the reservation released, for a buy and a sell; a verifier that
// answers at 59 s settles the order; a cancel during the verification stops it and releases; a cancel
// after the order is decided changes nothing.
import { Context } from '@temporalio/activity';
import { defaultPayloadConverter } from '@temporalio/common';
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
import type { OrderStep, ReserveRequest, ReserveResult } from '../../activities/order-steps';
import {
  BUY_ORDER_WORKFLOW_TYPE,
  ORDER_STATUS_TEXT,
  SELL_STATUS_TEXT,
  buyOrderWorkflowId,
  cancelOrderUpdate,
  type BuyOrderInput,
  type FinalOutcome,
  type OrderEvent,
  type OrderSide,
  type OrderState,
} from '../../lib/contracts/orders';
import { loadConfig } from '../../lib/infra/config';
import { INDEXED_VALUE_TYPE, ORDER_SEARCH_ATTRIBUTES } from '../../lib/infra/temporal';
import { ensureTestServer } from '../../scripts/stack/test-server';

/** The rule under test: VERIFY_TIMEOUT's default, which docs/design.md fixes at 60 s. */
const VERIFY_TIMEOUT_MS = loadConfig({}).VERIFY_TIMEOUT;
/** Below verifyUser's 10 s heartbeat timeout, so a stalled-but-alive verifier heartbeats in between. */
const STEP_MS = 5_000;
const PRICE = 1_000;
/** Each order takes about a second; a stuck time-skipping lock (sdk-java issue 2246) fails fast, not at 120 s. */
const ORDER_TEST_TIMEOUT_MS = 30_000;

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundle;

beforeAll(async () => {
  // Quiet: the abandoned attempt's late completion is expected to be refused (a core warning).
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
  });
  // First run on a bare machine: fetches the test server from Maven Central (cached afterwards).
  const path = ensureTestServer();
  [env, workflowBundle] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } }),
    bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger() }),
  ]);
  // The workflow upserts OrderStatus; the test server knows no custom attribute (nor how to list them).
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
  /** The check each order ran: reserveCredit (buy) or reserveShares (sell). */
  checks: string[];
  verifyAttempts: number[];
  /** Verification attempts that saw Temporal's cancellation. */
  verifyCancelled: number;
  settled: string[];
  released: string[];
  events: OrderEvent[];
  /** The phases of the events settleOrder / releaseCredit carried. */
  carried: string[];
}

/**
 * Sleeps `ms` of the test server's time inside an activity: time does not skip while an activity
 * runs, but the environment's own sleep unlocks it for that long. In steps, each after a heartbeat the
 * server has recorded, as the real verifyUser heartbeats every second; it stops when cancelled.
 */
async function activitySleep(ms: number): Promise<void> {
  const ctx = Context.current();
  const workflowId = ctx.info.workflowExecution?.workflowId;
  if (!workflowId) throw new Error('activitySleep runs in a workflow activity only');
  for (let slept = 0; slept < ms; slept += STEP_MS) {
    ctx.heartbeat(slept);
    if (!(await heartbeatRecorded(workflowId, ctx.info.attempt, slept))) {
      throw new Error(`attempt ${ctx.info.attempt} was cut by the server after ${slept} ms`);
    }
    const step = env.sleep(Math.min(STEP_MS, ms - slept));
    step.catch(() => undefined); // may outlive the activity when the server cuts it
    await Promise.race([step, ctx.cancelled]);
  }
}

/** Waits until the server has this attempt's heartbeat; false once the attempt is no longer pending. */
async function heartbeatRecorded(workflowId: string, attempt: number, details: number): Promise<boolean> {
  for (let i = 0; i < 500; i++) {
    const { raw } = await env.client.workflow.getHandle(workflowId).describe();
    const pending = raw.pendingActivities?.find((a) => a.activityType?.name === 'verifyUser');
    if (!pending || pending.attempt !== attempt) return false;
    const payload = pending.heartbeatDetails?.payloads?.[0];
    if (payload && defaultPayloadConverter.fromPayload(payload) === details) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`heartbeat ${details} never reached the test server`);
}

function testActivities(verify: () => Promise<boolean>, rec: Recorded): OrderActivities {
  // As Kafka and the read model see them: a republished event (same id) counts once.
  const publish = (events: OrderEvent[] = []) => {
    for (const e of events) if (!rec.events.some((r) => r.eventId === e.eventId)) rec.events.push(e);
  };
  return {
    async reserveCredit({ quantity }: ReserveRequest): Promise<ReserveResult> {
      rec.checks.push('reserveCredit');
      return { outcome: 'reserved', price: PRICE, amount: PRICE * quantity, availableCredit: 10_000_000 };
    },
    async reserveShares({ quantity }: ReserveRequest): Promise<ReserveResult> {
      rec.checks.push('reserveShares');
      return { outcome: 'reserved', price: PRICE, amount: PRICE * quantity, availableShares: 1_000 };
    },
    async verifyUser({ publish: events }: OrderStep): Promise<boolean> {
      rec.verifyAttempts.push(Context.current().info.attempt);
      publish(events);
      try {
        return await verify();
      } catch (err) {
        if (Context.current().cancellationSignal.aborted) rec.verifyCancelled += 1;
        throw err;
      }
    },
    async settleOrder({ orderId, publish: events }: OrderStep): Promise<FinalOutcome> {
      rec.settled.push(orderId);
      rec.carried.push(...(events ?? []).map((e) => e.after.phase));
      publish(events);
      return { phase: 'succeeded' };
    },
    async releaseCredit({ orderId, publish: events }: OrderStep): Promise<FinalOutcome> {
      rec.released.push(orderId);
      rec.carried.push(...(events ?? []).map((e) => e.after.phase));
      publish(events);
      const final = events?.at(-1)?.after;
      return { phase: final?.phase ?? 'failed', ...(final?.reason ? { reason: final.reason } : {}) };
    },
    async publishOrderEvent(event: OrderEvent): Promise<void> {
      publish([event]);
    },
    async fillLimitOrder(): Promise<never> {
      throw new Error('a market order is never filled as a limit order');
    },
  };
}

async function runOrder(
  orderId: string,
  verify: () => Promise<boolean>,
  side: OrderSide = 'buy',
): Promise<{ result: OrderState; rec: Recorded; skippedMs: number }> {
  const rec: Recorded = {
    checks: [],
    verifyAttempts: [],
    verifyCancelled: 0,
    settled: [],
    released: [],
    events: [],
    carried: [],
  };
  const taskQueue = `timeskip-${orderId}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue,
    workflowBundle,
    activities: testActivities(verify, rec),
    // Heartbeats go out at once, not every 8 s of real time, so each reaches the server before a skip.
    maxHeartbeatThrottleInterval: '1ms',
    // An abandoned attempt still running at shutdown is cancelled at once rather than waited for.
    shutdownGraceTime: '1s',
  });
  const input: BuyOrderInput = {
    orderId,
    user: 'user2',
    stockId: '44891482026867833',
    quantity: 100,
    verifyTimeoutMs: VERIFY_TIMEOUT_MS,
    receivedAt: new Date().toISOString(),
    ...(side === 'sell' ? { side } : {}),
  };
  const startedAt = await env.currentTimeMs();
  const result = await worker.runUntil(
    env.client.workflow.execute<(i: BuyOrderInput) => Promise<OrderState>>(BUY_ORDER_WORKFLOW_TYPE, {
      workflowId: buyOrderWorkflowId(orderId),
      taskQueue,
      args: [input],
    }),
  );
  return { result, rec, skippedMs: (await env.currentTimeMs()) - startedAt };
}

test('the rule under test is 60 s', () => {
  expect(VERIFY_TIMEOUT_MS).toBe(60_000);
});

test(
  'a verification that stalls past 60 s fails the order once, releasing the reservation',
  async () => {
    const started = Date.now();
    const { result, rec, skippedMs } = await runOrder(`stall-${Date.now()}`, async () => {
      // A retry would answer at once, so a retry past the 60 s shows as a settled order, not a hang.
      if (Context.current().info.attempt > 1) return true;
      await activitySleep(VERIFY_TIMEOUT_MS + 30_000);
      return true; // too late: the server has cut the attempt at 60 s
    });
    expect(result.status).toBe('Failure: User verification unsuccessful.');
    expect(result.status).toBe(ORDER_STATUS_TEXT.failed);
    expect(result.reason).toBe(`verification timed out after ${VERIFY_TIMEOUT_MS} ms`);
    expect(rec.verifyAttempts).toEqual([1]);
    expect(rec.released).toEqual([result.orderId]);
    expect(rec.settled).toEqual([]);
    expect(rec.events.map((e) => e.after.phase)).toEqual(['inProgress', 'failed']);
    // verifyUser's send is best effort: the release carries the In Progress event again, first.
    expect(rec.carried).toEqual(['inProgress', 'failed']);
    expect(skippedMs).toBeGreaterThanOrEqual(VERIFY_TIMEOUT_MS);
    expect(Date.now() - started).toBeLessThan(20_000);
  },
  ORDER_TEST_TIMEOUT_MS,
);

test(
  'a verification that answers at 59 s settles the order',
  async () => {
    const started = Date.now();
    const { result, rec, skippedMs } = await runOrder(`late-${Date.now()}`, async () => {
      await activitySleep(VERIFY_TIMEOUT_MS - 1_000);
      return true;
    });
    expect(result.status).toBe(ORDER_STATUS_TEXT.succeeded);
    expect(rec.verifyAttempts).toEqual([1]);
    expect(rec.settled).toEqual([result.orderId]);
    expect(rec.released).toEqual([]);
    expect(rec.events.map((e) => e.after.phase)).toEqual(['inProgress', 'succeeded']);
    expect(rec.carried).toEqual(['inProgress', 'succeeded']);
    expect(skippedMs).toBeGreaterThanOrEqual(VERIFY_TIMEOUT_MS - 1_000);
    expect(Date.now() - started).toBeLessThan(20_000);
  },
  ORDER_TEST_TIMEOUT_MS,
);

test(
  'a sell whose verification stalls past 60 s fails once and releases its shares',
  async () => {
    const { result, rec, skippedMs } = await runOrder(
      `sell-stall-${Date.now()}`,
      async () => {
        if (Context.current().info.attempt > 1) return true;
        await activitySleep(VERIFY_TIMEOUT_MS + 30_000);
        return true;
      },
      'sell',
    );
    expect(result.side).toBe('sell');
    expect(result.status).toBe(ORDER_STATUS_TEXT.failed);
    expect(result.reason).toBe(`verification timed out after ${VERIFY_TIMEOUT_MS} ms`);
    expect(rec.checks).toEqual(['reserveShares']);
    expect(rec.verifyAttempts).toEqual([1]);
    expect(rec.released).toEqual([result.orderId]);
    expect(rec.settled).toEqual([]);
    expect(rec.events.map((e) => e.after.status)).toEqual([
      SELL_STATUS_TEXT.inProgress,
      ORDER_STATUS_TEXT.failed,
    ]);
    expect(skippedMs).toBeGreaterThanOrEqual(VERIFY_TIMEOUT_MS);
  },
  ORDER_TEST_TIMEOUT_MS,
);

test(
  'a cancel during the verification stops it and releases: Canceled, never settled',
  async () => {
    const orderId = `cancel-${Date.now()}`;
    let canceled: Promise<OrderState> | undefined;
    const { result, rec } = await runOrder(orderId, async () => {
      // The user withdraws the order 10 s into a verification that would answer yes at 50 s.
      await activitySleep(10_000);
      canceled = env.client.workflow
        .getHandle(buyOrderWorkflowId(orderId))
        .executeUpdate(cancelOrderUpdate, { args: [{ by: 'user2' }] });
      await activitySleep(40_000);
      return true;
    });
    expect(result.status).toBe('Canceled: Order canceled by the user.');
    expect(result.phase).toBe('canceled');
    expect(result.reason).toBe('canceled by user2');
    expect((await canceled)?.status).toBe(ORDER_STATUS_TEXT.canceled);
    expect(rec.verifyCancelled).toBe(1);
    expect(rec.verifyAttempts).toEqual([1]);
    expect(rec.released).toEqual([orderId]);
    expect(rec.settled).toEqual([]);
    expect(rec.events.map((e) => e.after.phase)).toEqual(['inProgress', 'canceled']);
  },
  ORDER_TEST_TIMEOUT_MS,
);

test(
  'a cancel after the order succeeded changes nothing',
  async () => {
    const orderId = `cancel-late-${Date.now()}`;
    const { result, rec } = await runOrder(orderId, async () => true);
    expect(result.status).toBe(ORDER_STATUS_TEXT.succeeded);
    const late = await env.client.workflow
      .getHandle(buyOrderWorkflowId(orderId))
      .executeUpdate(cancelOrderUpdate, { args: [{ by: 'user2' }] })
      .then(
        () => 'answered',
        (err: Error) => err.name,
      );
    // A closed order takes no update; its result stands.
    expect(late).not.toBe('answered');
    const after = (await env.client.workflow.getHandle(buyOrderWorkflowId(orderId)).result()) as OrderState;
    expect(after.status).toBe(ORDER_STATUS_TEXT.succeeded);
    expect(rec.settled).toEqual([orderId]);
    expect(rec.released).toEqual([]);
  },
  ORDER_TEST_TIMEOUT_MS,
);

function quietLogger() {
  const none = () => undefined;
  return { trace: none, debug: none, info: none, warn: console.warn, error: console.error, log: none };
}
