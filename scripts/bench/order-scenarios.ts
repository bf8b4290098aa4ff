// The bench's order scenarios: acceptance (open-loop POST /orders against the API and the baseline) and
// completion (orders finished per second with a short verification). Result delivery: order-delivery.ts.
import type { Config } from '../../lib/infra/config';
import { buyOrderWorkflowId } from '../../lib/contracts/orders';
import { createTemporalClient } from '../../lib/infra/temporal';
import { fmt, orderApi, say, sleep } from './bench-lib';
import { coresText } from './cpu';
import { BASELINE_PORT, BENCH_ENV, type BenchOptions } from './options';
import {
  drain,
  errorKindsText,
  load,
  newUser,
  newUsers,
  untilAccepting,
  WARMUP_SECONDS,
  type LoadFigures,
} from './order-load';

export async function acceptance(cfg: Config, opts: BenchOptions) {
  const api = orderApi(`http://127.0.0.1:${BENCH_ENV.API_PORT}`);
  const baseline = orderApi(`http://127.0.0.1:${BASELINE_PORT}`);
  const user = await newUsers(cfg, 'accept');
  await untilAccepting(api, user[0]);
  const rows = [];
  for (const rate of opts.rates.map(Number)) {
    const figures: Record<string, LoadFigures> = {};
    for (const [name, target] of [
      ['baseline', baseline],
      ['temporal', api],
    ] as const) {
      await load(target, user, rate, WARMUP_SECONDS); // warm-up, discarded
      if (name === 'temporal') await drain(cfg);
      // bourse's figures cover the drain: an order answered 202 is checked after the load, and its CPU
      // and its check count with the order.
      const f = await load(
        target,
        user,
        rate,
        opts.duration / 1000,
        name === 'temporal' ? () => drain(cfg) : undefined,
      );
      figures[name] = { ...f, orderIds: undefined } as LoadFigures;
      const kinds = errorKindsText(f.errorKinds);
      say(
        `accept ${name} @ ${rate}/s: ${fmt(f.latencyMs)}, ${f.achievedPerSecond}/s, errors ${f.errors}${kinds ? ` (${kinds})` : ''}; cores: ${coresText(f.cpuCores)}`,
      );
    }
    const t = figures.temporal;
    const b = figures.baseline;
    rows.push({
      rate,
      temporal: t,
      baseline: b,
      p50Ratio: Math.round((t.latencyMs.p50 / b.latencyMs.p50) * 10) / 10,
      p99Ratio: Math.round((t.latencyMs.p99 / b.latencyMs.p99) * 10) / 10,
    });
  }
  return rows;
}

/**
 * Acceptance at one rate against the API only (no baseline): the goal's "accept p99 at half the
 * ceiling rate", measured right after the ceiling at that rate.
 */
export async function acceptanceAt(cfg: Config, opts: BenchOptions, rate: number) {
  const api = orderApi(`http://127.0.0.1:${BENCH_ENV.API_PORT}`);
  const user = await newUsers(cfg, 'accept-half');
  await untilAccepting(api, user[0]);
  await load(api, user, rate, WARMUP_SECONDS); // warm-up, discarded
  await drain(cfg);
  const f: LoadFigures = {
    ...(await load(api, user, rate, opts.duration / 1000, () => drain(cfg))),
    orderIds: undefined,
  } as LoadFigures;
  const kinds = errorKindsText(f.errorKinds);
  say(
    `accept @ ${rate}/s (half the ceiling): ${fmt(f.latencyMs)}, ${f.achievedPerSecond}/s, queued (202) ${f.queued}, errors ${f.errors}${kinds ? ` (${kinds})` : ''}`,
  );
  return f;
}

export async function completion(cfg: Config, opts: BenchOptions) {
  const api = orderApi(`http://127.0.0.1:${BENCH_ENV.API_PORT}`);
  const warm = await newUser(cfg, 'complete-warm');
  await untilAccepting(api, warm);
  await load(api, warm, opts['complete-rate'], WARMUP_SECONDS);
  await drain(cfg);
  const user = await newUser(cfg, 'complete');
  const f = await load(api, user, opts['complete-rate'], opts.duration / 1000);
  const { orderIds, ...accepted } = f;
  // Wait (up to 60 s after the last POST) for every accepted order's workflow to close. Completed
  // counts every order of the run that finished, also one whose POST timed out (503 unavailable: its
  // workflow had started); notCompleted counts accepted orders that did not finish.
  const temporal = createTemporalClient(cfg);
  const query = `WorkflowType = "buyOrder" AND OrderUser = "${user}" AND ExecutionStatus = "Completed"`;
  const accepted201 = new Set(orderIds.map(buyOrderWorkflowId));
  const deadline = Date.now() + 60_000;
  let closed: { id: string; start: number; close: number }[];
  for (;;) {
    closed = [];
    for await (const wf of temporal.workflow.list({ query })) {
      closed.push({ id: wf.workflowId, start: wf.startTime.getTime(), close: wf.closeTime?.getTime() ?? 0 });
    }
    const done = new Set(closed.map((c) => c.id));
    if ([...accepted201].every((id) => done.has(id)) || Date.now() > deadline) break;
    await sleep(1_000);
  }
  await temporal.connection.close();
  const completed = closed.length;
  const firstStart = Math.min(...closed.map((c) => c.start));
  const lastClose = Math.max(...closed.map((c) => c.close));
  const seconds = (lastClose - firstStart) / 1000;
  const done = new Set(closed.map((c) => c.id));
  return {
    verificationDelay: '200ms',
    accepted,
    completed,
    notCompleted: [...accepted201].filter((id) => !done.has(id)).length,
    firstStartToLastCloseSeconds: seconds,
    completedPerSecond: Math.round((completed / seconds) * 10) / 10,
  };
}
