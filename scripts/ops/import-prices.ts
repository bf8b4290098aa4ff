// `npm run prices:import -- --file <file>` (or `npm run prices:import <file>`): imports a file of
// historical minute prices into `stock-prices`, the way the live publisher sends ticks, so the price
// consumer stores them as it stores live ones. Streams the file; a progress line on stderr; rejected
// rows to a report; resumes from its checkpoint after an interruption. Format: docs/prices.md.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { stackConfig } from '../stack/stack-config';
import { createKafka, TOPICS } from '../../lib/infra/kafka';
import { connectKafkaSender } from '../../lib/infra/kafka-sender';
import { importPrices, type ImportProgress, type ImportSummary } from '../../lib/prices/import/importer';
import { ImportFormatError } from '../../lib/prices/import/rows';
import { createPricePublisher } from '../../lib/prices/publisher';
import { STOCK_ID } from '../../lib/contracts/price-tick';
import { runCommand, UsageError, type CommandSpec, type Parsed } from '../cli';
import { ROOT } from '../stack/spec';

export const command = {
  usage: 'npm run prices:import --',
  summary:
    'imports a CSV of historical minute prices (or TSETMC history rows) into Kafka stock-prices as ' +
    'price ticks; resumes from its checkpoint when run again after an interruption. ' +
    '`npm run prices:import <file>` works too',
  options: {
    file: { kind: 'string', description: 'the file to import (required; the first argument may be it)' },
    report: {
      kind: 'string',
      description:
        'where rejected rows go (line, reason, row); its checkpoint is <report>.checkpoint.json ' +
        '(default: <STACK_DIR>/imports/<file name>-<hash of its path>.report.tsv)',
    },
    source: {
      kind: 'string',
      description: "the ticks' source when a bourse CSV row has no source column",
      default: 'tsetmc',
      choices: ['tsetmc', 'simulated'],
    },
    stock: { kind: 'string', description: 'TSETMC rows: the instrument code when insCode is null or "0"' },
    date: { kind: 'integer', description: 'TSETMC rows: the day (yyyymmdd) when dEven is 0' },
    batch: { kind: 'integer', description: 'ticks per publish and per checkpoint', default: '5000' },
    'in-flight': {
      kind: 'integer',
      description: 'batches published and not yet acknowledged at once',
      default: '4',
    },
    restart: {
      kind: 'boolean',
      description: 'ignore an unfinished checkpoint and import from the first line',
    },
    'progress-every': {
      kind: 'duration',
      description: 'how often the progress line is printed',
      default: '1s',
    },
    json: { kind: 'boolean', description: 'print the summary as one JSON object (for scripts)' },
  },
} as const satisfies CommandSpec;

/** `prices:import data.csv --batch 100` is `--file data.csv --batch 100`: the parser takes flags only. */
export function withFileFlag(argv: readonly string[]): string[] {
  const first = argv[0];
  return first !== undefined && !first.startsWith('-') ? ['--file', first, ...argv.slice(1)] : [...argv];
}

