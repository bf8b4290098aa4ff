// prices:import without services: the row formats (bourse CSV, TSETMC history rows), the line reader's
// byte offsets, and the importer's checkpoint, report and merge rules with an in-memory publisher.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { priceTickSchema, type PriceTick } from '../../lib/contracts/price-tick';
import { readCheckpoint } from '../../lib/prices/import/checkpoint';
import { importPrices, type ImportOptions } from '../../lib/prices/import/importer';
import { readLines } from '../../lib/prices/import/lines';
import { ImportFormatError, rowReaderFor, type RowDefaults } from '../../lib/prices/import/rows';
import { defaultReportPath, withFileFlag } from '../../scripts/ops/import-prices';

const ID = '44891482026867833';
const defaults: RowDefaults = {
  source: 'tsetmc',
  timezone: 'Asia/Tehran',
  latestMinuteMs: Date.UTC(2026, 0, 1),
};
const HEADER = 'stockId,minute,price,last,open,low,high,yesterday,trades,volume,value';

describe('bourse CSV rows', () => {
  const reader = rowReaderFor(HEADER, defaults);

  test('a full row is the tick the live publisher would send, fetchedAt = the minute', () => {
    const r = reader.parse(`${ID},2025-10-08T06:00:00Z,2850,2851,2840,2830,2870,2800,12,12000,34200000.5`, 2);
    expect(r).toEqual({
      ok: true,
      rank: 2,
      tick: {
        stockId: ID,
        minute: '2025-10-08T06:00:00.000Z',
        price: 2850,
        last: 2851,
        open: 2840,
        low: 2830,
        high: 2870,
        yesterday: 2800,
        trades: 12,
        volume: 12000,
        value: 34200000.5,
        source: 'tsetmc',
        fetchedAt: '2025-10-08T06:00:00.000Z',
      },
    });
    expect(priceTickSchema.parse((r as { tick: PriceTick }).tick)).toBeTruthy();
    expect(Object.keys((r as { tick: PriceTick }).tick)).toEqual(Object.keys(priceTickSchema.shape));
  });

  test('only stockId, minute and price are needed; the other prices default to price, counts to 0', () => {
    const r = rowReaderFor('minute,price,stockId,source', defaults).parse(
      `2025-10-08T09:30:00+03:30,"5640",${ID},simulated`,
      7,
    );
    expect(r).toMatchObject({
      ok: true,
      tick: {
        minute: '2025-10-08T06:00:00.000Z',
        price: 5640,
        last: 5640,
        yesterday: 5640,
        trades: 0,
        value: 0,
      },
    });
    expect((r as { tick: PriceTick }).tick.source).toBe('simulated');
  });

  test.each([
    [`1234,2025-10-08T06:00:00Z,1`, /stockId "1234" is not a 15–17 digit/],
    [`${ID},2025-10-08T06:00:30Z,1`, /not on the minute grid/],
    [`${ID},2025-10-08T06:00:00.001Z,1`, /not on the minute grid/],
    [`${ID},2025-10-08 06:00,1`, /is not an RFC 3339 date-time/],
    [`${ID},2025-02-29T06:00:00Z,1`, /has no day 29 in 2025-02/],
    [`${ID},2026-06-01T00:00:00Z,1`, /is in the future/],
    [`${ID},2025-10-08T06:00:00Z,0`, /price "0" is not a positive whole number/],
    [`${ID},2025-10-08T06:00:00Z,12.5`, /price "12.5" is not a positive whole number/],
    [`${ID},2025-10-08T06:00:00Z,1e3`, /price "1e3"/],
    [`${ID},2025-10-08T06:00:00Z,1,2`, /has 4 fields, the header has 3/],
  ])('%s is rejected: %s', (row, reason) => {
    const r = rowReaderFor('stockId,minute,price', defaults).parse(row, 3);
    expect(r.ok).toBe(false);
    expect((r as { reason: string }).reason).toMatch(reason);
  });

  test('a header with an unknown, repeated or missing column stops the import, naming it', () => {
    expect(() => rowReaderFor('stockId,minute,price,colour', defaults)).toThrow(
      /column 4 "colour" is not a bourse CSV column/,
    );
    expect(() => rowReaderFor('stockId,minute,price,price', defaults)).toThrow(/names "price" twice/);
    expect(() => rowReaderFor('stockId,minute', defaults)).toThrow(ImportFormatError);
    expect(() => rowReaderFor('stockId,minute', defaults)).toThrow(/no "price" column/);
  });
});

