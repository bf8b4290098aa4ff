// Calling Temporal from the API with a hard deadline, and telling a permanent failure from a passing one.
import type { Client } from '@temporalio/client';
import { raceDeadline } from '../infra/deadline';

// gRPC codes that say the request itself is wrong (or the server misconfigured): retrying cannot help.
// INVALID_ARGUMENT, PERMISSION_DENIED, FAILED_PRECONDITION, UNIMPLEMENTED, UNAUTHENTICATED
const PERMANENT_GRPC_CODES = new Set([3, 7, 9, 12, 16]);

/** The gRPC status code of a failed call (looked for along its causes), if it has one. */
export function rpcCode(err: unknown): number | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

export function isPermanentRpcError(err: unknown): boolean {
  const code = rpcCode(err);
  return code !== undefined && PERMANENT_GRPC_CODES.has(code);
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
