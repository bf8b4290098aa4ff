// Schemathesis against the served /openapi.json, every check, a fixed seed and a bounded number of
// examples per operation, once with a user key and once with an operator key: any finding fails.
// The API, its orders worker and everything they write live in a Redis database of their own, so what
// the run does (an operator setting credits, emptying the watch list, placing orders) cannot reach the
// rest of the suite; its user and stock are fresh ids, and no order of it outlives the file. The user
// holds shares of the stock, so sells pass their check; its orders are verified after SLOW_MS, so a
// cancel that follows an order (the document's links lead from POST /orders to its cancel) can win.
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { issueApiKey } from '../../../lib/store/api-keys';
import { WATCHLIST_KEY } from '../../../lib/store/keys';
import { flatTick } from '../../../lib/contracts/price-tick';
import { writeTicks } from '../../../lib/store/price-history';
import { startApi, type Api } from '../../support/app-harness';
import {
  httpVerifier,
  newUser,
  putPrice,
  putUser,
  startOrderWorker,
  startScriptedVerifier,
  type OrderWorker,
  type ScriptedVerifier,
} from '../../support/order-harness';
import { putHolding } from '../../support/accounts';
import { randomStockId } from '../../support/price-helpers';
import { provisionSchemathesis, runSchemathesis, type SchemathesisRun } from '../../support/schemathesis';
import { testConfig, testLog, testStackSpec } from '../../support/test-stack';

/** Fixed, so a failing run is reproduced by running it again. */
const SEED = 20_260_110;
/** Per operation and phase; about a minute per key here. */
const MAX_EXAMPLES = 100;
/** A Redis database no other test uses. */
const REDIS_DB = 7;

jest.setTimeout(15 * 60_000);

let bin: string;
let verifier: ScriptedVerifier;
let worker: OrderWorker;
let api: Api;
const user = newUser('slow');
const stock = randomStockId();
let userKey: string;
let operatorKey: string;
const reportRoot = join(testStackSpec().dir, 'schemathesis');

beforeAll(async () => {
  bin = provisionSchemathesis(testLog);
  const base = testConfig();
  const cfg = testConfig({
    REDIS_URL: `${base.REDIS_URL}/${REDIS_DB}`,
    // Schemathesis sends thousands of requests with one key; the rate limit has its own test.
    RATE_LIMIT_REQUESTS: '1000000',
    ORDER_START_TIMEOUT: '20s',
    // GET /events streams until the client leaves; here each stream ends at once, so a case is a request
    // (schemathesis reads a body to its end: at 300 ms, the two runs' ~200 stream cases waited a minute).
    SSE_MAX_DURATION: '10ms',
  });
  verifier = await startScriptedVerifier();
  worker = await startOrderWorker(httpVerifier(verifier.url), cfg);
  await worker.redis.flushdb();
  api = await startApi(cfg);
  userKey = await putUser(worker.redis, user, 1_000_000_000);
  await putHolding(worker.redis, user, stock, 1_000, 10_000);
  operatorKey = await issueApiKey(worker.redis, { id: newUser('ok'), role: 'operator' });
  await worker.redis.sadd(WATCHLIST_KEY, stock);
  const now = Date.now();
  await writeTicks(
    worker.redis,
    Array.from({ length: 5 }, (_, i) => flatTick(stock, 10_000 + i, new Date(now - (5 - i) * 60_000))),
  );
  await putPrice(worker.redis, stock, 10_000);
});

afterAll(async () => {
  // Orders the run placed are decided within SLOW_MS (a `slow-` user); terminate any that are not, so
  // no later test's worker runs them against the shared database.
  if (api) {
    const open = api.deps.temporal.workflow.list({
      query: `ExecutionStatus = "Running" AND OrderUser = "${user}"`,
    });
    for await (const wf of open) {
      await api.deps.temporal.workflow
        .getHandle(wf.workflowId)
        .terminate('schemathesis test cleanup')
        .catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        });
    }
  }
  await worker?.redis.flushdb();
  await api?.close();
  await worker?.stop();
  await verifier?.close();
});

/**
 * Half the generated orders name the key's user and the run's stock, and half the price reads that
 * stock, so the runs reach past 403/404 into placed orders, their reads and real price answers.
 */
const config = () => `
[dictionaries]
user = { values = ["${user}"] }
stock = { values = ["${stock}"] }

[parameters]
"body.user" = { dictionary = "user", probability = 0.5 }
"body.stockid" = { dictionary = "stock", probability = 0.5 }

[[operations]]
include-path-regex = "^/stocks/"
parameters = { "path.id" = { dictionary = "stock", probability = 0.5 } }

# docs/design.md: an order for an unknown user or stock, a stock off the watch list, a sell of a stock never
# held and an Idempotency-Key reused for another order are 422, refusals of well-formed requests; every
# other status as by default.
[[operations]]
include-path-regex = "^/(orders|BuyStock|SellStock)$"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
`;

/** Schemathesis's closing summary: operations, phases, failures by check, cases. */
function summary(run: SchemathesisRun): string {
  const at = run.output.search(/^=+ SUMMARY =+$/m);
  return at >= 0 ? run.output.slice(at).trim() : run.output.slice(-4_000);
}

test.each([
  ['user', () => userKey],
  ['operator', () => operatorKey],
])('schemathesis finds nothing with every check, with the %s key', async (who, key) => {
  const reportDir = join(reportRoot, who);
  const run = await runSchemathesis(bin, {
    schemaUrl: `${api.url}/openapi.json`,
    headers: { Authorization: `Bearer ${key()}` },
    seed: SEED,
    maxExamples: MAX_EXAMPLES,
    reportDir,
    requestTimeout: 75, // above the longest long poll (wait=60)
    config: config(),
  });
  testLog(
    `schemathesis (${who} key): exit ${run.exitCode}; full output in ${reportDir}/output.txt\n${summary(run)}`,
  );
  if (run.exitCode !== 0) {
    throw new Error(
      `schemathesis with the ${who} key exited ${run.exitCode}: its report follows ` +
        `(JUnit: ${run.junitPath}; rerun: ${run.command})\n\n${run.output}`,
    );
  }
  // A clean exit must also mean it tested every operation the document has, with real cases.
  const served = await operationsIn(`${api.url}/openapi.json`);
  const tested = Number(/^\s*Tested: (\d+)$/m.exec(run.output)?.[1]);
  const cases = Number(/^\s*(\d+) generated/m.exec(run.output)?.[1]);
  expect({ served, tested }).toEqual({ served, tested: served });
  expect(cases).toBeGreaterThanOrEqual(served * 10);
});

/**
 * How many operations (path × method) a served OpenAPI document has, besides the document's own
 * GET /openapi.json (schemathesis leaves out the document it was given).
 */
async function operationsIn(url: string): Promise<number> {
  const doc = (await (await fetch(url)).json()) as { paths: Record<string, Record<string, unknown>> };
  const methods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
  return Object.entries(doc.paths)
    .filter(([path]) => path !== new URL(url).pathname)
    .reduce((n, [, item]) => n + Object.keys(item).filter((m) => methods.has(m)).length, 0);
}
