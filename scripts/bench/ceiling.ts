// The bench's ceiling: Temporal's own rate for the order path's shape (Update-with-Start answered by
// the first workflow task) with nothing of bourse in it, on the bench's Temporal, 16 closed-loop
// callers — the API's ORDER_MAX_IN_FLIGHT, so the accept scenario meets the same concurrency.
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import {
  BENCH_CEILING_TASK_QUEUE,
  BENCH_CEILING_WORKFLOW_TYPE,
  benchCeilingUpdate,
  benchCeilingWorkflowId,
} from './ceiling-contract';
import type { Config } from '../../lib/infra/config';
import { createTemporalClient } from '../../lib/infra/temporal';
import { fmt, openLoop, say, stats, type Stats } from './bench-lib';
import { coresText, withCpu } from './cpu';
import { WARMUP_SECONDS } from './order-load';

export const CEILING_CALLERS = 16;

export interface CeilingFigures {
  callers: number;
  seconds: number;
  starts: number;
  errors: number;
  startsPerSecond: number;
  latencyMs: Stats;
  /** Cores each bench process and service used during the measured loop (cpu.ts). */
  cpuCores: Record<string, number>;
}

/** One benchCeiling workflow through Update-with-Start, answered by its first workflow task. */
const ceilingOnce = (temporal: ReturnType<typeof createTemporalClient>) => async () => {
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

export async function ceiling(cfg: Config, durationMs: number): Promise<CeilingFigures> {
  const temporal = createTemporalClient(cfg);
  const once = ceilingOnce(temporal);
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
    const {
      value: { latencies, errors, seconds },
      cores,
    } = await withCpu(() => closedLoop(durationMs));
    const figures = {
      callers: CEILING_CALLERS,
      seconds: Math.round(seconds * 10) / 10,
      starts: latencies.length,
      errors,
      startsPerSecond: Math.round((latencies.length / seconds) * 10) / 10,
      latencyMs: stats(latencies),
      cpuCores: cores,
    };
    say(
      `ceiling: ${figures.startsPerSecond} starts/s, ${fmt(figures.latencyMs)}, errors ${errors}; cores: ${coresText(cores)}`,
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
  const once = ceilingOnce(temporal);
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
