// The selected stock's minute chart (TradingView's lightweight-charts): its history from
// GET /stocks/:id/prices, then each new tick as it arrives.
import {
  createChart,
  LineSeries,
  type IChartApi,
  type ISeriesApi,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { ApiClient, PriceTick } from './api';
import { byId, clock, el, money, notice, tehranWallClock } from './ui';

interface Point {
  time: UTCTimestamp;
  value: number;
}

// The chart labels its time axis in UTC: it is given Tehran's wall clock, so it shows Tehran times.
const toPoint = (t: PriceTick): Point => ({
  time: (tehranWallClock(Date.parse(t.minute)) / 1000) as UTCTimestamp,
  value: t.price,
});

export class PriceChart {
  private readonly chart: IChartApi;
  private readonly series: ISeriesApi<'Line'>;
  private readonly points = new Map<number, number>();
  private last: PriceTick | undefined;
  stockId: string | undefined;

  constructor(private readonly api: ApiClient) {
    const box = byId('chart');
    this.chart = createChart(box, {
      autoSize: true,
      layout: { background: { color: '#ffffff' }, textColor: '#1f2933' },
      timeScale: { timeVisible: true, secondsVisible: false, rightOffset: 4 },
      localization: { priceFormatter: money },
    });
    this.series = this.chart.addSeries(LineSeries, { color: '#0b6e4f', lineWidth: 2 });
  }

  /** Shows a stock: its last hours of minutes (empty chart and a notice when it has none). */
  async show(stockId: string, name?: string): Promise<void> {
    this.stockId = stockId;
    this.points.clear();
    this.last = undefined;
    // The previous stock's line goes now: a tick of this one arriving before the history is drawn on
    // an empty series, never against another stock's later minutes.
    this.series.setData([]);
    // <bdi>: a Persian name keeps its own direction without reordering the id beside it.
    byId('chart-title').replaceChildren(...(name ? [el('bdi', {}, name), ` (${stockId})`] : [stockId]));
    // Both ends: a lone `from` means the hour after it.
    const to = new Date();
    const range = new URLSearchParams({
      from: new Date(to.getTime() - 6 * 3_600_000).toISOString(),
      to: to.toISOString(),
    });
    const r = await this.api.get<{ prices: PriceTick[] }>(
      `/stocks/${encodeURIComponent(stockId)}/prices?${range}`,
    );
    if (this.stockId !== stockId) return; // another stock was picked meanwhile
    if (!r.ok) {
      notice('chart', `No price history for ${stockId}: ${r.message}`);
      this.render();
      return;
    }
    notice('chart', undefined);
    // Ticks that arrived while the history was asked for stay as they came: the history may predate them.
    for (const t of r.body.prices) {
      const { time } = toPoint(t);
      if (this.points.has(time)) continue;
      this.points.set(time, t.price);
      if (!this.last || t.minute > this.last.minute) this.last = t;
    }
    this.series.setData(this.data());
    this.chart.timeScale().fitContent();
    this.render();
  }

  /** A new tick: drawn if it is the shown stock's and not older than the chart's last minute. */
  add(t: PriceTick): void {
    if (t.stockId !== this.stockId) return;
    const p = toPoint(t);
    const last = this.data().at(-1);
    if (last && p.time < last.time) return;
    this.points.set(p.time, p.value);
    this.series.update(p);
    // Not older than the newest point: the chart's last price, whichever way the others came.
    this.last = t;
    this.render();
  }

  private data(): Point[] {
    return [...this.points]
      .sort(([a], [b]) => a - b)
      .map(([time, value]) => ({ time: time as UTCTimestamp, value }));
  }

  private render(): void {
    const last = this.last;
    const box = byId('chart');
    box.dataset.points = String(this.points.size);
    box.dataset.lastPrice = last ? String(last.price) : '';
    byId('chart-last').textContent = last
      ? `Last: ${money(last.price)} rials at ${clock(last.minute)} Tehran (${this.points.size} minutes shown)`
      : 'No prices in the last 6 hours';
  }
}
