// What both sides of the priceBackfill wire agree on: the workflow type, its id, input and result, and
// the pure range logic (validation, splitting into blocks) the workflow runs and the starters check
// before starting it. Workflow-safe: no I/O, no Node built-ins.
import type { PriceRange, PriceRangeCounts, PriceRangeResult } from '../contracts/price-fetch';
import { MINUTE_MS } from './sources/source';

export const PRICE_BACKFILL_WORKFLOW = 'priceBackfill';

export const BACKFILL_DEFAULTS = { blockMinutes: 60, parallel: 4 } as const;
export const BACKFILL_LIMITS = {
  /** The longest range one backfill takes (TSETMC keeps history for years; a typo should not). */
  maxDays: 31,
  maxBlockMinutes: 1_440,
  maxParallel: 32,
  /** Blocks one workflow run does before it continues as new, so its history stays small. */
  blocksPerRun: 500,
} as const;

// The range shapes are the price activities' (lib/contracts/price-fetch.ts); the workflow takes them from here.
export type { PriceRange, PriceRangeCounts, PriceRangeResult };

export interface PriceBackfillInput {
  /** The first minute to fill, an ISO 8601 time with a zone, e.g. 2026-11-21T09:00:00Z. */
  from: string;
  /** The end of the range, not included. */
  to: string;
  /** Minutes per block activity (default 60). */
  blockMinutes?: number;
  /** Block activities running at once (default 4). */
  parallel?: number;
  /** Set by the workflow itself when it continues as new: where the range began and what is done. */
  carried?: PriceRangeResult;
}

export type PriceBackfillResult = PriceRangeResult;

/** The workflow's signature, for typed handles without importing workflow code. */
export type PriceBackfillWorkflow = (input: PriceBackfillInput) => Promise<PriceBackfillResult>;

/** A bad backfill input, naming the field. */
export class BackfillInputError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'BackfillInputError';
  }
}

export interface ParsedBackfill {
  fromMs: number;
  toMs: number;
  blockMinutes: number;
  parallel: number;
  carried?: PriceRangeResult;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** A whole minute given as an ISO time with a zone, in epoch ms; throws naming `field` otherwise. */
export function parseWholeMinute(field: string, value: unknown): number {
  const ms = typeof value === 'string' && ISO_TIME.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw new BackfillInputError(
      field,
      `not an ISO 8601 time with a zone (e.g. 2026-11-21T09:00:00Z): ${JSON.stringify(value)}`,
    );
  }
  if (ms % MINUTE_MS !== 0) throw new BackfillInputError(field, `not a whole minute: ${value as string}`);
  return ms;
}

function intIn(field: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const shown = typeof value === 'number' ? String(value) : JSON.stringify(value);
    throw new BackfillInputError(field, `must be an integer from ${min} to ${max}: ${shown}`);
  }
  return value;
}

const count = (field: string, value: unknown) => intIn(field, value, 0, 0, Number.MAX_SAFE_INTEGER);

/** Validates a priceBackfill input; throws BackfillInputError naming the first bad field. */
export function parseBackfillInput(input: unknown): ParsedBackfill {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new BackfillInputError('input', 'must be an object { from, to, blockMinutes?, parallel? }');
  }
  const i = input as Record<string, unknown>;
  const known = new Set(['from', 'to', 'blockMinutes', 'parallel', 'carried']);
  const extra = Object.keys(i).find((k) => !known.has(k));
  if (extra !== undefined) throw new BackfillInputError(extra, 'unknown field');
  const fromMs = parseWholeMinute('from', i.from);
  const toMs = parseWholeMinute('to', i.to);
  if (toMs <= fromMs) throw new BackfillInputError('to', `must be after from (${i.from as string})`);
  let carried: PriceRangeResult | undefined;
  if (i.carried !== undefined) {
    const c = i.carried as Record<string, unknown>;
    if (typeof c !== 'object' || c === null) throw new BackfillInputError('carried', 'must be an object');
    const startMs = parseWholeMinute('carried.from', c.from);
    if (startMs > fromMs) throw new BackfillInputError('carried.from', 'must not be after from');
    carried = {
      from: isoMinute(startMs),
      to: isoMinute(toMs),
      minutes: count('carried.minutes', c.minutes),
      skipped: count('carried.skipped', c.skipped),
      published: count('carried.published', c.published),
    };
  }
  const spanMs = toMs - (carried ? Date.parse(carried.from) : fromMs);
  if (spanMs > BACKFILL_LIMITS.maxDays * 1_440 * MINUTE_MS) {
    throw new BackfillInputError('to', `the range is longer than ${BACKFILL_LIMITS.maxDays} days`);
  }
  return {
    fromMs,
    toMs,
    blockMinutes: intIn(
      'blockMinutes',
      i.blockMinutes,
      BACKFILL_DEFAULTS.blockMinutes,
      1,
      BACKFILL_LIMITS.maxBlockMinutes,
    ),
    parallel: intIn('parallel', i.parallel, BACKFILL_DEFAULTS.parallel, 1, BACKFILL_LIMITS.maxParallel),
    carried,
  };
}

export const isoMinute = (ms: number) => new Date(ms).toISOString();

/** [fromMs, toMs) in consecutive blocks of `blockMinutes` (the last one may be shorter). */
export function splitIntoBlocks(fromMs: number, toMs: number, blockMinutes: number): PriceRange[] {
  const blocks: PriceRange[] = [];
  const step = blockMinutes * MINUTE_MS;
  for (let start = fromMs; start < toMs; start += step) {
    blocks.push({ from: isoMinute(start), to: isoMinute(Math.min(start + step, toMs)) });
  }
  return blocks;
}

/** Where one workflow run stops: after BACKFILL_LIMITS.blocksPerRun blocks, or at the range's end. */
export const runEndMs = (p: Pick<ParsedBackfill, 'fromMs' | 'toMs' | 'blockMinutes'>): number =>
  Math.min(p.toMs, p.fromMs + BACKFILL_LIMITS.blocksPerRun * p.blockMinutes * MINUTE_MS);

/**
 * `price-backfill-<from>-<to>`, the times in UTC without milliseconds (as the schedule's run ids):
 * the same range, however written, is the same workflow, so starting it twice finds the running one.
 */
export function priceBackfillWorkflowId(fromMs: number, toMs: number): string {
  const short = (ms: number) => isoMinute(ms).replace('.000Z', 'Z');
  return `price-backfill-${short(fromMs)}-${short(toMs)}`;
}
