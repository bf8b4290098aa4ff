// What both sides of the buyOrder wire share: the workflow's ID, input, state, update and query
// definitions, status texts and search attributes. The API imports this, never workflow code; it is
// sandbox-safe (no Node built-ins, no I/O).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';

export const BUY_ORDER_WORKFLOW_TYPE = 'buyOrder';

const WORKFLOW_ID_PREFIX = 'buy-order-';
export const buyOrderWorkflowId = (orderId: string) => `${WORKFLOW_ID_PREFIX}${orderId}`;
export function orderIdFromWorkflowId(workflowId: string): string | undefined {
  return workflowId.startsWith(WORKFLOW_ID_PREFIX) ? workflowId.slice(WORKFLOW_ID_PREFIX.length) : undefined;
}

/** Which way an order goes: a buy spends credit for shares, a sell spends shares for credit. */
export type OrderSide = 'buy' | 'sell';
export const ORDER_SIDES: readonly [OrderSide, OrderSide] = ['buy', 'sell'];

/** The status texts the HTTP contract fixes, to the letter: a buy's (the original four), by phase. */
export const ORDER_STATUS_TEXT = {
  /** Not part of the contract's four: the order exists but its credit check has not run yet. */
  pending: 'Pending: Credit check not done yet.',
  denied: 'Deny: Not enough credit',
  inProgress: 'In Progress: Credit check passed. User verification in progress...',
  succeeded: 'Success: Buy order complete.',
  failed: 'Failure: User verification unsuccessful.',
  canceled: 'Canceled: Order canceled by the user.',
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
export const FINAL_PHASES: readonly OrderPhase[] = ['denied', 'succeeded', 'failed', 'canceled'];
export const isFinal = (phase: OrderPhase) => FINAL_PHASES.includes(phase);

/** The `OrderStatus` search attribute: one word per phase, for Web UI queries like OrderStatus="Failure". */
export const ORDER_STATUS_KEYWORD: Record<OrderPhase, string> = {
  pending: 'Pending',
  denied: 'Deny',
  inProgress: 'InProgress',
  succeeded: 'Success',
  failed: 'Failure',
  canceled: 'Canceled',
};

/** The custom search attributes that make orders findable in the Web UI (registered by the stack). */
export const ORDER_SEARCH_KEYS = {
  user: defineSearchAttributeKey('OrderUser', SearchAttributeType.KEYWORD),
  stock: defineSearchAttributeKey('OrderStock', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD),
  quantity: defineSearchAttributeKey('OrderQuantity', SearchAttributeType.INT),
  side: defineSearchAttributeKey('OrderSide', SearchAttributeType.KEYWORD),
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
  /**
   * Set by orders started before the workflow was versioned with patches (1–3); ignored now. Changes to
   * the workflow's commands go behind `patched()` (workflows/buy-order.ts), never through the input.
   */
  version?: number;
}

export interface OrderState {
  orderId: string;
  user: string;
  stockId: string;
  quantity: number;
  /** Absent in states recorded before sells existed: a buy. */
  side?: OrderSide;
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
/** The order's current state, at any time. */
export const statusQuery = defineQuery<OrderState>('status');
