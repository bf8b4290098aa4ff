// Every operation of the HTTP API: what api/ routes serve and api/openapi.ts publishes.
import { adminOperations } from './admin';
import { orderOperations } from './orders';
import { pageOperations } from './page';
import { priceOperations } from './prices';
import { readOperations } from './reads';
import { systemOperations } from './system';

export const API_OPERATIONS = [
  ...orderOperations,
  ...priceOperations,
  ...readOperations,
  ...adminOperations,
  ...systemOperations,
  ...pageOperations,
] as const;

export type ApiOperation = (typeof API_OPERATIONS)[number];
export type OperationId = ApiOperation['operationId'];
/** The operation with this id, as written (its schemas' types included). */
export type OperationOf<Id extends OperationId> = Extract<ApiOperation, { operationId: Id }>;

/** The operation with this id; a typo does not compile. */
export function operation<Id extends OperationId>(operationId: Id): OperationOf<Id> {
  const found = API_OPERATIONS.find((o): o is OperationOf<Id> => o.operationId === operationId);
  if (!found) throw new Error(`no API operation ${operationId}`);
  return found;
}
