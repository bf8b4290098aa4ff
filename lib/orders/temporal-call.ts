// Calling Temporal from the API with a hard deadline, and telling a permanent failure from a passing one.
import type { Client } from '@temporalio/client';
import { raceDeadline } from '../infra/deadline';

// gRPC codes that say the request itself is wrong (or the server misconfigured): retrying cannot help.
// INVALID_ARGUMENT, PERMISSION_DENIED, FAILED_PRECONDITION, UNIMPLEMENTED, UNAUTHENTICATED
const PERMANENT_GRPC_CODES = new Set([3, 7, 9, 12, 16]);
export const FAILED_PRECONDITION = 9;

/**
 * FAILED_PRECONDITIONs that heal by themselves: the server refuses an update (and an Update-with-Start
 * on a running order: "Update-with-Start could not be executed") while the workflow's task has failed or
 * timed out twice in a row (attempt ≥ 3: a worker killed holding it, a task slower than its timeout on a
 * busy machine), until a worker completes the task; an update whose workflow task failed under it
 * ("unexpected workflow task failure": a cancel while a worker was killed); or while the workflow is
 * closing. A retry later finds the order: 503, not 500.
 */
const PASSING_PRECONDITION =
  /workflow task in failed state|unexpected workflow task failure|workflow is closing/i;

/** The chain of a failed call's causes (the SDK wraps the server's error), outermost first. */
function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

/** The gRPC status code of a failed call (looked for along its causes), if it has one. */
export function rpcCode(err: unknown): number | undefined {
  const code = causes(err)
    .map((e) => (e as { code?: unknown }).code)
    .find((c) => typeof c === 'number');
  return code;
}

export function isPermanentRpcError(err: unknown): boolean {
  const code = rpcCode(err);
  // The reason may sit on any link (a multi-operation failure's detail names the operation's own), so
  // all of their texts are read.
  const said = causes(err).map((e) => {
    const details = (e as { details?: unknown }).details; // a gRPC ServiceError's text
    return `${(e as Error).message} ${typeof details === 'string' ? details : ''}`;
  });
  if (code === FAILED_PRECONDITION && said.some((m) => PASSING_PRECONDITION.test(m))) return false;
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
