// The bench's ceilings, on the bench's Temporal, 16 closed-loop callers — the API's
// ORDER_MAX_IN_FLIGHT, so the accept scenario meets the same concurrency. `bare`: Temporal's own rate
// for an Update-with-Start answered by the first workflow task, nothing of bourse in it. `order-shape`:
// buyOrder's commands (reservation local activity before the answer, verifyUser, settle, the status
// upserts) with activities that do nothing: the rate bourse's order path could reach on this Temporal.
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import {
  BENCH_CEILING_TASK_QUEUE,
  BENCH_CEILING_WORKFLOW_TYPE,
  BENCH_ORDER_SHAPE_WORKFLOW_TYPE,
  benchCeilingUpdate,
  benchCeilingWorkflowId,
  benchOrderShapeUpdate,
  benchOrderShapeWorkflowId,
  type BenchOrderShapeInput,
} from './ceiling-contract';
import { ORDER_SEARCH_KEYS, ORDER_STATUS_KEYWORD } from '../../lib/contracts/orders';
import type { Config } from '../../lib/infra/config';
import { ORDER_WORKFLOW_TASK_TIMEOUT } from '../../lib/orders/client';
import { createTemporalClient } from '../../lib/infra/temporal';
import { fmt, openLoop, say, stats, type Stats } from './bench-lib';
import { coresText, withCpu } from './cpu';
import { drain, WARMUP_SECONDS } from './order-load';
import { BENCH_STOCK } from './options';

export const CEILING_CALLERS = 16;

/** Which ceiling workflow: the bare Update-with-Start, or buyOrder's shape doing nothing. */
export type CeilingShape = 'bare' | 'order-shape';

export interface CeilingFigures {
  shape?: CeilingShape;
  callers: number;
  seconds: number;
  starts: number;
  errors: number;
  startsPerSecond: number;
  latencyMs: Stats;
  /** Cores each bench process and service used during the measured loop (cpu.ts). */
  cpuCores: Record<string, number>;
}

/** benchOrderShape started as the API starts buyOrder: same policies, search attributes and memo. */
const orderShapeOnce = (temporal: ReturnType<typeof createTemporalClient>) => async () => {
  const id = randomUUID();
  const input: BenchOrderShapeInput = {
    orderId: id,
    user: 'bench-order-shape',
    stockId: BENCH_STOCK,
    quantity: 1,
    verifyTimeoutMs: 60_000,
  };
  const summary = `${input.user} buys 1 × ${input.stockId}`;
  const startWorkflowOperation = new WithStartWorkflowOperation(BENCH_ORDER_SHAPE_WORKFLOW_TYPE, {
    workflowId: benchOrderShapeWorkflowId(id),
    taskQueue: BENCH_CEILING_TASK_QUEUE,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    workflowTaskTimeout: ORDER_WORKFLOW_TASK_TIMEOUT,
    typedSearchAttributes: [
      { key: ORDER_SEARCH_KEYS.user, value: input.user },
      { key: ORDER_SEARCH_KEYS.stock, value: input.stockId },
      { key: ORDER_SEARCH_KEYS.quantity, value: input.quantity },
      { key: ORDER_SEARCH_KEYS.status, value: ORDER_STATUS_KEYWORD.pending },
      { key: ORDER_SEARCH_KEYS.side, value: 'buy' },
      { key: ORDER_SEARCH_KEYS.type, value: 'market' },
    ],
    memo: { summary, user: input.user, stockId: input.stockId, quantity: 1, side: 'buy', type: 'market' },
    staticSummary: summary,
  });
  await temporal.workflow.executeUpdateWithStart(benchOrderShapeUpdate, { startWorkflowOperation });
};

