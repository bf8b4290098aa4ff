// The npm start supervisor's output: a line split over chunks (or a character split over chunks) is
// printed whole, once.
import { PassThrough } from 'node:stream';
import { createLineSplitter } from '../../scripts/stack/line-splitter';
import { prefixLines } from '../../scripts/stack/supervisor';

test('a line spanning two chunks comes out whole', () => {
  const lines = createLineSplitter();
  expect(lines.push('{"level":"info","msg":"first"}\n{"level":"info",')).toEqual([
    '{"level":"info","msg":"first"}',
  ]);
  expect(lines.push('"msg":"second"}\n')).toEqual(['{"level":"info","msg":"second"}']);
  expect(lines.end()).toEqual([]);
});

test('several lines in one chunk, CRLF, and an unfinished last line at the end', () => {
  const lines = createLineSplitter();
  expect(lines.push('a\r\nb\nc')).toEqual(['a', 'b']);
  expect(lines.push('')).toEqual([]);
  expect(lines.end()).toEqual(['c']);
});

test('a multi-byte character split between chunks is not mangled', () => {
  const bytes = Buffer.from('قیمت\n');
  const lines = createLineSplitter();
  expect(lines.push(bytes.subarray(0, 3))).toEqual([]);
  expect(lines.push(bytes.subarray(3))).toEqual(['قیمت']);
});

test('prefixLines writes each whole line once, prefixed', async () => {
  const from = new PassThrough();
  const out = new PassThrough();
  const written: string[] = [];
  out.on('data', (c: Buffer) => written.push(c.toString()));
  prefixLines(from, out, 'api      | ');
  from.write('hello wo');
  from.write('rld\nsecond');
  from.end(' line');
  await new Promise((r) => setImmediate(r));
  expect(written.join('')).toBe('api      | hello world\napi      | second line\n');
});
