// The priceBackfill workflow on the test stack (real worker, Kafka, consumer, Redis): a range filled in
// blocks, every (stock, minute) once with that minute's simulated price; the same range started twice
// is one workflow; a long range continues as new and keeps its totals; a bad input fails at once,
// naming the field; the documented `temporal workflow start` command starts it.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { priceHistoryKey, priceIndexKey } from '../../../lib/store/keys';
import {
  BACKFILL_LIMITS,
  BackfillInputError,
  PRICE_BACKFILL_WORKFLOW,
  priceBackfillWorkflowId,
  type PriceBackfillInput,
  type PriceBackfillWorkflow,
} from '../../../lib/prices/backfill-plan';
import { readPriceHistory } from '../../../lib/store/price-history';
import { simulatedTick } from '../../../lib/prices/sources/simulated';
import { startPriceBackfill } from '../../../scripts/ops/backfill-prices';
import { temporalBinary } from '../../../scripts/stack/local-stack';
import { randomStockId, waitFor } from '../../support/price-helpers';
import { startPricePipeline, type PricePipeline } from '../../support/price-pipeline';
import { testConfig } from '../../support/test-stack';

const cfg = testConfig();
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
let p: PricePipeline;
let workerStarted = false;
const ensureWorker = async () => {
  if (!workerStarted) await p.startWorker();
  workerStarted = true;
};

beforeAll(async () => {
  // The worker starts later: the first test starts its backfill twice before any worker can run it.
  p = await startPricePipeline([randomStockId(), randomStockId(), randomStockId()]);
});

afterAll(async () => {
  await p.close();
});

/** Each stock's history around [fromMs, toMs) is exactly that range's minutes, once each, with their prices. */
async function expectFilledOnce(fromMs: number, toMs: number): Promise<void> {
  const minutes = (toMs - fromMs) / MINUTE;
  for (const id of p.stocks) {
    await waitFor(
      `${minutes} minutes of ${id}`,
      async () => (await p.redis.zcount(priceIndexKey(id), fromMs, toMs - MINUTE)) === minutes,
      60_000,
    );
    expect(await p.redis.zcard(priceIndexKey(id))).toBe(minutes);
    expect(await p.redis.hlen(priceHistoryKey(id))).toBe(minutes);
    const history = await readPriceHistory(
      p.redis,
      id,
      new Date(fromMs - 60 * MINUTE),
      new Date(toMs + 60 * MINUTE),
    );
    expect(history.map((t) => [t.minute, t.price])).toEqual(
      Array.from({ length: minutes }, (_, i) => {
        const m = new Date(fromMs + i * MINUTE);
        return [m.toISOString(), simulatedTick(id, m).price];
      }),
    );
  }
}

/** New stocks for a test's range, so each test reads only what its own backfill wrote. */
const freshStocks = () => {
  p.stocks = [randomStockId(), randomStockId(), randomStockId()];
};

const activitiesScheduled = async (workflowId: string, runId?: string) =>
  (await p.client.workflow.getHandle(workflowId, runId).fetchHistory()).events!.filter(
    (e) => e.activityTaskScheduledEventAttributes,
  ).length;

test('the same range started twice is one workflow, which fills every (stock, minute) once with its price', async () => {
  const t0 = Date.UTC(2025, 9, 8, 4, 0);
  const t1 = t0 + 90 * MINUTE;
  const input = { from: iso(t0), to: iso(t1), blockMinutes: 30, parallel: 2 };
  const first = await startPriceBackfill(p.client, input, p.taskQueue);
  // The same range written another way (Tehran time), while the first is still running (no worker yet).
  const second = await startPriceBackfill(
    p.client,
    { ...input, from: '2025-10-08T07:30:00+03:30' },
    p.taskQueue,
  );
  expect(first.workflowId).toBe('price-backfill-2025-10-08T04:00:00Z-2025-10-08T05:30:00Z');
  expect(second.workflowId).toBe(first.workflowId);
  expect(second.firstExecutionRunId).toBe(first.firstExecutionRunId);

  await ensureWorker();
  expect(await second.result()).toEqual({
    from: iso(t0),
    to: iso(t1),
    minutes: 90,
    skipped: 0,
    published: 270,
  });
  // One activity per block, not per minute: three blocks of 30.
  expect(await activitiesScheduled(first.workflowId)).toBe(3);
  await expectFilledOnce(t0, t1);
});

