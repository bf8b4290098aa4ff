// What one order costs the Temporal server, as a regression check on the real server: the history of
// an order placed through the API, event by event, for a settled and a denied order. Every history
// replays against today's workflow code (older recorded ones: test/workflow/replay.test.ts).
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { buyOrderWorkflowId, ORDER_STATUS_TEXT } from '../../../lib/contracts/orders';
import type { OrderView } from '../../../lib/orders/view';
import { http } from '../../support/http';
import { eventually, type OrderStack, startOrderStack, watchOrderEvents } from '../../support/order-harness';
import { authOf, newUser, putUser } from '../../support/users';
import { SAIPA } from '../../support/accounts';
import { testWorkflowBundle } from '../../support/test-stack';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

let stack: OrderStack;
let orderEvents: Awaited<ReturnType<typeof watchOrderEvents>>;

beforeAll(async () => {
  stack = await startOrderStack({ ORDER_START_TIMEOUT: '60s' });
  orderEvents = await watchOrderEvents();
});

afterAll(async () => {
  await orderEvents?.stop();
  await stack?.stop();
});

/** The history's event types, short (`WorkflowTaskCompleted`), with a marker's name and an activity's type. */
function shape(events: HistoryEvent[]): string[] {
  return events.map((e) => {
    const type = temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? String(e.eventType);
    const name = type.replace(/^EVENT_TYPE_/, '').toLowerCase();
    const marker = e.markerRecordedEventAttributes?.markerName;
    const activity = e.activityTaskScheduledEventAttributes?.activityType?.name;
    return marker ? `${name}:${marker}` : activity ? `${name}:${activity}` : name;
  });
}

async function historyOf(orderId: string) {
  const handle = stack.api.deps.temporal.workflow.getHandle(buyOrderWorkflowId(orderId));
  await handle.result();
  const history = await handle.fetchHistory();
  return { history, events: history.events ?? [] };
}

const count = (events: HistoryEvent[], attr: keyof HistoryEvent) => events.filter((e) => e[attr]).length;

test('an order placed through the API: 17 history events, two markers, two OrderStatus upserts', async () => {
  const user = newUser('ok');
  await putUser(stack.redis, user, 1_000_000);
  const placed = await http<OrderView>(`${stack.api.url}/orders`, {
    json: { user, stockid: SAIPA, quantity: 10 },
    headers: authOf(user),
  });
  expect(placed.body.status).toBe(ORDER_STATUS_TEXT.inProgress);
  const { history, events } = await historyOf(placed.body.orderId);
  // 10 s: a money step waiting out a Redis failover (5–9 s) keeps its task alive by the worker's
  // heartbeat at 8 s; at 3 s the heartbeat's 0.6 s margin was missed on a loaded host (client.ts).
  const desc = await stack.api.deps.temporal.workflow
    .getHandle(buyOrderWorkflowId(placed.body.orderId))
    .describe();
  expect(Number(desc.raw.executionConfig?.defaultWorkflowTaskTimeout?.seconds)).toBe(10);
  // One reservation marker before the update's answer; the settlement's marker before the close.
  expect(shape(events)).toEqual([
    'workflow_execution_started',
    'workflow_task_scheduled',
    'workflow_task_started',
    'workflow_task_completed',
    'workflow_execution_update_accepted',
    'marker_recorded:core_local_activity',
    'upsert_workflow_search_attributes',
    'activity_task_scheduled:verifyUser',
    'workflow_execution_update_completed',
    'activity_task_started',
    'activity_task_completed',
    'workflow_task_scheduled',
    'workflow_task_started',
    'workflow_task_completed',
    'marker_recorded:core_local_activity',
    'upsert_workflow_search_attributes',
    'workflow_execution_completed',
  ]);
  expect(count(events, 'markerRecordedEventAttributes')).toBe(2);
  expect(count(events, 'upsertWorkflowSearchAttributesEventAttributes')).toBe(2);
  // Nothing lost on the way: both order events are on Kafka.
  const sent = await eventually('the final order event', async () => {
    const e = orderEvents.events.get(placed.body.orderId);
    return e?.some((x) => x.seq === 2) ? e : undefined;
  });
  // The In Progress event goes twice (verifyUser's best-effort send, then with the final one): by id, once.
  const published = [...new Map(sent.map((e) => [e.eventId, e])).values()];
  expect(published.map((e) => [e.seq, e.before.phase, e.after.phase])).toEqual([
    [1, 'pending', 'inProgress'],
    [2, 'inProgress', 'succeeded'],
  ]);
  await Worker.runReplayHistory({ workflowBundle: await testWorkflowBundle() }, history);
});

/** Places an order for more than the user's credit, through the API. */
async function deniedOrder() {
  const user = newUser('ok');
  await putUser(stack.redis, user, 1_000);
  const placed = await http<OrderView>(`${stack.api.url}/orders`, {
    json: { user, stockid: SAIPA, quantity: 10 },
    headers: authOf(user),
  });
  expect(placed.body.status).toBe(ORDER_STATUS_TEXT.denied);
  return placed.body.orderId;
}

test("a denied order is answered before its event's publish, which follows on an activity", async () => {
  const orderId = await deniedOrder();
  const { history, events } = await historyOf(orderId);
  const types = shape(events);
  // The update completes in the first workflow task; the publish is an activity task after it (a
  // local activity would hold the answer until Kafka acknowledged).
  expect(types).toEqual([
    'workflow_execution_started',
    'workflow_task_scheduled',
    'workflow_task_started',
    'workflow_task_completed',
    'workflow_execution_update_accepted',
    'marker_recorded:core_local_activity',
    'upsert_workflow_search_attributes',
    'activity_task_scheduled:publishOrderEvent',
    'workflow_execution_update_completed',
    'activity_task_started',
    'activity_task_completed',
    'workflow_task_scheduled',
    'workflow_task_started',
    'workflow_task_completed',
    'workflow_execution_completed',
  ]);
  expect(count(events, 'markerRecordedEventAttributes')).toBe(1);
  const sent = await eventually('the denied order event', async () =>
    orderEvents.events.get(orderId)?.find((e) => e.seq === 1),
  );
  expect([sent.before.phase, sent.after.phase, sent.after.status]).toEqual([
    'pending',
    'denied',
    ORDER_STATUS_TEXT.denied,
  ]);
  await Worker.runReplayHistory({ workflowBundle: await testWorkflowBundle() }, history);
});
