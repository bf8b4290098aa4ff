// HTTP/1.1 written by hand on a socket: for requests fetch cannot make (a header sent twice, a client
// that stops sending, headers too large), answered by the real server.
import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `head` (the request line and headers, without the final blank line) and reads until close. */
export function rawRequest(
  url: string,
  head: string,
  opts: { body?: string; incomplete?: boolean } = {},
): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [top = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = top.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    // Without the final blank line the server keeps waiting for headers: that is the slow sender.
    // `head` should say Connection: close, so the server ends the exchange.
    socket.write(opts.incomplete ? `${head}\r\n` : `${head}\r\n\r\n${opts.body ?? ''}`);
  });
}
