// The user's orders: the list (GET /orders, filterable by status), the buy form (POST /orders), and
// each order's progress — from the event stream while it is open, else by long-polling the result.
import { newIdempotencyKey, type ApiClient, type OrderView } from './api';
import { bodyOf, byId, clock, el, money, notice } from './ui';

const LONG_POLL_SECONDS = 60;

export class OrderBook {
  private readonly orders = new Map<string, OrderView>();
  private readonly polling = new Set<string>();
  private cursor: string | undefined;
  /** The order the form placed last: its answer line follows it. */
  private placed: string | undefined;
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

  async place(user: string, stockid: string, quantity: number, idempotencyKey: string): Promise<void> {
    const answer = byId('order-answer');
    answer.dataset.phase = 'sending';
    answer.textContent = 'Sending…';
    const r = await this.api.post<OrderView>(
      '/orders',
      { user, stockid, quantity },
      { 'Idempotency-Key': idempotencyKey },
    );
    if (!r.ok) {
      answer.dataset.phase = 'error';
      answer.textContent = `${r.message}${r.field ? ` (${r.field})` : ''}`;
      return;
    }
    this.placed = r.body.orderId;
    this.update(r.body);
    showAnswer(r.body);
    if (!r.body.final && !this.streaming) void this.longPoll(r.body.orderId);
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
    const rows = [...this.orders.values()]
      .filter((o) => !status || o.phase === status)
      .sort((a, b) => (a.receivedAt < b.receivedAt ? 1 : -1))
      .map((o) =>
        el(
          'tr',
          { 'data-order': o.orderId, 'data-phase': o.phase },
          el('td', {}, clock(o.receivedAt)),
          el('td', { dir: 'auto' }, this.stockName(o.stockid) ?? o.stockid),
          el('td', { class: 'num' }, money(o.quantity)),
          el('td', { class: 'num' }, money(o.price)),
          el('td', { class: 'num' }, money(o.amount)),
          el('td', { class: 'status' }, o.status),
        ),
      );
    byId('order-rows').replaceChildren(...rows);
    byId('orders-empty').hidden = rows.length > 0;
    byId('orders-more').hidden = this.cursor === undefined;
  }
}

function showAnswer(o: OrderView): void {
  const answer = byId('order-answer');
  answer.dataset.phase = o.phase;
  answer.dataset.order = o.orderId;
  answer.textContent = o.status;
}

/** The buy form: one Idempotency-Key per distinct order, so a double click or retry never buys twice. */
export function wireOrderForm(book: OrderBook, user: () => string | undefined): void {
  const form = byId<HTMLFormElement>('order-form');
  let last: { body: string; key: string } | undefined;
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const who = user();
    const stockid = byId<HTMLInputElement>('order-stock').value.trim();
    const quantity = Number(byId<HTMLInputElement>('order-qty').value);
    if (!who)
      return notice('order', 'Enter your API key first (the account it opens names who buys).', 'error');
    notice('order', undefined);
    const body = JSON.stringify([who, stockid, quantity]);
    if (last?.body !== body) last = { body, key: newIdempotencyKey() };
    const key = last.key;
    void book.place(who, stockid, quantity, key).then(() => {
      // Answered: the next submit is a new order even with the same fields.
      if (last?.key === key && byId('order-answer').dataset.phase !== 'error') last = undefined;
    });
  });
}
