// The bench's ceiling workflow: Update-with-Start answered by the first workflow task, and closed in
// it too — no activities, no timers, no search-attribute upserts. What buyOrder costs above this is
// bourse's; this is the Temporal server's own (scripts/bench/ceiling.ts). Bundled only by the bench's
// ceiling worker (ceiling-worker.ts), never into the product's workflow bundle.
import { condition, setHandler } from '@temporalio/workflow';
import { benchCeilingUpdate } from './ceiling-contract';

export async function benchCeiling(): Promise<void> {
  let answered = false;
  setHandler(benchCeilingUpdate, (echo) => {
    answered = true;
    return echo;
  });
  await condition(() => answered);
}
