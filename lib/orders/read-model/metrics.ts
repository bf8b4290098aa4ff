// The order-events consumer's metrics: events handled and dead letters by reason (the same
// bourse_dead_letters_total series the price consumer exports, with topic="order-events").
import { Counter, type Registry } from 'prom-client';
import { deadLetterCounter } from '../../infra/metrics/dead-letters';
import { TOPICS } from '../../infra/kafka';

export interface OrderEventsMetrics {
  eventsHandled: Counter;
  deadLetters: Counter<'topic' | 'reason'>;
}

const REASONS = ['empty', 'not_json', 'invalid', 'key_mismatch', 'store_rejected', 'other'] as const;

/** A dead letter's reason as a label: a few fixed words, never the free text. */
export function orderDeadLetterReason(reason: string): (typeof REASONS)[number] {
  if (reason.startsWith('empty')) return 'empty';
  if (reason.startsWith('value is not JSON')) return 'not_json';
  if (reason.startsWith('message key')) return 'key_mismatch';
  if (/^(not an order event|eventId |after\.orderId )/.test(reason)) return 'invalid';
  if (reason.startsWith('Redis rejected')) return 'store_rejected';
  return 'other';
}

export function createOrderEventsMetrics(registry: Registry): OrderEventsMetrics {
  const m: OrderEventsMetrics = {
    eventsHandled: new Counter({
      name: 'bourse_order_events_handled_total',
      help: 'order-events messages the read-model consumer handled (applied, ignored as not newer, or dead-lettered)',
      registers: [registry],
    }),
    deadLetters: deadLetterCounter(registry, TOPICS.orderEvents, REASONS),
  };
  return m;
}
