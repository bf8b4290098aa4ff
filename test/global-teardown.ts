import { stopStack } from '../scripts/local-stack';
import { testLog, testStackSpec } from './test-stack';

export default async function globalTeardown(): Promise<void> {
  await stopStack(testStackSpec(), testLog);
}
