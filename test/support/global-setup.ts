// Jest global setup: a fresh test stack of real Temporal, Kafka and Redis processes.
import { rmSync } from 'node:fs';
import { startStack } from '../../scripts/stack/local-stack';
import { prebuildWorkflowBundle } from '../../scripts/stack/workflow-bundle';
import { testEnv, testLog, testStackSpec } from './test-stack';

export default async function globalSetup(): Promise<void> {
  const spec = testStackSpec();
  rmSync(spec.dir, { recursive: true, force: true });
  const started = Date.now();
  // The workers tests start in-process load this one bundle (testWorkflowBundle) instead of each
  // bundling workflows/ anew: seconds of CPU per test file, built once here while the services start.
  await Promise.all([startStack(spec, testLog), prebuildWorkflowBundle(spec.dir)]);
  testLog(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s; jest runs on Node ${process.version}`);
  Object.assign(process.env, testEnv());
}
