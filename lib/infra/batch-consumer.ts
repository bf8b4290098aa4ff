// The one way bourse consumes a Kafka topic into Redis: a consumer group with manual commits, batches
// per partition taken chunk by chunk (parse, write, retry what Redis rejects, dead-letter what can never
// be used, then commit), a dead-letter sender beside it, and a crash KafkaJS gives up on reported. The
// price consumer (lib/prices/ingest) and the order read model (lib/orders/read-model) are each a
// `TopicWrite`: how a message is read and how a chunk is written.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { sendDeadLetters, type DeadLetter } from './dead-letters';
import { connectKafkaSender, type KafkaSender } from './kafka-sender';
import type { Logger } from './logger';

export type ParsedMessage<T> = { ok: true; value: T } | { ok: false; reason: string };

/** What a long write may call while it works: keep the group membership, and learn of a stop. */
export interface ChunkSession {
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or its partitions moved: the write should give up. */
  isRunning(): boolean;
}

/** What a consumer does with its topic's messages. */
export interface TopicWrite<T> {
  /** What the logs call one message ("price message", "order event"). */
  what: string;
  dlqTopic: string;
  /** Messages written per Redis round trip (and per offset commit). */
  chunkSize: number;
  /** A message that fails here can never succeed: it is dead-lettered with the reason, never retried. */
  parse(message: KafkaMessage): ParsedMessage<T>;
  /**
   * Writes one chunk's items; answers, per item, the error Redis rejected it with (null: written). A
   * rejection of the whole call (Redis unreachable) is not answered: KafkaJS redelivers from the last
   * commit, so nothing is lost and valid messages are never dead-lettered for the store being down.
   */
  write(items: readonly T[], session: ChunkSession): Promise<readonly (Error | null | undefined)[]>;
  /** Fields the "write rejected; retrying" log line adds about the rejected items. */
  describeRejected?(items: readonly T[]): Record<string, unknown>;
  /** Counts a dead letter (the reason is free text: label it with a few fixed words). */
  countDeadLetter?(topic: string, reason: string): void;
  /** After each chunk is committed: the items written, how many parsed, how many messages it had. */
  onChunk?(done: { written: readonly T[]; parsed: number; messages: number }): void;
}

export interface BatchWriteOptions<T> extends TopicWrite<T> {
  log: Logger;
  /** Attempts at a write Redis rejects before its messages go to the dead-letter topic. */
  maxAttempts: number;
  retryBaseMs?: number;
  /** The sender for the dead-letter topic (partitions handled at once share it). */
  dlq: KafkaSender;
  /** Commits the offset after `offset` (the next to read); the consumer's commitOffsets. */
  commit: (topic: string, partition: number, nextOffset: string) => Promise<void>;
}

/** The eachBatch handler: chunk by chunk, parse, write (retrying what Redis rejects), dead-letter, commit. */
export function createBatchHandler<T>(
  opts: BatchWriteOptions<T>,
): (payload: EachBatchPayload) => Promise<void> {
  const retryBaseMs = opts.retryBaseMs ?? 200;
  type Item = { value: T; message: KafkaMessage };

  /** Writes the chunk's parsed items, retrying what Redis rejects; returns what never succeeded. */
  async function writeWithRetries(good: Item[], session: ChunkSession): Promise<DeadLetter[]> {
    let pending = good;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const errors = await opts.write(
        pending.map((g) => g.value),
        session,
      );
      const failed = pending.flatMap((g, i) => (errors[i] ? [{ ...g, error: errors[i] }] : []));
      if (failed.length === 0) return [];
      const reasonOf = (g: (typeof failed)[number]) => `Redis rejected the write: ${g.error.message}`;
      if (attempt >= opts.maxAttempts) {
        return failed.map((g) => ({ message: g.message, reason: reasonOf(g), attempts: attempt }));
      }
      opts.log.warn(`${opts.what} write rejected; retrying`, {
        attempt,
        ...opts.describeRejected?.(failed.map((g) => g.value)),
        reason: reasonOf(failed[0]),
      });
      await sleep(retryBaseMs * 2 ** (attempt - 1));
      pending = failed;
    }
    return [];
  }

  async function deadLetter(topic: string, partition: number, letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    for (const l of letters) {
      opts.countDeadLetter?.(topic, l.reason);
      opts.log.warn(`${opts.what} dead-lettered`, {
        topic,
        partition,
        offset: l.message.offset,
        key: l.message.key?.toString('utf8'),
        reason: l.reason,
        attempts: l.attempts,
      });
    }
    await sendDeadLetters(opts.dlq, opts.dlqTopic, topic, partition, letters);
  }

  // kafkajs's payload functions are closures over the batch, not methods: taking them out is safe.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  return async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
    const { topic, partition, messages } = batch;
    for (let i = 0; i < messages.length; i += opts.chunkSize) {
      if (!isRunning() || isStale()) return;
      const chunk = messages.slice(i, i + opts.chunkSize);
      const good: Item[] = [];
      const bad: DeadLetter[] = [];
      for (const message of chunk) {
        const parsed = opts.parse(message);
        if (parsed.ok) good.push({ value: parsed.value, message });
        else bad.push({ message, reason: parsed.reason, attempts: 1 });
      }
      const unwritten = await writeWithRetries(good, {
        heartbeat,
        isRunning: () => isRunning() && !isStale(),
      });
      bad.push(...unwritten);
      await deadLetter(topic, partition, bad);
      const last = chunk[chunk.length - 1].offset;
      resolveOffset(last);
      await opts.commit(topic, partition, (BigInt(last) + 1n).toString());
      if (opts.onChunk) {
        const lost = new Set(unwritten.map((u) => u.message));
        const written = lost.size === 0 ? good : good.filter((g) => !lost.has(g.message));
        opts.onChunk({ written: written.map((g) => g.value), parsed: good.length, messages: chunk.length });
      }
      await heartbeat();
    }
  };
}

