// The worker's order series: outcomes, lead time, verification.
import { Counter, Histogram, Registry } from 'prom-client';
import { VERIFICATION_BUCKETS, LEAD_TIME_BUCKETS } from './registry';
import type { OrderEvent } from '../../contracts/orders';

export type OrderOutcome = 'denied' | 'succeeded' | 'failed';
/** none for denied/succeeded; a failed order's kind: the verifier said no, the 60 s cut, or an error. */
export type FailureKind = 'none' | 'refusal' | 'timeout' | 'error';
export type VerificationResult = 'verified' | 'refused' | 'timeout' | 'error';

export interface OrderMetrics {
  outcomes: Counter<'outcome' | 'failure'>;
  leadTimeSeconds: Histogram<'outcome'>;
  verificationSeconds: Histogram<'result'>;
  /** Counts a final order event (outcome, failure kind) and its lead time receivedAt → now. */
  orderFinal(event: OrderEvent, now?: number): void;
}

/** A failed order's kind, from the reason the workflow recorded (workflows/buy-order.ts). */
export function failureKind(reason: string | undefined): FailureKind {
  if (reason === undefined) return 'error';
  if (/answered no/.test(reason)) return 'refusal';
  if (/timed out/.test(reason)) return 'timeout';
  return 'error';
}

export function createOrderMetrics(registry: Registry): OrderMetrics {
  const outcomes = new Counter({
    name: 'bourse_orders_final_total',
    help: 'Orders that reached a final status, by outcome and (failed orders) failure kind',
    labelNames: ['outcome', 'failure'],
    registers: [registry],
  });
  const leadTimeSeconds = new Histogram({
    name: 'bourse_order_lead_time_seconds',
    help: 'Order request received to final status, by outcome',
    labelNames: ['outcome'],
    buckets: LEAD_TIME_BUCKETS,
    registers: [registry],
  });
  const verificationSeconds = new Histogram({
    name: 'bourse_verification_duration_seconds',
    help: 'User verification calls, start to answer or cut, by result',
    labelNames: ['result'],
    buckets: VERIFICATION_BUCKETS,
    registers: [registry],
  });
  // Every outcome exported from the start at 0: rate() and increase() see the first order of each.
  for (const [outcome, failure] of [
    ['denied', 'none'],
    ['succeeded', 'none'],
    ['failed', 'refusal'],
    ['failed', 'timeout'],
    ['failed', 'error'],
  ] as const) {
    outcomes.inc({ outcome, failure }, 0);
  }
  return {
    outcomes,
    leadTimeSeconds,
    verificationSeconds,
    orderFinal(event, now = Date.now()) {
      const s = event.after;
      if (s.phase !== 'denied' && s.phase !== 'succeeded' && s.phase !== 'failed') return;
      outcomes.inc({ outcome: s.phase, failure: s.phase === 'failed' ? failureKind(s.reason) : 'none' });
      const received = Date.parse(s.receivedAt);
      if (Number.isFinite(received)) {
        leadTimeSeconds.observe({ outcome: s.phase }, Math.max(0, now - received) / 1000);
      }
    },
  };
}
