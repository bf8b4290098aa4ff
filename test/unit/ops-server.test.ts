// The ops server: /metrics, /healthz, /readyz over real HTTP; a taken port falls back to a free one.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../lib/infra/logger';
import { createRegistry } from '../../lib/infra/metrics';
import { startOpsServer } from '../../lib/infra/ops-server';

test('serves the registry, liveness and readiness; a taken port falls back to a free one', async () => {
  const squatter = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => squatter.once('listening', r));
  const taken = (squatter.address() as AddressInfo).port;
  const lines: string[] = [];
  let ready = false;
  const ops = await startOpsServer({
    host: '127.0.0.1',
    port: taken,
    registry: createRegistry(),
    ready: async () => ({ ready, checks: { redis: ready } }),
    log: createLogger('ops-test', 'info', {}, (l) => lines.push(l)),
  });
  try {
    expect(ops.port).not.toBe(taken);
    expect(lines.join('')).toContain('ops port taken');
    const base = `http://127.0.0.1:${ops.port}`;
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^process_cpu_user_seconds_total /m);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, checks: { redis: false } });
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  } finally {
    await ops.close();
    squatter.close();
  }
});