/** One benchCeiling workflow through Update-with-Start, answered by its first workflow task. */
const bareOnce = (temporal: ReturnType<typeof createTemporalClient>) => async () => {
  const id = randomUUID();
  const startWorkflowOperation = new WithStartWorkflowOperation(BENCH_CEILING_WORKFLOW_TYPE, {
    workflowId: benchCeilingWorkflowId(id),
    taskQueue: BENCH_CEILING_TASK_QUEUE,
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  await temporal.workflow.executeUpdateWithStart(benchCeilingUpdate, {
    startWorkflowOperation,
    args: [id],
  });
};

const ceilingOnce = (temporal: ReturnType<typeof createTemporalClient>, shape: CeilingShape) =>
  shape === 'bare' ? bareOnce(temporal) : orderShapeOnce(temporal);

export async function ceiling(
  cfg: Config,
  durationMs: number,
  shape: CeilingShape = 'bare',
): Promise<CeilingFigures> {
  const temporal = createTemporalClient(cfg);
  const once = ceilingOnce(temporal, shape);
  /** 16 callers, each starting the next workflow the moment its last one answered, for `ms`. */
  const closedLoop = async (ms: number) => {
    const latencies: number[] = [];
    let errors = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CEILING_CALLERS }, async () => {
        while (performance.now() - started < ms) {
          const t = performance.now();
          try {
            await once();
            latencies.push(performance.now() - t);
          } catch {
            errors += 1;
          }
        }
      }),
    );
    return { latencies, errors, seconds: (performance.now() - started) / 1000 };
  };
  try {
    // The worker's first task (it builds its bundle at start; a worker that never polls fails the
    // scenario instead of hanging it), then a warm-up.
    await temporal.withDeadline(Date.now() + 120_000, once);
    await closedLoop(WARMUP_SECONDS * 1000);
    // The order shape's verification and settlement run on after each answer: none of the warm-up's
    // may load the measurement.
    if (shape === 'order-shape') await drain(cfg, BENCH_ORDER_SHAPE_WORKFLOW_TYPE);
    const {
      value: { latencies, errors, seconds },
      cores,
    } = await withCpu(() => closedLoop(durationMs));
    const figures = {
      shape,
      callers: CEILING_CALLERS,
      seconds: Math.round(seconds * 10) / 10,
      starts: latencies.length,
      errors,
      startsPerSecond: Math.round((latencies.length / seconds) * 10) / 10,
      latencyMs: stats(latencies),
      cpuCores: cores,
    };
    if (shape === 'order-shape') await drain(cfg, BENCH_ORDER_SHAPE_WORKFLOW_TYPE);
    say(
      `ceiling (${shape}): ${figures.startsPerSecond} starts/s, ${fmt(figures.latencyMs)}, errors ${errors}; cores: ${coresText(cores)}`,
    );
    return figures;
  } finally {
    await temporal.connection.close();
  }
}

export interface CeilingAtRateFigures {
  offeredPerSecond: number;
  seconds: number;
  ok: number;
  errors: number;
  achievedPerSecond: number;
  /** From each start's scheduled send time to its answer, as the accept scenario counts. */
  latencyMs: Stats;
}

/**
 * The ceiling workflow in open loop at `rate` (the accept scenario's load shape): its latency at a
 * rate it can carry is what bourse's accept latency at the same rate is compared with.
 */
export async function ceilingAtRate(
  cfg: Config,
  rate: number,
  durationMs: number,
): Promise<CeilingAtRateFigures> {
  const temporal = createTemporalClient(cfg);
  const once = bareOnce(temporal);
  try {
    await openLoop(rate, WARMUP_SECONDS, once); // warm-up, discarded
    const { results, elapsedSeconds } = await openLoop(rate, durationMs / 1000, once);
    const ok = results.filter((r) => r.error === undefined);
    const figures = {
      offeredPerSecond: rate,
      seconds: Math.round(elapsedSeconds * 10) / 10,
      ok: ok.length,
      errors: results.length - ok.length,
      achievedPerSecond: Math.round((ok.length / elapsedSeconds) * 10) / 10,
      latencyMs: stats(ok.map((r) => r.ms)),
    };
    say(
      `ceiling @ ${rate}/s open loop: ${fmt(figures.latencyMs)}, ${figures.achievedPerSecond}/s, errors ${figures.errors}`,
    );
    return figures;
  } finally {
    await temporal.connection.close();
  }
}

/** perSecond as a share of the ceiling's starts/s, two decimals. */
export const ofCeiling = (perSecond: number, ceilingPerSecond: number) =>
  Math.round((perSecond / ceilingPerSecond) * 100) / 100;
