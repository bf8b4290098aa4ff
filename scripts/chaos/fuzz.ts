// `npm run fuzz -- --runs 5000 [--seed 42]`: the fuzzing suite (test/fuzz.test.ts) with more cases, on
// its own test stack (TEST_STACK_PORT_OFFSET as for npm test). The same seed replays the same cases.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const runs = option('runs') ?? '5000';
const seed = option('seed') ?? String(Date.now() % 2_147_483_647);
if (!/^\d+$/.test(runs) || !/^-?\d+$/.test(seed)) {
  process.stderr.write('usage: npm run fuzz -- [--runs <cases per property>] [--seed <integer>]\n');
  process.exit(64);
}
process.stdout.write(`[fuzz] ${runs} cases per property, seed ${seed} (replay: --seed ${seed})\n`);
const root = resolve(__dirname, '..', '..');
const jest = spawnSync(
  process.execPath,
  [require.resolve('jest/bin/jest', { paths: [root] }), 'test/fuzz.test.ts', '--testTimeout', '3600000'],
  // The child reads these through lib/config, like every other setting.
  { cwd: root, stdio: 'inherit', env: { ...process.env, FUZZ_RUNS: runs, FUZZ_SEED: seed } },
);
process.exit(jest.status ?? 1);
