// Reading one `stock-prices` message: a usable tick (and the JSON the history stores), or the reason
// it can never be used (it goes to the dead-letter topic, never retried).
import type { KafkaMessage } from 'kafkajs';
import { priceTickSchema, type PriceTick } from '../../contracts/price-tick';
import { isWholeMinute } from '../../contracts/time';

/** A usable message: the tick, and the JSON the history stores for it. */
export type ParsedMessage = { ok: true; tick: PriceTick; json: string } | { ok: false; reason: string };

const TICK_FIELDS = Object.keys(priceTickSchema.shape).length;

/** Validates one `stock-prices` message; a message that fails here can never succeed (no retry). */
export function parseTickMessage(message: Pick<KafkaMessage, 'key' | 'value'>): ParsedMessage {
  if (message.value === null || message.value.length === 0)
    return { ok: false, reason: 'empty message value' };
  const text = message.value.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `value is not JSON: ${(err as Error).message}` };
  }
  const parsed = priceTickSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: `not a price tick: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    };
  }
  const tick = parsed.data;
  const ms = Date.parse(tick.minute);
  if (!isWholeMinute(ms)) return { ok: false, reason: `minute ${tick.minute} is not a whole minute` };
  const key = message.key?.toString('utf8');
  if (key !== undefined && key !== tick.stockId) {
    return {
      ok: false,
      reason: `message key ${JSON.stringify(key)} is not the tick's stockId ${tick.stockId}`,
    };
  }
  const minute = new Date(ms).toISOString();
  // The publisher's own messages are already what the history stores (the schema's fields only, the
  // minute in canonical form): stored as they came, not parsed-then-stringified again.
  if (minute === tick.minute && Object.keys(json as object).length === TICK_FIELDS) {
    return { ok: true, tick, json: text };
  }
  const normalised = { ...tick, minute };
  return { ok: true, tick: normalised, json: JSON.stringify(normalised) };
}
