// `npm run stack:up|down|status`: the local stack on the ports lib/config points at.
import { config } from '../../lib/infra/config';
import { PrerequisiteError, stackSpecFromConfig, stackStatus, startStack, stopStack } from './local-stack';

const log = (msg: string) => process.stdout.write(`[stack] ${msg}\n`);

async function main(cmd: string | undefined): Promise<void> {
  const spec = stackSpecFromConfig(config());
  if (cmd === 'up') await startStack(spec, log);
  else if (cmd === 'down') await stopStack(spec, log);
  else if (cmd === 'status') log(JSON.stringify(stackStatus(spec)));
  else throw new Error('usage: tsx scripts/stack.ts up|down|status');
}

main(process.argv[2]).catch((err: unknown) => {
  process.stderr.write(
    `[stack] ${err instanceof PrerequisiteError ? '' : 'failed: '}${(err as Error).message}\n`,
  );
  process.exit(1);
});
