// Pure backfill logic, no services: the priceBackfill input rules and blocks, the market-minute rule a
// range follows, and fetchAndPublishRange in a mocked activity context (concurrency, heartbeated
// progress, resuming from it) with a fake publisher.
import { MockActivityEnvironment } from '@temporalio/testing';
import { createPriceActivities, type PriceActivityDeps } from '../../activities/price-activities';
import { loadConfig } from '../../lib/infra/config';
import { createLogger } from '../../lib/infra/logger';
import { isMarketMinute, marketHours, priceMinuteRule } from '../../lib/prices/market-calendar';
import {
  BACKFILL_LIMITS,
  BackfillInputError,
  parseBackfillInput,
  priceBackfillWorkflowId,
  runEndMs,
  splitIntoBlocks,
} from '../../lib/prices/backfill-plan';
import type { RangeProgress } from '../../lib/contracts/price-fetch';
import { createSimulatedSource } from '../../lib/prices/sources/simulated';
import type { PriceTick } from '../../lib/contracts/price-tick';

const MINUTE = 60_000;
const t0 = Date.UTC(2025, 9, 8, 4, 0); // Wednesday 2025-10-08 07:30 Tehran
const iso = (ms: number) => new Date(ms).toISOString();

describe('priceBackfill input', () => {
  it('takes a range of whole minutes with defaults for blocks and parallelism', () => {
    expect(parseBackfillInput({ from: iso(t0), to: iso(t0 + 90 * MINUTE) })).toEqual({
      fromMs: t0,
      toMs: t0 + 90 * MINUTE,
      blockMinutes: 60,
      parallel: 4,
      carried: undefined,
    });
    // Any zone and precision for the same instant.
    const r = parseBackfillInput({ from: '2025-10-08T07:30+03:30', to: '2025-10-08T05:30:00.000Z' });
    expect([r.fromMs, r.toMs]).toEqual([t0, t0 + 90 * MINUTE]);
  });

  it.each([
    ['from', { from: 'yesterday', to: iso(t0) }],
    ['from', { from: '2025-10-08T04:00:00', to: iso(t0 + MINUTE) }], // no zone: ambiguous
    ['from', { from: iso(t0 + 30_000), to: iso(t0 + 5 * MINUTE) }], // not a whole minute
    ['from', { to: iso(t0) }],
    ['to', { from: iso(t0), to: 1_759_896_000_000 }],
    ['to', { from: iso(t0), to: iso(t0) }], // empty
    ['to', { from: iso(t0), to: iso(t0 - MINUTE) }],
    ['to', { from: iso(t0), to: iso(t0 + 32 * 1_440 * MINUTE) }], // longer than 31 days
    ['blockMinutes', { from: iso(t0), to: iso(t0 + MINUTE), blockMinutes: 0 }],
    ['blockMinutes', { from: iso(t0), to: iso(t0 + MINUTE), blockMinutes: 1.5 }],
    ['blockMinutes', { from: iso(t0), to: iso(t0 + MINUTE), blockMinutes: '60' }],
    ['parallel', { from: iso(t0), to: iso(t0 + MINUTE), parallel: 0 }],
    ['parallel', { from: iso(t0), to: iso(t0 + MINUTE), parallel: BACKFILL_LIMITS.maxParallel + 1 }],
    ['minute', { from: iso(t0), to: iso(t0 + MINUTE), minute: iso(t0) }], // unknown field
    ['input', 'from yesterday'],
    ['input', null],
  ])('rejects a bad %s', (field, input) => {
    let err: unknown;
    try {
      parseBackfillInput(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BackfillInputError);
    expect((err as BackfillInputError).field).toBe(field);
    expect((err as Error).message.startsWith(`${field}: `)).toBe(true);
  });

  it('counts the 31 days from where the backfill began when it continues as new', () => {
    const carried = {
      from: iso(t0),
      to: iso(t0 + 40 * 1_440 * MINUTE),
      minutes: 1,
      skipped: 0,
      published: 4,
    };
    expect(() =>
      parseBackfillInput({ from: iso(t0 + 20 * 1_440 * MINUTE), to: carried.to, carried }),
    ).toThrow('to: the range is longer than 31 days');
  });

  it('names the same range the same way, however it is written', () => {
    const a = parseBackfillInput({ from: '2026-11-21T12:30+03:30', to: '2026-11-22T09:00:00.000Z' });
    expect(priceBackfillWorkflowId(a.fromMs, a.toMs)).toBe(
      'price-backfill-2026-11-21T09:00:00Z-2026-11-22T09:00:00Z',
    );
  });
});

describe('blocks', () => {
  it('covers the range with consecutive blocks, the last one shorter', () => {
    expect(splitIntoBlocks(t0, t0 + 90 * MINUTE, 30)).toEqual([
      { from: iso(t0), to: iso(t0 + 30 * MINUTE) },
      { from: iso(t0 + 30 * MINUTE), to: iso(t0 + 60 * MINUTE) },
      { from: iso(t0 + 60 * MINUTE), to: iso(t0 + 90 * MINUTE) },
    ]);
    for (const [minutes, block] of [
      [1, 60],
      [100, 30],
      [1_440, 60],
      [1_441, 60],
      [7, 1],
    ] as const) {
      const blocks = splitIntoBlocks(t0, t0 + minutes * MINUTE, block);
      expect(blocks).toHaveLength(Math.ceil(minutes / block));
      expect(blocks[0].from).toBe(iso(t0));
      expect(blocks.at(-1)!.to).toBe(iso(t0 + minutes * MINUTE));
      blocks.slice(1).forEach((b, i) => expect(b.from).toBe(blocks[i].to)); // no gap, no overlap
    }
  });

  it('gives one workflow run at most blocksPerRun blocks', () => {
    const day = { fromMs: t0, toMs: t0 + 1_440 * MINUTE, blockMinutes: 60 };
    expect(runEndMs(day)).toBe(day.toMs); // 24 blocks: one run
    const month = { fromMs: t0, toMs: t0 + 31 * 1_440 * MINUTE, blockMinutes: 1 };
    const end = runEndMs(month);
    expect(end).toBe(t0 + BACKFILL_LIMITS.blocksPerRun * MINUTE);
    expect(splitIntoBlocks(month.fromMs, end, month.blockMinutes)).toHaveLength(BACKFILL_LIMITS.blocksPerRun);
  });
});

describe('the market-minute rule', () => {
  it('is every minute with the simulated source, the TSE session with tsetmc', () => {
    const simulated = priceMinuteRule(loadConfig({ PRICE_SOURCE: 'simulated' }));
    const tsetmcCfg = loadConfig({ PRICE_SOURCE: 'tsetmc' });
    const tsetmc = priceMinuteRule(tsetmcCfg);
    for (let m = 0; m < 2 * 1_440; m += 7) {
      const at = new Date(t0 + m * MINUTE);
      expect(simulated(at)).toBe(true);
      expect(tsetmc(at)).toBe(isMarketMinute(marketHours(tsetmcCfg), at));
    }
  });
});

describe('fetchAndPublishRange', () => {
  const stocks = ['778253364357513', '44891482026867833'];

  function harness(overrides: Partial<PriceActivityDeps> = {}, failAtMinute?: number) {
    const published: PriceTick[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const deps: PriceActivityDeps = {
      source: createSimulatedSource(),
      publisher: {
        async publish(ticks) {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          try {
            await new Promise((r) => setTimeout(r, 2));
            if (failAtMinute !== undefined && ticks[0]?.minute === iso(t0 + failAtMinute * MINUTE)) {
              throw new Error('kafka is down');
            }
            published.push([...ticks]);
          } finally {
            inFlight -= 1;
          }
        },
      },
      watchList: async () => stocks,
      isPriceMinute: () => true,
      log: createLogger('test', 'error'),
      ...overrides,
    };
    const activities = createPriceActivities(deps);
    const run = (range: { from: string; to: string }, heartbeatDetails?: RangeProgress) => {
      const env = new MockActivityEnvironment(heartbeatDetails ? { heartbeatDetails } : {});
      const beats: RangeProgress[] = [];
      env.on('heartbeat', (d: RangeProgress) => beats.push(d));
      // The activities are closures (createPriceActivities), not methods: passing one is safe.
      // eslint-disable-next-line @typescript-eslint/unbound-method
      return { beats, done: env.run(activities.fetchAndPublishRange, range) };
    };
    const minutesPublished = () => published.map((ticks) => ticks[0].minute).sort();
    return { run, published, minutesPublished, maxInFlight: () => maxInFlight };
  }

  it('publishes every minute of [from, to) once, several at a time, and heartbeats up to the end', async () => {
    const h = harness();
    const { beats, done } = h.run({ from: iso(t0), to: iso(t0 + 30 * MINUTE) });
    expect(await done).toEqual({
      from: iso(t0),
      to: iso(t0 + 30 * MINUTE),
      minutes: 30,
      skipped: 0,
      published: 60,
    });
    expect(h.minutesPublished()).toEqual(Array.from({ length: 30 }, (_, i) => iso(t0 + i * MINUTE)));
    expect(h.published.every((ticks) => ticks.length === stocks.length)).toBe(true);
    expect(h.maxInFlight()).toBeGreaterThan(1);
    expect(h.maxInFlight()).toBeLessThanOrEqual(8);
    // Progress only moves forward, and ends at `to` with the totals.
    const nexts = beats.map((b) => Date.parse(b.next));
    expect(nexts).toEqual([...nexts].sort((a, b) => a - b));
    expect(beats.at(-1)).toEqual({ next: iso(t0 + 30 * MINUTE), minutes: 30, skipped: 0, published: 60 });
  });

  it('fetches only market minutes with the tsetmc rule', async () => {
    const h = harness({ isPriceMinute: priceMinuteRule(loadConfig({ PRICE_SOURCE: 'tsetmc' })) });
    // 04:00–09:00 UTC on Wednesday 8 October 2025 is 07:30–12:30 Tehran: the session is 09:00–12:30.
    const result = await h.run({ from: iso(t0), to: iso(t0 + 300 * MINUTE) }).done;
    expect(result).toEqual(expect.objectContaining({ minutes: 210, skipped: 90, published: 420 }));
    expect(h.minutesPublished()[0]).toBe(iso(t0 + 90 * MINUTE)); // 09:00 Tehran
  });

  it('resumes from the progress a failed attempt heartbeated, keeping its counts', async () => {
    const failing = harness({}, 13);
    const first = failing.run({ from: iso(t0), to: iso(t0 + 30 * MINUTE) });
    await expect(first.done).rejects.toThrow('kafka is down');
    const last = first.beats.at(-1)!;
    // Progress never passes the failed minute, whatever finished after it.
    expect(Date.parse(last.next)).toBeLessThanOrEqual(t0 + 13 * MINUTE);
    expect(last.minutes).toBe((Date.parse(last.next) - t0) / MINUTE);

    const retry = harness();
    const result = await retry.run({ from: iso(t0), to: iso(t0 + 30 * MINUTE) }, last).done;
    expect(result).toEqual(expect.objectContaining({ minutes: 30, skipped: 0, published: 60 }));
    expect(retry.minutesPublished()[0]).toBe(last.next);
    expect(retry.minutesPublished()).toHaveLength(30 - last.minutes);
  });

  it('ignores heartbeat details that are not progress of this range', async () => {
    const h = harness();
    const stale = { next: iso(t0 - 60 * MINUTE), minutes: 5, skipped: 0, published: 10 };
    const result = await h.run({ from: iso(t0), to: iso(t0 + 10 * MINUTE) }, stale).done;
    expect(result).toEqual(expect.objectContaining({ minutes: 10, published: 20 }));
  });

  it('refuses a range that is not whole minutes, for good', async () => {
    const h = harness();
    await expect(h.run({ from: iso(t0 + 1), to: iso(t0 + MINUTE) }).done).rejects.toMatchObject({
      type: 'InvalidRange',
      nonRetryable: true,
    });
    await expect(h.run({ from: iso(t0), to: iso(t0) }).done).rejects.toMatchObject({ type: 'InvalidRange' });
  });
});
