// The two verifiers: the simulated original verify_user, and the HTTP adapter with its abort signal.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createHttpVerifier,
  createSimulatedVerifier,
  createVerifier,
  VerifierError,
} from '../../../activities/verifier';
import { testConfig } from '../../support/test-stack';

const req = { orderId: 'o-1', user: 'user2' };

test('simulated: answers yes after a delay drawn from [min, max]', async () => {
  const v = createSimulatedVerifier(100, 300, () => 0.5);
  const started = Date.now();
  await expect(v.verify(req, new AbortController().signal)).resolves.toBe(true);
  expect(Date.now() - started).toBeGreaterThanOrEqual(190);
});

test('simulated: stops at once when aborted', async () => {
  const ac = new AbortController();
  const started = Date.now();
  const answer = createSimulatedVerifier(100_000, 100_000).verify(req, ac.signal);
  setTimeout(() => ac.abort(new Error('timed out')), 50);
  await expect(answer).rejects.toThrow('timed out');
  expect(Date.now() - started).toBeLessThan(5_000);
});

test('the default is the simulated verifier with VERIFY_DELAY_MIN..MAX; VERIFIER_URL selects HTTP', () => {
  expect(createVerifier(testConfig()).kind).toBe('simulated');
  expect(createVerifier(testConfig({ VERIFIER_URL: 'http://127.0.0.1:1/verify' })).kind).toBe('http');
});

test('HTTP: posts the order, reads {verified}, refuses other answers, and aborts a stalled call', async () => {
  let closedEarly = false;
  const server = createServer((r, res) => {
    let body = '';
    r.on('data', (c: Buffer) => (body += c.toString()));
    r.on('end', () => {
      const { user } = JSON.parse(body) as { user: string };
      if (user === 'yes') res.end('{"verified":true}');
      else if (user === 'no') res.end('{"verified":false}');
      else if (user === 'bad') res.writeHead(400).end('nope');
      else if (user === 'down') res.writeHead(503).end('later');
      else res.on('close', () => (closedEarly = !res.writableEnded));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const v = createHttpVerifier(`http://127.0.0.1:${(server.address() as AddressInfo).port}/verify`);
  const signal = new AbortController().signal;
  try {
    await expect(v.verify({ ...req, user: 'yes' }, signal)).resolves.toBe(true);
    await expect(v.verify({ ...req, user: 'no' }, signal)).resolves.toBe(false);
    await expect(v.verify({ ...req, user: 'bad' }, signal)).rejects.toEqual(
      expect.objectContaining({ retryable: false }),
    );
    await expect(v.verify({ ...req, user: 'down' }, signal)).rejects.toBeInstanceOf(VerifierError);
    const ac = new AbortController();
    const stalled = v.verify({ ...req, user: 'stall' }, ac.signal);
    setTimeout(() => ac.abort(new Error('timed out')), 200);
    await expect(stalled).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 200));
    expect(closedEarly).toBe(true); // the server saw the call cut
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
