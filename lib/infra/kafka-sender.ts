// The one way bourse writes to Kafka: a producer (acks = all) behind a group-commit queue that retries
// a failed request whole on a new producer: at least once, never acknowledged and lost.
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

/** How often, and how far apart, the sender sends a failed request again (on a new producer). */
export interface SenderRetry {
  attempts: number;
  initialMs: number;
  maxMs: number;
}

/**
 * Nine attempts, 200 ms doubling to 1 s apart (about 6 s in all): the first after a dead broker's
 * partitions have new leaders (about 4 s, scripts/stack/kafka-cluster.ts) goes through.
 */
export const SENDER_RETRY: SenderRetry = { attempts: 9, initialMs: 200, maxMs: 1_000 };

const pause = (retry: SenderRetry, attempt: number) =>
  new Promise((r) => setTimeout(r, Math.min(retry.maxMs, retry.initialMs * 2 ** (attempt - 1))));

/** KafkaJS's verdict: a connection lost, a leader moved, retries run out may pass; a bad request never. */
function mayRetry(err: unknown): boolean {
  const e = err as { name?: string; retriable?: boolean } | undefined;
  return e?.name === 'KafkaJSNumberOfRetriesExceeded' || e?.retriable !== false;
}

interface Pending {
  topic: string;
  messages: Message[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * One request in flight at a time: what callers hand in while it is in flight goes out together in
 * the next request (group commit): under load one round trip answers many callers, and a lone caller
 * never waits for a timer. A failed request is sent again whole, on a new producer, up to
 * `retry.attempts` times, backing off; then its callers (exactly those) are rejected. An error no retry
 * can help (MESSAGE_TOO_LARGE, a bad record) rejects at once.
 *
 * The producer has no retries of its own and is not idempotent, because of two KafkaJS flaws:
 * - its retry of a request that spans several brokers resends only to the brokers that did not
 *   answer; the failed broker's partitions, now led by one that did, are never sent, yet the send
 *   resolves (kafkajs#1303; `npm run chaos:kafka` lost 3 of 7,698 acknowledged messages that way);
 * - its idempotent producer rolls back the sequence numbers of every partition of a failed request,
 *   also of those the broker wrote; the next batch there reuses a written sequence number, and the
 *   broker refuses it (OUT_OF_ORDER_SEQUENCE_NUMBER) or, if it has as many records as the written
 *   one, takes it for a duplicate, acknowledges it and drops it (and KafkaJS refuses an idempotent
 *   producer without retries).
 * So delivery is at least once: a request resent after a lost acknowledgement may be written twice,
 * right after its first copy (one request at a time keeps each key's order); every consumer drops the
 * duplicate (order events by eventId, prices by stock and minute). Never acknowledged and lost.
 */
export function createKafkaSender(
  openProducer: () => Promise<Producer>,
  maxPerRequest: number = MESSAGES_PER_REQUEST,
  maxBytesPerRequest: number = BYTES_PER_REQUEST,
  retry: SenderRetry = SENDER_RETRY,
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
      while (queue.length > 0 && (batch.length === 0 || fits(queue[0]))) {
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
      for (let attempt = 1; ; attempt++) {
        const used = producer();
        try {
          await (await used).sendBatch({ acks: -1, topicMessages });
          for (const p of batch) p.resolve();
          break;
        } catch (err) {
          retire(used);
          if (attempt >= retry.attempts || !mayRetry(err)) {
            for (const p of batch) p.reject(err);
            break;
          }
          await pause(retry, attempt);
        }
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
 * The producer every bourse process writes with: acks = all, one request in flight, keyed partitioning.
 * The first producer is connected before this resolves (a process that cannot reach Kafka fails at
 * start); its replacements connect when the next request needs them.
 */
export async function connectKafkaSender(kafka: Kafka): Promise<KafkaSender> {
  const open = async () => {
    const producer = kafka.producer({
      // At least once, retried by the sender on a new producer (see createKafkaSender).
      idempotent: false,
      retry: { retries: 0 },
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
  // The first producer now, so a process that cannot reach Kafka fails at start (after the retries).
  let first: Producer | undefined;
  for (let attempt = 1; !first; attempt++) {
    try {
      first = await open();
    } catch (err) {
      if (attempt >= SENDER_RETRY.attempts) throw err;
      await pause(SENDER_RETRY, attempt);
    }
  }
  let handedOut = false;
  return createKafkaSender(async () => {
    if (handedOut) return open();
    handedOut = true;
    return first;
  });
}
