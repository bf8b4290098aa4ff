// Order ids: a random UUID, or, with an Idempotency-Key, one derived from (user, key) so a retried
// POST names the same order.
import { createHash, randomUUID } from 'node:crypto';

export function orderIdForIdempotencyKey(user: string, key: string): string {
  const h = createHash('sha256').update(`bourse-buy-order\0${user}\0${key}`).digest('hex');
  // Shaped as a UUID (version 8, "custom"), so every order id looks alike.
  const variant = ((parseInt(h[16], 16) & 3) | 8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const newOrderId = (user: string, idempotencyKey?: string): string =>
  idempotencyKey === undefined ? randomUUID() : orderIdForIdempotencyKey(user, idempotencyKey);
