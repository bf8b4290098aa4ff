// The command lines of Redis and Temporal, with their data under the stack's folder (Kafka's: kafka-cluster.ts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ORDER_SEARCH_ATTRIBUTES } from '../../lib/infra/temporal';
import type { StackSpec } from './spec';

export function redisArgs(spec: StackSpec): string[] {
  const data = join(spec.dir, 'redis');
  mkdirSync(data, { recursive: true });
  // Append-only file fsynced every second: a crash of Redis loses at most ~1 s of writes, a crash of
  // the process alone (SIGKILL) loses none that reached the kernel. RDB snapshots are off.
  return [
    '--port',
    String(spec.redisPort),
    '--bind',
    '127.0.0.1',
    '--dir',
    data,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--daemonize',
    'no',
    '--protected-mode',
    'yes',
  ];
}

/**
 * The dev server's SQLite settings. The default rollback journal makes every write wait for readers
 * and rewrite the journal: orders collapsed at 25/s. Write-ahead logging lets readers and the writer
 * run together; synchronous=full still syncs the log at every commit, so an accepted order survives
 * a power cut (normal measured no faster here). Measured in docs/performance.md.
 */
const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=full'];

export function temporalArgs(spec: StackSpec): string[] {
  mkdirSync(join(spec.dir, 'temporal'), { recursive: true });
  return [
    'server',
    'start-dev',
    '--db-filename',
    join(spec.dir, 'temporal', 'temporal.db'),
    '--ip',
    '127.0.0.1',
    '--port',
    String(spec.temporalPort),
    '--ui-port',
    String(spec.temporalUiPort),
    '--http-port',
    String(spec.temporalUiPort + 1),
    '--metrics-port',
    String(spec.temporalUiPort + 2),
    '--log-level',
    'warn',
    ...SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p]),
    ...Object.entries(ORDER_SEARCH_ATTRIBUTES).flatMap(([k, v]) => ['--search-attribute', `${k}=${v}`]),
  ];
}
