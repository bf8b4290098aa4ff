// buyOrder: credit check and reservation (answered to the caller through an Update), user
// verification with a hard start-to-close timeout, then settle or release. Its result is the final state.
import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities/orders';
import {
  ORDER_SEARCH_KEYS,
  ORDER_STATUS_KEYWORD,
  ORDER_STATUS_TEXT,
  placeOrderUpdate,
  statusQuery,
  type BuyOrderInput,
  type OrderEvent,
  type OrderPhase,
  type OrderState,
} from '../lib/contracts/orders';

// Redis and Kafka steps: milliseconds each, so local activities (run by the worker inside the workflow
// task, no task-queue round trip: the credit check answers sooner and the server does less per order).
// Retried until they succeed; each is idempotent by order id.
const { reserveCredit, settleOrder, releaseCredit, publishOrderEvent } =
  proxyLocalActivities<OrderActivities>({
    startToCloseTimeout: '10s',
    retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s' },
  });
// The same publish as an activity task: for an event that must not hold up the workflow task carrying
// the update's answer (a local activity finishes inside that task).
const { publishOrderEvent: publishAfterAnswer } = proxyActivities<OrderActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s' },
});

export async function buyOrder(input: BuyOrderInput): Promise<OrderState> {
  const { orderId, user, stockId, quantity, verifyTimeoutMs, priceMaxAgeMs } = input;
  let state: OrderState = {
    orderId,
    user,
    stockId,
    quantity,
    phase: 'pending',
    status: ORDER_STATUS_TEXT.pending,
    receivedAt: input.receivedAt,
    updatedAt: input.receivedAt,
  };
  let seq = 0;

  setHandler(statusQuery, () => state);
  // Early return: the caller waits for the credit check only, never for the verification.
  setHandler(placeOrderUpdate, async () => {
    await condition(() => state.phase !== 'pending');
    return state;
  });

  /**
   * The next state and its event; the search attribute and the details follow when `enter` makes it
   * current. One OrderStatus upsert per change (the UI finds orders by it); the status text and any
   * reason are in the current details, the query and the result, which cost the server nothing.
   */
  function next(
    phase: OrderPhase,
    patch: Partial<OrderState> = {},
  ): { after: OrderState; event: OrderEvent } {
    const after: OrderState = {
      ...state,
      ...patch,
      phase,
      status: ORDER_STATUS_TEXT[phase],
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
  /** Version 1 (and a denied order): the change, then its event by a local activity of its own. */
  async function moveTo(phase: OrderPhase, patch: Partial<OrderState> = {}): Promise<void> {
    const { after, event } = next(phase, patch);
    enter(after);
    await publishOrderEvent(event);
  }

  const credit = await reserveCredit({ orderId, user, stockId, quantity, priceMaxAgeMs });
  if (
    credit.outcome === 'unknown_user' ||
    credit.outcome === 'no_price' ||
    credit.outcome === 'no_fresh_price'
  ) {
    // The API checks these before starting an order; this is a race with a deleted user or a price
    // that went stale meanwhile. The update fails with the reason; no money moved.
    const message =
      credit.outcome === 'no_fresh_price' ? credit.message : `order ${orderId}: ${credit.outcome}`;
    throw ApplicationFailure.nonRetryable(message, credit.outcome);
  }
  const checked = {
    price: credit.price,
    ...(credit.priceMinute ? { priceMinute: credit.priceMinute } : {}),
    amount: credit.amount,
    availableCredit: credit.availableCredit,
  };
  if (credit.outcome === 'denied') {
    if ((input.version ?? 1) >= 3) {
      // Version 3: the answer leaves with this workflow task, and the event follows on an activity.
      // A local activity here held the answer until Kafka acknowledged the event (seconds while a
      // broker's partitions elect new leaders): the denied order's POST timed out behind it.
      const denied = next('denied', checked);
      enter(denied.after);
      await publishAfterAnswer(denied.event);
    } else {
      await moveTo('denied', checked);
    }
    await condition(allHandlersFinished);
    return state;
  }
  // Version 2 (input.version fixed at start, so a replay takes the path its history has): the In
  // Progress event is published by verifyUser (and again with the final one) and the final one by
  // settleOrder/releaseCredit — the
  // update answers right after the reservation, two local-activity markers per order instead of four.
  const v2 = (input.version ?? 1) >= 2;
  let progressEvent: OrderEvent | undefined;
  if (v2) {
    const progress = next('inProgress', checked);
    enter(progress.after);
    progressEvent = progress.event;
  } else {
    await moveTo('inProgress', checked);
  }

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
  try {
    verified = await verifyUser({ orderId, user, ...(progressEvent ? { publish: [progressEvent] } : {}) });
    if (!verified) reason = 'the verifier answered no';
  } catch (err) {
    reason = verificationFailureReason(err, verifyTimeoutMs);
  }

  if (!v2) {
    if (verified) {
      await settleOrder({ orderId, user });
      await moveTo('succeeded');
    } else {
      await releaseCredit({ orderId, user });
      await moveTo('failed', { reason });
    }
    await condition(allHandlersFinished);
    return state;
  }
  // Never lost: verifyUser's send of the In Progress event is best effort (a Kafka outage must not fail
  // the order), so it goes again, in order, with the final one; the read model drops it by seq when
  // it had it. One message more in the same send.
  const final = verified ? next('succeeded') : next('failed', { reason });
  const publish = [...(progressEvent ? [progressEvent] : []), final.event];
  if (verified) await settleOrder({ orderId, user, publish });
  else await releaseCredit({ orderId, user, publish });
  enter(final.after);
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
  return `${s.user} buys ${s.quantity} × ${s.stockId}${money}\n${s.status}${s.reason ? `\n${s.reason}` : ''}`;
}