describe('TSETMC history rows', () => {
  const intraday = { ...defaults, stockId: '778253364357513', date: 20251008 };

  test('an intraday row (insCode null, dEven 0) is the tick of the first minute at or after hEven, Tehran time', () => {
    const reader = rowReaderFor('{"hEven":90033}', intraday);
    expect(reader.format).toBe('tsetmc-jsonl');
    const row = (hEven: number) =>
      `{"id":0,"insCode":null,"dEven":0,"hEven":${hEven},"pClosing":14286.00,"iClose":false,"yClose":false,` +
      '"pDrCotVal":14285.00,"zTotTran":5.0,"qTotTran5J":53460.0,"qTotCap":763725100.00}';
    expect(reader.parse(row(90033), 1)).toMatchObject({
      ok: true,
      rank: 9 * 3600 + 33,
      // 09:00:33 is the price from 09:01 on (the price at M is the newest row with hEven ≤ M); UTC+03:30.
      tick: { stockId: '778253364357513', minute: '2025-10-08T05:31:00.000Z', price: 14286, last: 14285 },
    });
    expect(reader.parse(row(90100), 2)).toMatchObject({ tick: { minute: '2025-10-08T05:31:00.000Z' } });
    const t = (reader.parse(row(143250), 3) as { tick: PriceTick }).tick;
    expect(t).toMatchObject({
      minute: '2025-10-08T11:03:00.000Z',
      trades: 5,
      volume: 53460,
      value: 763725100,
    });
    expect(priceTickSchema.parse(t)).toBeTruthy();
  });

  test('a daily row keeps its own insCode, date, open/low/high/yesterday; before 2022 Tehran had daylight saving', () => {
    const reader = rowReaderFor('{}', defaults);
    const r = reader.parse(
      '{"priceChange":93.00,"priceMin":24400.00,"priceMax":25000.00,"priceYesterday":24417.00,"priceFirst":24461.00,' +
        '"last":false,"id":0,"insCode":"69067576215760005","dEven":20180524,"hEven":150000,"pClosing":24652.00,' +
        '"iClose":false,"yClose":true,"pDrCotVal":24510.00,"zTotTran":477.0,"qTotTran5J":3187168.0,"qTotCap":78570811689.00}',
      1,
    );
    expect(r).toMatchObject({
      ok: true,
      tick: {
        stockId: '69067576215760005',
        minute: '2018-05-24T10:30:00.000Z', // 15:00 at +04:30 (summer time then)
        price: 24652,
        open: 24461,
        low: 24400,
        high: 25000,
        yesterday: 24417,
        source: 'tsetmc',
      },
    });
  });

  test('TSETMC CSV with its field names; rows it cannot use say why', () => {
    const reader = rowReaderFor(
      'insCode,dEven,hEven,pClosing,pDrCotVal,zTotTran,qTotTran5J,qTotCap,id',
      defaults,
    );
    expect(reader.format).toBe('tsetmc-csv');
    expect(
      reader.parse(`${ID},20251008,122952,35358.00,35540.00,133,2762154,97663276951,0`, 2),
    ).toMatchObject({
      ok: true,
      tick: { stockId: ID, minute: '2025-10-08T09:00:00.000Z', price: 35358, last: 35540 },
    });
    const reason = (row: string) => (reader.parse(row, 3) as { reason: string }).reason;
    expect(reason(`${ID},20251008,122952,0,0,0,0,0,0`)).toMatch(/pClosing is 0/);
    expect(reason(`${ID},20251032,122952,1,1,1,1,1,0`)).toMatch(/dEven 20251032 is not a date/);
    expect(reason(`${ID},20251008,126052,1,1,1,1,1,0`)).toMatch(/hEven 126052 is not a time/);
    expect(reason(`0,0,122952,1,1,1,1,1,0`)).toMatch(/insCode is empty and no --stock/);
    expect(reason(`${ID},20251008,122952,abc,1,1,1,1,0`)).toMatch(/pClosing "abc" is not a number/);
    expect(() => rowReaderFor('hEven,pClosing', defaults)).toThrow(/need --stock/);
    expect(rowReaderFor('{}', defaults).parse('{"hEven": 9', 1)).toMatchObject({ ok: false });
  });
});

