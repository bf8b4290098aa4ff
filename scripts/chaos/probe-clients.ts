// The failover probe's clients (scripts/chaos/kafka-failover.ts): bourse's own (its KafkaJS sender and
// a KafkaJS group consumer), or, with `--client platformatic`, a producer and a group consumer on
// @platformatic/kafka, to evaluate that client under the same leader kills. bourse itself writes and
// reads through KafkaJS (lib/infra/kafka*.ts); the evaluation's figures are in docs/reliability.md.
import type { Kafka } from 'kafkajs';
import { connectKafkaSender, type KafkaSender } from '../../lib/infra/kafka-sender';
import { waitFor } from '../wait';

export type ProbeClient = 'kafkajs' | 'platformatic';

type PlatformaticKafka = typeof import('@platformatic/kafka');
/** Loaded only when asked for: the package is ES modules only, and nothing else here needs it. */
const platformatic = (): Promise<PlatformaticKafka> => import('@platformatic/kafka');

export interface ProbeTopic {
  kafka: Kafka;
  brokers: string[];
  topic: string;
  log: (line: string) => void;
}

export async function probeSender(
  client: ProbeClient,
  kafka: Kafka,
  brokers: string[],
): Promise<KafkaSender> {
  return client === 'platformatic'
    ? platformaticSender(await platformatic(), brokers)
    : connectKafkaSender(kafka);
}

/** A new group reading `topic` from its start, each message's value to `onValue`; returns its close. */
export async function probeConsumer(
  client: ProbeClient,
  { kafka, brokers, topic, log }: ProbeTopic,
  onValue: (value: string) => void,
): Promise<() => Promise<void>> {
  if (client === 'platformatic')
    return platformaticConsume(await platformatic(), brokers, topic, onValue, (err) =>
      log(`the consumer's stream gave up: ${String(err).slice(0, 300)}`),
    );
  const consumer = kafka.consumer({ groupId: `failover-${Date.now()}`, sessionTimeout: 10_000 });
  await consumer.connect();
  // A topic just made may not be in every broker's metadata yet: subscribing fails until it is.
  await waitFor(
    `${topic} known to every broker`,
    async () => {
      await consumer.subscribe({ topic, fromBeginning: true });
      return true;
    },
    60_000,
    500,
  );
  await consumer.run({ eachMessage: async ({ message }) => onValue(message.value!.toString()) });
  return () => consumer.disconnect();
}

/** An idempotent producer (acks -1, one request in flight), its sends retried by the library (9 times, 500 ms apart). */
function platformaticSender(
  { Producer, stringSerializers }: PlatformaticKafka,
  brokers: string[],
): KafkaSender {
  const producer = new Producer({
    clientId: 'bourse-failover',
    bootstrapBrokers: brokers,
    serializers: stringSerializers,
    idempotent: true,
    retries: 9,
    retryDelay: 500,
  });
  return {
    async send(topic, messages) {
      await producer.send({
        messages: messages.map((m) => ({ topic, key: String(m.key), value: String(m.value) })),
      });
    },
    close: () => producer.close(),
  };
}

/**
 * A group consumer from the earliest offset, committing as it goes, its requests retried without
 * limit (the library's most forgiving setting); `onError` hears a stream that gave up. Returns its close.
 */
async function platformaticConsume(
  { Consumer, stringDeserializers }: PlatformaticKafka,
  brokers: string[],
  topic: string,
  onValue: (value: string) => void,
  onError: (err: unknown) => void,
): Promise<() => Promise<void>> {
  const consumer = new Consumer({
    clientId: 'bourse-failover',
    groupId: `failover-${Date.now()}`,
    bootstrapBrokers: brokers,
    deserializers: stringDeserializers,
    sessionTimeout: 10_000,
    heartbeatInterval: 500,
    retries: true,
    retryDelay: 500,
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: true });
  stream.on('data', (m: { value: string }) => onValue(m.value));
  stream.on('error', onError);
  return async () => {
    await stream.close();
    await consumer.close(true);
  };
}

/** How many of `acked` a fresh KafkaJS group reads from offset 0 (within 60 s). */
export async function acknowledgedOnTopic(
  kafka: Kafka,
  topic: string,
  acked: readonly number[],
): Promise<number> {
  const audit = kafka.consumer({ groupId: `failover-audit-${Date.now()}` });
  const seen = new Set<number>();
  await audit.connect();
  await audit.subscribe({ topic, fromBeginning: true });
  await audit.run({ eachMessage: async ({ message }) => void seen.add(Number(message.value!.toString())) });
  await waitFor(
    'a fresh group reading every acknowledged message',
    async () => acked.every((n) => seen.has(n)),
    60_000,
  ).catch(() => undefined);
  await audit.disconnect();
  return acked.filter((n) => seen.has(n)).length;
}
