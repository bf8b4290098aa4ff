// The bench's printed table, from the figures it has just written.
import { fmt, type Stats } from './bench-lib';

const fmtMax = (s: Stats) => `p50 ${s.p50} / p99 ${s.p99} / max ${s.max} ms (n=${s.n})`;
import { drainVsCapacity, goalVerdict, openingCapacity, type Goal } from './order-goals';
import { errorKindsText } from './order-load';
import { importRows } from './prices-import';
import { ingestRows } from './prices-ingest';
import { startupRows } from './startup';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call --
   the JSON just written, read back for display */
export function printTable(r: Record<string, any>): void {
  const rows: [string, string, string][] = [];
  const share = (x?: number) => (x === undefined ? '' : `; ×${x} of the ceiling`);
  for (const [when, c] of [
    ['before', r.ceiling],
    ['after', r.ceilingAfter],
  ] as const) {
    if (!c) continue;
    rows.push([
      `ceiling (${when} the order figures): bare Update-with-Start, ${c.callers} callers`,
      `${c.startsPerSecond} starts/s; ${fmt(c.latencyMs)}`,
      `errors ${c.errors}${when === 'after' && r.ofCeiling ? `; shares below of the mean, ${r.ofCeiling.ceilingStartsPerSecond}/s` : ''}`,
    ]);
  }
  if (r.ceilingShape)
    rows.push([
      `own-shape ceiling: buyOrder's commands, activities doing nothing, ${r.ceilingShape.callers} callers`,
      `${r.ceilingShape.startsPerSecond} starts/s; ${fmt(r.ceilingShape.latencyMs)}`,
      `errors ${r.ceilingShape.errors}`,
    ]);
  if (r.ceilingHalf)
    rows.push([
      `ceiling @ ${r.ceilingHalf.offeredPerSecond}/s open loop (half its rate)`,
      `${fmt(r.ceilingHalf.latencyMs)}; ${r.ceilingHalf.achievedPerSecond}/s`,
      `errors ${r.ceilingHalf.errors}`,
    ]);
  if (r.acceptHalf)
    rows.push([
      `accept @ ${r.acceptHalf.offeredPerSecond}/s offered (half the ceiling)`,
      `${fmt(r.acceptHalf.latencyMs)}; ${r.acceptHalf.achievedPerSecond}/s`,
      `errors ${r.acceptHalf.errors}${r.acceptHalf.errors ? ` (${errorKindsText(r.acceptHalf.errorKinds)})` : ''}`,
    ]);
  for (const a of r.accept ?? []) {
    rows.push([
      `accept @ ${a.rate}/s offered`,
      `${fmt(a.temporal.latencyMs)}; ${a.temporal.achievedPerSecond}/s; errors ${a.temporal.errors}${a.temporal.errors ? ` (${errorKindsText(a.temporal.errorKinds)})` : ''}`,
      `baseline ${fmt(a.baseline.latencyMs)}; ratio p50 ×${a.p50Ratio}, p99 ×${a.p99Ratio}${share(r.ofCeiling?.acceptedByRate?.[a.rate])}`,
    ]);
  }
  if (r.opening) {
    const o = r.opening;
    const cap = openingCapacity(r);
    const vs = cap && drainVsCapacity(o.offered, o.drainSeconds, cap.perSecond);
    const others = errorKindsText(o.otherErrors);
    rows.push([
      `opening: ${o.offered} orders from ${o.users} users within ${o.offeredWithinSeconds} s`,
      `${o.answered201} × 201, ${o.answered202} × 202, ${o.refusedForLoad} × 503 overloaded${others ? `, ${others}` : ''}`,
      `ack ${fmt(o.ackLatencyMs)}; denied ${o.denied}`,
    ]);
    rows.push([
      'opening: drain (first offer → last check decided)',
      `${o.drainSeconds} s`,
      vs
        ? `orders ÷ capacity ${vs.idealSeconds} s (${cap.perSecond}/s, ${cap.from}); ×${vs.ratio}`
        : 'capacity not measured (needs --only accept or ceiling-shape)',
    ]);
  }
  if (r.complete)
    rows.push([
      `complete @ ${r.complete.accepted.offeredPerSecond}/s offered, verify 200 ms`,
      `${r.complete.completedPerSecond} completed/s (n=${r.complete.completed})`,
      `not completed ${r.complete.notCompleted}${share(r.ofCeiling?.completed)}; refused ${r.complete.accepted.errors}${r.complete.accepted.errors ? ` (${errorKindsText(r.complete.accepted.errorKinds)})` : ''}; accept ${fmt(r.complete.accepted.latencyMs)}`,
    ]);
  if (r.delivery)
    rows.push([
      'close → long-poll answer',
      fmt(r.delivery.closeToAnswerMs),
      `${r.delivery.concurrentClients} clients`,
    ]);
  if (r.sse) {
    const v = `verify ${r.sse.verificationDelay}, ${r.sse.concurrentClients} callers`;
    rows.push(['close → SSE final event', fmtMax(r.sse.closeToSseEventMs), v]);
    rows.push(['close → long poll (same orders)', fmtMax(r.sse.closeToLongPollMs), v]);
  }
  if (r.ordersList) {
    const l = r.ordersList;
    rows.push([
      `GET /orders, ${l.orders} orders: fill`,
      `published ${l.publishSeconds} s, stored after ${l.storedSeconds} s`,
      'KafkaJS producer → order-events consumer',
    ]);
    for (const [name, byC] of Object.entries(l.latencyMs as Record<string, Record<string, Stats>>)) {
      rows.push([
        `GET /orders ${name}`,
        Object.entries(byC)
          .map(([c, s]) => `${c}: p50 ${s.p50} / p99 ${s.p99}`)
          .join('; '),
        `ms, ${l.requestsPerCase} requests each; cN = N at once`,
      ]);
    }
  }
  if (r.limits) {
    const l = r.limits;
    rows.push([
      `limit orders: ${l.orders} open buys placed`,
      `${l.placeSeconds.toFixed(1)} s, ${l.placedPerSecond}/s`,
      `Redis per open order: book ${l.bookBytesPerOrder} B, used_memory ${l.usedMemoryBytesPerOrder} B`,
    ]);
    rows.push([
      `limit orders: one tick crossing ${l.crossed}`,
      `all In Progress after ${l.wakeSeconds} s; ${l.cpuSeconds} CPU s`,
      `crossed not In Progress (or later) ${l.crossedNotInProgress}; uncrossed moved ${l.uncrossedMoved}, listed ${l.uncrossedListed}`,
    ]);
  }
  if (r.startup) rows.push(...startupRows(r.startup));
  if (r.ingest) rows.push(...ingestRows(r.ingest));
  if (r.catchup)
    rows.push([
      `catch-up ${r.catchup.minutes} min × ${r.catchup.stocks} stocks, schedule backfill`,
      `${r.catchup.seconds.toFixed(1)} s, ${r.catchup.ticksPerSecond} ticks/s`,
      `stored ${r.catchup.storedTicks}/${r.catchup.expectedTicks}`,
    ]);
  if (r.catchupWorkflow) {
    const c = r.catchupWorkflow;
    rows.push([
      `catch-up ${c.minutes} min × ${c.stocks} stocks, priceBackfill workflow`,
      `${c.seconds.toFixed(1)} s, ${c.ticksPerSecond} ticks/s`,
      `stored ${c.storedTicks}/${c.expectedTicks}; blocks of ${c.blockMinutes} min, ${c.parallel} at once; ` +
        `workflow done at ${c.workflowSeconds === undefined ? '—' : `${c.workflowSeconds.toFixed(1)} s`}`,
    ]);
  }
  if (r.freshness)
    rows.push([
      `live freshness (${r.freshness.stocks} stocks, ${r.freshness.minutesObserved} min)`,
      fmt(r.freshness.delayMs),
      `poll ${r.freshness.pollIntervalMs} ms; missing ${r.freshness.missing}`,
    ]);
  rows.push(...importRows(r.import));
  for (const g of (r.orderGoals ?? []) as Goal[]) rows.push([`goal: ${g.goal}`, g.measured, goalVerdict(g)]);
  rows.push([
    'peak RSS (MiB)',
    Object.entries(r.peakRssMiB as Record<string, number>)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
    '',
  ]);
  const w = [0, 1].map((i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows)
    process.stdout.write(`${row[0].padEnd(w[0])} | ${row[1].padEnd(w[1])} | ${row[2]}\n`);
  for (const [name, lines] of Object.entries(r.profiles ?? {})) {
    process.stdout.write(`\nprofile ${name} (self time):\n  ${(lines as string[]).join('\n  ')}\n`);
  }
}
