// A file's lines with their byte offsets, read as a stream from any offset: what lets an import resume
// at the byte its checkpoint names, in memory that does not grow with the file (one chunk, one line).
import { createReadStream } from 'node:fs';

export interface Line {
  /** 1-based line number in the file. */
  line: number;
  /** Byte offset of the line's first byte, and of the byte after its newline. */
  start: number;
  end: number;
  /** The line without its newline (and without a trailing \r); '' if `tooLong`. */
  text: string;
  /** The line was longer than the limit: its text is dropped (the import reports it). */
  tooLong: boolean;
}

export const MAX_LINE_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * Yields the lines of `path` from byte `start` (which must be a line's start; `firstLine` is its
 * number), one array per chunk read, so the caller's await between arrays is the backpressure: the
 * stream does not read ahead of a consumer that waits for Kafka.
 */
export async function* readLines(
  path: string,
  start = 0,
  firstLine = 1,
  { chunkBytes = 1 << 20, maxLineBytes = MAX_LINE_BYTES } = {},
): AsyncGenerator<Line[]> {
  const stream = createReadStream(path, { start, highWaterMark: chunkBytes });
  let chunkStart = start;
  let line = firstLine;
  let lineStart = start;
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let tooLong = false;
  const finish = (parts: Buffer[], end: number): Line => {
    let text = '';
    if (!tooLong) {
      const buf = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      const n = buf.length > 0 && buf[buf.length - 1] === 0x0d ? buf.length - 1 : buf.length;
      text = buf.toString('utf8', 0, n);
    }
    const l = { line, start: lineStart, end, text, tooLong };
    line += 1;
    lineStart = end;
    carry = [];
    carryBytes = 0;
    tooLong = false;
    return l;
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const out: Line[] = [];
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, from);
      if (nl === -1) {
        if (!tooLong) {
          carry.push(chunk.subarray(from));
          carryBytes += chunk.length - from;
          if (carryBytes > maxLineBytes) {
            tooLong = true;
            carry = [];
          }
        }
        break;
      }
      const piece = chunk.subarray(from, nl);
      if (!tooLong && carryBytes + piece.length > maxLineBytes) tooLong = true;
      out.push(finish(carry.length ? [...carry, piece] : [piece], chunkStart + nl + 1));
      from = nl + 1;
    }
    chunkStart += chunk.length;
    if (out.length) yield out;
  }
  if (chunkStart > lineStart) yield [finish(carry, chunkStart)];
}
