// The one way bourse writes to Kafka: an idempotent producer (acks = all) behind a group-commit queue.
import { Partitioners, type Kafka, type Message, type Producer, type TopicMessages } from 'kafkajs';

export interface KafkaSender {
  /** Resolves once every message is acknowledged by all in-sync replicas; rejects if its request failed. */
  send(topic: string, messages: readonly Message[]): Promise<void>;
  close(): Promise<void>;
}

/** One produce request carries at most this many messages (a 700-stock minute fits in one). */
export const MESSAGES_PER_REQUEST = 1_000;
/**
 * Callers are grouped into one request only up to about this many bytes (keys, values, headers), well
 * under the broker's 1 MiB message.max.bytes. One caller's messages are never split by size: a caller
 * whose own messages are too large gets the broker's MESSAGE_TOO_LARGE alone, not its neighbours.
 */
export const BYTES_PER_REQUEST = 512 * 1024;

interface Pending {
  topic: string;
  messages: Message[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * KafkaJS's idempotent producer keeps per-partition sequence numbers that concurrent send() calls
 * can get out of order, so one request is in flight at a time. What callers hand in while it is in
 * flight goes out together in the next request (group commit): under load one round trip answers
 * many callers, and a lone caller never waits for a timer. A failed request rejects exactly the
 * callers whose messages it carried; they retry.
 *
 * After a failed request the producer is never used again. KafkaJS rolls back the sequence numbers of
 * every partition in a request that failed, also of the partitions the broker did write (a batch with
 * one partition refused, or an ack lost when the broker died): the next batch for such a partition then
 * reuses a written sequence number, and the broker either refuses it (OUT_OF_ORDER_SEQUENCE_NUMBER) or,
 * when it has as many records as the written one, takes it for a duplicate, acknowledges it and drops
 * it. A new producer has a new producer id and fresh sequences: a retry may then be written twice
 * (every consumer is idempotent), never acknowledged and lost.
 */
export function createKafkaSender(
  openProducer: () => Promise<Producer>,
  maxPerRequest: number = MESSAGES_PER_REQUEST,
  maxBytesPerRequest: number = BYTES_PER_REQUEST,
): KafkaSender {
  const queue: Pending[] = [];
  let flushing = false;
  let current: Promise<Producer> | undefined;
  const producer = () => (current ??= openProducer());
  const retire = (failed: Promise<Producer> | undefined) => {
    if (current !== failed) return;
    current = undefined;
    failed?.then((p) => p.disconnect()).catch(() => undefined);
  };

  const flush = async (): Promise<void> => {
    flushing = true;
    while (queue.length > 0) {
      const batch: Pending[] = [];
      let count = 0;
      let bytes = 0;
      const fits = (p: Pending) =>
        count + p.messages.length <= maxPerRequest && bytes + p.bytes <= maxBytesPerRequest;
      while (queue.length > 0 && (batch.length === 0 || fits(queue[0]!))) {
        const next = queue.shift()!;
        batch.push(next);
        count += next.messages.length;
        bytes += next.bytes;
      }
      const byTopic = new Map<string, Message[]>();
      for (const p of batch) {
        const list = byTopic.get(p.topic);
        if (list) list.push(...p.messages);
        else byTopic.set(p.topic, [...p.messages]);
      }
      const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      const used = producer();
      try {
        await (await used).sendBatch({ acks: -1, topicMessages });
        for (const p of batch) p.resolve();
      } catch (err) {
        retire(used);
        for (const p of batch) p.reject(err);
      }
    }
    flushing = false;
  };

  return {
    send(topic, messages) {
      const parts: Promise<void>[] = [];
      for (let i = 0; i < messages.length; i += maxPerRequest) {
        const part = messages.slice(i, i + maxPerRequest);
        parts.push(
          new Promise<void>((resolve, reject) => {
            queue.push({ topic, messages: part, bytes: sizeOf(part), resolve, reject });
          }),
        );
      }
      if (!flushing) void flush();
      return Promise.all(parts).then(() => undefined);
    },
    async close() {
      const last = current;
      current = undefined;
      if (last) await (await last.catch(() => undefined))?.disconnect();
    },
  };
}

const lengthOf = (v: Buffer | string | null | undefined) => v?.length ?? 0;

/** Roughly what the messages weigh on the wire (keys, values, headers). */
function sizeOf(messages: readonly Message[]): number {
  let n = 0;
  for (const m of messages) {
    n += lengthOf(m.key) + lengthOf(m.value);
    for (const [k, v] of Object.entries(m.headers ?? {})) {
      n += k.length + (Array.isArray(v) ? v.reduce((s, x) => s + lengthOf(x), 0) : lengthOf(v));
    }
  }
  return n;
}

/**
 * The producer every bourse process writes with: idempotent, one request in flight, keyed partitioning.
 * The first producer is connected before this resolves (a process that cannot reach Kafka fails at
 * start); its replacements connect when the next request needs them.
 */
export async function connectKafkaSender(kafka: Kafka): Promise<KafkaSender> {
  const open = async () => {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    try {
      await producer.connect();
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
    return producer;
  };
  const first = await open();
  let handedOut = false;
  return createKafkaSender(async () => {
    if (handedOut) return open();
    handedOut = true;
    return first;
  });
}
