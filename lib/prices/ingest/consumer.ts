// The price consumer's core: Kafka `stock-prices` batches → Redis price history, offsets committed
// only after the write, unusable messages to `stock-prices.dlq` with the reason. The process
// (workers/price-consumer.ts), the rebuild command and the tests all run this same code.
import { type Consumer, type EachBatchPayload, type IHeaders, type Kafka, type KafkaMessage } from 'kafkajs';
import { TOPICS } from '../../infra/kafka';
import { connectKafkaSender, type KafkaSender } from '../../infra/kafka-sender';
import { latestPriceKey, priceHistoryKey, priceIndexKey } from '../../store/keys';
import type { Logger } from '../../infra/logger';
import { deadLetterReason, type PriceIngestMetrics } from '../../infra/metrics';
import { priceTickSchema, type PriceTick } from '../../contracts/price-tick';
import type { Redis } from '../../infra/redis';

/**
 * One atomic step per stock (its keys share the {stock:<id>} hash tag): every (minute, tick) of the
 * batch goes into the history hash and the minute index; "latest" is replaced only if the newest
 * minute written is now the newest minute known, so a late minute never overwrites a newer latest.
 * KEYS: history, index, latest. ARGV: (minute ISO, minute epoch ms, tick JSON) repeated.
 */
const RECORD_TICKS_LUA = `
local newest, newestMs = nil, -1
for i = 1, #ARGV, 3 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
  redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i])
  local ms = tonumber(ARGV[i + 1])
  if ms >= newestMs then newest, newestMs = ARGV[i + 2], ms end
end
local top = redis.call('ZREVRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if tonumber(top[2]) <= newestMs then redis.call('SET', KEYS[3], newest) end
return (#ARGV) / 3
`;

type RecordTicks = (history: string, index: string, latest: string, ...args: string[]) => Promise<number>;
type RedisWithRecord = Redis & { recordPriceTicks: RecordTicks };

function withRecordScript(redis: Redis): RedisWithRecord {
  const r = redis as RedisWithRecord;
  if (typeof r.recordPriceTicks !== 'function') {
    redis.defineCommand('recordPriceTicks', { numberOfKeys: 3, lua: RECORD_TICKS_LUA });
  }
  return r;
}

/**
 * Writes ticks, one script call per stock, all in one pipeline round trip. Resolves to one entry per
 * stock: null on success, or the error Redis answered for that stock's write. A connection-level
 * failure rejects instead (nothing is known to be written; the caller retries the whole batch).
 * `json[i]`, if given, is ticks[i] already serialised (parseTickMessage's `json`): not stringified again.
 */
export async function writeTicks(
  redis: Redis,
  ticks: readonly PriceTick[],
  json?: readonly string[],
): Promise<Map<string, Error | null>> {
  const r = withRecordScript(redis);
  const byStock = new Map<string, string[]>();
  for (let i = 0; i < ticks.length; i++) {
    const t = ticks[i]!;
    let args = byStock.get(t.stockId);
    if (!args) byStock.set(t.stockId, (args = []));
    args.push(t.minute, String(Date.parse(t.minute)), json?.[i] ?? JSON.stringify(t));
  }
  const pipeline = r.pipeline() as unknown as {
    recordPriceTicks: RecordTicks;
    exec(): Promise<[Error | null, unknown][] | null>;
  };
  const stocks = [...byStock.keys()];
  for (const id of stocks) {
    void pipeline.recordPriceTicks(
      priceHistoryKey(id),
      priceIndexKey(id),
      latestPriceKey(id),
      ...byStock.get(id)!,
    );
  }
  const results = await pipeline.exec();
  if (!results) throw new Error('Redis pipeline was discarded');
  return new Map(stocks.map((id, i) => [id, results[i]?.[0] ?? null]));
}

/** A usable message: the tick, and the JSON the history stores for it. */
export type ParsedMessage = { ok: true; tick: PriceTick; json: string } | { ok: false; reason: string };

const TICK_FIELDS = Object.keys(priceTickSchema.shape).length;

