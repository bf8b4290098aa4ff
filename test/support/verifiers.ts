// The verification services the tests, chaos and bench run against: a small HTTP server speaking the
// verifier's protocol (POST {orderId, user} → {verified}), with the answer scripted per test.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface VerifyRequest {
  orderId: string;
  user: string;
}

export interface VerifierServer {
  url: string;
  close(): Promise<void>;
}

/** Answers `verified` after `ms` (at once for 0), unless the caller hung up first. */
export function answerAfter(res: ServerResponse, verified: boolean, ms = 0): void {
  const answer = () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ verified }));
  };
  if (ms <= 0) return answer();
  const timer = setTimeout(answer, ms);
  res.on('close', () => clearTimeout(timer));
}

/** A verifier on a free local port; `handle` decides each answer (answerAfter, or never). */
export async function startVerifierServer(
  handle: (req: VerifyRequest, res: ServerResponse) => void,
): Promise<VerifierServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(JSON.parse(Buffer.concat(chunks).toString()) as VerifyRequest, res));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/verify`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/**
 * A verifier that answers by the user's prefix: `no-*` no, `slow-*` yes after SLOW_MS, `stall-*` never
 * (and records when the caller hangs up), `race-*` yes after 0–79 ms (a function of the order id: a
 * cancel sent meanwhile races it), anything else yes at once. A user put in `stalled` is answered as a
 * `stall-*` one from then on, whatever its prefix.
 */
export const SLOW_MS = 1_500;
export interface ScriptedVerifier extends VerifierServer {
  /** Order id → ms from request to the caller aborting it, for stalled calls. */
  aborted: Map<string, number>;
  requests: string[];
  /** Users whose calls stall from now on (a test that needs one undecided order of a user). */
  stalled: Set<string>;
}

export async function startScriptedVerifier(): Promise<ScriptedVerifier> {
  const aborted = new Map<string, number>();
  const requests: string[] = [];
  const stalled = new Set<string>();
  const server = await startVerifierServer(({ orderId, user }, res) => {
    requests.push(orderId);
    if (user.startsWith('stall-') || stalled.has(user)) {
      const started = Date.now();
      res.on('close', () => aborted.set(orderId, Date.now() - started));
    } else if (user.startsWith('no-')) answerAfter(res, false);
    else if (user.startsWith('slow-')) answerAfter(res, true, SLOW_MS);
    else if (user.startsWith('race-'))
      answerAfter(res, true, createHash('sha256').update(orderId).digest()[0] % 80);
    else answerAfter(res, true);
  });
  return { ...server, aborted, requests, stalled };
}

/**
 * A verifier that never dies and answers after 100–1500 ms; the answer is a pure function of the
 * order id (a retry gets the same), one in four a no.
 */
export function startHashedVerifier(): Promise<VerifierServer> {
  return startVerifierServer(({ orderId }, res) => {
    const h = createHash('sha256').update(orderId).digest();
    answerAfter(res, h[0] % 4 !== 0, 100 + (h[1] * 1_400) / 255);
  });
}
