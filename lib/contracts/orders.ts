// What both sides of the buyOrder wire share: the workflow's ID, input, state, update and query
// definitions, status texts and search attributes. The API imports this, never workflow code; it is
// sandbox-safe (no Node built-ins, no I/O).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export const BUY_ORDER_WORKFLOW_TYPE = 'buyOrder';

const WORKFLOW_ID_PREFIX = 'buy-order-';
export const buyOrderWorkflowId = (orderId: string) => `${WORKFLOW_ID_PREFIX}${orderId}`;
export function orderIdFromWorkflowId(workflowId: string): string | undefined {
  return workflowId.startsWith(WORKFLOW_ID_PREFIX) ? workflowId.slice(WORKFLOW_ID_PREFIX.length) : undefined;
}

/** Which way an order goes: a buy spends credit for shares, a sell spends shares for credit. */
export type OrderSide = 'buy' | 'sell';
export const ORDER_SIDES: readonly [OrderSide, OrderSide] = ['buy', 'sell'];

/** How an order is priced: at the latest price when it arrives, or at a limit it waits for. */
export type OrderType = 'market' | 'limit';
export const ORDER_TYPES: readonly [OrderType, OrderType] = ['market', 'limit'];
/** How long a limit order waits: until the session's close, or LIMIT_ORDER_MAX_AGE (good till cancelled). */
export type TimeInForce = 'day' | 'gtc';
export const TIMES_IN_FORCE: readonly [TimeInForce, TimeInForce] = ['day', 'gtc'];

/** The status texts the HTTP contract fixes, to the letter: a buy's (the original four), by phase. */
export const ORDER_STATUS_TEXT = {
  /** Not part of the contract's four: the order exists but its credit check has not run yet. */
  pending: 'Pending: Credit check not done yet.',
  /** Recorded durably on `order-requests` during a burst; its credit check runs at its turn. */
  queued: 'Pending: Credit check queued.',
  denied: 'Deny: Not enough credit',
  inProgress: 'In Progress: Credit check passed. User verification in progress...',
  succeeded: 'Success: Buy order complete.',
  failed: 'Failure: User verification unsuccessful.',
  canceled: 'Canceled: Order canceled by the user.',
  /** A limit order whose reservation is made, waiting for a price that crosses its limit. */
  open: 'Open: Limit order waiting for its price.',
  /** A limit order past its time in force, unfilled; its reservation released. */
  expired: 'Expired: Limit order expired unfilled.',
} as const;

/** A sell's texts where they differ from a buy's: its check is of shares, not credit. */
export const SELL_STATUS_TEXT: Partial<Record<OrderPhase, string>> = {
  denied: 'Deny: Not enough shares',
  inProgress: 'In Progress: Holdings check passed. User verification in progress...',
  succeeded: 'Success: Sell order complete.',
};

/** The status text of an order of `side` in `phase`. */
export const statusText = (phase: OrderPhase, side: OrderSide = 'buy'): string =>
  (side === 'sell' ? SELL_STATUS_TEXT[phase] : undefined) ?? ORDER_STATUS_TEXT[phase];

/** Every status text an order can show, for schemas. */
export const ALL_STATUS_TEXTS = [...Object.values(ORDER_STATUS_TEXT), ...Object.values(SELL_STATUS_TEXT)] as [
  string,
  ...string[],
];

export type OrderPhase = keyof typeof ORDER_STATUS_TEXT;

const WHILE_QUEUED = ' while queued';
/** The reason of an order canceled on the burst intake before its turn: nothing was checked or reserved. */
export const queuedCancelReason = (by: string) => `canceled by ${by}${WHILE_QUEUED}`;
/** Whether the order ended Canceled on the burst intake, before its turn (so it has no money record). */
export const canceledWhileQueued = (s: { phase: OrderPhase; reason?: string }) =>
  s.phase === 'canceled' && s.reason?.endsWith(WHILE_QUEUED) === true;
export const FINAL_PHASES: readonly OrderPhase[] = ['denied', 'succeeded', 'failed', 'canceled', 'expired'];
export const isFinal = (phase: OrderPhase) => FINAL_PHASES.includes(phase);

/** The `OrderStatus` search attribute: one word per phase, for Web UI queries like OrderStatus="Failure". */
export const ORDER_STATUS_KEYWORD: Record<OrderPhase, string> = {
  pending: 'Pending',
  queued: 'Pending',
  denied: 'Deny',
  inProgress: 'InProgress',
  succeeded: 'Success',
  failed: 'Failure',
  canceled: 'Canceled',
  open: 'Open',
  expired: 'Expired',
};

/** The custom search attributes that make orders findable in the Web UI (registered by the stack). */
export const ORDER_SEARCH_KEYS = {
  user: defineSearchAttributeKey('OrderUser', SearchAttributeType.KEYWORD),
  stock: defineSearchAttributeKey('OrderStock', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD),
  quantity: defineSearchAttributeKey('OrderQuantity', SearchAttributeType.INT),
  side: defineSearchAttributeKey('OrderSide', SearchAttributeType.KEYWORD),
  type: defineSearchAttributeKey('OrderType', SearchAttributeType.KEYWORD),
} as const;

/** Largest quantity one order may ask for; keeps price × quantity an exact integer. */
export const MAX_ORDER_QUANTITY = 1_000_000_000;
/** Largest order request body the API reads. */
export const ORDER_BODY_LIMIT_BYTES = 4 * 1024;

