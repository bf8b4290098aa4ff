// buyOrder: every order, buy or sell, market or limit. The check and reservation (credit for a buy,
// shares for a sell) answer the caller through an Update; a limit order then waits, Open, on a durable
// timer for a crossing price's signal (or a cancel); the user verification runs with a hard
// start-to-close timeout and can be withdrawn by a cancel; then settle or release. Its result is the
// final state.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities/orders';
import {
  cancelOrderUpdate,
  crossesLimit,
  isFinal,
  ORDER_REFUSED,
  ORDER_SEARCH_KEYS,
  ORDER_STATUS_KEYWORD,
  placeOrderUpdate,
  priceCrossedSignal,
  queuedCancelReason,
  statusQuery,
  statusText,
  withOutcome,
  type BuyOrderInput,
  type OrderEvent,
  type OrderPhase,
  type OrderRefusal,
  type OrderState,
  type PriceCrossing,
} from '../lib/contracts/orders';

// Redis and Kafka steps: milliseconds each, so local activities (run by the worker inside the workflow
// task, no task-queue round trip: the check answers sooner and the server does less per order).
// Retried until they succeed; each is idempotent by order id.
const { reserveCredit, reserveShares, settleOrder, releaseCredit, fillLimitOrder } =
  proxyLocalActivities<OrderActivities>({
    startToCloseTimeout: '10s',
    retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s' },
  });
// A denied order's event as an activity task: it must not hold up the workflow task carrying the
// update's answer (a local activity finishes inside that task, and Kafka may be electing leaders).
const { publishOrderEvent } = proxyActivities<OrderActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s' },
});

// Versioning: orders live at most a verification (60 s) plus retries, so a deploy drains the old code
// path within minutes. A change to the commands this workflow issues goes behind `patched('<name>')`
// (and later `deprecatePatch`), so histories recorded before it replay (test/workflow/replay.test.ts).
// Limit orders added no patch: the market path issues the same commands as before, and the limit path
// is taken only by an input (`limit`) no earlier history has; the same holds for `canceledBy`.

