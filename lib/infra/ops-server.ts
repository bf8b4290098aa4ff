// A process's operations port: GET /metrics (Prometheus text), /healthz (alive) and /readyz (its
// services answer). Every long-running process that is not the API serves one on a port of its own,
// so Kubernetes probes and Prometheus reach each; the API keeps these routes on its own port.
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logger';

/** `ready` decides the status (200/503); the whole object is the JSON body. */
export type ReadyAnswer = { ready: boolean } & object;

export interface OpsServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  registry: Registry;
  /** Whether the process can do its work now; omitted = ready whenever alive. */
  ready?: () => Promise<ReadyAnswer>;
  log: Logger;
}

export interface OpsServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return answer(405, 'application/json', JSON.stringify({ error: 'method not allowed' }));
    }
    if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => answer(200, opts.registry.contentType, text),
        (err: unknown) => {
          opts.log.error('metrics collection failed', { err });
          answer(500, 'text/plain', 'metrics collection failed\n');
        },
      );
      return;
    }
    if (path === '/healthz') return answer(200, 'application/json', JSON.stringify({ status: 'ok' }));
    if (path === '/readyz') {
      (opts.ready ?? (async () => ({ ready: true })))().then(
        (r) => answer(r.ready ? 200 : 503, 'application/json', JSON.stringify(r)),
        (err: unknown) =>
          answer(503, 'application/json', JSON.stringify({ ready: false, error: String(err) })),
      );
      return;
    }
    answer(404, 'application/json', JSON.stringify({ error: 'not found' }));
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen(opts.port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    // Only on one host with several instances (a local HA run, tests side by side): each pod or
    // container has its own. The process still runs and is measured; Prometheus sees the configured
    // target down, which is what its alert is for.
    opts.log.warn('ops port taken; serving on a free port instead', { host: opts.host, port: opts.port });
    await listen(0);
  }
  const port = (server.address() as AddressInfo).port;
  opts.log.info('ops server listening', { host: opts.host, port });
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port free on `host` now (a short race until it is bound again; for a fallback only). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createTcpServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
