// The priceFetch workflow: one run per minute. It fetches that minute's prices and publishes them to
// Kafka — in one activity, so a large watch list never passes through workflow history.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { PriceActivities } from '../activities/price-activities';
import type { PriceFetchInput, PriceFetchResult } from '../lib/contracts/price-fetch';

const { fetchAndPublishPrices } = proxyActivities<PriceActivities>({
  // One attempt may take a while with the TSETMC source (hundreds of rate-limited HTTP calls).
  startToCloseTimeout: '5m',
  // Keep retrying a failing source with backoff for an hour: the minute stays wanted.
  scheduleToCloseTimeout: '1h',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    nonRetryableErrorTypes: ['InvalidMinute'],
  },
});

/** Set by the server on every run a schedule starts: on time, caught up, or backfilled. */
const SCHEDULED_START_TIME = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);

export async function priceFetch(input: PriceFetchInput = {}): Promise<PriceFetchResult> {
  return await fetchAndPublishPrices({ minute: runMinute(input) });
}

/** The minute this run is for: the explicit argument, else the schedule's nominal time. */
function runMinute(input: PriceFetchInput): string {
  let at: Date | undefined;
  if (input.minute !== undefined) {
    at = new Date(input.minute);
    if (Number.isNaN(at.getTime())) {
      throw ApplicationFailure.nonRetryable(`not a time: ${input.minute}`, 'InvalidMinute');
    }
  } else {
    at = workflowInfo().typedSearchAttributes.get(SCHEDULED_START_TIME);
    if (at === undefined) {
      throw ApplicationFailure.nonRetryable(
        'priceFetch started without a minute: pass { minute } or start it from the price-fetch schedule',
        'InvalidMinute',
      );
    }
  }
  return new Date(Math.floor(at.getTime() / 60_000) * 60_000).toISOString();
}
