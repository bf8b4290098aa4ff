// The Redis settings: one server or a cluster's nodes in REDIS_URL, the money-write policy, and the
// hash tags the cluster client groups pipelines by. No server: each client opened is disconnected at once.
import { ConfigError, loadConfig, redisUrlNodes } from '../../lib/infra/config';
import { loadStackConfig } from '../../scripts/stack/stack-config';
import { createRedis, isCluster, moneyWritePolicy } from '../../lib/infra/redis';
import { hashTag } from '../../lib/store/cluster';
import { orderKey, priceHistoryKey, userKey } from '../../lib/store/keys';

test('REDIS_URL names one server or the nodes of one cluster', () => {
  expect(redisUrlNodes('redis://127.0.0.1:6379')).toEqual([{ host: '127.0.0.1', port: 6379 }]);
  expect(redisUrlNodes('redis://:secret@redis-0:7000,redis-1:7001/0')).toEqual([
    { host: 'redis-0', port: 7000 },
    { host: 'redis-1', port: 7001 },
  ]);
  const cfg = loadStackConfig({ REDIS_URL: 'redis://127.0.0.1:21400,127.0.0.1:21401,127.0.0.1:21402' });
  expect(cfg.redisPort).toBe(21400);
  expect([cfg.REDIS_CLUSTER, cfg.REDIS_MONEY_REPLICAS, cfg.REDIS_MONEY_WAIT_TIMEOUT]).toEqual([
    'auto',
    'auto',
    1000,
  ]);
  expect(loadConfig({ REDIS_MONEY_REPLICAS: '2' }).REDIS_MONEY_REPLICAS).toBe(2);
});

test.each([
  ['REDIS_URL', 'redis://127.0.0.1:6379,'],
  ['REDIS_URL', 'redis://127.0.0.1:6379,:7000'],
  ['REDIS_URL', 'redis://a:b:c'],
  ['REDIS_CLUSTER', 'yes'],
  ['REDIS_MONEY_REPLICAS', 'one'],
  ['REDIS_MONEY_REPLICAS', '-1'],
  ['REDIS_MONEY_WAIT_TIMEOUT', '1'],
])('a bad %s = %j stops with a message naming the variable', (name, value) => {
  expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
  expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name} `));
});

test('several nodes (or REDIS_CLUSTER=on) open the cluster client, whose money writes wait for a replica', () => {
  const open = (env: Record<string, string>) => {
    const cfg = loadConfig(env);
    const r = createRedis(cfg);
    r.disconnect();
    return { cluster: isCluster(r), ...moneyWritePolicy(r) };
  };
  expect(open({ REDIS_URL: 'redis://127.0.0.1:1' })).toEqual({
    cluster: false,
    replicas: 0,
    timeoutMs: 1000,
  });
  expect(open({ REDIS_URL: 'redis://127.0.0.1:1,127.0.0.1:2' })).toEqual({
    cluster: true,
    replicas: 1,
    timeoutMs: 1000,
  });
  expect(
    open({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLUSTER: 'on', REDIS_MONEY_WAIT_TIMEOUT: '250ms' }),
  ).toEqual({
    cluster: true,
    replicas: 1,
    timeoutMs: 250,
  });
  expect(open({ REDIS_URL: 'redis://127.0.0.1:1,127.0.0.1:2', REDIS_MONEY_REPLICAS: '0' })).toMatchObject({
    cluster: true,
    replicas: 0,
  });
  expect(open({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_MONEY_REPLICAS: '1' })).toMatchObject({
    cluster: false,
    replicas: 1,
  });
});

test("a key's hash tag is what Redis Cluster hashes", () => {
  expect(hashTag(userKey('u1'))).toBe('user:u1');
  expect(hashTag(orderKey('u1', 'o1'))).toBe('user:u1');
  expect(hashTag(priceHistoryKey('778253364357513'))).toBe('stock:778253364357513');
  expect(hashTag('stocks:watchlist')).toBe('stocks:watchlist');
  expect(hashTag('{}x')).toBe('{}x');
});
