// Small DOM helpers: element building, notices, number and time formats.

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

const rials = new Intl.NumberFormat('en-US');
export const money = (n: number | undefined): string => (n === undefined ? '—' : rials.format(n));

export const clock = (iso: string | undefined): string =>
  iso
    ? new Date(iso).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' })
    : '—';
