// What a chaos run reports: the kills it survived, the orders it placed and each invariant with its count.
import type { AppProcess } from '../stack/app-processes';
import type { ServiceName } from '../stack/spec';
import type { Invariant } from './invariants';

export type Kind = AppProcess | ServiceName;

export interface ChaosReport {
  seed: number;
  kills: Record<Kind, number>;
  selfExits: Record<AppProcess, number>;
  orders: {
    placed: number;
    accepted: number;
    retries: number;
    duplicates: number;
    byFinal: Record<string, number>;
  };
  invariants: Invariant[];
  ok: boolean;
}

const counts = (r: Record<string, number>) =>
  Object.entries(r)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

export function formatReport(r: ChaosReport): string {
  const lines = [
    `seed ${r.seed}`,
    `kills survived: ${counts(r.kills)}`,
    `processes that died on their own (restarted): ${counts(r.selfExits)}`,
    `orders: ${r.orders.placed} placed, ${r.orders.accepted} accepted, ${r.orders.retries} client retries; ` +
      Object.entries(r.orders.byFinal)
        .map(([k, n]) => `${n} × ${k}`)
        .join('; '),
  ];
  for (const inv of r.invariants) {
    lines.push(
      `${inv.violations.length === 0 ? 'OK  ' : 'FAIL'} ${inv.name}: ${inv.checked} checked, ${inv.violations.length} violations`,
    );
    for (const v of inv.violations.slice(0, 20)) lines.push(`       ${v}`);
  }
  lines.push(r.ok ? 'all invariants hold' : 'INVARIANTS VIOLATED');
  return lines.join('\n');
}
