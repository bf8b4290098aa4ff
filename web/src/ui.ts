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

export const clock = (iso: string | undefined): string =>
  iso
    ? new Date(iso).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : '—';
