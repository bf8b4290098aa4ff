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
  /**
   * Each stock's row, made once and then changed in place: a list rebuilt on every tick or refresh
   * swapped the row under the pointer, and a click whose press and release met two different rows was
   * lost (the chart never shown).
   */
  private readonly rows = new Map<string, HTMLTableRowElement>();

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

  private row(s: Stock): HTMLTableRowElement {
    const existing = this.rows.get(s.stockid);
    if (existing) return existing;
    const row = el(
      'tr',
      { 'data-stock': s.stockid, tabindex: '0' },
      // Persian names read right to left: the cell takes its direction from its text.
      el('td', { dir: 'auto', class: 'name' }),
      el('td', { class: 'id' }, s.stockid),
      el('td', { class: 'num' }),
      el('td', {}),
    );
    // The current entry of the map, not the one the row was made for: refreshes replace entries.
    const pickThis = () => this.pick(this.stocks.get(s.stockid) ?? s);
    row.addEventListener('click', pickThis);
    row.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') pickThis();
    });
    this.rows.set(s.stockid, row);
    return row;
  }

  private render(): void {
    const body = byId('stock-rows');
    // Rows in the map's order; a row already in its place is not moved (nor detached).
    let at = body.firstElementChild;
    for (const s of this.stocks.values()) {
      const row = this.row(s);
      const [name, , price, minute] = [...row.cells];
      setText(name!, s.name ?? '—');
      setText(price!, money(s.price));
      setText(minute!, clock(s.minute));
      if (row === at) at = at.nextElementSibling;
      else body.insertBefore(row, at);
    }
    byId('stock-choices').replaceChildren(
      ...[...this.stocks.values()].map((s) => el('option', { value: s.stockid }, s.name ?? s.stockid)),
    );
  }
}

/** Text changed only when it differs, so an unchanged cell is left as it is. */
function setText(cell: HTMLElement, text: string): void {
  if (cell.textContent !== text) cell.textContent = text;
}
