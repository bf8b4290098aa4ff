// The one argument parser of every command in scripts/ (node:util parseArgs): `--help` prints the
// usage and exits 0, an unknown flag or a bad value is a usage error (exit 2), and a duration means the
// same everywhere: `600` (seconds), `600s`, `10m`, `1h`.
import { parseArgs } from 'node:util';
import { durationToMs } from '../lib/infra/config';

export type OptionKind = 'string' | 'boolean' | 'integer' | 'number' | 'duration' | 'list';

export interface OptionSpec {
  kind: OptionKind;
  description: string;
  /** The value when the flag is absent, written as a user would type it. */
  default?: string;
  /** The only values allowed (for a list: for each item). */
  choices?: readonly string[];
}

export interface CommandSpec {
  /** How a user runs it, e.g. `npm run chaos`. */
  usage: string;
  summary: string;
  options: Readonly<Record<string, OptionSpec>>;
  /** Accepted positional arguments (none when absent). */
  positionals?: readonly string[];
}

type ValueOf<K extends OptionKind> = K extends 'boolean'
  ? boolean
  : K extends 'list'
    ? string[]
    : K extends 'string'
      ? string
      : number;

export type Values<O extends Readonly<Record<string, OptionSpec>>> = {
  [N in keyof O]: O[N] extends { kind: 'boolean' }
    ? boolean
    : O[N] extends { default: string }
      ? ValueOf<O[N]['kind']>
      : ValueOf<O[N]['kind']> | undefined;
};

export interface Parsed<O extends Readonly<Record<string, OptionSpec>>> {
  values: Values<O>;
  positionals: string[];
  help: boolean;
}

export class UsageError extends Error {}

/** A duration as a user writes it: a bare number is seconds; otherwise lib/config's units (ms, s, m, h, d). */
export function durationArg(text: string): number {
  return durationToMs(/^\d+$/.test(text) ? `${text}s` : text);
}

function convert(name: string, { kind, choices }: OptionSpec, text: string): unknown {
  const bad = (what: string) => new UsageError(`--${name} wants ${what}, got "${text}"`);
  const items = kind === 'list' ? text.split(',').map((s) => s.trim()) : [text];
  if (choices && items.some((item) => !choices.includes(item))) throw bad(`one of ${choices.join(', ')}`);
  switch (kind) {
    case 'integer':
      if (!/^-?\d+$/.test(text)) throw bad('an integer');
      return Number(text);
    case 'number':
      if (text.trim() === '' || !Number.isFinite(Number(text))) throw bad('a number');
      return Number(text);
    case 'duration':
      try {
        return durationArg(text);
      } catch {
        throw bad('a duration (600, 600s, 10m, 1h)');
      }
    case 'list':
      return items.filter(Boolean);
    default:
      return text;
  }
}

/** Parses argv against a command's spec; throws UsageError on anything the spec does not allow. */
export function parseCommand<O extends Readonly<Record<string, OptionSpec>>>(
  spec: CommandSpec & { options: O },
  argv: readonly string[],
): Parsed<O> {
  const options = Object.fromEntries([
    ['help', { type: 'boolean' as const, short: 'h' }],
    ...Object.entries(spec.options).map(([name, o]) => [
      name,
      { type: o.kind === 'boolean' ? ('boolean' as const) : ('string' as const) },
    ]),
  ]) as Record<string, { type: 'string' | 'boolean'; short?: string }>;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const help = parsed.values.help === true;
  const allowed = spec.positionals ?? [];
  const stray = parsed.positionals.find((p) => !allowed.includes(p));
  if (stray !== undefined && !help) {
    throw new UsageError(
      allowed.length
        ? `unexpected "${stray}": one of ${allowed.join(', ')}`
        : `unexpected argument "${stray}"`,
    );
  }
  const values: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    const given = parsed.values[name];
    if (o.kind === 'boolean') values[name] = given === true;
    else if (typeof given === 'string') values[name] = convert(name, o, given);
    else if (o.default !== undefined) values[name] = convert(name, o, o.default);
  }
  return { values: values as Values<O>, positionals: parsed.positionals, help };
}

export function usageText(spec: CommandSpec): string {
  const flags = Object.entries(spec.options).map(([name, o]) => {
    const value = o.kind === 'boolean' ? '' : ` <${o.kind}>`;
    const def = o.default !== undefined ? ` (default ${o.default})` : '';
    const one = o.choices ? `; one of ${o.choices.join(', ')}` : '';
    return [`  --${name}${value}`, `${o.description}${one}${def}`] as const;
  });
  flags.push(['  --help, -h', 'print this help and exit']);
  const width = Math.max(...flags.map(([f]) => f.length)) + 2;
  const pos = spec.positionals?.length ? ` ${spec.positionals.join('|')}` : '';
  return [
    `usage: ${spec.usage}${pos}${Object.keys(spec.options).length ? ' [options]' : ''}`,
    `  ${spec.summary}`,
    '',
    ...flags.map(([f, d]) => `${f.padEnd(width)}${d}`),
    '',
  ].join('\n');
}

/**
 * A command's entry point: parses process.argv, prints the usage for --help (exit 0) or a usage error
 * (exit 2), then runs main; a failure of main is printed and exits 1, its number (if any) is the exit code.
 */
export function runCommand<O extends Readonly<Record<string, OptionSpec>>>(
  spec: CommandSpec & { options: O },
  main: (args: Parsed<O>) => Promise<number | void>,
  argv: readonly string[] = process.argv.slice(2),
): void {
  let args: Parsed<O>;
  try {
    args = parseCommand(spec, argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${spec.usage}: ${err.message} (--help lists the options)\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(usageText(spec));
    process.exit(0);
  }
  main(args).then(
    (code) => {
      if (typeof code === 'number') process.exit(code);
    },
    (err: unknown) => {
      if (err instanceof UsageError) {
        process.stderr.write(`${spec.usage}: ${err.message} (--help lists the options)\n`);
        process.exit(2);
      }
      process.stderr.write(`${spec.usage} failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
