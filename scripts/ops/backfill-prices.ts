// `npm run prices:backfill -- --from <t0> --to <t1> [--parallel 4] [--block 60]`: fills the minutes
// [t0, t1) with the priceBackfill workflow on the prices task queue — the fast path for long gaps (the
// schedule's own `temporal schedule backfill` is paced by the scheduler). Starting the same range
// again while it runs attaches to the running workflow; the command waits for it and prints the totals.
import {
  WorkflowFailedError,
  type Client,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { stackConfig } from '../stack/stack-config';
import { createLogger } from '../../lib/infra/logger';
import { runCommand, UsageError, type CommandSpec, type Parsed } from '../cli';
import {
  BACKFILL_DEFAULTS,
  BackfillInputError,
  isoMinute,
  parseBackfillInput,
  PRICE_BACKFILL_WORKFLOW,
  priceBackfillWorkflowId,
  type PriceBackfillInput,
  type PriceBackfillWorkflow,
} from '../../lib/prices/backfill-plan';
import { TASK_QUEUES } from '../../lib/contracts/task-queues';
import { createTemporalClient } from '../../lib/infra/temporal';

export type PriceBackfillHandle = WorkflowHandleWithFirstExecutionRunId<PriceBackfillWorkflow>;

/**
 * Starts priceBackfill for a range, or finds the one already running for it (USE_EXISTING): the id is
 * `price-backfill-<from>-<to>` of the normalised range. Checks the input first with the workflow's own
 * rules (BackfillInputError naming the field). A finished backfill of the same range is started again.
 */
export async function startPriceBackfill(
  client: Client,
  input: PriceBackfillInput,
  taskQueue: string = TASK_QUEUES.prices,
): Promise<PriceBackfillHandle> {
  const range = parseBackfillInput(input);
  return await client.workflow.start<PriceBackfillWorkflow>(PRICE_BACKFILL_WORKFLOW, {
    taskQueue,
    workflowId: priceBackfillWorkflowId(range.fromMs, range.toMs),
    args: [
      {
        from: isoMinute(range.fromMs),
        to: isoMinute(range.toMs),
        blockMinutes: range.blockMinutes,
        parallel: range.parallel,
      },
    ],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `prices ${isoMinute(range.fromMs)} to ${isoMinute(range.toMs)}`,
  });
}

export const command = {
  usage: 'npm run prices:backfill --',
  summary:
    'fills the minutes from ≤ minute < to with the priceBackfill workflow and waits for it, ' +
    'e.g. --from 2026-11-21T09:00:00Z --to 2026-11-22T09:00:00Z',
  options: {
    from: { kind: 'string', description: 'first minute (ISO time), required' },
    to: { kind: 'string', description: 'end of the range (ISO time, excluded), required' },
    parallel: {
      kind: 'integer',
      description: 'blocks fetched at once',
      default: String(BACKFILL_DEFAULTS.parallel),
    },
    block: {
      kind: 'integer',
      description: 'minutes per block',
      default: String(BACKFILL_DEFAULTS.blockMinutes),
    },
  },
} as const satisfies CommandSpec;

async function main({ values }: Parsed<typeof command.options>): Promise<void> {
  if (values.from === undefined || values.to === undefined)
    throw new UsageError('--from and --to are required');
  const input = { from: values.from, to: values.to, parallel: values.parallel, blockMinutes: values.block };
  const cfg = stackConfig();
  const log = createLogger('prices-backfill', cfg.LOG_LEVEL);
  const client = createTemporalClient(cfg);
  try {
    const started = Date.now();
    const handle = await startPriceBackfill(client, input);
    const host = cfg.TEMPORAL_ADDRESS.split(':')[0];
    log.info('price backfill running (started, or the one already running for this range)', {
      workflowId: handle.workflowId,
      runId: handle.firstExecutionRunId,
      taskQueue: TASK_QUEUES.prices,
      webUi: `http://${host}:${cfg.TEMPORAL_UI_PORT}/namespaces/${cfg.TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(handle.workflowId)}`,
      cli: `temporal workflow describe --workflow-id ${handle.workflowId} --address ${cfg.TEMPORAL_ADDRESS}`,
    });
    const result = await handle.result();
    log.info('price backfill done', {
      workflowId: handle.workflowId,
      ...result,
      seconds: (Date.now() - started) / 1000,
    });
  } finally {
    await client.connection.close();
  }
}

if (require.main === module) {
  runCommand(command, (args) =>
    main(args).catch((err: unknown) => {
      if (err instanceof BackfillInputError) throw new UsageError(err.message);
      if (err instanceof WorkflowFailedError) throw new Error(`${err.message}: ${err.cause?.message ?? ''}`);
      throw err;
    }),
  );
}
