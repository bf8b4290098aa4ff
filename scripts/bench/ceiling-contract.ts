// What both sides of the bench's ceiling workflows share (scripts/bench/ceiling.ts starts them, the
// ceiling worker serves them): Temporal's own floor for an Update-with-Start answered by the first
// workflow task, with nothing of bourse in it, and the order path's own shape with activities that do
// nothing. Sandbox-safe.
import { defineUpdate } from '@temporalio/workflow';

export const BENCH_CEILING_WORKFLOW_TYPE = 'benchCeiling';
/** Its own task queue, so the orders worker never serves it and its figures are Temporal's alone. */
export const BENCH_CEILING_TASK_QUEUE = 'bench-ceiling';
export const benchCeilingWorkflowId = (n: string) => `bench-ceiling-${n}`;

/** Answers at once with its argument; the workflow then completes in the same workflow task. */
export const benchCeilingUpdate = defineUpdate<string, [string]>('benchCeilingStart');

/** buyOrder's Temporal shape (workflows/buy-order.ts) with activities that do nothing. */
export const BENCH_ORDER_SHAPE_WORKFLOW_TYPE = 'benchOrderShape';
export const benchOrderShapeWorkflowId = (n: string) => `bench-order-shape-${n}`;
/** Answered once the reservation's local activity has run, as placeOrder is. */
export const benchOrderShapeUpdate = defineUpdate<string, []>('benchOrderShapePlace');

export interface BenchOrderShapeInput {
  orderId: string;
  user: string;
  stockId: string;
  quantity: number;
  /** verifyUser's timeouts, as buyOrder's input carries them. */
  verifyTimeoutMs: number;
}

/** The order path's three steps, doing nothing (served by ceiling-worker.ts). */
export interface BenchOrderShapeActivities {
  reserveNothing(input: BenchOrderShapeInput): Promise<{ outcome: 'reserved' }>;
  verifyNobody(input: BenchOrderShapeInput): Promise<boolean>;
  settleNothing(input: BenchOrderShapeInput): Promise<void>;
}
