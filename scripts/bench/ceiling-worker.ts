// The bench's ceiling worker: serves the benchCeiling and benchOrderShape workflows
// (ceiling-workflow.ts) and the latter's do-nothing activities on its own task queue, with the SDK's default worker settings, the way test/support/order-harness.ts runs the
// orders worker. Started by `npm run bench` for the `ceiling` scenario. Not part of the product.
import { NativeConnection, Worker } from '@temporalio/worker';
import { BENCH_CEILING_TASK_QUEUE, type BenchOrderShapeActivities } from './ceiling-contract';
import { runProcess } from '../../lib/infra/process';
import { runCommand, type CommandSpec } from '../cli';

export const command = {
  usage: 'node --import tsx scripts/bench/ceiling-worker.ts',
  summary: `the bench's ceiling worker: the benchCeiling and benchOrderShape workflows on task queue ${BENCH_CEILING_TASK_QUEUE}`,
  options: {},
} as const satisfies CommandSpec;

/** benchOrderShape's steps: nothing, so its figures are Temporal's and the worker's alone. */
const activities: BenchOrderShapeActivities = {
  reserveNothing: async () => ({ outcome: 'reserved' }),
  verifyNobody: async () => true,
  settleNothing: async () => undefined,
};

const start = () =>
  runProcess('bench-ceiling-worker', async (cfg, log) => {
    const connection = await NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS });
    const worker = await Worker.create({
      connection,
      namespace: cfg.TEMPORAL_NAMESPACE,
      taskQueue: BENCH_CEILING_TASK_QUEUE,
      // Its own bundle: the product's (workflows/) does not carry the bench's workflow.
      workflowsPath: require.resolve('./ceiling-workflow'),
      activities,
      shutdownGraceTime: '1s',
    });
    const running = worker.run();
    log.info('ceiling worker polling', { taskQueue: BENCH_CEILING_TASK_QUEUE });
    return async () => {
      worker.shutdown();
      await running;
      await connection.close();
    };
  });

if (require.main === module) runCommand(command, async () => start());
