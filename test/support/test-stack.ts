// The test stack: its own ports and data folder, so a running demo and a test run never collide.
// TEST_STACK_PORT_OFFSET shifts every port (two test runs on one machine).
import { loadConfig, type Config } from '../../lib/infra/config';
import { stackEnv, stackSpecFromConfig, type StackSpec } from '../../scripts/stack/local-stack';

export function testEnv(): Record<string, string> {
  const offset = loadConfig().TEST_STACK_PORT_OFFSET;
  return { ...stackEnv(offset, offset ? `.stack/test-${offset}` : '.stack/test'), LOG_LEVEL: 'warn' };
}

/** The configuration tests run with: the environment's, pointed at the test stack. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ ...process.env, ...testEnv(), ...overrides });
}

export function testStackSpec(): StackSpec {
  return stackSpecFromConfig(testConfig());
}

export const testLog = (msg: string) => process.stderr.write(`[test-stack] ${msg}\n`);
