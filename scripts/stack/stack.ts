// `npm run stack:up|down|status`: the local stack on the ports lib/config points at.
import { stackConfig, loadStackConfig } from './stack-config';
import { runCommand, UsageError, type CommandSpec } from '../cli';
import {
  haEnv,
  PrerequisiteError,
  stackSpecFromConfig,
  stackStatus,
  startStack,
  stopStack,
} from './local-stack';

export const command = {
  usage: 'tsx scripts/stack/stack.ts',
  summary: 'start (up), stop (down) or show (status) the local stack of Temporal, Kafka and Redis',
  options: {
    ha: {
      kind: 'boolean',
      description:
        'the HA layout: three Kafka brokers (replication 3, min.insync.replicas 2), in STACK_DIR-ha',
    },
  },
  positionals: ['up', 'down', 'status'],
} as const satisfies CommandSpec;

const log = (msg: string) => process.stdout.write(`[stack] ${msg}\n`);

async function main(cmd: string | undefined, ha: boolean): Promise<void> {
  const cfg = stackConfig();
  const spec = stackSpecFromConfig(ha ? loadStackConfig({ ...process.env, ...haEnv(cfg) }) : cfg);
  if (cmd === 'up') await startStack(spec, log);
  else if (cmd === 'down') await stopStack(spec, log);
  else if (cmd === 'status') log(JSON.stringify(stackStatus(spec)));
  else throw new UsageError('say up, down or status');
}

if (require.main === module) {
  runCommand(command, ({ positionals, values }) =>
    main(positionals[0], values.ha).catch((err: unknown) => {
      if (!(err instanceof PrerequisiteError)) throw err;
      process.stderr.write(`[stack] ${err.message}\n`);
      return 1;
    }),
  );
}
