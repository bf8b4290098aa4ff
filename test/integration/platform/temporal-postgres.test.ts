// Temporal on PostgreSQL (TEMPORAL_PERSISTENCE=postgres): a workflow started before the Temporal server
// is SIGKILLed is still there after the restart against the same PostgreSQL, runs to its end, and is
// found by an order search attribute (advanced visibility on PostgreSQL). The server is built once into
// .stack/tools and this mode stays out of npm test: run it with
//   TEMPORAL_PERSISTENCE=postgres TEST_STACK_PORT_OFFSET=900 npx jest test/integration/platform/temporal-postgres.test.ts --selectProjects integration
import { NativeConnection, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createTemporalClient } from '../../../lib/infra/temporal';
import { ORDER_SEARCH_KEYS } from '../../../lib/contracts/orders';
import { portOpen, readPid, startService, stopService } from '../../../scripts/stack/local-stack';
import { postgresPort } from '../../../scripts/stack/temporal-postgres';
import { waitFor } from '../../../scripts/wait';
import { testConfig, testLog, testStackSpec } from '../../support/test-stack';

const cfg = testConfig();
const spec = testStackSpec();
const onPostgres = spec.temporalPersistence === 'postgres';

(onPostgres ? describe : describe.skip)(
  'Temporal on PostgreSQL (only with TEMPORAL_PERSISTENCE=postgres)',
  () => {
    it('runs the real server, not the dev server, on PostgreSQL', async () => {
      const cmdline = readFileSync(`/proc/${readPid(spec, 'temporal')}/cmdline`, 'utf8').split('\0');
      expect(cmdline[0]).toMatch(/temporal-server-1\.32\.0\/bin\/temporal-server$/);
      expect(await portOpen(postgresPort(spec))).toBe(true);
      expect(await portOpen(spec.temporalUiPort)).toBe(true); // the Web UI server beside it
    });

    it('a workflow started before a SIGKILL of the server survives the restart and is found by OrderUser', async () => {
      const client = createTemporalClient(cfg);
      const taskQueue = `test-pg-${randomUUID()}`;
      const user = `pg-${randomUUID()}`;
      try {
        // No worker yet: the workflow's first task waits in the server's PostgreSQL.
        const handle = await client.workflow.start('echo', {
          taskQueue,
          workflowId: taskQueue,
          args: ['salam'],
          typedSearchAttributes: [{ key: ORDER_SEARCH_KEYS.user, value: user }],
        });
        await stopService(spec, 'temporal', testLog, 'SIGKILL');
        await startService(spec, 'temporal', testLog);

        const connection = await NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS });
        const worker = await Worker.create({
          connection,
          taskQueue,
          workflowsPath: require.resolve('../../fixtures/echo-workflow'),
          activities: { shout: async (s: string) => s.toUpperCase() },
        });
        try {
          await expect(worker.runUntil(handle.result())).resolves.toBe('echo: SALAM');
        } finally {
          await connection.close();
        }
        const found = await waitFor(
          'the workflow in visibility',
          async () => {
            const ids: string[] = [];
            for await (const w of client.workflow.list({ query: `OrderUser = "${user}"` }))
              ids.push(w.workflowId);
            return ids.length > 0 ? ids : undefined;
          },
          30_000,
        );
        expect(found).toEqual([taskQueue]);
      } finally {
        await client.connection.close();
      }
    });
  },
);