describe('the line reader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lines-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('byte offsets of every line (CRLF, multi-byte text, no final newline), and from any line start', async () => {
    const file = join(dir, 'a.txt');
    writeFileSync(file, 'ab\r\nسایپا\n\nlast');
    const all = [];
    for await (const ls of readLines(file, 0, 1, { chunkBytes: 3 })) all.push(...ls);
    expect(all.map((l) => [l.line, l.start, l.end, l.text])).toEqual([
      [1, 0, 4, 'ab'],
      [2, 4, 15, 'سایپا'],
      [3, 15, 16, ''],
      [4, 16, 20, 'last'],
    ]);
    const rest = [];
    for await (const ls of readLines(file, 15, 3)) rest.push(...ls);
    expect(rest.map((l) => [l.line, l.text])).toEqual([
      [3, ''],
      [4, 'last'],
    ]);
  });

  test('a line longer than the limit is flagged without being held in memory', async () => {
    const file = join(dir, 'b.txt');
    writeFileSync(file, `short\n${'x'.repeat(5000)}\nafter\n`);
    const all = [];
    for await (const ls of readLines(file, 0, 1, { chunkBytes: 512, maxLineBytes: 1000 })) all.push(...ls);
    expect(all.map((l) => [l.line, l.tooLong, l.text.length])).toEqual([
      [1, false, 5],
      [2, true, 0],
      [3, false, 5],
    ]);
    expect(all[2].start).toBe(6 + 5001);
  });
});

