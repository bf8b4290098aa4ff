// The user's orders: the list (GET /orders, filterable by status) with a Cancel on each undecided one
// (POST /orders/:id/cancel), placing buys and sells (POST /orders), and each order's progress — from the
// event stream while it is open, else by long-polling the result.
import { newIdempotencyKey, type ApiClient, type OrderRequestBody, type OrderView } from './api';
import { bodyOf, byId, clock, el, KeyedRows, money, notice, setText } from './ui';

const LONG_POLL_SECONDS = 60;

export class OrderBook {
  private readonly orders = new Map<string, OrderView>();
  private readonly polling = new Set<string>();
  private cursor: string | undefined;
  /** The order placed last (by the buy form or a holding's Sell): the answer line follows it. */
  private placed: string | undefined;
  /** The order submitted last and its Idempotency-Key, until it is answered. */
  private submitted: { body: string; key: string } | undefined;
  private readonly rows = new KeyedRows<OrderView>(
    'order-rows',
    (orderId) => this.row(orderId),
    (row, o) => this.fill(row, o),
  );
  /** True while the event stream is open: it then brings every change, no long poll is needed. */
  streaming = false;
  onChange: (o: OrderView) => void = () => {};

  constructor(
    private readonly api: ApiClient,
    private readonly stockName: (id: string) => string | undefined,
  ) {
    byId<HTMLSelectElement>('status-filter').addEventListener('change', () => void this.refresh());
    byId('orders-more').addEventListener('click', () => void this.more());
  }

  private get filter(): string {
    return byId<HTMLSelectElement>('status-filter').value;
  }

  /** Another key: the last user's orders go. */
  clear(): void {
    this.orders.clear();
    this.placed = undefined;
    this.render();
  }

  /** The newest page of the user's orders (filtered by the server when a status is chosen). */
  async refresh(): Promise<void> {
    this.cursor = undefined;
    await this.load();
  }

  /** The next page, after the last one loaded. */
  async more(): Promise<void> {
    if (this.cursor) await this.load(this.cursor);
  }

  private async load(cursor?: string): Promise<void> {
    const query = new URLSearchParams({ limit: '50' });
    if (this.filter) query.set('status', this.filter);
    if (cursor) query.set('cursor', cursor);
    const page = bodyOf(
      'orders',
      'Orders',
      await this.api.get<{ orders: OrderView[]; nextCursor?: string }>(`/orders?${query}`),
    );
    if (page) {
      this.cursor = page.nextCursor;
      for (const o of page.orders) this.update(o, false);
    }
    this.render();
  }

  /** A newer view of an order (from the stream, a poll or the POST answer); an older one is ignored. */
  update(o: OrderView, render = true): void {
    const old = this.orders.get(o.orderId);
    if (old && (old.final || old.updatedAt > o.updatedAt)) return;
    this.orders.set(o.orderId, o);
    if (o.orderId === this.placed) showAnswer(o);
    if (render) this.render();
    this.onChange(o);
  }

  /** The stream dropped or is missing: every order still undecided is followed by long poll. */
  followUndecided(): void {
    for (const o of this.orders.values()) if (!o.final) void this.longPoll(o.orderId);
  }

  /**
   * Places an order, one Idempotency-Key per distinct order: the same order submitted again before it
   * was answered (a double click, a retry after an error) reuses the key, so it is never placed twice.
   */
  submit(order: OrderRequestBody): void {
    const body = JSON.stringify(order);
    if (this.submitted?.body !== body) this.submitted = { body, key: newIdempotencyKey() };
    const key = this.submitted.key;
    void this.place(order, key).then((answered) => {
      // Answered: the next submit is a new order even with the same fields.
      if (answered && this.submitted?.key === key) this.submitted = undefined;
    });
  }

  /** POST /orders; the answer line shows its check at once and then follows it. True if answered. */
  private async place(order: OrderRequestBody, idempotencyKey: string): Promise<boolean> {
    const answer = byId('order-answer');
    answer.dataset.phase = 'sending';
    answer.textContent = 'Sending…';
    const r = await this.api.post<OrderView>('/orders', order, { 'Idempotency-Key': idempotencyKey });
    if (!r.ok) {
      answer.dataset.phase = 'error';
      answer.textContent = `${r.message}${r.field ? ` (${r.field})` : ''}`;
      return false;
    }
    this.placed = r.body.orderId;
    this.update(r.body);
    showAnswer(r.body);
    if (!r.body.final && !this.streaming) void this.longPoll(r.body.orderId);
    return true;
  }