export interface BuyOrderInput {
  orderId: string;
  user: string;
  /** TSE instrument code, 15–17 digits, always a string. */
  stockId: string;
  quantity: number;
  /** Start-to-close (and schedule-to-close) timeout of verifyUser, ms; from VERIFY_TIMEOUT. */
  verifyTimeoutMs: number;
  /** How old (by its minute) the price the credit check uses may be, ms; from PRICE_MAX_AGE. */
  priceMaxAgeMs?: number;
  /** When the API received the order, ISO UTC. */
  receivedAt: string;
  /** Absent in orders started before sells existed: a buy. */
  side?: OrderSide;
  /** Set for a limit order only (absent: a market order, as every order before limits). */
  limit?: LimitTerms;
  /**
   * Set when the order was canceled while it waited on the burst intake (lib/orders/intake.ts): it ends
   * Canceled at once, nothing checked or reserved. Who canceled it. Absent in every earlier history.
   */
  canceledBy?: string;
  /**
   * Set by orders started before the workflow was versioned with patches (1–3); ignored now. Changes to
   * the workflow's commands go behind `patched()` (workflows/buy-order.ts), never through the input.
   */
  version?: number;
}

/** What makes an order a limit order: its price, how long it waits, and when that ends. */
export interface LimitTerms {
  /** Whole rials: a buy fills at a price ≤ it, a sell at a price ≥ it. */
  limitPrice: number;
  timeInForce: TimeInForce;
  /** When the order expires unfilled (ISO UTC): the session's close (day) or received + LIMIT_ORDER_MAX_AGE (gtc). */
  expiresAt: string;
}

/** Whether a price fills a limit order of `side` at `limitPrice`. */
export const crossesLimit = (side: OrderSide, limitPrice: number, price: number): boolean =>
  side === 'sell' ? price >= limitPrice : price <= limitPrice;

/** A stored, fresh tick that crossed an open limit order's limit: the price it fills at. */
export interface PriceCrossing {
  price: number;
  /** The tick's minute (ISO UTC). */
  minute: string;
}

export interface OrderState {
  orderId: string;
  user: string;
  stockId: string;
  quantity: number;
  /** Absent in states recorded before sells existed: a buy. */
  side?: OrderSide;
  /** A limit order's terms; absent for a market order. */
  limit?: LimitTerms;
  phase: OrderPhase;
  /** statusText(phase, side). */
  status: string;
  /** Latest price (rials) the credit check used, once it ran. */
  price?: number;
  /** The minute of that price (ISO UTC). */
  priceMinute?: string;
  /** price × quantity, rials. */
  amount?: number;
  /** Credit − reserved at the moment of the check, rials (a buy). */
  availableCredit?: number;
  /** Shares held − shares reserved by open sells at the moment of the check (a sell). */
  availableShares?: number;
  /** Why the order failed, for operators (e.g. "verification timed out after 60000 ms"). */
  reason?: string;
  receivedAt: string;
  updatedAt: string;
}

/** How an order ended, as its money step (settle or release) recorded it. */
export interface FinalOutcome {
  phase: OrderPhase;
  reason?: string;
}

/** The order's final state as `outcome` decided it. */
export function withOutcome(s: OrderState, outcome: FinalOutcome): OrderState {
  const rest: OrderState = { ...s };
  delete rest.reason;
  return {
    ...rest,
    phase: outcome.phase,
    status: statusText(outcome.phase, s.side),
    ...(outcome.reason ? { reason: outcome.reason } : {}),
  };
}

/** The message on Kafka `order-events` (key = order id): one per state change. */
export interface OrderEvent {
  /** `<orderId>:<seq>`, so a consumer can drop a duplicate of a retried publish. */
  eventId: string;
  orderId: string;
  seq: number;
  before: OrderState;
  after: OrderState;
}

/**
 * Why an order's own check refused it before any money moved (a user deleted or a price gone stale
 * since the API's precheck, a sell of a stock never held). The placeOrder update fails with it as an
 * ApplicationFailure of type ORDER_REFUSED carrying this as its one detail; the API answers it as is.
 */
export interface OrderRefusal {
  kind: 'unprocessable' | 'conflict';
  code: string;
  message: string;
  /** The request field at fault. */
  field?: string;
  details?: Record<string, string | number>;
}
export const ORDER_REFUSED = 'OrderRefused';
/** The one refusal both the API's precheck and the order's own check make for a user that does not exist. */
export const unknownUserRefusal = (user: string): OrderRefusal => ({
  kind: 'unprocessable',
  code: 'unknown_user',
  message: `no user "${user}"`,
  field: 'user',
});

/** Answers once the credit check and reservation are done (Update-with-Start, early return). */
export const placeOrderUpdate = defineUpdate<OrderState>('placeOrder');
/**
 * Withdraws an order not yet decided: answers the order's final state once the cancel took effect (or
 * the decision it came too late for). An Update rather than a signal so the caller learns the outcome
 * in the same call: Canceled, or the final state that won the race (the API's 409 order_final).
 */
export const cancelOrderUpdate = defineUpdate<OrderState, [CancelRequest]>('cancelOrder');
export interface CancelRequest {
  /** Who asked: the order's user or an operator, for the order's reason. */
  by: string;
}
/**
 * Wakes an open limit order: a fresh stored tick crossed its limit (sent by the price consumer, at least
 * once). The first crossing fills it; a repeat, or a price that does not cross, changes nothing.
 */
export const priceCrossedSignal = defineSignal<[PriceCrossing]>('priceCrossed');
/** The order's current state, at any time. */
export const statusQuery = defineQuery<OrderState>('status');
