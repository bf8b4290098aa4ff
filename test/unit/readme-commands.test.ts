// Every npm command README.md and docs/*.md show must run as shown: the script exists in package.json
// and, for a command in scripts/, its arguments (with the script's own) pass the command's parser —
// unknown flags and bad values fail here, not in a reader's terminal. Nothing is started.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommand, type CommandSpec, type OptionSpec } from '../../scripts/cli';

const ROOT = join(__dirname, '..', '..');
const scripts = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

interface DocCommand {
  where: string;
  name: string;
  args: string[];
}

/** `npm run <name> [-- args]`, `npm start` and `npm test` in a text; args end at a backtick, newline or #. */
export function commandsIn(text: string, file: string): DocCommand[] {
  const found: DocCommand[] = [];
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/npm (?:run ([\w:-]+)|(start|test)\b)(?: -- ([^`#\n]*))?/g)) {
      const args = (m[3] ?? '').replace(/[[\]]/g, ' ').trim();
      found.push({ where: `${file}:${i + 1}`, name: m[1] ?? m[2], args: args ? args.split(/\s+/) : [] });
    }
  });
  return found;
}

const docs = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const commands = docs.flatMap((file) => commandsIn(readFileSync(join(ROOT, file), 'utf8'), file));

/** The scripts/ file an npm script runs with tsx (on the pinned Node), and the arguments the script itself adds. */
function scriptFile(npmScript: string): { file: string; args: string[] } | undefined {
  const last = npmScript.split('&&').pop()!.trim();
  const m = /^(?:bash scripts\/stack\/node\.sh )?(?:tsx|node --import tsx) (scripts\/\S+\.ts)\s*(.*)$/.exec(
    last,
  );
  return m ? { file: m[1], args: m[2] ? m[2].split(/\s+/) : [] } : undefined;
}

/** A placeholder (`<t0>`, `N`) becomes a value of the option's kind. */
function fillPlaceholders(spec: CommandSpec, args: string[]): string[] {
  const sample: Record<OptionSpec['kind'], string> = {
    string: '2026-11-21T09:00:00Z',
    boolean: '',
    integer: '1',
    number: '1',
    duration: '1m',
    list: '1',
  };
  return args.map((a, i) => {
    if (!/^<.*>$|^[A-Z]+$/.test(a)) return a;
    const option = spec.options[args[i - 1]?.replace(/^--/, '') ?? ''];
    return option ? (option.choices?.[0] ?? sample[option.kind]) : a;
  });
}

test('the docs show the commands this test is about (the extraction finds them)', () => {
  expect(commands).toContainEqual(
    expect.objectContaining({ name: 'chaos', args: ['--seed', '42', '--duration', '600'] }),
  );
  expect(commands.filter((c) => c.name === 'start').length).toBeGreaterThan(0);
  expect(commandsIn('run `npm run bench -- --only accept # orders`', 'x')).toEqual([
    { where: 'x:1', name: 'bench', args: ['--only', 'accept'] },
  ]);
});

/** Inline commands (`npm ...` in backticks) whose closing backtick is on a later line: cut by a line break. */
export function cutCommandsIn(text: string, file: string): string[] {
  return text
    .split('\n')
    .flatMap((line, i) =>
      [...line.matchAll(/`([^`]*)(`|$)/g)]
        .filter((m) => m[2] === '' && /\bnpm (run|start|test)\b/.test(m[1]))
        .map((m) => `${file}:${i + 1}: ${m[1].trim()}`),
    );
}

test('no command is cut by a line break (its arguments would go unchecked, and unread)', () => {
  expect(cutCommandsIn('run `npm run bench -- --only accept\n--rates 10` now', 'x')).toEqual([
    'x:1: npm run bench -- --only accept',
  ]);
  expect(cutCommandsIn('```sh\nnpm run bench   # all\n```', 'x')).toEqual([]);
  expect(docs.flatMap((file) => cutCommandsIn(readFileSync(join(ROOT, file), 'utf8'), file))).toEqual([]);
});

describe.each(commands.map((c) => [`${c.where}: npm ${c.name} ${c.args.join(' ')}`.trim(), c] as const))(
  '%s',
  (_, c) => {
    test('exists in package.json and its arguments parse', async () => {
      const npmScript = scripts[c.name];
      expect({ script: c.name, defined: npmScript !== undefined }).toEqual({ script: c.name, defined: true });
      const target = scriptFile(npmScript);
      if (!target) {
        expect(c.args).toEqual([]); // not a command of scripts/ (jest, the app processes): no flags shown
        return;
      }
      const mod = (await import(join(ROOT, target.file))) as { command?: CommandSpec };
      expect({ file: target.file, usesTheParser: mod.command !== undefined }).toEqual({
        file: target.file,
        usesTheParser: true,
      });
      const parsed = parseCommand(mod.command!, [...target.args, ...fillPlaceholders(mod.command!, c.args)]);
      expect(parsed.help).toBe(false);
    });
  },
);

test.each(Object.entries(scripts).filter(([, s]) => scriptFile(s)))(
  'npm run %s: its scripts/ command uses the parser and takes the arguments package.json gives it',
  async (_, npmScript) => {
    const target = scriptFile(npmScript)!;
    const mod = (await import(join(ROOT, target.file))) as { command?: CommandSpec };
    expect(mod.command).toBeDefined();
    expect(parseCommand(mod.command!, target.args).help).toBe(false);
  },
);
