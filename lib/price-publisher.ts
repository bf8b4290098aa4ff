// Publishing price ticks to Kafka `stock-prices` (key = stock id) with an idempotent producer.
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { TOPICS } from './kafka';
import type { PriceTick } from './price-tick';

export interface PricePublisher {
  publish(ticks: readonly PriceTick[]): Promise<void>;
  close(): Promise<void>;
}

const MESSAGES_PER_SEND = 1_000;

export async function createPricePublisher(
  kafka: Kafka,
  topic: string = TOPICS.prices,
): Promise<PricePublisher> {
  // Idempotent: a producer retry after a lost ack never writes a tick twice into the log.
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  // KafkaJS's idempotent producer keeps per-partition sequence numbers that concurrent send() calls
  // can get out of order; activities run concurrently, so sends go through one queue.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    async publish(ticks) {
      for (let i = 0; i < ticks.length; i += MESSAGES_PER_SEND) {
        const messages = ticks.slice(i, i + MESSAGES_PER_SEND).map((t) => ({
          key: t.stockId,
          value: JSON.stringify(t),
          headers: { source: t.source },
        }));
        await serial(() => producer.send({ topic, acks: -1, messages }));
      }
    },
    close: () => producer.disconnect(),
  };
}
