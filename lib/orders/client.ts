// The order client: every Temporal call the API makes for orders. Start one with Update-with-Start
// (answered by its check, or refused with the reason the update carries), describe it, read its
// state, cancel it, wait for its result. Failures come out as OrderError values; nothing here speaks HTTP.
import {
  ApplicationFailure,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { BuyOrderInput, LimitTerms, OrderRefusal, OrderSide, OrderState } from '../contracts/orders';
import {
  BUY_ORDER_WORKFLOW_TYPE,
  buyOrderWorkflowId,
  cancelOrderUpdate,
  isFinal,
  ORDER_REFUSED,
  ORDER_SEARCH_KEYS,
  ORDER_STATUS_KEYWORD,
  placeOrderUpdate,
  statusQuery,
} from '../contracts/orders';
import { TASK_QUEUES } from '../contracts/task-queues';
import type { Config } from '../infra/config';
import type { Logger } from '../infra/logger';
import type { OrderDescription } from './description';
import { OrderError } from './errors';
import { FAILED_PRECONDITION, isPermanentRpcError, rpcCode, within } from './temporal-call';

/** An order request, validated: what the original BuyStock endpoint took, and its side. */
export interface OrderRequest {
  user: string;
  stockId: string;
  quantity: number;
  side: OrderSide;
  /** A limit order's terms; absent: a market order. */
  limit?: LimitTerms;
}

const notFound = (orderId: string) => new OrderError('not_found', 'not_found', `no order ${orderId}`, 'id');
const unavailable = (orderId: string, err: unknown, what: string) =>
  new OrderError(
    'unavailable',
    'unavailable',
    `${what}: ${(err as Error)?.message ?? err}. Retry with the same Idempotency-Key to find this order.`,
    undefined,
    { orderId },
  );

/** The refusal a placeOrder update failed with, as the order error the API answers; else undefined. */
function refusalOf(err: unknown): OrderError | undefined {
  const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
  if (!(cause instanceof ApplicationFailure) || cause.type !== ORDER_REFUSED) return undefined;
  const r = cause.details?.[0] as OrderRefusal | undefined;
  return r ? OrderError.of(r) : undefined;
}

/**
 * Each buy order's workflow task timeout. The money steps run as local activities inside the task,
 * and through a Redis master's failover one takes 5–9 s; the worker keeps the task alive by
 * heartbeating it at 80 % of this timeout. At 3 s that left 0.6 s for the heartbeat to reach the
 * server, which a loaded host missed: the task timed out, its next attempts ran the step again and
 * timed out too, and from the third attempt the server refused every retry's update
 * (FAILED_PRECONDITION "Workflow Task in failed state"), for tens of seconds. At 10 s the margin is
 * 2 s; the price is that a worker killed while holding an order's first task delays that order by
 * up to 10 s (docs/reliability.md).
 */
export const ORDER_WORKFLOW_TASK_TIMEOUT = '10s';

export function createOrderClient(deps: {
  cfg: Pick<Config, 'ORDER_START_TIMEOUT' | 'VERIFY_TIMEOUT' | 'PRICE_MAX_AGE'>;
  log: Logger;
  temporal: Client;
}) {
  const { cfg, log, temporal } = deps;
  const handleOf = (orderId: string) =>
    temporal.workflow.getHandle<() => Promise<OrderState>>(buyOrderWorkflowId(orderId));

  /** The workflow's description (no worker needed), if `readerUser` may see it (undefined: anyone). */
  async function describe(orderId: string, readerUser?: string): Promise<OrderDescription> {
    try {
      const desc = await within(temporal, cfg.ORDER_START_TIMEOUT, () => handleOf(orderId).describe());
      if (desc.type !== BUY_ORDER_WORKFLOW_TYPE) throw notFound(orderId);
      // Another user's order is a 404, the same answer as for one that does not exist: ids leak nothing.
      if (readerUser !== undefined && desc.typedSearchAttributes.get(ORDER_SEARCH_KEYS.user) !== readerUser) {
        throw notFound(orderId);
      }
      return desc;
    } catch (err) {
      if (err instanceof OrderError) throw err;
      if (err instanceof WorkflowNotFoundError) throw notFound(orderId);
      throw unavailable(orderId, err, 'the order service did not answer in time');
    }
  }

  /** The order's current state: its result once finished (no worker needed), else its status query. */
  async function read(orderId: string, readerUser?: string): Promise<OrderState> {
    const desc = await describe(orderId, readerUser);
    const handle = handleOf(orderId);
    try {
      return await within(temporal, cfg.ORDER_START_TIMEOUT, async () => {
        if (desc.status.name === 'COMPLETED') return handle.result();
        if (desc.status.name === 'RUNNING') return handle.query(statusQuery);
        throw new OrderError(
          'gone',
          'order_aborted',
          `order ${orderId} ended abnormally (${desc.status.name})`,
          'id',
        );
      });
    } catch (err) {
      if (err instanceof OrderError) throw err;
      if (err instanceof WorkflowNotFoundError) throw notFound(orderId);
      throw unavailable(orderId, err, 'the order service did not answer in time');
    }
  }

  /** Update-with-Start within `timeoutMs`: the answer is the check's (credit for a buy, shares for a sell). */
  async function start(
    orderId: string,
    req: OrderRequest,
    timeoutMs: number,
    receivedAt: Date,
    /** Canceled while queued on the intake: the order starts only to record that it ended Canceled. */
    canceledBy?: string,
  ): Promise<OrderState> {
    const input: BuyOrderInput = {
      orderId,
      user: req.user,
      stockId: req.stockId,
      quantity: req.quantity,
      verifyTimeoutMs: cfg.VERIFY_TIMEOUT,
      priceMaxAgeMs: cfg.PRICE_MAX_AGE,
      receivedAt: receivedAt.toISOString(),
      // Absent for a buy: the input orders have always had.
      ...(req.side === 'sell' ? { side: req.side } : {}),
      ...(req.limit ? { limit: req.limit } : {}),
      ...(canceledBy !== undefined ? { canceledBy } : {}),
    };
    const limitText = req.limit ? ` at ${req.limit.limitPrice} or better (${req.limit.timeInForce})` : '';
    const summary = `${req.user} ${req.side === 'sell' ? 'sells' : 'buys'} ${req.quantity} × ${req.stockId}${limitText}`;
    const startWorkflowOperation = new WithStartWorkflowOperation(BUY_ORDER_WORKFLOW_TYPE, {
      workflowId: buyOrderWorkflowId(orderId),
      taskQueue: TASK_QUEUES.orders,
      args: [input],
      // A retry finds the running order; a completed order's id is never reused for a second one. A
      // run that failed (the workflow's own check refused it: a price gone stale or a user deleted
      // since the API's precheck, a sell of a stock never held; no money moved) is no order: a retry with the same
      // Idempotency-Key makes a fresh attempt instead of reading a failed run (410) forever. Every
      // money step is keyed by the order id, so even a run failed for another reason cannot move
      // money twice.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      // Long enough for the worker's heartbeat of a task whose money step waits out a Redis failover
      // (see ORDER_WORKFLOW_TASK_TIMEOUT).
      workflowTaskTimeout: ORDER_WORKFLOW_TASK_TIMEOUT,
      typedSearchAttributes: [
        { key: ORDER_SEARCH_KEYS.user, value: req.user },
        { key: ORDER_SEARCH_KEYS.stock, value: req.stockId },
        { key: ORDER_SEARCH_KEYS.quantity, value: req.quantity },
        { key: ORDER_SEARCH_KEYS.status, value: ORDER_STATUS_KEYWORD.pending },
        { key: ORDER_SEARCH_KEYS.side, value: req.side },
        { key: ORDER_SEARCH_KEYS.type, value: req.limit ? 'limit' : 'market' },
      ],
      memo: {
        summary,
        user: req.user,
        stockId: req.stockId,
        quantity: req.quantity,
        side: req.side,
        type: req.limit ? 'limit' : 'market',
        // A limit's terms, so an order's state can be told from its description alone (no worker).
        ...(req.limit ? { limit: req.limit } : {}),
      },
      staticSummary: summary,
      staticDetails: `${req.side === 'sell' ? 'Sell' : 'Buy'}${req.limit ? ' limit' : ''} order ${orderId}: ${summary}, received ${input.receivedAt} through the API.`,
    });
    try {
      return await within(temporal, timeoutMs, () =>
        temporal.workflow.executeUpdateWithStart(placeOrderUpdate, {
          startWorkflowOperation,
          // One update id per attempt, not per order: the server answers a closed run's completed update
          // again for its id, so a retry after a refusal would get the refusal back instead of a fresh
          // run. The handler only reads the check's answer, so a retry's own update costs nothing more.
          updateId: `place-${orderId}-${randomUUID()}`,
        }),
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return read(orderId);
      // The workflow's own check refused it: the update carries the reason.
      const refusal = refusalOf(err);
      if (refusal) throw refusal;
      if (isPermanentRpcError(err)) throw err; // a bug or misconfiguration: 500, not "retry later"
      log.warn('order not started', { orderId, err, stack: (err as Error)?.stack });
      throw unavailable(orderId, err, 'the order service did not answer in time');
    }
  }

  /**
   * Withdraws the order if it is not decided yet: answers its final state, Canceled, or the final
   * state it already had or reached first (the caller answers that as order_final). One update id per
   * order, so a second cancel attaches to the first; a closed order answers its result.
   */
  async function cancel(orderId: string, by: string, readerUser?: string): Promise<OrderState> {
    await describe(orderId, readerUser);
    const deadline = Date.now() + cfg.ORDER_START_TIMEOUT;
    for (let attempt = 1; ; attempt++) {
      try {
        return await within(temporal, Math.max(1, deadline - Date.now()), () =>
          handleOf(orderId).executeUpdate(cancelOrderUpdate, {
            args: [{ by }],
            updateId: `cancel-${orderId}`,
          }),
        );
      } catch (err) {
        if (err instanceof OrderError) throw err;
        // Closed meanwhile (or before: an update cannot reach a closed run): its result is the answer.
        if (err instanceof WorkflowNotFoundError || err instanceof WorkflowUpdateFailedError) {
          const state = await read(orderId, readerUser);
          if (isFinal(state.phase)) return state;
        }
        // The workflow task the update rode on was failed by the server (the order completing in the
        // same moment, or a worker lost): the server asks for the update again.
        if (rpcCode(err) === FAILED_PRECONDITION && Date.now() + 50 * attempt < deadline) {
          await new Promise((r) => setTimeout(r, 50 * attempt));
          continue;
        }
        if (isPermanentRpcError(err)) throw err;
        throw unavailable(orderId, err, 'the order service did not answer in time');
      }
    }
  }

  /**
   * Parks on the workflow's completion (the SDK's long poll for the close event) until `signal` aborts.
   * Resolves with the final state, or undefined when the wait was cut.
   */
  async function awaitResult(orderId: string, signal: AbortSignal): Promise<OrderState | undefined> {
    try {
      return await temporal.withAbortSignal(signal, () => handleOf(orderId).result());
    } catch (err) {
      if (signal.aborted) return undefined;
      if (err instanceof WorkflowNotFoundError) throw notFound(orderId);
      if (err instanceof WorkflowFailedError) {
        throw new OrderError(
          'gone',
          'order_aborted',
          `order ${orderId} ended abnormally: ${err.message}`,
          'id',
        );
      }
      throw unavailable(orderId, err, 'the order service did not answer');
    }
  }

  return { describe, read, start, cancel, awaitResult };
}

export type OrderClient = ReturnType<typeof createOrderClient>;
