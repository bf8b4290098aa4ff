// The bench's printed table, from the figures it has just written.
import { fmt } from './bench-lib';
import { errorKindsText } from './order-load';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the JSON just written, read back for display
export function printTable(r: Record<string, any>): void {
  const rows: [string, string, string][] = [];
  for (const a of r.accept ?? []) {
    rows.push([
      `accept @ ${a.rate}/s offered`,
      `${fmt(a.temporal.latencyMs)}; ${a.temporal.achievedPerSecond}/s; errors ${a.temporal.errors}${a.temporal.errors ? ` (${errorKindsText(a.temporal.errorKinds)})` : ''}`,
      `baseline ${fmt(a.baseline.latencyMs)}; ratio p50 ×${a.p50Ratio}, p99 ×${a.p99Ratio}`,
    ]);
  }
  if (r.complete)
    rows.push([
      `complete @ ${r.complete.accepted.offeredPerSecond}/s offered, verify 200 ms`,
      `${r.complete.completedPerSecond} completed/s (n=${r.complete.completed})`,
      `not completed ${r.complete.notCompleted}; refused ${r.complete.accepted.errors}${r.complete.accepted.errors ? ` (${errorKindsText(r.complete.accepted.errorKinds)})` : ''}; accept ${fmt(r.complete.accepted.latencyMs)}`,
    ]);
  if (r.delivery)
    rows.push([
      'close → long-poll answer',
      fmt(r.delivery.closeToAnswerMs),
      `${r.delivery.concurrentClients} clients`,
    ]);
  if (r.ingest)
    rows.push([
      'consumer ingest',
      `${r.ingest.ingestTicksPerSecond} ticks/s (n=${r.ingest.ticks})`,
      `redis-benchmark SET -P 16 ${r.ingest.redisBenchmarkSetP16PerSecond}/s; ratio ${r.ingest.ratioToRedisBenchmark}`,
    ]);
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
  rows.push([
    'peak RSS (MiB)',
    Object.entries(r.peakRssMiB)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
    '',
  ]);
  const w = [0, 1].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows)
    process.stdout.write(`${row[0].padEnd(w[0]!)} | ${row[1].padEnd(w[1]!)} | ${row[2]}\n`);
  for (const [name, lines] of Object.entries(r.profiles ?? {})) {
    process.stdout.write(`\nprofile ${name} (self time):\n  ${(lines as string[]).join('\n  ')}\n`);
  }
}
