// The import's checkpoint: after every batch Kafka acknowledged, where the next run starts (the byte
// and line after the batch's last row) and the counts so far. Replaced atomically (write, then
// rename), so a kill at any moment leaves the previous checkpoint or the new one, never half of one.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface ImportCounts {
  /** Lines of the file read (header, blank and comment lines included). */
  lines: number;
  /** Data rows read: accepted + rejected. */
  rows: number;
  rejected: number;
  /** Ticks published: accepted rows, less the ones merged into the next row of the same stock and minute. */
  ticks: number;
  merged: number;
  /** Accepted rows whose minute is older than now − PRICE_HISTORY_RETENTION (the consumer trims those). */
  olderThanRetention: number;
  firstMinute?: string;
  lastMinute?: string;
}

export interface FileIdentity {
  path: string;
  size: number;
  mtimeMs: number;
  /** sha1 of the first 64 KiB: a file replaced by another of the same size and time is noticed. */
  head: string;
}

export interface Checkpoint {
  version: 1;
  file: FileIdentity;
  format: string;
  /** The next run starts reading at this byte, which is the start of line `line + 1`. */
  byte: number;
  line: number;
  /** The report's length when this checkpoint was written: a resumed run cuts it back to this. */
  reportBytes: number;
  counts: ImportCounts;
  /** The stocks seen so far (bounded by the instruments in the file, not its size). */
  stocks: string[];
  done: boolean;
  updatedAt: string;
}

export const emptyCounts = (): ImportCounts => ({
  lines: 0,
  rows: 0,
  rejected: 0,
  ticks: 0,
  merged: 0,
  olderThanRetention: 0,
});

export function fileIdentity(path: string): FileIdentity {
  const abs = resolve(path);
  const st = statSync(abs);
  const fd = openSync(abs, 'r');
  try {
    const buf = Buffer.alloc(Math.min(64 * 1024, st.size));
    readSync(fd, buf, 0, buf.length, 0);
    return {
      path: abs,
      size: st.size,
      mtimeMs: st.mtimeMs,
      head: createHash('sha1').update(buf).digest('hex'),
    };
  } finally {
    closeSync(fd);
  }
}

/** Why a checkpoint is not this file's, or undefined if it is. */
export function identityMismatch(saved: FileIdentity, now: FileIdentity): string | undefined {
  if (saved.path !== now.path) return `it is for ${saved.path}`;
  if (saved.size !== now.size) return `the file was ${saved.size} bytes then and is ${now.size} now`;
  if (saved.head !== now.head || saved.mtimeMs !== now.mtimeMs) return 'the file was changed since';
  return undefined;
}

export function readCheckpoint(path: string): Checkpoint | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const cp = JSON.parse(text) as Checkpoint;
  if (cp.version !== 1) throw new Error(`${path}: not a checkpoint of this version`);
  return cp;
}

export function writeCheckpoint(path: string, cp: Checkpoint): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(cp)}\n`);
  renameSync(tmp, path);
}
