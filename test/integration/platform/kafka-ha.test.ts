// Three KRaft brokers (the HA layout's Kafka): while bourse's own sender (idempotent, acks -1) writes
// numbered messages one after another and a consumer group reads them, the leader of partition 0 is
// SIGKILLed and kept down until the other two served a message without it (at most 60 s), then
// restarted. Writes and reads must go on while it is down (its partitions' new
// leaders are elected among the in-sync replicas) and every acknowledged message must be delivered.
// Its own brokers on TEST_STACK_PORT_OFFSET + 85 (+85..+90 from the Kafka base: clear of the other
// stacks' ports). How long each stood still is printed; `npm run chaos:kafka` measures more kills.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { failoverSpec, runKafkaFailover } from '../../../scripts/chaos/kafka-failover';
import { kafkaNodes, startService, stopStack } from '../../../scripts/stack/local-stack';
import { testConfig, testLog } from '../../support/test-stack';

const spec = failoverSpec(testConfig().TEST_STACK_PORT_OFFSET + 85);

beforeAll(async () => {
  rmSync(spec.dir, { recursive: true, force: true });
  mkdirSync(join(spec.dir, 'logs'), { recursive: true });
  await Promise.all(kafkaNodes(spec).map((b) => startService(spec, b.svc, testLog)));
}, 300_000);

afterAll(() => stopStack(spec, testLog), 60_000);

test('killing the leader broker loses no acknowledged message and stops neither side', async () => {
  const r = await runKafkaFailover(spec, 1, testLog);
  testLog(JSON.stringify(r));
  expect(r.lost).toBe(0);
  expect(r.acknowledged).toBeGreaterThan(0);
  expect(r.kills[0].ackedWhileDown).toBeGreaterThan(0);
  expect(r.kills[0].deliveredWhileDown).toBeGreaterThan(0);
}, 300_000);
