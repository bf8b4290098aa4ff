// One-shot set-up of a fresh deployment (docker compose's `setup` service): Kafka topics and the
// Temporal search attributes. Safe to run again. The local stack does the same in scripts/stack/local-stack.ts.
import { config } from '../../lib/infra/config';
import { createKafka, ensureTopics } from '../../lib/infra/kafka';
import { createLogger } from '../../lib/infra/logger';
import { createTemporalClient, ensureSearchAttributes } from '../../lib/infra/temporal';
import { runCommand, type CommandSpec } from '../cli';

export const command = {
  usage: 'node --import tsx scripts/stack/setup.ts',
  summary: "a fresh deployment's Kafka topics and Temporal search attributes (safe to run again)",
  options: {},
} as const satisfies CommandSpec;

async function main(): Promise<void> {
  const cfg = config();
  const log = createLogger('setup', cfg.LOG_LEVEL);
  const admin = createKafka(cfg, { retries: 20 }).admin();
  await admin.connect();
  await ensureTopics(admin, cfg.KAFKA_REPLICATION_FACTOR);
  await admin.disconnect();
  log.info('kafka topics ready');
  const temporal = createTemporalClient(cfg);
  await ensureSearchAttributes(temporal, cfg.TEMPORAL_NAMESPACE);
  await temporal.connection.close();
  log.info('temporal search attributes ready');
}

if (require.main === module) runCommand(command, main);
