// User verification: the external service that decides a buy order. Two implementations: the default
// simulates the original challenge's verify_user (a random 1–100 s delay, then yes); the HTTP adapter
// asks a real verifier. Both stop the moment their abort signal fires.
import { z } from 'zod';
import type { Histogram } from 'prom-client';
import type { Config } from '../lib/infra/config';

export interface VerificationRequest {
  orderId: string;
  user: string;
}

export interface Verifier {
  readonly kind: 'simulated' | 'http';
  /** true = verified. Rejects when `signal` aborts (with the signal's reason) or the service errs. */
  verify(req: VerificationRequest, signal: AbortSignal): Promise<boolean>;
}

/** Sleeps a random delay in [minMs, maxMs], then answers yes, as the original verify_user did. */
export function createSimulatedVerifier(
  minMs: number,
  maxMs: number,
  random: () => number = Math.random,
): Verifier {
  return {
    kind: 'simulated',
    verify(_req, signal) {
      const delayMs = minMs + Math.floor(random() * (maxMs - minMs + 1));
      return new Promise<boolean>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason as Error); // abort()'s reason: an AbortError
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal.reason as Error);
        };
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve(true);
        }, delayMs);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

/** The verifier's answer to `POST <url>` with `{ orderId, user }`. */
const verifierAnswer = z.object({ verified: z.boolean() });

export class VerifierError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'VerifierError';
  }
}

/** Calls a real verifier over HTTP; the abort signal is handed to fetch, so a stalled call is cut. */
export function createHttpVerifier(url: string): Verifier {
  return {
    kind: 'http',
    async verify(req, signal) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(req),
        signal,
      });
      const text = await res.text();
      if (!res.ok) {
        // 5xx and 429 may pass; any other 4xx means our request is wrong and will stay wrong.
        const retryable = res.status >= 500 || res.status === 429;
        throw new VerifierError(`verifier answered HTTP ${res.status}: ${text.slice(0, 200)}`, retryable);
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new VerifierError(`verifier answered non-JSON: ${text.slice(0, 200)}`, true);
      }
      const parsed = verifierAnswer.safeParse(body);
      if (!parsed.success) {
        throw new VerifierError(`verifier answered an unexpected shape: ${text.slice(0, 200)}`, true);
      }
      return parsed.data.verified;
    },
  };
}

export function createVerifier(
  cfg: Pick<Config, 'VERIFIER_URL' | 'VERIFY_DELAY_MIN' | 'VERIFY_DELAY_MAX'>,
): Verifier {
  return cfg.VERIFIER_URL
    ? createHttpVerifier(cfg.VERIFIER_URL)
    : createSimulatedVerifier(cfg.VERIFY_DELAY_MIN, cfg.VERIFY_DELAY_MAX);
}

/**
 * The same verifier, each call's duration observed by result: verified, refused (answered no),
 * timeout (cut by its abort signal: the 60 s deadline, a cancel or a shutdown) or error.
 */
export function observedVerifier(verifier: Verifier, seconds: Histogram<'result'>): Verifier {
  return {
    kind: verifier.kind,
    async verify(req, signal) {
      const started = performance.now();
      const done = (result: string) => seconds.observe({ result }, (performance.now() - started) / 1000);
      try {
        const verified = await verifier.verify(req, signal);
        done(verified ? 'verified' : 'refused');
        return verified;
      } catch (err) {
        done(signal.aborted ? 'timeout' : 'error');
        throw err;
      }
    },
  };
}