/** Validates one `stock-prices` message; a message that fails here can never succeed (no retry). */
export function parseTickMessage(message: Pick<KafkaMessage, 'key' | 'value'>): ParsedMessage {
  if (message.value === null || message.value.length === 0)
    return { ok: false, reason: 'empty message value' };
  const text = message.value.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `value is not JSON: ${(err as Error).message}` };
  }
  const parsed = priceTickSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: `not a price tick: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    };
  }
  const tick = parsed.data;
  const ms = Date.parse(tick.minute);
  if (ms % 60_000 !== 0) return { ok: false, reason: `minute ${tick.minute} is not a whole minute` };
  const key = message.key?.toString('utf8');
  if (key !== undefined && key !== tick.stockId) {
    return {
      ok: false,
      reason: `message key ${JSON.stringify(key)} is not the tick's stockId ${tick.stockId}`,
    };
  }
  const minute = new Date(ms).toISOString();
  // The publisher's own messages are already what the history stores (the schema's fields only, the
  // minute in canonical form): stored as they came, not parsed-then-stringified again.
  if (minute === tick.minute && Object.keys(json as object).length === TICK_FIELDS) {
    return { ok: true, tick, json: text };
  }
  const normalised = { ...tick, minute };
  return { ok: true, tick: normalised, json: JSON.stringify(normalised) };
}

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
  /** Ticks stored and their freshness by source, dead letters by reason. */
  metrics?: PriceIngestMetrics;
}

interface DeadLetter {
  message: KafkaMessage;
  reason: string;
  attempts: number;
}

const DLQ_MESSAGES_PER_SEND = 100;
const DLQ_TRUNCATE_BYTES = 64 * 1024;

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
      fresh.observe((nowMs - Date.parse(g.tick.minute)) / 1000);
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
    const toMessage = (l: DeadLetter, truncate: boolean) => {
      const cut = truncate && (l.message.value?.length ?? 0) > DLQ_TRUNCATE_BYTES;
      return {
        key: l.message.key,
        value: cut ? l.message.value!.subarray(0, DLQ_TRUNCATE_BYTES) : l.message.value,
        headers: {
          ...copyHeaders(l.message.headers),
          'dlq-reason': l.reason,
          'dlq-attempts': String(l.attempts),
          'dlq-source-topic': topic,
          'dlq-source-partition': String(partition),
          'dlq-source-offset': l.message.offset,
          'dlq-failed-at': new Date().toISOString(),
          ...(cut ? { 'dlq-value-truncated-to': String(DLQ_TRUNCATE_BYTES) } : {}),
        },
      };
    };
    // Small sends: a whole chunk of dead letters would exceed the broker's request size limit.
    for (let i = 0; i < letters.length; i += DLQ_MESSAGES_PER_SEND) {
      const slice = letters.slice(i, i + DLQ_MESSAGES_PER_SEND);
      try {
        await opts.dlq.send(
          dlqTopic,
          slice.map((l) => toMessage(l, false)),
        );
      } catch (err) {
        if ((err as { type?: string }).type !== 'MESSAGE_TOO_LARGE') throw err;
        // A letter too big to send with its headers would otherwise block the partition forever:
        // keep its reason and the start of its value.
        for (const l of slice) {
          await opts.dlq.send(dlqTopic, [toMessage(l, true)]);
        }
      }
    }
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

function copyHeaders(headers: IHeaders | undefined): IHeaders {
  const out: IHeaders = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

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
  onWritten?: (count: number) => void;
  metrics?: PriceIngestMetrics;
  /** Called if the consumer crashes for good (KafkaJS gave up restarting it). */
  onFatal?: (err: Error) => void;
}

export interface RunningPriceConsumer {
  consumer: Consumer;
  stop(): Promise<void>;
}

/** Joins the group and consumes until stopped. */
export async function startPriceConsumer(opts: PriceConsumerOptions): Promise<RunningPriceConsumer> {
  const topic = opts.topic ?? TOPICS.prices;
  // A member that dies without leaving (SIGKILL) holds its partitions until the session times out.
  const sessionTimeout = opts.sessionTimeoutMs ?? 30_000;
  const consumer = opts.kafka.consumer({
    groupId: opts.groupId,
    sessionTimeout,
    heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
  });
  const [dlq] = await Promise.all([connectKafkaSender(opts.kafka), consumer.connect()]);
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    opts.log.error('price consumer crashed', { error: payload.error.message, restart: payload.restart });
    if (!payload.restart) opts.onFatal?.(payload.error);
  });
  await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning });
  const eachBatch = createPriceBatchHandler({
    redis: opts.redis,
    dlq,
    log: opts.log,
    maxAttempts: opts.maxAttempts,
    retryBaseMs: opts.retryBaseMs,
    onWritten: opts.onWritten,
    metrics: opts.metrics,
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
