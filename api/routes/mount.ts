// Binds a handler to its operation (lib/contracts/http): the route, the access guard and the input
// validation come from the operation, so a handler only turns valid input into an answer.
import type Router from '@koa/router';
import type Koa from 'koa';
import { operation, type OperationId, type OperationOf } from '../../lib/contracts/http';
import type { OperationInput } from '../../lib/contracts/http/operation';
import { guard } from '../auth';
import { HttpError } from '../errors';
import { readInput } from '../validate';
import type { RouteDeps } from './deps';

/** A handler of operation `Id`: its input typed by the operation's schemas. */
export type Handler<Id extends OperationId> = (
  ctx: Koa.Context,
  input: OperationInput<OperationOf<Id>>,
) => Promise<void> | void;

export function mount<Id extends OperationId>(
  router: Router,
  deps: RouteDeps,
  operationId: Id,
  handler: Handler<Id>,
): void {
  const op = operation(operationId);
  router[op.method](op.path, ...guard(op.access, deps.cfg, deps.authRedis), async (ctx) => {
    await handler(ctx, await readInput(ctx, op));
  });
}

/** A store call: the store down or unreachable is a 503 the client can retry, never a 500. */
export async function fromStore<T>(read: () => Promise<T>, what = 'the store (Redis)'): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof HttpError || (err as Error).name === 'ReplyError') throw err;
    throw new HttpError(503, 'unavailable', `${what} is unavailable: ${(err as Error).message}`, undefined, {
      'Retry-After': '5',
    });
  }
}
