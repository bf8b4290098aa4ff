// Histories recorded from the real server replay against today's workflow code: a change to the
// commands buyOrder issues that is not behind `patched()` fails here (a non-determinism error), before
// a deploy strands the orders in flight. test/fixtures/histories holds one history of each ending, each
// as the client's fetchHistory() returned it, protobuf-encoded (temporal.api.history.v1.History): the
// SDK's JSON reader (historyFromJSON) fails on this dependency tree's two protobufjs versions.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';

const DIR = join(__dirname, '../fixtures/histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.pb'));

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(3);
});

test.each(files)('%s replays', async (file) => {
  const history = temporal.api.history.v1.History.decode(readFileSync(join(DIR, file)));
  expect(history.events.length).toBeGreaterThan(10);
  await Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, history);
});
