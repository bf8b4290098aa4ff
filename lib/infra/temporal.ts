// The one way bourse opens a Temporal client connection.
import { Client, Connection } from '@temporalio/client';
import { ORDER_SEARCH_KEYS } from '../contracts/orders';
import type { Config } from './config';

/**
 * A client whose connection is made on first use, so a process starts (and can report Temporal as
 * down) while the server is unreachable; every call then fails fast instead of hanging.
 */
export function createTemporalClient(cfg: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'>): Client {
  const connection = Connection.lazy({ address: cfg.TEMPORAL_ADDRESS, connectTimeout: 5_000 });
  return new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE });
}

/** The order search attributes by name and type, as `temporal --search-attribute` and the operator API want them. */
export const ORDER_SEARCH_ATTRIBUTES = Object.fromEntries(
  Object.values(ORDER_SEARCH_KEYS).map((k) => [k.name, k.type === 'INT' ? 'Int' : 'Keyword']),
) as Record<string, 'Int' | 'Keyword'>;

export const INDEXED_VALUE_TYPE = { Keyword: 2, Int: 3 } as const; // temporal.api.enums.v1.IndexedValueType

/** Registers the order search attributes on a server that lacks them (the dev server does it at start). */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<void> {
  const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.entries(ORDER_SEARCH_ATTRIBUTES).filter(([name]) => !(name in customAttributes));
  if (missing.length === 0) return;
  await client.connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED_VALUE_TYPE[type]])),
  });
}
