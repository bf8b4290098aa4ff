// The real consumer process (tsx workers/price-consumer.ts), SIGKILLed in the middle of its work and
// restarted: Redis ends with exactly one entry per (stock, minute) — nothing lost, nothing doubled.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Partitioners } from 'kafkajs';
import { createKafka, TOPICS } from '../../../lib/infra/kafka';
import { priceHistoryKey, priceIndexKey } from '../../../lib/store/keys';
import { readLatestTick, readPriceHistory } from '../../../lib/store/price-history';
import { simulatedTick } from '../../../lib/prices/sources/simulated';
import { createRedis } from '../../../lib/infra/redis';
import { ROOT } from '../../../scripts/stack/local-stack';
import { newGroupAtEnd, randomStockId, sleep, waitFor } from '../../support/price-helpers';
import { testConfig, testEnv } from '../../support/test-stack';

const cfg = testConfig();
const STOCKS = Array.from({ length: 40 }, randomStockId);
const MINUTES = 1_500; // 60,000 ticks
const t0 = Date.UTC(2025, 9, 8, 0, 0);
const minute = (i: number) => new Date(t0 + i * 60_000);

/** One node process with tsx as its loader (the tsx CLI would fork a child a SIGKILL cannot reach). */
function startConsumer(groupId: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'workers', 'price-consumer.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...testEnv(),
      PRICE_CONSUMER_GROUP: groupId,
      PRICE_CONSUMER_CONCURRENCY: '6',
      // The killed member's partitions are free again after this (6 s is the broker's minimum).
      PRICE_CONSUMER_SESSION_TIMEOUT: '6s',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((done) =>
    child.exitCode !== null || child.signalCode !== null ? done() : child.once('exit', () => done()),
  );

test('SIGKILL mid-batch, restart: exactly one entry per (stock, minute)', async () => {
  const kafka = createKafka(cfg);
  const redis = createRedis(cfg);
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const children: ChildProcess[] = [];
  const total = STOCKS.length * MINUTES;
  const stored = async () => {
    const p = redis.pipeline();
    for (const id of STOCKS) p.zcard(priceIndexKey(id));
    return ((await p.exec()) ?? []).reduce((n, [, c]) => n + Number(c), 0);
  };
  try {
    const groupId = await newGroupAtEnd(kafka);
    await producer.connect();
    for (let i = 0; i < MINUTES; i += 50) {
      const messages = [];
      for (let m = i; m < i + 50; m++) {
        for (const id of STOCKS)
          messages.push({ key: id, value: JSON.stringify(simulatedTick(id, minute(m))) });
      }
      await producer.send({ topic: TOPICS.prices, messages });
    }

    const produced = Date.now();
    const first = startConsumer(groupId);
    children.push(first);
    await waitFor('the first writes', async () => (await stored()) > 0, 90_000, 10);
    first.kill('SIGKILL');
    await exited(first);
    const atKill = await stored();
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(total); // it really died in the middle

    await sleep(500);
    expect(await stored()).toBe(atKill); // nothing moves while it is down

    const second = startConsumer(groupId);
    children.push(second);
    await waitFor('every tick', async () => (await stored()) === total, 90_000, 200);
    process.stderr.write(
      `[kill test] killed at ${atKill}/${total}; recovered ${((Date.now() - produced) / 1000).toFixed(1)} s after producing\n`,
    );

    for (const id of STOCKS) {
      expect(await redis.hlen(priceHistoryKey(id))).toBe(MINUTES);
      expect(await redis.zcard(priceIndexKey(id))).toBe(MINUTES);
      expect((await readLatestTick(redis, id))?.minute).toBe(minute(MINUTES - 1).toISOString());
    }
    const sample = await readPriceHistory(redis, STOCKS[0], minute(0), minute(MINUTES - 1));
    expect(sample.map((t) => [t.minute, t.price])).toEqual(
      Array.from({ length: MINUTES }, (_, i) => [
        minute(i).toISOString(),
        simulatedTick(STOCKS[0], minute(i)).price,
      ]),
    );
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map(exited));
    await producer.disconnect();
    redis.disconnect();
  }
});
