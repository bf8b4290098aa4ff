// The bench's ceiling workflows, bundled only by the bench's ceiling worker (ceiling-worker.ts), never
// into the product's workflow bundle. benchCeiling: Update-with-Start answered by the first workflow
// task, and closed in it too — no activities, no timers, no search-attribute upserts; what buyOrder
// costs above this is bourse's, this is the Temporal server's own (scripts/bench/ceiling.ts).
// benchOrderShape: buyOrder's market path command for command, its activities doing nothing; what
// bourse costs above this is its activities' and its API's work.
import {
  allHandlersFinished,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { ORDER_SEARCH_KEYS, ORDER_STATUS_KEYWORD, type OrderPhase } from '../../lib/contracts/orders';
import {
  benchCeilingUpdate,
  benchOrderShapeUpdate,
  type BenchOrderShapeActivities,
  type BenchOrderShapeInput,
} from './ceiling-contract';

export async function benchCeiling(): Promise<void> {
  let answered = false;
  setHandler(benchCeilingUpdate, (echo) => {
    answered = true;
    return echo;
  });
  await condition(() => answered);
}

// The same options as buyOrder's local activities and verifyUser.
const { reserveNothing, settleNothing } = proxyLocalActivities<BenchOrderShapeActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s' },
});

export async function benchOrderShape(input: BenchOrderShapeInput): Promise<OrderPhase> {
  let phase: OrderPhase = 'pending';
  setHandler(benchOrderShapeUpdate, async () => {
    await condition(() => phase !== 'pending');
    return phase;
  });
  // One OrderStatus upsert and one details change per state, as buyOrder's enter().
  const enter = (next: OrderPhase) => {
    phase = next;
    upsertSearchAttributes([{ key: ORDER_SEARCH_KEYS.status, value: ORDER_STATUS_KEYWORD[next] }]);
    setCurrentDetails(`${input.user} buys ${input.quantity} × ${input.stockId}\n${next}`);
  };
  await reserveNothing(input);
  enter('inProgress');
  const { verifyNobody } = proxyActivities<BenchOrderShapeActivities>({
    startToCloseTimeout: input.verifyTimeoutMs,
    scheduleToCloseTimeout: input.verifyTimeoutMs,
    heartbeatTimeout: Math.min(10_000, input.verifyTimeoutMs),
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
  });
  await verifyNobody(input);
  await settleNothing(input);
  enter('succeeded');
  await condition(allHandlersFinished);
  return phase;
}