describe('the importer', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'import-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const minute = (i: number) => new Date(Date.UTC(2025, 9, 8, 6, i)).toISOString().replace('.000Z', 'Z');
  const run = (
    file: string,
    publish: ImportOptions['publisher']['publish'],
    extra: Partial<ImportOptions> = {},
  ) =>
    importPrices({
      file,
      reportPath: join(dir, 'report.tsv'),
      checkpointPath: join(dir, 'report.tsv.checkpoint.json'),
      publisher: { publish },
      defaults: { source: 'tsetmc', timezone: 'Asia/Tehran' },
      retentionMs: 0,
      batchTicks: 10,
      maxInFlight: 2,
      ...extra,
    });

  test('TSETMC rows newest first: rows of one minute become one tick, the newest row’s', async () => {
    const file = join(dir, 'day.jsonl');
    const row = (hEven: number, p: number) =>
      JSON.stringify({
        insCode: null,
        dEven: 0,
        hEven,
        pClosing: p,
        pDrCotVal: p,
        zTotTran: 1,
        qTotTran5J: 1,
        qTotCap: p,
      });
    writeFileSync(file, [row(90150, 103), row(90110, 102), row(90100, 101), row(64140, 100)].join('\n'));
    const sent: PriceTick[] = [];
    const s = await run(file, async (t) => void sent.push(...t), {
      defaults: { source: 'tsetmc', timezone: 'Asia/Tehran', stockId: ID, date: 20251008 },
    });
    expect(sent.map((t) => [t.minute, t.price])).toEqual([
      ['2025-10-08T05:32:00.000Z', 103], // 09:01:50 and 09:01:10: the 09:02 tick is 09:01:50's
      ['2025-10-08T05:31:00.000Z', 101],
      ['2025-10-08T03:12:00.000Z', 100], // the pre-open snapshot 06:41:40
    ]);
    expect(s).toMatchObject({ rows: 4, ticks: 3, merged: 1, rejected: 0 });
  });

  test('a failed publish stops the import at the last acknowledged batch; the next run resumes there, reporting each bad row once', async () => {
    const file = join(dir, 'prices.csv');
    const rows = ['stockId,minute,price'];
    for (let i = 0; i < 100; i++)
      rows.push(i % 10 === 5 ? `bad,${minute(i)},1` : `${ID},${minute(i)},${100 + i}`);
    writeFileSync(file, `${rows.join('\n')}\n`);
    const first: PriceTick[] = [];
    let calls = 0;
    await expect(
      run(file, async (t) => {
        if (++calls >= 4) throw new Error('broker gone'); // from the 4th batch on
        first.push(...t);
      }),
    ).rejects.toThrow(/broker gone; everything up to line 34 .* run the same command again to resume/);
    const cp = readCheckpoint(join(dir, 'report.tsv.checkpoint.json'))!;
    expect(cp).toMatchObject({ done: false, line: 34, counts: { rows: 33, rejected: 3, ticks: 30 } });
    expect(first).toHaveLength(30);

    const second: PriceTick[] = [];
    const s = await run(file, async (t) => void second.push(...t));
    expect(s).toMatchObject({
      resumedFromLine: 34,
      rows: 100,
      rejected: 10,
      ticks: 90,
      publishedThisRun: 60,
    });
    // Nothing published twice here (the failed batch was never acknowledged), nothing missing.
    expect(new Set([...first, ...second].map((t) => t.minute)).size).toBe(90);
    expect([...first, ...second]).toHaveLength(90);
    const report = readFileSync(join(dir, 'report.tsv'), 'utf8').trim().split('\n');
    expect(report.slice(1).map((l) => Number(l.split('\t')[0]))).toEqual(
      Array.from({ length: 10 }, (_, k) => k * 10 + 5 + 2),
    );
    expect(readCheckpoint(join(dir, 'report.tsv.checkpoint.json'))!.done).toBe(true);
  });

  test('aborted: the batches in flight are acknowledged and checkpointed, then it returns interrupted', async () => {
    const file = join(dir, 'prices.csv');
    const rows = ['stockId,minute,price'];
    for (let i = 0; i < 1000; i++) rows.push(`${ID},${minute(i)},${100 + i}`);
    writeFileSync(file, `${rows.join('\n')}\n`);
    const stop = new AbortController();
    let sent = 0;
    const s = await run(
      file,
      async (t) => {
        sent += t.length;
        if (sent >= 50) stop.abort();
      },
      { signal: stop.signal },
    );
    expect(s.interrupted).toBe(true);
    expect(s.ticks).toBe(sent);
    expect(readCheckpoint(join(dir, 'report.tsv.checkpoint.json'))).toMatchObject({
      done: false,
      line: sent + 1,
    });
  });

  test('a changed file does not resume a checkpoint that is not its own', async () => {
    const file = join(dir, 'prices.csv');
    const rows = Array.from({ length: 30 }, (_, i) => `${ID},${minute(i)},${i + 1}`);
    writeFileSync(file, `stockId,minute,price\n${rows.join('\n')}\n`);
    let calls = 0;
    const failSecond = async () => {
      if (++calls >= 2) throw new Error('down');
    };
    await expect(run(file, failSecond, { maxInFlight: 1 })).rejects.toThrow(/down/);
    expect(readCheckpoint(join(dir, 'report.tsv.checkpoint.json'))).toMatchObject({ line: 11 });
    writeFileSync(file, `stockId,minute,price\n${rows.join('\n')}\n${ID},${minute(40)},2\n`);
    await expect(run(file, async () => undefined)).rejects.toThrow(/not this file's .* --restart/);
    await expect(run(file, async () => undefined, { restart: true })).resolves.toMatchObject({ ticks: 31 });
  });
});

test('the command takes the file as its first argument, and keeps one report per file path', () => {
  expect(withFileFlag(['a.csv', '--batch', '10'])).toEqual(['--file', 'a.csv', '--batch', '10']);
  expect(withFileFlag(['--file', 'a.csv'])).toEqual(['--file', 'a.csv']);
  expect(defaultReportPath('.stack/local', '/data/a.csv')).toMatch(
    /\.stack\/local\/imports\/a\.csv-[0-9a-f]{8}\.report\.tsv$/,
  );
  expect(defaultReportPath('.stack/local', '/data/a.csv')).not.toBe(
    defaultReportPath('.stack/local', '/other/a.csv'),
  );
});
