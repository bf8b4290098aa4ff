// One-shot set-up of a fresh deployment (docker compose's `setup` service): Kafka topics and the
// Temporal search attributes. Safe to run again. The local stack does the same in scripts/local-stack.ts.
import { config } from '../../lib/infra/config';
import { createKafka, ensureTopics } from '../../lib/infra/kafka';
import { createLogger } from '../../lib/infra/logger';
import { createTemporalClient, ensureSearchAttributes } from '../../lib/infra/temporal';

async function main(): Promise<void> {
  const cfg = config();
  const log = createLogger('setup', cfg.LOG_LEVEL);
  const admin = createKafka(cfg, { retries: 20 }).admin();
  await admin.connect();
  await ensureTopics(admin);
  await admin.disconnect();
  log.info('kafka topics ready');
  const temporal = createTemporalClient(cfg);
  await ensureSearchAttributes(temporal, cfg.TEMPORAL_NAMESPACE);
  await temporal.connection.close();
  log.info('temporal search attributes ready');
}

main().catch((err: unknown) => {
  process.stderr.write(`setup failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
