// Helpers shared by the price tests: unique stock ids, waiting, and a look into the DLQ topic.
import type { Kafka, KafkaMessage } from 'kafkajs';
import { randomInt, randomUUID } from 'node:crypto';
import { TOPICS } from '../../lib/infra/kafka';
import { waitFor } from '../../scripts/wait';

export { sleep, waitFor } from '../../scripts/wait';

/** A fresh 17-digit stock id, so tests sharing the stack never see each other's prices. */
export function randomStockId(): string {
  return `9${String(randomInt(0, 1e8)).padStart(8, '0')}${String(randomInt(0, 1e8)).padStart(8, '0')}`;
}

/** Points a new consumer group at the current end of a topic, so it sees only what comes next. */
export async function newGroupAtEnd(kafka: Kafka, topic: string = TOPICS.prices): Promise<string> {
  const groupId = `test-${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({
      groupId,
      topic,
      partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })),
    });
  } finally {
    await admin.disconnect();
  }
  return groupId;
}

/** Reads the DLQ from the start until `match` has found `count` messages. */
export async function readDlq(
  kafka: Kafka,
  match: (m: KafkaMessage) => boolean,
  count: number,
  timeoutMs = 30_000,
  topic: string = TOPICS.pricesDlq,
): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `test-dlq-${randomUUID()}` });
  await consumer.connect();
  const found: KafkaMessage[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (match(message)) found.push(message);
      },
    });
    await waitFor('dead letters', async () => found.length >= count, timeoutMs);
    return found;
  } finally {
    await consumer.disconnect();
  }
}

export const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();
