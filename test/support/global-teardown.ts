import { stopStack } from '../../scripts/stack/local-stack';
import { failIfStillRunning } from './open-handles';
import { testLog, testStackSpec } from './test-stack';

export default async function globalTeardown(): Promise<void> {
  await stopStack(testStackSpec(), testLog);
  failIfStillRunning(testLog);
}
