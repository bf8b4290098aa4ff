// `npm run chaos:kafka -- [--kills 3] [--port-offset 1140] [--client kafkajs]`: on a three-broker stack
// of its own, a producer writes numbered messages one after another through bourse's own sender (acks
// -1) and a consumer group reads them, while the leader of partition 0 is SIGKILLed and restarted again
// and again. Prints, per kill, how long the producer and the consumer stood still (the longest gap
// between two acknowledgements, between two deliveries), and at the end how many acknowledged messages
// were never delivered (must be 0); if any, a fresh group reads the topic from offset 0 to tell a
// producer that dropped them from a consumer that stopped. `--client platformatic` runs the same probe
// with @platformatic/kafka's producer and consumer instead (an evaluation: platformatic-client.ts).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadStackConfig } from '../stack/stack-config';
import { createKafka } from '../../lib/infra/kafka';
import { acknowledgedOnTopic, probeConsumer, probeSender, type ProbeClient } from './probe-clients';
import { sleep, waitFor } from '../wait';
import { runCommand, type CommandSpec, type Parsed } from '../cli';
import {
  haEnv,
  kafkaNodes,
  stackEnv,
  stackSpecFromConfig,
  provision,
  startService,
  stopService,
  stopStack,
  type StackSpec,
} from '../stack/local-stack';

export const command = {
  usage: 'npm run chaos:kafka --',
  summary:
    'SIGKILLs the leader broker of a three-broker Kafka again and again under a steady producer and ' +
    'consumer; prints how long each stood still and how many acknowledged messages were lost',
  options: {
    kills: { kind: 'integer', description: 'how many leader kills', default: '3' },
    'port-offset': { kind: 'integer', description: "shift of this run's stack ports", default: '1140' },
    client: {
      kind: 'string',
      description: "the producer's and consumer's client: bourse's KafkaJS sender, or @platformatic/kafka",
      default: 'kafkajs',
      choices: ['kafkajs', 'platformatic'],
    },
  },
} as const satisfies CommandSpec;

const TOPIC = 'ha-probe';

export interface KillFigures {
  broker: string;
  /** The longest time between two acknowledged writes around this kill, in ms. */
  producerStallMs: number;
  /** The longest time between two delivered messages around this kill, in ms. */
  consumerStallMs: number;
  /** Writes acknowledged while the killed broker was down, and how many of them were delivered then too. */
  ackedWhileDown: number;
  deliveredWhileDown: number;
}

export interface FailoverReport {
  kills: KillFigures[];
  acknowledged: number;
  delivered: number;
  /** Acknowledged messages never delivered: the recovery point; 0 means none lost. */
  lost: number;
  /** Writes the sender rejected (after its retries) and the producer sent again. */
  rejected: number;
  /** Deliveries of a message already delivered (at least once: a resent request). */
  duplicates: number;
  /** When some were not delivered: how many acknowledged messages a fresh group found on the topic. */
  onTopic?: number;
}

/** Longest gap between consecutive timestamps inside [from, to]. */
function longestGap(times: readonly number[], from: number, to: number): number {
  let last = from;
  let gap = 0;
  for (const t of times) {
    if (t < from) continue;
    if (t > to) break;
    gap = Math.max(gap, t - last);
    last = t;
  }
  return Math.max(gap, to - last);
}

