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

/** The status texts the HTTP contract fixes, to the letter. */
export const ORDER_STATUS_TEXT = {
  /** Not part of the contract's four: the order exists but its credit check has not run yet. */
  pending: 'Pending: Credit check not done yet.',
  denied: 'Deny: Not enough credit',
  inProgress: 'In Progress: Credit check passed. User verification in progress...',
  succeeded: 'Success: Buy order complete.',
  failed: 'Failure: User verification unsuccessful.',
} as const;

export type OrderPhase = keyof typeof ORDER_STATUS_TEXT;
export const FINAL_PHASES: readonly OrderPhase[] = ['denied', 'succeeded', 'failed'];
export const isFinal = (phase: OrderPhase) => FINAL_PHASES.includes(phase);

/** The `OrderStatus` search attribute: one word per phase, for Web UI queries like OrderStatus="Failure". */
export const ORDER_STATUS_KEYWORD: Record<OrderPhase, string> = {
  pending: 'Pending',
  denied: 'Deny',
  inProgress: 'InProgress',
  succeeded: 'Success',
  failed: 'Failure',
};

/** The custom search attributes that make orders findable in the Web UI (registered by the stack). */
export const ORDER_SEARCH_KEYS = {
  user: defineSearchAttributeKey('OrderUser', SearchAttributeType.KEYWORD),
  stock: defineSearchAttributeKey('OrderStock', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD),
  quantity: defineSearchAttributeKey('OrderQuantity', SearchAttributeType.INT),
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
  /**
   * The workflow's code path, fixed at start so a replay takes the path the order was started on:
   * absent (1) in orders started before version 2. See BUY_ORDER_VERSION.
   */
  version?: number;
}

/**
 * The buyOrder code path new orders take. 1 (no `version` in the input): four local activities, each
 * order event published by its own. 2: an event rides on the step after it — the In Progress event
 * on verifyUser (off the credit check's critical path), the final one on settleOrder/releaseCredit —
 * two local-activity markers per order instead of four. 3: a denied order's event goes on an activity
 * task after the update's answer, not on a local activity before it (a Kafka election no longer holds
 * up the Deny). Versioned through the input rather than `patched()`, which would add a marker and a
 * TemporalChangeVersion upsert to every order.
 */
export const BUY_ORDER_VERSION = 3;

export interface OrderState {
  orderId: string;
  user: string;
  stockId: string;
  quantity: number;
  phase: OrderPhase;
  /** One of ORDER_STATUS_TEXT. */
  status: string;
  /** Latest price (rials) the credit check used, once it ran. */
  price?: number;
  /** The minute of that price (ISO UTC). */
  priceMinute?: string;
  /** price × quantity, rials. */
  amount?: number;
  /** Credit − reserved at the moment of the check, rials. */
  availableCredit?: number;
  /** Why the order failed, for operators (e.g. "verification timed out after 60000 ms"). */
  reason?: string;
  receivedAt: string;
  updatedAt: string;
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

/** Answers once the credit check and reservation are done (Update-with-Start, early return). */
export const placeOrderUpdate = defineUpdate<OrderState>('placeOrder');
/** The order's current state, at any time. */
export const statusQuery = defineQuery<OrderState>('status');
