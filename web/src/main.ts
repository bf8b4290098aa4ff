// The trading page: an API key (kept in sessionStorage), the account, the stocks and a live minute
// chart, a buy form and the user's orders, all kept current by GET /events (or by polling without it).
import { ApiClient, type OrderView, type PriceTick, type Stock } from './api';
import { PriceChart } from './chart';
import { AccountPanel, StockList } from './market';
import { OrderBook, wireOrderForm } from './orders';
import { openEventStream, type StreamState } from './sse';
import { byId, notice } from './ui';

const KEY_ITEM = 'bourse.apiKey';
const USER_ITEM = 'bourse.user';
/** Without the event stream, the shown stock's latest price is read this often. */
const PRICE_POLL_MS = 5_000;

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

/** An order changed: the account follows (credit reserved, settled or released), once per burst. */
book.onChange = () => {
  clearTimeout(accountTimer);
  accountTimer = setTimeout(() => void account.refresh(), 250);
};

function onStreamState(s: StreamState, detail?: string): void {
  const live = byId('live-state');
  live.dataset.state = s;
  live.textContent = { connecting: 'connecting…', open: 'live', missing: 'polling', down: 'reconnecting…' }[
    s
  ];
  book.streaming = s === 'open';
  if (s === 'open') {
    notice('events', undefined);
    // Whatever changed while the stream was away.
    void book.refresh();
    void account.refresh();
    return;
  }
  if (s === 'missing') {
    notice(
      'events',
      'This API does not serve GET /events yet: results arrive by long poll, prices by polling.',
    );
  } else if (s === 'down') {
    notice(
      'events',
      `Live updates interrupted (${detail ?? 'unknown'}); results arrive by long poll meanwhile.`,
    );
  }
  if (s !== 'connecting') book.followUndecided();
}

function onEvent(event: string, data: string): void {
  try {
    if (event === 'order') book.update(JSON.parse(data) as OrderView);
    else if (event === 'price') {
      const tick = JSON.parse(data) as PriceTick;
      stocks.tick(tick);
      chart.add(tick);
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
    if (r.ok) {
      stocks.tick(r.body);
      chart.add(r.body);
    }
  }, PRICE_POLL_MS);
}

function start(): void {
  stream?.stop();
  const key = sessionStorage.getItem(KEY_ITEM);
  byId('signed-in').textContent = key ? 'key set' : 'no key';
  void stocks.refresh();
  pollPrices();
  if (!key) return notice('key', 'Paste an API key to see your account and place orders.');
  notice('key', undefined);
  void account.refresh();
  void book.refresh();
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
  const user = byId<HTMLInputElement>('user-id').value.trim();
  if (key) sessionStorage.setItem(KEY_ITEM, key);
  else sessionStorage.removeItem(KEY_ITEM);
  if (user) sessionStorage.setItem(USER_ITEM, user);
  byId<HTMLInputElement>('api-key').value = '';
  start();
});

byId<HTMLFormElement>('stock-pick').addEventListener('submit', (e) => {
  e.preventDefault();
  const id = byId<HTMLInputElement>('stock-id').value.trim();
  if (id) pickStock(stocks.stocks.get(id) ?? { stockid: id });
});

wireOrderForm(book, () => {
  const typed = byId<HTMLInputElement>('user-id').value.trim();
  if (typed) sessionStorage.setItem(USER_ITEM, typed);
  return account.user ?? (typed || sessionStorage.getItem(USER_ITEM) || undefined);
});

byId<HTMLInputElement>('user-id').value = sessionStorage.getItem(USER_ITEM) ?? '';
start();
