// The long poll of an order's result (GET /orders/:id/result): parked on the read model's wake-up
// (Redis pub/sub, read-model/final-notifier.ts) and on the workflow's close (Temporal), answered by
// whichever comes first, or by the current state when the wait ends. Nothing here speaks HTTP.
import type { OrderClient } from './client';
import { stateFromDescription, type OrderDescription } from './description';
import { OrderError } from './errors';
import type { OrderIntake } from './intake';
import type { FinalNotifier } from './read-model/final-notifier';
import { orderView, type OrderView } from './view';

export interface OrderResultWait {
  orderId: string;
  /** The user whose orders the caller may read; undefined for an operator (any order). */
  reader: string | undefined;
  /** How long to wait for the final view, already clamped by the caller. */
  waitMs: number;
  /** Aborted when the caller no longer wants the answer (the client went away). */
  signal: AbortSignal;
}

export interface OrderResult {
  /** The final view, or the current state when the wait ran out or the process is stopping. */
  view: OrderView;
  waitedMs: number;
}

/** How often a long poll on a queued order looks whether it left the queue (a refusal wakes it at once). */
const QUEUED_RECHECK_MS = 5_000;

export function createOrderResultWaiter(deps: {
  orders: OrderClient;
  intake: OrderIntake;
  finals: FinalNotifier;
  /** Aborted when the process begins a graceful stop: waits then answer the current state at once. */
  stopping?: AbortSignal;
}) {
  const { orders, intake, finals, stopping } = deps;

  /**
   * The order's state for `reader`: a queued order's (its check not run yet, or Canceled before its
   * turn) from the intake, one refused at its turn as its refusal, any other from Temporal. A queued
   * order is found under its user's key, so an operator (`reader` undefined) finds it once it has started.
   */
  async function read(orderId: string, reader: string | undefined) {
    // Queued: its workflow may exist already (a direct start that came too late), its check not run.
    const queued =
      reader === undefined
        ? undefined
        : await intake.queuedOrderState(reader, orderId).catch(() => undefined);
    if (queued) return queued;
    try {
      return await orders.read(orderId, reader);
    } catch (err) {
      throw await refusalOr(err, orderId, reader);
    }
  }

  /** For an order of `reader` not found or failed: its refusal at its turn, if the intake refused it; else `err`. */
  async function refusalOr(err: unknown, orderId: string, reader: string | undefined): Promise<unknown> {
    const notThere = err instanceof OrderError && (err.kind === 'not_found' || err.kind === 'gone');
    if (!notThere || reader === undefined) return err;
    const refused = await intake.refusal(reader, orderId).catch(() => undefined);
    return refused ? OrderError.of(refused) : err;
  }

  /**
   * A queued order's wait: on its final view (the read model's wake-up), its refusal or its cancel,
   * looking every few seconds whether it left the queue. Answers the final view (Canceled at once for a
   * cancel before its turn), its queued state when the wait ran out, or undefined once it has started
   * (the caller waits on as for any order).
   */
  async function whileQueued(
    { orderId, reader, signal }: OrderResultWait & { reader: string },
    until: number,
  ): Promise<OrderView | undefined> {
    for (;;) {
      const [queued, refused] = await Promise.all([
        intake.queuedOrderState(reader, orderId),
        intake.refusal(reader, orderId),
      ]);
      if (refused) throw OrderError.of(refused);
      if (!queued) return undefined;
      const left = until - Date.now();
      if (queued.phase === 'canceled' || left <= 0 || signal.aborted || stopping?.aborted)
        return orderView(queued);
      const slice = new AbortController();
      const timer = setTimeout(() => slice.abort(), Math.min(left, QUEUED_RECHECK_MS));
      const cut = () => slice.abort();
      signal.addEventListener('abort', cut, { once: true });
      stopping?.addEventListener('abort', cut, { once: true });
      try {
        const final = await finals.waitFinal(reader, orderId, slice.signal);
        if (final) return final;
      } finally {
        clearTimeout(timer);
        signal.removeEventListener('abort', cut);
        stopping?.removeEventListener('abort', cut);
      }
    }
  }

  /**
   * Waits for the order's final view for at most waitMs: from the read model the moment its consumer
   * applies the final event (a Redis pub/sub wake-up, usually before Temporal has recorded the close),
   * or from the workflow's close event, whichever comes first. Cut short when the caller leaves or the
   * process stops. `described` is the ownership check (it rejects with not_found for another user's
   * order); the close is awaited only after it. A user's read model is asked without waiting for it:
   * the view is looked up and subscribed to under the reader's own key, so finding it there proves the
   * order theirs, and the describe's time (the tail of this answer under load) is off the path. An
   * operator (`reader` undefined) reads the owner from the description first.
   */
  async function parkUntilFinal(
    { orderId, reader, waitMs, signal }: OrderResultWait,
    described: Promise<OrderDescription>,
  ): Promise<OrderView | undefined> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error('wait ran out')), waitMs);
    const callerGone = () => ac.abort(new Error('the caller went away'));
    if (signal.aborted) callerGone();
    signal.addEventListener('abort', callerGone, { once: true });
    // A stopping process does not hold a long poll: it answers the current state now, and the client
    // asks again (another replica, or this one restarted).
    const onStop = () => ac.abort(new Error('the API is stopping'));
    if (stopping?.aborted) onStop();
    stopping?.addEventListener('abort', onStop, { once: true });
    try {
      const closed = described
        .then(() => orders.awaitResult(orderId, ac.signal))
        .then((s) => s && orderView(s));
      // The loser is cut by the abort below; an error of the close wait (or of the describe) after the
      // read model answered is nobody's to handle.
      closed.catch(() => undefined);
      const owner = reader ?? stateFromDescription(orderId, await described).user;
      return await Promise.race([closed, finals.waitFinal(owner, orderId, ac.signal)]);
    } finally {
      ac.abort(new Error('answered'));
      clearTimeout(timer);
      signal.removeEventListener('abort', callerGone);
      stopping?.removeEventListener('abort', onStop);
    }
  }

  /** The order's final view within waitMs, else its current state. Failures are OrderErrors. */
  async function awaitFinal(asked: OrderResultWait): Promise<OrderResult> {
    let wait = asked;
    const { orderId, reader } = wait;
    const started = Date.now();
    // An order final in the reader's own read model is answered from it, without a Temporal call (its
    // view is under the reader's key: that is the ownership check). Otherwise ownership by a describe
    // (no worker needed): nobody waits on Temporal for another user's order; the reader's read model
    // is asked again beside it (parkUntilFinal).
    const stored = reader === undefined ? undefined : await finals.stored(reader, orderId);
    if (stored) return { view: stored, waitedMs: Date.now() - started };
    if (reader !== undefined) {
      const inQueue = await intake.queued(reader, orderId).catch(() => undefined);
      if (inQueue) {
        const view = await whileQueued({ ...wait, reader }, started + wait.waitMs);
        if (view) return { view, waitedMs: Date.now() - started };
        wait = { ...wait, waitMs: Math.max(0, started + wait.waitMs - Date.now()) };
      }
    }
    try {
      const described = orders.describe(orderId, reader);
      const final = await parkUntilFinal(wait, described);
      // When the wait ran out, a fresh read; when the process is stopping, what the description says (a
      // fresh read needs a worker to answer the query, and a stopping API must not linger).
      const view =
        final ??
        orderView(
          stopping?.aborted ? stateFromDescription(orderId, await described) : await read(orderId, reader),
        );
      return { view, waitedMs: Date.now() - started };
    } catch (err) {
      throw await refusalOr(err, orderId, reader);
    }
  }

  return { awaitFinal, read };
}

export type OrderResultWaiter = ReturnType<typeof createOrderResultWaiter>;