  /** Withdraws an undecided order; one decided meanwhile (409 order_final) is read again as it ended. */
  async cancel(orderId: string): Promise<void> {
    const r = await this.api.post<OrderView>(`/orders/${orderId}/cancel`);
    if (r.ok) {
      notice(`cancel-${orderId}`, undefined);
      return this.update(r.body);
    }
    notice(`cancel-${orderId}`, `Cancel of order ${orderId}: ${r.message}`, 'error');
    if (r.status !== 409) return;
    const now = await this.api.get<OrderView>(`/orders/${orderId}`);
    if (now.ok) this.update(now.body);
  }

  /** GET /orders/:id/result?wait= until the order is final (or the stream takes over). */
  private async longPoll(orderId: string): Promise<void> {
    if (this.polling.has(orderId)) return;
    this.polling.add(orderId);
    try {
      let failures = 0;
      while (!this.orders.get(orderId)?.final && !this.streaming) {
        const r = await this.api.get<OrderView>(`/orders/${orderId}/result?wait=${LONG_POLL_SECONDS}`);
        if (r.ok) {
          failures = 0;
          this.update(r.body);
        } else if (r.status === 404 || r.status === 401 || r.status === 403 || ++failures > 5) {
          return notice(`poll-${orderId}`, `Order ${orderId}: ${r.message}`, 'error');
        } else {
          await new Promise((done) => setTimeout(done, 2_000 * failures));
        }
      }
    } finally {
      this.polling.delete(orderId);
    }
  }

  private render(): void {
    const status = this.filter;
    const shown = this.rows.render(
      [...this.orders.values()]
        .filter((o) => !status || o.phase === status)
        .sort((a, b) => (a.receivedAt < b.receivedAt ? 1 : -1))
        .map((o) => [o.orderId, o] as const),
    );
    byId('orders-empty').hidden = shown > 0;
    byId('orders-more').hidden = this.cursor === undefined;
  }

  /** An order's row, made once: its Cancel button stays the same element while the order changes. */
  private row(orderId: string): HTMLTableRowElement {
    const cancel = el('button', { type: 'button', class: 'cancel' }, 'Cancel');
    cancel.addEventListener('click', () => {
      cancel.disabled = true;
      void this.cancel(orderId).finally(() => (cancel.disabled = false));
    });
    return el(
      'tr',
      { 'data-order': orderId },
      el('td', {}),
      el('td', { class: 'side' }),
      el('td', { dir: 'auto' }),
      el('td', { class: 'num' }),
      el('td', { class: 'num' }),
      el('td', { class: 'num' }),
      el('td', { class: 'status' }),
      el('td', {}, cancel),
    );
  }

  private fill(row: HTMLTableRowElement, o: OrderView): void {
    const [received, side, stock, qty, price, amount, status, action] = [...row.cells];
    row.dataset.phase = o.phase;
    row.dataset.side = o.side;
    setText(received, clock(o.receivedAt));
    // A limit order shows its limit beside its side: "buy ≤ 2,800 (gtc)".
    setText(
      side,
      o.type === 'limit' && o.limitPrice !== undefined
        ? `${o.side} ${o.side === 'sell' ? '≥' : '≤'} ${money(o.limitPrice)} (${o.timeInForce ?? 'day'})`
        : o.side,
    );
    setText(stock, this.stockName(o.stockid) ?? o.stockid);
    setText(qty, money(o.quantity));
    setText(price, money(o.price));
    setText(amount, money(o.amount));
    setText(status, o.status);
    action.querySelector('button')!.hidden = o.final;
  }
}

function showAnswer(o: OrderView): void {
  const answer = byId('order-answer');
  answer.dataset.phase = o.phase;
  answer.dataset.order = o.orderId;
  answer.textContent = o.status;
}

/** The buy form: the key's user buys the stock and quantity entered, at market or at a limit. */
export function wireOrderForm(book: OrderBook, user: () => string | undefined): void {
  byId<HTMLFormElement>('order-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const who = user();
    if (!who)
      return notice('order', 'Enter your API key first (the account it opens names who buys).', 'error');
    notice('order', undefined);
    // A limit price makes it a limit order with the chosen time in force; empty, a market order.
    const limit = byId<HTMLInputElement>('order-limit').value.trim();
    book.submit({
      user: who,
      stockid: byId<HTMLInputElement>('order-stock').value.trim(),
      quantity: Number(byId<HTMLInputElement>('order-qty').value),
      ...(limit
        ? {
            type: 'limit' as const,
            limitPrice: Number(limit),
            timeInForce:
              byId<HTMLSelectElement>('order-tif').value === 'gtc' ? ('gtc' as const) : ('day' as const),
          }
        : {}),
    });
  });
}
