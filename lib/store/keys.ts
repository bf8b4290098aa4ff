// Every Redis key bourse uses, made in one place. Each multi-key atomic step touches keys of one hash
// tag only ({user:<id>} or {stock:<id>}), so the same code runs on Redis Cluster.

/** Hash: credit, reserved (integers, rials). */
export const userKey = (user: string) => `{user:${user}}`;
/** Hash: stock id → quantity held. A stock once held keeps its field (0 when all is sold). */
export const holdingsKey = (user: string) => `{user:${user}}:holdings`;
/** Hash: stock id → shares reserved by the user's open sells (held ≥ reserved ≥ 0). */
export const sharesReservedKey = (user: string) => `{user:${user}}:shares-reserved`;
/** Hash: stock id → cost basis of the shares held (rials: what they cost, average-cost method). */
export const costBasisKey = (user: string) => `{user:${user}}:cost-basis`;

/** Hash: minute (ISO UTC) → tick JSON. One entry per (stock, minute). */
export const priceHistoryKey = (stockId: string) => `{stock:${stockId}}:prices`;
/** Sorted set: minute epoch ms → minute (ISO UTC); the index for range reads. */
export const priceIndexKey = (stockId: string) => `{stock:${stockId}}:minutes`;
/** String: the tick JSON of the newest minute seen (a late minute never overwrites it). */
export const latestPriceKey = (stockId: string) => `{stock:${stockId}}:latest`;
/** Hash: name and other facts about a stock the system knows. */
export const stockInfoKey = (stockId: string) => `{stock:${stockId}}:info`;

/**
 * Sorted set: the stock's open limit orders of one side, order id scored by its limit price. A fresh
 * tick finds every order it crosses with one range read (buy: limit ≥ price; sell: limit ≤ price).
 */
export const limitBookKey = (stockId: string, side: 'buy' | 'sell') => `{stock:${stockId}}:limits:${side}`;

/**
 * Hash: order id → the queued order (JSON: request and when it was queued), for each order recorded on
 * `order-requests` and not started yet (lib/orders/intake.ts). While it has entries, the user's new
 * orders queue behind them, so a user's orders are checked in the order they arrived.
 */
export const queuedOrdersKey = (user: string) => `{user:${user}}:queued-orders`;
/** A queued order's turn: `started` once the intake took it, `canceled:<by>` if a cancel came first. */
export const queuedTurnKey = (user: string, orderId: string) => `{user:${user}}:queued-turn:${orderId}`;
/** String: why a queued order was refused at its turn (the refusal's JSON), kept for a week. */
export const refusedOrderKey = (user: string, orderId: string) => `{user:${user}}:refused:${orderId}`;

/** Set: stock ids the price fetcher follows. */
export const WATCHLIST_KEY = 'stocks:watchlist';

/**
 * Hash: one order's money movement (stockId, quantity, amount, state reserved|denied|settled|released).
 * Under the user's hash tag, so every credit script touches one slot; it makes each step idempotent
 * by order id.
 */
export const orderKey = (user: string, orderId: string) => `{user:${user}}:order:${orderId}`;

/** Set: the SHA-256 hashes of a user's API keys (the keys themselves are never stored). */
export const userApiKeysKey = (user: string) => `{user:${user}}:apikeys`;
/** Set: the SHA-256 hashes of an operator's API keys. */
export const operatorApiKeysKey = (operator: string) => `{operator:${operator}}:apikeys`;
/** Hash: principal, role, createdAt — the lookup from a key's SHA-256 hash to whom it belongs. */
export const apiKeyKey = (keyHash: string) => `{apikey:${keyHash}}`;
/** Counter of one rate-limit window of one API key (by the key's hash), expiring with the window. */
export const rateLimitKey = (keyHash: string, window: number) => `{apikey:${keyHash}}:rate:${window}`;

/** Stream: the user's credit events (operator deposits and withdrawals), one entry per adjustment. */
export const creditEventsKey = (user: string) => `{user:${user}}:credit-events`;
/** Hash: an applied credit adjustment by its Idempotency-Key (delta, event id), so a retry applies once. */
export const creditAdjustmentKey = (user: string, idempotencyKey: string) =>
  `{user:${user}}:credit-adjustment:${idempotencyKey}`;

/** Hash: order id → the order's current client view (JSON), kept by the order-events consumer. */
export const orderViewsKey = (user: string) => `{user:${user}}:order-views`;
/** Hash: order id → the seq of the newest order event applied (an older or replayed one is ignored). */
export const orderSeqsKey = (user: string) => `{user:${user}}:order-seqs`;
/** Sorted set (all scores 0, read by lex): `<receivedAt ms, 15 digits>|<orderId>`, every order of the user. */
export const orderListKey = (user: string) => `{user:${user}}:orders`;
/** Same members as orderListKey, for the orders now in this phase. */
export const orderPhaseListKey = (user: string, phase: string) => `{user:${user}}:orders:phase:${phase}`;
/** Same members as orderListKey, for the orders of one stock. */
export const orderStockListKey = (user: string, stockId: string) => `{user:${user}}:orders:stock:${stockId}`;
/** Stream: the user's recent order events (eventId, view), bounded, for SSE and its Last-Event-ID resume. */
export const orderEventStreamKey = (user: string) => `{user:${user}}:order-events`;
/** Pub/sub channel (not a key): the order's final view, published once when the read model applies it. */
export const orderFinalChannel = (user: string, orderId: string) => `{user:${user}}:order-final:${orderId}`;
