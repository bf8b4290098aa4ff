// The bulk import of historical prices: a file of rows (./rows.ts) read as a stream (./lines.ts),
// published to `stock-prices` through the live publisher in batches, a checkpoint after every batch
// Kafka acknowledged (./checkpoint.ts), rejected rows to a report. Memory is bounded by the batch
// size × the batches in flight, whatever the file's size; the consumer stores the ticks as live ones.
import { closeSync, mkdirSync, openSync, statSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PriceTick } from '../../contracts/price-tick';
import {
  emptyCounts,
  fileIdentity,
  identityMismatch,
  readCheckpoint,
  writeCheckpoint,
  type Checkpoint,
  type ImportCounts,
} from './checkpoint';
import { readLines } from './lines';
import { rowReaderFor, ImportFormatError, type RowDefaults } from './rows';
import type { ImportOptions, ImportSummary } from './import-types';

export type { ImportOptions, ImportProgress, ImportSummary } from './import-types';

interface Batch {
  ticks: PriceTick[];
  report: string;
  /** Where the next run starts once this batch is acknowledged. */
  byte: number;
  line: number;
  counts: ImportCounts;
  stocks: string[];
  done: boolean;
}

interface Pending {
  tick: PriceTick;
  key: string;
  rank: number;
}

const REPORT_HEADER = 'line\treason\trow\n';
const REPORT_ROW_CHARS = 300;

