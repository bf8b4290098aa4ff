// Small DOM helpers: element building, notices, number and time formats.
import type { Answer } from './api';

type Attrs = Record<string, string | undefined>;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
}

/** Each `<table data-columns="A|B|C">` gets its header row: the columns are named once, in the markup. */
export function headTables(): void {
  for (const table of document.querySelectorAll<HTMLTableElement>('table[data-columns]')) {
    const names = (table.dataset.columns ?? '').split('|');
    table.createTHead().replaceChildren(el('tr', {}, ...names.map((n) => el('th', {}, n))));
  }
}

/** One notice per key: shown, replaced, or (text undefined) removed. */
export function notice(key: string, text: string | undefined, kind: 'info' | 'error' = 'info'): void {
  const box = byId('notices');
  const old = box.querySelector(`[data-key="${CSS.escape(key)}"]`);
  if (text === undefined) {
    old?.remove();
    return;
  }
  const item = el('p', { 'data-key': key, class: `notice ${kind}` }, text);
  if (old) old.replaceWith(item);
  else box.append(item);
}

/** An answer's body (clearing the panel's notice), or undefined with its error shown under the panel's name. */
export function bodyOf<T>(panel: string, label: string, r: Answer<T>): T | undefined {
  if (r.ok) {
    notice(panel, undefined);
    return r.body;
  }
  notice(panel, `${label}: ${r.message}`, 'error');
  return undefined;
}

const rials = new Intl.NumberFormat('en-US');
export const money = (n: number | undefined): string => (n === undefined ? '—' : rials.format(n));

/** The exchange's clock: every time the page shows is Tehran time, whatever the browser's zone. */
export const TIME_ZONE = 'Asia/Tehran';
const tehranClock = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});
const tehranParts = new Intl.DateTimeFormat('en-US', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
  hourCycle: 'h23',
});

export const clock = (iso: string | undefined): string => (iso ? tehranClock.format(new Date(iso)) : '—');

/**
 * The instant `ms` as Tehran's wall clock read as if it were UTC, ms: a chart that labels its axis in
 * UTC then shows Tehran times, with its hour marks on Tehran's hours.
 */
export function tehranWallClock(ms: number): number {
  const p = Object.fromEntries(tehranParts.formatToParts(ms).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) + (ms % 1000);
}

/** Text changed only when it differs, so an unchanged cell is left as it is. */
export function setText(cell: HTMLElement, text: string): void {
  if (cell.textContent !== text) cell.textContent = text;
}

/**
 * A table body whose rows are made once per key and then changed in place: a body rebuilt on every
 * change swapped the row under the pointer, so a click whose press and release met two different rows
 * was lost (and a quantity being typed into a row lost its text).
 */
export class KeyedRows<T> {
  private readonly rows = new Map<string, HTMLTableRowElement>();

  constructor(
    private readonly bodyId: string,
    private readonly make: (key: string) => HTMLTableRowElement,
    private readonly fill: (row: HTMLTableRowElement, item: T) => void,
  ) {}

  /** The body shows these items, in this order; a row already in its place is not moved (nor detached). */
  render(items: Iterable<readonly [string, T]>): number {
    const body = byId(this.bodyId);
    const shown = new Set<string>();
    let at = body.firstElementChild;
    for (const [key, item] of items) {
      shown.add(key);
      let row = this.rows.get(key);
      if (!row) this.rows.set(key, (row = this.make(key)));
      this.fill(row, item);
      if (row === at) at = at.nextElementSibling;
      else body.insertBefore(row, at);
    }
    for (const [key, row] of this.rows) {
      if (shown.has(key)) continue;
      row.remove();
      this.rows.delete(key);
    }
    return shown.size;
  }
}
