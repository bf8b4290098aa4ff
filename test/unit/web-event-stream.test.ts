// The trading page's SSE client (web/src/sse.ts), run in Node against a scripted HTTP server: the
// wire format as the spec has it, the key sent as a header, and a dropped stream resumed with
// Last-Event-ID.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openEventStream, SseParser, type SseMessage, type StreamState } from '../../web/src/sse';

describe('SseParser', () => {
  const parse = (...chunks: string[]) => {
    const got: SseMessage[] = [];
    const p = new SseParser((m) => got.push(m));
    for (const c of chunks) p.push(c);
    return { got, p };
  };

  test('events, ids, multi-line data, comments, and every line ending', () => {
    const { got, p } = parse(
      ': keep-alive\n',
      'event: order\r\nid: 7\r\ndata: {"a":\r\ndata: 1}\r\n\r\n',
      'event: price\rdata:x\r\r',
      'data: no type\n\n',
    );
    expect(got).toEqual([
      { event: 'order', id: '7', data: '{"a":\n1}' },
      { event: 'price', id: '7', data: 'x' },
      { event: 'message', id: '7', data: 'no type' },
    ]);
    expect(p.lastEventId).toBe('7');
  });

  test('an event split anywhere, even between \\r and \\n, arrives once and whole', () => {
    const wire = 'event: order\r\nid: 12\r\ndata: {"orderId":"x"}\r\n\r\n';
    for (let i = 1; i < wire.length; i++) {
      expect(parse(wire.slice(0, i), wire.slice(i)).got).toEqual([
        { event: 'order', id: '12', data: '{"orderId":"x"}' },
      ]);
    }
  });

  test('nothing is dispatched before its blank line; retry: is remembered', () => {
    const { got, p } = parse('retry: 250\nevent: order\ndata: half');
    expect(got).toEqual([]);
    expect(p.retryMs).toBe(250);
  });
});

describe('openEventStream', () => {
  let server: Server;
  let url: string;
  const requests: IncomingMessage['headers'][] = [];
  let handler: (req: IncomingMessage, res: ServerResponse, n: number) => void;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.headers);
      handler(req, res, requests.length);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });

  beforeEach(() => (requests.length = 0));

  test('sends the key, and after a drop reconnects with the last event id', async () => {
    handler = (_req, res, n) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // retry: 50 keeps the test fast; the first connection drops after two events.
      if (n === 1)
        res.end('retry: 50\n\nevent: order\nid: 1-0\ndata: a\n\nevent: order\nid: 2-0\ndata: b\n\n');
      else res.write('event: order\nid: 3-0\ndata: c\n\n');
    };
    const got: string[] = [];
    const states: StreamState[] = [];
    const s = openEventStream({
      url,
      headers: () => ({ Authorization: 'Bearer k1' }),
      onMessage: (m) => got.push(`${m.id}=${m.data}`),
      onState: (st) => states.push(st),
    });
    const deadline = Date.now() + 5_000;
    while (got.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    s.stop();
    expect(got).toEqual(['1-0=a', '2-0=b', '3-0=c']);
    expect(requests.map((h) => [h.authorization, h['last-event-id'], h.accept])).toEqual([
      ['Bearer k1', undefined, 'text/event-stream'],
      ['Bearer k1', '2-0', 'text/event-stream'],
    ]);
    expect(states).toEqual(['connecting', 'open', 'down', 'connecting', 'open']);
  });

  test('a refused key (401) is reported down, and not retried', async () => {
    handler = (_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":"unauthorized","message":"the API key is not valid"}');
    };
    const states: StreamState[] = [];
    const s = openEventStream({
      url,
      headers: () => ({}),
      onMessage: () => {},
      onState: (st) => states.push(st),
    });
    // However long the machine takes to answer: first the refusal, then no reconnect past the 1 s a
    // retry would wait (the server sent no retry:).
    const deadline = Date.now() + 10_000;
    while (!states.includes('down') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(states).toEqual(['connecting', 'down']);
    await new Promise((r) => setTimeout(r, 1_500));
    s.stop();
    expect(states).toEqual(['connecting', 'down']);
    expect(requests).toHaveLength(1);
  });
});
