// What a chaos run kills: each copy of an app process and each node of a service, with how it is
// killed and how it counts as back; and the settings of the run's own stack.
import { loadStackConfig, type StackConfig } from '../stack/stack-config';
import { waitFor } from '../wait';
import { healthPort, instanceName, type AppInstance, type AppProcess } from '../stack/app-processes';
import {
  haEnv,
  kafkaNodes,
  stackEnv,
  startService,
  stopService,
  type ServiceName,
  type StackSpec,
} from '../stack/local-stack';
import { killRedisNode, startRedisNode } from '../stack/redis-cluster';
import type { ChaosApps } from './apps';
import type { Kind } from './report';

export function chaosEnv(portOffset: number, ha = false): Record<string, string> {
  const env = {
    ...stackEnv(portOffset, `.stack/chaos-${portOffset}`),
    // The ops ports too, beside the stack's: a chaos run never takes the local stack's 9101–9104.
    WORKER_OPS_PORT: String(19_101 + portOffset),
    WORKER_TEMPORAL_METRICS_PORT: String(19_102 + portOffset),
    CONSUMER_OPS_PORT: String(19_103 + portOffset),
    ORDER_EVENTS_CONSUMER_OPS_PORT: String(19_104 + portOffset),
    LOG_LEVEL: 'info',
    RATE_LIMIT_REQUESTS: '1000000',
    ORDER_START_TIMEOUT: '5s',
    SHUTDOWN_GRACE: '10s',
  };
  if (!ha) return env;
  return {
    ...env,
    ...haEnv(loadStackConfig({ ...process.env, ...env })),
    // A SIGKILLed consumer's partitions wait for its session to expire before its twin takes them.
    PRICE_CONSUMER_SESSION_TIMEOUT: '10s',
    ORDER_EVENTS_CONSUMER_SESSION_TIMEOUT: '10s',
  };
}

export const PROCESS_KINDS: readonly AppProcess[] = ['api', 'worker', 'consumer', 'order-events-consumer'];
export const SERVICE_KINDS = ['kafka', 'redis', 'temporal'] as const;

/** One thing a chaos run can kill: a copy of an app process or a node of a service. */
export interface Target {
  kind: Kind;
  name: string;
  /** No twin takes over while it is down (the Temporal server; Redis until it is a cluster). */
  sole: boolean;
  kill(): Promise<void>;
  /** Starts it again and resolves once it is back (healthy; a Kafka broker: caught up). */
  restart(): Promise<void>;
}

export function targetsOf(
  cfg: StackConfig,
  spec: StackSpec,
  apps: ChaosApps,
  copies: number,
  stackLog: (m: string) => void,
): Target[] {
  const out: Target[] = [];
  for (const kind of PROCESS_KINDS) {
    for (let instance = 1; instance <= copies; instance++) {
      const app: AppInstance = { kind, instance };
      // A worker is back once it polls its task queues (/readyz: after its workflow bundle is built),
      // not once its process answers: until then its twin must not be taken away.
      const url = `http://127.0.0.1:${healthPort(cfg, app)}/${kind === 'worker' ? 'readyz' : 'healthz'}`;
      out.push({
        kind,
        name: instanceName(app),
        sole: copies === 1,
        kill: () => apps.kill(app),
        restart: async () => {
          apps.start(app);
          await waitFor(`${instanceName(app)} healthy`, async () => (await fetch(url)).ok, 120_000, 250);
        },
      });
    }
  }
  const service = (kind: Kind, svc: ServiceName, sole: boolean): Target => ({
    kind,
    name: svc,
    sole,
    kill: () => stopService(spec, svc, () => undefined, 'SIGKILL'),
    restart: () => startService(spec, svc, stackLog),
  });
  const brokers = kafkaNodes(spec);
  for (const b of brokers) out.push(service('kafka', b.svc, brokers.length === 1));
  const cluster = spec.redisCluster;
  if (!cluster) out.push(service('redis', 'redis', true));
  for (const port of cluster?.ports ?? []) {
    out.push({
      kind: 'redis',
      name: `redis-${port}`,
      sole: false,
      kill: () => killRedisNode(cluster!, port, 'SIGKILL'),
      // Back as a replica (a killed master's replica took over) once synced with its master
      // (startRedisNode waits for it), so the next kill, of any node, still leaves a full copy of every slot.
      restart: () => startRedisNode(cluster!, port, stackLog),
    });
  }
  out.push(service('temporal', 'temporal', true));
  return out;
}
