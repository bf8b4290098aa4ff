// `npm run chaos -- [--seed N] [--duration 10m] [--port-offset 370] [--rate 4] [--ha] [--temporal postgres]`:
// fault injection on a stack of its own (run.ts), then every invariant printed with its count
// (report.ts). Exit 0 when all hold, 1 when one is violated.
import { runCommand, type CommandSpec, type Parsed } from '../cli';
import { formatReport } from './report';
import { runChaos } from './run';

export { formatReport, type ChaosReport, type Kind } from './report';
export { runChaos, seededRandom, type ChaosOptions } from './run';
export { chaosEnv } from './targets';
export type { Invariant } from './invariants';

export const command = {
  usage: 'npm run chaos --',
  summary:
    'SIGKILLs and restarts API, worker, both consumers, Kafka, Redis and Temporal at seeded random moments ' +
    'while orders flow, then checks the invariants; the same seed replays the same run',
  options: {
    seed: { kind: 'integer', description: 'the random seed (default: from the clock)' },
    duration: {
      kind: 'duration',
      description: 'how long the load and the kills last (600, 600s, 10m)',
      default: '5m',
    },
    'port-offset': {
      kind: 'integer',
      description:
        "shift of the chaos stack's ports (default 370, with --ha 1020: clear of the 300–900 test stacks)",
    },
    rate: { kind: 'number', description: 'new orders per second', default: '4' },
    temporal: {
      kind: 'string',
      choices: ['sqlite', 'postgres'],
      description:
        "the stack's Temporal: the dev server (sqlite) or the server on PostgreSQL (TEMPORAL_PERSISTENCE)",
      default: 'sqlite',
    },
    ha: {
      kind: 'boolean',
      description:
        'on the HA layout: three Kafka brokers, two of every app process; kills one copy of a kind at a time',
    },
  },
} as const satisfies CommandSpec;

async function main({ values }: Parsed<typeof command.options>): Promise<number> {
  const report = await runChaos({
    seed: values.seed ?? Date.now() % 1_000_000,
    durationMs: values.duration,
    portOffset: values['port-offset'] ?? (values.ha ? 1020 : 370),
    rate: values.rate,
    temporal: values.temporal as 'sqlite' | 'postgres',
    ha: values.ha,
    users: 5,
    settleMs: 240_000,
    log: (line) => process.stdout.write(`[chaos] ${line}\n`),
  });
  process.stdout.write(`\n${formatReport(report)}\n`);
  return report.ok ? 0 : 1;
}

if (require.main === module) runCommand(command, main);
