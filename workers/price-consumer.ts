// The price consumer process: Kafka `stock-prices` → Redis price history.
import { createKafka } from '../lib/kafka';
import { runProcess } from '../lib/process';
import { createRedis } from '../lib/redis';

runProcess('price-consumer', async (cfg) => {
  const redis = createRedis(cfg);
  const kafka = createKafka(cfg);
  const admin = kafka.admin();
  await admin.connect();
  await redis.ping();
  return async () => {
    await admin.disconnect();
    redis.disconnect();
  };
});
