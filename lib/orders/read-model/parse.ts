// Validates one Kafka `order-events` message: a message that fails here can never succeed (no retry),
// so it goes to the dead-letter topic with the reason.
import type { KafkaMessage } from 'kafkajs';
import { z } from 'zod';
import { ORDER_ID, STOCK_ID, USER_ID } from '../../contracts/ids';
import {
  ALL_STATUS_TEXTS,
  ORDER_SIDES,
  ORDER_STATUS_TEXT,
  TIMES_IN_FORCE,
  type OrderEvent,
  type OrderPhase,
} from '../../contracts/orders';

const phases = Object.keys(ORDER_STATUS_TEXT) as [OrderPhase, ...OrderPhase[]];

const orderStateSchema = z.object({
  orderId: z.string().regex(ORDER_ID),
  user: z.string().regex(USER_ID),
  stockId: z.string().regex(STOCK_ID),
  quantity: z.number().int().positive(),
  /** Absent in events recorded before sells existed: a buy. */
  side: z.enum(ORDER_SIDES).optional(),
  /** A limit order's terms; absent for a market order. */
  limit: z
    .object({
      limitPrice: z.number().int().positive(),
      timeInForce: z.enum(TIMES_IN_FORCE),
      expiresAt: z.iso.datetime(),
    })
    .optional(),
  phase: z.enum(phases),
  status: z.enum(ALL_STATUS_TEXTS),
  price: z.number().int().optional(),
  priceMinute: z.iso.datetime().optional(),
  amount: z.number().int().optional(),
  availableCredit: z.number().optional(),
  availableShares: z.number().optional(),
  reason: z.string().optional(),
  receivedAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

const orderEventSchema = z.object({
  eventId: z.string(),
  orderId: z.string().regex(ORDER_ID),
  seq: z.number().int().positive(),
  before: z.unknown(),
  after: orderStateSchema,
});

export type ParsedOrderEvent = { ok: true; event: OrderEvent } | { ok: false; reason: string };

export function parseOrderEventMessage(message: Pick<KafkaMessage, 'key' | 'value'>): ParsedOrderEvent {
  if (message.value === null || message.value.length === 0)
    return { ok: false, reason: 'empty message value' };
  let json: unknown;
  try {
    json = JSON.parse(message.value.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `value is not JSON: ${(err as Error).message}` };
  }
  const parsed = orderEventSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: `not an order event: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    };
  }
  const e = parsed.data;
  if (e.after.orderId !== e.orderId) {
    return { ok: false, reason: `after.orderId ${e.after.orderId} is not the event's orderId ${e.orderId}` };
  }
  if (e.eventId !== `${e.orderId}:${e.seq}`) {
    return { ok: false, reason: `eventId ${JSON.stringify(e.eventId)} is not "<orderId>:<seq>"` };
  }
  const key = message.key?.toString('utf8');
  if (key !== undefined && key !== e.orderId) {
    return {
      ok: false,
      reason: `message key ${JSON.stringify(key)} is not the event's orderId ${e.orderId}`,
    };
  }
  return { ok: true, event: { ...e, before: e.before as OrderEvent['before'] } };
}