/** Imports a file (or the rest of it, from its checkpoint); resolves to the summary. */
export async function importPrices(opts: ImportOptions): Promise<ImportSummary> {
  const now = opts.now ?? Date.now;
  const batchTicks = opts.batchTicks ?? 5_000;
  const maxInFlight = opts.maxInFlight ?? 4;
  const identity = fileIdentity(opts.file);
  const latestMinuteMs = Math.floor(now() / 60_000) * 60_000 + 60_000;
  const reader = await firstLineReader(opts.file, { ...opts.defaults, latestMinuteMs });

  // Where to start: an unfinished checkpoint of this very file, unless told to restart.
  let cp = opts.restart ? undefined : readCheckpoint(opts.checkpointPath);
  let why: string | undefined;
  if (cp) {
    const mismatch = identityMismatch(cp.file, identity);
    if (mismatch) {
      throw new ImportFormatError(
        `the checkpoint ${opts.checkpointPath} is not this file's (${mismatch}): use --restart to import it from the start`,
      );
    }
    if (cp.done) {
      why = `the import of this file finished at ${cp.updatedAt}; importing it again`;
      cp = undefined;
    }
  }
  const resumed = cp !== undefined;
  const counts: ImportCounts = cp ? { ...cp.counts } : emptyCounts();
  const stocks = new Set<string>(cp?.stocks ?? []);
  const startByte = cp?.byte ?? 0;
  const startLine = cp?.line ?? 0;
  mkdirSync(dirname(opts.reportPath), { recursive: true });
  mkdirSync(dirname(opts.checkpointPath), { recursive: true });
  let reportBytes: number;
  if (cp) {
    // Rows after the checkpoint were (perhaps) reported by the killed run: they are read again.
    truncateSync(opts.reportPath, Math.min(cp.reportBytes, sizeOr0(opts.reportPath)));
    reportBytes = cp.reportBytes;
  } else {
    const fd = openSync(opts.reportPath, 'w');
    writeSync(fd, REPORT_HEADER);
    closeSync(fd);
    reportBytes = Buffer.byteLength(REPORT_HEADER);
  }
  const reportFd = openSync(opts.reportPath, 'a');
  opts.onStart?.({ resumed, line: startLine, byte: startByte, bytes: identity.size, why });

  const started = now();
  const rowsAtStart = counts.rows;
  let publishedThisRun = 0;
  let lastProgress = 0;
  let readByte = startByte;
  const progress = (byte: number) => {
    const elapsed = (now() - started) / 1000;
    const bytesPerSecond = elapsed > 0 ? (byte - startByte) / elapsed : 0;
    opts.onProgress?.({
      counts: { ...counts },
      byte,
      bytes: identity.size,
      rowsPerSecond: elapsed > 0 ? Math.round((counts.rows - rowsAtStart) / elapsed) : 0,
      etaSeconds: bytesPerSecond > 0 ? (identity.size - byte) / bytesPerSecond : undefined,
    });
  };

  // Batches in flight, oldest first; the sender acknowledges in order (one request at a time).
  const inFlight: { batch: Batch; acked: Promise<void> }[] = [];
  let acked: Batch | undefined;
  const commitOldest = async () => {
    const { batch, acked: done } = inFlight.shift()!;
    await done;
    if (batch.report) {
      writeSync(reportFd, batch.report);
      reportBytes += Buffer.byteLength(batch.report);
    }
    const next: Checkpoint = {
      version: 1,
      file: identity,
      format: reader.format,
      byte: batch.byte,
      line: batch.line,
      reportBytes,
      counts: batch.counts,
      stocks: batch.stocks,
      done: batch.done,
      updatedAt: new Date(now()).toISOString(),
    };
    writeCheckpoint(opts.checkpointPath, next);
    publishedThisRun += batch.ticks.length;
    acked = batch;
  };

  let open: PriceTick[] = [];
  let report = '';
  const seal = async (byte: number, line: number, done: boolean) => {
    const batch: Batch = {
      ticks: open,
      report,
      byte,
      line,
      counts: { ...counts },
      stocks: [...stocks],
      done,
    };
    open = [];
    report = '';
    const ack = batch.ticks.length > 0 ? opts.publisher.publish(batch.ticks) : Promise.resolve();
    ack.catch(() => undefined); // observed in commitOldest; never an unhandled rejection meanwhile
    inFlight.push({ batch, acked: ack });
    while (inFlight.length >= maxInFlight || (done && inFlight.length > 0)) await commitOldest();
  };

  let pending: Pending | undefined;
  /** The pending tick is complete (the next row is another stock or minute): into the open batch. */
  const emit = async (byte: number, line: number) => {
    if (!pending) return;
    open.push(pending.tick);
    counts.ticks += 1;
    pending = undefined;
    if (open.length >= batchTicks) await seal(byte, line, false);
  };

  const retentionCutoff = opts.retentionMs > 0 ? new Date(now() - opts.retentionMs).toISOString() : '';
  let interrupted = false;
  let failure: Error | undefined;
  try {
    outer: for await (const lines of readLines(opts.file, startByte, startLine + 1)) {
      for (const l of lines) {
        if (opts.signal?.aborted) {
          interrupted = true;
          break outer;
        }
        // A batch sealed here ends before this line: the counts exclude it, the next run reads it again.
        const text = l.text.trim();
        if (l.line === 1 && reader.hasHeader) {
          counts.lines = 1;
          continue;
        }
        if (!l.tooLong && (text === '' || text.startsWith('#'))) {
          counts.lines = l.line;
          continue;
        }
        const r = l.tooLong
          ? ({ ok: false, reason: `the line is longer than 64 KiB` } as const)
          : reader.parse(l.line === 1 ? text.replace(/^\uFEFF/, '') : text, l.line);
        if (r.ok) {
          const key = `${r.tick.stockId}@${r.tick.minute}`;
          if (pending && pending.key === key) {
            counts.merged += 1;
            if (r.rank >= pending.rank) pending = { tick: r.tick, key, rank: r.rank };
          } else {
            await emit(l.start, l.line - 1);
            pending = { tick: r.tick, key, rank: r.rank };
          }
          stocks.add(r.tick.stockId);
          // Canonical ISO minutes compare as strings: no Date per row.
          const m = r.tick.minute;
          if (counts.firstMinute === undefined || m < counts.firstMinute) counts.firstMinute = m;
          if (counts.lastMinute === undefined || m > counts.lastMinute) counts.lastMinute = m;
          if (m < retentionCutoff) counts.olderThanRetention += 1;
        } else {
          counts.rejected += 1;
          report += `${l.line}\t${r.reason}\t${oneLine(l.text)}\n`;
        }
        counts.rows += 1;
        counts.lines = l.line;
        readByte = l.end;
      }
      if (now() - lastProgress >= (opts.progressEveryMs ?? 1_000)) {
        lastProgress = now();
        progress(readByte);
      }
    }
    if (!interrupted) {
      await emit(identity.size, counts.lines);
      await seal(identity.size, counts.lines, true);
    }
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err));
  }
  // Interrupted or failed: what is in flight is still acknowledged (or not) and checkpointed in order.
  // After a failed batch nothing later is checkpointed: the next run starts right after the last good one.
  while (inFlight.length > 0) {
    if (failure) {
      await Promise.allSettled(inFlight.splice(0).map((f) => f.acked));
      break;
    }
    try {
      await commitOldest();
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
    }
  }
  closeSync(reportFd);
  if (failure) {
    const at = acked ?? cp;
    const where = at ? `line ${at.line} (byte ${at.byte})` : 'the start';
    throw new Error(
      `import stopped: ${failure.message}; everything up to ${where} is ` +
        'published and checkpointed: run the same command again to resume',
      { cause: failure },
    );
  }
  const final = acked ?? cp;
  const seconds = (now() - started) / 1000;
  const finalCounts = final?.counts ?? counts;
  return {
    file: identity.path,
    format: reader.format,
    bytes: identity.size,
    ...finalCounts,
    stocks: final?.stocks.length ?? stocks.size,
    resumedFromLine: startLine,
    resumedFromByte: startByte,
    publishedThisRun,
    seconds,
    rowsPerSecond: seconds > 0 ? Math.round((finalCounts.rows - rowsAtStart) / seconds) : 0,
    interrupted,
    report: opts.reportPath,
    checkpoint: opts.checkpointPath,
  };
}

async function firstLineReader(file: string, defaults: RowDefaults) {
  for await (const lines of readLines(file, 0, 1, { chunkBytes: 64 * 1024 })) {
    const first = lines.find((l) => l.text.trim() !== '' && !l.text.startsWith('#'));
    if (first) {
      if (first.line !== 1 && !first.text.trim().startsWith('{'))
        throw new ImportFormatError('the first line must be the CSV header (or a TSETMC JSON row)');
      return rowReaderFor(first.text, defaults);
    }
  }
  throw new ImportFormatError('the file has no rows');
}

const sizeOr0 = (path: string) => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

const oneLine = (text: string) =>
  (text.length > REPORT_ROW_CHARS ? `${text.slice(0, REPORT_ROW_CHARS)}…` : text).replace(/[\t\r\n]/g, ' ');
