// A chaos run counts every 5xx other than 503 as a violation: under faults the API may say "later",
// never "broken". Two fake APIs on local ports: the first answers 500, then 201 after its twin's 503.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Balancer } from '../../scripts/chaos/clients';
import { checkServerErrors } from '../../scripts/chaos/invariants';

const servers: Server[] = [];
const api = async (answers: [number, object][]) => {
  const server = createServer((_req, res) => {
    const [status, body] = answers.shift() ?? [200, {}];
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
afterAll(() => servers.forEach((s) => s.close()));

test('a 500 is a violation, a 503 passed on to the twin is not', async () => {
  const a = await api([
    [500, { error: 'internal', message: 'Internal error; the request id is in X-Request-Id' }],
    [201, { orderId: 'o1', status: 'In Progress' }],
  ]);
  const b = await api([[503, { error: 'unavailable', message: 'the order service did not answer in time' }]]);
  const lb = new Balancer([a, b]);
  const init = { json: { user: 'u', stockid: '1', quantity: 1 } };
  expect((await lb.order(init))?.status).toBe(500);
  expect((await lb.order(init))?.status).toBe(201);
  const inv = checkServerErrors(lb.answers, lb.serverErrors);
  expect(inv.checked).toBe(3);
  expect(inv.violations).toEqual([
    '1 × POST /orders: 500 internal: Internal error; the request id is in X-Request-Id',
  ]);
  expect(checkServerErrors(2, []).violations).toEqual([]);
});
