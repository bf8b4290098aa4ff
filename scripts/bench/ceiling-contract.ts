// What both sides of the bench's ceiling workflow share (scripts/bench/ceiling.ts starts it, the
// ceiling worker serves it): Temporal's own floor for an Update-with-Start answered by the first
// workflow task, with nothing of bourse in it. Sandbox-safe.
import { defineUpdate } from '@temporalio/workflow';

export const BENCH_CEILING_WORKFLOW_TYPE = 'benchCeiling';
/** Its own task queue, so the orders worker never serves it and its figures are Temporal's alone. */
export const BENCH_CEILING_TASK_QUEUE = 'bench-ceiling';
export const benchCeilingWorkflowId = (n: string) => `bench-ceiling-${n}`;

/** Answers at once with its argument; the workflow then completes in the same workflow task. */
export const benchCeilingUpdate = defineUpdate<string, [string]>('benchCeilingStart');