export async function runKafkaFailover(
  spec: StackSpec,
  kills: number,
  log: (line: string) => void,
  client: ProbeClient = 'kafkajs',
): Promise<FailoverReport> {
  const brokers = kafkaNodes(spec);
  const kafka = createKafka({
    KAFKA_BROKERS: brokers.map((b) => `127.0.0.1:${b.port}`),
    KAFKA_CLIENT_ID: 'bourse-failover',
  });
  const admin = kafka.admin();
  await admin.connect();
  // Made, then known with a leader for every partition: a broker the metadata has not reached yet
  // answers UNKNOWN_TOPIC_OR_PARTITION, which KafkaJS's waitForLeaders does not wait out.
  await waitFor(
    `${TOPIC} with a leader for every partition`,
    async () => {
      if (!(await admin.listTopics()).includes(TOPIC)) {
        await admin.createTopics({
          topics: [
            {
              topic: TOPIC,
              numPartitions: 3,
              replicationFactor: 3,
              configEntries: [{ name: 'min.insync.replicas', value: '2' }],
            },
          ],
        });
      }
      const { topics } = await admin.fetchTopicMetadata({ topics: [TOPIC] });
      return topics[0].partitions.length === 3 && topics[0].partitions.every((p) => p.leader >= 0);
    },
    60_000,
    500,
  );
  const brokerList = brokers.map((b) => `127.0.0.1:${b.port}`);
  const sender = await probeSender(client, kafka, brokerList);
  const delivered = new Map<number, number>();
  const deliveredAt: number[] = [];
  const closeConsumer = await probeConsumer(
    client,
    { kafka, brokers: brokerList, topic: TOPIC, log },
    (v) => {
      const n = Number(v);
      if (!delivered.has(n)) delivered.set(n, Date.now());
      deliveredAt.push(Date.now());
    },
  );

  const PER_SEND = 6;
  const acked: number[] = [];
  const ackedAt: number[] = [];
  let rejected = 0;
  let producing = true;
  const producer = (async () => {
    for (let n = 0; producing; n += PER_SEND) {
      // One send at a time, each retried until acknowledged: the gap between acks is the stall. Each
      // send carries PER_SEND keys, so its request spans the partitions of every leader: a request that
      // fails on one broker while another answered is the case that loses messages if the producer
      // resends only to the brokers that did not answer (KafkaJS's own retry does).
      const batch = Array.from({ length: PER_SEND }, (_, k) => n + k);
      for (;;) {
        try {
          await sender.send(
            TOPIC,
            batch.map((m) => ({ key: String(m % 30), value: String(m) })),
          );
          for (const m of batch) {
            acked.push(m);
            ackedAt.push(Date.now());
          }
          break;
        } catch (e) {
          if (rejected++ < 5) log(`send rejected after the sender's retries: ${String(e).slice(0, 300)}`);
          await sleep(100);
        }
      }
      await sleep(20);
    }
  })();

  await waitFor('the first delivery', async () => delivered.size > 0, 60_000);
  const figures: KillFigures[] = [];
  for (let i = 0; i < kills; i++) {
    await sleep(3_000);
    const { topics } = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    const leader = topics[0].partitions.find((p) => p.partitionId === 0)!.leader;
    const victim = brokers.find((b) => b.id === leader) ?? brokers[0];
    const killedAt = Date.now();
    log(`SIGKILL ${victim.svc} (leader of ${TOPIC}/0)`);
    await stopService(spec, victim.svc, () => undefined, 'SIGKILL');
    const deadAt = Date.now();
    // Down until the cluster has served without it — a message written after the kill and read back
    // (its partitions' new leaders elected, the group's coordinator moved; at most 60 s) — and 3 s more;
    // then back, and caught up. A fixed pause (8 s) was shorter than the election on a loaded host.
    const servedWithout = () => acked.some((n, j) => ackedAt[j] > deadAt && delivered.has(n));
    for (const until = deadAt + 60_000; Date.now() < until && !servedWithout();) await sleep(100);
    await sleep(3_000);
    const restartAt = Date.now();
    await startService(spec, victim.svc, (m) => log(`[stack] ${m}`));
    const backAt = Date.now();
    // Written after the broker was gone, and read back before it returned: the cluster served both.
    const down = acked.filter((_, j) => ackedAt[j] > deadAt && ackedAt[j] < restartAt);
    figures.push({
      broker: victim.svc,
      producerStallMs: longestGap(ackedAt, killedAt, backAt),
      consumerStallMs: longestGap(deliveredAt, killedAt, backAt),
      ackedWhileDown: down.length,
      deliveredWhileDown: down.filter((n) => (delivered.get(n) ?? Infinity) < restartAt).length,
    });
    log(
      `  producer stood still ${figures[i].producerStallMs} ms, consumer ${figures[i].consumerStallMs} ms ` +
        `(kill to caught-up: ${backAt - killedAt} ms)`,
    );
  }
  producing = false;
  await producer;
  const last = acked[acked.length - 1];
  await waitFor(
    'every acknowledged message delivered',
    async () => acked.every((n) => delivered.has(n)),
    60_000,
  ).catch(() => undefined);
  await closeConsumer();
  await sender.close();
  await admin.disconnect();
  const lost = acked.filter((n) => !delivered.has(n)).length;
  const onTopic = lost > 0 ? await acknowledgedOnTopic(kafka, TOPIC, acked) : undefined;
  const duplicates = deliveredAt.length - delivered.size;
  log(
    `${acked.length} acknowledged (last ${last}), ${delivered.size} delivered, ${lost} lost, ` +
      `${duplicates} duplicate deliveries` +
      (onTopic === undefined
        ? ''
        : `; a fresh group from offset 0 finds ${onTopic} of the acknowledged on the topic`),
  );
  return {
    kills: figures,
    acknowledged: acked.length,
    delivered: delivered.size,
    lost,
    rejected,
    duplicates,
    onTopic,
  };
}

/** The HA stack of a run at `offset`, in `.stack/kafka-failover-<offset>`. */
export function failoverSpec(offset: number): StackSpec {
  const env = { ...process.env, ...stackEnv(offset, `.stack/kafka-failover-${offset}`) };
  return stackSpecFromConfig(loadStackConfig({ ...env, ...haEnv(loadStackConfig(env)) }));
}

async function main({ values }: Parsed<typeof command.options>): Promise<number> {
  const log = (line: string) => process.stdout.write(`[kafka-failover] ${line}\n`);
  const spec = failoverSpec(values['port-offset']);
  rmSync(spec.dir, { recursive: true, force: true });
  mkdirSync(join(spec.dir, 'logs'), { recursive: true });
  try {
    // Kafka alone: this run needs neither Redis nor Temporal.
    provision(log);
    await Promise.all(kafkaNodes(spec).map((b) => startService(spec, b.svc, (m) => log(`[stack] ${m}`))));
    const r = await runKafkaFailover(spec, values.kills, log, values.client as ProbeClient);
    const worst = (k: keyof Omit<KillFigures, 'broker'>) => Math.max(...r.kills.map((f) => f[k]));
    process.stdout.write(
      [
        '',
        `kills of the leader broker: ${r.kills.length}`,
        ...r.kills.map(
          (f, i) =>
            `  ${i + 1}. ${f.broker}: producer still ${f.producerStallMs} ms, consumer still ${f.consumerStallMs} ms`,
        ),
        `longest producer stall ${worst('producerStallMs')} ms, longest consumer stall ${worst('consumerStallMs')} ms`,
        `${r.acknowledged} messages acknowledged (acks -1), ${r.delivered} delivered, ${r.lost} acknowledged and lost; ` +
          `${r.rejected} sends rejected after the sender's retries and sent again; ${r.duplicates} duplicate deliveries`,
        ...(r.onTopic === undefined
          ? []
          : [`a fresh group from offset 0 finds ${r.onTopic} of the ${r.acknowledged} on the topic`]),
        '',
      ].join('\n'),
    );
    return r.lost === 0 ? 0 : 1;
  } finally {
    await stopStack(spec, () => undefined);
  }
}

if (require.main === module) runCommand(command, main);
