// Output chunks to whole lines: a child's stdout arrives in chunks that need not end at a newline (nor
// at a character boundary), so the unfinished tail waits for the next chunk instead of printing broken.
import { StringDecoder } from 'node:string_decoder';

export interface LineSplitter {
  /** The lines this chunk completes (without their newline). */
  push(chunk: Buffer | string): string[];
  /** What is left at the end of the stream, as a last line (if any). */
  end(): string[];
}

export function createLineSplitter(): LineSplitter {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  return {
    push(chunk) {
      const lines = (carry + (typeof chunk === 'string' ? chunk : decoder.write(chunk))).split('\n');
      carry = lines.pop()!;
      return lines.map((l) => l.replace(/\r$/, ''));
    },
    end() {
      const rest = carry + decoder.end();
      carry = '';
      return rest ? [rest] : [];
    },
  };
}