test('a range of more blocks than one run takes continues as new, carrying the totals', async () => {
  await ensureWorker();
  freshStocks();
  const minutes = BACKFILL_LIMITS.blocksPerRun + 20;
  const t0 = Date.UTC(2025, 9, 9, 0, 0);
  const t1 = t0 + minutes * MINUTE;
  const handle = await startPriceBackfill(
    p.client,
    { from: iso(t0), to: iso(t1), blockMinutes: 1, parallel: BACKFILL_LIMITS.maxParallel },
    p.taskQueue,
  );
  expect(await handle.result()).toEqual({
    from: iso(t0),
    to: iso(t1),
    minutes,
    skipped: 0,
    published: minutes * p.stocks.length,
  });
  const firstRun = await p.client.workflow
    .getHandle(handle.workflowId, handle.firstExecutionRunId)
    .fetchHistory();
  expect(firstRun.events!.at(-1)!.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
  expect(await activitiesScheduled(handle.workflowId, handle.firstExecutionRunId)).toBe(
    BACKFILL_LIMITS.blocksPerRun,
  );
  expect(await activitiesScheduled(handle.workflowId)).toBe(20); // the latest run
  await expectFilledOnce(t0, t1);
});

test.each<[string, Record<string, unknown>]>([
  ['from', { from: 'yesterday', to: '2025-10-08T05:00:00Z' }],
  ['from', { from: '2025-10-08T04:00:30Z', to: '2025-10-08T05:00:00Z' }],
  ['to', { from: '2025-10-08T04:00:00Z', to: '2025-10-08T04:00:00Z' }],
  ['to', { from: '2025-10-08T04:00:00Z', to: '2025-12-08T04:00:00Z' }],
  ['blockMinutes', { from: '2025-10-08T04:00:00Z', to: '2025-10-08T05:00:00Z', blockMinutes: 0 }],
  ['parallel', { from: '2025-10-08T04:00:00Z', to: '2025-10-08T05:00:00Z', parallel: 2.5 }],
])(
  'a bad %s fails the workflow at once, naming the field, without fetching anything',
  async (field, input) => {
    await ensureWorker();
    const handle = await p.client.workflow.start<PriceBackfillWorkflow>(PRICE_BACKFILL_WORKFLOW, {
      taskQueue: p.taskQueue,
      workflowId: `test-bad-price-backfill-${randomUUID()}`,
      args: [input as unknown as PriceBackfillInput],
    });
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('InvalidBackfillInput');
    expect(cause!.message).toMatch(new RegExp(`^priceBackfill ${field}: `));
    expect((cause as ApplicationFailure).details).toEqual([{ field }]);
    expect(await activitiesScheduled(handle.workflowId)).toBe(0);

    // The npm script's starter refuses the same input before starting anything.
    await expect(
      startPriceBackfill(p.client, input as unknown as PriceBackfillInput, p.taskQueue),
    ).rejects.toThrow(BackfillInputError);
  },
);

test('the documented `temporal workflow start --type priceBackfill` command fills a range', async () => {
  await ensureWorker();
  freshStocks();
  const t0 = Date.UTC(2025, 9, 10, 6, 0);
  const t1 = t0 + 10 * MINUTE;
  const workflowId = priceBackfillWorkflowId(t0, t1);
  const args = [
    'workflow',
    'start',
    '--type',
    PRICE_BACKFILL_WORKFLOW,
    '--task-queue',
    p.taskQueue, // `prices` in the documented command; this test's worker polls its own queue
    '--workflow-id',
    workflowId,
    '--id-conflict-policy',
    'UseExisting',
    '--input',
    JSON.stringify({ from: iso(t0), to: iso(t1) }),
    '--address',
    cfg.TEMPORAL_ADDRESS,
  ];
  const r = spawnSync(temporalBinary(), args, { encoding: 'utf8', timeout: 30_000 });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  const result = await p.client.workflow.getHandle<PriceBackfillWorkflow>(workflowId).result();
  expect(result).toEqual({ from: iso(t0), to: iso(t1), minutes: 10, skipped: 0, published: 30 });
  expect(await activitiesScheduled(workflowId)).toBe(1); // 10 minutes: one block of the default 60
  await expectFilledOnce(t0, t1);
});
