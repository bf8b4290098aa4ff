// The price consumer: Kafka `stock-prices` → Redis price history, through the one consumer loop
// (lib/infra/batch-consumer.ts): offsets committed only after the write, unusable messages to
// `stock-prices.dlq` with the reason. The process (workers/price-consumer.ts), the rebuild command
// and the tests all run this same code.
import type { Kafka } from 'kafkajs';
import type { PriceTick } from '../../contracts/price-tick';
import { lastParsed } from '../../contracts/time';
import { startBatchConsumer, type RunningBatchConsumer, type TopicWrite } from '../../infra/batch-consumer';
import { TOPICS } from '../../infra/kafka';
import type { Logger } from '../../infra/logger';
import type { Redis } from '../../infra/redis';
import { writeTicks } from '../../store/price-history';
import { deadLetterReason, type PriceIngestMetrics } from '../metrics';
import { parseTickMessage } from './parse';

export interface PriceConsumerOptions {
  kafka: Kafka;
  redis: Redis;
  log: Logger;
  groupId: string;
  topic?: string;
  concurrency: number;
  maxAttempts: number;
  /** Where a new group starts: the earliest offset (a first deployment, a rebuild) or the end. */
  fromBeginning: boolean;
  retryBaseMs?: number;
  sessionTimeoutMs?: number;
  /** Counts ticks written, for metrics and the benchmark. */
  onWritten?: (count: number) => void;
  /** Ticks stored and their freshness by source, dead letters by reason. */
  metrics?: PriceIngestMetrics;
  /** PRICE_HISTORY_RETENTION, ms (0 or absent: keep every minute). */
  retentionMs?: number;
  /** Called if the consumer crashes for good (KafkaJS gave up restarting it). */
  onFatal?: (err: Error) => void;
  /** How long a fetch waits for new messages (KafkaJS default 5 s). */
  maxWaitTimeInMs?: number;
  /** After each group join: this member's partitions by topic. */
  onGroupJoin?: (assignment: Record<string, number[]>) => void;
  /**
   * Called with each chunk's stored ticks before its offset is committed; a rejection redelivers the
   * chunk. The live consumer wakes the open limit orders a fresh tick crosses (lib/orders/limit-wake.ts).
   */
  afterStored?: (ticks: PriceTick[]) => Promise<unknown>;
}

export type RunningPriceConsumer = RunningBatchConsumer;

type StoredTick = { tick: PriceTick; json: string };

/** Ticks stored, their freshness (minute → now) by source; one labelled child per source per chunk. */
function observeStored(m: PriceIngestMetrics, stored: readonly StoredTick[]): void {
  if (stored.length === 0) return;
  const nowMs = Date.now();
  const minuteMs = lastParsed();
  let source = stored[0].tick.source;
  let fresh = m.freshnessSeconds.labels(source);
  let count = 0;
  for (const g of stored) {
    if (g.tick.source !== source) {
      m.ticksStored.inc({ source }, count);
      source = g.tick.source;
      fresh = m.freshnessSeconds.labels(source);
      count = 0;
    }
    count += 1;
    fresh.observe((nowMs - minuteMs(g.tick.minute)) / 1000);
  }
  m.ticksStored.inc({ source }, count);
  m.lastStoredSeconds.set(nowMs / 1000);
}

/** How the price consumer reads and writes `stock-prices`. */
export function priceTopicWrite(
  opts: Pick<PriceConsumerOptions, 'redis' | 'retentionMs' | 'metrics' | 'onWritten' | 'afterStored'>,
): TopicWrite<StoredTick> {
  const { metrics, onWritten } = opts;
  return {
    what: 'price message',
    dlqTopic: TOPICS.pricesDlq,
    chunkSize: 2_000,
    parse(message) {
      const parsed = parseTickMessage(message);
      return parsed.ok ? { ok: true, value: { tick: parsed.tick, json: parsed.json } } : parsed;
    },
    async write(items) {
      const errors = await writeTicks(
        opts.redis,
        items.map((g) => g.tick),
        items.map((g) => g.json),
        opts.retentionMs,
      );
      // Stored first, then what follows a store (the limit orders' wake-ups): its failure rejects the
      // whole write, so Kafka redelivers the chunk (the rewrite changes nothing).
      if (opts.afterStored)
        await opts.afterStored(items.filter((g) => !errors.get(g.tick.stockId)).map((g) => g.tick));
      return items.map((g) => errors.get(g.tick.stockId));
    },
    describeRejected: (items) => ({ stocks: [...new Set(items.map((g) => g.tick.stockId))] }),
    countDeadLetter: metrics
      ? (topic, reason) => metrics.deadLetters.inc({ topic, reason: deadLetterReason(reason) })
      : undefined,
    onChunk({ written, parsed }) {
      if (metrics) observeStored(metrics, written);
      onWritten?.(parsed);
    },
  };
}

/** Joins the group and consumes until stopped. */
export function startPriceConsumer(opts: PriceConsumerOptions): Promise<RunningPriceConsumer> {
  return startBatchConsumer({
    kafka: opts.kafka,
    log: opts.log,
    name: 'price consumer',
    groupId: opts.groupId,
    topic: opts.topic ?? TOPICS.prices,
    fromBeginning: opts.fromBeginning,
    concurrency: opts.concurrency,
    sessionTimeoutMs: opts.sessionTimeoutMs,
    onFatal: opts.onFatal,
    maxWaitTimeInMs: opts.maxWaitTimeInMs,
    onGroupJoin: opts.onGroupJoin,
    maxAttempts: opts.maxAttempts,
    retryBaseMs: opts.retryBaseMs,
    write: priceTopicWrite(opts),
  });
}
