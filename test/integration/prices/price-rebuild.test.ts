// `npm run prices:rebuild` (the real command): Redis loses a stock's history; the history and its
// latest price come back from the Kafka topic.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Partitioners } from 'kafkajs';
import { createKafka, TOPICS } from '../../../lib/infra/kafka';
import { latestPriceKey, priceHistoryKey, priceIndexKey } from '../../../lib/store/keys';
import { readLatestTick, readPriceHistory } from '../../../lib/store/price-history';
import { simulatedTick } from '../../../lib/prices/sources/simulated';
import { createRedis } from '../../../lib/infra/redis';
import { ROOT } from '../../../scripts/stack/local-stack';
import { randomStockId } from '../../support/price-helpers';
import { testConfig, testEnv } from '../../support/test-stack';

test('rebuilds a lost history from the topic, latest included', async () => {
  const cfg = testConfig();
  const redis = createRedis(cfg);
  const producer = createKafka(cfg).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const id = randomStockId();
  const minute = (i: number) => new Date(Date.UTC(2025, 9, 8, 6, i));
  try {
    await producer.connect();
    // Minutes out of order, one twice: the rebuilt history has each once and latest = minute 9.
    await producer.send({
      topic: TOPICS.prices,
      messages: [3, 9, 1, 5, 5, 7].map((i) => ({
        key: id,
        value: JSON.stringify(simulatedTick(id, minute(i))),
      })),
    });
    await redis.del(priceHistoryKey(id), priceIndexKey(id), latestPriceKey(id)); // Redis "lost"

    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'scripts', 'ops', 'rebuild-prices.ts')],
      {
        cwd: ROOT,
        env: { ...process.env, ...testEnv(), LOG_LEVEL: 'info' },
        encoding: 'utf8',
        timeout: 100_000,
      },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/"msg":"price history rebuilt"/);

    const history = await readPriceHistory(redis, id, minute(0), minute(10));
    expect(history.map((t) => [t.minute, t.price])).toEqual(
      [1, 3, 5, 7, 9].map((i) => [minute(i).toISOString(), simulatedTick(id, minute(i)).price]),
    );
    expect((await readLatestTick(redis, id))?.minute).toBe(minute(9).toISOString());
  } finally {
    await producer.disconnect();
    redis.disconnect();
  }
});
