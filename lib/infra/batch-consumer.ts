// The one way bourse runs a Kafka consumer group: manual commits (only after the handler's write),
// batches per partition, a dead-letter sender beside it, and a crash KafkaJS gives up on reported.
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { connectKafkaSender, type KafkaSender } from './kafka-sender';
import type { Logger } from './logger';

export interface BatchConsumerOptions {
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
  /** The eachBatch handler, given the dead-letter sender and the commit of an offset. */
  handler(deps: {
    dlq: KafkaSender;
    commit: (topic: string, partition: number, nextOffset: string) => Promise<void>;
  }): (payload: EachBatchPayload) => Promise<void>;
}

export interface RunningBatchConsumer {
  consumer: Consumer;
  stop(): Promise<void>;
}

/** Joins the group and consumes until stopped. */
export async function startBatchConsumer(opts: BatchConsumerOptions): Promise<RunningBatchConsumer> {
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
  const eachBatch = opts.handler({
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
