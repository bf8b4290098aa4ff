// `npm run prices:backfill -- --from <t0> --to <t1> [--parallel 4] [--block 60]`: fills the minutes
// [t0, t1) with the priceBackfill workflow on the prices task queue — the fast path for long gaps (the
// schedule's own `temporal schedule backfill` is paced by the scheduler). Starting the same range
// again while it runs attaches to the running workflow; the command waits for it and prints the totals.
import {
  WorkflowFailedError,
  type Client,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { config } from '../../lib/infra/config';
import { createLogger } from '../../lib/infra/logger';
import {
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

/** `--name value` pairs; unknown names and missing values are errors. */
function parseArgs(argv: readonly string[]): PriceBackfillInput {
  const names: Record<string, 'from' | 'to' | 'parallel' | 'blockMinutes'> = {
    '--from': 'from',
    '--to': 'to',
    '--parallel': 'parallel',
    '--block': 'blockMinutes',
  };
  const out: Record<string, string | number> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const field = names[argv[i]!];
    const value = argv[i + 1];
    if (!field || value === undefined) throw new UsageError(`unexpected argument ${argv[i]}`);
    out[field] = field === 'from' || field === 'to' ? value : Number(value);
  }
  if (out.from === undefined || out.to === undefined) throw new UsageError('--from and --to are required');
  return out as unknown as PriceBackfillInput;
}

class UsageError extends Error {}

const USAGE =
  'usage: npm run prices:backfill -- --from <ISO time> --to <ISO time> [--parallel 4] [--block 60]\n' +
  '  fills the minutes from ≤ minute < to, e.g. --from 2026-11-21T09:00:00Z --to 2026-11-22T09:00:00Z\n';

async function main(): Promise<void> {
  const cfg = config();
  const log = createLogger('prices-backfill', cfg.LOG_LEVEL);
  const input = parseArgs(process.argv.slice(2));
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
  main().catch((err: unknown) => {
    if (err instanceof UsageError || err instanceof BackfillInputError) {
      process.stderr.write(`prices:backfill: ${err.message}\n${USAGE}`);
      process.exit(64); // EX_USAGE
    }
    const cause = err instanceof WorkflowFailedError ? `: ${err.cause?.message ?? ''}` : '';
    process.stderr.write(`prices:backfill failed: ${(err as Error).message}${cause}\n`);
    process.exit(1);
  });
}
