// The `npm start` supervisor's series: which of its processes and services run, how often each was
// started again after dying, and which it gave up on.
import { Counter, Gauge, Registry } from 'prom-client';
import { createRegistry } from './registry';

export interface SupervisorMetrics {
  registry: Registry;
  /** Restarts after an unexpected death, by process (api-2, worker, kafka-3, redis-16381, ...). */
  restarts: Counter<'process'>;
  /** 1 while the process runs, 0 while it is down (dead, waiting for its restart, or given up on). */
  up: Gauge<'process'>;
  /** 1 once the supervisor has given up on the process (it kept dying); until the next start. */
  givenUp: Gauge<'process'>;
}

export function createSupervisorMetrics(registry: Registry = createRegistry()): SupervisorMetrics {
  return {
    registry,
    restarts: new Counter({
      name: 'bourse_supervisor_restarts_total',
      help: 'Processes and services started again by the supervisor after they died unexpectedly',
      labelNames: ['process'],
      registers: [registry],
    }),
    up: new Gauge({
      name: 'bourse_supervisor_process_up',
      help: 'Whether a supervised process or service runs (1) or is down (0)',
      labelNames: ['process'],
      registers: [registry],
    }),
    givenUp: new Gauge({
      name: 'bourse_supervisor_given_up',
      help: 'Supervised processes the supervisor gave up on after they kept dying (1)',
      labelNames: ['process'],
      registers: [registry],
    }),
  };
}

/** Every series of a process at its starting value, so a dashboard sees 0 restarts, not no data. */
export function seedProcessSeries(m: SupervisorMetrics, name: string): void {
  m.restarts.inc({ process: name }, 0);
  m.givenUp.set({ process: name }, 0);
}
