// Jest global setup: a fresh test stack of real Temporal, Kafka and Redis processes.
import { rmSync } from 'node:fs';
import { startStack } from '../../scripts/stack/local-stack';
import { testEnv, testLog, testStackSpec } from './test-stack';

export default async function globalSetup(): Promise<void> {
  const spec = testStackSpec();
  rmSync(spec.dir, { recursive: true, force: true });
  const started = Date.now();
  await startStack(spec, testLog);
  testLog(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  Object.assign(process.env, testEnv());
}