export async function buyOrder(input: BuyOrderInput): Promise<OrderState> {
  const { orderId, user, stockId, quantity, verifyTimeoutMs, priceMaxAgeMs, limit } = input;
  const side = input.side ?? 'buy';
  let state: OrderState = {
    orderId,
    user,
    stockId,
    quantity,
    side,
    ...(limit ? { limit } : {}),
    phase: 'pending',
    status: statusText('pending', side),
    receivedAt: input.receivedAt,
    updatedAt: input.receivedAt,
  };
  let seq = 0;
  let refusal: OrderRefusal | undefined;
  /** Set by a cancel that came before the verification's answer was taken: the order ends Canceled. */
  let canceledBy: string | undefined;
  /** Once true, the verification's answer decides the order and a cancel comes too late. */
  let decided = false;
  let verification: CancellationScope | undefined;

  setHandler(statusQuery, () => state);
  // Early return: the caller waits for the check only, never for the verification. A refusal fails the
  // update with its reason, so the caller needs no second call to learn it.
  setHandler(placeOrderUpdate, async () => {
    await condition(() => state.phase !== 'pending' || refusal !== undefined);
    if (refusal)
      throw ApplicationFailure.create({
        type: ORDER_REFUSED,
        message: refusal.message,
        nonRetryable: true,
        details: [refusal],
      });
    return state;
  });
  setHandler(cancelOrderUpdate, async ({ by }) => {
    if (!decided && !isFinal(state.phase)) {
      canceledBy ??= by;
      verification?.cancel();
    }
    await condition(() => isFinal(state.phase) || refusal !== undefined);
    return state;
  });

  /** The next state and its event; `enter` makes it current (one OrderStatus upsert per change). */
  function next(
    phase: OrderPhase,
    patch: Partial<OrderState> = {},
  ): { after: OrderState; event: OrderEvent } {
    const after: OrderState = {
      ...state,
      ...patch,
      phase,
      status: statusText(phase, side),
      updatedAt: new Date().toISOString(),
    };
    seq += 1;
    return { after, event: { eventId: `${orderId}:${seq}`, orderId, seq, before: state, after } };
  }
  function enter(after: OrderState): void {
    state = after;
    upsertSearchAttributes([{ key: ORDER_SEARCH_KEYS.status, value: ORDER_STATUS_KEYWORD[after.phase] }]);
    setCurrentDetails(describe(after));
  }

  if (input.canceledBy !== undefined) {
    // Canceled while it waited on the burst intake: recorded Canceled, nothing checked or reserved.
    const canceled = next('canceled', { reason: queuedCancelReason(input.canceledBy) });
    enter(canceled.after);
    await publishOrderEvent(canceled.event);
    await condition(allHandlersFinished);
    return state;
  }

  const request = {
    orderId,
    user,
    stockId,
    quantity,
    priceMaxAgeMs,
    ...(limit ? { limitPrice: limit.limitPrice } : {}),
  };
  const check = side === 'sell' ? await reserveShares(request) : await reserveCredit(request);
  if (check.outcome === 'refused') {
    // No money moved; the update carries the reason, then the run fails with it, so a retry with the
    // same Idempotency-Key may try again (workflowIdReusePolicy ALLOW_DUPLICATE_FAILED_ONLY).
    refusal = check.refusal;
    await condition(allHandlersFinished);
    throw ApplicationFailure.create({
      type: ORDER_REFUSED,
      message: refusal.message,
      nonRetryable: true,
      details: [refusal],
    });
  }
  const { outcome: checkedOutcome, crossing: crossedAtOnce, ...checked } = check;
  if (checkedOutcome === 'denied') {
    // The answer leaves with this workflow task; the event follows on an activity.
    const denied = next('denied', checked);
    enter(denied.after);
    await publishOrderEvent(denied.event);
    await condition(allHandlersFinished);
    return state;
  }
  // The In Progress event rides on verifyUser (off the check's critical path) and again with the
  // final one on settleOrder/releaseCredit: two local-activity markers per order.
  let progress: { after: OrderState; event: OrderEvent };
  if (limit) {
    // Open: reserved at the limit and listed on the stock's book; waits for a crossing price's signal,
    // a cancel, or its time in force, on one durable timer (no polling).
    const open = next('open', checked);
    enter(open.after);
    let crossing: PriceCrossing | undefined = crossedAtOnce;
    setHandler(priceCrossedSignal, (c) => {
      // The first crossing while Open fills; a repeat or a price that does not cross changes nothing.
      if (crossing === undefined && state.phase === 'open' && crossesLimit(side, limit.limitPrice, c.price))
        crossing = c;
    });
    await publishOrderEvent(open.event);
    const waitMs = Math.max(1, Date.parse(limit.expiresAt) - Date.now());
    await condition(() => crossing !== undefined || canceledBy !== undefined, waitMs);
    const unlist = { stockId, side };
    if (crossing === undefined || canceledBy !== undefined) {
      decided = true;
      const end =
        canceledBy !== undefined
          ? next('canceled', { reason: `canceled by ${canceledBy}` })
          : next('expired', { reason: `not filled by ${limit.expiresAt} (${limit.timeInForce})` });
      const recorded = await releaseCredit({ orderId, user, publish: [end.event], unlist });
      enter(recorded && recorded.phase !== end.after.phase ? withOutcome(end.after, recorded) : end.after);
      await condition(allHandlersFinished);
      return state;
    }
    const filled = await fillLimitOrder({ orderId, user, stockId, side, quantity, crossing });
    progress = next('inProgress', filled);
  } else {
    progress = next('inProgress', checked);
  }
  enter(progress.after);

  // verifyUser: one window of verifyTimeoutMs (60 s by default) for the call and any quick retries
  // of transient errors inside it; a stalled call is cut at the deadline, never retried past it.
  const { verifyUser } = proxyActivities<OrderActivities>({
    startToCloseTimeout: verifyTimeoutMs,
    scheduleToCloseTimeout: verifyTimeoutMs,
    heartbeatTimeout: Math.min(10_000, verifyTimeoutMs),
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
  });
  let verified = false;
  let reason: string | undefined;
  if (canceledBy === undefined) {
    // A cancel cancels this scope: the activity learns it on its next heartbeat and aborts its call.
    verification = new CancellationScope();
    try {
      verified = await verification.run(() => verifyUser({ orderId, user, publish: [progress.event] }));
      if (!verified) reason = 'the verifier answered no';
    } catch (err) {
      if (!(isCancellation(err) && canceledBy !== undefined))
        reason = verificationFailureReason(err, verifyTimeoutMs);
    }
  }
  decided = true;

  // Never lost: verifyUser's send of the In Progress event is best effort (a Kafka outage must not fail
  // the order), so it goes again, in order, with the final one; the read model drops it by seq.
  const final =
    canceledBy !== undefined
      ? next('canceled', { reason: `canceled by ${canceledBy}` })
      : verified
        ? next('succeeded')
        : next('failed', { reason });
  const publish = [progress.event, final.event];
  const step = { orderId, user, publish };
  // The money step answers how the order ended as Redis recorded it: its own decision, or one an
  // earlier attempt of this workflow task made (a task retried after its local activity ran may see a
  // cancel and the verifier's answer in another order). That decision stands; undefined in histories
  // recorded before the step answered.
  const recorded = final.after.phase === 'succeeded' ? await settleOrder(step) : await releaseCredit(step);
  enter(recorded && recorded.phase !== final.after.phase ? withOutcome(final.after, recorded) : final.after);
  await condition(allHandlersFinished);
  return state;
}

function verificationFailureReason(err: unknown, timeoutMs: number): string {
  if (err instanceof ActivityFailure) {
    if (err.cause instanceof TimeoutFailure) return `verification timed out after ${timeoutMs} ms`;
    return `verification failed: ${err.cause?.message ?? err.message}`;
  }
  return `verification failed: ${(err as Error).message}`;
}

function describe(s: OrderState): string {
  const money = s.amount === undefined ? '' : ` at ${s.price} rials (${s.amount} rials)`;
  const verb = s.side === 'sell' ? 'sells' : 'buys';
  const limit = s.limit
    ? `, limit ${s.limit.limitPrice} ${s.limit.timeInForce} until ${s.limit.expiresAt}`
    : '';
  return `${s.user} ${verb} ${s.quantity} × ${s.stockId}${limit}${money}\n${s.status}${s.reason ? `\n${s.reason}` : ''}`;
}
