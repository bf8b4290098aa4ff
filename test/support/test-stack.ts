// The test stack: its own ports and data folder, so a running demo and a test run never collide.
// TEST_STACK_PORT_OFFSET shifts every port (two test runs on one machine).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadStackConfig, type StackConfig } from '../../scripts/stack/stack-config';
import { stackEnv, stackSpecFromConfig, type StackSpec } from '../../scripts/stack/local-stack';
import { workflowBundle } from '../../workers/workflow-bundle';

export function testEnv(): Record<string, string> {
  const offset = loadStackConfig().TEST_STACK_PORT_OFFSET;
  return {
    ...stackEnv(offset, offset ? `.stack/test-${offset}` : '.stack/test'),
    LOG_LEVEL: 'warn',
    // A test of an order's check expects the check's answer (201), not a 202 because the machine was
    // busy with the rest of the suite; the intake's own tests (orders-outage) set the bound short.
    ORDER_QUEUE_AFTER: '5s',
  };
}

/** The configuration tests run with: the environment's, pointed at the test stack. */
export function testConfig(overrides: Record<string, string> = {}): StackConfig {
  return loadStackConfig({ ...process.env, ...testEnv(), ...overrides });
}

export function testStackSpec(): StackSpec {
  return stackSpecFromConfig(testConfig());
}

export const testLog = (msg: string) => process.stderr.write(`[test-stack] ${msg}\n`);

/**
 * The workflow bundle global setup built for this run, for Worker.create's `workflowBundle`; built
 * now if there is none (a test run without the integration project's global setup).
 */
export function testWorkflowBundle(): ReturnType<typeof workflowBundle> {
  const path = join(testStackSpec().dir, 'workflow-bundle.js');
  return workflowBundle(existsSync(path) ? path : '');
}
