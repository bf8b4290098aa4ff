// Errors are values with a status and a message the user can act on; every one leaves the API as the
// same JSON shape: { error, message, field?, ...facts }.
import { OrderError, type OrderErrorKind } from '../lib/orders/errors';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
    /** Facts the client can act on, sent beside error and message. */
    readonly details: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }

  body(): Record<string, unknown> {
    return {
      error: this.code,
      message: this.message,
      ...(this.field ? { field: this.field } : {}),
      ...this.details,
    };
  }
}

export const badRequest = (field: string, message: string) =>
  new HttpError(400, 'invalid_request', message, field);
export const notFound = (message: string, field?: string) => new HttpError(404, 'not_found', message, field);
export const unavailable = (message: string) =>
  new HttpError(503, 'unavailable', message, undefined, { 'Retry-After': '5' });

const STATUS_OF: Record<OrderErrorKind, number> = {
  not_found: 404,
  gone: 410,
  unprocessable: 422,
  conflict: 409,
  unavailable: 503,
  overloaded: 503,
};

/** The HTTP form of the order service's refusals. */
export function httpErrorOf(err: OrderError): HttpError {
  const headers: Record<string, string> = {};
  if (err.kind === 'unavailable') headers['Retry-After'] = '5';
  if (err.kind === 'overloaded') headers['Retry-After'] = '1';
  if (typeof err.details.orderId === 'string') headers['X-Order-Id'] = err.details.orderId;
  return new HttpError(STATUS_OF[err.kind], err.code, err.message, err.field, headers, err.details);
}

export { OrderError };
