// Every operation of the HTTP API: what api/ routes serve and api/openapi.ts publishes.
import { adminOperations } from './admin';
import type { Operation } from './operation';
import { orderOperations } from './orders';
import { pageOperations } from './page';
import { priceOperations } from './prices';
import { readOperations } from './reads';
import { systemOperations } from './system';

export const API_OPERATIONS: readonly Operation[] = [
  ...orderOperations,
  ...priceOperations,
  ...readOperations,
  ...adminOperations,
  ...systemOperations,
  ...pageOperations,
];

/** The operation with this id; a typo is a bug caught at start. */
export function operation(operationId: string): Operation {
  const found = API_OPERATIONS.find((o) => o.operationId === operationId);
  if (!found) throw new Error(`no API operation ${operationId}`);
  return found;
}
