// The `price-fetch` schedule: created or brought up to date, idempotently, whenever the worker starts.
import {
  ScheduleAlreadyRunning,
  type Client,
  type ScheduleOptionsAction,
  type ScheduleSpec,
} from '@temporalio/client';
import type { Config } from '../infra/config';
import { priceScheduleSpec } from './market-calendar';
import { PRICE_FETCH_WORKFLOW } from '../contracts/price-fetch';

export interface PriceScheduleOptions {
  scheduleId: string;
  taskQueue: string;
  spec: ScheduleSpec;
  /** How far back the server still starts runs it missed while it was down (explicit: SDK and server defaults differ). */
  catchupWindowMs: number;
}

export function priceScheduleOptions(cfg: Config, taskQueue: string): PriceScheduleOptions {
  return {
    scheduleId: cfg.PRICE_SCHEDULE_ID,
    taskQueue,
    spec: priceScheduleSpec(cfg),
    catchupWindowMs: cfg.PRICE_CATCHUP_WINDOW,
  };
}

/**
 * ALLOW_ALL: every minute's run starts even while an earlier one is still running or retrying, so no
 * minute is ever skipped and a catch-up or backfill is not serialised behind a slow source. Runs for
 * different minutes never conflict: everything downstream is keyed by (stock, minute).
 */
const OVERLAP = 'ALLOW_ALL' as const;

export async function ensurePriceSchedule(
  client: Client,
  opts: PriceScheduleOptions,
): Promise<'created' | 'updated'> {
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: PRICE_FETCH_WORKFLOW,
    // The server appends each run's scheduled time: price-fetch-2025-10-08T06:00:00Z.
    workflowId: opts.scheduleId,
    taskQueue: opts.taskQueue,
    args: [{}],
    workflowExecutionTimeout: '2h',
  };
  try {
    await client.schedule.create({
      scheduleId: opts.scheduleId,
      spec: opts.spec,
      action,
      policies: { overlap: OVERLAP, catchupWindow: opts.catchupWindowMs, pauseOnFailure: false },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(opts.scheduleId).update((prev) => ({
    ...prev,
    spec: opts.spec,
    action,
    policies: {
      ...prev.policies,
      overlap: OVERLAP,
      catchupWindow: opts.catchupWindowMs,
      pauseOnFailure: false,
    },
  }));
  return 'updated';
}
