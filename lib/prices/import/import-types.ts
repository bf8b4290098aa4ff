// What an import is given and what it reports: its options, its progress and its summary.
import type { PricePublisher } from '../publisher';
import type { ImportCounts } from './checkpoint';
import type { RowDefaults, RowFormat } from './rows';

export interface ImportOptions {
  file: string;
  /** Rejected rows, one a line: `line<TAB>reason<TAB>row`. */
  reportPath: string;
  checkpointPath: string;
  publisher: PricePublisher;
  defaults: Omit<RowDefaults, 'latestMinuteMs'>;
  /** PRICE_HISTORY_RETENTION, ms (0: keep all): rows older than now − this are counted in the summary. */
  retentionMs: number;
  /** Ticks per publish (and per checkpoint). */
  batchTicks?: number;
  /** Batches published and not yet acknowledged at once (reading waits beyond it: backpressure). */
  maxInFlight?: number;
  /** Ignore an unfinished checkpoint and import from the first line. */
  restart?: boolean;
  progressEveryMs?: number;
  onProgress?: (p: ImportProgress) => void;
  /** Said once, before the first row: where the run starts. */
  onStart?: (s: { resumed: boolean; line: number; byte: number; bytes: number; why?: string }) => void;
  /** Aborted: stop reading, wait for the batches in flight, checkpoint, return (interrupted: true). */
  signal?: AbortSignal;
  now?: () => number;
}

export interface ImportProgress {
  counts: ImportCounts;
  byte: number;
  bytes: number;
  /** Rows of this run (not the resumed part) per second of this run. */
  rowsPerSecond: number;
  /** Seconds left at this run's bytes/s, or undefined before there is a rate. */
  etaSeconds: number | undefined;
}

export interface ImportSummary extends ImportCounts {
  file: string;
  format: RowFormat;
  bytes: number;
  stocks: number;
  /** Where this run started: 0 / 0 unless it resumed a checkpoint. */
  resumedFromLine: number;
  resumedFromByte: number;
  /** Ticks this run published (a resumed run: only the rest). */
  publishedThisRun: number;
  seconds: number;
  rowsPerSecond: number;
  interrupted: boolean;
  report: string;
  checkpoint: string;
}
