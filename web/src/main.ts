// The trading page: an API key (kept in sessionStorage), the account, the stocks and a live minute
// chart, a buy form, the positions with their Sell controls and the user's orders with their Cancels,
// all kept current by GET /events (or by polling without it). Every time shown is Tehran time.
import { ApiClient, type OrderView, type PriceTick, type Stock } from './api';
import { PriceChart } from './chart';
import { AccountPanel, StockList } from './market';
import { OrderBook, wireOrderForm } from './orders';
import { openEventStream, type StreamState } from './sse';
import { byId, headTables, notice } from './ui';

const KEY_ITEM = 'bourse.apiKey';
/** Without the event stream, the shown stock's latest price is read this often. */
const PRICE_POLL_MS = 5_000;

headTables();
const api = new ApiClient(() => sessionStorage.getItem(KEY_ITEM) ?? undefined);
const account = new AccountPanel(api);
const chart = new PriceChart(api);
const stocks = new StockList(api, (s) => pickStock(s));
const book = new OrderBook(api, (id) => stocks.name(id));
let stream: { stop(): void } | undefined;
let pricePoll: ReturnType<typeof setInterval> | undefined;
let accountTimer: ReturnType<typeof setTimeout> | undefined;

function pickStock(s: Stock): void {
  byId<HTMLInputElement>('order-stock').value = s.stockid;
  byId<HTMLInputElement>('stock-id').value = s.stockid;
  void chart.show(s.stockid, s.name);
}

/** The account read again soon, once per burst of changes. */
function accountChanged(): void {
  clearTimeout(accountTimer);
  accountTimer = setTimeout(() => void account.refresh(), 250);
}

/** An order changed: the account follows (credit reserved, settled or released; shares too). */
book.onChange = accountChanged;

/** A holding's Sell: the key's user sells, as the buy form buys. */
account.onSell = (stockid, quantity) => {
  if (account.user) book.submit({ user: account.user, stockid, quantity, side: 'sell' });
};

/** A new price of a stock held: the positions are valued at it. */
function priceChanged(tick: PriceTick): void {
  stocks.tick(tick);
  chart.add(tick);
  if (account.holds(tick.stockId)) accountChanged();
}

/** Orders and account read afresh: at start, on a stream opened without Last-Event-ID, on `event: reset`. */
function reread(): void {
  void book.refresh();
  void account.refresh();
}

function onStreamState(s: StreamState, detail?: string, resumed?: boolean): void {
  const live = byId('live-state');
  live.dataset.state = s;
  live.textContent = { connecting: 'connecting…', open: 'live', down: 'reconnecting…' }[s];
  book.streaming = s === 'open';
  if (s === 'open') {
    notice('events', undefined);
    // A resumed stream replays what it missed; a fresh one starts now, so what changed since is re-read.
    if (!resumed) reread();
    return;
  }
  if (s === 'down') {
    notice(
      'events',
      `Live updates interrupted (${detail ?? 'unknown'}); results arrive by long poll meanwhile.`,
    );
    book.followUndecided();
  }
}

function onEvent(event: string, data: string): void {
  try {
    if (event === 'order') book.update(JSON.parse(data) as OrderView);
    else if (event === 'price') priceChanged(JSON.parse(data) as PriceTick);
    else if (event === 'reset') {
      // The events after our Last-Event-ID are no longer held: what they said is read whole instead.
      reread();
    }
  } catch (err) {
    console.warn('unusable event', event, err);
  }
}

/** While the stream is not open, the shown stock's latest tick is polled so the chart still moves. */
function pollPrices(): void {
  clearInterval(pricePoll);
  pricePoll = setInterval(async () => {
    if (book.streaming || !chart.stockId) return;
    const r = await api.get<PriceTick>(`/stocks/${encodeURIComponent(chart.stockId)}/price`);
    if (r.ok) priceChanged(r.body);
  }, PRICE_POLL_MS);
}

function start(): void {
  stream?.stop();
  account.user = undefined;
  book.clear();
  const key = sessionStorage.getItem(KEY_ITEM);
  byId('signed-in').textContent = key ? 'key set' : 'no key';
  void stocks.refresh();
  pollPrices();
  if (!key) return notice('key', 'Paste an API key to see your account and place orders.');
  notice('key', undefined);
  reread();
  stream = openEventStream({
    url: '/events',
    headers: () => api.headers(),
    onMessage: (m) => onEvent(m.event, m.data),
    onState: onStreamState,
  });
}

byId<HTMLFormElement>('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const key = byId<HTMLInputElement>('api-key').value.trim();
  if (key) sessionStorage.setItem(KEY_ITEM, key);
  else sessionStorage.removeItem(KEY_ITEM);
  byId<HTMLInputElement>('api-key').value = '';
  start();
});

byId<HTMLFormElement>('stock-pick').addEventListener('submit', (e) => {
  e.preventDefault();
  const id = byId<HTMLInputElement>('stock-id').value.trim();
  if (id) pickStock(stocks.stocks.get(id) ?? { stockid: id });
});

// Orders are placed for the key's user, as GET /account names them.
wireOrderForm(book, () => account.user);
start();