export interface BatchConsumerOptions<T> {
  kafka: Kafka;
  log: Logger;
  /** What the log calls this consumer ("price consumer"). */
  name: string;
  groupId: string;
  topic: string;
  /** Where a new group starts: the earliest offset (a first deployment, a rebuild) or the end. */
  fromBeginning: boolean;
  concurrency: number;
  sessionTimeoutMs?: number;
  /** How long a fetch waits for new messages (latency of a quiet topic). */
  maxWaitTimeInMs?: number;
  /** Called if the consumer crashes for good (KafkaJS gave up restarting it). */
  onFatal?: (err: Error) => void;
  /** Called after each group join with this member's partitions by topic (the bench waits on it). */
  onGroupJoin?: (assignment: Record<string, number[]>) => void;
  maxAttempts: number;
  retryBaseMs?: number;
  /** What is done with the topic's messages. */
  write: TopicWrite<T>;
}

export interface RunningBatchConsumer {
  consumer: Consumer;
  stop(): Promise<void>;
}

/** Joins the group and consumes until stopped. */
export async function startBatchConsumer<T>(opts: BatchConsumerOptions<T>): Promise<RunningBatchConsumer> {
  // A member that dies without leaving (SIGKILL) holds its partitions until the session times out.
  const sessionTimeout = opts.sessionTimeoutMs ?? 30_000;
  const consumer = opts.kafka.consumer({
    groupId: opts.groupId,
    sessionTimeout,
    heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
    ...(opts.maxWaitTimeInMs !== undefined ? { maxWaitTimeInMs: opts.maxWaitTimeInMs } : {}),
  });
  const [dlq] = await Promise.all([connectKafkaSender(opts.kafka), consumer.connect()]);
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    // A crash KafkaJS recovers from (it restarts the consumer) is a warning; one it does not, an error.
    opts.log[payload.restart ? 'warn' : 'error'](`${opts.name} crashed`, {
      error: payload.error.message,
      restart: payload.restart,
    });
    if (!payload.restart) opts.onFatal?.(payload.error);
  });
  const { onGroupJoin } = opts;
  if (onGroupJoin)
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => onGroupJoin(payload.memberAssignment));
  await consumer.subscribe({ topic: opts.topic, fromBeginning: opts.fromBeginning });
  const eachBatch = createBatchHandler({
    ...opts.write,
    log: opts.log,
    maxAttempts: opts.maxAttempts,
    retryBaseMs: opts.retryBaseMs,
    dlq,
    commit: (t, partition, offset) => consumer.commitOffsets([{ topic: t, partition, offset }]),
  });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: opts.concurrency,
    eachBatch,
  });
  return {
    consumer,
    async stop() {
      await consumer.disconnect();
      await dlq.close();
    },
  };
}
