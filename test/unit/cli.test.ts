// The one argument parser of scripts/: durations mean the same everywhere, unknown flags and bad values
// are usage errors, defaults apply, --help is seen.
import { durationArg, parseCommand, UsageError, usageText, type CommandSpec } from '../../scripts/cli';
import { command as chaos } from '../../scripts/chaos/chaos';

const spec = {
  usage: 'npm run demo --',
  summary: 'a demo command',
  options: {
    duration: { kind: 'duration', description: 'how long', default: '5m' },
    runs: { kind: 'integer', description: 'how many' },
    only: { kind: 'list', description: 'which', choices: ['a', 'b'] },
    dry: { kind: 'boolean', description: 'do nothing' },
  },
  positionals: ['up', 'down'],
} as const satisfies CommandSpec;

test.each([
  ['600', 600_000],
  ['600s', 600_000],
  ['10m', 600_000],
  ['1h', 3_600_000],
  ['250ms', 250],
])('the duration %s is %d ms', (text, ms) => {
  expect(durationArg(text)).toBe(ms);
});

test('values are converted, defaults applied, booleans false when absent', () => {
  expect(parseCommand(spec, ['--runs', '3', '--only', 'a,b', 'up'])).toEqual({
    values: { duration: 300_000, runs: 3, only: ['a', 'b'], dry: false },
    positionals: ['up'],
    help: false,
  });
  expect(parseCommand(spec, ['--duration', '600', '--dry']).values).toMatchObject({
    duration: 600_000,
    dry: true,
  });
});

test.each([
  [['--bogus']],
  [['--runs', 'many']],
  [['--duration', '10x']],
  [['--only', 'a,c']],
  [['sideways']],
  [['--runs']],
])('%j is a usage error', (argv) => {
  expect(() => parseCommand(spec, argv)).toThrow(UsageError);
});

test('--help is seen, whatever else is given, and the usage lists every option', () => {
  expect(parseCommand(spec, ['--help']).help).toBe(true);
  expect(parseCommand(spec, ['-h', 'sideways']).help).toBe(true);
  const text = usageText(spec);
  for (const flag of ['--duration <duration>', '--runs <integer>', '--only <list>', '--dry', '--help']) {
    expect(text).toContain(flag);
  }
});

test("the chaos run takes README's --duration 600 (seconds) as 10 minutes", () => {
  expect(parseCommand(chaos, ['--seed', '42', '--duration', '600']).values).toMatchObject({
    seed: 42,
    duration: 600_000,
  });
});
