// The account panel (GET /account) and the stock list (GET /stocks), each degrading to a notice when
// this API does not serve the endpoint yet.
import type { Account, ApiClient, PriceTick, Stock } from './api';
import { byId, clock, el, money, notice } from './ui';

export class AccountPanel {
  user: string | undefined;

  constructor(private readonly api: ApiClient) {}

  async refresh(): Promise<void> {
    const r = await this.api.get<Account>('/account');
    if (!r.ok) {
      notice(
        'account',
        r.missing
          ? 'This API does not serve GET /account yet: enter your user id beside the key to place orders.'
          : `Account: ${r.message}`,
        r.missing ? 'info' : 'error',
      );
      return;
    }
    notice('account', undefined);
    const a = r.body;
    this.user = a.user;
    byId<HTMLInputElement>('user-id').value = a.user;
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
    const r = await this.api.get<{ stocks: Stock[] }>('/stocks');
    if (!r.ok) {
      notice(
        'stocks',
        r.missing
          ? 'This API does not serve GET /stocks yet: type a stock id to see its chart and to buy it.'
          : `Stocks: ${r.message}`,
        r.missing ? 'info' : 'error',
      );
      return;
    }
    notice('stocks', undefined);
    for (const s of r.body.stocks) this.stocks.set(s.stockid, s);
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