/** The default report (and checkpoint) path of a file: under STACK_DIR, one pair per file path. */
export function defaultReportPath(stackDir: string, file: string): string {
  const abs = resolve(file);
  const tag = createHash('sha1').update(abs).digest('hex').slice(0, 8);
  return join(resolve(ROOT, stackDir), 'imports', `${basename(abs)}-${tag}.report.tsv`);
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function progressLine(p: ImportProgress): string {
  const pct = p.bytes > 0 ? ((100 * p.byte) / p.bytes).toFixed(1) : '100.0';
  return (
    `import: ${int(p.counts.rows)} rows (${int(p.counts.rejected)} rejected) · ${int(p.rowsPerSecond)} rows/s · ` +
    `${pct}% of ${mb(p.bytes)} · ETA ${duration(p.etaSeconds)}`
  );
}

function summaryText(s: ImportSummary, maxRssMiB: number): string {
  const lines = [
    s.interrupted
      ? `interrupted: run the same command again to resume after line ${int(s.lines)}`
      : `imported ${s.file}`,
    `  format            ${s.format}, ${mb(s.bytes)}, ${int(s.lines)} lines read`,
    `  rows              ${int(s.rows)} (${int(s.rows - s.rejected)} accepted, ${int(s.rejected)} rejected)`,
    `  ticks published   ${int(s.ticks)} (${int(s.merged)} rows merged into the next row of the same stock and minute)` +
      (s.resumedFromLine
        ? `; this run ${int(s.publishedThisRun)}, resumed after line ${int(s.resumedFromLine)}`
        : ''),
    `  stocks            ${int(s.stocks)}; minutes ${s.firstMinute ?? '-'} to ${s.lastMinute ?? '-'}`,
    `  rate              ${int(s.rowsPerSecond)} rows/s over ${s.seconds.toFixed(1)} s; peak RSS ${maxRssMiB} MiB`,
    `  report            ${s.report}${s.rejected ? '' : ' (no rejected row)'}`,
    `  checkpoint        ${s.checkpoint}`,
  ];
  if (s.olderThanRetention > 0) {
    lines.push(
      `  note              ${int(s.olderThanRetention)} rows are older than PRICE_HISTORY_RETENTION: Kafka keeps ` +
        'them, but the consumer trims them from Redis for a stock whose newest minute is recent (docs/prices.md)',
    );
  }
  return `${lines.join('\n')}\n`;
}

async function main({ values }: Parsed<typeof command.options>): Promise<number> {
  const file = values.file;
  if (file === undefined) throw new UsageError('the file to import is required: --file <file>');
  if (!existsSync(file)) throw new UsageError(`--file ${file}: no such file`);
  if (values.stock !== undefined && !STOCK_ID.test(values.stock))
    throw new UsageError(`--stock wants a 15–17 digit instrument code, got "${values.stock}"`);
  if (values.batch < 1 || values.batch > 100_000) throw new UsageError('--batch wants 1 to 100000');
  if (values['in-flight'] < 1 || values['in-flight'] > 64) throw new UsageError('--in-flight wants 1 to 64');
  const cfg = stackConfig();
  const reportPath = values.report ?? defaultReportPath(cfg.STACK_DIR, file);
  const kafka = createKafka(cfg);
  const sender = await connectKafkaSender(kafka);
  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) process.exit(130); // a second Ctrl-C: at once (the checkpoint stands)
    process.stderr.write('\nimport: stopping after the batches in flight (Ctrl-C again to quit at once)\n');
    stop.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const tty = process.stderr.isTTY;
  try {
    const summary = await importPrices({
      file,
      reportPath,
      checkpointPath: `${reportPath}.checkpoint.json`,
      publisher: createPricePublisher(sender, TOPICS.prices),
      defaults: {
        source: values.source as 'tsetmc' | 'simulated',
        stockId: values.stock,
        date: values.date,
        timezone: cfg.MARKET_TIMEZONE,
      },
      retentionMs: cfg.PRICE_HISTORY_RETENTION,
      batchTicks: values.batch,
      maxInFlight: values['in-flight'],
      restart: values.restart,
      progressEveryMs: values['progress-every'],
      signal: stop.signal,
      onStart: (s) => {
        if (s.why) process.stderr.write(`import: ${s.why}\n`);
        if (s.resumed) {
          const pct = s.bytes ? ((100 * s.byte) / s.bytes).toFixed(1) : '0';
          process.stderr.write(
            `import: resuming after line ${int(s.line)} (byte ${int(s.byte)} of ${int(s.bytes)}, ${pct}%)\n`,
          );
        }
      },
      onProgress: (p) => process.stderr.write(tty ? `\r${progressLine(p)}\x1b[K` : `${progressLine(p)}\n`),
    });
    if (tty) process.stderr.write('\n');
    // Peak resident memory of this process (Linux: kB): what the bench prints for each file size.
    const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
    process.stdout.write(
      values.json ? `${JSON.stringify({ ...summary, maxRssMiB })}\n` : summaryText(summary, maxRssMiB),
    );
    return summary.interrupted ? 130 : 0;
  } catch (err) {
    if (err instanceof ImportFormatError) throw new UsageError(`${file}: ${err.message}`);
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await sender.close();
  }
}

if (require.main === module) runCommand(command, main, withFileFlag(process.argv.slice(2)));
