// pipelineBySlot's verdict on per-command errors, with a stand-in pipeline (the real cluster runs in
// test/integration/platform/redis-cluster.test.ts and the HA chaos run): a failover's reply (MOVED,
// CLUSTERDOWN, ...) rejects the whole call, so a consumer redelivers rather than dead-letters; an
// error that is the command's own (a script that refuses its input) stays that command's result.
import type { Redis } from '../../lib/infra/redis';
import { isTransientRedisError, pipelineBySlot } from '../../lib/store/cluster';

/** A one-server client whose pipeline answers each queued command with `replies[i]`. */
function answering(replies: [Error | null, unknown][]): Redis {
  return {
    pipeline: () => {
      const p = { get: () => p, exec: async () => replies };
      return p;
    },
  } as unknown as Redis;
}

const run = (replies: [Error | null, unknown][]) =>
  pipelineBySlot(
    answering(replies),
    replies.length,
    () => 'k',
    (p) => void p.get('k'),
  );

test.each([
  'MOVED 8889 127.0.0.1:17400',
  'ASK 8889 127.0.0.1:17400',
  'CLUSTERDOWN The cluster is down',
  'TRYAGAIN Multiple keys request during rehashing of slot',
  'LOADING Redis is loading the dataset in memory',
  "READONLY You can't write against a read only replica.",
])('%s rejects the whole call', async (reply) => {
  await expect(
    run([
      [null, 'OK'],
      [new Error(reply), null],
    ]),
  ).rejects.toThrow(reply);
});

test("a command's own error is its result; the others' replies are kept", async () => {
  const refused = new Error('ERR Error running script: bad minute');
  expect(
    await run([
      [null, 'OK'],
      [refused, null],
    ]),
  ).toEqual([
    [null, 'OK'],
    [refused, null],
  ]);
  expect(isTransientRedisError(refused)).toBe(false);
  expect(isTransientRedisError(new Error('MOVEDX 1'))).toBe(false);
});
