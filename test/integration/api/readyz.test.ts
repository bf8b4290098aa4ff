// /readyz checks Temporal, Kafka and Redis for real and names whichever is down.
import { startService, stopService, type ServiceName } from '../../../scripts/stack/local-stack';
import { startApi, type Api } from '../../support/app-harness';
import { testLog, testStackSpec } from '../../support/test-stack';

const spec = testStackSpec();
let api: Api;

beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

async function readyz(): Promise<{ status: number; body: { status: string; down: string[] } }> {
  const res = await fetch(`${api.url}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; down: string[] } };
}

test('/healthz answers while the process lives', async () => {
  const res = await fetch(`${api.url}/healthz`);
  expect(res.status).toBe(200);
});

test('/metrics serves Prometheus text with request counts by route', async () => {
  await fetch(`${api.url}/healthz`);
  const res = await fetch(`${api.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  expect(await res.text()).toMatch(
    /bourse_http_requests_total\{method="GET",route="\/healthz",status="200"\} [1-9]/,
  );
});

test('/readyz is 200 with every service up', async () => {
  expect(await readyz()).toEqual({
    status: 200,
    body: expect.objectContaining({ status: 'ready', down: [] }),
  });
});

test.each<ServiceName>(['redis', 'kafka', 'temporal'])(
  '/readyz says %s is down, with 503, and recovers when it is back',
  async (svc) => {
    await stopService(spec, svc, testLog);
    try {
      const started = Date.now();
      const r = await readyz();
      expect(r.status).toBe(503);
      expect(r.body).toEqual(expect.objectContaining({ status: 'unavailable', down: [svc] }));
      expect(Date.now() - started).toBeLessThan(10_000); // answers, never hangs
    } finally {
      await startService(spec, svc, testLog);
    }
    // Clients reconnect on their own; give them a moment.
    let last = await readyz();
    for (let i = 0; i < 40 && last.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 500));
      last = await readyz();
    }
    expect(last.status).toBe(200);
  },
);

test('an unknown path is a JSON 404; a known path with another method is a 405 with Allow', async () => {
  const missing = await fetch(`${api.url}/no-such-thing`);
  expect(missing.status).toBe(404);
  expect(await missing.json()).toEqual(expect.objectContaining({ error: 'not_found' }));
  const wrongMethod = await fetch(`${api.url}/healthz`, { method: 'POST' });
  expect(wrongMethod.status).toBe(405);
  expect(wrongMethod.headers.get('allow')).toMatch(/GET/);
  const deleteOrders = await fetch(`${api.url}/orders`, { method: 'DELETE' });
  expect(deleteOrders.status).toBe(405);
  expect(deleteOrders.headers.get('allow')).toBe('HEAD, GET, POST');
});
