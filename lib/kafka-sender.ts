// The one way bourse writes to Kafka: an idempotent producer (acks = all) behind a group-commit queue.
import { Partitioners, type Kafka, type Message, type Producer, type TopicMessages } from 'kafkajs';

export interface KafkaSender {
  /** Resolves once every message is acknowledged by all in-sync replicas; rejects if its request failed. */
  send(topic: string, messages: readonly Message[]): Promise<void>;
  close(): Promise<void>;
}

/** One produce request carries at most this many messages (a 700-stock minute fits in one). */
export const MESSAGES_PER_REQUEST = 1_000;

interface Pending {
  topic: string;
  messages: Message[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * KafkaJS's idempotent producer keeps per-partition sequence numbers that concurrent send() calls
 * can get out of order, so one request is in flight at a time. What callers hand in while it is in
 * flight goes out together in the next request (group commit): under load one round trip answers
 * many callers, and a lone caller never waits for a timer. A failed request rejects exactly the
 * callers whose messages it carried; they retry (the producer is idempotent, so a retry after a lost
 * ack is not written twice).
 */
export function createKafkaSender(
  producer: Producer,
  maxPerRequest: number = MESSAGES_PER_REQUEST,
): KafkaSender {
  const queue: Pending[] = [];
  let flushing = false;

  const flush = async (): Promise<void> => {
    flushing = true;
    while (queue.length > 0) {
      const batch: Pending[] = [];
      let count = 0;
      while (queue.length > 0 && (batch.length === 0 || count + queue[0]!.messages.length <= maxPerRequest)) {
        const next = queue.shift()!;
        batch.push(next);
        count += next.messages.length;
      }
      const byTopic = new Map<string, Message[]>();
      for (const p of batch) {
        const list = byTopic.get(p.topic);
        if (list) list.push(...p.messages);
        else byTopic.set(p.topic, [...p.messages]);
      }
      const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      try {
        await producer.sendBatch({ acks: -1, topicMessages });
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    flushing = false;
  };

  return {
    send(topic, messages) {
      const parts: Promise<void>[] = [];
      for (let i = 0; i < messages.length; i += maxPerRequest) {
        parts.push(
          new Promise<void>((resolve, reject) => {
            queue.push({ topic, messages: messages.slice(i, i + maxPerRequest), resolve, reject });
          }),
        );
      }
      if (!flushing) void flush();
      return Promise.all(parts).then(() => undefined);
    },
    close: () => producer.disconnect(),
  };
}

/** The producer every bourse process writes with: idempotent, one request in flight, keyed partitioning. */
export async function connectKafkaSender(kafka: Kafka): Promise<KafkaSender> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return createKafkaSender(producer);
}
