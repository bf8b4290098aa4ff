// Reading one `stock-prices` message: a usable tick (and the JSON the history stores), or the reason
// it can never be used (it goes to the dead-letter topic, never retried).
import type { KafkaMessage } from 'kafkajs';
import { priceTickSchema, readPriceTick, type PriceTick } from '../../contracts/price-tick';
import { isWholeMinute, lastParsed } from '../../contracts/time';

const minuteMs = lastParsed();

/** A usable message: the tick, and the JSON the history stores for it. */
export type ParsedMessage = { ok: true; tick: PriceTick; json: string } | { ok: false; reason: string };

/** Why the schema refuses `json` (zod's first issue): only asked for a message already refused. */
function schemaReason(json: unknown): string {
  const parsed = priceTickSchema.safeParse(json);
  const issue = parsed.success ? undefined : parsed.error.issues[0];
  return `not a price tick: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`;
}

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
  // The schema's verdict without zod (readPriceTick); zod only words the reason of a refusal.
  const tick = readPriceTick(json);
  if (!tick) return { ok: false, reason: schemaReason(json) };
  const ms = minuteMs(tick.minute);
  if (!isWholeMinute(ms)) return { ok: false, reason: `minute ${tick.minute} is not a whole minute` };
  const key = message.key?.toString('utf8');
  if (key !== undefined && key !== tick.stockId) {
    return {
      ok: false,
      reason: `message key ${JSON.stringify(key)} is not the tick's stockId ${tick.stockId}`,
    };
  }
  // The publisher's own messages are already what the history stores (the schema's fields only, the
  // minute in canonical form): stored as they came, not parsed-then-stringified again. A whole minute
  // the schema accepts is canonical (toISOString's YYYY-MM-DDTHH:MM:00.000Z) exactly when 24 long.
  if (tick === json && tick.minute.length === 24) return { ok: true, tick, json: text };
  const t = tick;
  const normalised: PriceTick = {
    stockId: t.stockId,
    minute: new Date(ms).toISOString(),
    price: t.price,
    last: t.last,
    open: t.open,
    low: t.low,
    high: t.high,
    yesterday: t.yesterday,
    trades: t.trades,
    volume: t.volume,
    value: t.value,
    source: t.source,
    fetchedAt: t.fetchedAt,
  };
  return { ok: true, tick: normalised, json: JSON.stringify(normalised) };
}
