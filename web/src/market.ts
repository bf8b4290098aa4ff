// The account panel (GET /account) and the stock list (GET /stocks, names right to left where Persian).
import type { Account, ApiClient, PriceTick, Stock } from './api';
import { bodyOf, byId, clock, el, money } from './ui';

export class AccountPanel {
  user: string | undefined;

  constructor(private readonly api: ApiClient) {}

  async refresh(): Promise<void> {
    const a = bodyOf('account', 'Account', await this.api.get<Account>('/account'));
    if (!a) return;
    this.user = a.user;
    byId('account-user').textContent = a.user;
    byId('credit').textContent = money(a.credit);
    byId('reserved').textContent = money(a.reserved);
    byId('available').textContent = money(a.available);
    byId('holdings').replaceChildren(
      ...a.holdings.map((h) =>
        el(
          'tr',
          {},
          el('td', { dir: 'auto' }, h.name ?? h.stockid),
          el('td', { class: 'num' }, money(h.quantity)),
        ),
      ),
    );
  }
}

export class StockList {
  readonly stocks = new Map<string, Stock>();

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

  private render(): void {
    byId('stock-rows').replaceChildren(
      ...[...this.stocks.values()].map((s) => {
        const row = el(
          'tr',
          { 'data-stock': s.stockid, tabindex: '0' },
          // Persian names read right to left: the cell takes its direction from its text.
          el('td', { dir: 'auto', class: 'name' }, s.name ?? '—'),
          el('td', { class: 'id' }, s.stockid),
          el('td', { class: 'num' }, money(s.price)),
          el('td', {}, clock(s.minute)),
        );
        row.addEventListener('click', () => this.pick(s));
        row.addEventListener('keydown', (e) => {
          if (e.key === 'Enter') this.pick(s);
        });
        return row;
      }),
    );
    byId('stock-choices').replaceChildren(
      ...[...this.stocks.values()].map((s) => el('option', { value: s.stockid }, s.name ?? s.stockid)),
    );
  }
}
