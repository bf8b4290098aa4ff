// Calling Temporal from the API with a hard deadline, and telling a permanent failure from a passing one.
import type { Client } from '@temporalio/client';
import { raceDeadline } from '../infra/deadline';

// gRPC codes that say the request itself is wrong (or the server misconfigured): retrying cannot help.
// INVALID_ARGUMENT, PERMISSION_DENIED, FAILED_PRECONDITION, UNIMPLEMENTED, UNAUTHENTICATED
const PERMANENT_GRPC_CODES = new Set([3, 7, 9, 12, 16]);

export function isPermanentRpcError(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return PERMANENT_GRPC_CODES.has(code);
  }
  return false;
}

/**
 * Runs a Temporal call with a gRPC deadline, and also answers when the deadline passes even if the
 * call has not given up yet (a lazy connection's first connect is not bounded by the call's deadline).
 * An abandoned call may still land later; that is harmless: a retry with the same key finds its order.
 */
export async function within<T>(temporal: Client, ms: number, call: () => Promise<T>): Promise<T> {
  return raceDeadline(
    ms,
    () => new Error(`no answer within ${ms} ms`),
    () => temporal.withDeadline(Date.now() + ms, call),
  );
}
