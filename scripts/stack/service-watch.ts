// `npm start`'s watch over the stack's services: the services run detached (a supervisor's restart
// must not take them down), so they are watched by their pid files. A Kafka broker, Redis node or the
// Temporal server that is gone is started again, with the app processes' backoff and giving up
// (restart-policy.ts), and counts as back once it has rejoined (healthy; a broker in sync, a Redis node
// synced with its master).
import { seedProcessSeries, type SupervisorMetrics } from '../../lib/infra/metrics/supervisor';
import { readPid, startService, stackServices, type Log, type StackSpec } from './local-stack';
import { readNodePid, startRedisNode } from './redis-cluster';
import { Restarter, type RestartPolicyOptions } from './restart-policy';

export interface WatchedService {
  name: string;
  /** Its pid while it runs. */
  pid(): number | undefined;
  /** Starts it again and resolves once it is back; rejects if it did not come back. */
  restart(): Promise<void>;
}

/** The services of a stack's layout, each with how it is started again. */
export function watchedServices(spec: StackSpec, log: Log, abort: AbortSignal): WatchedService[] {
  const services = stackServices(spec).map((svc): WatchedService => ({
    name: svc,
    pid: () => readPid(spec, svc),
    restart: () => startService(spec, svc, log, abort),
  }));
  const cluster = spec.redisCluster;
  const nodes = (cluster?.ports ?? []).map((port): WatchedService => ({
    name: `redis-${port}`,
    pid: () => readNodePid(cluster!, port),
    restart: async () => {
      abort.throwIfAborted();
      await startRedisNode(cluster!, port, log);
    },
  }));
  return [...services, ...nodes];
}

export interface ServiceWatcherOptions {
  metrics: SupervisorMetrics;
  loud: (line: string) => void;
  policy?: RestartPolicyOptions;
  /** How often the pids are looked at. */
  intervalMs?: number;
}

export class ServiceWatcher {
  private readonly restarters = new Map<string, Restarter>();
  private readonly lastPid = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly services: WatchedService[],
    private readonly o: ServiceWatcherOptions,
  ) {
    for (const s of services) {
      seedProcessSeries(o.metrics, s.name);
      this.restarters.set(
        s.name,
        new Restarter(s.name, {
          restart: () => s.restart(),
          loud: o.loud,
          onRestarted: () => o.metrics.restarts.inc({ process: s.name }),
          onGaveUp: () => o.metrics.givenUp.set({ process: s.name }, 1),
          ...(o.policy ? { policy: o.policy } : {}),
        }),
      );
    }
  }

  /** Looks at every service once: one that is gone (and not already being restarted) has died. */
  check(): void {
    for (const s of this.services) {
      const restarter = this.restarters.get(s.name)!;
      if (restarter.busy || restarter.gaveUp) continue;
      const pid = s.pid();
      this.o.metrics.up.set({ process: s.name }, pid ? 1 : 0);
      if (pid) {
        this.lastPid.set(s.name, pid);
        continue;
      }
      const last = this.lastPid.get(s.name);
      restarter.died(`is no longer running${last ? ` (pid ${last})` : ''}`);
    }
  }

  start(): void {
    this.check();
    this.timer = setInterval(() => this.check(), this.o.intervalMs ?? 1_000);
  }

  /** No more checks or restarts (the supervisor is stopping the stack). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const r of this.restarters.values()) r.stop();
  }
}
