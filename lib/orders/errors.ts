// Why the order service refused or could not answer, as values: the API maps each kind to its HTTP
// status (api/errors.ts); nothing here knows HTTP.

export type OrderErrorKind =
  | 'not_found' // no such order (or another user's)
  | 'gone' // the order ended abnormally
  | 'unprocessable' // the request names what cannot be traded (unknown user or stock, not watched)
  | 'conflict' // tradable, but not now (no fresh price, market closed, idempotency key reused)
  | 'unavailable' // Temporal or Redis did not answer in time
  | 'overloaded'; // the admission queue could not start it in time: nothing was started

import type { OrderRefusal } from '../contracts/orders';

export class OrderError extends Error {
  /** The error a refusal (the order's own check, or the API's precheck) is answered with. */
  static of(r: OrderRefusal): OrderError {
    return new OrderError(r.kind, r.code, r.message, r.field, r.details ?? {});
  }

  constructor(
    readonly kind: OrderErrorKind,
    readonly code: string,
    message: string,
    /** The request field at fault. */
    readonly field?: string,
    /** Facts the client can act on (the price's minute, the next opening, the order id). */
    readonly details: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = 'OrderError';
  }
}
