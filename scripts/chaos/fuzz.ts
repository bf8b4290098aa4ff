// `npm run fuzz -- --runs 5000 [--seed 42]`: the fuzzing suite (test/integration/api/fuzz.test.ts) with
// more cases, on its own test stack (TEST_STACK_PORT_OFFSET as for npm test). The same seed replays the
// same cases.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { runCommand, type CommandSpec, type Parsed } from '../cli';

export const command = {
  usage: 'npm run fuzz --',
  summary: 'the API fuzzing suite with more cases; the same seed replays the same cases',
  options: {
    runs: { kind: 'integer', description: 'cases per property', default: '5000' },
    seed: { kind: 'integer', description: 'the random seed (default: from the clock)' },
  },
} as const satisfies CommandSpec;

async function main({ values }: Parsed<typeof command.options>): Promise<number> {
  const seed = values.seed ?? Date.now() % 2_147_483_647;
  process.stdout.write(`[fuzz] ${values.runs} cases per property, seed ${seed} (replay: --seed ${seed})\n`);
  const root = resolve(__dirname, '..', '..');
  const jest = spawnSync(
    process.execPath,
    [
      require.resolve('jest/bin/jest', { paths: [root] }),
      '--selectProjects',
      'integration',
      'test/integration/api/fuzz.test.ts',
      '--testTimeout',
      '3600000',
    ],
    // The child reads these through lib/config, like every other setting.
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, FUZZ_RUNS: String(values.runs), FUZZ_SEED: String(seed) },
    },
  );
  return jest.status ?? 1;
}

if (require.main === module) runCommand(command, main);
