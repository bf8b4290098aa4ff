// Rebuilding a Redis read model from its Kafka topic: a new consumer group reads the topic from the
// earliest offset up to the end it had when the command started, through the consumer's own code,
// then stops and deletes its group. Relies on retention.ms=-1 (lib/infra/kafka.ts). The one path of
// `npm run prices:rebuild` (rebuild-prices.ts) and `npm run orders:rebuild` (rebuild-orders.ts).
import type { Kafka } from 'kafkajs';
import { config, type Config } from '../../lib/infra/config';
import { createKafka } from '../../lib/infra/kafka';
import { createLogger, type Logger } from '../../lib/infra/logger';
import { createRedis, type Redis } from '../../lib/infra/redis';
import type { CommandSpec, Parsed } from '../cli';
import { sleep } from '../wait';

export interface ReplayConsumer {
  stop(): Promise<void>;
}

export interface Replay {
  /** The npm script that runs it ("prices:rebuild"); the logger is named after it. */
  script: string;
  /** What the log lines and the usage call the read model ("price history"). */
  what: string;
  topic: string;
  /** The setting naming the consumer's own group: the rebuild's group is named after it. */
  groupSetting: 'PRICE_CONSUMER_GROUP' | 'ORDER_EVENTS_CONSUMER_GROUP';
  /** Starts the consumer (fromBeginning, in `groupId`); `count(n)` after each write; `fail` if it dies. */
  start(deps: {
    cfg: Config;
    kafka: Kafka;
    redis: Redis;
    log: Logger;
    groupId: string;
    count: (n: number) => void;
    fail: (err: Error) => void;
  }): Promise<ReplayConsumer>;
}

/** A rebuild command: its usage and options, and its main for runCommand. */
export function rebuildCommand(r: Replay) {
  const command = {
    usage: `npm run ${r.script} --`,
    summary: `rebuilds the ${r.what} from Kafka ${r.topic} (earliest offset to the end at start), then exits`,
    options: {
      group: {
        kind: 'string',
        description: `consumer group to use (default: a new <${r.groupSetting}>-rebuild-<time>)`,
      },
    },
  } as const satisfies CommandSpec;
  const main = ({ values }: Parsed<typeof command.options>) =>
    replayTopic(r, (cfg) => values.group ?? `${cfg[r.groupSetting]}-rebuild-${Date.now()}`);
  return { command, main };
}

async function replayTopic(r: Replay, groupOf: (cfg: Config) => string): Promise<void> {
  const cfg = config();
  const log = createLogger(r.script.replace(':', '-'), cfg.LOG_LEVEL);
  const groupId = groupOf(cfg);
  const kafka = createKafka(cfg);
  const redis = createRedis(cfg);
  const admin = kafka.admin();
  await admin.connect();
  const started = Date.now();
  const ends = await admin.fetchTopicOffsets(r.topic);
  const target = ends.reduce((n, p) => n + (BigInt(p.high) - BigInt(p.low)), 0n);
  log.info(`rebuilding the ${r.what} from Kafka`, { topic: r.topic, groupId, messages: target.toString() });
  let handled = 0;
  const running = await r.start({
    cfg,
    kafka,
    redis,
    log,
    groupId,
    count: (n) => (handled += n),
    fail: (err) => {
      log.error('rebuild consumer failed', { err });
      process.exit(1);
    },
  });
  // Done when the group's committed offset has reached, on every partition, the end seen at start.
  for (;;) {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [r.topic] });
    const pending = ends.filter((end) => {
      const c = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      return BigInt(end.high) > BigInt(end.low) && BigInt(c) < BigInt(end.high);
    });
    if (pending.length === 0) break;
    await sleep(300);
  }
  await running.stop();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  redis.disconnect();
  const seconds = (Date.now() - started) / 1000;
  log.info(`${r.what} rebuilt`, { messages: handled, seconds, perSecond: Math.round(handled / seconds) });
}
