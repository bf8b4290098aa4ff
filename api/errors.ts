// Errors are values with a status and a message the user can act on.
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (field: string, message: string) =>
  new HttpError(400, 'invalid_request', message, field);
export const notFound = (message: string, field?: string) => new HttpError(404, 'not_found', message, field);
export const unavailable = (message: string) =>
  new HttpError(503, 'unavailable', message, undefined, { 'Retry-After': '5' });
