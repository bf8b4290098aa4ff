// The account panel (GET /account: money, and the positions valued at their latest prices, each with
// its Sell control) and the stock list (GET /stocks, names right to left where Persian).
import type { Account, ApiClient, PriceTick, Stock } from './api';
import { bodyOf, byId, clock, el, KeyedRows, money, setText } from './ui';

type Position = Account['holdings'][number];

/** Above, below or at zero: the P&L cells are coloured by it. */
const signOf = (n: number | undefined): string | undefined =>
  n === undefined ? undefined : n > 0 ? 'up' : n < 0 ? 'down' : 'flat';

export class AccountPanel {
  user: string | undefined;
  private held = new Set<string>();
  /** A holding's Sell control was used: sell this many shares of this stock. */
  onSell: (stockid: string, quantity: number) => void = () => {};
  private readonly positions = new KeyedRows<Position>(
    'holdings',
    (stockid) => this.positionRow(stockid),
    (row, h) => fillPosition(row, h),
  );

  constructor(private readonly api: ApiClient) {}

  /** The account holds shares of this stock: a new price of it changes the positions' values. */
  holds(stockId: string): boolean {
    return this.held.has(stockId);
  }

  async refresh(): Promise<void> {
    const a = bodyOf('account', 'Account', await this.api.get<Account>('/account'));
    if (!a) return;
    this.user = a.user;
    this.held = new Set(a.holdings.map((h) => h.stockid));
    byId('account-user').textContent = a.user;
    byId('credit').textContent = money(a.credit);
    byId('reserved').textContent = money(a.reserved);
    byId('available').textContent = money(a.available);
    const count = this.positions.render(a.holdings.map((h) => [h.stockid, h] as const));
    byId('positions-empty').hidden = count > 0;
    byId('total-cost').textContent = money(a.totals.costBasis);
    byId('total-value').textContent = money(a.totals.marketValue);
    const pnl = byId('total-pnl');
    pnl.textContent = money(a.totals.unrealizedPnl);
    pnl.dataset.sign = signOf(a.totals.unrealizedPnl);
  }

  /** A holding's row, made once: its Sell form keeps what is typed into it while the values change. */
  private positionRow(stockid: string): HTMLTableRowElement {
    const qty = el('input', {
      type: 'number',
      min: '1',
      step: '1',
      required: '',
      'aria-label': 'Shares to sell',
    });
    const form = el('form', { class: 'sell' }, qty, el('button', { type: 'submit' }, 'Sell'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.onSell(stockid, Number(qty.value));
    });
    return el(
      'tr',
      { 'data-stock': stockid },
      el('td', { dir: 'auto', class: 'name' }),
      el('td', { class: 'num shares' }),
      el('td', { class: 'num avg-cost' }),
      el('td', { class: 'num cost' }),
      el('td', { class: 'num price' }),
      el('td', { class: 'minute' }),
      el('td', { class: 'num value' }),
      el('td', { class: 'num pnl' }),
      el('td', {}, form),
    );
  }
}

function fillPosition(row: HTMLTableRowElement, h: Position): void {
  const [name, shares, avg, cost, price, minute, value, pnl] = [...row.cells];
  setText(name, h.name ?? h.stockid);
  setText(shares, h.reserved > 0 ? `${money(h.quantity)} (${money(h.reserved)} selling)` : money(h.quantity));
  setText(avg, money(h.averageCost));
  setText(cost, money(h.costBasis));
  setText(price, money(h.latestPrice));
  setText(minute, clock(h.priceMinute));
  setText(value, money(h.marketValue));
  setText(pnl, money(h.unrealizedPnl));
  row.dataset.sign = signOf(h.unrealizedPnl);
  // What may be sold: the shares not already reserved by open sells.
  const qty = row.querySelector('input')!;
  qty.max = String(h.quantity - h.reserved);
}

export class StockList {
  readonly stocks = new Map<string, Stock>();
  private readonly rows = new KeyedRows<Stock>(
    'stock-rows',
    (stockid) => this.row(stockid),
    (row, s) => {
      const [name, , price, minute] = [...row.cells];
      setText(name, s.name ?? '—');
      setText(price, money(s.price));
      setText(minute, clock(s.minute));
    },
  );

  constructor(
    private readonly api: ApiClient,
    private readonly pick: (s: Stock) => void,
  ) {}

  async refresh(): Promise<void> {
    const body = bodyOf('stocks', 'Stocks', await this.api.get<{ stocks: Stock[] }>('/stocks'));
    if (!body) return;
    for (const s of body.stocks) this.stocks.set(s.stockid, s);
    this.render();
  }

  name(stockId: string): string | undefined {
    return this.stocks.get(stockId)?.name;
  }

  /** A new tick: the row's price and minute change in place. */
  tick(t: PriceTick): void {
    const s = this.stocks.get(t.stockId);
    if (!s || (s.minute && s.minute > t.minute)) return;
    s.price = t.price;
    s.minute = t.minute;
    this.render();
  }

  private row(stockid: string): HTMLTableRowElement {
    const row = el(
      'tr',
      { 'data-stock': stockid, tabindex: '0' },
      // Persian names read right to left: the cell takes its direction from its text.
      el('td', { dir: 'auto', class: 'name' }),
      el('td', { class: 'id' }, stockid),
      el('td', { class: 'num' }),
      el('td', {}),
    );
    // The current entry of the map: refreshes replace entries.
    const pickThis = () => this.pick(this.stocks.get(stockid) ?? { stockid });
    row.addEventListener('click', pickThis);
    row.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') pickThis();
    });
    return row;
  }

  private render(): void {
    this.rows.render(this.stocks);
    byId('stock-choices').replaceChildren(
      ...[...this.stocks.values()].map((s) => el('option', { value: s.stockid }, s.name ?? s.stockid)),
    );
  }
}
