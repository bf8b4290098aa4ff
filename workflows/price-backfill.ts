// The priceBackfill workflow: fills a range of minutes — a long gap — in blocks, a few blocks at a
// time, one activity per block. Each block publishes its minutes concurrently and heartbeats its
// progress, so a day's gap is a few dozen activities in history, not 1,440 workflow runs paced by the
// schedule's backfill. Every write downstream is keyed by (stock, minute): minutes already there, or
// redone after a retry, are overwritten, never doubled.
import {
  ActivityFailure,
  ApplicationFailure,
  continueAsNew,
  isCancellation,
  proxyActivities,
} from '@temporalio/workflow';
import {
  BackfillInputError,
  isoMinute,
  parseBackfillInput,
  runEndMs,
  splitIntoBlocks,
  type ParsedBackfill,
  type PriceBackfillInput,
  type PriceBackfillResult,
  type PriceRangeCounts,
} from '../lib/prices/backfill-plan';
import type { PriceActivities } from '../activities/price-activities';

const { fetchAndPublishRange } = proxyActivities<PriceActivities>({
  // A block of 60 minutes takes seconds with the simulated source; TSETMC is slower, and a retry
  // resumes from the heartbeated minute, so each attempt gets further.
  startToCloseTimeout: '10m',
  // A worker that died mid-block is noticed within this, and the block moves to another attempt.
  heartbeatTimeout: '30s',
  // Keep retrying a failing source with backoff for two hours per block: the minutes stay wanted.
  scheduleToCloseTimeout: '2h',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    nonRetryableErrorTypes: ['InvalidRange'],
  },
});

export async function priceBackfill(input: PriceBackfillInput): Promise<PriceBackfillResult> {
  const range = validated(input);
  // This run's share: at most BACKFILL_LIMITS.blocksPerRun blocks; the rest continues as new.
  const endMs = runEndMs(range);
  const blocks = splitIntoBlocks(range.fromMs, endMs, range.blockMinutes);
  const totals: PriceRangeCounts = {
    minutes: range.carried?.minutes ?? 0,
    skipped: range.carried?.skipped ?? 0,
    published: range.carried?.published ?? 0,
  };
  const failed: string[] = [];
  let next = 0;
  const lane = async () => {
    // After a block has failed for good, no new block starts; those in flight finish.
    while (next < blocks.length && failed.length === 0) {
      const block = blocks[next++];
      try {
        const done = await fetchAndPublishRange(block);
        totals.minutes += done.minutes;
        totals.skipped += done.skipped;
        totals.published += done.published;
      } catch (err) {
        if (isCancellation(err)) throw err; // the backfill was cancelled: end as cancelled, not failed
        failed.push(`${block.from} to ${block.to}: ${failureReason(err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(range.parallel, blocks.length) }, lane));

  const from = range.carried?.from ?? isoMinute(range.fromMs);
  const to = isoMinute(range.toMs);
  if (failed.length > 0) {
    throw ApplicationFailure.create({
      type: 'BackfillBlockFailed',
      nonRetryable: true,
      message:
        `backfill ${from} to ${to}: ${failed.length} block(s) failed after retries (the others are ` +
        `published; start the failed ranges again): ${failed.join('; ')}`,
      details: [totals],
    });
  }
  if (endMs < range.toMs) {
    return await continueAsNew<typeof priceBackfill>({
      from: isoMinute(endMs),
      to,
      blockMinutes: range.blockMinutes,
      parallel: range.parallel,
      carried: { from, to, ...totals },
    });
  }
  return { from, to, ...totals };
}

function validated(input: PriceBackfillInput): ParsedBackfill {
  try {
    return parseBackfillInput(input);
  } catch (err) {
    if (!(err instanceof BackfillInputError)) throw err;
    throw ApplicationFailure.create({
      type: 'InvalidBackfillInput',
      nonRetryable: true,
      message: `priceBackfill ${err.message}`,
      details: [{ field: err.field }],
    });
  }
}

function failureReason(err: unknown): string {
  if (err instanceof ActivityFailure) return err.cause?.message ?? err.message;
  return (err as Error).message;
}
