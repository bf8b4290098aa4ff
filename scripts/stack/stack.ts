// `npm run stack:up|down|status`: the local stack on the ports lib/config points at.
import { config } from '../../lib/infra/config';
import { runCommand, UsageError, type CommandSpec } from '../cli';
import { PrerequisiteError, stackSpecFromConfig, stackStatus, startStack, stopStack } from './local-stack';

export const command = {
  usage: 'tsx scripts/stack/stack.ts',
  summary: 'start (up), stop (down) or show (status) the local stack of Temporal, Kafka and Redis',
  options: {},
  positionals: ['up', 'down', 'status'],
} as const satisfies CommandSpec;

const log = (msg: string) => process.stdout.write(`[stack] ${msg}\n`);

async function main(cmd: string | undefined): Promise<void> {
  const spec = stackSpecFromConfig(config());
  if (cmd === 'up') await startStack(spec, log);
  else if (cmd === 'down') await stopStack(spec, log);
  else if (cmd === 'status') log(JSON.stringify(stackStatus(spec)));
  else throw new UsageError('say up, down or status');
}

if (require.main === module) {
  runCommand(command, ({ positionals }) =>
    main(positionals[0]).catch((err: unknown) => {
      if (!(err instanceof PrerequisiteError)) throw err;
      process.stderr.write(`[stack] ${err.message}\n`);
      return 1;
    }),
  );
}
