// GET /stocks/:id/prices and /stocks/:id/price over HTTP, against the real API and Redis.
import { writeTicks } from '../../../lib/store/price-history';
import { simulatedTick } from '../../../lib/prices/sources/simulated';
import { createRedis } from '../../../lib/infra/redis';
import { startApi, type Api } from '../../support/app-harness';
import { testConfig } from '../../support/test-stack';
import { randomStockId } from '../../support/price-helpers';

let api: Api;
const id = randomStockId();
const minute = (i: number) => new Date(Date.UTC(2025, 9, 8, 6, i));

beforeAll(async () => {
  api = await startApi();
  const redis = createRedis(testConfig());
  try {
    const errors = await writeTicks(
      redis,
      [0, 1, 2, 3, 4, 5].map((i) => simulatedTick(id, minute(i))),
    );
    expect(errors.get(id)).toBeNull();
  } finally {
    redis.disconnect();
  }
});
afterAll(async () => {
  await api.close();
});

const get = async (path: string) => {
  const res = await fetch(`${api.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

test('a range of minutes, inclusive, oldest first, with the prices recorded', async () => {
  const r = await get(`/stocks/${id}/prices?from=${minute(1).toISOString()}&to=${minute(3).toISOString()}`);
  expect(r.status).toBe(200);
  expect(r.body).toEqual({
    stockId: id,
    from: minute(1).toISOString(),
    to: minute(3).toISOString(),
    count: 3,
    prices: [1, 2, 3].map((i) =>
      expect.objectContaining({ minute: minute(i).toISOString(), price: simulatedTick(id, minute(i)).price }),
    ),
  });
});

test('the latest price', async () => {
  const r = await get(`/stocks/${id}/price`);
  expect(r).toEqual({
    status: 200,
    body: expect.objectContaining({ stockId: id, minute: minute(5).toISOString() }),
  });
});

test.each([
  ['/stocks/12345/prices', 400, 'id'],
  ['/stocks/12345/price', 400, 'id'],
  [`/stocks/${id}/prices?from=yesterday`, 400, 'from'],
  [`/stocks/${id}/prices?to=2025-10-08`, 400, 'to'],
  [`/stocks/${id}/prices?limit=5`, 400, 'limit'],
  [`/stocks/${randomStockId()}/prices`, 404, 'id'],
  [`/stocks/${randomStockId()}/price`, 404, 'id'],
])('GET %s → %i naming %s', async (path, status, field) => {
  const r = await get(path);
  expect(r.status).toBe(status);
  expect(r.body).toEqual(expect.objectContaining({ field, message: expect.any(String) }));
});

test('from after to is an empty range; more than 7 days is cut to the first 7 and says so', async () => {
  const empty = await get(`/stocks/${id}/prices?from=2025-10-08T07:00:00Z&to=2025-10-08T06:00:00Z`);
  expect(empty).toEqual({ status: 200, body: expect.objectContaining({ count: 0, prices: [] }) });
  const long = await get(`/stocks/${id}/prices?from=2025-10-01T00:00:00Z&to=2025-10-09T00:00:00Z`);
  expect(long.status).toBe(200);
  expect(long.body).toEqual(expect.objectContaining({ truncated: true, to: '2025-10-08T00:00:00.000Z' }));
});
