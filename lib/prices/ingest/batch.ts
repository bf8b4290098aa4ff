// The price consumer's batch handler: Kafka `stock-prices` batches → Redis price history, offsets
// committed only after the write, unusable messages to `stock-prices.dlq` with the reason.
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { PriceTick } from '../../contracts/price-tick';
import { lastParsed } from '../../contracts/time';
import { sendDeadLetters, type DeadLetter } from '../../infra/dead-letters';
import { TOPICS } from '../../infra/kafka';
import type { KafkaSender } from '../../infra/kafka-sender';
import type { Logger } from '../../infra/logger';
import { deadLetterReason, type PriceIngestMetrics } from '../metrics';
import type { Redis } from '../../infra/redis';
import { writeTicks } from '../../store/price-history';
import { parseTickMessage } from './parse';

export interface PriceIngestOptions {
  redis: Redis;
  /** The process's Kafka sender, for the dead-letter topic (partitions handled at once share it). */
  dlq: KafkaSender;
  dlqTopic?: string;
  log: Logger;
  /** Attempts at a write Redis rejects before its messages go to the DLQ. */
  maxAttempts: number;
  retryBaseMs?: number;
  /** Messages written per Redis round trip (and per offset commit). */
  chunkSize?: number;
  /** Commits the offset after `offset` (the next to read); the caller's consumer.commitOffsets. */
  commit: (topic: string, partition: number, nextOffset: string) => Promise<void>;
  /** Counts ticks written, for metrics and the benchmark. */
  onWritten?: (count: number) => void;
  /** PRICE_HISTORY_RETENTION, ms (0 or absent: keep every minute). */
  retentionMs?: number;
  /** Ticks stored and their freshness by source, dead letters by reason. */
  metrics?: PriceIngestMetrics;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The eachBatch handler: chunk by chunk, write, dead-letter what cannot be used, then commit. */
export function createPriceBatchHandler(
  opts: PriceIngestOptions,
): (payload: EachBatchPayload) => Promise<void> {
  const chunkSize = opts.chunkSize ?? 2_000;
  const retryBaseMs = opts.retryBaseMs ?? 200;
  const dlqTopic = opts.dlqTopic ?? TOPICS.pricesDlq;

  /** Ticks stored, their freshness (minute → now) by source; one labelled child per source per chunk. */
  function observeStored(good: readonly { tick: PriceTick }[]): void {
    const m = opts.metrics;
    if (!m || good.length === 0) return;
    const nowMs = Date.now();
    const minuteMs = lastParsed();
    let source = good[0]!.tick.source;
    let fresh = m.freshnessSeconds.labels(source);
    let count = 0;
    for (const g of good) {
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

  async function deadLetter(topic: string, partition: number, letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    for (const l of letters) {
      opts.metrics?.deadLetters.inc({ topic, reason: deadLetterReason(l.reason) });
      opts.log.warn('price message dead-lettered', {
        topic,
        partition,
        offset: l.message.offset,
        key: l.message.key?.toString('utf8'),
        reason: l.reason,
        attempts: l.attempts,
      });
    }
    await sendDeadLetters(opts.dlq, dlqTopic, topic, partition, letters);
  }

  /** Writes the chunk's good ticks, retrying what Redis rejects; returns what never succeeded. */
  async function writeWithRetries(
    good: { tick: PriceTick; json: string; message: KafkaMessage }[],
  ): Promise<DeadLetter[]> {
    let pending = good;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const errors = await writeTicks(
        opts.redis,
        pending.map((g) => g.tick),
        pending.map((g) => g.json),
        opts.retentionMs,
      );
      const failed = pending.filter((g) => errors.get(g.tick.stockId));
      if (failed.length === 0) return [];
      const reasonOf = (g: (typeof failed)[number]) =>
        `Redis rejected the write: ${errors.get(g.tick.stockId)!.message}`;
      if (attempt >= opts.maxAttempts) {
        return failed.map((g) => ({ message: g.message, reason: reasonOf(g), attempts: attempt }));
      }
      opts.log.warn('price write rejected; retrying', {
        attempt,
        stocks: [...new Set(failed.map((g) => g.tick.stockId))],
        reason: reasonOf(failed[0]!),
      });
      await sleep(retryBaseMs * 2 ** (attempt - 1));
      pending = failed;
    }
    return [];
  }

  return async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
    const { topic, partition, messages } = batch;
    for (let i = 0; i < messages.length; i += chunkSize) {
      if (!isRunning() || isStale()) return;
      const chunk = messages.slice(i, i + chunkSize);
      const good: { tick: PriceTick; json: string; message: KafkaMessage }[] = [];
      const bad: DeadLetter[] = [];
      for (const message of chunk) {
        const parsed = parseTickMessage(message);
        if (parsed.ok) good.push({ tick: parsed.tick, json: parsed.json, message });
        else bad.push({ message, reason: parsed.reason, attempts: 1 });
      }
      // A Redis outage rejects here and KafkaJS redelivers from the last commit: nothing is lost, and
      // valid ticks are never dead-lettered for the store being down.
      const unwritten = await writeWithRetries(good);
      bad.push(...unwritten);
      await deadLetter(topic, partition, bad);
      observeStored(
        unwritten.length === 0 ? good : good.filter((g) => !unwritten.some((u) => u.message === g.message)),
      );
      const last = chunk[chunk.length - 1]!.offset;
      resolveOffset(last);
      await opts.commit(topic, partition, (BigInt(last) + 1n).toString());
      opts.onWritten?.(good.length);
      await heartbeat();
    }
  };
}
